// SPDX-License-Identifier: MIT
#define LOG_PREFIX "dma table"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dma_table.h"
#include "hot.h"
#include "internal.h"	/* logging only */

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

#define PAGE_SHIFT 12
#define SLOT_BITS 9
#define SLOTS (1u << SLOT_BITS)
#define TOP_LEVEL 5		/* level 5 covers key bits 57..63 */
#define LEAF_SPAN_SHIFT (PAGE_SHIFT + SLOT_BITS)
#define BLOCK 1ULL		/* deltas are page aligned: bit 0 is free */

struct radix_node {
	uint64_t slot[SLOTS];		/* 0, child pointer or delta | BLOCK */
	struct dma_entry *owner[SLOTS];	/* writer side: a block's entry */
	struct radix_node *next_alloc;
};

static unsigned int shift_of(int level)
{
	return PAGE_SHIFT + SLOT_BITS * (unsigned int)level;
}

static unsigned int index_of(uint64_t key, int level)
{
	return (unsigned int)(key >> shift_of(level)) & (SLOTS - 1);
}

/* Does a root at @level cover @key? */
static bool covers(int level, uint64_t key)
{
	return level >= TOP_LEVEL || !(key >> (shift_of(level) + SLOT_BITS));
}

void vfiox_dma_table_init(struct dma_table *t)
{
	memset(t, 0, sizeof(*t));
	t->by_va.top = -1;
	t->by_iova.top = -1;
}

void vfiox_dma_table_destroy(struct dma_table *t)
{
	struct dma_entry *lists[] = { t->entries, t->spare };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		while (lists[i]) {
			struct dma_entry *e = lists[i];

			lists[i] = e->next;
			free(e);
		}
	}
	while (t->nodes) {
		struct radix_node *n = t->nodes;

		t->nodes = n->next_alloc;
		free(n);
	}
	vfiox_dma_table_init(t);
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

static struct radix_node *node_new(struct dma_table *t)
{
	void *p;

	if (posix_memalign(&p, 64, sizeof(struct radix_node)))
		return NULL;
	memset(p, 0, sizeof(struct radix_node));
	((struct radix_node *)p)->next_alloc = t->nodes;
	t->nodes = p;
	return p;
}

/* Make the root cover @last: a first root as low as it can be, else
 * new roots above the old one, which becomes their slot 0. */
static int grow(struct dma_table *t, struct radix *r, uint64_t last)
{
	int level = 0;

	while (r->top < 0 && !covers(level, last))
		level++;
	while (r->top < 0 || !covers(r->top, last)) {
		struct radix_node *n = node_new(t);

		if (!n)
			return -ENOMEM;
		n->slot[0] = (uintptr_t)r->root;
		STORE(&r->root, n);
		STORE(&r->top, r->top < 0 ? level : r->top + 1);
	}
	return 0;
}

/*
 * WALK_FILL is WALK_SET for the vaddr tree, where mappings may overlap
 * (aliases): it takes the free slots and leaves the taken ones to their
 * owner, the older mapping, noting that it met one.
 */
enum walk_op { WALK_SET, WALK_FILL, WALK_CLEAR, WALK_FIND };

struct walk {
	enum walk_op op;
	struct dma_table *t;
	uint64_t value;			/* WALK_SET, WALK_FILL */
	struct dma_entry *entry;	/* WALK_SET/FILL: owner; WALK_FIND: found */
	bool met;			/* WALK_FILL: a slot was taken */
};

static int walk_range(struct walk *w, struct radix_node *n, int level,
		      uint64_t lo, uint64_t last);

/* Store a block, or descend into (a new) child. */
static int visit_set(struct walk *w, struct radix_node *n, int level,
		     uint64_t lo, uint64_t hi)
{
	uint64_t mask = (1ULL << shift_of(level)) - 1;
	unsigned int i = index_of(lo, level);
	struct radix_node *child = (struct radix_node *)(uintptr_t)n->slot[i];
	bool whole = !(lo & mask) && (hi & mask) == mask;

	/* An existing child is filled, never replaced: nodes stay linked. */
	if (!child && whole) {
		n->owner[i] = w->entry;
		STORE(&n->slot[i], w->value);
		return 0;
	}
	if (!level)
		return -EINVAL;		/* not page aligned */
	if (!child) {
		child = node_new(w->t);
		if (!child)
			return -ENOMEM;
		STORE(&n->slot[i], (uintptr_t)child);
	}
	return walk_range(w, child, level - 1, lo, hi);
}

