// SPDX-License-Identifier: MIT
/*
 * A VMM unplugs a slot of guest memory: every mapping in an IOVA range goes
 * in one VFIO_IOMMU_UNMAP_DMA; unmap-all is one call with
 * VFIO_DMA_UNMAP_FLAG_ALL; a range that would split a mapping is refused
 * and the kernel keeps it. One kernel call is proven by a mapping made
 * behind libvfiox's back in a gap of the range (or anywhere, for
 * unmap-all): it goes too, which one unmap per mapping would not do.
 * On iommufd the same, through IOMMU_IOAS_UNMAP; there is no dma_avail
 * and no VFIO_UNMAP_ALL extension to ask about: both refused.
 */
#include <sys/mman.h>

#include "vmtest.h"

#define PG 4096
#define SLOT 0x10000000ULL
#define N 64
#define GAP (SLOT + 2 * N * PG + 16 * PG)	/* inside the range, not ours */

static void check_avail(struct vfiox_container *c, uint32_t want)
{
	uint32_t kernel = 0, ours = 0;

	if (vt_iommufd(c)) {	/* no dma_avail: the foreign pages prove it */
		CHECK_REFUSED_ON_IOMMUFD(vfiox_dma_avail_check(c, &kernel, &ours));
		return;
	}
	vfiox_dma_avail_check(c, &kernel, &ours);
	CHECK(kernel == want, "kernel dma_avail %u, wanted %u (libvfiox: %u)",
	      kernel, want, ours);
}

int main(void)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t iova, big = SLOT + 4 * N * PG;
	uint32_t avail0;
	uint8_t *mem;
	int i;

	vt_init();
	/* With the device: an IOAS has info and maps from its first on. */
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &c, &g, &d), 0);
	mem = mmap(NULL, 4 * N * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHECK(mem != MAP_FAILED, "mmap");
	if (vt_failures)
		return vt_done("dma_range_unmap");
	avail0 = vt_dma_avail(c);
	for (i = 0; i < N; i++)
		CHECK_RET(vfiox_dma_map_fixed(c, mem + i * PG, PG, SLOT + 2 * i * PG, NULL), 0);
	CHECK_RET(vfiox_dma_map_fixed(c, mem, 4 * PG, big, NULL), 0);
	CHECK_RET(vt_raw_map(c, mem + N * PG, GAP, PG), 0);
	check_avail(c, avail0 - N - 2);

	/* Splitting the four-page mapping: refused, the kernel keeps it. */
	vt_log_clear();
	CHECK_RET(vfiox_dma_unmap_range(c, SLOT, big - SLOT + PG), -EINVAL);
	CHECK(vt_log_has("would split the mapping"), "no reason logged");
	CHECK_RET(vfiox_dma_unmap_range(c, big + PG, 3 * PG), -EINVAL);
	check_avail(c, avail0 - N - 2);

	/* The slot, in one call: the foreign page in its gap goes too. */
	CHECK_RET(vfiox_dma_unmap_range(c, SLOT, big - SLOT), N);
	CHECK(vt_log_has("another user of the container fd"), "the foreign page was not noticed");
	CHECK(vt_raw_unmap(c, GAP, PG) == 0, "the page in the gap survived the range unmap");
	check_avail(c, avail0 - 1);
	CHECK_RET(vfiox_dma_translate(c, mem + PG, &iova), 0);
	CHECK(iova == big + PG, "translate after the range unmap gave 0x%llx",
	      (unsigned long long)iova);

	/* Unmap-all: the kernel's flag, which takes a foreign one too. */
	if (vt_iommufd(c))	/* IOMMU_IOAS_UNMAP of everything instead */
		CHECK_REFUSED_ON_IOMMUFD(vfiox_container_check_extension(c, VFIO_UNMAP_ALL));
	else
		CHECK_RET(vfiox_container_check_extension(c, VFIO_UNMAP_ALL), 1);
	for (i = 0; i < N; i++)
		CHECK_RET(vfiox_dma_map_fixed(c, mem + i * PG, PG, SLOT + 2 * i * PG, NULL), 0);
	CHECK_RET(vt_raw_map(c, mem + N * PG, GAP, PG), 0);
	CHECK_RET(vfiox_dma_unmap_all(c), N + 1);
	check_avail(c, avail0);
	CHECK(vt_raw_unmap(c, GAP, PG) == 0, "the foreign page survived unmap-all");
	CHECK_RET(vfiox_dma_translate(c, mem, &iova), -ENOENT);
	vfiox_container_close(c);
	return vt_done("dma_range_unmap");
}
