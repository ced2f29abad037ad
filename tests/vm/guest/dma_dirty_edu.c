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
 * On the patched modules, type1's largest bitmap is then lowered to 16
 * bytes (the test-only parameter of kernel-patches/test: its own, 256 MiB,
 * covers 8 TiB, more than a VM can map): a query and an unmap with the
 * bitmap over eight mappings of 64 pages are each split into four kernel
 * calls, the kernel refuses the range in one, and libvfiox's bitmap is
 * what the kernel reports for the four parts asked one by one.
 * On iommufd every dirty call is refused, with no kernel call.
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
static unsigned long bitmap_unmaps;	/* VFIO_IOMMU_UNMAP_DMA with the bitmap */
static unsigned long ioctls;		/* every ioctl */

/*
 * Every ioctl() of this process, libvfiox's included (its shared library
 * calls the one the executable defines), passes here on its way to the
 * kernel: the bitmap queries are counted.
 */
__attribute__((visibility("default"))) int ioctl(int fd, unsigned long req, ...)
{
	struct vfio_iommu_type1_dirty_bitmap *d;
	struct vfio_iommu_type1_dma_unmap *u;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	d = arg;
	u = arg;
	ioctls++;
	if (req == VFIO_IOMMU_DIRTY_PAGES &&
	    d->flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP)
		bitmap_gets++;
	if (req == VFIO_IOMMU_UNMAP_DMA &&
	    u->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)
		bitmap_unmaps++;
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

/* The kernel's own bitmap of [@iova, +@pages pages) in one call, into @bm. */
static int raw_bitmap(struct vfiox_container *c, uint64_t iova, unsigned int pages,
		      uint64_t *bm)
{
	uint64_t arg[(sizeof(struct vfio_iommu_type1_dirty_bitmap) +
		      sizeof(struct vfio_iommu_type1_dirty_bitmap_get)) / 8];
	struct vfio_iommu_type1_dirty_bitmap d = {
		.argsz = sizeof(arg), .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
	};
	struct vfio_iommu_type1_dirty_bitmap_get g = {
		iova, (uint64_t)pages * PG, { PG, (pages + 63) / 64 * 8, (__u64 *)bm },
	};

	memset(bm, 0, g.bitmap.size);
	memcpy(arg, &d, sizeof(d));
	memcpy((char *)arg + sizeof(d), &g, sizeof(g));
	return ioctl(vfiox_container_fd(c), VFIO_IOMMU_DIRTY_PAGES, arg) ? -errno : 0;
}

/* The kernel's own answer for [SLOT, +256 pages) in one call: bits set. */
static int raw_query(struct vfiox_container *c, uint64_t *bm)
{
	int ret = raw_bitmap(c, SLOT, 256, bm);

	return ret ? ret : popcount_range(bm, 0, 256);
}

#define SPLIT_PARAM "/sys/module/vfio_iommu_type1/parameters/test_dirty_bitmap_size_max"
#define SPLIT_MAX 16		/* bytes: 128 pages a call */
#define SPLIT_MAPS 8		/* of 64 pages each: 512 pages, 4 calls */

/* Set the test-only largest bitmap; false if these modules lack it. */
static bool set_split_max(unsigned int bytes)
{
	char text[16];
	int fd = open(SPLIT_PARAM, O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	snprintf(text, sizeof(text), "%u", bytes);
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	CHECK(ok && vt_sysfs_ull(SPLIT_PARAM) == bytes, "setting %s to %u", SPLIT_PARAM,
	      bytes);
	return true;
}

/* Eight mappings of 64 pages, dirty tracking on: 512 pages from SLOT. */
static int split_setup(struct vfiox_container *c, uint8_t *mem)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	int i, ret = vfiox_container_iommu_info(c, &info);

	CHECK(!ret && info.max_dirty_bitmap_size == SPLIT_MAX,
	      "the IOMMU reports a largest bitmap of 0x%llx bytes, not %d",
	      (unsigned long long)info.max_dirty_bitmap_size, SPLIT_MAX);
	for (i = 0; !ret && i < SPLIT_MAPS; i++)
		ret = vfiox_dma_map_fixed(c, mem + i * 64 * PG, 64 * PG,
					  SLOT + i * 64ULL * PG, NULL);
	return ret ? ret : vfiox_dma_dirty_start(c);
}

/* A query of the eight, and the kernel's answers for its four parts. */
static void split_query(struct vfiox_container *c)
{
	uint64_t bm[SPLIT_MAPS], part[2], whole[SPLIT_MAPS], gets = bitmap_gets;
	int i;

	memset(bm, 0xa5, sizeof(bm));
	CHECK_RET(vfiox_dma_dirty_bitmap(c, SLOT, SPLIT_MAPS * 64 * PG, bm, sizeof(bm)), 0);
	CHECK(bitmap_gets - gets == SPLIT_MAPS / 2,
	      "a query of %d pages made %lu kernel calls, not %d", SPLIT_MAPS * 64,
	      (unsigned long)(bitmap_gets - gets), SPLIT_MAPS / 2);
	CHECK_RET(raw_bitmap(c, SLOT, SPLIT_MAPS * 64, whole), -EINVAL);
	for (i = 0; i < SPLIT_MAPS / 2; i++) {
		CHECK_RET(raw_bitmap(c, SLOT + i * 128ULL * PG, 128, part), 0);
		CHECK(bm[2 * i] == part[0] && bm[2 * i + 1] == part[1],
		      "pages %d-%d: libvfiox %016llx %016llx, the kernel %016llx %016llx",
		      i * 128, i * 128 + 127, (unsigned long long)bm[2 * i],
		      (unsigned long long)bm[2 * i + 1], (unsigned long long)part[0],
		      (unsigned long long)part[1]);
	}
	/* Type1 cannot tell what vfio-pci's device wrote: all of it. */
	CHECK(popcount_range(bm, 0, SPLIT_MAPS * 64) == SPLIT_MAPS * 64,
	      "%d of %d pages dirty", popcount_range(bm, 0, SPLIT_MAPS * 64),
	      SPLIT_MAPS * 64);
}

/* The same eight unmapped with the bitmap: four kernel calls again. */
static void split_unmap(struct vfiox_container *c)
{
	uint64_t bm[SPLIT_MAPS], unmaps = bitmap_unmaps;
	int removed = -1;

	memset(bm, 0xa5, sizeof(bm));
	CHECK_RET(vfiox_dma_unmap_dirty(c, SLOT, SPLIT_MAPS * 64 * PG, bm, sizeof(bm),
					&removed), SPLIT_MAPS);
	CHECK(removed == SPLIT_MAPS, "%d mappings removed", removed);
	CHECK(bitmap_unmaps - unmaps == SPLIT_MAPS / 2,
	      "an unmap of %d pages made %lu kernel calls, not %d", SPLIT_MAPS * 64,
	      (unsigned long)(bitmap_unmaps - unmaps), SPLIT_MAPS / 2);
	CHECK(popcount_range(bm, 0, SPLIT_MAPS * 64) == SPLIT_MAPS * 64,
	      "%d of %d unmapped pages dirty", popcount_range(bm, 0, SPLIT_MAPS * 64),
	      SPLIT_MAPS * 64);
}

/* On a container opened after the largest bitmap was lowered. */
static void split_run(struct vfiox_container *c, uint8_t *mem)
{
	CHECK_RET(split_setup(c, mem), 0);
	if (vt_failures)
		return;
	split_query(c);
	split_unmap(c);
	CHECK_RET(vfiox_dma_dirty_stop(c), 0);
	if (!vt_failures)
		printf("  largest bitmap %d bytes: a query and an unmap of %d pages, four kernel calls each, the kernel's bits\n",
		       SPLIT_MAX, SPLIT_MAPS * 64);
}

/*
 * Queries larger than the kernel's largest bitmap, on the patched modules,
 * which can lower it; the stock ones cannot, and say so.
 */
static void split_queries(const char *bdf, bool patched)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	uint8_t *mem;

	if (!set_split_max(SPLIT_MAX)) {
		CHECK(!patched, "the patched modules lack %s", SPLIT_PARAM);
		printf("  stock modules: the split against the kernel is shown on the patched ones\n");
		return;
	}
	mem = mmap(NULL, SPLIT_MAPS * 64 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHECK(mem != MAP_FAILED, "mmap");
	CHECK_RET(vt_open(bdf, &c, &g, NULL), 0);
	if (!vt_failures) {
		split_run(c, mem);
		vfiox_container_close(c);
	}
	set_split_max(0);
	munmap(mem, SPLIT_MAPS * 64 * PG);
}

/*
 * On iommufd (its dirty tracking is the HWPT's, not type1's): no migration
 * capability, and every dirty call refused before any kernel call; the
 * mappings stay, and unmap as usual.
 */
static int refused_on_iommufd(struct vfiox_container *c,
			      const struct vfiox_iommu_info *info, uint8_t *mem)
{
	unsigned long before;
	int removed = -1;
	uint64_t bm[4];

	CHECK(!info->has_migration, "iommufd reports type1's migration capability");
	CHECK_RET(vfiox_dma_map_fixed(c, mem, 4 * PG, SLOT, NULL), 0);
	before = ioctls;
	CHECK_REFUSED_ON_IOMMUFD(vfiox_dma_dirty_start(c));
	CHECK_REFUSED_ON_IOMMUFD(vfiox_dma_dirty_bitmap(c, SLOT, 4 * PG, bm, sizeof(bm)));
	CHECK_REFUSED_ON_IOMMUFD(vfiox_dma_unmap_dirty(c, SLOT, 4 * PG, bm, sizeof(bm), &removed));
	CHECK_REFUSED_ON_IOMMUFD(vfiox_dma_dirty_stop(c));
	CHECK(ioctls == before, "%lu kernel calls for refused calls", ioctls - before);
	CHECK(removed <= 0, "a refused unmap reports %d removed", removed);
	CHECK_RET(vfiox_dma_unmap_all(c), 1);
	vfiox_container_close(c);
	return vt_done("dma_dirty_edu");
}

int main(void)
{
	const char *mods = getenv("VFIOX_MODULES");
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
	if (vt_iommufd(c))
		return refused_on_iommufd(c, &info, mem);
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
	split_queries(vt_env("VFIOX_EDU"), mods && !strcmp(mods, "patched"));
	return vt_done("dma_dirty_edu");
}
