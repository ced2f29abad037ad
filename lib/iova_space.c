// SPDX-License-Identifier: MIT
/*
 * The container's IOVA space: the usable IOVA ranges the kernel reports,
 * minus the reserved regions of every attached group, as the free space of
 * the allocator (iova.c) that the map engine (dma.c) takes IOVAs from; and
 * the direct-relaxable regions, which are holes too unless the container
 * allows them, and from which the identity regions are made. Rebuilt on
 * every attach and detach, under the DMA lock.
 */
#define LOG_PREFIX "dma"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dma_internal.h"

static int cmp_start(const void *a, const void *b)
{
	const struct vfiox_resv_region *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * The reserved regions of every attached group, sorted by start, split into
 * IOVA holes (*@holes) and the direct-relaxable ones (*@relaxable), which are
 * holes too unless the caller allowed them. Both arrays are malloc'ed.
 */
static int collect_holes(struct vfiox_container *c,
			 struct vfiox_resv_region **holes, int *nr_holes,
			 struct vfiox_resv_region **relaxable, int *nr_relaxable)
{
	struct vfiox_resv_region *all, *rlx;
	int n, i, nh = 0, nr = 0;

	n = vfiox_resv_collect(c, -1, &all);
	if (n < 0)
		return n;
	rlx = malloc((n ? (size_t)n : 1) * sizeof(*rlx));
	if (!rlx) {
		free(all);
		return -ENOMEM;
	}
	qsort(all, (size_t)n, sizeof(*all), cmp_start);
	for (i = 0; i < n; i++) {
		bool is_relaxable = all[i].type == VFIOX_RESV_DIRECT_RELAXABLE;

		if (is_relaxable)
			rlx[nr++] = all[i];
		if (!is_relaxable || !c->allow_relaxable)
			all[nh++] = all[i];
	}
	*holes = all;
	*nr_holes = nh;
	*relaxable = rlx;
	*nr_relaxable = nr;
	return 0;
}

/* Add [start, end] minus the sorted holes to @space. */
static int add_range(struct iova_space *space, uint64_t start, uint64_t end,
		     const struct vfiox_resv_region *h, int nh)
{
	uint64_t next = start;
	int i, ret;

	for (i = 0; i < nh && next <= end; i++) {
		if (h[i].end < next || h[i].start > end)
			continue;
		if (h[i].start > next) {
			ret = vfiox_iova_add(space, next, h[i].start - 1);
			if (ret)
				return ret;
		}
		if (h[i].end >= end)
			return 0;
		next = h[i].end + 1;
	}
	return next <= end ? vfiox_iova_add(space, next, end) : 0;
}

static int build_space(struct vfiox_container *c, struct iova_space *space,
		       const struct vfiox_resv_region *h, int nh)
{
	uint32_t i;
	int ret = 0;

	if (!c->info.nr_iova_ranges)
		return add_range(space, 0, UINT64_MAX, h, nh);
	for (i = 0; i < c->info.nr_iova_ranges && !ret; i++)
		ret = add_range(space, c->ranges[i].start, c->ranges[i].end, h, nh);
	return ret;
}

/* Take live mappings out of the new space; report those now in a hole. */
static int carve_mappings(struct vfiox_dma *dma, struct iova_space *space)
{
	const struct dma_entry *e;

	for (e = dma->table.entries; e; e = e->next) {
		int ret = vfiox_iova_reserve(space, e->iova, e->iova + e->len - 1);

		if (ret == -EBUSY)
			pr_warn("mapping [0x%llx, 0x%llx] now lies outside the usable IOVA space (a newly attached group reserves it); unmap it",
				(unsigned long long)e->iova,
				(unsigned long long)(e->iova + e->len - 1));
		else if (ret)
			return ret;
	}
	return 0;
}

int vfiox_iova_space_rebuild(struct vfiox_container *c)
{
	struct vfiox_dma *dma = c->dma;
	struct vfiox_resv_region *h, *rlx;
	struct iova_space space;
	int nh, nr, ret;

	ret = collect_holes(c, &h, &nh, &rlx, &nr);
	if (ret)
		return ret;
	vfiox_iova_init(&space);
	vfiox_lock(&dma->lock);
	ret = build_space(c, &space, h, nh);
	if (!ret)
		ret = carve_mappings(dma, &space);
	if (ret) {
		vfiox_iova_destroy(&space);
		free(rlx);
	} else {
		vfiox_iova_destroy(&dma->space);
		dma->space = space;
		free(dma->relaxable);
		dma->relaxable = rlx;
		dma->nr_relaxable = nr;
		dma->min_page = c->info.pgsizes ? c->info.pgsizes & -c->info.pgsizes : 4096;
		/* One-page maps are the per-I/O case: their IOVAs are reused
		 * from the allocator's cache, without a tree walk. */
		vfiox_iova_cache_enable(&dma->space, dma->min_page);
		dma->entries_limit = c->info.has_dma_avail ?
				     c->info.dma_avail + dma->entries_used : UINT32_MAX;
	}
	vfiox_unlock(&dma->lock);
	free(h);
	return ret;
}

void vfiox_iova_space_clear(struct vfiox_dma *dma)
{
	vfiox_iova_destroy(&dma->space);
	free(dma->relaxable);
	dma->relaxable = NULL;
	dma->nr_relaxable = 0;
}

/* The first relaxable region that [iova, +len) touches, or NULL. */
const struct vfiox_resv_region *
vfiox_iova_space_relaxable_at(const struct vfiox_dma *dma, uint64_t iova,
			      uint64_t len)
{
	int i;

	for (i = 0; i < dma->nr_relaxable; i++)
		if (dma->relaxable[i].start <= iova + len - 1 &&
		    dma->relaxable[i].end >= iova)
			return &dma->relaxable[i];
	return NULL;
}

/* Relaxable regions rounded out to @page and merged; returns the count. */
static int identity_ranges(const struct vfiox_dma *dma,
			   struct vfiox_iova_range *out, size_t max)
{
	uint64_t page = dma->min_page;
	struct vfiox_iova_range cur = { 0 };
	int i, n = 0;

	for (i = 0; i < dma->nr_relaxable; i++) {
		uint64_t start = dma->relaxable[i].start & ~(page - 1);
		uint64_t end = dma->relaxable[i].end | (page - 1);

		if (n && (cur.end == UINT64_MAX || start <= cur.end + 1)) {
			if (end > cur.end)
				cur.end = end;
		} else {
			cur = (struct vfiox_iova_range){ start, end };
			n++;
		}
		if ((size_t)n <= max)
			out[n - 1] = cur;
	}
	return n;
}

VFIOX_API int vfiox_dma_identity_regions(struct vfiox_container *c,
					 struct vfiox_iova_range *out,
					 size_t max)
{
	int n;

	if (!c || (!out && max))
		return -EINVAL;
	if (!c->iommu_type) {
		pr_err("identity_regions: no group attached to the container");
		return -ENODEV;
	}
	vfiox_lock(&c->dma->lock);
	n = identity_ranges(c->dma, out, max);
	vfiox_unlock(&c->dma->lock);
	return n;
}

/* Is @r exactly one of the identity ranges? */
bool vfiox_iova_space_is_identity(struct vfiox_container *c,
				  const struct vfiox_iova_range *r)
{
	struct vfiox_iova_range *all;
	bool found = false;
	int n, i;

	vfiox_lock(&c->dma->lock);
	n = identity_ranges(c->dma, NULL, 0);
	all = malloc((n ? (size_t)n : 1) * sizeof(*all));
	if (all)
		identity_ranges(c->dma, all, (size_t)n);
	vfiox_unlock(&c->dma->lock);
	for (i = 0; all && i < n && !found; i++)
		found = all[i].start == r->start && all[i].end == r->end;
	free(all);
	return found;
}