/*
 * A fill met an older mapping's block that it covers only in part: the
 * block becomes a child holding the same block in every slot (a block's
 * value does not depend on its level), so that every slot the alias
 * covers in part is a child. When the older mapping goes, the alias then
 * takes over its slots without allocating (refill_aliases()).
 */
static int split_block(struct walk *w, struct radix_node *n, unsigned int i)
{
	struct radix_node *child = node_new(w->t);
	unsigned int j;

	if (!child)
		return -ENOMEM;
	for (j = 0; j < SLOTS; j++) {
		child->slot[j] = n->slot[i];
		child->owner[j] = n->owner[i];
	}
	n->owner[i] = NULL;
	STORE(&n->slot[i], (uintptr_t)child);
	return 0;
}

static int visit_fill_block(struct walk *w, struct radix_node *n, int level,
			    uint64_t lo, uint64_t hi)
{
	uint64_t mask = (1ULL << shift_of(level)) - 1;
	unsigned int i = index_of(lo, level);
	int ret;

	w->met = true;
	if (!level || (!(lo & mask) && (hi & mask) == mask))
		return 0;
	ret = split_block(w, n, i);
	return ret ? ret : walk_range(w, (struct radix_node *)(uintptr_t)n->slot[i],
				      level - 1, lo, hi);
}

/* One slot, of which [lo, hi] is in the walked range. >0: found. */
static int visit(struct walk *w, struct radix_node *n, int level,
		 uint64_t lo, uint64_t hi)
{
	unsigned int i = index_of(lo, level);
	uint64_t v = n->slot[i];

	if (v & BLOCK) {
		if (w->op == WALK_FIND)
			w->entry = n->owner[i];
		else if (w->op == WALK_CLEAR && n->owner[i] == w->entry)
			STORE(&n->slot[i], 0);
		else if (w->op == WALK_FILL)
			return visit_fill_block(w, n, level, lo, hi);
		return w->op == WALK_FIND ? 1 : w->op == WALK_SET ? -EEXIST : 0;
	}
	if (w->op == WALK_SET || w->op == WALK_FILL)
		return visit_set(w, n, level, lo, hi);
	if (v && level)
		return walk_range(w, (struct radix_node *)(uintptr_t)v,
				  level - 1, lo, hi);
	return 0;
}

static int walk_range(struct walk *w, struct radix_node *n, int level,
		      uint64_t lo, uint64_t last)
{
	uint64_t mask = (1ULL << shift_of(level)) - 1;

	for (;;) {
		uint64_t hi = (lo | mask) < last ? (lo | mask) : last;
		int ret = visit(w, n, level, lo, hi);

		if (ret || hi == last)
			return ret;
		lo = hi + 1;
	}
}

/*
 * The common end of a walk: page slots of one leaf, no recursion. Inlined
 * with a constant op, each caller gets its own short loop.
 */
VFIOX_INLINE int
walk_leaf(struct walk *w, struct radix_node *n, uint64_t start, uint64_t last)
{
	/* Locals, so the slot stores cannot make the loop reload them. */
	const enum walk_op op = w->op;
	const uint64_t value = w->value;
	struct dma_entry *const e = w->entry;
	unsigned int i = index_of(start, 0), end = index_of(last, 0);

	for (; i <= end; i++) {
		uint64_t v = n->slot[i];

		if (op == WALK_FIND && v) {
			w->entry = n->owner[i];
			return 1;
		}
		if (op == WALK_SET && v)
			return -EEXIST;
		if (op == WALK_FILL && v) {
			w->met = true;
			continue;
		}
		if (op == WALK_SET || op == WALK_FILL) {
			n->owner[i] = e;
			STORE(&n->slot[i], value);
		} else if (op == WALK_CLEAR && n->owner[i] == e) {
			STORE(&n->slot[i], 0);
		}
	}
	return 0;
}

/*
 * Writer-side shortcut: maps and unmaps cluster (pools, queues, consecutive
 * buffers), so the leaf of the last walk usually holds the next range too.
 * A leaf, once linked, is never unlinked or replaced before destroy.
 */
