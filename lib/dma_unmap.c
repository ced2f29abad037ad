// SPDX-License-Identifier: MIT
/*
 * The unmap side of the DMA engine (dma.c maps): one mapping by IOVA or by
 * vaddr, every whole mapping in an IOVA range in one kernel call, all of
 * them (in one call where the kernel has VFIO_UNMAP_ALL), and mappings the
 * kernel revoked by itself. Each takes the entry out of the table, gives
 * its IOVA back and releases its owner.
 */
#define LOG_PREFIX "dma"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dma_internal.h"
#include "hot.h"

VFIOX_INLINE int
kernel_unmap(struct vfiox_container *c, const struct dma_entry *e)
{
	uint64_t bytes;
	int ret = c->backend->unmap(c, e->iova, e->len, &bytes);

	if (ret)
		return ret;
	if (bytes != e->len)
		pr_warn("%s unmap iova 0x%llx unmapped 0x%llx of 0x%llx bytes",
			c->backend->name, (unsigned long long)e->iova,
			(unsigned long long)bytes, (unsigned long long)e->len);
	return 0;
}

/*
 * The kernel no longer has @e: take it out of the books and give its IOVA
 * back. Returns its owner, whom the caller tells.
 */
VFIOX_INLINE struct vfiox_dma_owner *
remove_entry(struct vfiox_dma *dma, const struct dma_entry *e)
{
	struct vfiox_dma_owner *owner = e->owner;
	uint64_t iova = e->iova, len = e->len;

	vfiox_dma_table_remove(&dma->table, e);
	vfiox_iova_add(&dma->space, iova, iova + len - 1);
	dma->entries_used--;
	dma->mapped_bytes -= len;
	return owner;
}

/* @e is gone for good (unmapped): so is what its owner kept with it. */
VFIOX_INLINE void
drop_entry(struct vfiox_container *c, const struct dma_entry *e)
{
	struct vfiox_dma_owner *owner = remove_entry(c->dma, e);

	if (owner)
		owner->release(owner);
}

/*
 * On iommufd a whole, known mapping the IOAS does not have (-ENOENT) is
 * gone already (a range unmap that failed halfway took it): drop it so the
 * books match the IOAS again. Type1's -ENOENT is not this: it says nothing
 * about what the container holds.
 */
VFIOX_INLINE int
unmap_entry(struct vfiox_container *c, const struct dma_entry *e)
{
	int ret = kernel_unmap(c, e);

	if (ret == -ENOENT && vfiox_is_iommufd(c)) {
		pr_warn("IOAS %u had no mapping at iova 0x%llx any more: dropped from the books",
			c->ioas, (unsigned long long)e->iova);
		ret = 0;
	}
	if (!ret)
		drop_entry(c, e);
	return ret;
}

/*
 * iommufd removes a range's mappings one at a time and keeps those it
 * removed when one fails, without saying which: an access (an mdev) that
 * will not let go of one, -EBUSY or -EDEADLK; its other errors come before
 * it removes anything.
 */
static bool halfway(const struct vfiox_container *c, int err)
{
	return vfiox_is_iommufd(c) && (err == -EBUSY || err == -EDEADLK);
}

/*
 * After such a failure, finish the job entry by entry: those that go now
 * or were gone already (-ENOENT) leave the books, the others stay, so the
 * books match the IOAS. *@dropped: how many left; returns how many stayed.
 */
static int reconcile(struct vfiox_container *c, uint64_t start, uint64_t last,
		     int *dropped)
{
	struct dma_table *t = &c->dma->table;
	const struct dma_entry *e;
	uint64_t pos = start;
	int stayed = 0;

	*dropped = 0;
	/* [0, U64_MAX] has no length in 64 bits: its last byte is left out,
	 * which no IOMMU's ranges hold. */
	while ((e = vfiox_dma_table_find_iova(t, pos, last - pos + 1 ?: last - pos))) {
		uint64_t e_last = e->iova + e->len - 1;

		if (unmap_entry(c, e))
			stayed++;
		else
			(*dropped)++;
		if (e_last >= last)
			break;
		pos = e_last + 1;
	}
	pr_warn("IOAS %u: after a failed unmap of [0x%llx, 0x%llx], %d mapping(s) gone, %d still mapped",
		c->ioas, (unsigned long long)start, (unsigned long long)last,
		*dropped, stayed);
	return stayed;
}

int vfiox_dma_revoke_locked(struct vfiox_container *c, uint64_t iova,
			    uint64_t len)
{
	struct vfiox_dma *dma = c->dma;
	const struct dma_entry *e = vfiox_dma_table_find_iova(&dma->table, iova, len);
	struct vfiox_dma_owner *owner;

	if (!e || e->iova != iova || e->len != len)
		return -ENOENT;
	owner = remove_entry(dma, e);
	if (owner) {
		owner->iova = iova;
		owner->len = len;
		owner->next = dma->revoked;
		dma->revoked = owner;
	}
	return 0;
}

