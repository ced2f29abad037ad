// SPDX-License-Identifier: MIT
/*
 * Peer-to-peer mappings: a region of one device mapped into the container
 * for another to DMA to. Each has a record, the owner of its DMA entry
 * (dma_internal.h): the DMA engine releases it when the entry is unmapped
 * by any call, or, once the kernel revoked it, when a new mapping reuses
 * its IOVA. Records change only under the DMA lock, so each call here
 * takes that lock once, around the DMA work and the record together.
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

static int p2p_map(struct vfiox_container *c, struct vfiox_device *d,
		   uint32_t index, uint64_t off, uint64_t len, bool fixed,
		   uint64_t *iova, const struct vfiox_dma_opts *opts)
{
	struct p2p_record *r;
	void *vaddr;
	int ret;

	if (!c || !d || !iova)
		return -EINVAL;
	ret = vfiox_backend_legacy_only(c, "P2P mapping of a BAR (iommufd needs the dma-buf way, not done yet)");
	if (ret)
		return ret;
	ret = region_vaddr(d, index, off, len, &vaddr);
	if (ret)
		return ret;
	r = new_record(d, index, off, len);
	if (!r)
		return -ENOMEM;
	ret = map_recorded(c, vaddr, r, fixed, iova, opts);
	if (ret == -EPERM)
		pr_err("%s: the kernel refused to map region %u: not a vfio device's memory under strict_devmem",
		       d->name, index);
	if (ret)
		free(r);
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
	for (r = c->p2p; r; r = r->next, total++)
		if ((uint32_t)total < n)
			out[total] = r->m;
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

	if (c && vfiox_is_iommufd(c)) {	/* a probe: "no" is an answer */
		pr_debug("p2p_revocable: the revocation extension is the legacy backend's; this container is iommufd");
		return 0;
	}
	ret = vfiox_container_check_extension(c, VFIOX_DMA_DEVMEM_LIFETIME);

	/* check_extension() gives the kernel's answer as is; this one is 0/1 */
	return ret > 0 ? 1 : ret;
}
