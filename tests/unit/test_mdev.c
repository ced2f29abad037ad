// SPDX-License-Identifier: MIT
/* Mediated devices: the group by UUID from sysfs, the device by its UUID. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"

#define UUID "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"

static struct vfiox_container *c;

/* Group 7 holds one mdev instead of the PCI function, like mtty's. */
static int setup(void **state)
{
	struct fk_device *d;

	(void)state;
	fk_reset();
	fk_log_capture();
	d = &fk.groups[0].devs[0];
	snprintf(d->name, sizeof(d->name), UUID);
	d->irqs[VFIO_PCI_REQ_IRQ_INDEX].info_errno = EINVAL;	/* mtty has none */
	fk_add_link("/fake/sys/bus/mdev/devices/" UUID "/iommu_group",
		    "../../../../kernel/iommu_groups/7");
	return fk_container_open(&c);
}

static int teardown(void **state)
{
	(void)state;
	assert_true(fk_close_clean(c));
	return 0;
}

static void mdev_group_and_device_open_by_uuid(void **state)
{
	struct vfiox_region_info ri = { .sz = sizeof(ri) };
	struct vfiox_device *d;
	struct vfiox_group *g;
	uint8_t b = 0x5a;

	(void)state;
	assert_int_equal(vfiox_group_open_mdev(c, UUID, &g), 0);
	assert_int_equal(vfiox_group_number(g), 7);
	assert_true(fk.groups[0].attached);
	assert_int_equal(vfiox_device_open(g, UUID, NULL, &d), 0);
	assert_string_equal(vfiox_device_name(d), UUID);
	assert_int_equal(vfiox_device_region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &ri), 0);
	assert_int_equal(vfiox_region_write(d, VFIO_PCI_CONFIG_REGION_INDEX, 0x40, &b, 1), 0);
	assert_int_equal(fk.groups[0].devs[0].regions[VFIO_PCI_CONFIG_REGION_INDEX].data[0x40], 0x5a);
	assert_int_equal(vfiox_device_reset(d), 0);
	/* Its group is open: the same mdev again is refused. */
	assert_int_equal(vfiox_group_open_mdev(c, UUID, &g), -EEXIST);
}

static void unknown_or_malformed_uuid_is_refused(void **state)
{
	struct vfiox_group *g = NULL;

	(void)state;
	assert_int_equal(vfiox_group_open_mdev(c, "83b8f4f2-509f-382f-3c1e-e6bfe0fa1002", &g),
			 -ENODEV);
	assert_true(fk_log_has("is the mdev created, and bound to its vfio driver?"));
	assert_int_equal(vfiox_group_open_mdev(c, "not-a-uuid", &g), -EINVAL);
	assert_true(fk_log_has("mdev 'not-a-uuid': not a UUID"));
	assert_int_equal(vfiox_group_open_mdev(c, NULL, &g), -EINVAL);
	assert_null(g);
	assert_int_equal(fk_open_fds(), 1);
}

static void mdev_group_link_to_garbage_is_eproto(void **state)
{
	struct vfiox_group *g = NULL;

	(void)state;
	fk_add_link("/fake/sys/bus/mdev/devices/83b8f4f2-509f-382f-3c1e-e6bfe0fa1003/iommu_group",
		    "../../../../kernel/iommu_groups/x7");
	assert_int_equal(vfiox_group_open_mdev(c, "83b8f4f2-509f-382f-3c1e-e6bfe0fa1003", &g),
			 -EPROTO);
	assert_true(fk_log_has("IOMMU group link ends in 'x7'"));
}

/* The kernel names an mdev in lower case; an upper-case UUID finds it. */
static void upper_case_uuid_finds_the_lower_case_mdev(void **state)
{
	struct vfiox_group *g = NULL;

	(void)state;
	assert_int_equal(vfiox_group_open_mdev(c, "83B8F4F2-509F-382F-3C1E-E6BFE0FA1001", &g), 0);
	assert_int_equal(vfiox_group_number(g), 7);
	assert_int_equal(vfiox_group_open_mdev(NULL, UUID, &g), -EINVAL);
	assert_true(fk_log_has("open_mdev: NULL container, UUID or out pointer"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(mdev_group_and_device_open_by_uuid, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_or_malformed_uuid_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(mdev_group_link_to_garbage_is_eproto, setup, teardown),
		cmocka_unit_test_setup_teardown(upper_case_uuid_finds_the_lower_case_mdev, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
