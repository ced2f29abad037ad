// SPDX-License-Identifier: MIT
/*
 * SVM binds and IOPF mode against the fake kernel, which plays the
 * series' patched vfio: the success paths live here only, because the
 * real x86 kernels refuse both (the VM test svm_iopf_refused checks those
 * refusals). Bind returns
 * the PASID and the same one again; unbind checks its state and PASID
 * before any syscall; closing the device drops the bonds; each reason a
 * bind or an IOPF enable cannot work is told apart. IOPF enable changes
 * nothing when refused, and maps afterwards carry the IOPF flag.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"

#define DEV "0000:00:03.0"

static struct vfiox_container *c;
static struct vfiox_group *g;

static struct vfiox_device *open_dev(bool svm_ext, uint32_t flags)
{
	struct vfiox_device *d;

	assert_int_equal(fk_fresh_group7(&c, &g), 0);
	if (svm_ext)
		fk.private_exts[0] = VFIOX_SVM;
	fk.groups[0].devs[0].flags |= flags;
	assert_int_equal(vfiox_device_open(g, DEV, NULL, &d), 0);
	return d;
}

static void bind_gives_one_pasid_per_process(void **state)
{
	struct vfiox_device *d = open_dev(true, VFIOX_DEVICE_FLAGS_SVM);
	uint32_t pasid = 0, again = 0;

	(void)state;
	assert_int_equal(vfiox_svm_support(d), VFIOX_FEATURE_AVAILABLE);
	assert_int_equal(vfiox_svm_bind(d, &pasid), 0);
	assert_int_not_equal(pasid, 0);
	assert_int_equal(vfiox_svm_bind(d, &again), 0);
	assert_int_equal(again, pasid);
	assert_int_equal(fk.groups[0].devs[0].binds, 2);
	assert_int_equal(vfiox_svm_unbind(d, pasid, VFIOX_PASID_FLUSHED), 0);
	assert_int_equal(fk.groups[0].devs[0].last_unbind_flags,
			 VFIOX_SVM_PASID_RELEASE_FLUSHED);
	assert_int_equal(fk.groups[0].devs[0].pasid, 0);
	/* Once unbound, the PASID is unknown. */
	assert_int_equal(vfiox_svm_unbind(d, pasid, VFIOX_PASID_CLEAN), -ENOENT);
	assert_true(fk_close_clean(c));
}

static void unbind_checks_before_asking(void **state)
{
	struct vfiox_device *d = open_dev(true, VFIOX_DEVICE_FLAGS_SVM);
	unsigned long before;
	uint32_t pasid;

	(void)state;
	assert_int_equal(vfiox_svm_bind(d, &pasid), 0);
	before = fk.calls;
	assert_int_equal(vfiox_svm_unbind(d, pasid, 0), -EINVAL);
	assert_int_equal(vfiox_svm_unbind(d, pasid, VFIOX_PASID_FLUSHED | VFIOX_PASID_CLEAN),
			 -EINVAL);
	assert_int_equal(vfiox_svm_unbind(d, pasid, 4), -EINVAL);
	assert_true(fk_log_has("give exactly one of VFIOX_PASID_FLUSHED and VFIOX_PASID_CLEAN"));
	assert_int_equal(vfiox_svm_unbind(d, pasid + 1, VFIOX_PASID_CLEAN), -ENOENT);
	assert_true(fk_log_has("is not bound through this device"));
	assert_int_equal(fk.calls, before);
	assert_int_equal(vfiox_svm_unbind(NULL, pasid, VFIOX_PASID_CLEAN), -EINVAL);
	assert_int_equal(vfiox_svm_bind(d, NULL), -EINVAL);
	/* A failing unbind keeps the bond known, so it can be retried. */
	fk_fail_nth("ioctl", 1, EIO);
	assert_int_equal(vfiox_svm_unbind(d, pasid, VFIOX_PASID_CLEAN), -EIO);
	fk.fail_at = 0;
	assert_int_equal(vfiox_svm_unbind(d, pasid, VFIOX_PASID_CLEAN), 0);
	assert_true(fk_close_clean(c));
}

static void closing_the_device_drops_every_bond(void **state)
{
	struct vfiox_device *d = open_dev(true, VFIOX_DEVICE_FLAGS_SVM);
	uint32_t pasid;

	(void)state;
	assert_int_equal(vfiox_svm_bind(d, &pasid), 0);
	assert_int_equal(fk.groups[0].devs[0].pasid, pasid);
	vfiox_device_close(d);
	assert_int_equal(fk.groups[0].devs[0].pasid, 0);
	assert_int_equal(fk.groups[0].devs[0].unbinds, 0);	/* the fd close did it */
	assert_true(fk_close_clean(c));
}

/*
 * Review S8/L1/L2: where the kernel reports the SVM flag (the extension
 * answers 2), a clear flag is its answer and nothing is asked; where it
 * does not (the ioctls without the flag), a clear flag means nothing and
 * only the bind can tell.
 */
