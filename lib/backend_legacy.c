// SPDX-License-Identifier: MIT
/*
 * The legacy backend's DMA calls: VFIO_IOMMU_MAP_DMA and UNMAP_DMA on the
 * type1 container. The dirty-bitmap unmap, the live-update vaddr calls and
 * the series' extensions stay with their own files (dma_unmap.c,
 * dma_cpr.c, ...), which the iommufd backend refuses before they get here.
 */
#define LOG_PREFIX "dma"
#include <errno.h>

#include "backend.h"
#include "internal.h"
#include "uapi_ext.h"

static int legacy_map(struct vfiox_container *c, uint64_t va, uint64_t len,
		      uint64_t iova, unsigned int flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ,
		.vaddr = va, .iova = iova, .size = len,
	};
	int ret;

	if (flags & VFIOX_BE_MAP_WRITE)
		m.flags |= VFIO_DMA_MAP_FLAG_WRITE;
	if (flags & VFIOX_BE_MAP_IOPF)
		m.flags |= VFIOX_DMA_MAP_FLAG_IOPF;
	ret = c->env.sys->ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &m);
	if (ret < 0)
		pr_err("VFIO_IOMMU_MAP_DMA vaddr 0x%llx iova 0x%llx size 0x%llx: %s",
		       (unsigned long long)va, (unsigned long long)iova,
		       (unsigned long long)len, ERRSTR(ret));
	return ret < 0 ? ret : 0;
}

static int legacy_unmap_flags(struct vfiox_container *c, uint64_t iova,
			      uint64_t len, uint32_t flags, uint64_t *bytes)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = flags, .iova = iova, .size = len,
	};
	int ret = c->env.sys->ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &u);

	if (ret < 0) {
		pr_err("VFIO_IOMMU_UNMAP_DMA%s iova 0x%llx size 0x%llx: %s",
		       flags & VFIO_DMA_UNMAP_FLAG_ALL ? " (all)" : "",
		       (unsigned long long)iova, (unsigned long long)len,
		       ERRSTR(ret));
		return ret;
	}
	*bytes = u.size;
	return 0;
}

static int legacy_unmap(struct vfiox_container *c, uint64_t iova, uint64_t len,
			uint64_t *bytes)
{
	return legacy_unmap_flags(c, iova, len, 0, bytes);
}

static int legacy_unmap_all(struct vfiox_container *c, uint64_t *bytes)
{
	return legacy_unmap_flags(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, bytes);
}

const struct vfiox_backend_ops vfiox_backend_legacy_ops = {
	.name = "legacy",
	.map = legacy_map,
	.unmap = legacy_unmap,
	.unmap_all = legacy_unmap_all,
};
