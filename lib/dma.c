// SPDX-License-Identifier: MIT
/*
 * The DMA map/unmap engine: every mapping of a container, kept in the DMA
 * table (dma_table.c) for lock-free translation, with its IOVA taken from
 * the container's IOVA space (iova_space.c), and the kernel asked through
 * the syscall seam; the unmap side is dma_unmap.c. An entry may have an
 * owner (dma_internal.h) that the engine releases when the entry is gone;
 * it knows nothing else about who maps through it.
 */
#define LOG_PREFIX "dma"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dma_internal.h"
#include "hot.h"
#include "uapi_ext.h"

int vfiox_dma_init(struct vfiox_container *c)
{
	struct vfiox_dma *dma = calloc(1, sizeof(*dma));

	if (!dma)
		return -ENOMEM;
	vfiox_dma_table_init(&dma->table);
	vfiox_iova_init(&dma->space);
	dma->min_page = 4096;
	dma->unmap_all = -1;
	dma->lock = (struct vfiox_lock)VFIOX_LOCK_INIT;
	c->dma = dma;
	return 0;
}

/* Every entry's owner, and every revoked one's, is released. */
static void release_all_owners(struct vfiox_dma *dma)
{
	const struct dma_entry *e;

	for (e = dma->table.entries; e; e = e->next)
		if (e->owner)
			e->owner->release(e->owner);
	while (dma->revoked) {
		struct vfiox_dma_owner *o = dma->revoked;

		dma->revoked = o->next;
		o->release(o);
	}
}

void vfiox_dma_fini(struct vfiox_container *c)
{
	struct vfiox_dma *dma = c->dma;

	if (!dma)
		return;
	release_all_owners(dma);
	vfiox_dma_table_destroy(&dma->table);
	vfiox_iova_space_clear(dma);
	free(dma);
	c->dma = NULL;
}

void vfiox_dma_drop_all(struct vfiox_container *c)
{
	struct vfiox_dma *dma = c->dma;

	vfiox_lock(&dma->lock);
	if (dma->entries_used)
		pr_info("last group detached: the kernel dropped %u mappings",
			dma->entries_used);
	release_all_owners(dma);
	vfiox_dma_table_clear(&dma->table);
	vfiox_iova_space_clear(dma);
	dma->entries_used = 0;
	dma->entries_limit = 0;
	dma->mapped_bytes = 0;
	dma->unmap_all = -1;	/* the next IOMMU driver may differ */
	dma->dirty = false;	/* it went with the IOMMU */
	dma->vaddrs_invalid = false;	/* and so did every mapping */
	vfiox_unlock(&dma->lock);
}

/* A new mapping reuses [iova, +len): revoked entries there are history. */
static void release_revoked_in(struct vfiox_dma *dma, uint64_t iova,
			       uint64_t len)
{
	struct vfiox_dma_owner **pp = &dma->revoked;

	while (*pp) {
		struct vfiox_dma_owner *o = *pp;

		if (o->iova < iova + len && iova < o->iova + o->len) {
			*pp = o->next;
			o->release(o);
		} else {
			pp = &o->next;
		}
	}
}

void vfiox_dma_release_revoked_locked(struct vfiox_container *c,
				      struct vfiox_dma_owner *o)
{
	struct vfiox_dma_owner **pp;

	for (pp = &c->dma->revoked; *pp; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			o->release(o);
			return;
		}
	}
}

VFIOX_INLINE int
check_args(const struct vfiox_container *c, uint64_t va, uint64_t len,
	   uint64_t iova, bool fixed)
{
	uint64_t page = c->dma->min_page;

	if (!len || (va | len) & (page - 1) || va + len < va ||
	    (fixed && (iova & (page - 1) || iova + len - 1 < iova))) {
		pr_err("map of 0x%llx bytes at vaddr 0x%llx%s: zero, not %llu-byte aligned, or wrapping",
		       (unsigned long long)len, (unsigned long long)va,
		       fixed ? " (fixed IOVA)" : "", (unsigned long long)page);
		return -EINVAL;
	}
	if (!c->iommu_type) {
		pr_err("map: no group attached to the container");
		return -ENODEV;
	}
	return 0;
}

