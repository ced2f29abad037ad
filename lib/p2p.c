// SPDX-License-Identifier: MIT
/*
 * Peer-to-peer mappings: a region of one device mapped into the container
 * for another to DMA to. Each has a record, the owner of its DMA entry
 * (dma_internal.h): the DMA engine releases it when the entry is unmapped
 * by any call, or, once the kernel revoked it, when a new mapping reuses
 * its IOVA. Records change only under the DMA lock, so each call here
 * takes that lock once, around the DMA work and the record together.
 *
 * On iommufd a BAR's mmap cannot be mapped (IOMMU_IOAS_MAP pins pages, and
 * a BAR has none): the range is exported as a dma-buf from vfio-pci and
 * mapped with IOMMU_IOAS_MAP_FILE (Linux 6.19+). The IOAS holds the
 * dma-buf from then on, so libvfiox closes its fd at once. The mmap stays
 * the entry's vaddr, for translate. The kernel revokes such a mapping
 * silently (lib/dmabuf.c): the record holds its export's epoch and is
 * listed revoked once libvfiox saw that epoch end; the IOAS keeps the
 * mapping's IOVA until it is unmapped.
 */
#define LOG_PREFIX "p2p"
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dma_internal.h"
#include "uapi_ext.h"

struct p2p_record {
	struct vfiox_dma_owner owner;
	struct p2p_record *next, **pprev;	/* c->p2p, newest first */
	struct vfiox_p2p_mapping m;
	struct vfiox_dmabuf_epoch *epoch;	/* iommufd: its export's */
	int dmabuf_fd;		/* iommufd: the export, while mapping */
};

/* The mmapped address of [off, off + len) of region @index, checked to
 * lie inside one mmap-able area (one vma, as the kernel requires). */
static int region_vaddr(struct vfiox_device *d, uint32_t index, uint64_t off,
			uint64_t len, void **vaddr)
{
	const struct vfiox_sparse_area *areas;
	struct vfiox_sparse_area whole;
	uint32_t n, i;
	void *base;
	int ret = vfiox_region_mmap(d, index, &base);

	if (ret)
		return ret;
	n = vfiox_region_areas(&d->regions[index], &whole, &areas);
	for (i = 0; i < n; i++) {
		if (len && off >= areas[i].offset && off - areas[i].offset < areas[i].size &&
		    len <= areas[i].size - (off - areas[i].offset)) {
			*vaddr = (uint8_t *)base + off;
			return 0;
		}
	}
	pr_err("%s: region %u [0x%llx, +0x%llx) is empty or not inside one of its %u mmap-able area(s)",
	       d->name, index, (unsigned long long)off, (unsigned long long)len, n);
	return -EINVAL;
}

static struct p2p_record *record_of(struct vfiox_dma_owner *o)
{
	return (struct p2p_record *)((char *)o - offsetof(struct p2p_record, owner));
}

/* The DMA engine is done with the record's entry: so is the list. */
static void release_record(struct vfiox_dma_owner *o)
{
	struct p2p_record *r = record_of(o);

	*r->pprev = r->next;
	if (r->next)
		r->next->pprev = r->pprev;
	vfiox_dmabuf_epoch_put(r->epoch);
	free(r);
}

static struct p2p_record *new_record(struct vfiox_device *d, uint32_t index,
				     uint64_t off, uint64_t len)
{
	struct p2p_record *r = calloc(1, sizeof(*r));

	if (!r) {
		pr_err("%s: no memory to record a P2P mapping of region %u",
		       d->name, index);
		return NULL;
	}
	r->owner.release = release_record;
	r->dmabuf_fd = -1;
	snprintf(r->m.device, sizeof(r->m.device), "%s", d->name);
	r->m.index = index;
	r->m.offset = off;
	r->m.len = len;
	return r;
}

static void link_record(struct vfiox_container *c, struct p2p_record *r)
{
	r->next = c->p2p;
	r->pprev = &c->p2p;
	if (c->p2p)
		c->p2p->pprev = &r->next;
	c->p2p = r;
}

/* The map and its record in one hold of the lock: an unmap from another
 * thread sees both or neither. */
