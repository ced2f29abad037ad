// SPDX-License-Identifier: MIT
#define LOG_PREFIX "p2p"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "uapi_ext.h"

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

static int add_record(struct vfiox_container *c, struct vfiox_device *d,
		      uint32_t index, uint64_t off, uint64_t len, uint64_t iova)
{
	struct p2p_record *r = calloc(1, sizeof(*r));

	if (!r) {
		pr_err("%s: no memory to record the P2P mapping at IOVA 0x%llx",
		       d->name, (unsigned long long)iova);
		return -ENOMEM;
	}
	snprintf(r->m.device, sizeof(r->m.device), "%s", d->name);
	r->m.index = index;
	r->m.offset = off;
	r->m.len = len;
	r->m.iova = iova;
	vfiox_lock(&c->dma.lock);
	r->next = c->p2p;
	c->p2p = r;
	vfiox_unlock(&c->dma.lock);
	return 0;
}

static int p2p_map(struct vfiox_container *c, struct vfiox_device *d,
		   uint32_t index, uint64_t off, uint64_t len, bool fixed,
		   uint64_t *iova, const struct vfiox_dma_opts *opts)
{
	void *vaddr;
	int ret;

	if (!c || !d || !iova)
		return -EINVAL;
	ret = region_vaddr(d, index, off, len, &vaddr);
	if (ret)
		return ret;
	ret = fixed ? vfiox_dma_map_fixed(c, vaddr, len, *iova, opts) :
		      vfiox_dma_map(c, vaddr, len, opts, iova);
	if (ret == -EPERM)
		pr_err("%s: the kernel refused to map region %u: not a vfio device's memory under strict_devmem",
		       d->name, index);
	if (ret)
		return ret;
	ret = add_record(c, d, index, off, len, *iova);
	if (ret)
		vfiox_dma_unmap_iova(c, *iova, len);
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
 * its start with a newer live mapping only until that purges it. */
static struct p2p_record **find_record(struct vfiox_container *c,
				       uint64_t iova, bool revoked)
{
	struct p2p_record **pp;

	for (pp = &c->p2p; *pp; pp = &(*pp)->next)
		if ((*pp)->m.iova == iova &&
		    !!((*pp)->m.flags & VFIOX_P2P_REVOKED) == revoked)
			return pp;
	return NULL;
}

static void unlink_record(struct p2p_record **pp)
{
	struct p2p_record *r = *pp;

	*pp = r->next;
	free(r);
}

void vfiox_p2p_forget_locked(struct vfiox_container *c, uint64_t iova)
{
	struct p2p_record **pp = find_record(c, iova, false);

	if (pp)
		unlink_record(pp);
}

void vfiox_p2p_purge_revoked_locked(struct vfiox_container *c, uint64_t iova,
				    uint64_t len)
{
	struct p2p_record **pp = &c->p2p;

	while (*pp) {
		const struct vfiox_p2p_mapping *m = &(*pp)->m;

		if (m->flags & VFIOX_P2P_REVOKED && m->iova < iova + len &&
		    iova < m->iova + m->len)
			unlink_record(pp);
		else
			pp = &(*pp)->next;
	}
}

void vfiox_p2p_free_all_locked(struct vfiox_container *c)
{
	while (c->p2p)
		unlink_record(&c->p2p);
}

int vfiox_p2p_revoke(struct vfiox_container *c, const char *device,
		     uint64_t iova, uint64_t len)
{
	struct p2p_record **pp;
	int ret = 0;

	vfiox_lock(&c->dma.lock);
	pp = find_record(c, iova, false);
	/* The device must match too: after an unmap the IOVA may already
	 * carry a newer mapping that this late event is not about. */
	if (pp && (*pp)->m.len == len && !strcmp((*pp)->m.device, device)) {
		struct p2p_record *r = *pp;

		r->m.flags |= VFIOX_P2P_REVOKED;
		vfiox_dma_drop_locked(c, iova, len);
		pr_warn("%s: the kernel revoked its P2P mapping at IOVA 0x%llx (+0x%llx): the device was released",
			device, (unsigned long long)iova, (unsigned long long)len);
		ret = 1;
	}
	vfiox_unlock(&c->dma.lock);
	return ret;
}

/* One lock for the lookup and the unmap: nothing can slip in between. */
static int p2p_unmap_locked(struct vfiox_container *c, uint64_t iova,
			    uint64_t len)
{
	struct p2p_record **pp = find_record(c, iova, false);
	bool live = pp;

	if (!pp)
		pp = find_record(c, iova, true);
	if (!pp) {
		pr_err("p2p unmap: no P2P mapping starts at IOVA 0x%llx",
		       (unsigned long long)iova);
		return -ENOENT;
	}
	if ((*pp)->m.len != len) {
		pr_err("p2p unmap: the P2P mapping at IOVA 0x%llx is 0x%llx bytes, not 0x%llx",
		       (unsigned long long)iova, (unsigned long long)(*pp)->m.len,
		       (unsigned long long)len);
		return -EINVAL;
	}
	/* A live one's record goes with its DMA entry (drop_entry). */
	if (live)
		return vfiox_dma_unmap_iova_locked(c, iova, len);
	unlink_record(pp);
	return 0;
}

VFIOX_API int vfiox_p2p_unmap(struct vfiox_container *c, uint64_t iova,
			      uint64_t len)
{
	int ret;

	if (!c)
		return -EINVAL;
	vfiox_lock(&c->dma.lock);
	ret = p2p_unmap_locked(c, iova, len);
	vfiox_unlock(&c->dma.lock);
	return ret;
}

VFIOX_API int vfiox_p2p_list(struct vfiox_container *c,
			     struct vfiox_p2p_mapping *out, uint32_t n)
{
	const struct p2p_record *r;
	int total = 0;

	if (!c || (n && !out))
		return -EINVAL;
	vfiox_lock(&c->dma.lock);
	for (r = c->p2p; r; r = r->next, total++)
		if ((uint32_t)total < n)
			out[total] = r->m;
	vfiox_unlock(&c->dma.lock);
	return total;
}

VFIOX_API int vfiox_p2p_revocable(struct vfiox_container *c)
{
	return vfiox_container_check_extension(c, VFIOX_DMA_DEVMEM_LIFETIME);
}