static struct radix_node *cached_leaf(const struct radix *r, uint64_t start,
				      uint64_t last)
{
	uint64_t key = start >> LEAF_SPAN_SHIFT;

	return r->leaf && r->leaf_key == key && last >> LEAF_SPAN_SHIFT == key ?
	       r->leaf : NULL;
}

/* A walk that does not stay in the cached leaf: down from the root. */
static __attribute__((noinline)) int walk_tree(struct walk *w, struct radix *r,
					       uint64_t start, uint64_t last)
{
	struct radix_node *n = r->root;
	int level = r->top;

	if (level < 0 || !covers(level, start))
		return 0;
	if (!covers(level, last))
		last = (1ULL << (shift_of(level) + SLOT_BITS)) - 1;
	/* Go straight down while the range sits in one child's span. */
	while (level && start >> shift_of(level) == last >> shift_of(level)) {
		uint64_t v = n->slot[index_of(start, level)];

		if (!v || (v & BLOCK))
			break;
		n = (struct radix_node *)(uintptr_t)v;
		level--;
	}
	if (level)
		return walk_range(w, n, level, start, last);
	r->leaf = n;
	r->leaf_key = start >> LEAF_SPAN_SHIFT;
	return walk_leaf(w, n, start, last);
}

VFIOX_INLINE int
walk(struct walk *w, struct radix *r, uint64_t start, uint64_t len)
{
	uint64_t last = start + len - 1;
	struct radix_node *n = cached_leaf(r, start, last);

	return n ? walk_leaf(w, n, start, last) : walk_tree(w, r, start, last);
}

/*
 * The writer helpers below are inlined into the few entry points, so a map
 * or unmap costs one call into the table (hot.h says why). A cached leaf
 * is linked under the root, so the root covers it already.
 */
VFIOX_INLINE int
set_walk(struct walk *w, struct radix *r, uint64_t start, uint64_t len)
{
	uint64_t last = start + len - 1;
	struct radix_node *n = cached_leaf(r, start, last);
	int ret;

	if (n)
		return walk_leaf(w, n, start, last);
	ret = grow(w->t, r, last);
	return ret ? ret : walk_tree(w, r, start, last);
}

VFIOX_INLINE int
set_range(struct dma_table *t, struct radix *r, uint64_t start, uint64_t len,
	  uint64_t other, struct dma_entry *e)
{
	struct walk w = { WALK_SET, t, (other - start) | BLOCK, e, false };

	return set_walk(&w, r, start, len);
}

/*
 * Give @e the free vaddr slots of [start, start + len), a part of its
 * range; *@met: some were taken (by older mappings of the same memory).
 */
static int fill_va(struct dma_table *t, uint64_t start, uint64_t len,
		   struct dma_entry *e, bool *met)
{
	struct walk w = { WALK_FILL, t, (e->iova - e->vaddr) | BLOCK, e, false };
	int ret = set_walk(&w, &t->by_va, start, len);

	*met = w.met;
	return ret;
}

/* Clear the blocks of @e in [start, start + len): other entries' stay. */
VFIOX_INLINE void
clear_range(struct dma_table *t, struct radix *r, uint64_t start, uint64_t len,
	    struct dma_entry *e)
{
	struct walk w = { WALK_CLEAR, t, 0, e, false };

	walk(&w, r, start, len);
}

VFIOX_INLINE struct dma_entry *
find(struct dma_table *t, struct radix *r, uint64_t start, uint64_t len)
{
	struct walk w = { WALK_FIND, t, 0, NULL, false };

	return walk(&w, r, start, len) > 0 ? w.entry : NULL;
}

/* Entries churn with every map and unmap: recycle them. */
static struct dma_entry *entry_new(struct dma_table *t)
{
	struct dma_entry *e = t->spare;

	if (!e)
		return malloc(sizeof(*e));
	t->spare = e->next;
	return e;
}

static void entry_put(struct dma_table *t, struct dma_entry *e)
{
	e->next = t->spare;
	t->spare = e;
}

/*
 * A one-page range that falls in the cached leaf: its slot there, or NULL.
 * Per-I/O maps of single pages are the common case, and this skips even
 * the leaf loop.
 */
