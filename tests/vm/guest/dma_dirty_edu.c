// SPDX-License-Identifier: MIT
/*
 * Dirty page tracking as type1 really does it: with the migration
 * capability in the IOMMU info, start; edu DMAs into one buffer; the bitmap
 * of a range holding three mappings (one not on a 64-page boundary) and
 * gaps has every page of every mapping dirty (vfio-pci pins nothing, so
 * type1 cannot tell which pages the device wrote), on every read, and no
 * page of a gap; unmap with the bitmap gives the same for what it removes;
 * stop. libvfiox asks the kernel once per mapping off a 64-page step (the
 * ioctls are counted). The same range asked of the kernel in one raw call
 * reports 7 bits, then 10: pages past the unaligned mappings dirty from
 * the second read on (type1 shifts their bitmaps in place and clears only
 * their own bits), the reason libvfiox asks for such mappings one by one
 * (lib/dma_dirty.c). A kernel that fixes that fails this test, on purpose:
 * the workaround's cost could then go.
 */
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "vmtest.h"

#define PG 4096
#define SLOT 0x1000000ULL	/* below edu's 28-bit DMA mask */
#define EDU_BUF 0x40000
#define COPY 2048

static unsigned long bitmap_gets;	/* VFIO_IOMMU_DIRTY_PAGES get-bitmap calls */

/*
 * Every ioctl() of this process, libvfiox's included (its shared library
 * calls the one the executable defines), passes here on its way to the
 * kernel: the bitmap queries are counted.
 */
__attribute__((visibility("default"))) int ioctl(int fd, unsigned long req, ...)
{
	struct vfio_iommu_type1_dirty_bitmap *d;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	d = arg;
	if (req == VFIO_IOMMU_DIRTY_PAGES &&
	    d->flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP)
		bitmap_gets++;
	return (int)syscall(SYS_ioctl, fd, req, arg);
}

static int popcount_range(const uint64_t *bm, unsigned int first, unsigned int n)
{
	unsigned int i;
	int set = 0;

	for (i = first; i < first + n; i++)
		set += (bm[i / 64] >> (i % 64)) & 1;
	return set;
}

/* The kernel's own answer for [SLOT, +256 pages) in one call: bits set. */
static int raw_query(struct vfiox_container *c, uint64_t *bm)
{
	uint64_t arg[(sizeof(struct vfio_iommu_type1_dirty_bitmap) +
		      sizeof(struct vfio_iommu_type1_dirty_bitmap_get)) / 8];
	struct vfio_iommu_type1_dirty_bitmap d = {
		.argsz = sizeof(arg), .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
	};
	struct vfio_iommu_type1_dirty_bitmap_get g = {
		SLOT, 256 * PG, { PG, 32, (__u64 *)bm },
	};

	memset(bm, 0, 32);
	memcpy(arg, &d, sizeof(d));
	memcpy((char *)arg + sizeof(d), &g, sizeof(g));
	if (ioctl(vfiox_container_fd(c), VFIO_IOMMU_DIRTY_PAGES, arg))
		return -errno;
	return popcount_range(bm, 0, 256);
}

