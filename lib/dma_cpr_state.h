/* SPDX-License-Identifier: MIT */
/*
 * The live update (CPR) state that vfiox_dma_save() writes and
 * vfiox_dma_restore() reads (lib/dma_cpr_state.c): a fixed little-endian
 * layout that outlives a libvfiox build, its compatibility rules in
 * include/vfiox/dma.h. Pure encoding: no container, no syscall, no lock;
 * the DMA engine (dma_cpr.c) decides what goes in and what a state must
 * match.
 *
 * Layout, format version 1 (byte offsets, every integer little-endian):
 *   header, hdr_size bytes (64 in version 1):
 *     0 magic "VFIOXCPR"      8 version           12 byte order 0x01020304
 *    16 hdr_size             20 rec_size          24 flags (must understand)
 *    28 hints (may ignore)   32 count             36 CRC-32 of the whole
 *                                                    state, this field as 0
 *    40 page (u64)           48 iommu_type        52 backend
 *    56 kernel_avail         60 reserved (0)
 *   then count records of rec_size bytes (32 in version 1):
 *     0 vaddr (u64)   8 iova (u64)   16 len (u64)   24 flags   28 reserved
 */
#ifndef VFIOX_DMA_CPR_STATE_H
#define VFIOX_DMA_CPR_STATE_H

#include <stddef.h>
#include <stdint.h>

#define CPR_STATE_VERSION 1
#define CPR_STATE_HDR_SIZE 64
#define CPR_STATE_REC_SIZE 32
#define CPR_BACKEND_TYPE1 1		/* a VFIO container, type1 IOMMU */
#define CPR_AVAIL_UNKNOWN UINT32_MAX	/* the kernel reports no dma_avail */
#define CPR_HINT_DIRTY 1u		/* dirty page tracking was started */

/* The header, in host order; @records points into the state. */
struct cpr_state {
	uint32_t version, flags, hints, count;
	uint32_t iommu_type, backend, kernel_avail;
	uint64_t page;
	const unsigned char *records;
	size_t rec_size;
};

struct cpr_record {
	uint64_t vaddr, iova, len;
};

/* Bytes of a version 1 state of @count records; 0 if too large for int. */
size_t vfiox_cpr_state_size(uint32_t count);
/* Write @s's header (count, page and the fields it describes) at @buf. */
void vfiox_cpr_state_put_header(void *buf, const struct cpr_state *s);
void vfiox_cpr_state_put_record(void *buf, uint32_t i,
				const struct cpr_record *r);
/* Fill in the checksum of the @size bytes at @buf; last step of a save. */
void vfiox_cpr_state_seal(void *buf, size_t size);
/*
 * Check a state from anyone: its header, size, checksum and every record
 * on its own and against the others (no IOVA overlap). 0 with @s set;
 * -EINVAL for bytes that are not a sound state, -EPROTO for a format
 * version, flag or field this libvfiox does not know; -ENOMEM. Each logs
 * what was wrong.
 */
int vfiox_cpr_state_parse(const void *buf, size_t size, struct cpr_state *s);
/* Record @i of a parsed state. */
void vfiox_cpr_state_record(const struct cpr_state *s, uint32_t i,
			    struct cpr_record *r);

#endif
