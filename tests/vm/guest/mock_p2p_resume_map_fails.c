// SPDX-License-Identifier: MIT
/*
 * A suspended P2P mapping that the IOMMU refuses to map again at resume
 * is removed whole, with nothing of it left in the IOMMU. Container A
 * holds edu and maps two pages of ivshmem's BAR 2 (container B) in one
 * dma, in swapped order, so that the dma is two runs of device memory.
 * B clears Memory Space Enable: the mock shows both pages gone from A's
 * domain, A's mapping stays. The mock is told to fail the second map from
 * then on, and B sets MSE again: the first run maps, the second fails.
 * The kernel must take the first run out again and remove the dma: the
 * mock shows no page of it, A's dma_avail is back, the kernel warns, and
 * an unmap finds nothing. Mock IOMMU machine only (tests/vm/run: mock_*).
 */
#include <sys/mman.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "mock.h"

#define IOVA 0x40000000ULL
#define PAGE 4096

/* Maps pages 1 and 0 of @d's BAR 2, in that order; MAP_FAILED on error. */
static void *map_swapped(struct vfiox_device *d)
{
	off_t off = vt_bar_offset(d, VFIO_PCI_BAR2_REGION_INDEX);
	int fd = vfiox_device_fd(d);
	uint8_t *va;

	va = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (va == MAP_FAILED || off < 0)
		return MAP_FAILED;
	if (mmap(va, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 off + PAGE) == MAP_FAILED ||
	    mmap(va + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, off) == MAP_FAILED)
		return MAP_FAILED;
	return va;
}

int main(void)
{
	const char *edu_bdf = vt_env("VFIOX_EDU");
	struct vfiox_container *a, *b;
	struct vfiox_device *edu, *shm;
	struct vfiox_group *ga, *gb;
	uint32_t avail;
	int dom, warned;
	void *va;

	vt_init();
	CHECK_RET(vt_open(edu_bdf, &a, &ga, &edu), 0);
	CHECK_RET(vt_open(vt_env("VFIOX_IVSHMEM"), &b, &gb, &shm), 0);
	if (vt_failures)
		return vt_done("mock_p2p_resume_map_fails");
	va = map_swapped(shm);
	CHECK(va != MAP_FAILED, "ivshmem's BAR 2 mapped in two pieces");
	CHECK_RET(vt_raw_map(a, va, IOVA, 2 * PAGE), 0);
	dom = domain_of(edu_bdf);
	if (vt_failures)
		return vt_done("mock_p2p_resume_map_fails");
	CHECK(mock_mapped(dom, IOVA, 2 * PAGE, NULL) == 2,
	      "both pages are in A's domain %d", dom);
	avail = vt_dma_avail(a);
	warned = vt_count_kmsg("cannot resume a DMA mapping");

	CHECK(vfiox_pci_command_update(shm, 0, PCI_COMMAND_MEMORY) >= 0,
	      "B clears Memory Space Enable");
	CHECK(mock_mapped(dom, IOVA, 2 * PAGE, NULL) == 0,
	      "suspended: no page of the dma in the IOMMU");
	CHECK(vt_dma_avail(a) == avail, "A's mapping stays while B is suspended");

	vt_write_file(MOCK "events", "clear");
	CHECK_RET(mock_write(MOCK "refuse", "mapfail 2"), 0);
	CHECK(vfiox_pci_command_update(shm, PCI_COMMAND_MEMORY, 0) >= 0,
	      "B sets Memory Space Enable");
	CHECK(mock_has(MOCK "events", " refused") == 1,
	      "the mock refused the second run's map");
	CHECK_RET(mock_write(MOCK "refuse", "mapfail 0"), 0);
	CHECK(mock_mapped(dom, IOVA, 2 * PAGE, NULL) == 0,
	      "the first run was taken out again: nothing left in the IOMMU");
	CHECK(vt_dma_avail(a) == avail + 1, "the dma was removed: dma_avail is back");
	CHECK(vt_count_kmsg("cannot resume a DMA mapping") > warned,
	      "the kernel said it removed the mapping");
	CHECK(vt_raw_unmap(a, IOVA, 2 * PAGE) == 0, "nothing is left to unmap");

	vfiox_container_close(b);
	vfiox_container_close(a);
	return vt_done("mock_p2p_resume_map_fails");
}
