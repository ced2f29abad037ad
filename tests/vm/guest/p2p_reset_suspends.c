// SPDX-License-Identifier: MIT
/*
 * A peer's P2P mapping of a device's BAR while that device's memory stops
 * answering and comes back, with the device open all along. Container A
 * holds edu; container B holds ivshmem-plain, whose BAR 2 A maps (as in
 * p2p_devmem_lifetime). edu writes a pattern into it through A's IOMMU
 * domain: it lands. Then B clears Memory Space Enable:
 *   patched modules: the kernel took A's IOMMU entry out (the mapping
 *     stays in A's table), so edu's DMA faults in the IOMMU: the guest's
 *     fault log names the IOVA (DMAR "fault addr", AMD-Vi "address=");
 *   stock modules: the entry stays and nothing faults (QEMU drops the
 *     write to the disabled BAR, so the bytes alone cannot tell).
 * Asserted on VT-d only: QEMU's AMD-Vi model logs no such fault.
 * A new map of the disabled BAR is refused (EFAULT: its pages cannot be
 * faulted in). B sets MSE again: edu's next DMA lands, with nothing done by A. Last,
 * VFIO_DEVICE_RESET of a device whose BAR A maps (NVMe's CMB, as ivshmem
 * cannot be reset): A's mapping survives it and edu's DMA lands after.
 * On iommufd: P2P of a BAR only through a dma-buf (vt_p2p_on_iommufd()),
 * which a reset or memory disable revokes for good: iommufd_p2p_dmabuf.
 */
#include <dirent.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "vmtest.h"

#define EDU_LIMIT 0xfffffffULL
#define LEN 2048

static struct vt_edu edu_dev;

/*
 * Whether the IOMMU is VT-d (sysfs names its units dmar*). QEMU's AMD-Vi
 * model logs no fault for a DMA to an unmapped IOVA here (measured: the
 * guest's log stays empty), so the fault is asserted on VT-d only.
 */
static int iommu_is_vtd(void)
{
	DIR *d = opendir("/sys/class/iommu");
	struct dirent *e;
	int vtd = 0;

	while (d && (e = readdir(d)))
		vtd |= !strncmp(e->d_name, "dmar", 4);
	if (d)
		closedir(d);
	return vtd;
}

/* Kernel log lines of IOMMU faults at @iova (VT-d or AMD-Vi wording). */
static int iommu_faults_at(uint64_t iova)
{
	char vtd[64], amd[64];

	snprintf(vtd, sizeof(vtd), "fault addr 0x%llx", (unsigned long long)iova);
	snprintf(amd, sizeof(amd), "address=0x%llx", (unsigned long long)iova);
	return vt_count_kmsg(vtd) + vt_count_kmsg(amd);
}

/* edu copies @len bytes of pattern @seed from @src into IOVA @dst. */
static int edu_write(uint8_t *src, uint64_t src_iova, uint64_t dst, uint8_t seed)
{
	vt_fill(src, LEN, seed);
	return vt_edu_copy(&edu_dev, src_iova, dst, LEN);
}

static void mse_cycle(struct vfiox_container *a, uint8_t *src, uint64_t src_iova,
		      int patched)
{
	struct vfiox_dma_opts lim = { .sz = sizeof(lim), .iova_limit = EDU_LIMIT };
	struct vfiox_container *b;
	struct vfiox_device *shm;
	struct vfiox_group *g;
	volatile uint8_t *bar2;
	uint64_t iova, other;
	uint32_t avail;
	int before, after;

	CHECK_RET(vt_open(vt_env("VFIOX_IVSHMEM"), &b, &g, &shm), 0);
	CHECK_RET(vfiox_region_mmap(shm, VFIO_PCI_BAR2_REGION_INDEX, (void **)&bar2), 0);
	CHECK_RET(vfiox_p2p_map(a, shm, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096, &lim, &iova), 0);
	if (vt_failures)
		return;
	avail = vt_dma_avail(a);

	CHECK_RET(edu_write(src, src_iova, iova, 1), 0);
	CHECK(vt_holds(bar2, LEN, 1), "edu's DMA into ivshmem's BAR 2 arrived");

	CHECK(vfiox_pci_command_update(shm, 0, PCI_COMMAND_MEMORY) >= 0,
	      "B clears Memory Space Enable");
	before = iommu_faults_at(iova);
	CHECK_RET(edu_write(src, src_iova, iova, 2), 0);
	usleep(100 * 1000);	/* the fault interrupt and its log line */
	after = iommu_faults_at(iova);
	printf("  MSE clear: %d IOMMU fault line(s) for IOVA 0x%llx\n", after - before,
	       (unsigned long long)iova);
	if (!iommu_is_vtd())
		printf("  not VT-d: this IOMMU model logs no fault, none asserted\n");
	else if (patched)
		CHECK(after > before, "edu's DMA to the suspended BAR faulted in the IOMMU");
	else
		CHECK(after == before, "stock keeps the entry: no fault");
	CHECK(vt_dma_avail(a) == avail, "A's mapping stays while B is suspended");
	/* A new map of the disabled BAR cannot resolve its pfns (vfio-pci's fault refuses) */
	CHECK_RET(vfiox_p2p_map(a, shm, VFIO_PCI_BAR2_REGION_INDEX, 4096, 4096, &lim, &other),
		  -EFAULT);

	CHECK(vfiox_pci_command_update(shm, PCI_COMMAND_MEMORY, 0) >= 0,
	      "B sets Memory Space Enable");
	CHECK(vt_holds(bar2, LEN, 1), "nothing of the DMA while suspended reached the BAR");
	before = iommu_faults_at(iova);
	CHECK_RET(edu_write(src, src_iova, iova, 3), 0);
	CHECK(vt_holds(bar2, LEN, 3), "edu's DMA lands again after MSE is set, A did nothing");
	usleep(100 * 1000);
	CHECK(iommu_faults_at(iova) == before, "no fault once B is resumed");

	/* Cleared and set again with A's mapping in place: the same again */
	CHECK(vfiox_pci_command_update(shm, 0, PCI_COMMAND_MEMORY) >= 0, "MSE clear");
	CHECK(vfiox_pci_command_update(shm, PCI_COMMAND_MEMORY, 0) >= 0, "MSE set");
	CHECK_RET(edu_write(src, src_iova, iova, 4), 0);
	CHECK(vt_holds(bar2, LEN, 4), "a second suspend and resume keeps the mapping working");

	CHECK(vt_raw_unmap(a, iova, 4096) == 4096, "A's mapping was there to unmap");
	vfiox_container_close(b);
}