int main(void)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;
	struct vt_edu e;
	uint64_t bm[4];
	uint8_t *mem;
	int round, stale, removed = -1;

	vt_init();
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &c, &g, &d), 0);
	mem = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(mem != MAP_FAILED, "mmap");
	if (vt_failures)
		return vt_done("dma_dirty_edu");
	CHECK_RET(vfiox_container_iommu_info(c, &info), 0);
	CHECK(info.has_migration, "type1 reports no migration capability");
	CHECK(info.migration_pgsizes & PG, "migration page sizes 0x%llx",
	      (unsigned long long)info.migration_pgsizes);
	printf("  migration: page sizes 0x%llx, largest bitmap 0x%llx bytes\n",
	       (unsigned long long)info.migration_pgsizes,
	       (unsigned long long)info.max_dirty_bitmap_size);
	CHECK_RET(vt_edu_setup(d, &e), 0);
	CHECK_RET(vfiox_dma_map_fixed(c, mem, 4 * PG, SLOT, NULL), 0);
	CHECK_RET(vfiox_dma_map_fixed(c, mem + 8 * PG, 2 * PG, SLOT + 70 * PG, NULL), 0);
	CHECK_RET(vfiox_dma_map_fixed(c, mem + 12 * PG, PG, SLOT + 200 * PG, NULL), 0);
	CHECK_RET(vfiox_dma_dirty_bitmap(c, SLOT, 256 * PG, bm, sizeof(bm)), -EINVAL);
	CHECK_RET(vfiox_dma_dirty_start(c), 0);

	/* edu copies page 0 of the first buffer into page 1 of the second. */
	memset(mem, 0x5a, COPY);
	CHECK_RET(vt_edu_dma(&e, SLOT, EDU_BUF, COPY, 0), 0);
	CHECK_RET(vt_edu_dma(&e, EDU_BUF, SLOT + 71 * PG, COPY, VT_EDU_TO_RAM), 0);
	CHECK(!memcmp(mem + 9 * PG, mem, COPY), "edu's copy missed");
	for (round = 0; round < 2; round++) {
		unsigned long gets = bitmap_gets;

		memset(bm, 0xa5, sizeof(bm));
		CHECK_RET(vfiox_dma_dirty_bitmap(c, SLOT, 256 * PG, bm, sizeof(bm)), 0);
		/* Pages 0-3, then 70-71 and 200, each off a 64-page step. */
		CHECK(bitmap_gets - gets == 3, "read %d: %lu kernel calls, not 3",
		      round, bitmap_gets - gets);
		CHECK(popcount_range(bm, 0, 4) == 4 && popcount_range(bm, 70, 2) == 2 &&
		      popcount_range(bm, 200, 1) == 1,
		      "read %d: not every mapped page dirty: %016llx %016llx %016llx %016llx",
		      round, (unsigned long long)bm[0], (unsigned long long)bm[1],
		      (unsigned long long)bm[2], (unsigned long long)bm[3]);
		CHECK(popcount_range(bm, 0, 256) == 7,
		      "read %d: %d bits set, the mappings have 7 pages", round,
		      popcount_range(bm, 0, 256));
	}
	round = raw_query(c, bm);
	stale = raw_query(c, bm);
	printf("  the kernel's own one-call query: %d, then %d bits (7 pages mapped)\n",
	       round, stale);
	/* 70-71 shifted by 6 leave bits 76-77, 200 by 8 leaves 208. */
	CHECK(round == 7 && stale == 10 && popcount_range(bm, 76, 2) == 2 &&
	      popcount_range(bm, 208, 1) == 1,
	      "type1's raw queries gave %d then %d bits, not 7 then 10: its in-place shift changed (lib/dma_dirty.c)",
	      round, stale);
	memset(bm, 0xa5, sizeof(bm));
	CHECK_RET(vfiox_dma_dirty_bitmap(c, SLOT, 256 * PG, bm, sizeof(bm)), 0);
	CHECK(popcount_range(bm, 0, 256) == 7, "after the raw queries: %d bits set",
	      popcount_range(bm, 0, 256));
	/* Unmap the two on a 64-page boundary and past it, with the bitmap. */
	memset(bm, 0xa5, sizeof(bm));
	CHECK_RET(vfiox_dma_unmap_dirty(c, SLOT + 64 * PG, 192 * PG, bm, 3 * 8, &removed), 2);
	CHECK(removed == 2, "unmap with the bitmap says %d mappings removed, not 2", removed);
	CHECK(popcount_range(bm, 6, 2) == 2 && popcount_range(bm, 136, 1) == 1 &&
	      popcount_range(bm, 0, 192) == 3,
	      "unmap bitmap %016llx %016llx %016llx", (unsigned long long)bm[0],
	      (unsigned long long)bm[1], (unsigned long long)bm[2]);
	CHECK_RET(vfiox_dma_translate_all(c, mem + 8 * PG, NULL, 0), 0);
	CHECK_RET(vfiox_dma_dirty_stop(c), 0);
	CHECK_RET(vfiox_dma_dirty_bitmap(c, SLOT, 4 * PG, bm, 8), -EINVAL);
	CHECK_RET(vfiox_dma_unmap_all(c), 1);
	vfiox_container_close(c);
	return vt_done("dma_dirty_edu");
}
