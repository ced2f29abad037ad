// SPDX-License-Identifier: MIT
#define LOG_PREFIX "iova"
#include <errno.h>
#include <stdlib.h>

#include "hot.h"
#include "iova.h"

struct iova_node {
	uint64_t start, end;	/* inclusive */
	uint64_t max_len;	/* largest (end - start) in the subtree */
	uint32_t prio;
	struct iova_node *l, *r;
};

static uint32_t next_prio(struct iova_space *s)
{
	/* xorshift64: cheap, deterministic per allocator. */
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return (uint32_t)(s->rng >> 32);
}

/*
 * Recompute @n's subtree maximum from its children; did it change?
 * Inlined: it runs on every level of every walk (hot.h).
 */
VFIOX_INLINE bool update(struct iova_node *n)
{
	uint64_t m = n->end - n->start;
	bool changed;

	if (n->l && n->l->max_len > m)
		m = n->l->max_len;
	if (n->r && n->r->max_len > m)
		m = n->r->max_len;
	changed = n->max_len != m;
	n->max_len = m;
	return changed;
}

/* Split @t into keys < @key and keys >= @key. */
static void split(struct iova_node *t, uint64_t key, struct iova_node **a,
		  struct iova_node **b)
{
	if (!t) {
		*a = *b = NULL;
	} else if (t->start < key) {
		split(t->r, key, &t->r, b);
		update(t);
		*a = t;
	} else {
		split(t->l, key, a, &t->l);
		update(t);
		*b = t;
	}
}

static struct iova_node *merge(struct iova_node *a, struct iova_node *b)
{
	if (!a || !b)
		return a ? a : b;
	if (a->prio > b->prio) {
		a->r = merge(a->r, b);
		update(a);
		return a;
	}
	b->l = merge(a, b->l);
	update(b);
	return b;
}

static struct iova_node *rightmost(struct iova_node *t)
{
	while (t && t->r)
		t = t->r;
	return t;
}

void vfiox_iova_init(struct iova_space *s)
{
	s->root = NULL;
	s->spare = NULL;
	s->rng = 0x9e3779b97f4a7c15ULL;
	s->free_bytes = 0;
	s->cache_len = 0;
	s->cached = 0;
}

static void free_tree(struct iova_node *t)
{
	if (!t)
		return;
	free_tree(t->l);
	free_tree(t->r);
	free(t);
}

void vfiox_iova_destroy(struct iova_space *s)
{
	free_tree(s->root);
	while (s->spare) {
		struct iova_node *n = s->spare;

		s->spare = n->r;
		free(n);
	}
	s->root = NULL;
	s->free_bytes = 0;
	s->cached = 0;
}

/* Nodes churn on every alloc and free: recycle them instead of malloc. */
static void put_node(struct iova_space *s, struct iova_node *n)
{
	n->r = s->spare;
	s->spare = n;
}

static struct iova_node *new_node(struct iova_space *s, uint64_t start,
				  uint64_t end)
{
	struct iova_node *n = s->spare;

	if (n)
		s->spare = n->r;
	else
		n = malloc(sizeof(*n));
	if (!n)
		return NULL;
	n->l = n->r = NULL;
	n->start = start;
	n->end = end;
	n->prio = next_prio(s);
	n->max_len = end - start;	/* no children yet; update() would read it first */
	return n;
}

/*
 * Recompute the subtree facts on the path to the node starting at @key,
 * after that node changed in place without changing the order.
 */
static void refresh_path(struct iova_node *t, uint64_t key)
{
	if (key < t->start)
		refresh_path(t->l, key);
	else if (key > t->start)
		refresh_path(t->r, key);
	update(t);
}

/*
 * The hot paths (alloc from the front of an interval, free next to one)
 * descend once, remember the way down, and refresh it bottom-up without
 * recursion. A treap deeper than this is vanishingly unlikely; should it
 * happen, the path is marked lost and refresh_path() walks it again.
 */
#define PATH_DEPTH 96

struct path {
	struct iova_node *node[PATH_DEPTH];
	int n;			/* -1: lost */
};

