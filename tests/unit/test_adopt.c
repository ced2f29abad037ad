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
#include <stdio.h>
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
	int gfd = raw_open("/fake/dev/vfio/7"), other;
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
	/* The container's own fd, or a container fd of another. */
	assert_int_equal(vfiox_group_adopt(c, vfiox_container_fd(c), 7, &g), -EEXIST);
	assert_true(fk_log_has("is already libvfiox's on this container"));
	other = raw_open("/fake/dev/vfio/vfio");
	assert_int_equal(vfiox_group_adopt(c, other, 7, &g), -EINVAL);
	assert_true(fk_log_has("is not the node of group 7: device 10:196, the group's is 240:7"));
	assert_int_equal(fake_sys.close(other), 0);
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
	assert_int_equal(vfiox_device_adopt(g, gfd, DEV7, NULL, &d), -EEXIST);
	fk.groups[0].devs[0].irqs[VFIO_PCI_MSI_IRQ_INDEX].info_errno = EIO;
	assert_int_equal(vfiox_device_adopt(g, dfd, DEV7, NULL, &d), -EIO);
	fk.groups[0].devs[0].irqs[VFIO_PCI_MSI_IRQ_INDEX].info_errno = 0;
	assert_null(d);
	assert_int_equal(fk_open_fds(), 3);
	assert_int_equal(vfiox_device_adopt(g, dfd, DEV7, NULL, &d), 0);
	assert_int_equal(vfiox_device_adopt(g, dfd, DEV7, NULL, &d2), -EEXIST);
	/* The same fd under another name: closed twice later, so refused. */
	assert_int_equal(vfiox_device_adopt(g, dfd, "0000:00:03.1", NULL, &d2), -EEXIST);
	assert_true(fk_log_has("adopt 0000:00:03.1: fd"));
	assert_int_equal(vfiox_device_open(g, DEV7, NULL, &d2), -EEXIST);
	vfiox_device_close(d);
	assert_false(fk_is_device_fd(dfd));	/* the fd went with it */
	assert_true(fk_close_clean(c));
}

/* Group 8 beside group 7, with a device of its own, as sysfs shows it. */
static void add_group8(void)
{
	struct fk_group *g8 = &fk.groups[fk.nr_groups++];

	*g8 = fk.groups[0];
	g8->nr = 8;
	g8->attached = false;
	snprintf(g8->devs[0].name, sizeof(g8->devs[0].name), "0000:00:04.0");
	fk_add_file("/fake/sys/class/vfio/8/dev", "240:8\n");
	fk_add_file("/fake/sys/kernel/iommu_groups/8/reserved_regions", "");
}

static int adopt_with_type(int fd, int type, struct vfiox_container **out)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts),
		.dev_root = "/fake/dev/vfio",
		.sysfs_root = "/fake/sys",
		.iommu_type = type,
	};

	return vfiox_container_adopt_sys(fd, &opts, &fake_sys, out);
}

/* S2: the group fd is the node of the group it is said to be. */
static void group_fd_with_wrong_number_is_refused(void **state)
{
	int gfd = raw_open("/fake/dev/vfio/7");
	struct vfiox_container *c;
	struct vfiox_group *g = NULL;

	(void)state;
	add_group8();
	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_group_adopt(c, gfd, 8, &g), -EINVAL);
	assert_true(fk_log_has("is not the node of group 8: device 240:7, the group's is 240:8"));
	assert_false(fk.groups[0].attached);
	/* A number sysfs does not know at all: said so, not a sysfs ENOENT. */
	assert_int_equal(vfiox_group_adopt(c, gfd, 9, &g), -EINVAL);
	assert_true(fk_log_has("group 9: there is no such VFIO group"));
	assert_null(g);
	assert_int_equal(fk_open_fds(), 2);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), 0);
	/* The same fd again, under another number: it is already ours. */
	assert_int_equal(vfiox_group_adopt(c, gfd, 8, &g), -EEXIST);
	assert_true(fk_close_clean(c));
}

/* Without /sys (a sandbox) the number is the caller's word, with a warning. */
static void group_fd_is_taken_unchecked_without_sysfs(void **state)
{
	int gfd = raw_open("/fake/dev/vfio/7");
	struct vfiox_container *c;
	struct vfiox_group *g = NULL;

	(void)state;
	snprintf(fk_file("/fake/sys/class/vfio/7/dev")->path, 8, "/gone");
	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), 0);
	assert_int_equal(fk_log_level("the group fd is taken to be group 7 unchecked"),
			 VFIOX_LOG_WARN);
	assert_true(fk_close_clean(c));
}

