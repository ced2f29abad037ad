// SPDX-License-Identifier: MIT
/*
 * Dirty page tracking for live migration (VFIO_IOMMU_DIRTY_PAGES): start,
 * stop, the bitmap of an IOVA range, and an unmap that returns the bitmap
 * of what it removes. One bit per page of the smallest size of the
 * migration capability, bit 0 at the range's start, in the caller's buffer.
 *
 * The kernel takes a range only if it splits no mapping, and fills at most
 * the capability's largest bitmap per call: a bigger range is cut, between
 * mappings, into chunks that fit. A mapping whose first bit in its chunk
 * would not be the first of a 64-bit word starts a chunk of its own: type1
 * (6.1 and 7.2 alike) shifts such a mapping's bitmap in place and clears
 * only its own bits afterwards, so the next query of it reports pages past
 * its end dirty (asserted in the VM test dma_dirty_edu). That is only ever
 * a false positive, never a dirty page lost; but as such stale bits may be
 * left by anyone's query, the bits after each mapping's last page up to
 * the end of its word are cleared again. A chunk whose first bit is not
 * the first of a word of the caller's bitmap goes through a bounce buffer,
 * since the kernel writes whole words from its start.
 *
 * An unmap split in chunks removes the earlier chunks' mappings for good
 * when a later one fails: it then returns how many it removed. Type1 may
 * also fail inside one call after removing some of its mappings (a fault
 * writing the bitmap) without saying how many; libvfiox has zeroed every
 * byte the kernel writes (the caller's bitmap, checked for size, or its
 * bounce buffer) just before, so that is not expected, and the books would
 * then still hold them. The DMA lock is held across every chunk's call and the
 * bounce buffer's allocation (docs/threads.md).
 */
#define LOG_PREFIX "dma"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dma_internal.h"

/* Bytes of a bitmap of @pages bits, in whole 64-bit words, as type1 wants. */
static uint64_t bitmap_bytes(uint64_t pages)
{
	return (pages + 63) / 64 * 8;
}

/* The bitmap page size, or 0 (logged) without the migration capability. */
static uint64_t dirty_page(const struct vfiox_container *c)
{
	uint64_t sizes = c->info.migration_pgsizes;

	if (!c->iommu_type || !c->info.has_migration || !sizes) {
		pr_err("dirty pages: %s", !c->iommu_type ? "no group attached" :
		       "the IOMMU reports no migration capability");
		return 0;
	}
	return sizes & -sizes;
}

static int dirty_ioctl(struct vfiox_container *c, uint32_t flag)
{
	struct vfio_iommu_type1_dirty_bitmap d = { .argsz = sizeof(d), .flags = flag };
	int ret = c->env.sys->ioctl(c->fd, VFIO_IOMMU_DIRTY_PAGES, &d);

	if (ret < 0)
		pr_err("VFIO_IOMMU_DIRTY_PAGES %s: %s",
		       flag == VFIO_IOMMU_DIRTY_PAGES_FLAG_START ? "start" : "stop",
		       ERRSTR(ret));
	return ret < 0 ? ret : 0;
}

static int start_stop(struct vfiox_container *c, bool start)
{
	int ret;

	if (!c) {
		pr_err("dirty pages %s: no container", start ? "start" : "stop");
		return -EINVAL;
	}
	ret = vfiox_backend_legacy_only(c, "dirty page tracking (VFIO_IOMMU_DIRTY_PAGES)");
	if (ret)
		return ret;
	if (!dirty_page(c))
		return c->iommu_type ? -ENOTSUP : -ENODEV;
	vfiox_lock(&c->dma->lock);
	ret = dirty_ioctl(c, start ? VFIO_IOMMU_DIRTY_PAGES_FLAG_START :
			  VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP);
	if (!ret)
		c->dma->dirty = start;
	vfiox_unlock(&c->dma->lock);
	return ret;
}

VFIOX_API int vfiox_dma_dirty_start(struct vfiox_container *c)
{
	return start_stop(c, true);
}

VFIOX_API int vfiox_dma_dirty_stop(struct vfiox_container *c)
{
	return start_stop(c, false);
}

static int kernel_get_bitmap(struct vfiox_container *c,
			     const struct vfio_bitmap *b, uint64_t iova,
			     uint64_t len)
{
	uint64_t arg[(sizeof(struct vfio_iommu_type1_dirty_bitmap) +
		      sizeof(struct vfio_iommu_type1_dirty_bitmap_get)) / 8];
	struct vfio_iommu_type1_dirty_bitmap d = {
		.argsz = sizeof(arg), .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
	};
	struct vfio_iommu_type1_dirty_bitmap_get g = { iova, len, *b };
	int ret;

	memcpy(arg, &d, sizeof(d));
	memcpy((char *)arg + sizeof(d), &g, sizeof(g));
	ret = c->env.sys->ioctl(c->fd, VFIO_IOMMU_DIRTY_PAGES, arg);
	if (ret < 0)
		pr_err("VFIO_IOMMU_DIRTY_PAGES get bitmap iova 0x%llx size 0x%llx: %s",
		       (unsigned long long)iova, (unsigned long long)len, ERRSTR(ret));
	return ret < 0 ? ret : 0;
}