static void path_push(struct path *p, struct iova_node *t)
{
	if (p->n >= 0 && p->n < PATH_DEPTH)
		p->node[p->n++] = t;
	else
		p->n = -1;
}

/*
 * Refresh the first @k nodes of @p, the way down to the node at @key.
 * A node whose facts did not change leaves its ancestors' as they were.
 */
VFIOX_INLINE void
refresh(struct iova_space *s, const struct path *p, int k, uint64_t key)
{
	if (p->n < 0) {
		refresh_path(s->root, key);
		return;
	}
	while (k-- && update(p->node[k]))
		;
}

/*
 * The intervals starting at or before @key and after it, with the way
 * down in @p and their depths in it (the count of nodes down to each).
 */
static void neighbours(struct iova_node *t, uint64_t key, struct path *p,
		       struct iova_node **prev, int *prev_k,
		       struct iova_node **next, int *next_k)
{
	*prev = *next = NULL;
	p->n = 0;
	while (t) {
		path_push(p, t);
		if (t->start <= key) {
			*prev = t;
			*prev_k = p->n;
			t = t->r;
		} else {
			*next = t;
			*next_k = p->n;
			t = t->l;
		}
	}
}

/* The common free: it touches one neighbour, which grows in place. */
static bool add_by_growing(struct iova_space *s, uint64_t start, uint64_t end,
			   const struct path *p, struct iova_node *prev,
			   int prev_k, struct iova_node *next, int next_k)
{
	bool to_prev = prev && prev->end + 1 == start;
	bool to_next = next && end != UINT64_MAX && next->start == end + 1;

	if (to_prev == to_next)
		return false;
	if (to_prev) {
		prev->end = end;
		refresh(s, p, prev_k, prev->start);
	} else {
		next->start = start;
		refresh(s, p, next_k, start);
	}
	s->free_bytes += end - start + 1;
	return true;
}

/* The tree half of vfiox_iova_add(). */
int vfiox_iova_add_slow(struct iova_space *s, uint64_t start, uint64_t end)
{
	struct iova_node *lo, *hi, *prev, *next, *n;
	int prev_k = 0, next_k = 0;
	struct path p;

	if (end < start)
		return -EINVAL;
	neighbours(s->root, start, &p, &prev, &prev_k, &next, &next_k);
	if ((prev && prev->end >= start) || (next && next->start <= end))
		return -EEXIST;
	if (add_by_growing(s, start, end, &p, prev, prev_k, next, next_k))
		return 0;
	n = new_node(s, start, end);
	if (!n)
		return -ENOMEM;
	split(s->root, start, &lo, &hi);
	s->free_bytes += end - start + 1;
	/* Absorb touching neighbours so free space stays maximal intervals. */
	if (prev && prev->end + 1 == start) {
		struct iova_node *p;

		split(lo, prev->start, &lo, &p);
		n->start = p->start;
		put_node(s, p);
		update(n);
	}
	if (next && end != UINT64_MAX && next->start == end + 1) {
		struct iova_node *q;

		split(hi, next->start + 1, &q, &hi);
		n->end = q->end;
		put_node(s, q);
		update(n);
	}
	s->root = merge(merge(lo, n), hi);
	return 0;
}

static int tree_reserve(struct iova_space *s, uint64_t start, uint64_t end)
{
	struct iova_node *lo, *mid, *hi, *n, *left = NULL, *right = NULL;

	if (end < start)
		return -EINVAL;
	split(s->root, start == UINT64_MAX ? start : start + 1, &lo, &hi);
	n = rightmost(lo);
	if (!n || n->end < end) {
		s->root = merge(lo, hi);
		return -EBUSY;
	}
	if (n->start < start && !(left = new_node(s, n->start, start - 1)))
		goto nomem;
	if (n->end > end && !(right = new_node(s, end + 1, n->end)))
		goto nomem;
	split(lo, n->start, &lo, &mid);
	put_node(s, mid);
	s->free_bytes -= end - start + 1;
	s->root = merge(merge(merge(lo, left), right), hi);
	return 0;
nomem:
	if (left)
		put_node(s, left);
	s->root = merge(lo, hi);
	return -ENOMEM;
}