/* Largest IOMMU page size that is not larger than the buffer. */
static uint64_t default_align(const struct vfiox_container *c, uint64_t len)
{
	uint64_t sizes = c->info.pgsizes ? c->info.pgsizes : c->dma->min_page;
	uint64_t fit;

	if (len <= c->dma->min_page)	/* the per-I/O page: skip the bit work */
		return c->dma->min_page;
	/* Every power of two up to the highest one in @len. */
	fit = sizes & ((2ULL << (63 - __builtin_clzll(len))) - 1);
	return fit ? 1ULL << (63 - __builtin_clzll(fit)) : c->dma->min_page;
}

static int pick_iova(struct vfiox_container *c, uint64_t len,
		     const struct vfiox_dma_opts *opts, uint64_t *iova)
{
	uint64_t align = default_align(c, len), limit = UINT64_MAX;
	int ret;

	if (VFIOX_OPTS_HAS(opts, align) && opts->align) {
		if (opts->align & (opts->align - 1)) {
			pr_err("map: alignment 0x%llx is not a power of two",
			       (unsigned long long)opts->align);
			return -EINVAL;
		}
		if (opts->align > align)
			align = opts->align;
	}
	if (VFIOX_OPTS_HAS(opts, iova_limit) && opts->iova_limit)
		limit = opts->iova_limit;
	ret = vfiox_iova_alloc(&c->dma->space, len, align, limit, iova);
	if (ret == -ENOSPC)
		pr_err("map: no free IOVA range of 0x%llx bytes (align 0x%llx) at or below 0x%llx",
		       (unsigned long long)len, (unsigned long long)align,
		       (unsigned long long)limit);
	return ret;
}

static int claim_fixed(struct vfiox_container *c, uint64_t iova, uint64_t len)
{
	const struct vfiox_resv_region *r;
	const struct dma_entry *e;
	int ret = vfiox_iova_reserve(&c->dma->space, iova, iova + len - 1);

	if (ret != -EBUSY)
		return ret;
	r = c->allow_relaxable ? NULL :
		vfiox_iova_space_relaxable_at(c->dma, iova, len);
	if (r) {
		pr_err("map: IOVA [0x%llx, +0x%llx) overlaps direct-relaxable region [0x%llx, 0x%llx] of group %d, which a device may still DMA to; open the container with allow_relaxable to map there",
		       (unsigned long long)iova, (unsigned long long)len,
		       (unsigned long long)r->start,
		       (unsigned long long)r->end, r->group);
		return -EPERM;
	}
	e = vfiox_dma_table_find_iova(&c->dma->table, iova, len);
	if (e) {
		pr_err("map: IOVA [0x%llx, +0x%llx) overlaps the mapping at 0x%llx",
		       (unsigned long long)iova, (unsigned long long)len,
		       (unsigned long long)e->iova);
		return -EEXIST;
	}
	pr_err("map: IOVA [0x%llx, +0x%llx) leaves the usable IOVA ranges or touches a reserved region",
	       (unsigned long long)iova, (unsigned long long)len);
	return -EINVAL;
}

VFIOX_INLINE int
kernel_map(struct vfiox_container *c, uint64_t va, uint64_t len, uint64_t iova,
	   const struct vfiox_dma_opts *opts, struct vfiox_dma_owner *owner)
{
	unsigned int flags = c->dma->iopf ? VFIOX_BE_MAP_IOPF : 0;

	if (!(VFIOX_OPTS_HAS(opts, read_only) && opts->read_only))
		flags |= VFIOX_BE_MAP_WRITE;
	if (owner && owner->map)
		return owner->map(owner, c, iova, len, flags);
	return c->backend->map(c, va, len, iova, flags);
}

/*
 * The table entry goes in before the kernel is asked: inserting is also the
 * IOVA overlap check (a vaddr overlap is an alias, which type1 allows), one
 * walk instead of two on the hot path. A translate racing
 * with this map may see the IOVA a moment early; it is only valid for the
 * caller once the map returned, as before.
 * Like the rest of the map and unmap paths, it is inlined into the public
 * calls (hot.h says why).
 */
VFIOX_INLINE int
map_locked(struct vfiox_container *c, uint64_t va, uint64_t len, bool fixed,
	   uint64_t *iova, const struct vfiox_dma_opts *opts,
	   struct vfiox_dma_owner *owner)
{
	struct vfiox_dma *dma = c->dma;
	const struct dma_entry *live;
	struct dma_entry e;
	int ret;

