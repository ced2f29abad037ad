// SPDX-License-Identifier: MIT
/*
 * Live update (CPR) of the DMA engine, with the kernel's VFIO_UPDATE_VADDR:
 * the old process invalidates every mapping's vaddr (the device keeps its
 * pinned pages and DMAs on), saves libvfiox's mappings into a buffer and
 * hands it, with the container and group fds, to a new process (across
 * exec()); there, on the adopted container, the state is restored into an
 * empty engine and each mapping's vaddr is set to where the same memory
 * (memfd, shared memory) now lives. The books of the new process (table,
 * IOVA space, dma_avail count) then match the kernel's mappings exactly.
 *
 * The state is plain fixed-size records, oldest mapping first so that
 * aliases keep their order. It is meant for the same machine and the same
 * libvfiox build only (native byte order, an exact version): a format
 * that can grow across libvfiox versions is still to come (issue 21).
 */
#define LOG_PREFIX "dma"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dma_internal.h"

#define CPR_MAGIC "vfioxdma"
#define CPR_VERSION 1

struct cpr_header {
	char magic[8];
	uint32_t version;
	uint32_t count;
	uint64_t page;
};

struct cpr_entry {
	uint64_t vaddr, iova, len;
};

static int unmap_vaddr_ioctl(struct vfiox_container *c, uint64_t iova,
			     uint64_t len, uint32_t flags)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = VFIO_DMA_UNMAP_FLAG_VADDR | flags,
		.iova = iova, .size = len,
	};
	int ret = c->env.sys->ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &u);

	if (ret < 0)
		pr_err("VFIO_IOMMU_UNMAP_DMA (invalidate vaddr%s) iova 0x%llx size 0x%llx: %s",
		       flags & VFIO_DMA_UNMAP_FLAG_ALL ? ", all" : "",
		       (unsigned long long)iova, (unsigned long long)len, ERRSTR(ret));
	return ret < 0 ? ret : 0;
}

static int update_vaddr_ioctl(struct vfiox_container *c, uint64_t va,
			      uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_VADDR,
		.vaddr = va, .iova = iova, .size = len,
	};
	int ret = c->env.sys->ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &m);

	if (ret < 0)
		pr_err("VFIO_IOMMU_MAP_DMA (update vaddr 0x%llx) iova 0x%llx size 0x%llx: %s",
		       (unsigned long long)va, (unsigned long long)iova,
		       (unsigned long long)len, ERRSTR(ret));
	return ret < 0 ? ret : 0;
}

/* VFIO_UPDATE_VADDR: 0 with it; -ENOTSUP, -ENODEV or an errno without. */
static int check_cpr(struct vfiox_container *c)
{
	int ret;

	if (!c->iommu_type) {
		pr_err("live update: no group attached to the container");
		return -ENODEV;
	}
	ret = vfiox_container_check_extension(c, VFIO_UPDATE_VADDR);
	if (!ret)
		pr_err("live update: the kernel lacks VFIO_UPDATE_VADDR for this IOMMU");
	return ret < 0 ? ret : ret ? 0 : -ENOTSUP;
}

/* One mapping at a time, the newest first; undone if one fails. */
static int invalidate_each(struct vfiox_container *c)
{
	const struct dma_entry *e, *done;
	int ret = 0;

	for (e = c->dma->table.entries; e; e = e->next) {
		ret = unmap_vaddr_ioctl(c, e->iova, e->len, 0);
		if (ret)
			break;
	}
	if (!ret)
		return 0;
	for (done = c->dma->table.entries; done != e; done = done->next)
		update_vaddr_ioctl(c, done->vaddr, done->iova, done->len);
	return ret;
}

/* A P2P mapping cannot be saved: refused before anything is invalidated. */
static int check_no_p2p(const struct vfiox_dma *dma)
{
	const struct dma_entry *e;

	for (e = dma->table.entries; e; e = e->next) {
		if (e->owner) {
			pr_err("live update: the mapping at IOVA 0x%llx belongs to a P2P mapping, which cannot be handed over; unmap it first",
			       (unsigned long long)e->iova);
			return -EBUSY;
		}
	}
	return 0;
}