/* S1: on a kernel whose fdinfo names the device, another device is refused. */
static void device_fd_of_another_group_is_refused(void **state)
{
	int cfd = raw_open("/fake/dev/vfio/vfio"), gfd = raw_open("/fake/dev/vfio/7");
	int dfd = raw_attach_and_get_device(cfd, gfd);
	struct vfiox_container *c;
	struct vfiox_device *d = NULL;
	struct vfiox_group *g;

	(void)state;
	fk.fdinfo = true;
	fk_add_link("/fake/sys/devices/fake/" DEV7 "/iommu_group",
		    "../../../kernel/iommu_groups/7");
	assert_int_equal(fk_container_adopt(cfd, &c), 0);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), 0);
	/* The same name, but sysfs puts the device in group 8. */
	snprintf(fk_file("/fake/sys/devices/fake/" DEV7 "/iommu_group")->link, 64,
		 "../../../kernel/iommu_groups/8");
	assert_int_equal(vfiox_device_adopt(g, dfd, DEV7, NULL, &d), -EINVAL);
	assert_true(fk_log_has("is 0000:00:03.0 of group 8, not of group 7"));
	/* Another device's name. */
	snprintf(fk_file("/fake/sys/devices/fake/" DEV7 "/iommu_group")->link, 64,
		 "../../../kernel/iommu_groups/7");
	assert_int_equal(vfiox_device_adopt(g, dfd, "0000:00:03.1", NULL, &d), -EINVAL);
	assert_true(fk_log_has("is device 0000:00:03.0 (/sys/devices/fake/0000:00:03.0), "
			       "not 0000:00:03.1"));
	assert_null(d);
	assert_true(fk_is_device_fd(dfd));
	assert_int_equal(fk_open_fds(), 3);
	/* What it is: taken. */
	assert_int_equal(vfiox_device_adopt(g, dfd, DEV7, NULL, &d), 0);
	assert_true(fk_close_clean(c));
}

/* Older kernels print no device in fdinfo: the caller vouches, logged. */
static void device_fd_is_taken_on_the_callers_word_without_fdinfo(void **state)
{
	int cfd = raw_open("/fake/dev/vfio/vfio"), gfd = raw_open("/fake/dev/vfio/7");
	int dfd = raw_attach_and_get_device(cfd, gfd);
	struct vfiox_container *c;
	struct vfiox_device *d = NULL;
	struct vfiox_group *g;

	(void)state;
	assert_int_equal(fk_container_adopt(cfd, &c), 0);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), 0);
	assert_int_equal(vfiox_device_adopt(g, dfd, DEV7, NULL, &d), 0);
	assert_true(fk_log_has("the caller vouches for fd"));
	vfiox_device_close(d);
	/* fdinfo without the line (a kernel before it): the same. */
	fk.fdinfo = true;
	fk_log_capture();
	dfd = fake_sys.ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, (void *)DEV7);
	fk.groups[0].devs[0].syspath[0] = '\0';
	assert_int_equal(vfiox_device_adopt(g, dfd, DEV7, NULL, &d), 0);
	assert_true(fk_close_clean(c));
}

/*
 * Over 4 KiB of fdinfo (a hundred POSIX locks held on the fd print their
 * lines first): the device is not compared, and a warning says the caller
 * vouches, rather than the adopt failing.
 */
static void device_fd_with_an_fdinfo_over_4k_is_taken_on_the_callers_word(void **state)
{
	int cfd = raw_open("/fake/dev/vfio/vfio"), gfd = raw_open("/fake/dev/vfio/7");
	int dfd = raw_attach_and_get_device(cfd, gfd);
	struct vfiox_container *c;
	struct vfiox_device *d = NULL;
	struct vfiox_group *g;

	(void)state;
	fk.fdinfo = true;
	fk.fdinfo_locks = 100;
	assert_int_equal(fk_container_adopt(cfd, &c), 0);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), 0);
	assert_int_equal(vfiox_device_adopt(g, dfd, DEV7, NULL, &d), 0);
	assert_true(strlen(fk.fdinfo_file.content) > 4096);
	assert_int_equal(fk_log_level("the caller vouches for fd"), VFIOX_LOG_WARN);
	vfiox_device_close(d);
	assert_true(fk_close_clean(c));
}

