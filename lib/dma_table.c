// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dma_table.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define INITIAL_CAP 64

void dma_table_init(struct dma_table *t)
{
	memset(t, 0, sizeof(*t));
}

static void free_view(struct dma_view *v)
{
	if (!v)
		return;
	free(v->keys);
	free(v->ents);
	free(v);
}

void dma_table_destroy(struct dma_table *t)
{
	uint32_t i;

	for (i = 0; i < t->nr_retired; i++)
		free_view(t->retired[i]);
	free(t->retired);
	free_view(t->by_va);
	free_view(t->by_iova);
	memset(t, 0, sizeof(*t));
}

static void write_begin(struct dma_table *t)
{
	STORE(&t->seq, t->seq + 1);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void write_end(struct dma_table *t)
{
	__atomic_store_n(&t->seq, t->seq + 1, __ATOMIC_RELEASE);
}

/*
 * Index of the last key <= @key, or -1. Branch-free halving: the loop
 * runs log2(n) times whatever the data, and compiles to a conditional move.
 */
static long last_le(const uint64_t *keys, uint32_t n, uint64_t key)
{
	const uint64_t *base = keys;
	uint32_t len = n;

	if (!n || LOAD(&keys[0]) > key)
		return -1;
	while (len > 1) {
		uint32_t half = len / 2;

		base = LOAD(&base[half]) <= key ? base + half : base;
		len -= half;
	}
	return base - keys;
}

static struct dma_view *new_view(uint32_t cap, const struct dma_view *old,
				 uint32_t n)
{
	struct dma_view *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->keys = malloc(cap * sizeof(*v->keys));
	v->ents = malloc(cap * sizeof(*v->ents));
	if (!v->keys || !v->ents) {
		free_view(v);
		return NULL;
	}
	if (n) {
		memcpy(v->keys, old->keys, n * sizeof(*v->keys));
		memcpy(v->ents, old->ents, n * sizeof(*v->ents));
	}
	return v;
}

static int grow(struct dma_table *t)
{
	uint32_t cap = t->cap ? t->cap * 2 : INITIAL_CAP;
	struct dma_view *va = new_view(cap, t->by_va, t->n);
	struct dma_view *io = new_view(cap, t->by_iova, t->n);
	void **ret = realloc(t->retired, (t->nr_retired + 2) * sizeof(void *));

	if (ret)
		t->retired = ret;
	if (!va || !io || !ret) {
		free_view(va);
		free_view(io);
		return -ENOMEM;
	}
	if (t->by_va) {
		t->retired[t->nr_retired++] = t->by_va;
		t->retired[t->nr_retired++] = t->by_iova;
	}
	__atomic_store_n(&t->by_va, va, __ATOMIC_RELEASE);
	__atomic_store_n(&t->by_iova, io, __ATOMIC_RELEASE);
	t->cap = cap;
	return 0;
}

static void copy_slot(struct dma_view *v, uint32_t dst, uint32_t src)
{
	STORE(&v->keys[dst], LOAD(&v->keys[src]));
	STORE(&v->ents[dst].vaddr, LOAD(&v->ents[src].vaddr));
	STORE(&v->ents[dst].iova, LOAD(&v->ents[src].iova));
	STORE(&v->ents[dst].len, LOAD(&v->ents[src].len));
}

static void insert_sorted(struct dma_view *v, uint32_t n,
			  const struct dma_entry *e, uint64_t key)
{
	uint32_t pos = (uint32_t)(last_le(v->keys, n, key) + 1), i;

	for (i = n; i > pos; i--)
		copy_slot(v, i, i - 1);
	STORE(&v->keys[pos], key);
	STORE(&v->ents[pos].vaddr, e->vaddr);
	STORE(&v->ents[pos].iova, e->iova);
	STORE(&v->ents[pos].len, e->len);
}

int dma_table_insert(struct dma_table *t, const struct dma_entry *e)
{
	int ret = 0;

	write_begin(t);
	if (t->n == t->cap)
		ret = grow(t);
	if (!ret) {
		insert_sorted(t->by_va, t->n, e, e->vaddr);
		insert_sorted(t->by_iova, t->n, e, e->iova);
		/* Release: a reader that sees the new count sees views that
		 * hold it (growth published them first). */
		__atomic_store_n(&t->n, t->n + 1, __ATOMIC_RELEASE);
	}
	write_end(t);
	return ret;
}

static void remove_sorted(struct dma_view *v, uint32_t n, uint64_t key)
{
	uint32_t i;

	for (i = (uint32_t)last_le(v->keys, n, key); i + 1 < n; i++)
		copy_slot(v, i, i + 1);
}

void dma_table_remove(struct dma_table *t, const struct dma_entry *e)
{
	write_begin(t);
	remove_sorted(t->by_va, t->n, e->vaddr);
	remove_sorted(t->by_iova, t->n, e->iova);
	STORE(&t->n, t->n - 1);
	write_end(t);
}

void dma_table_clear(struct dma_table *t)
{
	write_begin(t);
	STORE(&t->n, 0);
	write_end(t);
}

static bool overlap(const struct dma_view *v, uint32_t n, uint64_t start,
		    uint64_t len, struct dma_entry *out)
{
	long i = v ? last_le(v->keys, n, start + len - 1) : -1;

	if (i < 0 || v->keys[i] + v->ents[i].len - 1 < start)
		return false;
	*out = v->ents[i];
	return true;
}

bool dma_table_overlap_va(const struct dma_table *t, uint64_t start,
			  uint64_t len, struct dma_entry *out)
{
	return overlap(t->by_va, t->n, start, len, out);
}

bool dma_table_overlap_iova(const struct dma_table *t, uint64_t start,
			    uint64_t len, struct dma_entry *out)
{
	return overlap(t->by_iova, t->n, start, len, out);
}

/* Seqlock read: find the entry holding @key and give its other address. */
static int lookup(const struct dma_table *t, uint64_t key, bool by_iova,
		  uint64_t *out)
{
	unsigned int s;
	int ret;

	do {
		const struct dma_view *v;
		uint64_t base = 0, len = 0, other = 0;
		uint32_t n;
		long i;

		s = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
		if (s & 1)
			continue;
		/* Count before view: the view loaded next holds >= n. */
		n = __atomic_load_n(&t->n, __ATOMIC_ACQUIRE);
		v = __atomic_load_n(by_iova ? &t->by_iova : &t->by_va,
				    __ATOMIC_ACQUIRE);
		i = v ? last_le(v->keys, n, key) : -1;
		if (i >= 0) {
			base = LOAD(&v->keys[i]);
			other = by_iova ? LOAD(&v->ents[i].vaddr) : LOAD(&v->ents[i].iova);
			len = LOAD(&v->ents[i].len);
		}
		ret = i >= 0 && key - base < len ? 0 : -ENOENT;
		if (!ret)
			*out = other + (key - base);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((s & 1) || LOAD(&t->seq) != s);
	return ret;
}

int dma_table_translate(const struct dma_table *t, uint64_t vaddr,
			uint64_t *iova)
{
	return lookup(t, vaddr, false, iova);
}

int dma_table_reverse(const struct dma_table *t, uint64_t iova,
		      uint64_t *vaddr)
{
	return lookup(t, iova, true, vaddr);
}