VFIOX_API int vfiox_dma_invalidate_vaddrs(struct vfiox_container *c)
{
	int ret;

	if (!c) {
		pr_err("vfiox_dma_invalidate_vaddrs: no container");
		return -EINVAL;
	}
	vfiox_lock(&c->dma->lock);
	ret = check_cpr(c);
	if (!ret)
		ret = check_no_p2p(c->dma);
	if (!ret && c->dma->table.entries) {
		ret = vfiox_dma_has_unmap_all_locked(c);
		if (ret > 0)
			ret = unmap_vaddr_ioctl(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
		else if (!ret)
			ret = invalidate_each(c);
	}
	if (!ret)
		ret = (int)c->dma->table.n;
	vfiox_unlock(&c->dma->lock);
	return ret;
}

VFIOX_API int vfiox_dma_revalidate_vaddrs(struct vfiox_container *c)
{
	const struct dma_entry *e, *done;
	int ret;

	if (!c) {
		pr_err("vfiox_dma_revalidate_vaddrs: no container");
		return -EINVAL;
	}
	vfiox_lock(&c->dma->lock);
	ret = check_cpr(c);
	for (e = c->dma->table.entries; !ret && e; e = e->next) {
		ret = update_vaddr_ioctl(c, e->vaddr, e->iova, e->len);
		if (ret)
			break;
	}
	/* All or none: the ones given back are invalidated again */
	if (ret && e)
		for (done = c->dma->table.entries; done != e; done = done->next)
			unmap_vaddr_ioctl(c, done->iova, done->len, 0);
	if (!ret)
		ret = (int)c->dma->table.n;
	vfiox_unlock(&c->dma->lock);
	return ret;
}

static int save_locked(struct vfiox_dma *dma, void *buf, size_t size)
{
	struct cpr_header h = { CPR_MAGIC, CPR_VERSION, dma->table.n, dma->min_page };
	size_t need = sizeof(h) + (size_t)dma->table.n * sizeof(struct cpr_entry);
	const struct dma_entry *e, *oldest = NULL;
	char *p = buf;

	for (e = dma->table.entries; e; e = e->next) {
		if (e->owner) {
			pr_err("save: the mapping at IOVA 0x%llx belongs to a P2P mapping, which cannot be handed over",
			       (unsigned long long)e->iova);
			return -EBUSY;
		}
		oldest = e;
	}
	if (need > INT32_MAX) {
		pr_err("save: %u mappings do not fit in a state", dma->table.n);
		return -E2BIG;
	}
	if (!buf || size < need)
		return (int)need;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	for (e = oldest; e; e = e->prev, p += sizeof(struct cpr_entry)) {
		struct cpr_entry r = { e->vaddr, e->iova, e->len };

		memcpy(p, &r, sizeof(r));
	}
	return (int)need;
}

VFIOX_API int vfiox_dma_save(struct vfiox_container *c, void *buf, size_t size)
{
	int ret;

	if (!c)
		return -EINVAL;
	vfiox_lock(&c->dma->lock);
	ret = save_locked(c->dma, buf, size);
	vfiox_unlock(&c->dma->lock);
	return ret;
}

/* The records of @state, checked; their count or -EINVAL. */
static int parse_state(const struct vfiox_dma *dma, const void *state,
		       size_t size, const struct cpr_entry **out)
{
	struct cpr_header h;

	if (!state || size < sizeof(h))
		goto bad;
	memcpy(&h, state, sizeof(h));
	if (memcmp(h.magic, CPR_MAGIC, 8) || h.version != CPR_VERSION ||
	    size != sizeof(h) + (size_t)h.count * sizeof(struct cpr_entry) ||
	    h.count > INT32_MAX || h.page & (dma->min_page - 1))
		goto bad;
	*out = (const struct cpr_entry *)((const char *)state + sizeof(h));
	return (int)h.count;
bad:
	pr_err("restore: %zu bytes are not a state saved by vfiox_dma_save()", size);
	return -EINVAL;
}

/* Drop the first @n restored entries from the books (not the kernel). */
static void unwind_books(struct vfiox_dma *dma, const struct cpr_entry *r, int n)
{
	while (n-- > 0) {
		vfiox_dma_table_remove(&dma->table,
				       vfiox_dma_table_find_iova(&dma->table, r[n].iova, r[n].len));
		vfiox_iova_add(&dma->space, r[n].iova, r[n].iova + r[n].len - 1);
	}
}

/* Into the table and out of the free IOVA space; all or none. */
static int restore_books(struct vfiox_dma *dma, const struct cpr_entry *r,
			 const uint64_t *va, int n)
{
	int i, ret = 0;

	for (i = 0; i < n; i++) {
		struct dma_entry e = { .vaddr = va[i], .iova = r[i].iova, .len = r[i].len };
		uint64_t last = r[i].iova + r[i].len - 1;

		if (!r[i].len || (va[i] | r[i].iova | r[i].len) & (dma->min_page - 1) ||
		    last < r[i].iova) {
			ret = -EINVAL;
			break;
		}
		ret = vfiox_iova_reserve(&dma->space, r[i].iova, last);
		if (ret)
			break;
		ret = vfiox_dma_table_insert(&dma->table, &e, NULL);
		if (ret) {
			vfiox_iova_add(&dma->space, r[i].iova, last);
			break;
		}
	}
	if (ret) {
		if (ret == -EBUSY)	/* outside the IOVA space, or taken */
			ret = -EINVAL;
		pr_err("restore: mapping %d of %d (IOVA 0x%llx, +0x%llx) does not fit this container: %s",
		       i + 1, n, (unsigned long long)r[i].iova,
		       (unsigned long long)r[i].len, ERRSTR(ret));
		unwind_books(dma, r, i);
	}
	return ret;
}

/* Every vaddr to its new place; undone (invalidated again) if one fails. */
static int update_all(struct vfiox_container *c, const struct cpr_entry *r,
		      const uint64_t *va, int n)
{
	int i, ret = 0;

	for (i = 0; i < n; i++) {
		ret = update_vaddr_ioctl(c, va[i], r[i].iova, r[i].len);
		if (ret)
			break;
	}
	while (ret && i-- > 0)
		unmap_vaddr_ioctl(c, r[i].iova, r[i].len, 0);
	return ret;
}

static int restore_locked(struct vfiox_container *c, const struct cpr_entry *r,
			  const uint64_t *va, int n)
{
	struct vfiox_dma *dma = c->dma;
	int ret, i;

	if (dma->table.entries) {
		pr_err("restore: the container has mappings already; restore into a fresh one");
		return -EBUSY;
	}
	ret = restore_books(dma, r, va, n);
	if (!ret) {
		ret = update_all(c, r, va, n);
		if (ret)
			unwind_books(dma, r, n);
	}
	if (ret)
		return ret;
	/* The kernel's dma_avail, read at attach, had them counted already. */
	dma->entries_used += (uint32_t)n;
	dma->entries_limit += (uint32_t)n;
	for (i = 0; i < n; i++)
		dma->mapped_bytes += r[i].len;
	return n;
}

VFIOX_API int vfiox_dma_restore(struct vfiox_container *c, const void *state,
				size_t size, vfiox_dma_relocate_fn relocate,
				void *user)
{
	const struct cpr_entry *r = NULL;
	uint64_t *va;
	int n, i, ret;

	if (!c)
		return -EINVAL;
	n = parse_state(c->dma, state, size, &r);
	if (n < 0)
		return n;
	va = calloc((size_t)n + 1, sizeof(*va));
	if (!va)
		return -ENOMEM;
	/* The caller's callback runs before the lock is taken. */
	for (i = 0; i < n; i++) {
		va[i] = relocate ? (uintptr_t)relocate(user, r[i].vaddr, r[i].len) : r[i].vaddr;
		if (!va[i]) {
			pr_err("restore: no new address for the buffer at 0x%llx (IOVA 0x%llx)",
			       (unsigned long long)r[i].vaddr, (unsigned long long)r[i].iova);
			free(va);
			return -EINVAL;
		}
	}
	vfiox_lock(&c->dma->lock);
	ret = check_cpr(c);
	if (!ret)
		ret = restore_locked(c, r, va, n);
	vfiox_unlock(&c->dma->lock);
	free(va);
	return ret;
}