VFIOX_INLINE struct radix_node *page_slot(const struct radix *r, uint64_t addr,
					  uint64_t len, unsigned int *i)
{
	if (len != 1ULL << PAGE_SHIFT || !r->leaf ||
	    r->leaf_key != addr >> LEAF_SPAN_SHIFT ||
	    addr & ((1ULL << PAGE_SHIFT) - 1))
		return NULL;
	*i = index_of(addr, 0);
	return r->leaf;
}

VFIOX_INLINE void link_entry(struct dma_table *t, struct dma_entry *ne)
{
	ne->prev = NULL;
	ne->next = t->entries;
	if (t->entries)
		t->entries->prev = ne;
	t->entries = ne;
	t->n++;
}

/* An alias goes to the end of the alias list: the list is oldest first. */
static void link_alias(struct dma_table *t, struct dma_entry *e)
{
	e->alias = true;
	e->alias_next = NULL;
	e->alias_prev = t->aliases_tail;
	if (t->aliases_tail)
		t->aliases_tail->alias_next = e;
	else
		t->aliases = e;
	t->aliases_tail = e;
}

static void unlink_alias(struct dma_table *t, struct dma_entry *e)
{
	if (e->alias_prev)
		e->alias_prev->alias_next = e->alias_next;
	else
		t->aliases = e->alias_next;
	if (e->alias_next)
		e->alias_next->alias_prev = e->alias_prev;
	else
		t->aliases_tail = e->alias_prev;
	e->alias = false;
}

static int insert_walk(struct dma_table *t, struct dma_entry *ne, bool *alias)
{
	int ret = set_range(t, &t->by_iova, ne->iova, ne->len, ne->vaddr, ne);

	if (!ret)
		ret = fill_va(t, ne->vaddr, ne->len, ne, alias);
	if (ret) {
		clear_range(t, &t->by_va, ne->vaddr, ne->len, ne);
		clear_range(t, &t->by_iova, ne->iova, ne->len, ne);
	}
	return ret;
}

VFIOX_HOT int vfiox_dma_table_insert(struct dma_table *t, const struct dma_entry *e,
			       const struct dma_entry **out)
{
	unsigned int iv = 0, ii = 0;
	struct radix_node *lv = page_slot(&t->by_va, e->vaddr, e->len, &iv);
	struct radix_node *li = page_slot(&t->by_iova, e->iova, e->len, &ii);
	struct dma_entry *ne;
	bool alias = false;
	int ret = 0;

	/* Leaf slots hold only blocks or nothing: non-zero is taken. */
	if (lv && li && li->slot[ii])
		return -EEXIST;
	ne = entry_new(t);
	if (!ne)
		return -ENOMEM;
	ne->vaddr = e->vaddr;
	ne->iova = e->iova;
	ne->len = e->len;
	ne->owner = e->owner;
	ne->read_only = e->read_only;
	ne->alias = false;
	write_begin(t);
	if (lv && li) {
		if (!lv->slot[iv]) {
			lv->owner[iv] = ne;
			STORE(&lv->slot[iv], (e->iova - e->vaddr) | BLOCK);
		}
		alias = lv->owner[iv] != ne;
		li->owner[ii] = ne;
		STORE(&li->slot[ii], (e->vaddr - e->iova) | BLOCK);
	} else {
		ret = insert_walk(t, ne, &alias);
	}
	if (ret) {
		entry_put(t, ne);
	} else {
		link_entry(t, ne);
		if (alias)
			link_alias(t, ne);
		if (out)
			*out = ne;
	}
	write_end(t);
	return ret;
}

/* Clear @e's blocks in one tree: its one page's slot when it is cached. */
VFIOX_INLINE void clear_entry(struct dma_table *t, struct radix *r,
			      uint64_t start, struct dma_entry *e)
{
	unsigned int i;
	struct radix_node *n = page_slot(r, start, e->len, &i);

	if (!n)
		clear_range(t, r, start, e->len, e);
	else if (n->owner[i] == e)
		STORE(&n->slot[i], 0);
}

/*
 * @e left the vaddr range [va, va + len): the aliases that overlap it,
 * oldest first, take its slots, so a vaddr keeps translating through the
 * oldest mapping of it. No allocation: every slot an alias covers in part
 * is a child already (split_block()), and so is every slot @e covered in
 * part (its own insert walked down to them).
 */