	if (dma->entries_used >= dma->entries_limit || dma->vaddrs_invalid) {
		if (dma->vaddrs_invalid) {
			pr_err("map: the vaddrs are invalidated for a live update; vfiox_dma_revalidate_vaddrs() or restore first");
			return -EBUSY;
		}
		pr_err("map: all %u kernel DMA entries are in use (dma_avail); unmap or pool buffers",
		       dma->entries_used);
		return -ENOSPC;
	}
	ret = fixed ? claim_fixed(c, *iova, len) : pick_iova(c, len, opts, iova);
	if (ret)
		return ret;
	e = (struct dma_entry){ .vaddr = va, .iova = *iova, .len = len,
				.owner = owner,
				.read_only = VFIOX_OPTS_HAS(opts, read_only) && opts->read_only };
	ret = vfiox_dma_table_insert(&dma->table, &e, &live);
	if (ret == -EEXIST)	/* the IOVA space and the table disagree */
		pr_err("map: IOVA [0x%llx, +0x%llx) is already in the mapping table",
		       (unsigned long long)*iova, (unsigned long long)len);
	if (!ret) {
		ret = kernel_map(c, va, len, *iova, opts, owner);
		if (ret)
			vfiox_dma_table_remove(&dma->table, live);
	}
	if (ret) {
		/* Give the IOVA back: the table is exactly as before. */
		vfiox_iova_add(&dma->space, *iova, *iova + len - 1);
		return ret;
	}
	dma->entries_used++;
	dma->mapped_bytes += len;
	if (dma->revoked)
		release_revoked_in(dma, *iova, len);
	return 0;
}

VFIOX_INLINE int
check_map(struct vfiox_container *c, void *vaddr, size_t len, bool fixed,
	  uint64_t *iova, const struct vfiox_dma_opts *opts)
{
	int ret;

	if (!c || !iova)
		return -EINVAL;
	ret = VFIOX_OPTS_CHECK(opts, vfiox_dma_opts);
	return ret ? ret : check_args(c, (uintptr_t)vaddr, len, *iova, fixed);
}

VFIOX_INLINE int
map_common(struct vfiox_container *c, void *vaddr, size_t len, bool fixed,
	   uint64_t *iova, const struct vfiox_dma_opts *opts)
{
	int ret = check_map(c, vaddr, len, fixed, iova, opts);

	if (ret)
		return ret;
	vfiox_lock(&c->dma->lock);
	ret = map_locked(c, (uintptr_t)vaddr, len, fixed, iova, opts, NULL);
	vfiox_unlock(&c->dma->lock);
	return ret;
}

int vfiox_dma_map_owned_locked(struct vfiox_container *c, void *vaddr,
			       size_t len, bool fixed, uint64_t *iova,
			       const struct vfiox_dma_opts *opts,
			       struct vfiox_dma_owner *owner)
{
	int ret = check_map(c, vaddr, len, fixed, iova, opts);

	return ret ? ret : map_locked(c, (uintptr_t)vaddr, len, fixed, iova,
				      opts, owner);
}

VFIOX_API VFIOX_HOT int vfiox_dma_map(struct vfiox_container *c, void *vaddr,
			    size_t len, const struct vfiox_dma_opts *opts,
			    uint64_t *iova)
{
	return map_common(c, vaddr, len, false, iova, opts);
}

VFIOX_API int vfiox_dma_map_fixed(struct vfiox_container *c, void *vaddr,
				  size_t len, uint64_t iova,
				  const struct vfiox_dma_opts *opts)
{
	return map_common(c, vaddr, len, true, &iova, opts);
}

VFIOX_API int vfiox_dma_map_identity(struct vfiox_container *c,
				     const struct vfiox_iova_range *r,
				     void *vaddr,
				     const struct vfiox_dma_opts *opts)
{
	uint64_t iova;

	if (!c || !r || r->end < r->start || r->end - r->start == UINT64_MAX) {
		pr_err("map_identity: NULL argument or inverted range");
		return -EINVAL;
	}
	if (!c->allow_relaxable) {
		pr_err("map_identity: [0x%llx, 0x%llx] is direct-relaxable; open the container with allow_relaxable first",
		       (unsigned long long)r->start, (unsigned long long)r->end);
		return -EPERM;
	}
	if (!vfiox_iova_space_is_identity(c, r)) {
		pr_err("map_identity: [0x%llx, 0x%llx] is not one of vfiox_dma_identity_regions()",
		       (unsigned long long)r->start, (unsigned long long)r->end);
		return -EINVAL;
	}
	iova = r->start;
	return map_common(c, vaddr, r->end - r->start + 1, true, &iova, opts);
}

