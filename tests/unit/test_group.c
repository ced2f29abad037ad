// SPDX-License-Identifier: MIT
/* Group open, viability, attach and detach. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"

static struct vfiox_container *c;

static int setup(void **state)
{
	(void)state;
	fk_reset();
	fk_log_capture();
	return fk_container_open(&c);
}

static int teardown(void **state)
{
	(void)state;
	vfiox_container_close(c);
	assert_int_equal(fk_open_fds(), 0);
	return 0;
}

static void non_viable_group_lists_every_device_and_driver(void **state)
{
	struct vfiox_group *g = NULL;

	(void)state;
	fk.groups[0].viable = false;
	fk_add_link("/fake/sys/kernel/iommu_groups/7/devices/0000:00:03.1/driver",
		    "../../../../bus/pci/drivers/nvme");
	fk_add_file("/fake/sys/kernel/iommu_groups/7/devices/0000:00:03.2/vendor",
		    "0x8086\n");
	assert_int_equal(vfiox_group_open(c, 7, &g), -EBUSY);
	assert_null(g);
	assert_true(fk_log_has("group 7 is not viable"));
	assert_true(fk_log_has("device 0000:00:03.0 is bound to vfio-pci"));
	assert_true(fk_log_has("device 0000:00:03.1 is bound to nvme"));
	assert_true(fk_log_has("device 0000:00:03.2 is bound to no driver"));
	assert_int_equal(fk_open_fds(), 1);
}

static void eperm_on_group_node_is_reported(void **state)
{
	struct vfiox_group *g;

	(void)state;
	fk.groups[0].open_errno = EPERM;
	assert_int_equal(vfiox_group_open(c, 7, &g), -EPERM);
	assert_true(fk_log_has("group 7: open /fake/dev/vfio/7"));
}

static void open_by_pci_address_follows_sysfs(void **state)
{
	struct vfiox_group *g;

	(void)state;
	assert_int_equal(vfiox_group_open_pci(c, "00:03.0", &g), 0);
	assert_int_equal(vfiox_group_number(g), 7);
	assert_true(fk.groups[0].attached);
	assert_int_equal(vfiox_group_open_pci(c, "0000:00:04.0", &g), -ENODEV);
	assert_true(fk_log_has("no IOMMU group"));
	assert_int_equal(vfiox_group_open_pci(c, "0000:00:03.0x", &g), -EINVAL);
}

static void double_open_is_refused(void **state)
{
	struct vfiox_group *g, *g2;

	(void)state;
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g2), -EEXIST);
	assert_int_equal(vfiox_group_open(c, -1, &g2), -EINVAL);
}

static void two_groups_share_one_container(void **state)
{
	static const struct vfio_iova_range one[] = { { 0, 0xffff } };
	struct vfiox_iova_range r[4];
	struct vfiox_group *g7, *g9;

	(void)state;
	fk.nr_groups = 2;
	fk.groups[1] = fk.groups[0];
	fk.groups[1].nr = 9;
	fk_add_file("/fake/sys/kernel/iommu_groups/9/reserved_regions", "");
	assert_int_equal(vfiox_group_open(c, 7, &g7), 0);
	assert_int_equal(vfiox_container_iova_ranges(c, r, 4), 2);
	/* The second group shrinks the IOVA space: the info is read again. */
	fk_info_begin(0x1000);
	fk_info_add_iova(one, 1);
	assert_int_equal(vfiox_group_open(c, 9, &g9), 0);
	assert_int_equal(vfiox_container_iova_ranges(c, r, 4), 1);
	assert_int_equal(r[0].end, 0xffff);
	vfiox_group_close(g7);
	assert_false(fk.groups[0].attached);
	assert_true(fk.groups[1].attached);
	assert_int_equal(fk.iommu_type, VFIO_TYPE1v2_IOMMU);
	vfiox_group_close(g9);
	assert_int_equal(fk.iommu_type, 0);
	assert_int_equal(vfiox_container_iova_ranges(c, r, 4), -ENODEV);
}

static void failed_info_read_detaches_again(void **state)
{
	struct vfiox_group *g;

	(void)state;
	fk_fail_nth("ioctl", 5, EFAULT);
	assert_int_equal(vfiox_group_open(c, 7, &g), -EFAULT);
	assert_false(fk.groups[0].attached);
	assert_int_equal(fk.iommu_type, 0);
	assert_true(fk_log_has("VFIO_IOMMU_GET_INFO: Bad address"));
	fk.fail_at = 0;
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
}

/* The kernel detached the group when its devices left: no warning. This
 * fake answers the status without a container; the VM test
 * unbind_open_device meets the real kernel's ENODEV. */
static void close_after_kernel_detach_is_quiet(void **state)
{
	struct vfiox_group *g;

	(void)state;
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	fk_kernel_detach(&fk.groups[0]);
	vfiox_group_close(g);
	assert_false(fk_log_has("UNSET_CONTAINER"));
	/* The real kernel has forgotten the IOMMU group too: status ENODEV. */
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	fk_kernel_detach(&fk.groups[0]);
	fk_fail_nth("ioctl", 2, ENODEV);
	vfiox_group_close(g);
	assert_false(fk_log_has("UNSET_CONTAINER"));
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	fk_fail_nth("ioctl", 1, EIO);
	vfiox_group_close(g);
	assert_true(fk_log_has("group 7: VFIO_GROUP_UNSET_CONTAINER: Input/output error"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(non_viable_group_lists_every_device_and_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(eperm_on_group_node_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(open_by_pci_address_follows_sysfs, setup, teardown),
		cmocka_unit_test_setup_teardown(double_open_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(two_groups_share_one_container, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_info_read_detaches_again, setup, teardown),
		cmocka_unit_test_setup_teardown(close_after_kernel_detach_is_quiet, setup, teardown),
	};

	return cmocka_run_group_tests_name("group", tests, NULL, NULL);
}
