// SPDX-License-Identifier: MIT
/*
 * PASID attach on the iommufd backend against the fake kernel: a PASID to
 * the IOAS and to a HWPT and back, the checks made before the kernel is
 * asked (PASID 0, beyond the device's width, a device without PASIDs,
 * twice, a detach of a PASID never attached), a kernel before 6.15, the
 * device's close detaching what is left, and the legacy backend's refusal.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"

#define BDF "0000:00:03.0"

static struct vfiox_container *c;
static struct vfiox_group *g;
static struct vfiox_device *d;

static int setup(void **state)
{
	(void)state;
	return fk_iommufd_device_setup(&c, &g, &d);
}

static int teardown(void **state)
{
	(void)state;
	assert_true(fk_iommufd_closed_clean(c));
	return 0;
}

static struct fk_device *dev0(void) { return &fk.groups[0].devs[0]; }

static void a_pasid_attaches_to_the_ioas_and_detaches(void **state)
{
	uint32_t hwpt = 0;

	(void)state;
	assert_int_equal(vfiox_device_attach_pasid(d, 5, NULL, &hwpt), 0);
	assert_int_not_equal(hwpt, 0);
	assert_int_equal(dev0()->nr_att_pasids, 1);
	assert_int_equal(dev0()->att_pasids[0], 5);
	assert_int_equal(vfiox_device_attach_pasid(d, 6, NULL, NULL), 0);
	assert_int_equal(vfiox_device_detach_pasid(d, 5), 0);
	assert_int_equal(dev0()->nr_att_pasids, 1);
	assert_int_equal(dev0()->att_pasids[0], 6);
	assert_int_equal(vfiox_device_detach_pasid(d, 6), 0);
	assert_int_equal(dev0()->nr_att_pasids, 0);
}

static void twice_and_never_attached_are_refused_without_the_kernel(void **state)
{
	unsigned long attaches;

	(void)state;
	assert_int_equal(vfiox_device_attach_pasid(d, 7, NULL, NULL), 0);
	attaches = fk.pasid_attaches;
	assert_int_equal(vfiox_device_attach_pasid(d, 7, NULL, NULL), -EEXIST);
	assert_true(fk_log_has("attached already"));
	assert_int_equal(fk.pasid_attaches, attaches);
	assert_int_equal(vfiox_device_detach_pasid(d, 8), -ENOENT);
	assert_true(fk_log_has("not attached through this device"));
	assert_int_equal(fk.pasid_detaches, 0);
}

static void pasids_outside_the_device_are_refused(void **state)
{
	struct vfiox_pasid_opts big = { .sz = 4096 + 8 };
	struct vfiox_pasid_opts flagged = { .sz = sizeof(flagged), .flags = 1 };

	(void)state;
	assert_int_equal(vfiox_device_attach_pasid(d, 0, NULL, NULL), -EINVAL);
	assert_true(fk_log_has("PASID 0"));
	assert_int_equal(vfiox_device_attach_pasid(d, 1u << 20, NULL, NULL), -EINVAL);
	assert_true(fk_log_has("20-bit PASIDs"));
	assert_int_equal(vfiox_device_attach_pasid(d, 1, &big, NULL), -E2BIG);
	assert_int_equal(vfiox_device_attach_pasid(d, 1, &flagged, NULL), -EINVAL);
	assert_true(fk_log_has("none is defined"));
	assert_int_equal(vfiox_device_attach_pasid(NULL, 1, NULL, NULL), -EINVAL);
	assert_int_equal(vfiox_device_detach_pasid(NULL, 1), -EINVAL);
	/* The IOMMU reports no PASID for it: refused before the attach. */
	dev0()->no_pasid = true;
	fk_log_capture();
	assert_int_equal(vfiox_device_attach_pasid(d, 1, NULL, NULL), -EOPNOTSUPP);
	assert_true(fk_log_has("reports no PASID"));
	assert_int_equal(fk.pasid_attaches, 0);
	assert_int_equal(dev0()->nr_att_pasids, 0);
}

