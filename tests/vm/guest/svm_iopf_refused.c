// SPDX-License-Identifier: MIT
/*
 * SVM and IOPF where the kernel refuses them, which is every x86 machine
 * here: no emulated device has PASID, ATS or PRI, and Debian's kernels
 * refuse SVA on x86. (The success paths are tested against the fake
 * kernel only, in the unit suite.)
 *   stock modules:   libvfiox says the kernel lacks both extensions;
 *   patched modules: a bind on the NVMe is refused naming the missing
 *     PASID capability, the kernel's own ioctl fails too, and the NVMe
 *     still does DMA afterwards; a bind in the ICH9 LPC group (LPC, SATA
 *     and SMBus, the SMBus moved to vfio-pci for it) gets EXDEV from the
 *     kernel;
 *   both: IOPF enable on edu's container fails (stock: the kernel lacks
 *     the extension; patched: the IOMMU refuses the attach with a fault
 *     handler, edu having no PRI, and the kernel says so), and the same
 *     container then maps and runs edu DMA in pinned mode: the refused
 *     switch put edu's group back in its domain.
 *   iommufd: the series' SVM calls refused by libvfiox; on VT-d the IOPF
 *     enable on edu's container fails (-EOPNOTSUPP: VT-d refuses edu on
 *     a fault-capable page table, edu having no PRI, and libvfiox names
 *     it), then the pinned DMA as above: edu is back on the IOAS. AMD-Vi
 *     in Linux 7.2 takes a device without PRI onto such a page table
 *     (amd/iommu.c never refuses it), so there the enable may succeed:
 *     then the container says so, and the pinned DMA runs in a new one.
 * Neither leaves an fd behind.
 */
#include <dirent.h>
#include <sys/ioctl.h>

#include "vmtest.h"
#include "../../../lib/uapi_ext.h"

#define LEN 4096
/* QEMU 7.2's edu refuses a DMA that fills its whole 4 KiB buffer. */
#define COPY 2048
#define SMBUS "0000:00:1f.3"
#define EDU_BUF 0x40000

/* Open fds; with @show, each one's target is printed. */
static int open_fds(bool show)
{
	DIR *d = opendir("/proc/self/fd");
	char path[300], target[256];
	struct dirent *de;
	ssize_t len;
	int n = 0;

	while (d && (de = readdir(d))) {
		n++;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		target[len > 0 ? len : 0] = '\0';
		if (show)
			printf("  fd %s -> %s\n", de->d_name, target);
	}
	if (d)
		closedir(d);
	return n;
}

/* The series' ioctl itself, past libvfiox's checks. */
static int raw_bind(struct vfiox_device *d)
{
	struct vfiox_device_svm s = { .argsz = sizeof(s) };

	return ioctl(vfiox_device_fd(d), VFIOX_DEVICE_SVM_BIND, &s) ? -errno : 0;
}

static void svm_on(const char *bdf, bool patched)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint32_t pasid = 0;
	int ret;

	if (vt_open(bdf, &c, &g, &d)) {
		CHECK(0, "open %s", bdf);
		return;
	}
	if (vt_iommufd(c)) {	/* the series' SVM is type1's */
		/* the probe answers (docs/iommufd.md): legacy only */
		CHECK_RET(vfiox_svm_support(d), VFIOX_FEATURE_LEGACY_ONLY);
		CHECK_REFUSED_ON_IOMMUFD(vfiox_svm_bind(d, &pasid));
		CHECK_RET(raw_bind(d), -ENOTTY);	/* stock modules */
		vfiox_container_close(c);
		return;
	}
	vt_log_clear();
	CHECK_RET(vfiox_svm_support(d), patched ? VFIOX_FEATURE_NO_DEVICE_CAP :
						  VFIOX_FEATURE_NO_KERNEL);
	CHECK_RET(vfiox_svm_bind(d, &pasid), patched ? -EOPNOTSUPP : -ENOTTY);
	CHECK(vt_log_has(patched ? "the kernel reports no PASID for the device" :
			 "the kernel lacks the SVM extension"), "no reason logged");
	ret = raw_bind(d);
	printf("  %s: the kernel's VFIOX_DEVICE_SVM_BIND: %s\n", bdf, strerror(-ret));
	/* Stock vfio-pci passes unknown ioctls to its bus driver: ENOTTY. */
	CHECK(patched ? ret < 0 && ret != -ENOTTY && ret != -EXDEV : ret == -ENOTTY,
	      "raw bind gave %d", ret);
	vfiox_container_close(c);
}

/* The NVMe identifies itself after the refused binds: it still does DMA. */
static void nvme_still_does_dma(const char *bdf)
{
	char cmd[128];
	int st;

	snprintf(cmd, sizeof(cmd), "nvme-identify %s | grep -qx 'model: QEMU NVMe Ctrl'", bdf);
	st = system(cmd);
	CHECK(st == 0, "nvme-identify after the refused bind: status 0x%x", st);
}

