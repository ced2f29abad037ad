// SPDX-License-Identifier: MIT
#define LOG_PREFIX "p2p"
#include <errno.h>

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

VFIOX_API int vfiox_p2p_unmap(struct vfiox_container *c, uint64_t iova,
			      uint64_t len)
{
	return vfiox_dma_unmap_iova(c, iova, len);
}

VFIOX_API int vfiox_p2p_revocable(struct vfiox_container *c)
{
	return vfiox_container_check_extension(c, VFIOX_DMA_DEVMEM_LIFETIME);
}
