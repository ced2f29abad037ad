/* SPDX-License-Identifier: MIT */
/*
 * IOVA allocator: the free IOVA space as disjoint intervals in a treap keyed
 * by start, each node also knowing the largest interval in its subtree, so
 * first-fit below a limit is O(log n) expected: subtrees too short are
 * skipped, and so is everything right of a node that starts above the limit.
 *
 * Optionally (vfiox_iova_cache_enable), freed ranges of one size, the DMA engine's
 * page, go to a small last-in, first-out cache instead of the tree, and an
 * alloc of that size takes the last one back when it suits the alignment
 * and limit: a map and unmap per I/O then cost a few instructions here,
 * not two tree walks. Cached ranges count as free; a reserve, or an alloc
 * the tree cannot serve, first gives them all back to the tree. The cache
 * does not check what it is given: a range freed twice is not detected.
 *
 * Not thread-safe: the DMA engine calls it under its lock.
 */
#ifndef VFIOX_IOVA_H
#define VFIOX_IOVA_H

#include <stdbool.h>
#include <stdint.h>

struct iova_node;

#define IOVA_CACHE_SIZE 1024

struct iova_space {
	struct iova_node *root;
	struct iova_node *spare;	/* freed nodes kept for reuse */
	uint64_t rng;		/* treap priorities; per allocator, no globals */
	uint64_t free_bytes;	/* in the tree and in the cache */
	uint64_t cache_len;	/* 0: no cache */
	uint32_t cached;
	uint64_t cache[IOVA_CACHE_SIZE];
};

void vfiox_iova_init(struct iova_space *s);
void vfiox_iova_destroy(struct iova_space *s);

int vfiox_iova_add_slow(struct iova_space *s, uint64_t start, uint64_t end);
int vfiox_iova_alloc_slow(struct iova_space *s, uint64_t len, uint64_t align,
		    uint64_t limit, uint64_t *out);

/*
 * Add [start, end] (inclusive) to the free space, merging neighbours.
 * Return: 0, -EEXIST if any of it is already free, -ENOMEM. A range the
 * cache takes is not checked (see above). The cache halves are inline:
 * they are the whole of a per-I/O map's allocator work.
 */
static inline int vfiox_iova_add(struct iova_space *s, uint64_t start, uint64_t end)
{
	if (s->cache_len && end - start + 1 == s->cache_len &&
	    s->cached < IOVA_CACHE_SIZE) {
		s->cache[s->cached++] = start;
		s->free_bytes += s->cache_len;
		return 0;
	}
	return vfiox_iova_add_slow(s, start, end);
}

/* Take [start, end] out of the free space; all of it must be free.
 * Return: 0, -EBUSY if any byte is not free, -ENOMEM. */
int vfiox_iova_reserve(struct iova_space *s, uint64_t start, uint64_t end);

/*
 * Lowest @len bytes aligned to @align (a power of two) ending at or below
 * @limit, or the last cached range when it suits (the cache is not
 * searched). Return: 0 with *@out set, -EINVAL, -ENOSPC, -ENOMEM.
 */
static inline int vfiox_iova_alloc(struct iova_space *s, uint64_t len,
			     uint64_t align, uint64_t limit, uint64_t *out)
{
	uint64_t a;

	if (!s->cached || len != s->cache_len || !align ||
	    align & (align - 1))
		return vfiox_iova_alloc_slow(s, len, align, limit, out);
	a = s->cache[s->cached - 1];
	if (a & (align - 1) || a > limit || limit - a < len - 1)
		return vfiox_iova_alloc_slow(s, len, align, limit, out);
	s->cached--;
	s->free_bytes -= len;
	*out = a;
	return 0;
}

/* Cache freed ranges of exactly @len bytes (see above); call it before
 * the first free. */
void vfiox_iova_cache_enable(struct iova_space *s, uint64_t len);

/* Number of free intervals, each cached range counted as one (for tests
 * and stats). */
uint64_t vfiox_iova_nr_intervals(const struct iova_space *s);

#endif
