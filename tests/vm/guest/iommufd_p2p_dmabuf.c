// SPDX-License-Identifier: MIT
/*
 * P2P on iommufd, the upstream way (Linux 6.19+): a BAR range exported as
 * a vfio-pci dma-buf and mapped into the IOAS with IOMMU_IOAS_MAP_FILE,
 * behind vfiox_p2p_map(). Every container here is forced to iommufd.
 * Container A holds edu, which DMAs into the mapped BAR.
 *   close: ivshmem's BAR 2 (container B) mapped into A; edu's DMA lands
 *     (read back through B's mmap of the BAR). B is closed: vfio-pci
 *     revokes the dma-buf and iommufd drops the IOMMU entry, telling
 *     nobody; vfiox_p2p_list() says revoked, edu's next DMA does not land
 *     (ivshmem reopened: the BAR still holds the first pattern) and, on
 *     VT-d, faults at the IOVA. The IOAS kept the area: the unmap works.
 *   reset: the same with NVMe's CMB and VFIO_DEVICE_RESET; a new map
 *     after the reset lands again.
 *   memory off and on (Memory Space Enable, through config space): the
 *     kernel revokes for good, libvfiox does not see it: the list still
 *     says live while the DMA no longer lands. Measured and asserted, as
 *     docs/iommufd.md says.
 * On a kernel with iommufd whose vfio-pci cannot export dma-bufs
 * (CONFIG_VFIO_PCI_DMABUF off: no PCI_P2PDMA), the map is -EOPNOTSUPP
 * naming the legacy backend and the kernel needed, and leaves nothing. On
 * a kernel without iommufd (Debian's stock kernels) a forced iommufd open
 * is -ENODEV naming the legacy backend. Never skipped: each kernel proves
 * one of the three.
 */
#include <dirent.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "vmtest.h"

#define EDU_LIMIT 0xfffffffULL
#define LEN 2048

static struct vt_edu edu_dev;
static const struct vfiox_dma_opts lim = { .sz = sizeof(lim), .iova_limit = EDU_LIMIT };

static int open_iommufd(const char *bdf, struct vfiox_container **c,
			struct vfiox_device **d)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts), .backend = VFIOX_BACKEND_IOMMUFD,
	};
	struct vfiox_group *g;
	int ret = vfiox_container_open(&opts, c);

	if (ret)
		return ret;
	ret = vfiox_group_open_pci(*c, bdf, &g);
	if (!ret)
		ret = vfiox_device_open(g, bdf, NULL, d);
	if (ret)
		vfiox_container_close(*c);
	return ret;
}

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

static int faults_at(uint64_t iova)
{
	char vtd[64];

	snprintf(vtd, sizeof(vtd), "fault addr 0x%llx", (unsigned long long)iova);
	return vt_count_kmsg(vtd);
}

static int edu_write(uint8_t *src, uint64_t src_iova, uint64_t dst, uint8_t seed)
{
	vt_fill(src, LEN, seed);
	return vt_edu_copy(&edu_dev, src_iova, dst, LEN);
}

static uint32_t listed_flags(struct vfiox_container *a, uint64_t iova)
{
	struct vfiox_p2p_mapping m[4];
	int i, n = vfiox_p2p_list(a, m, 4);

	for (i = 0; i < n && i < 4; i++)
		if (m[i].iova == iova)
			return m[i].flags;
	CHECK(0, "IOVA 0x%llx is not in the P2P list", (unsigned long long)iova);
	return ~0u;
}

/* edu's DMA to @iova after the revocation: no bytes, and a VT-d fault. */
static void dma_stopped(uint8_t *src, uint64_t src_iova, uint64_t iova, uint8_t seed)
{
	int before = faults_at(iova);

	CHECK_RET(edu_write(src, src_iova, iova, seed), 0);
	usleep(100 * 1000);	/* the fault interrupt and its log line */
	printf("  %d IOMMU fault line(s) at IOVA 0x%llx\n", faults_at(iova) - before,
	       (unsigned long long)iova);
	if (iommu_is_vtd())
		CHECK(faults_at(iova) > before, "edu's DMA to the revoked IOVA faulted");
}

