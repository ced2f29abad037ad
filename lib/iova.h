/* SPDX-License-Identifier: MIT */
/*
 * IOVA allocator: the free IOVA space as disjoint intervals in a treap keyed
 * by start, each node also knowing the largest interval in its subtree, so
 * first-fit below a limit is O(log n) expected: subtrees too short are
 * skipped, and so is everything right of a node that starts above the limit.
 * Not thread-safe: the DMA engine calls it under its mutex.
 */
#ifndef VFIOX_IOVA_H
#define VFIOX_IOVA_H

#include <stdbool.h>
#include <stdint.h>

struct iova_node;

struct iova_space {
	struct iova_node *root;
	struct iova_node *spare;	/* freed nodes kept for reuse */
	uint64_t rng;		/* treap priorities; per allocator, no globals */
	uint64_t free_bytes;
};

void iova_init(struct iova_space *s);
void iova_destroy(struct iova_space *s);

/* Add [start, end] (inclusive) to the free space, merging neighbours.
 * Return: 0, -EEXIST if any of it is already free, -ENOMEM. */
int iova_add(struct iova_space *s, uint64_t start, uint64_t end);

/* Take [start, end] out of the free space; all of it must be free.
 * Return: 0, -EBUSY if any byte is not free, -ENOMEM. */
int iova_reserve(struct iova_space *s, uint64_t start, uint64_t end);

/* Lowest @len bytes aligned to @align (a power of two) ending at or below
 * @limit. Return: 0 with *@out set, -ENOSPC, -ENOMEM. */
int iova_alloc(struct iova_space *s, uint64_t len, uint64_t align,
	       uint64_t limit, uint64_t *out);

/* Number of free intervals (for tests and stats). */
uint64_t iova_nr_intervals(const struct iova_space *s);

#endif
