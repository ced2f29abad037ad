// SPDX-License-Identifier: MIT
/*
 * VFIO_UPDATE_VADDR on mappings of device memory (issue 17, finding 3).
 * Container A holds edu; a page of ivshmem's BAR 2 (container B) is mapped
 * into A, its vaddr invalidated (VFIO_DMA_UNMAP_FLAG_VADDR) and given new
 * ones (VFIO_DMA_MAP_FLAG_VADDR):
 *   anonymous memory             patched: EINVAL    stock: accepted
 *   a page of edu's BAR 0        patched: EINVAL    stock: accepted
 *   another mmap of ivshmem BAR  accepted
 * and a mapping of anonymous memory is given a vaddr in ivshmem's BAR mmap:
 *   patched: EINVAL    stock: accepted.
 * Then ivshmem is closed: on patched the BAR mapping, whose owner no update
 * changed, goes with it; on stock it stays.
 * On iommufd: no VFIO_UPDATE_VADDR, and P2P of a BAR only through a
 * dma-buf, whose mapping has no vaddr to update (vt_p2p_on_iommufd()).
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vmtest.h"

#define PG 4096UL
#define BAR_IOVA 0x40000000ULL
#define RAM_IOVA 0x40100000ULL

static int map(struct vfiox_container *c, void *vaddr, uint64_t iova,
	       uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = flags,
		.vaddr = (uintptr_t)vaddr, .iova = iova, .size = PG,
	};

	return ioctl(vfiox_container_fd(c), VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

static int invalidate(struct vfiox_container *c, uint64_t iova)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = VFIO_DMA_UNMAP_FLAG_VADDR,
		.iova = iova, .size = PG,
	};

	return ioctl(vfiox_container_fd(c), VFIO_IOMMU_UNMAP_DMA, &u) ? -errno : 0;
}

static uint64_t unmap(struct vfiox_container *c, uint64_t iova)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = iova, .size = PG,
	};

	if (ioctl(vfiox_container_fd(c), VFIO_IOMMU_UNMAP_DMA, &u))
		return UINT64_MAX;
	return u.size;
}

static void *bar_page(struct vfiox_device *d, uint32_t index)
{
	struct vfiox_region_info ri = { .sz = sizeof(ri) };
	void *p;

	if (vfiox_device_region_info(d, index, &ri) ||
	    !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
		return MAP_FAILED;
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		 vfiox_device_fd(d),
		 ri.offset + (ri.nr_sparse ? ri.sparse[0].offset : 0));
	return p;
}

/* Give the invalidated mapping at @iova the vaddr @to; 0 or -errno. */
static int update(struct vfiox_container *c, uint64_t iova, void *to,
		  const char *what, int patched, int refused)
{
	int ret = map(c, to, iova, VFIO_DMA_MAP_FLAG_VADDR);

	printf("  update to %s: %d (%s)\n", what, ret, strerror(-ret));
	if (patched && refused)
		CHECK(ret == -EINVAL, "update to %s is refused: %d", what, ret);
	else
		CHECK(ret == 0, "update to %s is accepted: %d", what, ret);
	/* Invalidate again for the next attempt, as a live update would. */
	if (!ret)
		CHECK_RET(invalidate(c, iova), 0);
	return ret;
}

int main(void)
{
	const char *mods = getenv("VFIOX_MODULES");
	int patched = mods && !strcmp(mods, "patched");
	struct vfiox_device *edu, *shm;
	struct vfiox_container *a, *b;
	void *bar, *bar_again, *edu_bar, *ram, *ram2;
	struct vfiox_group *g;
	uint64_t left;

	vt_init();
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &a, &g, &edu), 0);
	CHECK_RET(vt_open(vt_env("VFIOX_IVSHMEM"), &b, &g, &shm), 0);
	if (vt_failures)
		return 1;
	if (vt_iommufd(a)) {	/* no VFIO_UPDATE_VADDR, no BAR mapping */
		CHECK_REFUSED_ON_IOMMUFD(vfiox_container_check_extension(a, VFIO_UPDATE_VADDR));
		vt_p2p_on_iommufd(a, shm);
		return vt_done("p2p_update_vaddr_devmem");
	}
	CHECK_RET(vfiox_container_check_extension(a, VFIO_UPDATE_VADDR), 1);
	bar = bar_page(shm, VFIO_PCI_BAR2_REGION_INDEX);
	bar_again = bar_page(shm, VFIO_PCI_BAR2_REGION_INDEX);
	edu_bar = bar_page(edu, VFIO_PCI_BAR0_REGION_INDEX);
	ram = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ram2 = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHECK(bar != MAP_FAILED && bar_again != MAP_FAILED &&
	      edu_bar != MAP_FAILED && ram != MAP_FAILED && ram2 != MAP_FAILED,
	      "mmaps: %s", strerror(errno));
	if (vt_failures)
		return 1;

	/* A mapping of ivshmem's memory gets other memory as its vaddr. */
	CHECK_RET(map(a, bar, BAR_IOVA,
		      VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE), 0);
	CHECK_RET(invalidate(a, BAR_IOVA), 0);
	update(a, BAR_IOVA, ram, "anonymous memory", patched, 1);
	update(a, BAR_IOVA, edu_bar, "edu's BAR 0", patched, 1);
	if (update(a, BAR_IOVA, bar_again, "ivshmem's BAR 2 again", patched, 0))
		return vt_done("p2p_update_vaddr_devmem");
	CHECK_RET(map(a, bar_again, BAR_IOVA, VFIO_DMA_MAP_FLAG_VADDR), 0);

	/* A mapping of anonymous memory gets a vaddr in ivshmem's BAR. */
	CHECK_RET(map(a, ram2, RAM_IOVA,
		      VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE), 0);
	CHECK_RET(invalidate(a, RAM_IOVA), 0);
	update(a, RAM_IOVA, bar, "ivshmem's BAR 2 (for anonymous memory)",
	       patched, 1);
	CHECK_RET(map(a, ram2, RAM_IOVA, VFIO_DMA_MAP_FLAG_VADDR), 0);

	/* Close ivshmem; our mmaps hold its file, drop them first. */
	munmap(bar, PG);
	munmap(bar_again, PG);
	vfiox_container_close(b);
	left = unmap(a, BAR_IOVA);
	if (patched)
		CHECK(left == 0, "the updated BAR mapping went with ivshmem: %llu",
		      (unsigned long long)left);
	else
		CHECK(left == PG, "stock keeps the BAR mapping: %llu",
		      (unsigned long long)left);
	CHECK(unmap(a, RAM_IOVA) == PG, "the anonymous mapping stays");
	munmap(edu_bar, PG);
	vfiox_container_close(a);
	return vt_done("p2p_update_vaddr_devmem");
}