/* A device behind a dozen bridges: a path of 300 bytes keeps its name. */
static void device_fd_with_a_long_syspath_is_adopted(void **state)
{
	int cfd = raw_open("/fake/dev/vfio/vfio"), gfd = raw_open("/fake/dev/vfio/7");
	int dfd = raw_attach_and_get_device(cfd, gfd);
	char *p = fk.groups[0].devs[0].syspath;
	struct vfiox_container *c;
	struct vfiox_device *d = NULL;
	struct vfiox_group *g;
	int i;

	(void)state;
	fk.fdinfo = true;
	strcpy(p, "/sys/devices/pci0000:00");
	for (i = 0; i < 24; i++)
		strcat(p, "/0000:01:00.0");
	strcat(p, "/" DEV7);
	assert_true(strlen(p) > 300);
	assert_int_equal(fk_container_adopt(cfd, &c), 0);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), 0);
	assert_int_equal(vfiox_device_adopt(g, dfd, DEV7, NULL, &d), 0);
	assert_non_null(d);
	vfiox_device_close(d);
	/* Another name at the end of it is still refused. */
	strcpy(strrchr(p, '/') + 1, "0000:00:03.1");
	dfd = fake_sys.ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, (void *)DEV7);
	assert_int_equal(vfiox_device_adopt(g, dfd, DEV7, NULL, &d), -EINVAL);
	assert_true(fk_log_has("is device 0000:00:03.1"));
	assert_int_equal(fake_sys.close(dfd), 0);
	assert_true(fk_close_clean(c));
}

/* S3: a container libvfiox opened holds no group it did not attach. */
static void attached_group_refused_on_an_opened_container(void **state)
{
	int gfd = raw_open("/fake/dev/vfio/7"), other = raw_open("/fake/dev/vfio/vfio");
	struct vfiox_container *c;
	struct vfiox_group *g = NULL, *g8;

	(void)state;
	add_group8();
	assert_int_equal(fake_sys.ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &other), 0);
	assert_int_equal(fake_sys.ioctl(other, VFIO_SET_IOMMU,
					(void *)(long)VFIO_TYPE1v2_IOMMU), 0);
	assert_int_equal(fk_container_open(&c), 0);
	/* @c gets an IOMMU of its own first: the old check could not fire. */
	assert_int_equal(vfiox_group_open(c, 8, &g8), 0);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), -EBUSY);
	assert_true(fk_log_has("group 7 is attached to another container: libvfiox opened this one"));
	assert_true(fk.groups[0].attached);
	assert_null(g);
	assert_int_equal(fake_sys.close(gfd), 0);
	assert_int_equal(fake_sys.close(other), 0);
	assert_true(fk_close_clean(c));
}

/* S4: the sender's other groups keep the IOMMU; libvfiox asks the kernel. */
static void iommu_kept_for_groups_the_vmm_did_not_adopt(void **state)
{
	int cfd = raw_open("/fake/dev/vfio/vfio"), gfd = raw_open("/fake/dev/vfio/7");
	int g8fd = raw_open("/fake/dev/vfio/8");
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	static char buf[4096] __attribute__((aligned(4096)));
	struct vfiox_container *c;
	struct vfiox_group *g;
	uint64_t iova;

	(void)state;
	add_group8();
	g8fd = raw_open("/fake/dev/vfio/8");
	assert_int_equal(fake_sys.ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &cfd), 0);
	assert_int_equal(fake_sys.ioctl(g8fd, VFIO_GROUP_SET_CONTAINER, &cfd), 0);
	assert_int_equal(fake_sys.ioctl(cfd, VFIO_SET_IOMMU,
					(void *)(long)VFIO_TYPE1v2_IOMMU), 0);
	assert_int_equal(fk_container_adopt(cfd, &c), 0);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), 0);
	vfiox_group_close(g);
	assert_int_equal(fk.iommu_type, VFIO_TYPE1v2_IOMMU);	/* group 8 holds it */
	assert_int_equal(vfiox_container_iommu_info(c, &info), 0);
	assert_int_equal(info.iommu_type, VFIO_TYPE1v2_IOMMU);
	assert_int_equal(vfiox_dma_map(c, buf, sizeof(buf), NULL, &iova), 0);
	assert_int_equal(fk.nr_maps, 1);
	/* The sender lets go of group 8: the kernel drops the IOMMU, and a
	 * fresh group attaches as to a new container. */
	assert_int_equal(vfiox_dma_unmap_iova(c, iova, sizeof(buf)), 0);
	assert_int_equal(fake_sys.close(g8fd), 0);
	assert_int_equal(fk.iommu_type, 0);
	gfd = raw_open("/fake/dev/vfio/7");
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), 0);
	assert_int_equal(fk.iommu_type, VFIO_TYPE1v2_IOMMU);
	assert_true(fk_close_clean(c));
}

/* S5: DIRTY_PAGES tells type1 from type1v2; the caller's word must agree. */
static void adopted_iommu_type_is_the_kernels(void **state)
{
	int cfd = raw_open("/fake/dev/vfio/vfio"), gfd = raw_open("/fake/dev/vfio/7");
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	struct vfiox_container *c = NULL;

	(void)state;
	assert_int_equal(fake_sys.ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &cfd), 0);
	assert_int_equal(fake_sys.ioctl(cfd, VFIO_SET_IOMMU, (void *)(long)VFIO_TYPE1_IOMMU), 0);
	assert_int_equal(adopt_with_type(cfd, VFIO_TYPE1v2_IOMMU, &c), -EINVAL);
	assert_true(fk_log_has("its IOMMU is type1, opts->iommu_type says type1v2"));
	assert_null(c);
	assert_int_equal(fk_container_adopt(cfd, &c), 0);
	assert_int_equal(vfiox_container_iommu_info(c, &info), 0);
	assert_int_equal(info.iommu_type, VFIO_TYPE1_IOMMU);
	assert_int_equal(fake_sys.close(gfd), 0);
	assert_true(fk_close_clean(c));
}