static bool fits(const struct iova_node *n, uint64_t len, uint64_t align,
		 uint64_t limit, uint64_t *at)
{
	uint64_t a = (n->start + align - 1) & ~(align - 1);

	if (a < n->start || a > n->end || n->end - a < len - 1)
		return false;
	if (a > limit || limit - a < len - 1)
		return false;
	*at = a;
	return true;
}

/* First fit in address order, pruning subtrees that cannot hold @len. */
static struct iova_node *find(struct iova_node *t, uint64_t len,
			      uint64_t align, uint64_t limit, uint64_t *at)
{
	struct iova_node *r;

	if (!t || t->max_len < len - 1)
		return NULL;
	r = find(t->l, len, align, limit, at);
	if (r)
		return r;
	if (fits(t, len, align, limit, at))
		return t;
	if (t->start > limit)
		return NULL;
	return find(t->r, len, align, limit, at);
}

/*
 * The first interval in address order that is at least @len long, with
 * the way down in @p. Exact subtree maxima make this one descent.
 */
static struct iova_node *first_long_enough(struct iova_node *t, uint64_t len,
					   struct path *p)
{
	p->n = 0;
	while (t && t->max_len >= len - 1) {
		path_push(p, t);
		if (t->l && t->l->max_len >= len - 1)
			t = t->l;
		else if (t->end - t->start >= len - 1)
			return t;
		else
			t = t->r;
	}
	return NULL;
}

static int tree_alloc(struct iova_space *s, uint64_t len, uint64_t align,
		      uint64_t limit, uint64_t *out)
{
	struct iova_node *n;
	struct path p;
	uint64_t at;

	/* Every interval before this one is too short, so if it suits the
	 * alignment and limit it is the first fit; else search in full. */
	n = first_long_enough(s->root, len, &p);
	if (n && !fits(n, len, align, limit, &at)) {
		n = find(s->root, len, align, limit, &at);
		p.n = -1;
	}
	if (!n)
		return -ENOSPC;
	*out = at;
	if (at != n->start || n->end - n->start == len - 1)
		return tree_reserve(s, at, at + len - 1);
	/* The common case: the interval shrinks from its start, in place. */
	n->start += len;
	refresh(s, &p, p.n, n->start);
	s->free_bytes -= len;
	return 0;
}

void vfiox_iova_cache_enable(struct iova_space *s, uint64_t len)
{
	s->cache_len = len;
}

/* Give every cached range back to the tree, where it merges again. */
static int flush_cache(struct iova_space *s)
{
	while (s->cached) {
		uint64_t a = s->cache[s->cached - 1];
		int ret;

		s->free_bytes -= s->cache_len;
		ret = vfiox_iova_add_slow(s, a, a + s->cache_len - 1);
		if (ret) {
			s->free_bytes += s->cache_len;
			return ret;
		}
		s->cached--;
	}
	return 0;
}

int vfiox_iova_reserve(struct iova_space *s, uint64_t start, uint64_t end)
{
	int ret = flush_cache(s);

	return ret ? ret : tree_reserve(s, start, end);
}

/* The tree half of vfiox_iova_alloc(). */
int vfiox_iova_alloc_slow(struct iova_space *s, uint64_t len, uint64_t align,
		    uint64_t limit, uint64_t *out)
{
	int ret;

	if (!len || !align || (align & (align - 1)))
		return -EINVAL;
	ret = tree_alloc(s, len, align, limit, out);
	/* Cached ranges may be what the tree lacks: merged back, they can
	 * make a longer interval or one below the limit. */
	if (ret == -ENOSPC && s->cached && !flush_cache(s))
		ret = tree_alloc(s, len, align, limit, out);
	return ret;
}

static uint64_t count(const struct iova_node *t)
{
	return t ? 1 + count(t->l) + count(t->r) : 0;
}

uint64_t vfiox_iova_nr_intervals(const struct iova_space *s)
{
	return count(s->root) + s->cached;
}
