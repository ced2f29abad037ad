// SPDX-License-Identifier: MIT
/*
 * Binding against the fake kernel's sysfs and driver core: a device already
 * on vfio-pci needs no write; one on another driver (or none) moves to
 * vfio-pci and unbinding gives it back; a probe that lands elsewhere, either
 * way, is -EBUSY naming the driver; a whole group skips its bridges; release
 * hands a device to the kernel's choice. A group node that never appears
 * times out naming what was seen; a device without a group, a bad address
 * and a failing sysfs write are errors with a log line. The same cycle runs
 * on the real kernel in the VM (bind_unbind_cycle).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
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

#define DEV "/fake/sys/bus/pci/devices/0000:00:03.0"

static const char *driver_now(void)
{
	struct fk_file *f = fk_file(DEV "/driver");
	const char *slash = f && f->link[0] ? strrchr(f->link, '/') : NULL;

	return slash ? slash + 1 : "";
}

/* 00:03.0 on @driver ("" for none), the kernel's choice for it @probe,
 * the driver core's files, and the group node already there. */
static void on_driver(const char *driver, const char *probe)
{
	fk_file(DEV "/driver")->link[0] = '\0';
	if (driver[0])
		snprintf(fk_file(DEV "/driver")->link, sizeof(fk_file(DEV "/driver")->link),
			 "../../../../bus/pci/drivers/%s", driver);
	fk.probe_driver = probe;
	fk_add_file("/fake/sys/bus/pci/drivers_probe", "");
	fk_add_file("/fake/sys/bus/pci/drivers/nvme/unbind", "");
	fk_add_file("/fake/sys/bus/pci/drivers/vfio-pci/unbind", "");
	fk_add_file("/fake/dev/vfio/7", "");
}

static void bind_moves_the_device_and_unbind_gives_it_back(void **state)
{
	struct vfiox_binding *b;

	(void)state;
	on_driver("nvme", "nvme");
	assert_int_equal(vfiox_pci_bind_sys(&fake_sys, "00:03.0", &opts, &b), 0);
	assert_string_equal(driver_now(), "vfio-pci");
	assert_string_equal(fk_file(DEV "/driver_override")->content, "vfio-pci");
	assert_int_equal(vfiox_pci_unbind(b), 0);
	assert_string_equal(driver_now(), "nvme");
	assert_string_equal(fk_file(DEV "/driver_override")->content, "\n");
	assert_int_equal(fk_open_fds(), 0);
}

static void a_driverless_device_is_left_without_one(void **state)
{
	struct vfiox_binding *b;

	(void)state;
	on_driver("", "");
	assert_int_equal(vfiox_pci_bind_sys(&fake_sys, "00:03.0", &opts, &b), 0);
	assert_string_equal(driver_now(), "vfio-pci");
	assert_int_equal(vfiox_pci_unbind(b), 0);
	assert_string_equal(driver_now(), "");
}

static void a_probe_elsewhere_is_busy(void **state)
{
	struct vfiox_binding *b;

	(void)state;
	on_driver("nvme", "nvme");
	fk.probe_ignores_override = true;
	assert_int_equal(vfiox_pci_bind_sys(&fake_sys, "00:03.0", &opts, &b), -EBUSY);
	assert_true(fk_log_has("0000:00:03.0: still on 'nvme' after the probe, not on vfio-pci"));
	assert_string_equal(driver_now(), "nvme");	/* given back on the way out */
	fk.probe_ignores_override = false;
	assert_int_equal(vfiox_pci_bind_sys(&fake_sys, "00:03.0", &opts, &b), 0);
	fk.probe_driver = "other";
	assert_int_equal(vfiox_pci_unbind(b), -EBUSY);
	assert_true(fk_log_has("back on 'other', not on its previous driver 'nvme'"));
}

static void a_whole_group_skips_its_bridges(void **state)
{
	struct vfiox_bind_opts whole = opts;
	struct vfiox_binding *b;

	(void)state;
	on_driver("nvme", "nvme");
	whole.whole_group = true;
	fk_add_file("/fake/sys/kernel/iommu_groups/7/devices/0000:00:04.0/class", "");
	fk_add_file("/fake/sys/bus/pci/devices/0000:00:04.0/class", "0x060400\n");
	fk_add_file("/fake/sys/bus/pci/devices/0000:00:04.0/driver_override", "");
	assert_int_equal(vfiox_pci_bind_sys(&fake_sys, "00:03.0", &whole, &b), 0);
	assert_string_equal(driver_now(), "vfio-pci");
	assert_string_equal(fk_file("/fake/sys/bus/pci/devices/0000:00:04.0/driver_override")->content, "");
	assert_int_equal(vfiox_binding_forget(b), 0);	/* stays on vfio-pci */
	assert_string_equal(driver_now(), "vfio-pci");
	assert_int_equal(vfiox_binding_forget(NULL), -EINVAL);
}

static void release_hands_the_device_to_the_kernels_choice(void **state)
{
	char driver[16];

	(void)state;
	on_driver("vfio-pci", "nvme");
	snprintf(fk_file(DEV "/driver_override")->content, 16, "vfio-pci");
	assert_int_equal(vfiox_pci_release_sys(&fake_sys, "00:03.0", &opts, driver,
					       sizeof(driver)), 0);
	assert_string_equal(driver, "nvme");
	assert_string_equal(fk_file(DEV "/driver_override")->content, "\n");
	assert_int_equal(vfiox_pci_release_sys(&fake_sys, "00:09.0", &opts, NULL, 0),
			 -ENODEV);
	assert_int_equal(vfiox_pci_release_sys(&fake_sys, "00:03.0", &opts, driver, 0),
			 -EINVAL);
	assert_int_equal(fk_open_fds(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(already_bound_device_needs_no_write, setup),
		cmocka_unit_test_setup(missing_node_times_out, setup),
		cmocka_unit_test_setup(bad_requests_are_errors, setup),
		cmocka_unit_test_setup(failed_write_is_reported, setup),
		cmocka_unit_test_setup(bind_moves_the_device_and_unbind_gives_it_back, setup),
		cmocka_unit_test_setup(a_driverless_device_is_left_without_one, setup),
		cmocka_unit_test_setup(a_probe_elsewhere_is_busy, setup),
		cmocka_unit_test_setup(a_whole_group_skips_its_bridges, setup),
		cmocka_unit_test_setup(release_hands_the_device_to_the_kernels_choice, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