/* A HWPT the caller made on the container's iommufd. */
static uint32_t caller_hwpt(uint32_t flags)
{
	struct vfiox_iommu_hwpt_alloc q = { .size = sizeof(q), .flags = flags };

	assert_int_equal(vfiox_device_devid(d, &q.dev_id), 0);
	assert_int_equal(vfiox_container_ioas_id(c, &q.pt_id), 0);
	assert_int_equal(fake_sys.ioctl(vfiox_container_fd(c), VFIOX_IOMMU_HWPT_ALLOC, &q), 0);
	return q.out_hwpt_id;
}

static void a_pasid_attaches_to_a_hwpt(void **state)
{
	struct vfiox_pasid_opts opts = { .sz = sizeof(opts) };
	uint32_t got = 0;

	(void)state;
	opts.pt_id = caller_hwpt(VFIOX_IOMMU_HWPT_ALLOC_PASID);
	assert_int_equal(vfiox_device_attach_pasid(d, 9, &opts, &got), 0);
	assert_int_equal(got, opts.pt_id);
	/* One the kernel will not take for PASIDs: its reason in the log. */
	opts.pt_id = caller_hwpt(0);
	assert_int_equal(vfiox_device_attach_pasid(d, 10, &opts, &got), -EINVAL);
	assert_true(fk_log_has("IOMMU_HWPT_ALLOC_PASID"));
	assert_int_equal(dev0()->nr_att_pasids, 1);
	assert_int_equal(vfiox_device_detach_pasid(d, 9), 0);
	/* The caller's HWPTs are the caller's to destroy. */
	assert_int_equal(fk_objects(), 2);
}

static void a_kernel_before_6_15_is_named(void **state)
{
	(void)state;
	fk.no_pasid_attach = true;
	assert_int_equal(vfiox_device_attach_pasid(d, 3, NULL, NULL), -EINVAL);
	assert_true(fk_log_has("Linux 6.15"));
	assert_int_equal(dev0()->nr_att_pasids, 0);
	assert_int_equal(vfiox_device_detach_pasid(d, 3), -ENOENT);
}

static void the_close_detaches_every_pasid(void **state)
{
	(void)state;
	assert_int_equal(vfiox_device_attach_pasid(d, 2, NULL, NULL), 0);
	assert_int_equal(vfiox_device_attach_pasid(d, 4, NULL, NULL), 0);
	vfiox_device_close(d);
	assert_int_equal(fk.pasid_detaches, 2);
	assert_int_equal(dev0()->nr_att_pasids, 0);
	/* A failed detach at close still frees everything. */
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), 0);
	assert_int_equal(vfiox_device_attach_pasid(d, 2, NULL, NULL), 0);
	fk.no_pasid_attach = true;	/* the detach now fails */
	vfiox_device_close(d);
	fk.no_pasid_attach = false;
	assert_true(fk_log_has("goes with the device file"));
	assert_int_equal(dev0()->nr_att_pasids, 0);
}

static void legacy_containers_refuse_naming_iommufd(void **state)
{
	struct vfiox_container *lc;
	struct vfiox_group *lg;
	struct vfiox_device *ld;
	unsigned long calls;

	(void)state;
	assert_true(fk_close_clean(c));
	fk_reset();
	fk_log_capture();
	assert_int_equal(fk_open_group7(&lc, &lg), 0);
	assert_int_equal(vfiox_device_open(lg, BDF, NULL, &ld), 0);
	calls = fk.calls;
	assert_int_equal(vfiox_device_attach_pasid(ld, 1, NULL, NULL), -EOPNOTSUPP);
	assert_true(fk_log_has("only the iommufd backend has it"));
	assert_int_equal(vfiox_device_detach_pasid(ld, 1), -EOPNOTSUPP);
	assert_int_equal(fk.calls, calls);
	assert_true(fk_close_clean(lc));
	/* A fresh iommufd container for the teardown. */
	fk_reset();
	fk_enable_iommufd();
	assert_int_equal(fk_iommufd_container_open(&c), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(a_pasid_attaches_to_the_ioas_and_detaches),
		T(twice_and_never_attached_are_refused_without_the_kernel),
		T(pasids_outside_the_device_are_refused),
		T(a_pasid_attaches_to_a_hwpt),
		T(a_kernel_before_6_15_is_named),
		T(the_close_detaches_every_pasid),
		T(legacy_containers_refuse_naming_iommufd),
	};

	return cmocka_run_group_tests_name("iommufd_pasid", tests, NULL, NULL);
}