static int map_recorded(struct vfiox_container *c, void *vaddr,
			struct p2p_record *r, bool fixed, uint64_t *iova,
			const struct vfiox_dma_opts *opts)
{
	int ret;

	vfiox_lock(&c->dma->lock);
	ret = vfiox_dma_map_owned_locked(c, vaddr, r->m.len, fixed, iova, opts,
					 &r->owner);
	if (!ret) {
		r->m.iova = *iova;
		link_record(c, r);
	}
	vfiox_unlock(&c->dma->lock);
	return ret;
}

/* The engine's kernel map of a dma-buf record: the whole export. */
static int map_dmabuf(struct vfiox_dma_owner *o, struct vfiox_container *c,
		      uint64_t iova, uint64_t len, unsigned int flags)
{
	return vfiox_iommufd_map_file(c, record_of(o)->dmabuf_fd, 0, len, iova,
				      flags);
}

/* iommufd: the record's range exported, its map through the dma-buf. */
static int export_range(struct vfiox_container *c, struct vfiox_device *d,
			struct p2p_record *r)
{
	int ret;

	if (!vfiox_is_iommufd(c))
		return 0;
	ret = vfiox_dmabuf_export(d, r->m.index, r->m.offset, r->m.len,
				  &r->dmabuf_fd, &r->epoch);
	if (!ret)
		r->owner.map = map_dmabuf;
	return ret;
}

static int map_new_record(struct vfiox_container *c, struct vfiox_device *d,
			  void *vaddr, struct p2p_record *r, bool fixed,
			  uint64_t *iova, const struct vfiox_dma_opts *opts)
{
	int ret = export_range(c, d, r);

	if (!ret)
		ret = map_recorded(c, vaddr, r, fixed, iova, opts);
	/* Mapped, the IOAS holds the dma-buf; failed, nobody needs it. */
	if (r->dmabuf_fd >= 0)
		c->env.sys->close(r->dmabuf_fd);
	r->dmabuf_fd = -1;
	if (ret == -EPERM)
		pr_err("%s: the kernel refused to map region %u: not a vfio device's memory under strict_devmem",
		       d->name, r->m.index);
	return ret;
}

static int p2p_map(struct vfiox_container *c, struct vfiox_device *d,
		   uint32_t index, uint64_t off, uint64_t len, bool fixed,
		   uint64_t *iova, const struct vfiox_dma_opts *opts)
{
	struct p2p_record *r;
	void *vaddr;
	int ret;

	if (!c || !d || !iova)
		return -EINVAL;
	if (vfiox_is_iommufd(c) && c->iopf_hwpt) {
		pr_err("%s: the container takes I/O page faults, and its fault-capable page table takes no dma-buf: map P2P in a container without IOPF",
		       d->name);
		return -EBUSY;
	}
	ret = region_vaddr(d, index, off, len, &vaddr);
	if (ret)
		return ret;
	r = new_record(d, index, off, len);
	if (!r)
		return -ENOMEM;
	ret = map_new_record(c, d, vaddr, r, fixed, iova, opts);
	if (ret) {
		vfiox_dmabuf_epoch_put(r->epoch);
		free(r);
	}
	return ret;
}

VFIOX_API int vfiox_p2p_map(struct vfiox_container *c, struct vfiox_device *d,
			    uint32_t index, uint64_t offset, uint64_t len,
			    const struct vfiox_dma_opts *opts, uint64_t *iova)
{
	return p2p_map(c, d, index, offset, len, false, iova, opts);
}

VFIOX_API int vfiox_p2p_map_fixed(struct vfiox_container *c,
				  struct vfiox_device *d, uint32_t index,
				  uint64_t offset, uint64_t len, uint64_t iova,
				  const struct vfiox_dma_opts *opts)
{
	return p2p_map(c, d, index, offset, len, true, &iova, opts);
}

/* The record starting at @iova, live ones first: a revoked one may share
 * its start with a newer live mapping only until the DMA engine releases
 * it for that mapping. */
