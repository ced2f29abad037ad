// SPDX-License-Identifier: MIT
/*
 * The IOMMU info libvfiox reports equals what the kernel says elsewhere:
 * the IOVA ranges are the IOMMU aperture minus the group's non-relaxable
 * reserved regions in sysfs (parsed here independently of libvfiox), and
 * dma_avail starts at the module's dma_entry_limit and moves by one per
 * mapping. On iommufd the ranges are the IOAS's once the device is
 * attached (a group alone attaches nothing), the same set; there is no
 * dma_avail, and none is claimed.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vmtest.h"

#define MAX_R 32

struct span {
	unsigned long long start, end;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Aperture minus every non-relaxable reserved region of the group. */
static int expected_ranges(int group, unsigned long long aperture_end,
			   struct span *out)
{
	struct span resv[MAX_R];
	unsigned long long next = 0;
	char path[128], type[64];
	int nr = 0, n = 0, i;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/reserved_regions", group);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (nr < MAX_R && fscanf(f, "%llx %llx %63s", &resv[nr].start,
				    &resv[nr].end, type) == 3) {
		printf("  sysfs reserved: 0x%llx-0x%llx %s\n", resv[nr].start,
		       resv[nr].end, type);
		if (strcmp(type, "direct-relaxable"))
			nr++;
	}
	fclose(f);
	qsort(resv, (size_t)nr, sizeof(resv[0]), cmp_span);
	for (i = 0; i < nr && next <= aperture_end; i++) {
		if (resv[i].start > next)
			out[n++] = (struct span){ next, resv[i].start - 1 };
		if (resv[i].end + 1 > next)
			next = resv[i].end + 1;
	}
	if (next && next <= aperture_end)
		out[n++] = (struct span){ next, aperture_end };
	else if (!next)
		out[n++] = (struct span){ 0, aperture_end };
	return n;
}

static void check_ranges(struct vfiox_container *c, int group)
{
	unsigned long long aperture = strtoull(vt_env("VFIOX_APERTURE_END"), NULL, 0);
	struct vfiox_iova_range got[MAX_R];
	struct span want[MAX_R];
	int nw = expected_ranges(group, aperture, want);
	int ng = vfiox_container_iova_ranges(c, got, MAX_R), i;

	CHECK(nw > 0, "no expected ranges from sysfs");
	CHECK(ng == nw, "libvfiox reports %d IOVA ranges, sysfs implies %d", ng, nw);
	for (i = 0; i < ng && i < MAX_R; i++)
		printf("  libvfiox range %d: 0x%llx-0x%llx\n", i,
		       (unsigned long long)got[i].start, (unsigned long long)got[i].end);
	for (i = 0; i < ng && i < nw; i++)
		CHECK(got[i].start == want[i].start && got[i].end == want[i].end,
		      "range %d is 0x%llx-0x%llx, sysfs implies 0x%llx-0x%llx", i,
		      (unsigned long long)got[i].start, (unsigned long long)got[i].end,
		      want[i].start, want[i].end);
}

static unsigned int dma_avail(struct vfiox_container *c)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };

	CHECK_RET(vfiox_container_refresh(c), 0);
	CHECK_RET(vfiox_container_iommu_info(c, &info), 0);
	CHECK(info.has_dma_avail, "kernel gave no dma_avail capability");
	return info.dma_avail;
}

static int raw_map(struct vfiox_container *c, void *buf, uint64_t iova)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf, .iova = iova, .size = 4096,
	};

	return ioctl(vfiox_container_fd(c), VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

static int raw_unmap(struct vfiox_container *c, uint64_t iova)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = iova, .size = 4096,
	};

	return ioctl(vfiox_container_fd(c), VFIO_IOMMU_UNMAP_DMA, &u) ? -errno : 0;
}

/* iommufd: the device attached, the same ranges, no dma_avail. */
static int on_iommufd(struct vfiox_container *c, struct vfiox_group *g)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	uint32_t kernel = 99, ours = 99;
	struct vfiox_device *d;

	CHECK_RET(vfiox_device_open(g, vt_env("VFIOX_NVME"), NULL, &d), 0);
	check_ranges(c, vfiox_group_number(g));
	CHECK_RET(vfiox_container_iommu_info(c, &info), 0);
	CHECK(info.iommu_type == VFIOX_IOMMU_IOMMUFD, "iommu_type %d", info.iommu_type);
	CHECK(!info.has_dma_avail, "iommufd claims a dma_avail of %u", info.dma_avail);
	CHECK_REFUSED_ON_IOMMUFD(vfiox_dma_avail_check(c, &kernel, &ours));
	vfiox_container_close(c);
	return vt_done("iommu_info_matches_kernel");
}

int main(void)
{
	unsigned long long limit = vt_sysfs_ull(
		"/sys/module/vfio_iommu_type1/parameters/dma_entry_limit");
	struct vfiox_container *c;
	struct vfiox_group *g;
	void *buf;

	vt_init();
	CHECK_RET(vt_open(vt_env("VFIOX_NVME"), &c, &g, NULL), 0);
	if (vt_failures)
		return vt_done("iommu_info_matches_kernel");
	if (vt_iommufd(c))
		return on_iommufd(c, g);
	check_ranges(c, vfiox_group_number(g));
	CHECK(dma_avail(c) == limit, "dma_avail %u, module limit %llu",
	      dma_avail(c), limit);
	buf = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHECK(buf != MAP_FAILED, "mmap");
	CHECK_RET(raw_map(c, buf, 0x100000), 0);
	CHECK(dma_avail(c) == limit - 1, "after one map dma_avail is %u", dma_avail(c));
	CHECK_RET(raw_map(c, (char *)buf + 4096, 0x200000), 0);
	CHECK(dma_avail(c) == limit - 2, "after two maps dma_avail is %u", dma_avail(c));
	CHECK_RET(raw_unmap(c, 0x100000), 0);
	CHECK(dma_avail(c) == limit - 1, "after an unmap dma_avail is %u", dma_avail(c));
	vfiox_container_close(c);
	return vt_done("iommu_info_matches_kernel");
}