VFIOX_API VFIOX_HOT int vfiox_dma_translate(const struct vfiox_container *c,
				  const void *vaddr, uint64_t *iova)
{
	if (!c || !iova)
		return -EINVAL;
	return vfiox_dma_table_translate(&c->dma->table, (uintptr_t)vaddr, iova);
}

/* Append the IOVA of @va in @e, if @e maps it, to @iovas (counting on past
 * @max). */
static void add_iova(const struct dma_entry *e, uint64_t va, uint64_t *iovas,
		     size_t max, size_t *n)
{
	if (va - e->vaddr >= e->len)
		return;
	if (*n < max)
		iovas[*n] = e->iova + (va - e->vaddr);
	(*n)++;
}

VFIOX_API int vfiox_dma_translate_all(struct vfiox_container *c,
				      const void *vaddr, uint64_t *iovas,
				      size_t max)
{
	uint64_t va = (uintptr_t)vaddr;
	const struct dma_entry *first, *a;
	size_t n = 0;

	if (!c || (max && !iovas)) {
		pr_err("translate_all: NULL container, or NULL array of %zu", max);
		return -EINVAL;
	}
	vfiox_lock(&c->dma->lock);
	/*
	 * The oldest mapping owns the vaddr in the table; any other one that
	 * maps it was an alias when it was made, and the alias list is in
	 * mapping order.
	 */
	first = vfiox_dma_table_find_va(&c->dma->table, va, 1);
	if (first) {
		add_iova(first, va, iovas, max, &n);
		for (a = c->dma->table.aliases; a; a = a->alias_next)
			if (a != first)
				add_iova(a, va, iovas, max, &n);
	}
	vfiox_unlock(&c->dma->lock);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

VFIOX_API VFIOX_HOT int vfiox_dma_reverse(const struct vfiox_container *c, uint64_t iova,
				void **vaddr)
{
	uint64_t va;
	int ret;

	if (!c || !vaddr)
		return -EINVAL;
	ret = vfiox_dma_table_reverse(&c->dma->table, iova, &va);
	if (!ret)
		*vaddr = (void *)(uintptr_t)va;
	return ret;
}

bool vfiox_dma_allows(struct vfiox_container *c, uint64_t iova, bool write)
{
	const struct dma_entry *e;
	bool ok;

	vfiox_lock(&c->dma->lock);
	e = vfiox_dma_table_find_iova(&c->dma->table, iova, 1);
	/* An entry overlapping [iova, iova + 1) holds iova */
	ok = e && !(write && e->read_only);
	vfiox_unlock(&c->dma->lock);
	return ok;
}

VFIOX_API int vfiox_dma_stats(struct vfiox_container *c,
			      struct vfiox_dma_stats *stats)
{
	struct vfiox_dma_stats now = { .sz = sizeof(now) };

	if (!c || !stats)
		return -EINVAL;
	vfiox_lock(&c->dma->lock);
	now.entries_used = c->dma->entries_used;
	now.entries_avail = c->dma->entries_limit - c->dma->entries_used;
	now.mapped_bytes = c->dma->mapped_bytes;
	vfiox_unlock(&c->dma->lock);
	return VFIOX_COPY_OUT(stats, &now, vfiox_dma_stats);
}

VFIOX_API int vfiox_dma_avail_check(struct vfiox_container *c,
				    uint32_t *kernel, uint32_t *ours)
{
	int ret;

	if (!c || !kernel || !ours)
		return -EINVAL;
	/* Under the lock: no map of ours lands between the two reads. */
	vfiox_lock(&c->dma->lock);
	ret = vfiox_container_read_dma_avail(c, kernel);
	if (!ret)	/* a refused check leaves the caller's *ours alone */
		*ours = c->dma->entries_limit - c->dma->entries_used;
	vfiox_unlock(&c->dma->lock);
	if (ret)
		return ret;
	if (*kernel == *ours)
		return 0;
	pr_warn("dma_avail: the kernel has %u mapping entries left, libvfiox counts %u: another user of this container fd, or a revoked mapping libvfiox has not heard of",
		*kernel, *ours);
	return 1;
}