/*
 * The mapping of exactly [va, va + len): the oldest one when the buffer
 * has aliases, which are all on the alias list but the oldest. Else the
 * lowest overlapping one, for the caller's message, or NULL.
 */
VFIOX_INLINE const struct dma_entry *
find_exact_va(struct dma_table *t, uint64_t va, uint64_t len)
{
	const struct dma_entry *e = vfiox_dma_table_find_va(t, va, len), *a;

	if (!e || (e->vaddr == va && e->len == len) || !t->aliases)
		return e;
	for (a = t->aliases; a; a = a->alias_next)
		if (a->vaddr == va && a->len == len)
			return a;
	return e;
}

VFIOX_INLINE int
unmap_range_locked(struct vfiox_container *c, uint64_t start, uint64_t len,
		   bool by_iova)
{
	struct vfiox_dma *dma = c->dma;
	const struct dma_entry *e;

	e = by_iova ? vfiox_dma_table_find_iova(&dma->table, start, len) :
		find_exact_va(&dma->table, start, len);
	if (!e) {
		pr_err("unmap: nothing mapped at %s 0x%llx", by_iova ? "IOVA" : "vaddr",
		       (unsigned long long)start);
		return -ENOENT;
	}
	if ((by_iova ? e->iova : e->vaddr) != start || e->len != len) {
		pr_err("unmap: [0x%llx, +0x%llx) is not exactly the mapping at IOVA 0x%llx (+0x%llx); type1 cannot split a mapping",
		       (unsigned long long)start, (unsigned long long)len,
		       (unsigned long long)e->iova, (unsigned long long)e->len);
		return -EINVAL;
	}
	return unmap_entry(c, e);
}

int vfiox_dma_unmap_iova_locked(struct vfiox_container *c, uint64_t iova,
				uint64_t len)
{
	return unmap_range_locked(c, iova, len, true);
}

VFIOX_INLINE int
unmap_range(struct vfiox_container *c, uint64_t start, size_t len, bool by_iova)
{
	int ret;

	if (!c || !len || start + len - 1 < start) {
		pr_err("unmap: NULL container, or %s range [0x%llx, +0x%zx) empty or wrapping",
		       by_iova ? "IOVA" : "vaddr", (unsigned long long)start, len);
		return -EINVAL;
	}
	vfiox_lock(&c->dma->lock);
	ret = unmap_range_locked(c, start, len, by_iova);
	vfiox_unlock(&c->dma->lock);
	return ret;
}

VFIOX_API VFIOX_HOT int vfiox_dma_unmap_iova(struct vfiox_container *c, uint64_t iova,
				   size_t len)
{
	return unmap_range(c, iova, len, true);
}

VFIOX_API VFIOX_HOT int vfiox_dma_unmap_vaddr(struct vfiox_container *c, void *vaddr,
				    size_t len)
{
	return unmap_range(c, (uintptr_t)vaddr, len, false);
}

/*
 * The whole mappings in [start, last]: their number and bytes, or -EINVAL
 * (logged) for one that crosses either end (type1 v2 refuses to split it,
 * and the books could not follow a v1 split), or -ENOENT for none.
 */
static int range_entries(struct dma_table *t, uint64_t start, uint64_t last,
			 uint64_t *bytes)
{
	const struct dma_entry *e;
	uint64_t pos = start;
	int n = 0;

	*bytes = 0;
	while ((e = vfiox_dma_table_find_iova(t, pos, last - pos + 1))) {
		uint64_t e_last = e->iova + e->len - 1;

		if (e->iova < start || e_last > last) {
			pr_err("IOVA range [0x%llx, 0x%llx] would split the mapping [0x%llx, 0x%llx]",
			       (unsigned long long)start, (unsigned long long)last,
			       (unsigned long long)e->iova, (unsigned long long)e_last);
			return -EINVAL;
		}
		n++;
		*bytes += e->len;
		if (e_last == last)
			break;
		pos = e_last + 1;
	}
	return n ? n : -ENOENT;
}

/* Type1's unmap that fills @bitmap with the range's dirty pages (the
 * dirty calls refuse iommufd before they get here). */
static int unmap_dirty_ioctl(struct vfiox_container *c, uint64_t iova,
			     uint64_t len, const struct vfio_bitmap *bitmap,
			     uint64_t *done)
{
	/* The unmap struct, then the bitmap descriptor in its data[]. */
	uint64_t arg[(sizeof(struct vfio_iommu_type1_dma_unmap) +
		      sizeof(struct vfio_bitmap)) / sizeof(uint64_t)];
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(arg), .iova = iova, .size = len,
		.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
	};
	int ret;

	memcpy(arg, &u, sizeof(u));
	memcpy((char *)arg + sizeof(u), bitmap, sizeof(*bitmap));
	ret = c->env.sys->ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, arg);
	memcpy(&u, arg, sizeof(u));
	if (ret < 0) {
		pr_err("VFIO_IOMMU_UNMAP_DMA iova 0x%llx size 0x%llx: %s",
		       (unsigned long long)iova, (unsigned long long)len,
		       ERRSTR(ret));
		return ret;
	}
	*done = u.size;
	return 0;
}