/* OR @nbits bits of @src into @dst from bit @off on; @dst has @words. */
static void or_bits(uint64_t *dst, uint64_t words, uint64_t off,
		    const uint64_t *src, uint64_t nbits)
{
	unsigned int sh = off % 64;
	uint64_t i, w = off / 64;

	for (i = 0; i < (nbits + 63) / 64; i++) {
		uint64_t v = src[i];

		if (nbits - i * 64 < 64)
			v &= (1ULL << (nbits - i * 64)) - 1;
		dst[w + i] |= v << sh;
		if (sh && w + i + 1 < words)
			dst[w + i + 1] |= v >> (64 - sh);
	}
}

/* What one chunk of a range query or unmap needs. */
struct dirty_query {
	struct vfiox_container *c;
	bool unmap;
	uint64_t iova, page;	/* the caller's range start, bitmap page */
	uint64_t *bitmap;
	uint64_t words;		/* of the caller's bitmap in use */
	int removed;		/* unmap: mappings removed so far */
};

/*
 * The end (in pages from @start) of each mapping in [start, start + len),
 * into a new array: the kernel may write stale bits after them.
 */
static uint64_t *mapping_ends(struct dirty_query *q, uint64_t start,
			      uint64_t len, int n)
{
	uint64_t *ends = calloc((size_t)n, sizeof(*ends)), pos = start;
	const struct dma_entry *e;
	int i;

	for (i = 0; ends && i < n; i++) {
		e = vfiox_dma_table_find_iova(&q->c->dma->table, pos, start + len - pos);
		pos = e->iova + e->len;
		ends[i] = (pos - start) / q->page;
	}
	return ends;
}

/* Clear each mapping's bits after its last page, to the end of its word. */
static void clear_tails(uint64_t *bm, const uint64_t *ends, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (ends[i] % 64)
			bm[ends[i] / 64] &= (1ULL << (ends[i] % 64)) - 1;
}

/*
 * Query (or unmap) [start, start + len), @n whole mappings, into the
 * bitmap.
 */
static int run_chunk(struct dirty_query *q, uint64_t start, uint64_t len, int n)
{
	uint64_t off = (start - q->iova) / q->page, pages = len / q->page;
	struct vfio_bitmap b = { q->page, bitmap_bytes(pages), NULL };
	uint64_t *bounce = NULL, *ends = mapping_ends(q, start, len, n), *bm;
	int ret;

	if (ends && off % 64)
		bounce = calloc(1, b.size);
	if (!ends || (off % 64 && !bounce)) {
		pr_err("dirty pages: no memory to %s IOVA range [0x%llx, +0x%llx)",
		       q->unmap ? "unmap" : "query", (unsigned long long)start,
		       (unsigned long long)len);
		free(ends);
		return -ENOMEM;
	}
	bm = bounce ? bounce : q->bitmap + off / 64;
	b.data = (__u64 *)bm;
	if (q->unmap) {
		ret = vfiox_dma_unmap_range_locked(q->c, start, len, &b);
		if (ret > 0)
			q->removed += ret;
	} else {
		ret = kernel_get_bitmap(q->c, &b, start, len);
	}
	if (ret >= 0)
		clear_tails(bm, ends, n);
	else if (!bounce)	/* whatever the kernel left in the chunk's words */
		memset(bm, 0, b.size);
	if (ret >= 0 && bounce)
		or_bits(q->bitmap, q->words, off, bounce, pages);
	free(bounce);
	free(ends);
	return ret < 0 ? ret : 0;
}

/*
 * Cut [iova, last] into chunks of whole mappings whose bitmaps fit in
 * @max bytes, and run each. With @dry, only check that they do.
 */
static int for_each_chunk(struct dirty_query *q, uint64_t last, uint64_t max,
			  bool dry)
{
	struct dma_table *t = &q->c->dma->table;
	const struct dma_entry *e;
	uint64_t pos = q->iova, start = 0, end = 0;	/* chunk: [start, end) */
	int ret, n = 0;				/* mappings in it */

	while (pos <= last && (e = vfiox_dma_table_find_iova(t, pos, last - pos + 1))) {
		uint64_t e_end = e->iova + e->len;

		if (bitmap_bytes(e->len / q->page) > max) {
			pr_err("dirty pages: the mapping at IOVA 0x%llx needs a bitmap of 0x%llx bytes, the kernel fills at most 0x%llx",
			       (unsigned long long)e->iova,
			       (unsigned long long)bitmap_bytes(e->len / q->page),
			       (unsigned long long)max);
			return -E2BIG;
		}
		if (end && (bitmap_bytes((e_end - start) / q->page) > max ||
			    (e->iova - start) / q->page % 64)) {
			ret = dry ? 0 : run_chunk(q, start, end - start, n);
			if (ret)
				return ret;
			end = 0;
			n = 0;
		}
		if (!end)
			start = e->iova;
		end = e_end;
		n++;
		if (e_end - 1 == last)
			break;
		pos = e_end;
	}
	return end && !dry ? run_chunk(q, start, end - start, n) : 0;
}