static void owner_closes(struct vfiox_container *a, uint8_t *src, uint64_t src_iova)
{
	const char *bdf = vt_env("VFIOX_IVSHMEM");
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	struct vfiox_container *b;
	struct vfiox_device *shm;
	volatile uint8_t *bar2;
	uint64_t iova, out;

	CHECK_RET(open_iommufd(bdf, &b, &shm), 0);
	if (vt_failures)
		return;
	CHECK_RET(vfiox_region_mmap(shm, VFIO_PCI_BAR2_REGION_INDEX, (void **)&bar2), 0);
	CHECK_RET(vfiox_p2p_map(a, shm, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096, &lim, &iova), 0);
	if (vt_failures)
		return;
	CHECK_RET(vfiox_p2p_revocable(a), 1);
	CHECK_RET(vfiox_dma_translate(a, (void *)bar2, &out), 0);
	CHECK(out == iova, "translate of the BAR gives its IOVA");
	CHECK(listed_flags(a, iova) == 0, "listed live");
	CHECK_RET(edu_write(src, src_iova, iova, 1), 0);
	CHECK(vt_holds(bar2, LEN, 1), "edu's DMA through iommufd landed in ivshmem's BAR 2");

	vfiox_container_close(b);	/* the owner closes */
	CHECK(listed_flags(a, iova) == VFIOX_P2P_REVOKED, "listed revoked after the owner closed");
	CHECK_RET(vfiox_dma_stats(a, &st), 0);
	CHECK(st.mapped_bytes >= 4096, "the IOAS keeps the area: still in the books");
	dma_stopped(src, src_iova, iova, 2);
	CHECK_RET(open_iommufd(bdf, &b, &shm), 0);
	if (!vt_failures) {
		CHECK_RET(vfiox_region_mmap(shm, VFIO_PCI_BAR2_REGION_INDEX,
					    (void **)&bar2), 0);
		CHECK(!vt_failures && vt_holds(bar2, LEN, 1),
		      "nothing of the DMA after the close reached the BAR");
		vfiox_container_close(b);
	}
	CHECK_RET(vfiox_p2p_unmap(a, iova, 4096), 0);
	CHECK_RET(vfiox_p2p_list(a, NULL, 0), 0);
}

static void owner_resets(struct vfiox_container *a, uint8_t *src, uint64_t src_iova)
{
	struct vfiox_container *b;
	struct vfiox_device *nvme;
	volatile uint8_t *cmb;
	uint64_t iova, again;

	CHECK_RET(open_iommufd(vt_env("VFIOX_NVME_CMB"), &b, &nvme), 0);
	if (vt_failures)
		return;
	CHECK_RET(vfiox_region_mmap(nvme, VFIO_PCI_BAR2_REGION_INDEX, (void **)&cmb), 0);
	CHECK_RET(vfiox_p2p_map(a, nvme, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096, &lim, &iova), 0);
	if (vt_failures)
		return;
	CHECK_RET(edu_write(src, src_iova, iova, 5), 0);
	CHECK(vt_holds(cmb, LEN, 5), "edu's DMA landed in NVMe's CMB");
	CHECK_RET(vfiox_device_reset(nvme), 0);
	CHECK(listed_flags(a, iova) == VFIOX_P2P_REVOKED, "listed revoked after the reset");
	dma_stopped(src, src_iova, iova, 6);
	CHECK(vt_holds(cmb, LEN, 5), "nothing of the DMA after the reset reached the CMB");
	/* A new export after the reset is live: unmap and map again. */
	CHECK_RET(vfiox_p2p_unmap(a, iova, 4096), 0);
	CHECK_RET(vfiox_p2p_map(a, nvme, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096, &lim, &again), 0);
	CHECK(listed_flags(a, again) == 0, "the new mapping is live");
	CHECK_RET(edu_write(src, src_iova, again, 7), 0);
	CHECK(vt_holds(cmb, LEN, 7), "edu's DMA lands through the new mapping");
	CHECK_RET(vfiox_p2p_unmap(a, again, 4096), 0);
	vfiox_container_close(b);
}

/* Memory Space Enable off and on: revoked for good, unseen by libvfiox. */
static void memory_off_and_on(struct vfiox_container *a, uint8_t *src, uint64_t src_iova)
{
	struct vfiox_container *b;
	struct vfiox_device *shm;
	volatile uint8_t *bar2;
	uint64_t iova;

	CHECK_RET(open_iommufd(vt_env("VFIOX_IVSHMEM"), &b, &shm), 0);
	if (vt_failures)
		return;
	CHECK_RET(vfiox_region_mmap(shm, VFIO_PCI_BAR2_REGION_INDEX, (void **)&bar2), 0);
	CHECK_RET(vfiox_p2p_map(a, shm, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096, &lim, &iova), 0);
	if (vt_failures)
		return;
	CHECK_RET(edu_write(src, src_iova, iova, 8), 0);
	CHECK(vt_holds(bar2, LEN, 8), "edu's DMA landed");
	CHECK(vfiox_pci_command_update(shm, 0, PCI_COMMAND_MEMORY) >= 0, "MSE clear");
	CHECK(vfiox_pci_command_update(shm, PCI_COMMAND_MEMORY, 0) >= 0, "MSE set");
	dma_stopped(src, src_iova, iova, 9);
	CHECK(vt_holds(bar2, LEN, 8), "iommufd's revocation outlives the memory coming back");
	CHECK(listed_flags(a, iova) == 0,
	      "libvfiox cannot see a revocation it did not cause (docs/iommufd.md)");
	CHECK_RET(vfiox_p2p_unmap(a, iova, 4096), 0);
	vfiox_container_close(b);
}