static struct p2p_record *find_record(struct vfiox_container *c,
				      uint64_t iova, bool revoked)
{
	struct p2p_record *r;

	for (r = c->p2p; r; r = r->next)
		if (r->m.iova == iova &&
		    !!(r->m.flags & VFIOX_P2P_REVOKED) == revoked)
			return r;
	return NULL;
}

int vfiox_p2p_revoke(struct vfiox_container *c, const char *device,
		     uint64_t iova, uint64_t len)
{
	struct p2p_record *r;
	int ret = 0;

	vfiox_lock(&c->dma->lock);
	r = find_record(c, iova, false);
	/* The device must match too: after an unmap the IOVA may already
	 * carry a newer mapping that this late event is not about. The
	 * record is marked only with its entry revoked: the two stay in step. */
	if (r && r->m.len == len && !strcmp(r->m.device, device) &&
	    !vfiox_dma_revoke_locked(c, iova, len)) {
		r->m.flags |= VFIOX_P2P_REVOKED;
		pr_info("%s: the kernel revoked its P2P mapping at IOVA 0x%llx (+0x%llx): the device was released",
			device, (unsigned long long)iova, (unsigned long long)len);
		ret = 1;
	}
	vfiox_unlock(&c->dma->lock);
	return ret;
}

/* One lock for the lookup and the unmap: nothing can slip in between. */
static int p2p_unmap_locked(struct vfiox_container *c, uint64_t iova,
			    uint64_t len)
{
	struct p2p_record *r = find_record(c, iova, false);
	bool live = r;

	if (!r)
		r = find_record(c, iova, true);
	if (!r) {
		pr_err("p2p unmap: no P2P mapping starts at IOVA 0x%llx",
		       (unsigned long long)iova);
		return -ENOENT;
	}
	if (r->m.len != len) {
		pr_err("p2p unmap: the P2P mapping at IOVA 0x%llx is 0x%llx bytes, not 0x%llx",
		       (unsigned long long)iova, (unsigned long long)r->m.len,
		       (unsigned long long)len);
		return -EINVAL;
	}
	/* Either way the DMA engine releases the record, its owner. */
	if (live)
		return vfiox_dma_unmap_iova_locked(c, iova, len);
	vfiox_dma_release_revoked_locked(c, &r->owner);
	return 0;
}

VFIOX_API int vfiox_p2p_unmap(struct vfiox_container *c, uint64_t iova,
			      uint64_t len)
{
	int ret;

	if (!c)
		return -EINVAL;
	vfiox_lock(&c->dma->lock);
	ret = p2p_unmap_locked(c, iova, len);
	vfiox_unlock(&c->dma->lock);
	return ret;
}

static int p2p_list(struct vfiox_container *c, struct vfiox_p2p_mapping *out,
		    uint32_t n)
{
	const struct p2p_record *r;
	int total = 0;

	if (!c || (n && !out))
		return -EINVAL;
	vfiox_lock(&c->dma->lock);
	for (r = c->p2p; r; r = r->next, total++) {
		if ((uint32_t)total >= n)
			continue;
		out[total] = r->m;
		if (r->epoch && vfiox_dmabuf_epoch_revoked(r->epoch))
			out[total].flags |= VFIOX_P2P_REVOKED;
	}
	vfiox_unlock(&c->dma->lock);
	return total;
}

VFIOX_API int vfiox_p2p_list_sized(struct vfiox_container *c, void *out,
				   uint32_t n, size_t elem_sz)
{
	void *buf;
	int ret = VFIOX_ARRAY_BEGIN(out, n, elem_sz, vfiox_p2p_mapping, &buf);

	if (ret)
		return ret;
	ret = p2p_list(c, buf, n);
	return VFIOX_ARRAY_END(out, n, elem_sz, vfiox_p2p_mapping, buf, ret);
}

VFIOX_API int vfiox_p2p_revocable(struct vfiox_container *c)
{
	int ret;

	/* iommufd maps P2P only through dma-bufs, which the kernel revokes. */
	if (c && vfiox_is_iommufd(c))
		return 1;
	ret = vfiox_container_check_extension(c, VFIOX_DMA_DEVMEM_LIFETIME);

	/* check_extension() gives the kernel's answer as is; this one is 0/1 */
	return ret > 0 ? 1 : ret;
}