/* Checks and the set-up shared by the query and the unmap; under the lock. */
static int dirty_begin(struct dirty_query *q, uint64_t len, size_t size,
		       uint64_t *max)
{
	struct vfiox_container *c = q->c;
	uint64_t bytes, pages;
	int n;

	if (!c->dma->dirty) {
		pr_err("dirty pages: tracking is not started (vfiox_dma_dirty_start())");
		return -EINVAL;
	}
	if ((q->iova | len) & (q->page - 1)) {
		pr_err("dirty pages: IOVA range [0x%llx, +0x%llx) not aligned to the bitmap page, 0x%llx",
		       (unsigned long long)q->iova, (unsigned long long)len,
		       (unsigned long long)q->page);
		return -EINVAL;
	}
	pages = len / q->page;
	if (size < bitmap_bytes(pages)) {
		pr_err("dirty pages: a bitmap of %zu bytes is too small for 0x%llx pages (0x%llx bytes)",
		       size, (unsigned long long)pages,
		       (unsigned long long)bitmap_bytes(pages));
		return -ENOSPC;
	}
	n = vfiox_dma_range_entries_locked(c, q->iova, len, &bytes);
	if (n == -ENOENT && q->unmap)
		pr_err("unmap: nothing mapped in IOVA range [0x%llx, +0x%llx)",
		       (unsigned long long)q->iova, (unsigned long long)len);
	if (n < 0 && !(n == -ENOENT && !q->unmap))
		return n;
	*max = c->info.max_dirty_bitmap_size;
	if (!*max)
		*max = UINT64_MAX;
	q->words = bitmap_bytes(pages) / 8;
	return for_each_chunk(q, q->iova + len - 1, *max, true);
}

static int dirty_range(struct vfiox_container *c, uint64_t iova, uint64_t len,
		       uint64_t *bitmap, size_t size, bool unmap, int *removed)
{
	struct dirty_query q = { c, unmap, iova, 0, bitmap, 0, 0 };
	uint64_t max = 0;
	int ret;

	if (!c || !bitmap || !len || iova + len - 1 < iova) {
		pr_err("dirty pages: NULL argument, or IOVA range [0x%llx, +0x%llx) empty or wrapping",
		       (unsigned long long)iova, (unsigned long long)len);
		return -EINVAL;
	}
	q.page = dirty_page(c);
	if (!q.page)
		return c->iommu_type ? -ENOTSUP : -ENODEV;
	vfiox_lock(&c->dma->lock);
	ret = dirty_begin(&q, len, size, &max);
	if (!ret) {
		/* The kernel ORs into words it shares between mappings. */
		memset(bitmap, 0, q.words * 8);
		ret = for_each_chunk(&q, iova + len - 1, max, false);
	}
	vfiox_unlock(&c->dma->lock);
	if (removed)
		*removed = q.removed;
	/* What was removed is gone, but the call failed: the sign says so. */
	if (ret && unmap && q.removed)
		pr_err("unmap with dirty bitmap: %d mappings from IOVA 0x%llx removed, then the kernel refused the next ones (%s); the bitmap holds the removed ones' pages",
		       q.removed, (unsigned long long)iova, ERRSTR(ret));
	return ret ? ret : unmap ? q.removed : 0;
}

VFIOX_API int vfiox_dma_dirty_bitmap(struct vfiox_container *c, uint64_t iova,
				     uint64_t len, uint64_t *bitmap,
				     size_t size)
{
	int ret = c ? vfiox_backend_legacy_only(c, "dirty page tracking (VFIO_IOMMU_DIRTY_PAGES)") : 0;

	return ret ? ret : dirty_range(c, iova, len, bitmap, size, false, NULL);
}

VFIOX_API int vfiox_dma_unmap_dirty(struct vfiox_container *c, uint64_t iova,
				    uint64_t len, uint64_t *bitmap, size_t size,
				    int *removed)
{
	int ret = c ? vfiox_backend_legacy_only(c, "unmap with dirty bitmap (VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)") : 0;

	if (removed)
		*removed = 0;
	return ret ? ret : dirty_range(c, iova, len, bitmap, size, true, removed);
}
