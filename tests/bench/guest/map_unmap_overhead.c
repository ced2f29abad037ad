// SPDX-License-Identifier: MIT
/*
 * In-VM benchmark: libvfiox map+unmap of 4 KiB buffers against raw
 * VFIO_IOMMU_MAP_DMA/UNMAP_DMA of the same buffers at the same IOVAs (the
 * ones libvfiox chose). Blocks of 10 maps then 10 unmaps, raw and
 * libvfiox back to back, 3001 such pairs with the order alternating; the
 * ratio is the median of the per-pair ratios, so a slow spell of the
 * emulator (TCG) weighs on both sides of a pair alike, and short blocks
 * make the spells rarely split a pair. The quartiles of the per-pair
 * ratios are printed too. Also the kernel entries 100k pool buffers take.
 * Prints key=value lines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/vfio.h>

#include <vfiox.h>

#include "../bench.h"

#define N 10
#define PAIRS 3001

static uint64_t iova[N];

static double raw_round(int fd, uint8_t *buf)
{
	double t0 = now_ns();
	int i;

	for (i = 0; i < N; i++) {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uintptr_t)(buf + (size_t)i * 4096),
			.iova = iova[i], .size = 4096,
		};

		if (ioctl(fd, VFIO_IOMMU_MAP_DMA, &m))
			return -1;
	}
	for (i = 0; i < N; i++) {
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u), .iova = iova[i], .size = 4096,
		};

		if (ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &u))
			return -1;
	}
	return now_ns() - t0;
}

static double lib_round(struct vfiox_container *c, uint8_t *buf)
{
	double t0 = now_ns();
	int i;

	for (i = 0; i < N; i++)
		if (vfiox_dma_map(c, buf + (size_t)i * 4096, 4096, NULL, &iova[i]))
			return -1;
	for (i = 0; i < N; i++)
		if (vfiox_dma_unmap_iova(c, iova[i], 4096))
			return -1;
	return now_ns() - t0;
}

static int pool_entries(struct vfiox_container *c)
{
	struct vfiox_dma_pool *p;
	uint64_t iova;
	void *va;
	int i, n;

	if (vfiox_dma_pool_new(c, NULL, &p))
		return -1;
	for (i = 0; i < 100000; i++)
		if (vfiox_dma_alloc(p, 4096, &va, &iova))
			break;
	n = i == 100000 ? vfiox_dma_pool_chunks(p) : -1;
	vfiox_dma_pool_free(p);
	return n;
}

int main(int argc, char **argv)
{
	const char *bdf = argc > 1 ? argv[1] : "0000:00:04.0";
	static double raw[PAIRS], lib[PAIRS], ratio[PAIRS];
	struct vfiox_container *c;
	struct vfiox_group *g;
	uint8_t *buf;
	int r;

	if (vfiox_container_open(NULL, &c) || vfiox_group_open_pci(c, bdf, &g)) {
		fprintf(stderr, "bench: cannot open %s\n", bdf);
		return 1;
	}
	buf = mmap(NULL, (size_t)N * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	/* A first libvfiox round chooses the IOVAs both sides then use. */
	if (lib_round(c, buf) < 0) {
		fprintf(stderr, "bench: a map or unmap failed\n");
		return 1;
	}
	for (r = 0; r < PAIRS; r++) {
		if (r & 1) {
			lib[r] = lib_round(c, buf);
			raw[r] = raw_round(vfiox_container_fd(c), buf);
		} else {
			raw[r] = raw_round(vfiox_container_fd(c), buf);
			lib[r] = lib_round(c, buf);
		}
		if (raw[r] < 0 || lib[r] < 0) {
			fprintf(stderr, "bench: a map or unmap failed\n");
			return 1;
		}
		ratio[r] = lib[r] / raw[r];
	}
	printf("raw_map_unmap_ns=%.0f\n", median(raw, PAIRS) / N);
	printf("vfiox_map_unmap_ns=%.0f\n", median(lib, PAIRS) / N);
	/* median() sorts, so the quartiles are read off the sorted array. */
	printf("map_unmap_overhead_ratio=%.3f\n", median(ratio, PAIRS));
	printf("map_unmap_overhead_ratio_p25=%.3f\n", ratio[PAIRS / 4]);
	printf("map_unmap_overhead_ratio_p75=%.3f\n", ratio[3 * PAIRS / 4]);
	printf("pool_kernel_entries_100k=%d\n", pool_entries(c));
	vfiox_container_close(c);
	return 0;
}
