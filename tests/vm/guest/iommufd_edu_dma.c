// SPDX-License-Identifier: MIT
/*
 * The iommufd backend on a real kernel, and auto's choice both ways. Where
 * the kernel has iommufd and the vfio device cdev (the debug kernel:
 * IOMMUFD=y, VFIO_DEVICE_CDEV=y), a forced iommufd open takes it, edu opens
 * through its cdev, a DMA goes through the IOAS, and a legacy-only call is
 * refused by name; auto waits for the group, then takes iommufd too (the
 * kernel's legacy container is closed unused), with no IOMMU info before
 * the device; a program built against 0.1 (the 0.1 symbol, or opts ending
 * before backend) keeps legacy. Where the kernel lacks them (Debian's stock
 * kernels), auto picks legacy and a forced iommufd open fails with -ENODEV
 * and its reason. Never skipped: each kernel proves one of the two.
 */
#include <sys/mman.h>

#include "vmtest.h"

#define PG 4096
#define COPY 2048

static const struct vfiox_dma_opts below_28_bits = {
	.sz = sizeof(below_28_bits), .iova_limit = 0xfffffff,
};

/* What a binary linked against libvfiox 0.1 calls. */
int vfiox_container_open_as_0_1(const struct vfiox_container_opts *opts,
				struct vfiox_container **out);
__asm__(".symver vfiox_container_open_as_0_1, vfiox_container_open@LIBVFIOX_0.1");

/* Opts as a program built against 0.1's header fills them: no backend. */
static const struct vfiox_container_opts opts_0_1 = {
	.sz = offsetof(struct vfiox_container_opts, backend),
};

static int open_with(const struct vfiox_container_opts *opts, bool v0_1, const char *bdf,
		     struct vfiox_container **c, struct vfiox_group **g,
		     struct vfiox_device **d)
{
	int ret = v0_1 ? vfiox_container_open_as_0_1(opts, c) : vfiox_container_open(opts, c);

	return vt_open_in(ret, c, bdf, g, d);
}

/* The kernel's ids and the IOMMU behind edu, as a VMM would read them. */
/*
 * AMD-Vi has vendor hw info only with CONFIG_AMD_IOMMU_IOMMUFD (its
 * hw_info op is NULL otherwise, and iommufd answers type NONE).
 */
static int amd_reports_hw_info(void)
{
	return vt_kernel_has_symbol(" amd_iommufd_hw_info");
}

static void ids_and_hw_info(struct vfiox_container *c, struct vfiox_device *d)
{
	struct vfiox_iommu_hw_info hw = { .sz = sizeof(hw) };
	uint32_t ioas = 0, devid = 0, hwpt = 0;

	CHECK_RET(vfiox_container_ioas_id(c, &ioas), 0);
	CHECK_RET(vfiox_device_devid(d, &devid), 0);
	CHECK_RET(vfiox_device_hwpt_id(d, &hwpt), 0);
	CHECK(ioas && devid && hwpt && hwpt != ioas, "ids: IOAS %u, dev %u, HWPT %u", ioas,
	      devid, hwpt);
	CHECK_RET(vfiox_device_iommu_hw_info(d, &hw), 0);
	printf("  ids: IOAS %u, dev %u, HWPT %u; hw info type %u, caps 0x%llx, %u bytes, PASID bits %u\n",
	       ioas, devid, hwpt, hw.type, (unsigned long long)hw.capabilities, hw.data_len,
	       hw.max_pasid_log2);
	if (!strcmp(vt_env("VFIOX_MACHINE"), "intel-iommu"))
		CHECK(hw.type == VFIOX_IOMMU_HW_INFO_TYPE_INTEL_VTD && hw.data_len,
		      "VT-d reported hw info type %u with %u bytes", hw.type, hw.data_len);
	if (!strcmp(vt_env("VFIOX_MACHINE"), "amd-iommu") && amd_reports_hw_info())
		CHECK(hw.type == VFIOX_IOMMU_HW_INFO_TYPE_AMD && hw.data_len,
		      "AMD-Vi reported hw info type %u with %u bytes", hw.type, hw.data_len);
	else if (!strcmp(vt_env("VFIOX_MACHINE"), "amd-iommu"))
		CHECK(hw.type == VFIOX_IOMMU_HW_INFO_TYPE_NONE && !hw.data_len,
		      "AMD-Vi without AMD_IOMMU_IOMMUFD reported hw info type %u with %u bytes",
		      hw.type, hw.data_len);
}

/*
 * Auto on a kernel with both and a device with a usable cdev: iommufd,
 * chosen at the group's open; before it the fd is not handed out, and
 * before the device there is no IOMMU info (the device-less IOAS is no
 * IOMMU's). A legacy-only call names opts.backend as the way back.
 */
