// SPDX-License-Identifier: MIT
/* Container open, IOMMU type choice, and cleanup on every injected failure. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"

static int setup(void **state)
{
	(void)state;
	fk_reset();
	fk_log_capture();
	return 0;
}

static void api_version_mismatch_is_refused(void **state)
{
	struct vfiox_container *c = NULL;

	(void)state;
	fk.api_version = VFIO_API_VERSION + 1;
	assert_int_equal(fk_container_open(&c), -EINVAL);
	assert_null(c);
	assert_true(fk_log_has("API version 1"));
	assert_int_equal(fk_open_fds(), 0);
}

static void missing_type1v2_falls_back_to_type1(void **state)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	struct vfiox_container *c;
	struct vfiox_group *g;

	(void)state;
	fk.extensions = 1u << VFIO_TYPE1_IOMMU;
	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_container_iommu_info(c, &info), -ENODEV);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(fk.iommu_type, VFIO_TYPE1_IOMMU);
	assert_int_equal(vfiox_container_iommu_info(c, &info), 0);
	assert_int_equal(info.iommu_type, VFIO_TYPE1_IOMMU);
	vfiox_container_close(c);
	assert_int_equal(fk_open_fds(), 0);
}

static void no_type1_at_all_is_refused(void **state)
{
	struct vfiox_container *c;

	(void)state;
	fk.extensions = 0;
	assert_int_equal(fk_container_open(&c), -ENOTSUP);
	assert_true(fk_log_has("no type1 IOMMU"));
	assert_int_equal(fk_open_fds(), 0);
}

static void requested_type_must_be_offered(void **state)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts), .dev_root = "/fake/dev/vfio",
		.iommu_type = VFIO_TYPE1v2_IOMMU,
	};
	struct vfiox_container *c;

	(void)state;
	fk.extensions = 1u << VFIO_TYPE1_IOMMU;
	assert_int_equal(vfiox_container_open_sys(&opts, &fake_sys, &c), -ENOTSUP);
	assert_true(fk_log_has("of the requested type"));
}

static void bad_arguments_are_refused(void **state)
{
	struct vfiox_container_opts opts = { 0 };
	struct vfiox_container *c;
	char longroot[600];

	(void)state;
	assert_int_equal(vfiox_container_open_sys(NULL, &fake_sys, NULL), -EINVAL);
	assert_int_equal(vfiox_container_open_sys(&opts, &fake_sys, &c), -EINVAL);
	memset(longroot, 'a', sizeof(longroot) - 1);
	longroot[sizeof(longroot) - 1] = '\0';
	opts.sz = sizeof(opts);
	opts.dev_root = longroot;
	assert_int_equal(vfiox_container_open_sys(&opts, &fake_sys, &c), -ENAMETOOLONG);
	assert_int_equal(vfiox_container_iova_ranges(NULL, NULL, 0), -EINVAL);
	assert_int_equal(fk_open_fds(), 0);
}

static void missing_node_reports_path(void **state)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts), .dev_root = "/nowhere",
	};
	struct vfiox_container *c;

	(void)state;
	assert_int_equal(vfiox_container_open_sys(&opts, &fake_sys, &c), -ENOENT);
	assert_true(fk_log_has("open /nowhere/vfio"));
}

static void old_opts_size_is_accepted(void **state)
{
	/* A caller built against a header whose opts ended at dev_root. */
	struct vfiox_container_opts opts = {
		.sz = offsetof(struct vfiox_container_opts, sysfs_root),
		.dev_root = "/fake/dev/vfio", .iommu_type = 12345,
	};
	struct vfiox_container *c;

	(void)state;
	assert_int_equal(vfiox_container_open_sys(&opts, &fake_sys, &c), 0);
	vfiox_container_close(c);
}

/*
 * Fail every seam call of the whole open sequence in turn, with each errno
 * seen in practice: the error comes back and nothing stays open or mapped.
 */
static int open_everything(void)
{
	struct vfiox_device *d;
	struct vfiox_container *c;
	struct vfiox_group *g;
	void *bar;
	int fds[1];
	int ret;

	ret = fk_container_open(&c);
	if (ret)
		return ret;
	ret = vfiox_group_open(c, 7, &g);
	if (!ret)
		ret = vfiox_device_open(g, "0000:00:03.0", NULL, &d);
	if (!ret)
		ret = vfiox_region_mmap(d, 0, &bar);
	if (!ret)
		ret = vfiox_irq_enable(d, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, fds);
	vfiox_container_close(c);
	return ret;
}

static void every_injected_failure_leaves_nothing_open(void **state)
{
	static const int errnos[] = { ENOMEM, EINTR, EFAULT, EBUSY, ENODEV, EPERM };
	unsigned long n, total;
	size_t e;

	(void)state;
	fk_reset();
	assert_int_equal(open_everything(), 0);
	total = fk.calls;
	assert_true(total > 20);
	for (e = 0; e < sizeof(errnos) / sizeof(errnos[0]); e++) {
		for (n = 1; n <= total; n++) {
			int ret;

			fk_reset();
			fk.fail_at = n;
			fk.fail_errno = errnos[e];
			ret = open_everything();
			/* A failed VFIO_CHECK_EXTENSION probe is reported as is. */
			assert_true(ret == -errnos[e] || ret == 0);
			assert_int_equal(fk_open_fds(), 0);
			assert_int_equal(fk.live_mmaps, 0);
			for (int i = 0; i < fk.nr_groups; i++)
				assert_false(fk.groups[i].attached);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(api_version_mismatch_is_refused, setup),
		cmocka_unit_test_setup(missing_type1v2_falls_back_to_type1, setup),
		cmocka_unit_test_setup(no_type1_at_all_is_refused, setup),
		cmocka_unit_test_setup(requested_type_must_be_offered, setup),
		cmocka_unit_test_setup(bad_arguments_are_refused, setup),
		cmocka_unit_test_setup(missing_node_reports_path, setup),
		cmocka_unit_test_setup(old_opts_size_is_accepted, setup),
		cmocka_unit_test_setup(every_injected_failure_leaves_nothing_open, setup),
	};

	return cmocka_run_group_tests_name("container", tests, NULL, NULL);
}