static void reset_cycle(struct vfiox_container *a, uint8_t *src, uint64_t src_iova)
{
	struct vfiox_dma_opts lim = { .sz = sizeof(lim), .iova_limit = EDU_LIMIT };
	struct vfiox_container *b;
	struct vfiox_device *nvme;
	struct vfiox_group *g;
	volatile uint8_t *cmb;
	uint64_t iova;
	uint32_t avail;
	int before;

	CHECK_RET(vt_open(vt_env("VFIOX_NVME_CMB"), &b, &g, &nvme), 0);
	CHECK_RET(vfiox_region_mmap(nvme, VFIO_PCI_BAR2_REGION_INDEX, (void **)&cmb), 0);
	CHECK_RET(vfiox_p2p_map(a, nvme, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096, &lim, &iova), 0);
	if (vt_failures)
		return;
	avail = vt_dma_avail(a);
	CHECK_RET(edu_write(src, src_iova, iova, 5), 0);
	CHECK(vt_holds(cmb, LEN, 5), "edu's DMA into NVMe's CMB arrived");

	CHECK_RET(vfiox_device_reset(nvme), 0);
	CHECK(vt_dma_avail(a) == avail, "A's mapping survives B's reset");
	before = iommu_faults_at(iova);
	CHECK_RET(edu_write(src, src_iova, iova, 6), 0);
	CHECK(vt_holds(cmb, LEN, 6), "edu's DMA lands after the reset, A did nothing");
	usleep(100 * 1000);
	CHECK(iommu_faults_at(iova) == before, "no fault after the reset");
	CHECK(vt_raw_unmap(a, iova, 4096) == 4096, "A's mapping was there to unmap");
	vfiox_container_close(b);
}

int main(void)
{
	struct vfiox_dma_pool_opts po = { .sz = sizeof(po), .iova_limit = EDU_LIMIT };
	const char *mods = getenv("VFIOX_MODULES");
	int patched = mods && !strcmp(mods, "patched");
	struct vfiox_dma_pool *pool;
	struct vfiox_container *a;
	struct vfiox_device *edu;
	struct vfiox_group *g;
	uint64_t src_iova;
	uint8_t *src;

	vt_init();
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &a, &g, &edu), 0);
	CHECK_RET(vt_edu_setup(edu, &edu_dev), 0);
	CHECK_RET(vfiox_dma_pool_new(a, &po, &pool), 0);
	CHECK_RET(vfiox_dma_alloc(pool, LEN, (void **)&src, &src_iova), 0);
	if (vt_failures)
		return vt_done("p2p_reset_suspends");
	printf("  modules: %s\n", patched ? "patched" : "stock");
	if (vt_iommufd(a)) {
		struct vfiox_container *b;
		struct vfiox_device *shm;

		CHECK_RET(vt_open(vt_env("VFIOX_IVSHMEM"), &b, &g, &shm), 0);
		if (!vt_failures)
			vt_p2p_on_iommufd(a, shm);
		return vt_done("p2p_reset_suspends");
	}
	mse_cycle(a, src, src_iova, patched);
	reset_cycle(a, src, src_iova);
	vfiox_dma_pool_free(pool);
	vfiox_container_close(a);
	return vt_done("p2p_reset_suspends");
}