static void svm_on_shared_group(const char *lpc, bool patched)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint32_t pasid;

	/* The SMBus shares the group: it must be on vfio-pci too. */
	vt_rebind(SMBUS, "vfio-pci");
	if (vt_open(lpc, &c, &g, &d)) {
		CHECK(0, "open the LPC group (is %s on vfio-pci?)", SMBUS);
		vt_rebind(SMBUS, "");
		return;
	}
	vt_log_clear();
	if (vt_iommufd(c))
		CHECK_REFUSED_ON_IOMMUFD(vfiox_svm_bind(d, &pasid));
	else
		CHECK_RET(vfiox_svm_bind(d, &pasid), patched ? -EXDEV : -ENOTTY);
	if (patched && !vt_iommufd(c)) {
		CHECK(vt_log_has("other devices share IOMMU group"), "shared group not named");
		CHECK_RET(raw_bind(d), -EXDEV);
	}
	vfiox_container_close(c);
	vt_rebind(SMBUS, "");
}

/*
 * The IOPF enable on edu's iommufd container: refused on VT-d (edu has no
 * PRI); elsewhere either answer, each with the container's state checked,
 * and after an accepted one the container is opened again so that the
 * pinned DMA that follows runs as on VT-d. Returns 1 when it could not.
 */
static int iommufd_iopf_refused(struct vfiox_container **c, struct vfiox_group **g,
				struct vfiox_device **d, const char *edu)
{
	struct vfiox_iommu_hw_info info = { .sz = sizeof(info) };
	bool vtd;
	int ret;

	CHECK_RET(vfiox_device_iommu_hw_info(*d, &info), 0);
	vtd = info.type == VFIOX_IOMMU_HW_INFO_TYPE_INTEL_VTD;
	ret = vfiox_container_enable_iopf(*c);
	if (ret == 0 && !vtd) {
		CHECK_RET(vfiox_container_iopf_enabled(*c), 1);
		printf("  IOPF: this IOMMU (not VT-d) took edu, which has no PRI\n");
		vfiox_container_close(*c);
		if (vt_open(edu, c, g, d)) {
			CHECK(0, "open %s again", edu);
			return 1;
		}
		return 0;
	}
	CHECK(ret == -EOPNOTSUPP, "vfiox_container_enable_iopf() returned %d, wanted %s", ret,
	      vtd ? "-EOPNOTSUPP (VT-d refuses a device without PRI)" : "0 or -EOPNOTSUPP");
	CHECK(vt_log_has("has no PRI and no ATS in its config space"), "no reason logged");
	CHECK(vt_log_has("stays in pinned mode"), "the container's state not logged");
	return 0;
}

static void iopf_then_pinned_dma(const char *edu, bool patched)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	struct vfiox_dma_opts below_28_bits = { .sz = sizeof(below_28_bits),
						.iova_limit = 0xfffffff };
	struct vt_edu e;
	uint8_t *src, *dst;
	uint64_t src_iova, dst_iova;
	int i;

	if (vt_open(edu, &c, &g, &d)) {
		CHECK(0, "open %s", edu);
		return;
	}
	vt_log_clear();
	if (vt_iommufd(c)) {
		if (iommufd_iopf_refused(&c, &g, &d, edu))
			return;
	} else {
		CHECK_RET(vfiox_container_enable_iopf(c), patched ? -EOPNOTSUPP : -ENOTTY);
		CHECK(vt_log_has(patched ? "has no PRI and no ATS in its config space" :
				 "the kernel lacks the IOPF extension"), "no reason logged");
	}
	CHECK_RET(vfiox_container_iopf_enabled(c), 0);
	if (patched && !vt_iommufd(c))
		CHECK(vt_count_kmsg("cannot take I/O page faults") >= 1,
		      "the kernel did not say why it refused");
	src = aligned_alloc(LEN, LEN);
	dst = aligned_alloc(LEN, LEN);
	CHECK_RET(vt_edu_setup(d, &e), 0);
	CHECK_RET(vfiox_dma_map(c, src, LEN, &below_28_bits, &src_iova), 0);
	CHECK_RET(vfiox_dma_map(c, dst, LEN, &below_28_bits, &dst_iova), 0);
	for (i = 0; i < LEN; i++) {
		src[i] = (uint8_t)(i * 7 + 3);
		dst[i] = 0;
	}
	if (!vt_failures) {
		CHECK_RET(vt_edu_dma(&e, src_iova, EDU_BUF, COPY, 0), 0);
		CHECK_RET(vt_edu_dma(&e, EDU_BUF, dst_iova, COPY, VT_EDU_TO_RAM), 0);
		CHECK(!memcmp(src, dst, COPY), "edu's copy differs after the refused enable");
	}
	vfiox_container_close(c);
	free(src);
	free(dst);
}

int main(void)
{
	const char *mods = getenv("VFIOX_MODULES");
	bool patched = mods && !strcmp(mods, "patched");
	const char *nvme = vt_env("VFIOX_NVME");
	int fds;

	vt_init();
	fds = open_fds(false);
	svm_on(nvme, patched);
	nvme_still_does_dma(nvme);
	svm_on_shared_group(vt_env("VFIOX_LPC"), patched);
	iopf_then_pinned_dma(vt_env("VFIOX_EDU"), patched);
	CHECK(open_fds(false) == fds, "%d fds before, %d after", fds, open_fds(true));
	return vt_done("svm_iopf_refused");
}
