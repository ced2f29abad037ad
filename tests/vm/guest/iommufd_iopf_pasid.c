// SPDX-License-Identifier: MIT
/*
 * I/O page faults and PASID attach on the iommufd backend where the kernel
 * must refuse them: no emulated device has PRI, ATS or a PASID capability.
 * On the debug kernel (iommufd and the vfio cdev), with every container
 * forced to iommufd:
 *   - vfiox_iopf_support() on edu says the device lacks PRI and ATS;
 *   - on VT-d, vfiox_container_enable_iopf() is -EOPNOTSUPP: the kernel
 *     refuses edu's attach to the fault-capable page table, the log names
 *     edu's missing PRI and says the container stays pinned, edu is back
 *     on the IOAS, and no fd is left; AMD-Vi (Linux 7.2) attaches a device
 *     without PRI to it all the same, so there the enable succeeds, edu
 *     moves to the fault-capable HWPT, and the probe had said beforehand
 *     that edu cannot fault; on other IOMMUs either answer, each checked
 *     as above;
 *   - vfiox_device_attach_pasid() is -EOPNOTSUPP: the IOMMU reports no
 *     PASID width for edu; a detach of a PASID never attached is -ENOENT;
 *   - after both, edu still copies through the IOAS.
 * On a kernel without iommufd (Debian's stock ones) a forced iommufd open
 * is -ENODEV: that is what it proves there. Never skipped.
 */
#include <dirent.h>
#include <sys/mman.h>

#include "vmtest.h"

#define PG 4096
#define COPY 2048
#define EDU_BUF 0x40000

static const struct vfiox_dma_opts below_28_bits = {
	.sz = sizeof(below_28_bits), .iova_limit = 0xfffffff,
};

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static void iopf_refused(struct vfiox_container *c, struct vfiox_device *d, bool vtd)
{
	uint32_t before, after, ioas;
	int ret;

	vt_log_clear();
	CHECK_RET(vfiox_iopf_support(c), VFIOX_FEATURE_NO_DEVICE_CAP);
	CHECK(vt_log_has("has no PRI and no ATS in its config space"),
	      "the probe does not name edu's missing PRI and ATS");
	CHECK_RET(vfiox_device_hwpt_id(d, &before), 0);
	vt_log_clear();
	ret = vfiox_container_enable_iopf(c);
	if (!vtd && !ret) {
		CHECK_RET(vfiox_container_iopf_enabled(c), 1);
		CHECK_RET(vfiox_device_hwpt_id(d, &after), 0);
		CHECK(after != before, "edu stayed on HWPT %u", before);
		printf("  IOPF: this IOMMU (not VT-d) took edu, which has no PRI, onto HWPT %u\n",
		       after);
		return;
	}
	CHECK(ret == -EOPNOTSUPP, "vfiox_container_enable_iopf() returned %d, wanted %s", ret,
	      vtd ? "-EOPNOTSUPP (VT-d refuses a device without PRI)" : "0 or -EOPNOTSUPP");
	CHECK(vt_log_has("has no PRI and no ATS in its config space"),
	      "the refusal does not name edu's missing PRI and ATS");
	CHECK(vt_log_has("stays in pinned mode"), "the refusal does not say the container stays");
	CHECK_RET(vfiox_container_iopf_enabled(c), 0);
	CHECK_RET(vfiox_device_hwpt_id(d, &after), 0);
	CHECK_RET(vfiox_container_ioas_id(c, &ioas), 0);
	printf("  IOPF refused: edu on HWPT %u before, %u after (IOAS %u)\n", before, after,
	       ioas);
	/* Config space still answers first. */
	CHECK_RET(vfiox_iopf_support(c), VFIOX_FEATURE_NO_DEVICE_CAP);
}

static void pasid_refused(struct vfiox_device *d)
{
	struct vfiox_iommu_hw_info info = { .sz = sizeof(info) };

	CHECK_RET(vfiox_device_iommu_hw_info(d, &info), 0);
	CHECK(info.max_pasid_log2 == 0, "the IOMMU reports %u-bit PASIDs for edu",
	      info.max_pasid_log2);
	vt_log_clear();
	CHECK_RET(vfiox_device_attach_pasid(d, 1, NULL, NULL), -EOPNOTSUPP);
	CHECK(vt_log_has("reports no PASID"), "the PASID refusal is not explained");
	CHECK_RET(vfiox_device_detach_pasid(d, 1), -ENOENT);
	CHECK_RET(vfiox_device_attach_pasid(d, 0, NULL, NULL), -EINVAL);
}

int main(void)
{
	const char *edu = vt_env("VFIOX_EDU");
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	struct vfiox_iommu_hw_info info = { .sz = sizeof(info) };
	int has = !access("/dev/iommu", F_OK) && !access("/dev/vfio/devices", F_OK);
	int fds, ret;

	vt_init();
	/* The suite pins VFIOX_BACKEND (tests/vm/init); this test chooses. */
	unsetenv("VFIOX_BACKEND");
	fds = open_fds();
	ret = vt_open_backend(VFIOX_BACKEND_IOMMUFD, edu, &c, &g, &d);
	if (!has) {
		CHECK(ret == -ENODEV, "a forced iommufd open without iommufd returned %d", ret);
		return vt_done("iommufd_iopf_pasid");
	}
	CHECK_RET(ret, 0);
	if (vt_failures)
		return vt_done("iommufd_iopf_pasid");
	CHECK_RET(vfiox_device_iommu_hw_info(d, &info), 0);
	iopf_refused(c, d, info.type == VFIOX_IOMMU_HW_INFO_TYPE_INTEL_VTD);
	pasid_refused(d);
	vt_edu_round_trip(c, d);
	vfiox_container_close(c);
	CHECK(open_fds() == fds, "%d fds before, %d after", fds, open_fds());
	return vt_done("iommufd_iopf_pasid");
}
