/* SPDX-License-Identifier: MIT */
/*
 * The DMA mapping table: two sorted arrays of the same entries, one by
 * vaddr and one by IOVA, behind a sequence lock. Writers (serialised by the
 * caller's mutex) make the sequence odd while they change the arrays;
 * readers never wait, they re-read when the sequence moved. Arrays replaced
 * on growth are kept until the table is destroyed, so a reader holding an
 * old pointer still reads valid memory; growth doubles, so they cost at most
 * as much as the live arrays.
 */
#ifndef VFIOX_DMA_TABLE_H
#define VFIOX_DMA_TABLE_H

#include <stdbool.h>
#include <stdint.h>

struct dma_entry {
	uint64_t vaddr;
	uint64_t iova;
	uint64_t len;
};

/*
 * One sorted view: the keys alone (dense, for the search) and the entries in
 * the same order. Views are replaced whole on growth, by one pointer store.
 */
struct dma_view {
	uint64_t *keys;
	struct dma_entry *ents;
};

struct dma_table {
	unsigned int seq;
	struct dma_view *by_va;
	struct dma_view *by_iova;
	uint32_t n;
	uint32_t cap;
	void **retired;
	uint32_t nr_retired;
};

void dma_table_init(struct dma_table *t);
void dma_table_destroy(struct dma_table *t);

/* Writer side (caller holds the DMA mutex). */
int dma_table_insert(struct dma_table *t, const struct dma_entry *e);
void dma_table_remove(struct dma_table *t, const struct dma_entry *e);
void dma_table_clear(struct dma_table *t);
/* An entry overlapping [start, start + len) by vaddr / by IOVA, if any. */
bool dma_table_overlap_va(const struct dma_table *t, uint64_t start,
			  uint64_t len, struct dma_entry *out);
bool dma_table_overlap_iova(const struct dma_table *t, uint64_t start,
			    uint64_t len, struct dma_entry *out);

/* Reader side: lock-free. 0 or -ENOENT. */
int dma_table_translate(const struct dma_table *t, uint64_t vaddr,
			uint64_t *iova);
int dma_table_reverse(const struct dma_table *t, uint64_t iova,
		      uint64_t *vaddr);

#endif
