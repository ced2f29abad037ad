// SPDX-License-Identifier: MIT
/*
 * The IOMMU info the fake kernel hands out is the input (fixed header and
 * capability chain as the kernel writes them): open a container, attach a
 * group (which parses it and rebuilds the IOVA space), map and unmap, close.
 * Nothing may be left open.
 */
#include <stdlib.h>

#include "fake_kernel.h"
#include "fuzz.h"

#define INFO_HDR sizeof(struct vfio_iommu_type1_info)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[4096] __attribute__((aligned(4096)));
	struct vfiox_container *c;
	struct vfiox_group *g;
	uint64_t iova;

	if (size > sizeof(fk.iommu_info))
		return 0;
	fk_reset();
	fuzz_init();
	memset(fk.iommu_info, 0, sizeof(fk.iommu_info));
	memcpy(fk.iommu_info, data, size);
	fk.iommu_info_len = size < INFO_HDR ? INFO_HDR : (uint32_t)size;
	if (fk_container_open(&c))
		return 0;
	if (!vfiox_group_open(c, 7, &g) && !vfiox_dma_map(c, buf, sizeof(buf), NULL, &iova))
		vfiox_dma_unmap_iova(c, iova, sizeof(buf));
	if (!fk_close_clean(c))
		abort();
	return 0;
}
