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

void dma_table_destroy(struct dma_table *t)
{
	uint32_t i;

	for (i = 0; i < t->nr_retired; i++)
		free(t->retired[i]);
	free(t->retired);
	free(t->by_va);
	free(t->by_iova);
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

static void copy_entry(struct dma_entry *dst, const struct dma_entry *src)
{
	STORE(&dst->vaddr, LOAD(&src->vaddr));
	STORE(&dst->iova, LOAD(&src->iova));
	STORE(&dst->len, LOAD(&src->len));
}

/* Index of the last entry whose key is <= @key, or -1. */
static long last_le(const struct dma_entry *a, uint32_t n, uint64_t key,
		    bool by_iova)
{
	long lo = 0, hi = (long)n - 1, best = -1;

	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;
		uint64_t k = by_iova ? LOAD(&a[mid].iova) : LOAD(&a[mid].vaddr);

		if (k <= key) {
			best = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return best;
}

static int grow(struct dma_table *t)
{
	uint32_t cap = t->cap ? t->cap * 2 : INITIAL_CAP;
	struct dma_entry *va = malloc(cap * sizeof(*va));
	struct dma_entry *io = malloc(cap * sizeof(*io));
	void **ret = realloc(t->retired, (t->nr_retired + 2) * sizeof(void *));

	if (!va || !io || !ret) {
		free(va);
		free(io);
		if (ret)
			t->retired = ret;
		return -ENOMEM;
	}
	t->retired = ret;
	if (t->n) {
		memcpy(va, t->by_va, t->n * sizeof(*va));
		memcpy(io, t->by_iova, t->n * sizeof(*io));
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

static void insert_sorted(struct dma_entry *a, uint32_t n,
			  const struct dma_entry *e, bool by_iova)
{
	long pos = last_le(a, n, by_iova ? e->iova : e->vaddr, by_iova) + 1;
	long i;

	for (i = (long)n; i > pos; i--)
		copy_entry(&a[i], &a[i - 1]);
	copy_entry(&a[pos], e);
}

int dma_table_insert(struct dma_table *t, const struct dma_entry *e)
{
	int ret = 0;

	write_begin(t);
	if (t->n == t->cap)
		ret = grow(t);
	if (!ret) {
		insert_sorted(t->by_va, t->n, e, false);
		insert_sorted(t->by_iova, t->n, e, true);
		/* Release: a reader that sees the new count sees arrays that
		 * hold it (growth published them first). */
		__atomic_store_n(&t->n, t->n + 1, __ATOMIC_RELEASE);
	}
	write_end(t);
	return ret;
}

static void remove_sorted(struct dma_entry *a, uint32_t n, uint64_t key,
			  bool by_iova)
{
	long pos = last_le(a, n, key, by_iova), i;

	for (i = pos; i + 1 < (long)n; i++)
		copy_entry(&a[i], &a[i + 1]);
}

void dma_table_remove(struct dma_table *t, const struct dma_entry *e)
{
	write_begin(t);
	remove_sorted(t->by_va, t->n, e->vaddr, false);
	remove_sorted(t->by_iova, t->n, e->iova, true);
	STORE(&t->n, t->n - 1);
	write_end(t);
}

void dma_table_clear(struct dma_table *t)
{
	write_begin(t);
	STORE(&t->n, 0);
	write_end(t);
}

static bool overlap(const struct dma_entry *a, uint32_t n, uint64_t start,
		    uint64_t len, bool by_iova, struct dma_entry *out)
{
	long i = last_le(a, n, start + len - 1, by_iova);
	uint64_t k;

	if (i < 0)
		return false;
	k = by_iova ? a[i].iova : a[i].vaddr;
	if (k + a[i].len - 1 < start)
		return false;
	*out = a[i];
	return true;
}

bool dma_table_overlap_va(const struct dma_table *t, uint64_t start,
			  uint64_t len, struct dma_entry *out)
{
	return overlap(t->by_va, t->n, start, len, false, out);
}

bool dma_table_overlap_iova(const struct dma_table *t, uint64_t start,
			    uint64_t len, struct dma_entry *out)
{
	return overlap(t->by_iova, t->n, start, len, true, out);
}

/* Seqlock read: find the entry holding @key and give its other address. */
static int lookup(const struct dma_table *t, uint64_t key, bool by_iova,
		  uint64_t *out)
{
	unsigned int s;
	int ret;

	do {
		const struct dma_entry *a;
		uint64_t base = 0, len = 0, other = 0;
		uint32_t n;
		long i;

		s = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
		if (s & 1)
			continue;
		/* Count before array: the array loaded next holds >= n. */
		n = __atomic_load_n(&t->n, __ATOMIC_ACQUIRE);
		a = __atomic_load_n(by_iova ? &t->by_iova : &t->by_va,
				    __ATOMIC_ACQUIRE);
		i = a ? last_le(a, n, key, by_iova) : -1;
		if (i >= 0) {
			base = by_iova ? LOAD(&a[i].iova) : LOAD(&a[i].vaddr);
			other = by_iova ? LOAD(&a[i].vaddr) : LOAD(&a[i].iova);
			len = LOAD(&a[i].len);
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
