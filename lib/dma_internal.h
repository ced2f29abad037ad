/* SPDX-License-Identifier: MIT */
/*
 * Inside the DMA engine: its per-container state and the calls made under
 * its lock. Included by the engine's own files (dma.c and dma_unmap.c, the
 * map/unmap engine; iova_space.c, the IOVA space) and by the few that must
 * act in one step with a map or unmap: p2p.c (a P2P mapping owns its DMA entry)
 * and iopf.c (the switch to IOPF mode must not race a first map). Every
 * other file uses the public vfiox_dma_*() calls and the life cycle in
 * internal.h.
 */
#ifndef VFIOX_DMA_INTERNAL_H
#define VFIOX_DMA_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "dma_table.h"
#include "internal.h"
#include "iova.h"
#include "lock.h"

/*
 * Something that lives and dies with a DMA entry, such as the record of a
 * P2P mapping. The engine never looks inside it: it calls @release, under
 * the DMA lock, once the entry is gone for good, and @release must not call
 * back into the engine. "Gone for good" is: unmapped; dropped with every
 * other entry when the last group left or the container closes; or, for an
 * entry the kernel revoked (vfiox_dma_revoke_locked()), when a new mapping
 * reuses any of its IOVA range or the owner lets go of it
 * (vfiox_dma_release_revoked_locked()).
 */
struct vfiox_dma_owner {
	void (*release)(struct vfiox_dma_owner *o);
	/* NULL, or the kernel call that maps the entry in place of the
	 * backend's map of its vaddr (a P2P dma-buf): 0 or -errno, called
	 * under the DMA lock with VFIOX_BE_MAP_* @flags. */
	int (*map)(struct vfiox_dma_owner *o, struct vfiox_container *c,
		   uint64_t iova, uint64_t len, unsigned int flags);
	/* The engine's, while the owned entry is revoked: */
	uint64_t iova, len;
	struct vfiox_dma_owner *next;
};

/* The DMA engine's state, one per container. */
struct vfiox_dma {
	struct vfiox_lock lock;	/* serialises map/unmap/rebuild */
	struct dma_table table;
	uint32_t entries_limit;	/* kernel entries we may use in total */
	uint32_t entries_used;
	uint64_t mapped_bytes;
	bool iopf;		/* IOPF mode: maps carry VFIOX_DMA_MAP_FLAG_IOPF */
	int unmap_all;		/* VFIO_UNMAP_ALL: 1 has it, 0 not, -1 not asked */
	bool dirty;		/* dirty page tracking started (dma_dirty.c) */
	bool vaddrs_invalid;	/* invalidated for a live update (dma_cpr.c):
				 * no map until they are given back */
	struct vfiox_dma_owner *revoked;	/* owners of revoked entries */
	/* The IOVA space (iova_space.c): */
	struct iova_space space;	/* the free part of it */
	uint64_t min_page;
	struct vfiox_resv_region *relaxable;	/* sorted by start */
	int nr_relaxable;
};

/*
 * The map/unmap engine (lib/dma.c, lib/dma_unmap.c), for callers that hold
 * dma->lock.
 * vfiox_dma_map() or vfiox_dma_map_fixed() (@fixed) with @owner, may be
 * NULL, bound to the new entry.
 */
int vfiox_dma_map_owned_locked(struct vfiox_container *c, void *vaddr,
			       size_t len, bool fixed, uint64_t *iova,
			       const struct vfiox_dma_opts *opts,
			       struct vfiox_dma_owner *owner);
/* vfiox_dma_unmap_iova() for a caller that holds dma->lock. */
int vfiox_dma_unmap_iova_locked(struct vfiox_container *c, uint64_t iova,
				uint64_t len);
/*
 * The whole mappings in [iova, iova + len) (lib/dma_unmap.c): their number
 * and bytes, -EINVAL (logged) if one crosses either end, -ENOENT for none. Unmap them in one kernel call, with @bitmap (NULL for none)
 * filled with their dirty pages: the number removed or an errno.
 */
int vfiox_dma_range_entries_locked(struct vfiox_container *c, uint64_t iova,
				   uint64_t len, uint64_t *bytes);
int vfiox_dma_unmap_range_locked(struct vfiox_container *c, uint64_t iova,
				 uint64_t len, const struct vfio_bitmap *bitmap);
/* Does the kernel take VFIO_DMA_UNMAP_FLAG_ALL? 1, 0 or an errno; asked
 * once per IOMMU. */
int vfiox_dma_has_unmap_all_locked(struct vfiox_container *c);
/*
 * The kernel removed the mapping at exactly [iova, iova + len) by itself:
 * drop it from libvfiox's books only, and keep its owner, if any, on the
 * revoked list until its IOVA is reused. 0 or -ENOENT.
 */
int vfiox_dma_revoke_locked(struct vfiox_container *c, uint64_t iova,
			    uint64_t len);
/* The owner of a revoked entry lets go of it: @o leaves the revoked list
 * and is released now. */
void vfiox_dma_release_revoked_locked(struct vfiox_container *c,
				      struct vfiox_dma_owner *o);

/*
 * The IOVA space (lib/iova_space.c), under dma->lock: the first relaxable
 * region that [iova, iova + len) touches, or NULL; and its teardown (the
 * free space and the relaxable regions).
 */
const struct vfiox_resv_region *
vfiox_iova_space_relaxable_at(const struct vfiox_dma *dma, uint64_t iova,
			      uint64_t len);
void vfiox_iova_space_clear(struct vfiox_dma *dma);
/* Is @r exactly one of vfiox_dma_identity_regions()? Takes dma->lock. */
bool vfiox_iova_space_is_identity(struct vfiox_container *c,
				  const struct vfiox_iova_range *r);

#endif
