// SPDX-License-Identifier: MIT
/*
 * Adopting container, group and device fds that libvfiox did not open (a
 * management process opened them and passed them over a socket): the
 * kernel state they come in is read, and the fds are libvfiox's on success
 * and still the caller's, in the state they came, on every failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"

#define DEV7 "0000:00:03.0"

static int setup(void **state)
{
	(void)state;
	fk_reset();
	fk_log_capture();
	return 0;
}

static int raw_open(const char *path)
{
	return fake_sys.open(path, O_RDWR);
}

/* What a management process does before handing over a device fd. */
static int raw_attach_and_get_device(int cfd, int gfd)
{
	assert_int_equal(fake_sys.ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &cfd), 0);
	assert_int_equal(fake_sys.ioctl(cfd, VFIO_SET_IOMMU,
					(void *)(long)VFIO_TYPE1v2_IOMMU), 0);
	return fake_sys.ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, (void *)DEV7);
}

static void unattached_fds_are_adopted_and_attached(void **state)
{
	int cfd = raw_open("/fake/dev/vfio/vfio"), gfd = raw_open("/fake/dev/vfio/7");
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;
	static char buf[8192] __attribute__((aligned(4096)));
	uint64_t iova;

	(void)state;
	assert_int_equal(fk_container_adopt(cfd, &c), 0);
	assert_int_equal(vfiox_container_fd(c), cfd);
	assert_int_equal(vfiox_container_iommu_info(c, &info), -ENODEV);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), 0);
	assert_true(fk.groups[0].attached);
	assert_int_equal(fk.iommu_type, VFIO_TYPE1v2_IOMMU);
	assert_int_equal(vfiox_group_fd(g), gfd);
	assert_int_equal(vfiox_container_iommu_info(c, &info), 0);
	assert_int_equal(info.iommu_type, VFIO_TYPE1v2_IOMMU);
	assert_int_equal(vfiox_dma_map(c, buf, sizeof(buf), NULL, &iova), 0);
	assert_int_equal(fk.nr_maps, 1);
	/* The group fd gets the device as if libvfiox had opened it. */
	assert_int_equal(vfiox_device_open(g, DEV7, NULL, &d), 0);
	assert_true(fk_is_device_fd(vfiox_device_fd(d)));
	assert_true(fk_close_clean(c));
	assert_false(fk.groups[0].attached);
}

static void attached_fds_with_iommu_set_are_read_from_the_kernel(void **state)
{
	int cfd = raw_open("/fake/dev/vfio/vfio"), gfd = raw_open("/fake/dev/vfio/7");
	int dfd = raw_attach_and_get_device(cfd, gfd);
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	struct vfiox_region_info ri = { .sz = sizeof(ri) };
	struct vfiox_device_info di = { .sz = sizeof(di) };
	struct vfiox_irq_info ii = { .sz = sizeof(ii) };
	struct vfiox_iova_range r[2];
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;
	unsigned long sets;

	(void)state;
	assert_true(dfd >= 0);
	assert_int_equal(fk_container_adopt(cfd, &c), 0);
	/* The IOMMU was set by the sender: its info is there at once. */
	assert_int_equal(vfiox_container_iommu_info(c, &info), 0);
	assert_int_equal(info.iommu_type, VFIO_TYPE1v2_IOMMU);
	assert_int_equal(info.pgsizes, 0x40201000ULL);
	assert_int_equal(info.dma_avail, 65535);
	assert_int_equal(vfiox_container_iova_ranges(c, r, 2), 2);
	assert_int_equal(r[1].start, 0xfef00000ULL);
	sets = fk.calls;
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), 0);
	assert_true(fk.groups[0].attached);
	assert_true(fk.calls > sets);
	assert_int_equal(vfiox_device_adopt(g, dfd, DEV7, NULL, &d), 0);
	assert_int_equal(vfiox_device_fd(d), dfd);
	assert_string_equal(vfiox_device_name(d), DEV7);
	assert_int_equal(vfiox_device_info(d, &di), 0);
	assert_int_equal(di.num_regions, VFIO_PCI_NUM_REGIONS);
	assert_int_equal(vfiox_device_region_info(d, 0, &ri), 0);
	assert_int_equal(ri.size, 0x4000);
	assert_int_equal(vfiox_device_irq_info(d, VFIO_PCI_MSIX_IRQ_INDEX, &ii), 0);
	assert_int_equal(ii.count, 65);
	assert_int_equal(vfiox_device_reset(d), 0);
	assert_int_equal(fk.groups[0].devs[0].resets, 1);
	/* Closing the container closes all three adopted fds. */
	assert_true(fk_close_clean(c));
}

static void refused_container_fd_stays_the_callers(void **state)
{
	int cfd = raw_open("/fake/dev/vfio/vfio"), gfd = raw_open("/fake/dev/vfio/7");
	struct vfiox_container *c = NULL;

	(void)state;
	fk.api_version = VFIO_API_VERSION + 1;
	assert_int_equal(fk_container_adopt(cfd, &c), -EINVAL);
	assert_true(fk_log_has("container fd"));
	fk.api_version = VFIO_API_VERSION;
	/* Not a container: the kernel's ENOTTY, logged. */
	assert_int_equal(fk_container_adopt(gfd, &c), -ENOTTY);
	assert_int_equal(fk_container_adopt(-1, &c), -EINVAL);
	assert_null(c);
	fk_fail_nth("ioctl", 3, ENOMEM);	/* the IOMMU probe */
	assert_int_equal(fk_container_adopt(cfd, &c), -ENOMEM);
	assert_true(fk_log_has("VFIO_IOMMU_GET_INFO"));
	assert_int_equal(fk_open_fds(), 2);
	/* Still usable: adopted once the cause is gone. */
	assert_int_equal(fk_container_adopt(cfd, &c), 0);
	assert_int_equal(fake_sys.close(gfd), 0);
	assert_true(fk_close_clean(c));
}