/* S6: iommufd's compat container says ENODEV until it has an IOAS. */
static void empty_iommufd_compat_container_is_adopted(void **state)
{
	int cfd = raw_open("/fake/dev/vfio/vfio"), gfd = raw_open("/fake/dev/vfio/7");
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	struct vfiox_container *c;
	struct vfiox_group *g;

	(void)state;
	fk.iommufd_compat = true;
	assert_int_equal(fk_container_adopt(cfd, &c), 0);
	assert_int_equal(vfiox_container_iommu_info(c, &info), -ENODEV);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), 0);
	assert_int_equal(vfiox_container_iommu_info(c, &info), 0);
	assert_int_equal(info.iommu_type, VFIO_TYPE1v2_IOMMU);
	assert_true(fk_close_clean(c));
	/* Adopted with its IOMMU set, the type cannot be told: type1v2. */
	cfd = raw_open("/fake/dev/vfio/vfio");
	gfd = raw_open("/fake/dev/vfio/7");
	assert_int_equal(fake_sys.ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &cfd), 0);
	assert_int_equal(fake_sys.ioctl(cfd, VFIO_SET_IOMMU, (void *)(long)VFIO_TYPE1_IOMMU), 0);
	assert_int_equal(fk_container_adopt(cfd, &c), 0);
	assert_true(fk_log_has("does not tell type1 from type1v2 (iommufd compat?)"));
	assert_int_equal(fake_sys.close(gfd), 0);
	assert_true(fk_close_clean(c));
}

/* S7: a VMM without /sys adopts on the kernel's IOVA ranges, warned. */
static void group_adopted_without_sysfs_uses_the_iova_ranges(void **state)
{
	int cfd = raw_open("/fake/dev/vfio/vfio"), gfd = raw_open("/fake/dev/vfio/7");
	struct vfiox_resv_region r[2];
	struct vfiox_container *c;
	struct vfiox_group *g;

	(void)state;
	snprintf(fk_file("/fake/sys/kernel/iommu_groups/7/reserved_regions")->path, 8, "/gone");
	snprintf(fk_file("/fake/sys/class/vfio/7/dev")->path, 8, "/gone2");
	assert_int_equal(fk_container_adopt(cfd, &c), 0);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), 0);
	assert_int_equal(fk_log_level("relying on the kernel's IOVA ranges"), VFIOX_LOG_WARN);
	assert_int_equal(vfiox_container_resv_regions(c, r, 2), 0);
	assert_true(fk_close_clean(c));
	/* Without IOVA ranges there is nothing to fall back on. */
	fk_info_begin(0x1000);
	cfd = raw_open("/fake/dev/vfio/vfio");
	gfd = raw_open("/fake/dev/vfio/7");
	assert_int_equal(fk_container_adopt(cfd, &c), 0);
	assert_int_equal(vfiox_group_adopt(c, gfd, 7, &g), -ENOENT);
	assert_true(fk_log_has("reading /fake/sys/kernel/iommu_groups/7/reserved_regions"));
	assert_false(fk.groups[0].attached);
	assert_int_equal(fake_sys.close(gfd), 0);
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
		cmocka_unit_test_setup(group_fd_with_wrong_number_is_refused, setup),
		cmocka_unit_test_setup(group_fd_is_taken_unchecked_without_sysfs, setup),
		cmocka_unit_test_setup(device_fd_of_another_group_is_refused, setup),
		cmocka_unit_test_setup(device_fd_is_taken_on_the_callers_word_without_fdinfo, setup),
		cmocka_unit_test_setup(device_fd_with_a_long_syspath_is_adopted, setup),
		cmocka_unit_test_setup(device_fd_with_an_fdinfo_over_4k_is_taken_on_the_callers_word,
				       setup),
		cmocka_unit_test_setup(attached_group_refused_on_an_opened_container, setup),
		cmocka_unit_test_setup(iommu_kept_for_groups_the_vmm_did_not_adopt, setup),
		cmocka_unit_test_setup(adopted_iommu_type_is_the_kernels, setup),
		cmocka_unit_test_setup(empty_iommufd_compat_container_is_adopted, setup),
		cmocka_unit_test_setup(group_adopted_without_sysfs_uses_the_iova_ranges, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