static void clear_flag_refuses_only_where_the_kernel_reports_it(void **state)
{
	struct vfiox_device *d = open_dev(true, 0);
	uint32_t pasid = 0;

	(void)state;
	assert_int_equal(vfiox_container_check_extension(c, VFIOX_SVM),
			 VFIOX_SVM_FLAGS_REPORTED);
	assert_int_equal(vfiox_svm_support(d), VFIOX_FEATURE_NO_DEVICE_CAP);
	assert_int_equal(vfiox_svm_bind(d, &pasid), -EOPNOTSUPP);
	assert_int_equal(fk.groups[0].devs[0].binds, 0);
	assert_true(fk_close_clean(c));

	d = open_dev(true, 0);
	fk.svm_flag_unreported = true;
	assert_int_equal(vfiox_container_check_extension(c, VFIOX_SVM), 1);
	assert_int_equal(vfiox_svm_support(d), VFIOX_FEATURE_AVAILABLE);
	assert_int_equal(vfiox_svm_bind(d, &pasid), 0);
	assert_int_not_equal(pasid, 0);
	assert_int_equal(fk.groups[0].devs[0].binds, 1);
	assert_int_equal(vfiox_svm_unbind(d, pasid, VFIOX_PASID_CLEAN), 0);
	/* The kernel's own refusal is what tells, and is remembered */
	fk.groups[0].devs[0].svm_errno = EOPNOTSUPP;
	assert_int_equal(vfiox_svm_bind(d, &pasid), -EOPNOTSUPP);
	assert_int_equal(fk.groups[0].devs[0].binds, 1);
	assert_true(fk_log_has(DEV ": the IOMMU refused to bind this process"));
	assert_int_equal(vfiox_svm_support(d), VFIOX_FEATURE_IOMMU_REFUSED);
	assert_true(fk_close_clean(c));
}

/*
 * Review S3: only vfio-pci computes the flag, so on any other device a
 * clear flag is no answer even where the kernel reports it for PCI: the
 * library asks the bind.
 */
static void clear_flag_on_a_non_pci_device_asks_the_bind(void **state)
{
	struct vfiox_device *d;
	uint32_t pasid = 0;

	(void)state;
	assert_int_equal(fk_fresh_group7(&c, &g), 0);
	fk.private_exts[0] = VFIOX_SVM;
	fk.groups[0].devs[0].flags = VFIO_DEVICE_FLAGS_PLATFORM | VFIO_DEVICE_FLAGS_RESET;
	assert_int_equal(vfiox_device_open(g, DEV, NULL, &d), 0);
	assert_int_equal(vfiox_container_check_extension(c, VFIOX_SVM),
			 VFIOX_SVM_FLAGS_REPORTED);
	assert_int_equal(vfiox_svm_support(d), VFIOX_FEATURE_AVAILABLE);
	assert_int_equal(vfiox_svm_bind(d, &pasid), 0);
	assert_int_not_equal(pasid, 0);
	assert_int_equal(fk.groups[0].devs[0].binds, 1);
	assert_true(fk_close_clean(c));
}

static void each_reason_is_told_apart(void **state)
{
	struct vfiox_device *d = open_dev(false, VFIOX_DEVICE_FLAGS_SVM);
	uint32_t pasid = 77;

	(void)state;
	assert_int_equal(vfiox_svm_support(d), VFIOX_FEATURE_NO_KERNEL);
	assert_int_equal(vfiox_svm_bind(d, &pasid), -ENOTTY);
	assert_true(fk_log_has(DEV ": the kernel lacks the SVM extension (VFIOX_SVM)"));
	assert_int_equal(pasid, 77);
	assert_true(fk_close_clean(c));

	d = open_dev(true, 0);	/* no flag, no PASID capability */
	assert_int_equal(vfiox_svm_support(d), VFIOX_FEATURE_NO_DEVICE_CAP);
	assert_int_equal(vfiox_svm_bind(d, &pasid), -EOPNOTSUPP);
	assert_true(fk_log_has(DEV ": the kernel reports no PASID for the device"));
	assert_int_equal(fk.groups[0].devs[0].binds, 0);
	assert_true(fk_close_clean(c));

	d = open_dev(true, VFIOX_DEVICE_FLAGS_SVM);
	fk_add_link("/fake/sys/kernel/iommu_groups/7/devices/0000:00:03.1/driver",
		    "../../../../bus/pci/drivers/vfio-pci");
	assert_int_equal(vfiox_svm_support(d), VFIOX_FEATURE_SHARED_GROUP);
	assert_int_equal(vfiox_svm_bind(d, &pasid), -EXDEV);
	assert_true(fk_log_has("other devices share IOMMU group 7"));
	assert_true(fk_close_clean(c));

	d = open_dev(true, VFIOX_DEVICE_FLAGS_SVM);
	fk.groups[0].devs[0].svm_errno = ENODEV;
	assert_int_equal(vfiox_svm_bind(d, &pasid), -ENODEV);
	assert_true(fk_log_has(DEV ": the IOMMU refused to bind this process (No such device)"));
	assert_int_equal(vfiox_svm_support(d), VFIOX_FEATURE_IOMMU_REFUSED);
	/* It is asked again, and a success clears the refusal. */
	fk.groups[0].devs[0].svm_errno = 0;
	assert_int_equal(vfiox_svm_bind(d, &pasid), 0);
	assert_int_equal(vfiox_svm_support(d), VFIOX_FEATURE_AVAILABLE);
	assert_string_equal(vfiox_feature_reason_str(VFIOX_FEATURE_IOMMU_REFUSED),
			    "the IOMMU refused");
	/* Review N7: with the extension's level 2 a clear flag also means no PASIDs in the IOMMU */
	assert_string_equal(vfiox_feature_reason_str(VFIOX_FEATURE_NO_DEVICE_CAP),
			    "the device, or its IOMMU, lacks the capability");
	assert_string_equal(vfiox_feature_reason_str(99), "unknown reason");
	assert_true(fk_close_clean(c));
}