static void refill_aliases(struct dma_table *t, uint64_t va, uint64_t len)
{
	struct dma_entry *a;
	bool met;

	for (a = t->aliases; a; a = a->alias_next) {
		uint64_t lo = a->vaddr > va ? a->vaddr : va;
		uint64_t end_a = a->vaddr + a->len, end = va + len;
		uint64_t hi = end_a < end ? end_a : end;

		/* Cannot fail while the invariant above holds; if it ever
		 * broke, these vaddrs would translate to -ENOENT: say so. */
		if (lo < hi && fill_va(t, lo, hi - lo, a, &met))
			pr_err("removal: vaddrs [0x%llx, 0x%llx) of the alias at IOVA 0x%llx lost their translation (no memory for a node)",
			       (unsigned long long)lo, (unsigned long long)hi,
			       (unsigned long long)a->iova);
	}
}

VFIOX_INLINE void
remove_entry(struct dma_table *t, struct dma_entry *e)
{
	clear_entry(t, &t->by_va, e->vaddr, e);
	clear_entry(t, &t->by_iova, e->iova, e);
	if (e->alias)
		unlink_alias(t, e);
	if (t->aliases)
		refill_aliases(t, e->vaddr, e->len);
	if (e->prev)
		e->prev->next = e->next;
	else
		t->entries = e->next;
	if (e->next)
		e->next->prev = e->prev;
	t->n--;
	entry_put(t, e);
}

VFIOX_HOT void vfiox_dma_table_remove(struct dma_table *t, const struct dma_entry *e)
{
	write_begin(t);
	remove_entry(t, (struct dma_entry *)e);
	write_end(t);
}

void vfiox_dma_table_clear(struct dma_table *t)
{
	write_begin(t);
	/* Aliases first: no refill for mappings that are all going. */
	while (t->aliases)
		remove_entry(t, t->aliases);
	while (t->entries)
		remove_entry(t, t->entries);
	write_end(t);
}

VFIOX_HOT const struct dma_entry *vfiox_dma_table_find_va(struct dma_table *t,
					  uint64_t start, uint64_t len)
{
	return len ? find(t, &t->by_va, start, len) : NULL;
}

VFIOX_HOT const struct dma_entry *vfiox_dma_table_find_iova(struct dma_table *t,
						      uint64_t start, uint64_t len)
{
	unsigned int i;
	struct radix_node *n = page_slot(&t->by_iova, start, len, &i);

	if (n)
		return n->slot[i] ? n->owner[i] : NULL;
	return len ? find(t, &t->by_iova, start, len) : NULL;
}

/*
 * Reader walk. Under a torn read the root and level may disagree; that is
 * still safe: non-block values are only ever 0 or node pointers, nodes are
 * never freed, the level only goes down, and the seqlock retries.
 */
static int radix_lookup(const struct radix *r, uint64_t key, uint64_t *out)
{
	const struct radix_node *n = LOAD(&r->root);
	int level = LOAD(&r->top);

	if (!n || level < 0 || !covers(level, key))
		return -ENOENT;
	for (;;) {
		uint64_t v = LOAD(&n->slot[index_of(key, level)]);

		if (v & BLOCK) {
			*out = key + (v - BLOCK);
			return 0;
		}
		if (!v || !level)
			return -ENOENT;
		n = (const struct radix_node *)(uintptr_t)v;
		level--;
	}
}

static int lookup(const struct dma_table *t, const struct radix *r,
		  uint64_t key, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int s;
	int ret;

	do {
		s = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
		ret = (s & 1) ? -EAGAIN : radix_lookup(r, key, &v);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((s & 1) || LOAD(&t->seq) != s);
	if (!ret)
		*out = v;
	return ret;
}

VFIOX_HOT int vfiox_dma_table_translate(const struct dma_table *t, uint64_t vaddr,
			uint64_t *iova)
{
	return lookup(t, &t->by_va, vaddr, iova);
}

VFIOX_HOT int vfiox_dma_table_reverse(const struct dma_table *t, uint64_t iova,
		      uint64_t *vaddr)
{
	return lookup(t, &t->by_iova, iova, vaddr);
}