static void auto_takes_iommufd(const char *bdf)
{
	struct vfiox_container_opts opts = { .sz = sizeof(opts) };
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;

	CHECK_RET(vfiox_container_open(&opts, &c), 0);
	if (vt_failures)
		return;
	CHECK_RET(vfiox_container_backend(c), VFIOX_BACKEND_AUTO);
	CHECK_RET(vfiox_container_fd(c), -ENODEV);
	CHECK_RET(vfiox_group_open_pci(c, bdf, &g), 0);
	CHECK_RET(vfiox_container_backend(c), VFIOX_BACKEND_IOMMUFD);
	CHECK_RET(vfiox_container_iommu_info(c, &info), -ENODEV);
	CHECK_RET(vfiox_device_open(g, bdf, NULL, &d), 0);
	if (!vt_failures) {
		CHECK_RET(vfiox_container_iommu_info(c, &info), 0);
		vt_edu_round_trip(c, d);
		ids_and_hw_info(c, d);
		vt_log_clear();
		CHECK_RET(vfiox_dma_dirty_start(c), -EOPNOTSUPP);
		CHECK(vt_log_has("opts.backend = VFIOX_BACKEND_LEGACY"),
		      "the refusal does not name opts.backend");
	}
	vfiox_container_close(c);
}

/* The 0.1 symbol (NULL opts: auto) and 0.1-sized opts: legacy. */
static void programs_built_for_0_1_keep_legacy(const char *bdf)
{
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;
	int i;

	for (i = 0; i < 2; i++) {
		CHECK_RET(open_with(i ? &opts_0_1 : NULL, !i, bdf, &c, &g, &d), 0);
		if (vt_failures)
			return;
		CHECK(vfiox_container_backend(c) == VFIOX_BACKEND_LEGACY,
		      "%s: backend %d", i ? "0.1-sized opts" : "the 0.1 symbol",
		      vfiox_container_backend(c));
		vt_edu_round_trip(c, d);
		vfiox_container_close(c);
	}
}

static void on_iommufd(const char *bdf)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;

	CHECK_RET(vt_open_backend(VFIOX_BACKEND_IOMMUFD, bdf, &c, &g, &d), 0);
	if (vt_failures)
		return;
	CHECK_RET(vfiox_container_backend(c), VFIOX_BACKEND_IOMMUFD);
	CHECK_RET(vfiox_container_iommu_info(c, &info), 0);
	CHECK(info.iommu_type == VFIOX_IOMMU_IOMMUFD, "iommu_type %d", info.iommu_type);
	CHECK(!info.has_dma_avail, "iommufd reports no dma_avail, libvfiox invented one");
	CHECK(info.nr_iova_ranges >= 1, "%u IOVA ranges", info.nr_iova_ranges);
	printf("  iommufd: %u IOVA ranges, alignment 0x%llx\n", info.nr_iova_ranges,
	       (unsigned long long)info.pgsizes);
	CHECK_RET(vfiox_group_fd(g), -EOPNOTSUPP);
	vt_edu_round_trip(c, d);
	vt_log_clear();
	CHECK_RET(vfiox_dma_dirty_start(c), -EOPNOTSUPP);
	CHECK(vt_log_has("legacy backend"), "the refusal does not name the legacy backend");
	vfiox_container_close(c);

	auto_takes_iommufd(bdf);
	programs_built_for_0_1_keep_legacy(bdf);
}

static void without_iommufd(const char *bdf)
{
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;
	int ret;

	CHECK_RET(vt_open_backend(VFIOX_BACKEND_AUTO, bdf, &c, &g, &d), 0);
	if (vt_failures)
		return;
	CHECK_RET(vfiox_container_backend(c), VFIOX_BACKEND_LEGACY);
	vt_edu_round_trip(c, d);
	vfiox_container_close(c);
	programs_built_for_0_1_keep_legacy(bdf);
	/* Forced: no /dev/iommu (-ENODEV at open), or no cdev for the
	 * device (-ENODEV at device open); either names the legacy backend. */
	vt_log_clear();
	ret = vt_open_backend(VFIOX_BACKEND_IOMMUFD, bdf, &c, &g, &d);
	CHECK(ret == -ENODEV, "a forced iommufd open returned %d (%s)", ret, strerror(-ret));
	CHECK(vt_log_has("legacy backend"), "the refusal does not name the legacy backend");
	if (!ret)
		vfiox_container_close(c);
}

int main(void)
{
	const char *bdf = vt_env("VFIOX_EDU");
	const char *debug = getenv("VFIOX_DEBUG");
	int has = !access("/dev/iommu", F_OK) && !access("/dev/vfio/devices", F_OK);

	vt_init();
	/* The suite pins VFIOX_BACKEND (tests/vm/init); this test chooses. */
	unsetenv("VFIOX_BACKEND");
	if (debug && !strcmp(debug, "1"))
		CHECK(has, "the debug kernel has IOMMUFD=y and VFIO_DEVICE_CDEV=y, but no /dev/iommu or /dev/vfio/devices");
	printf("  the kernel %s iommufd with the vfio cdev\n", has ? "has" : "lacks");
	if (has)
		on_iommufd(bdf);
	else
		without_iommufd(bdf);
	return vt_done("iommufd_edu_dma");
}