static void iopf_refused_changes_nothing(void **state)
{
	char buf[8192] __attribute__((aligned(4096)));
	uint64_t iova;

	(void)state;
	assert_int_equal(fk_fresh_group7(&c, &g), 0);
	assert_int_equal(vfiox_iopf_support(c), VFIOX_FEATURE_NO_KERNEL);
	assert_int_equal(vfiox_container_enable_iopf(c), -ENOTTY);
	assert_true(fk_log_has("the kernel lacks the IOPF extension (VFIOX_IOPF)"));
	fk.private_exts[0] = VFIOX_IOPF;
	fk.iopf_errno = EOPNOTSUPP;
	assert_int_equal(vfiox_container_enable_iopf(c), -EOPNOTSUPP);
	assert_true(fk_log_has("the IOMMU refused I/O page faults for a device of the container"));
	assert_int_equal(vfiox_container_iopf_enabled(c), 0);
	assert_int_equal(vfiox_iopf_support(c), VFIOX_FEATURE_IOMMU_REFUSED);
	/* Still pinned mode: maps carry no IOPF flag, and the kernel takes them. */
	assert_int_equal(vfiox_dma_map(c, buf, sizeof(buf), NULL, &iova), 0);
	assert_int_equal(fk.maps[0].flags & VFIOX_DMA_MAP_FLAG_IOPF, 0);
	/* With a mapping in place enabling is refused before the kernel is asked. */
	fk.iopf_errno = 0;
	assert_int_equal(vfiox_container_enable_iopf(c), -EBUSY);
	assert_true(fk_log_has("the container has 1 mappings: IOPF must be enabled before the first"));
	assert_false(fk.iopf);
	assert_int_equal(vfiox_container_enable_iopf(NULL), -EINVAL);
	assert_true(fk_close_clean(c));
}

static void iopf_maps_carry_the_flag(void **state)
{
	char buf[3 * 4096] __attribute__((aligned(4096)));
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	uint64_t iova;
	uint32_t kernel, ours;

	(void)state;
	assert_int_equal(fk_fresh_group7(&c, &g), 0);
	fk.private_exts[0] = VFIOX_IOPF;
	assert_int_equal(vfiox_iopf_support(c), VFIOX_FEATURE_AVAILABLE);
	assert_int_equal(vfiox_container_enable_iopf(c), 0);
	assert_int_equal(vfiox_container_enable_iopf(c), 0);	/* idempotent */
	assert_int_equal(vfiox_container_iopf_enabled(c), 1);
	assert_int_equal(vfiox_dma_map(c, buf, 4096, NULL, &iova), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, buf + 4096, 8192, 0x40000000, NULL), 0);
	assert_int_equal(fk.nr_maps, 2);
	assert_int_equal(fk.maps[0].flags, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
			 VFIOX_DMA_MAP_FLAG_IOPF);
	assert_true(fk.maps[1].flags & VFIOX_DMA_MAP_FLAG_IOPF);
	/* Accounting is the same as pinned: one entry per map. */
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 2);
	assert_int_equal(st.mapped_bytes, 3 * 4096);
	assert_int_equal(vfiox_dma_avail_check(c, &kernel, &ours), 0);
	assert_int_equal(vfiox_dma_unmap_iova(c, iova, 4096), 0);
	assert_int_equal(fk.nr_maps, 1);
	assert_true(fk_close_clean(c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bind_gives_one_pasid_per_process),
		cmocka_unit_test(unbind_checks_before_asking),
		cmocka_unit_test(closing_the_device_drops_every_bond),
		cmocka_unit_test(each_reason_is_told_apart),
		cmocka_unit_test(clear_flag_refuses_only_where_the_kernel_reports_it),
		cmocka_unit_test(clear_flag_on_a_non_pci_device_asks_the_bind),
		cmocka_unit_test(iopf_refused_changes_nothing),
		cmocka_unit_test(iopf_maps_carry_the_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
