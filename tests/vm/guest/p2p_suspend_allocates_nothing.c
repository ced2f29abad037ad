// SPDX-License-Identifier: MIT
/*
 * Suspending a peer's P2P mapping needs no memory, so an allocation
 * failure while the owner's memory goes away revokes nothing. Container A
 * holds edu and maps ivshmem's BAR 2 (container B), as in
 * p2p_reset_suspends. B then clears Memory Space Enable with every slab
 * allocation of this task failing (the kernel's failslab fault injection,
 * task filter on; the debug kernel has it). A's mapping must still be
 * there (dma_avail unchanged, no "cannot suspend" warning), and once B
 * sets MSE again edu's DMA through it lands. A suspend that allocated
 * would fail here and remove A's mapping for good. Where the kernel has no
 * failslab the test says so and checks nothing else.
 *
 * On virtio-iommu the IOMMU driver itself allocates the request of every
 * unmap it sends to the device, so failslab fails that too, inside the
 * suspend (failslab logs each failure it forces with its stack: the test
 * checks that one was in viommu_unmap_pages()). The test kernel's fixes of
 * that driver (tests/vm/debug/patches) give such an unmap a spare request,
 * so the suspension holds there as well; before them the unmap failed,
 * type1 WARNed and removed A's mapping, and the driver had forgotten the
 * entry the device kept.
 *
 * iommufd (the mapping a vfio-pci dma-buf): clearing MSE revokes it for
 * good (docs/iommufd.md), under failslab too: after MSE is set again,
 * edu's DMA through it must not land.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "vmtest.h"

#define EDU_LIMIT 0xfffffffULL
#define LEN 2048
#define FAILSLAB "/sys/kernel/debug/failslab/"
#define STUCK "the IOMMU kept an entry"
#define FAILED "cannot suspend a DMA mapping"
/* failslab's report of a failure it forced, with the stack (verbose) */
#define FORCED_IN_VIOMMU "viommu_unmap_pages"

static struct vt_edu edu_dev;

/*
 * Makes the next @times slab allocations of this task fail (-1: every
 * one, also atomic ones), or none (@times 0), through @fd,
 * /proc/self/make-it-fail opened beforehand: opening a file allocates,
 * so it could not be opened to turn failslab off again. Each forced
 * failure is logged with its stack (verbose 2).
 */
static void failslab(int fd, const char *times)
{
	int on = strcmp(times, "0") != 0;

	if (on) {
		vt_write_file(FAILSLAB "task-filter", "Y");
		vt_write_file(FAILSLAB "ignore-gfp-wait", "N");
		vt_write_file(FAILSLAB "verbose", "2");
		vt_write_file(FAILSLAB "interval", "1");
		vt_write_file(FAILSLAB "times", times);
		vt_write_file(FAILSLAB "probability", "100");
	}
	if (pwrite(fd, on ? "1" : "0", 1, 0) != 1)
		printf("  make-it-fail %d: %s\n", on, strerror(errno));
	if (!on)
		vt_write_file(FAILSLAB "probability", "0");
}

/*
 * B clears MSE with @times allocations of this task failing; returns what
 * the config write answered.
 */
static int clear_mse_under_failslab(struct vfiox_device *shm, const char *times)
{
	int cleared, fd;

	fd = open("/proc/self/make-it-fail", O_WRONLY);
	CHECK(fd >= 0, "open make-it-fail: %s", strerror(errno));
	if (fd < 0)
		return -errno;
	failslab(fd, times);
	cleared = vfiox_pci_command_update(shm, 0, PCI_COMMAND_MEMORY);
	failslab(fd, "0");
	close(fd);
	return cleared;
}

static void suspend_under_failslab(struct vfiox_container *a, uint8_t *src,
				   uint64_t src_iova, int virtio)
{
	struct vfiox_dma_opts lim = { .sz = sizeof(lim), .iova_limit = EDU_LIMIT };
	struct vfiox_container *b;
	struct vfiox_device *shm;
	struct vfiox_group *g;
	volatile uint8_t *bar2;
	int warned, stuck, forced, cleared;
	uint64_t iova;
	uint32_t avail;

	CHECK_RET(vt_open(vt_env("VFIOX_IVSHMEM"), &b, &g, &shm), 0);
	CHECK_RET(vfiox_region_mmap(shm, VFIO_PCI_BAR2_REGION_INDEX, (void **)&bar2), 0);
	CHECK_RET(vfiox_p2p_map(a, shm, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096, &lim, &iova), 0);
	if (vt_failures)
		return;
	memset((void *)bar2, 0, LEN);
	avail = vt_dma_avail(a);
	warned = vt_count_kmsg(FAILED);
	stuck = vt_count_kmsg(STUCK);
	forced = vt_count_kmsg(FORCED_IN_VIOMMU);

	cleared = clear_mse_under_failslab(shm, "-1");
	CHECK(cleared >= 0, "B clears Memory Space Enable under failslab: %d", cleared);
	if (virtio)
		CHECK(vt_count_kmsg(FORCED_IN_VIOMMU) > forced,
		      "failslab failed virtio-iommu's unmap request");
	CHECK(vt_dma_avail(a) == avail, "A's mapping survives a suspend under failslab");
	CHECK(vt_count_kmsg(FAILED) == warned, "no suspend failed");
	CHECK(vt_count_kmsg(STUCK) == stuck, "no IOMMU entry was left behind");

	CHECK(vfiox_pci_command_update(shm, PCI_COMMAND_MEMORY, 0) >= 0,
	      "B sets Memory Space Enable");
	vt_fill(src, LEN, 7);
	CHECK_RET(vt_edu_copy(&edu_dev, src_iova, iova, LEN), 0);
	if (vt_iommufd(a))
		CHECK(!vt_holds(bar2, LEN, 7), "iommufd: the mapping stays revoked after MSE is back");
	else
		CHECK(vt_holds(bar2, LEN, 7), "edu's DMA lands after the resume, A did nothing");
	CHECK(vt_raw_unmap(a, iova, 4096) == 4096, "A's mapping was there to unmap");
	vfiox_container_close(b);
}

int main(void)
{
	struct vfiox_dma_pool_opts po = { .sz = sizeof(po), .iova_limit = EDU_LIMIT };
	struct vfiox_dma_pool *pool;
	struct vfiox_container *a;
	struct vfiox_device *edu;
	struct vfiox_group *g;
	uint64_t src_iova;
	uint8_t *src;

	vt_init();
	if (access(FAILSLAB "probability", W_OK)) {
		printf("  no failslab in this kernel (or no debugfs): nothing to test\n");
		return vt_done("p2p_suspend_allocates_nothing");
	}
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &a, &g, &edu), 0);
	CHECK_RET(vt_edu_setup(edu, &edu_dev), 0);
	CHECK_RET(vfiox_dma_pool_new(a, &po, &pool), 0);
	CHECK_RET(vfiox_dma_alloc(pool, LEN, (void **)&src, &src_iova), 0);
	if (vt_failures)
		return vt_done("p2p_suspend_allocates_nothing");
	suspend_under_failslab(a, src, src_iova,
			       !strcmp(vt_env("VFIOX_MACHINE"), "virtio-iommu"));
	vfiox_dma_pool_free(pool);
	vfiox_container_close(a);
	return vt_done("p2p_suspend_allocates_nothing");
}
