// SPDX-License-Identifier: MIT
/*
 * 100k 4 KiB DMA buffers from one pool: every one translates to the IOVA
 * it was given, and together they use a small number of kernel mapping
 * entries (reported, and checked against the kernel's own dma_avail; on
 * iommufd, which has none, that none is claimed).
 */
#include "vmtest.h"

#define N 100000

int main(void)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	struct vfiox_dma_pool *p;
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint32_t avail0;
	uint64_t iova, t;
	static void *va[N];
	int i, chunks, wrong = 0;

	vt_init();
	/* With the device: an IOAS has info and maps from its first on. */
	CHECK_RET(vt_open(vt_env("VFIOX_NVME"), &c, &g, &d), 0);
	if (vt_failures)
		return vt_done("dma_pool_100k_buffers");
	CHECK_RET(vfiox_container_iommu_info(c, &info), 0);
	avail0 = info.dma_avail;
	CHECK_RET(vfiox_dma_pool_new(c, NULL, &p), 0);
	for (i = 0; i < N && !vt_failures; i++) {
		CHECK_RET(vfiox_dma_alloc(p, 4096, &va[i], &iova), 0);
		wrong += vfiox_dma_translate(c, va[i], &t) || t != iova;
	}
	chunks = vfiox_dma_pool_chunks(p);
	CHECK_RET(vfiox_dma_stats(c, &st), 0);
	CHECK_RET(vfiox_container_refresh(c), 0);
	CHECK_RET(vfiox_container_iommu_info(c, &info), 0);
	printf("  pool_kernel_entries_100k=%d (libvfiox counts %u, kernel dma_avail %u -> %u)\n",
	       chunks, st.entries_used, avail0, info.dma_avail);
	CHECK(wrong == 0, "%d buffers translate wrongly", wrong);
	CHECK(chunks <= 256, "%d kernel entries for 100k buffers", chunks);
	CHECK(st.entries_used == (uint32_t)chunks, "stats say %u", st.entries_used);
	if (vt_iommufd(c))	/* no entry count to check against */
		CHECK(!info.has_dma_avail, "iommufd claims a dma_avail");
	else
		CHECK(avail0 - info.dma_avail == (uint32_t)chunks, "kernel used %u entries",
		      avail0 - info.dma_avail);
	for (i = 0; i < N; i++)
		wrong += vfiox_dma_free(p, va[i]) != 0;
	CHECK(wrong == 0, "%d frees failed", wrong);
	CHECK(vfiox_dma_pool_chunks(p) <= 1, "%d chunks left after freeing all",
	      vfiox_dma_pool_chunks(p));
	vfiox_dma_pool_free(p);
	vfiox_container_close(c);
	return vt_done("dma_pool_100k_buffers");
}
