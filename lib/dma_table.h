/* SPDX-License-Identifier: MIT */
/*
 * The DMA mapping table: two radix trees shaped like page tables, one keyed
 * by vaddr and one by IOVA, behind a sequence lock. A slot holds nothing, a
 * child node, or a block: the whole slot span belongs to one mapping and the
 * slot stores the distance to the other address space, so a lookup is a
 * handful of dependent loads and never touches the entry itself.
 *
 * Writers (serialised by the caller's mutex) make the sequence odd while
 * they change slots; readers never wait, they retry when it moved. Nodes
 * stay in the tree until the table is destroyed, so a reader holding a stale
 * pointer still reads a node, and the footprint is the peak one.
 *
 * Mappings may share vaddrs (aliases: one buffer at several IOVAs), never
 * IOVAs. A vaddr slot belongs to the oldest live mapping that covers it;
 * a mapping inserted over taken vaddr slots is an alias and also goes on
 * the alias list (oldest first), from which a removed mapping's vaddr
 * slots are handed on. So translate gives the oldest mapping of a vaddr,
 * and the cost of aliases is paid only by removals, while any exist: each
 * removal, a one-page per-I/O unmap included, walks the whole alias list
 * (a few ROM aliases: nothing; thousands of aliases with per-I/O unmaps
 * would want an interval index).
 */
#ifndef VFIOX_DMA_TABLE_H
#define VFIOX_DMA_TABLE_H

#include <stdbool.h>
#include <stdint.h>

struct vfiox_dma_owner;

struct dma_entry {
	uint64_t vaddr;
	uint64_t iova;
	uint64_t len;
	struct dma_entry *prev, *next;	/* writer side: every live entry */
	struct vfiox_dma_owner *owner;	/* the DMA engine's; opaque here */
	bool read_only;			/* the device may not write it */
	bool alias;			/* on the alias list */
	struct dma_entry *alias_prev, *alias_next;
};

struct radix_node;

struct radix {
	struct radix_node *root;
	int top;			/* level of the root; -1 when empty */
	struct radix_node *leaf;	/* writer side: last leaf walked */
	uint64_t leaf_key;		/* its key >> (12 + 9) */
};

struct dma_table {
	unsigned int seq;
	struct radix by_va;
	struct radix by_iova;
	struct dma_entry *entries;
	struct dma_entry *spare;	/* removed entries kept for reuse */
	struct dma_entry *aliases, *aliases_tail;	/* oldest first */
	uint32_t n;
	struct radix_node *nodes;	/* every node, for destroy */
};

void vfiox_dma_table_init(struct dma_table *t);
void vfiox_dma_table_destroy(struct dma_table *t);

/*
 * Writer side (caller holds the DMA mutex). Insert copies the address
 * fields, read_only and the owner of @e and, when @out is given, returns the live
 * entry; -EEXIST when its IOVA range overlaps a live entry (a vaddr
 * overlap makes an alias). Remove takes a live entry.
 */
int vfiox_dma_table_insert(struct dma_table *t, const struct dma_entry *e,
		     const struct dma_entry **out);
void vfiox_dma_table_remove(struct dma_table *t, const struct dma_entry *e);
void vfiox_dma_table_clear(struct dma_table *t);
/*
 * The lowest entry overlapping [start, start + len) by vaddr (of a vaddr
 * with aliases: its oldest mapping) / by IOVA.
 */
const struct dma_entry *vfiox_dma_table_find_va(struct dma_table *t,
					  uint64_t start, uint64_t len);
const struct dma_entry *vfiox_dma_table_find_iova(struct dma_table *t,
					    uint64_t start, uint64_t len);

/* Reader side: lock-free. 0 or -ENOENT. */
int vfiox_dma_table_translate(const struct dma_table *t, uint64_t vaddr,
			uint64_t *iova);
int vfiox_dma_table_reverse(const struct dma_table *t, uint64_t iova,
		      uint64_t *vaddr);

#endif