/* With @bitmap (NULL for none), the kernel fills it with the dirty pages;
 * @all: everything (iova and len unused), where the kernel can. */
static int kernel_unmap_range(struct vfiox_container *c, uint64_t iova,
			      uint64_t len, bool all, uint64_t bytes,
			      const struct vfio_bitmap *bitmap)
{
	uint64_t done;
	int ret;

	if (bitmap)
		ret = unmap_dirty_ioctl(c, iova, len, bitmap, &done);
	else if (all)
		ret = c->backend->unmap_all(c, &done);
	else
		ret = c->backend->unmap(c, iova, len, &done);
	if (ret)
		return ret;
	/* The books drop every entry of the range all the same: type1 v2
	 * and iommufd remove whole mappings or fail. A type1 v1 container
	 * adopted as v2 could remove less (hugepage semantics); that is the
	 * caller's iommu_type at adoption (container.h). */
	if (done != bytes)
		pr_warn("%s unmap%s iova 0x%llx unmapped 0x%llx bytes, libvfiox had 0x%llx mapped there (another user of the container fd?)",
			c->backend->name, all ? " (all)" : "",
			(unsigned long long)iova, (unsigned long long)done,
			(unsigned long long)bytes);
	return 0;
}

int vfiox_dma_range_entries_locked(struct vfiox_container *c, uint64_t iova,
				   uint64_t len, uint64_t *bytes)
{
	return range_entries(&c->dma->table, iova, iova + len - 1, bytes);
}

int vfiox_dma_unmap_range_locked(struct vfiox_container *c, uint64_t iova,
				 uint64_t len, const struct vfio_bitmap *bitmap)
{
	struct dma_table *t = &c->dma->table;
	uint64_t bytes;
	int n = range_entries(t, iova, iova + len - 1, &bytes), i, ret;

	if (n == -ENOENT)
		pr_err("unmap: nothing mapped in IOVA range [0x%llx, +0x%llx)",
		       (unsigned long long)iova, (unsigned long long)len);
	if (n <= 0)
		return n;
	ret = kernel_unmap_range(c, iova, len, false, bytes, bitmap);
	if (halfway(c, ret) && n > 1)
		return reconcile(c, iova, iova + len - 1, &n) ? ret : n;
	if (ret == -ENOENT && vfiox_is_iommufd(c))	/* its one entry */
		return unmap_entry(c, vfiox_dma_table_find_iova(t, iova, len)) ?: n;
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		drop_entry(c, vfiox_dma_table_find_iova(t, iova, len));
	return n;
}

VFIOX_API int vfiox_dma_unmap_range(struct vfiox_container *c, uint64_t iova,
				    uint64_t len)
{
	int n;

	if (!c || !len || iova + len - 1 < iova) {
		pr_err("unmap_range: NULL container, or IOVA range [0x%llx, +0x%llx) empty or wrapping",
		       (unsigned long long)iova, (unsigned long long)len);
		return -EINVAL;
	}
	vfiox_lock(&c->dma->lock);
	n = vfiox_dma_unmap_range_locked(c, iova, len, NULL);
	vfiox_unlock(&c->dma->lock);
	return n;
}

int vfiox_dma_has_unmap_all_locked(struct vfiox_container *c)
{
	int ret;

	if (c->dma->unmap_all >= 0)
		return c->dma->unmap_all;
	if (vfiox_is_iommufd(c))
		return 1;	/* IOMMU_IOAS_UNMAP always takes "all" */
	ret = vfiox_container_check_extension(c, VFIO_UNMAP_ALL);
	if (ret >= 0)
		c->dma->unmap_all = ret > 0;
	return ret;
}

VFIOX_API int vfiox_dma_unmap_all(struct vfiox_container *c)
{
	struct vfiox_dma *dma;
	int n = 0, ret = 0;

	if (!c) {
		pr_err("vfiox_dma_unmap_all: no container");
		return -EINVAL;
	}
	dma = c->dma;
	vfiox_lock(&dma->lock);
	if (dma->table.entries && c->iommu_type)
		ret = vfiox_dma_has_unmap_all_locked(c);
	if (ret > 0) {
		ret = kernel_unmap_range(c, 0, 0, true, dma->mapped_bytes, NULL);
		if (halfway(c, ret) && !reconcile(c, 0, UINT64_MAX, &n))
			ret = 0;
		for (; !ret && dma->table.entries; n++)
			drop_entry(c, dma->table.entries);
	}
	/* One at a time, without the extension. */
	for (; !ret && dma->table.entries; n += !ret)
		ret = unmap_entry(c, dma->table.entries);
	vfiox_unlock(&dma->lock);
	return ret ? ret : n;
}
