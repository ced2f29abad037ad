// SPDX-License-Identifier: MIT
/*
 * A suspend whose IOMMU unmap fails: type1 retries it, and gives up
 * without a splat. Container A holds edu and maps two pages of ivshmem's
 * BAR 2 (container B). The mock is told to refuse the next unmaps ("unmap
 * N": they unmap nothing, as a driver that could not allocate its request
 * would), and B clears Memory Space Enable.
 *  - Three refusals: the first unmap and two retries fail, the third
 *    retry takes the pages out. The suspension holds: nothing of the dma
 *    in the mock, A's mapping stays, no warning; MSE set maps it again.
 *  - Four refusals: every retry fails. type1 warns that the IOMMU kept an
 *    entry and removes the dma (dma_avail back, nothing left to unmap);
 *    the entry stays in the mock, which only the domain's end removes.
 * Before the retries, the first refusal was a WARN (a splat) and the
 * mapping's removal. Mock IOMMU machine only (tests/vm/run: mock_*).
 */
#include <unistd.h>

#include <linux/pci_regs.h>

#include "mock.h"

#define IOVA 0x40000000ULL
#define LEN (2 * 4096)
#define KEPT "the IOMMU kept an entry"
#define REMOVED "cannot suspend a DMA mapping"

/* B clears MSE with the next @refused unmaps refused; returns the count of
 * refusals the mock logged. */
static int clear_mse_refusing(struct vfiox_device *shm, const char *refused)
{
	vt_write_file(MOCK "events", "clear");
	CHECK_RET(mock_write(MOCK "refuse", refused), 0);
	CHECK(vfiox_pci_command_update(shm, 0, PCI_COMMAND_MEMORY) >= 0,
	      "B clears Memory Space Enable (%s)", refused);
	CHECK_RET(mock_write(MOCK "refuse", "unmap 0"), 0);
	return mock_count_events(" refused");
}

static void retried_until_out(struct vfiox_container *a,
			      struct vfiox_device *shm, int dom)
{
	int kept = vt_count_kmsg(KEPT), removed = vt_count_kmsg(REMOVED);
	uint32_t avail = vt_dma_avail(a);

	CHECK(clear_mse_refusing(shm, "unmap 3") == 3,
	      "the mock refused the unmap and two retries");
	CHECK(mock_mapped(dom, IOVA, LEN, NULL) == 0,
	      "the third retry took the dma out of the IOMMU");
	CHECK(vt_dma_avail(a) == avail, "A's mapping stays");
	CHECK(vt_count_kmsg(KEPT) == kept && vt_count_kmsg(REMOVED) == removed,
	      "no warning: the suspension holds");
	CHECK(vfiox_pci_command_update(shm, PCI_COMMAND_MEMORY, 0) >= 0,
	      "B sets Memory Space Enable");
	CHECK(mock_mapped(dom, IOVA, LEN, NULL) == 2, "resumed: both pages mapped again");
}

static void given_up(struct vfiox_container *a, struct vfiox_device *shm, int dom)
{
	int kept = vt_count_kmsg(KEPT), removed = vt_count_kmsg(REMOVED);
	uint32_t avail = vt_dma_avail(a);

	CHECK(clear_mse_refusing(shm, "unmap 4") == 4,
	      "the mock refused the unmap and all three retries");
	CHECK(vt_count_kmsg(KEPT) > kept, "the kernel says the IOMMU kept an entry");
	CHECK(vt_count_kmsg(REMOVED) > removed, "the kernel says it removed the mapping");
	CHECK(vt_dma_avail(a) == avail + 1, "the dma was removed: dma_avail is back");
	CHECK(mock_mapped(dom, IOVA, LEN, NULL) == 2,
	      "the entry the IOMMU kept is still there (only the domain's end removes it)");
	CHECK(vfiox_pci_command_update(shm, PCI_COMMAND_MEMORY, 0) >= 0,
	      "B sets Memory Space Enable");
	CHECK(vt_raw_unmap(a, IOVA, LEN) == 0, "nothing is left to unmap");
}

int main(void)
{
	const char *edu_bdf = vt_env("VFIOX_EDU");
	struct vfiox_container *a, *b;
	struct vfiox_device *edu, *shm;
	struct vfiox_group *ga, *gb;
	uint8_t *bar2;
	int dom;

	vt_init();
	CHECK_RET(vt_open(edu_bdf, &a, &ga, &edu), 0);
	CHECK_RET(vt_open(vt_env("VFIOX_IVSHMEM"), &b, &gb, &shm), 0);
	CHECK_RET(vfiox_region_mmap(shm, VFIO_PCI_BAR2_REGION_INDEX, (void **)&bar2), 0);
	if (vt_failures)
		return vt_done("mock_p2p_suspend_unmap_fails");
	CHECK_RET(vt_raw_map(a, bar2, IOVA, LEN), 0);
	dom = domain_of(edu_bdf);
	if (vt_failures)
		return vt_done("mock_p2p_suspend_unmap_fails");
	CHECK(mock_mapped(dom, IOVA, LEN, NULL) == 2, "both pages are in A's domain %d", dom);

	retried_until_out(a, shm, dom);
	given_up(a, shm, dom);

	vfiox_container_close(b);
	vfiox_container_close(a);
	return vt_done("mock_p2p_suspend_unmap_fails");
}
