// SPDX-License-Identifier: MIT
/*
 * In-VM benchmark, the iommufd twin of map_unmap_overhead.c: libvfiox
 * map+unmap of 4 KiB buffers on the iommufd backend against raw
 * IOMMU_IOAS_MAP/IOMMU_IOAS_UNMAP of the same buffers at the same IOVAs in
 * the same IOAS, with the device opened (attached), so both sides pay for
 * the same IOMMU domain. Same method: blocks of 10 maps then 10 unmaps,
 * raw and libvfiox back to back, 3001 pairs with the order alternating,
 * the median of the per-pair ratios and its quartiles.
 *
 * The raw side maps into libvfiox's own IOAS (vfiox_container_ioas_id()).
 * A kernel without iommufd (Debian's 6.1) prints no figure, says why and
 * succeeds: the figure needs the debug kernel (tests/vm/run --debug).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <vfiox.h>

#include "../../../lib/uapi_iommufd.h"
#include "../bench.h"

#define N 10
#define PAIRS 3001

static uint64_t iova[N];

static double raw_round(int fd, uint32_t ioas, uint8_t *buf)
{
	double t0 = now_ns();
	int i;

	for (i = 0; i < N; i++) {
		struct vfiox_iommu_ioas_map m = {
			.size = sizeof(m), .ioas_id = ioas,
			.flags = VFIOX_IOMMU_IOAS_MAP_FIXED_IOVA |
				 VFIOX_IOMMU_IOAS_MAP_READABLE |
				 VFIOX_IOMMU_IOAS_MAP_WRITEABLE,
			.user_va = (uintptr_t)(buf + (size_t)i * 4096),
			.length = 4096, .iova = iova[i],
		};

		if (ioctl(fd, VFIOX_IOMMU_IOAS_MAP, &m))
			return -1;
	}
	for (i = 0; i < N; i++) {
		struct vfiox_iommu_ioas_unmap u = {
			.size = sizeof(u), .ioas_id = ioas, .iova = iova[i], .length = 4096,
		};

		if (ioctl(fd, VFIOX_IOMMU_IOAS_UNMAP, &u))
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

/* libvfiox on iommufd with @bdf attached; 1 when the kernel has none. */
static int open_iommufd(const char *bdf, struct vfiox_container **c)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts), .backend = VFIOX_BACKEND_IOMMUFD,
	};
	struct vfiox_device *d;
	struct vfiox_group *g;
	int ret;

	if (access("/dev/iommu", F_OK)) {
		printf("# iommufd_map_unmap_overhead: no /dev/iommu on this kernel, no figure\n");
		return 1;
	}
	ret = vfiox_container_open(&opts, c);
	if (!ret && vfiox_container_backend(*c) != VFIOX_BACKEND_IOMMUFD)
		ret = -EPROTO;
	if (!ret)
		ret = vfiox_group_open_pci(*c, bdf, &g);
	if (!ret)
		ret = vfiox_device_open(g, bdf, NULL, &d);
	if (ret)
		fprintf(stderr, "bench: cannot open %s on iommufd: %s\n", bdf, strerror(-ret));
	return ret;
}

int main(int argc, char **argv)
{
	const char *bdf = argc > 1 ? argv[1] : "0000:00:04.0";
	static double raw[PAIRS], lib[PAIRS], ratio[PAIRS];
	struct vfiox_container *c;
	uint32_t ioas = 0;
	uint8_t *buf;
	int fd, r;

	/* The guest's suites pin VFIOX_BACKEND; this benchmark chooses. */
	unsetenv("VFIOX_BACKEND");
	r = open_iommufd(bdf, &c);
	if (r)
		return r > 0 ? 0 : 1;
	fd = vfiox_container_fd(c);
	if (vfiox_container_ioas_id(c, &ioas))
		ioas = 0;
	buf = mmap(NULL, (size_t)N * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	/* A first libvfiox round chooses the IOVAs both sides then use. */
	if (!ioas || buf == MAP_FAILED || lib_round(c, buf) < 0) {
		fprintf(stderr, "bench: no IOAS, no buffer, or a map or unmap failed\n");
		return 1;
	}
	for (r = 0; r < PAIRS; r++) {
		if (r & 1) {
			lib[r] = lib_round(c, buf);
			raw[r] = raw_round(fd, ioas, buf);
		} else {
			raw[r] = raw_round(fd, ioas, buf);
			lib[r] = lib_round(c, buf);
		}
		if (raw[r] < 0 || lib[r] < 0) {
			fprintf(stderr, "bench: a map or unmap failed\n");
			return 1;
		}
		ratio[r] = lib[r] / raw[r];
	}
	printf("iommufd_raw_map_unmap_ns=%.0f\n", median(raw, PAIRS) / N);
	printf("iommufd_vfiox_map_unmap_ns=%.0f\n", median(lib, PAIRS) / N);
	/* median() sorts, so the quartiles are read off the sorted array. */
	printf("iommufd_map_unmap_overhead_ratio=%.3f\n", median(ratio, PAIRS));
	printf("iommufd_map_unmap_overhead_ratio_p25=%.3f\n", ratio[PAIRS / 4]);
	printf("iommufd_map_unmap_overhead_ratio_p75=%.3f\n", ratio[3 * PAIRS / 4]);
	vfiox_container_close(c);
	return 0;
}
