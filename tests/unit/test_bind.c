// SPDX-License-Identifier: MIT
/*
 * Binding against the fake kernel's sysfs: a device already on vfio-pci
 * needs no write; a group node that never appears times out naming what
 * was seen; a device without a group, a bad address and a failing sysfs
 * write are errors with a log line. The full bind/unbind cycle runs in the
 * VM (bind_unbind_cycle).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"

static const struct vfiox_bind_opts opts = {
	.sz = sizeof(opts), .timeout_ms = 200,
	.sysfs_root = "/fake/sys", .dev_root = "/fake/dev/vfio",
};

static int setup(void **state)
{
	(void)state;
	fk_reset();
	fk_log_capture();
	fk_add_link("/fake/sys/bus/pci/devices/0000:00:03.0/driver",
		    "../../../../bus/pci/drivers/vfio-pci");
	fk_add_file("/fake/sys/bus/pci/devices/0000:00:03.0/driver_override", "");
	return 0;
}

static void already_bound_device_needs_no_write(void **state)
{
	struct vfiox_binding *b;

	(void)state;
	fk_add_file("/fake/dev/vfio/7", "");
	fk_fail_nth("pwrite", 1, EIO);	/* any sysfs write would now fail */
	assert_int_equal(vfiox_pci_bind_sys(&fake_sys, "00:03.0", &opts, &b), 0);
	assert_int_equal(vfiox_binding_group(b), 7);
	assert_int_equal(vfiox_pci_unbind(b), 0);
	assert_int_equal(fk.calls, 0);	/* no pwrite was made */
	assert_int_equal(fk_open_fds(), 0);
}

static void missing_node_times_out(void **state)
{
	struct vfiox_binding *b;

	(void)state;
	assert_int_equal(vfiox_pci_bind_sys(&fake_sys, "0000:00:03.0", &opts, &b),
			 -ETIMEDOUT);
	assert_true(fk_log_has("group 7: no /dev/vfio/7 after 200 ms; uevents seen:"));
	assert_int_equal(fk_open_fds(), 0);
}

static void bad_requests_are_errors(void **state)
{
	struct vfiox_bind_opts long_driver = opts;
	struct vfiox_binding *b;

	(void)state;
	assert_int_equal(vfiox_pci_bind_sys(&fake_sys, "0000:00:09.0", &opts, &b), -ENODEV);
	assert_true(fk_log_has("0000:00:09.0: no IOMMU group"));
	assert_int_equal(vfiox_pci_bind_sys(&fake_sys, "00:03", &opts, &b), -EINVAL);
	long_driver.driver = "../../evil";
	assert_int_equal(vfiox_pci_bind_sys(&fake_sys, "00:03.0", &long_driver, &b), -EINVAL);
	assert_int_equal(vfiox_pci_bind_sys(&fake_sys, "00:03.0", &opts, NULL), -EINVAL);
	assert_int_equal(vfiox_pci_unbind(NULL), -EINVAL);
}

/* On another driver: the driver_override write fails, nothing is left. */
static void failed_write_is_reported(void **state)
{
	struct vfiox_binding *b;
	int i;

	(void)state;
	for (i = 0; i < fk.nr_files; i++)
		if (strstr(fk.files[i].path, "0000:00:03.0/driver") && fk.files[i].link[0])
			strcpy(fk.files[i].link, "../../../../bus/pci/drivers/nvme");
	fk_file("/fake/sys/bus/pci/devices/0000:00:03.0/driver_override")->write_errno = EINVAL;
	assert_int_equal(vfiox_pci_bind_sys(&fake_sys, "00:03.0", &opts, &b), -EINVAL);
	assert_true(fk_log_has("writing 'vfio-pci' to /fake/sys/bus/pci/devices/0000:00:03.0/driver_override"));
	assert_int_equal(fk_open_fds(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(already_bound_device_needs_no_write, setup),
		cmocka_unit_test_setup(missing_node_times_out, setup),
		cmocka_unit_test_setup(bad_requests_are_errors, setup),
		cmocka_unit_test_setup(failed_write_is_reported, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