static void on_iommufd(void)
{
	struct vfiox_dma_pool_opts po = { .sz = sizeof(po), .iova_limit = EDU_LIMIT };
	struct vfiox_dma_pool *pool;
	struct vfiox_container *a;
	struct vfiox_device *edu;
	uint64_t src_iova;
	uint8_t *src;

	CHECK_RET(open_iommufd(vt_env("VFIOX_EDU"), &a, &edu), 0);
	if (vt_failures)
		return;
	CHECK_RET(vfiox_container_backend(a), VFIOX_BACKEND_IOMMUFD);
	CHECK_RET(vt_edu_setup(edu, &edu_dev), 0);
	CHECK_RET(vfiox_dma_pool_new(a, &po, &pool), 0);
	CHECK_RET(vfiox_dma_alloc(pool, LEN, (void **)&src, &src_iova), 0);
	printf("  vfio-pci exports dma-bufs: the success path\n");
	if (!vt_failures)
		owner_closes(a, src, src_iova);
	if (!vt_failures)
		owner_resets(a, src, src_iova);
	if (!vt_failures)
		memory_off_and_on(a, src, src_iova);
	vfiox_dma_pool_free(pool);
	vfiox_container_close(a);
}

/* The feature probe fails: refused by name, nothing mapped or listed. */
static void without_dmabuf(void)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	struct vfiox_container *a, *b;
	struct vfiox_device *edu, *shm;
	uint64_t iova;

	CHECK_RET(open_iommufd(vt_env("VFIOX_EDU"), &a, &edu), 0);
	if (vt_failures)
		return;
	CHECK_RET(open_iommufd(vt_env("VFIOX_IVSHMEM"), &b, &shm), 0);
	if (!vt_failures) {
		vt_log_clear();
		CHECK_RET(vfiox_p2p_map(a, shm, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096, &lim,
					&iova), -EOPNOTSUPP);
		CHECK(vt_log_has("legacy backend") && vt_log_has("Linux 6.19"),
		      "the refusal names the legacy backend and the kernel needed");
		CHECK_RET(vfiox_p2p_list(a, NULL, 0), 0);
		CHECK_RET(vfiox_dma_stats(a, &st), 0);
		CHECK(st.entries_used == 0, "%u entries after the refusal", st.entries_used);
		vfiox_container_close(b);
	}
	vfiox_container_close(a);
}

static void without_iommufd(void)
{
	struct vfiox_container *c;
	struct vfiox_device *d;
	int ret;

	vt_log_clear();
	ret = open_iommufd(vt_env("VFIOX_IVSHMEM"), &c, &d);
	CHECK(ret == -ENODEV, "a forced iommufd open returned %d (%s)", ret, strerror(-ret));
	CHECK(vt_log_has("legacy backend"), "the refusal does not name the legacy backend");
	if (!ret)
		vfiox_container_close(c);
}

int main(void)
{
	const char *debug = getenv("VFIOX_DEBUG");
	int has = !access("/dev/iommu", F_OK) && !access("/dev/vfio/devices", F_OK);

	vt_init();
	/* The suite pins VFIOX_BACKEND (tests/vm/init); this test forces iommufd. */
	unsetenv("VFIOX_BACKEND");
	if (debug && !strcmp(debug, "1")) {
		CHECK(has, "the debug kernel has IOMMUFD=y and VFIO_DEVICE_CDEV=y");
		CHECK(vt_kernel_exports_dmabufs(),
		      "the debug kernel exports dma-bufs (CONFIG_VFIO_PCI_DMABUF=y)");
	}
	printf("  the kernel %s iommufd with the vfio cdev\n", has ? "has" : "lacks");
	if (has && vt_kernel_exports_dmabufs())
		on_iommufd();
	else if (has)
		without_dmabuf();
	else
		without_iommufd();
	return vt_done("iommufd_p2p_dmabuf");
}