static void refused_group_fd_stays_the_callers_and_unattached(void **state)
{
	int gfd = raw_open("/fake/dev/vfio/7");
	struct vfiox_container *c;
	struct vfiox_group *g = NULL, *g2;

	(void)state;
	assert_int_equal(fk_container_open(&c), 0);
	fk.groups[0].viable = false;
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), -EBUSY);
	assert_true(fk_log_has("group 7 is not viable"));
	fk.groups[0].viable = true;
	/* The IOMMU info read after the attach fails: the attach is undone. */
	fk_fail_nth("ioctl", 5, EFAULT);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), -EFAULT);
	assert_false(fk.groups[0].attached);
	assert_null(g);
	assert_int_equal(vfiox_group_adopt(c, gfd, -1, &g), -EINVAL);
	assert_int_equal(vfiox_group_adopt(c, -1, 7, &g), -EINVAL);
	assert_int_equal(vfiox_group_adopt(c, vfiox_container_fd(c), 7, &g), -ENOTTY);
	assert_int_equal(fk_open_fds(), 2);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g2), -EEXIST);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g2), -EEXIST);
	assert_true(fk_close_clean(c));
}

static void group_attached_elsewhere_is_named_when_the_iommu_refuses(void **state)
{
	int cfd = raw_open("/fake/dev/vfio/vfio"), gfd = raw_open("/fake/dev/vfio/7");
	int other = raw_open("/fake/dev/vfio/vfio");
	struct vfiox_container *c;
	struct vfiox_group *g = NULL;

	(void)state;
	assert_int_equal(fake_sys.ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &other), 0);
	assert_int_equal(fk_container_adopt(cfd, &c), 0);
	/* The fake has one IOMMU; the kernel refuses SET_IOMMU on a
	 * container without groups with EINVAL: play that. */
	fk_fail_nth("ioctl", 3, EINVAL);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), -EINVAL);
	assert_true(fk_log_has("attached to another container"));
	assert_true(fk.groups[0].attached);	/* left as it came */
	assert_null(g);
	assert_int_equal(fake_sys.close(gfd), 0);
	assert_int_equal(fake_sys.close(other), 0);
	assert_true(fk_close_clean(c));
}

static void refused_device_fd_stays_the_callers(void **state)
{
	int cfd = raw_open("/fake/dev/vfio/vfio"), gfd = raw_open("/fake/dev/vfio/7");
	int dfd = raw_attach_and_get_device(cfd, gfd);
	const struct vfiox_device_opts tok = {
		.sz = sizeof(tok),
		.vf_token = "00000000-0000-0000-0000-000000000000",
	};
	struct vfiox_container *c;
	struct vfiox_device *d = NULL, *d2;
	struct vfiox_group *g;

	(void)state;
	assert_int_equal(fk_container_adopt(cfd, &c), 0);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), 0);
	assert_int_equal(vfiox_device_adopt(g, dfd, DEV7, &tok, &d), -EINVAL);
	assert_true(fk_log_has("VF token"));
	assert_int_equal(vfiox_device_adopt(g, dfd, "bad name", NULL, &d), -EINVAL);
	assert_int_equal(vfiox_device_adopt(g, -1, DEV7, NULL, &d), -EINVAL);
	assert_int_equal(vfiox_device_adopt(g, gfd, DEV7, NULL, &d), -ENOTTY);
	fk.groups[0].devs[0].irqs[VFIO_PCI_MSI_IRQ_INDEX].info_errno = EIO;
	assert_int_equal(vfiox_device_adopt(g, dfd, DEV7, NULL, &d), -EIO);
	fk.groups[0].devs[0].irqs[VFIO_PCI_MSI_IRQ_INDEX].info_errno = 0;
	assert_null(d);
	assert_int_equal(fk_open_fds(), 3);
	assert_int_equal(vfiox_device_adopt(g, dfd, DEV7, NULL, &d), 0);
	assert_int_equal(vfiox_device_adopt(g, dfd, DEV7, NULL, &d2), -EEXIST);
	assert_int_equal(vfiox_device_open(g, DEV7, NULL, &d2), -EEXIST);
	vfiox_device_close(d);
	assert_false(fk_is_device_fd(dfd));	/* the fd went with it */
	assert_true(fk_close_clean(c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(unattached_fds_are_adopted_and_attached, setup),
		cmocka_unit_test_setup(attached_fds_with_iommu_set_are_read_from_the_kernel, setup),
		cmocka_unit_test_setup(refused_container_fd_stays_the_callers, setup),
		cmocka_unit_test_setup(refused_group_fd_stays_the_callers_and_unattached, setup),
		cmocka_unit_test_setup(group_attached_elsewhere_is_named_when_the_iommu_refuses, setup),
		cmocka_unit_test_setup(refused_device_fd_stays_the_callers, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
