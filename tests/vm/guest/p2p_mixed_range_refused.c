// SPDX-License-Identifier: MIT
/*
 * One VFIO_IOMMU_MAP_DMA whose range mixes memory kinds (issue 17,
 * finding 1). Container A holds edu; ivshmem (container B) and edu lend
 * BAR mmaps. Three two-page ranges are built with MAP_FIXED and mapped
 * into A with one ioctl each:
 *   anon+bar    an anonymous page, then a page of ivshmem's BAR 2
 *   bar+anon    the same the other way round
 *   bar+bar     a page of ivshmem's BAR 2, then a page of edu's BAR 0
 * A range of two pages of ivshmem's BAR 2 is the control.
 *   patched: every mixed range fails with EINVAL, takes no entry and maps
 *            nothing; the control maps.
 *   stock:   every range is accepted. Closing ivshmem then leaves the BAR
 *            page of anon+bar mapped in A: the hazard the series closes.
 *   iommufd: no raw map of a BAR's mmap; P2P only through a dma-buf
 *            (vt_p2p_on_iommufd()).
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vmtest.h"

#define PG 4096UL
#define IOVA_BASE 0x40000000ULL

/* Put one page of @fd at @off (or anonymous memory, @fd < 0) at @at. */
static int place(void *at, int fd, off_t off)
{
	void *p;

	if (fd < 0) {
		p = mmap(at, PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p != MAP_FAILED)
			memset(p, 0x5a, PG);
	} else {
		p = mmap(at, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 fd, off);
	}
	return p == at ? 0 : -errno;
}

struct range {
	const char *name;
	int fd[2];
	off_t off[2];
	void *va;
	uint64_t iova;
	int ret;
};

static void try_range(struct vfiox_container *a, struct range *r, int patched,
		      int mixed)
{
	uint32_t before;
	int i;

	r->va = mmap(NULL, 2 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(r->va != MAP_FAILED, "%s: reserve: %s", r->name, strerror(errno));
	if (r->va == MAP_FAILED)
		return;
	for (i = 0; i < 2; i++)
		CHECK_RET(place((char *)r->va + i * PG, r->fd[i], r->off[i]), 0);
	before = vt_dma_avail(a);
	r->ret = vt_raw_map(a, r->va, r->iova, 2 * PG);
	printf("  %s: VFIO_IOMMU_MAP_DMA returned %d (%s)\n", r->name, r->ret,
	       strerror(-r->ret));
	if (patched && mixed) {
		CHECK(r->ret == -EINVAL, "%s: a mixed range is refused: %d",
		      r->name, r->ret);
		CHECK(vt_dma_avail(a) == before, "%s: no entry taken", r->name);
		CHECK(vt_raw_unmap(a, r->iova, 2 * PG) == 0,
		      "%s: nothing of it stays mapped", r->name);
	} else {
		CHECK(r->ret == 0, "%s: accepted", r->name);
		CHECK(vt_dma_avail(a) == before - 1, "%s: one entry", r->name);
	}
}

int main(void)
{
	const char *mods = getenv("VFIOX_MODULES");
	int patched = mods && !strcmp(mods, "patched");
	struct vfiox_device *edu, *shm;
	struct vfiox_container *a, *b;
	struct vfiox_group *g;
	off_t shm_off, edu_off;
	int shm_fd, edu_fd, i;
	struct range r[4];

	vt_init();
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &a, &g, &edu), 0);
	CHECK_RET(vt_open(vt_env("VFIOX_IVSHMEM"), &b, &g, &shm), 0);
	if (vt_failures)
		return 1;
	if (vt_iommufd(a)) {
		vt_p2p_on_iommufd(a, shm);
		return vt_done("p2p_mixed_range_refused");
	}
	CHECK_RET(vfiox_p2p_revocable(a), patched);
	shm_fd = vfiox_device_fd(shm);
	edu_fd = vfiox_device_fd(edu);
	shm_off = vt_bar_offset(shm, VFIO_PCI_BAR2_REGION_INDEX);
	edu_off = vt_bar_offset(edu, VFIO_PCI_BAR0_REGION_INDEX);
	CHECK(shm_off >= 0 && edu_off >= 0, "BARs mmap-able: %lld %lld",
	      (long long)shm_off, (long long)edu_off);
	if (vt_failures)
		return 1;

	r[0] = (struct range){ .name = "anon+bar", .fd = { -1, shm_fd },
			       .off = { 0, shm_off } };
	r[1] = (struct range){ .name = "bar+anon", .fd = { shm_fd, -1 },
			       .off = { shm_off, 0 } };
	r[2] = (struct range){ .name = "bar+bar", .fd = { shm_fd, edu_fd },
			       .off = { shm_off, edu_off } };
	r[3] = (struct range){ .name = "control", .fd = { shm_fd, shm_fd },
			       .off = { shm_off, shm_off + PG } };
	for (i = 0; i < 4; i++) {
		r[i].iova = IOVA_BASE + i * 0x100000ULL;
		try_range(a, &r[i], patched, i < 3);
	}

	/* Give ivshmem back: our mmaps hold its file, so drop them first. */
	for (i = 0; i < 4; i++)
		if (r[i].va != MAP_FAILED)
			munmap(r[i].va, 2 * PG);
	vfiox_container_close(b);
	if (patched) {
		CHECK(vt_raw_unmap(a, r[3].iova, 2 * PG) == 0,
		      "the control went with ivshmem");
	} else {
		uint64_t left = vt_raw_unmap(a, r[0].iova, 2 * PG);

		CHECK(left == 2 * PG,
		      "stock keeps anon+bar, BAR page included, after ivshmem is closed: %llu",
		      (unsigned long long)left);
		printf("  stock: anon+bar still maps %llu bytes after its BAR's device was closed\n",
		       (unsigned long long)left);
		for (i = 1; i < 4; i++)
			vt_raw_unmap(a, r[i].iova, 2 * PG);
	}
	vfiox_container_close(a);
	return vt_done("p2p_mixed_range_refused");
}
