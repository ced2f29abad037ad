// SPDX-License-Identifier: MIT
/*
 * 10k libvfiox mappings of 4 KiB buffers, with alignments that march the
 * allocator across the whole IOVA space: 1 MiB steps past the MSI window at
 * 4 GiB, 1 GiB steps up to AMD's HyperTransport hole at 1 TiB (or until
 * the aperture is used up, as VT-d's 512 GiB is), then 4 KiB.
 * Every IOVA is checked against the group's reserved regions read from
 * sysfs here, independently of libvfiox; fixed maps into a hole are refused.
 */
#include <sys/mman.h>

#include "vmtest.h"

#define N 10000
#define MAX_R 32

struct span {
	unsigned long long start, end;
	char type[32];
};

static int read_resv(int group, struct span *r)
{
	char path[128];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/reserved_regions", group);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (n < MAX_R && fscanf(f, "%llx %llx %31s", &r[n].start, &r[n].end, r[n].type) == 3)
		n++;
	fclose(f);
	return n;
}

static uint64_t align_for(int i, int giant_done)
{
	if (i < 4200)
		return 1ULL << 20;
	if (i < 5300 && !giant_done)
		return 1ULL << 30;
	return 0;
}

int main(void)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	struct span r[MAX_R];
	uint64_t iova, highest = 0;
	int nr, i, j, ret, bad = 0, near_hole = 0, giant_done = 0;
	uint8_t *buf;

	vt_init();
	vfiox_set_log(vt_log_cb, VFIOX_LOG_WARN, NULL);
	/* With the device: an IOAS has info and maps from its first on. */
	CHECK_RET(vt_open(vt_env("VFIOX_NVME"), &c, &g, &d), 0);
	if (vt_failures)
		return vt_done("dma_allocator_avoids_holes");
	nr = read_resv(vfiox_group_number(g), r);
	CHECK(nr > 0, "no reserved regions in sysfs");
	buf = mmap(NULL, (size_t)N * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHECK(buf != MAP_FAILED, "mmap");
	for (i = 0; i < N && !vt_failures; i++) {
		struct vfiox_dma_opts o = { .sz = sizeof(o), .align = align_for(i, giant_done) };

		ret = vfiox_dma_map(c, buf + (size_t)i * 4096, 4096, &o, &iova);
		if (ret == -ENOSPC && o.align == 1ULL << 30) {
			/* No 1 GiB-aligned IOVA left below the aperture's end. */
			giant_done = 1;
			o.align = 0;
			ret = vfiox_dma_map(c, buf + (size_t)i * 4096, 4096, &o, &iova);
		}
		CHECK(ret == 0, "mapping %d: %d", i, ret);
		for (j = 0; j < nr; j++) {
			if (iova <= r[j].end && iova + 4095 >= r[j].start) {
				printf("  IOVA 0x%llx lies in %s region 0x%llx-0x%llx\n",
				       (unsigned long long)iova, r[j].type, r[j].start, r[j].end);
				bad++;
			}
			if (iova > r[j].end && iova - r[j].end <= (1ULL << 30))
				near_hole++;
		}
		if (iova > highest)
			highest = iova;
	}
	printf("  %d mappings, highest IOVA 0x%llx, %d just above a reserved region\n",
	       i, (unsigned long long)highest, near_hole);
	CHECK(bad == 0, "%d IOVAs inside reserved regions", bad);
	CHECK(near_hole > 0, "the run never passed a reserved region");
	CHECK_RET(vfiox_dma_unmap_all(c), N);
	/* A fixed map into any reserved region is refused by libvfiox. */
	for (j = 0; j < nr; j++)
		CHECK_RET(vfiox_dma_map_fixed(c, buf, 4096, r[j].start & ~0xfffULL, NULL), -EINVAL);
	CHECK(vt_log_has("touches a reserved region"), "no message for the hole");
	vfiox_container_close(c);
	return vt_done("dma_allocator_avoids_holes");
}
