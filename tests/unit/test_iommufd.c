// SPDX-License-Identifier: MIT
/*
 * The iommufd backend against the fake kernel: the choice (opts, the
 * VFIOX_BACKEND override, auto both ways), the IOAS as the container, the
 * device cdev bound and attached, the DMA engine's map and unmaps through
 * IOMMU_IOAS_*, and the legacy-only calls refused by name.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"
#include "../../lib/uapi_iommufd.h"

#define MB (1ULL << 20)
#define BDF "0000:00:03.0"

static uint8_t *mem;		/* 16 MiB, 2 MiB aligned */

static int group_setup(void **state)
{
	(void)state;
	mem = fk_aligned_memory(16 * MB);
	return mem ? 0 : -1;
}

/* A fresh default machine with iommufd, the log captured. */
static int setup(void **state)
{
	(void)state;
	fk_iommufd_machine();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("VFIOX_BACKEND");
	return 0;
}

/* Container, group 7 and its device, on iommufd. */
static void open_all(struct vfiox_container **c, struct vfiox_group **g,
		     struct vfiox_device **d)
{
	assert_int_equal(fk_iommufd_container_open(c), 0);
	assert_int_equal(vfiox_group_open(*c, 7, g), 0);
	assert_int_equal(vfiox_device_open(*g, BDF, NULL, d), 0);
}

static void forced_iommufd_makes_the_container_an_ioas(void **state)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	struct vfiox_container *c;

	(void)state;
	assert_int_equal(fk_iommufd_container_open(&c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_IOMMUFD);
	assert_int_equal(fk_get_fd(vfiox_container_fd(c))->kind, FK_FD_IOMMUFD);
	assert_int_not_equal(fk_get_fd(vfiox_container_fd(c))->ioas, 0);
	/* Like type1: no IOMMU info before the first group. */
	assert_int_equal(vfiox_container_iommu_info(c, &info), -ENODEV);
	assert_true(fk_close_clean(c));
}

/*
 * Auto on a kernel with both: the legacy container is opened and checked,
 * but the choice waits for the first group, whose device offers a usable
 * cdev here: iommufd, and the legacy container is closed unused.
 */
static void auto_picks_iommufd_at_the_first_group_whose_devices_offer_it(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	int legacy_fd;

	(void)state;
	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_AUTO);
	assert_int_equal(vfiox_container_fd(c), -ENODEV);
	assert_true(fk_log_has("first group open"));
	legacy_fd = c->fd;
	assert_int_equal(fk_get_fd(legacy_fd)->kind, FK_FD_CONTAINER);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_IOMMUFD);
	assert_int_equal(fk_get_fd(vfiox_container_fd(c))->kind, FK_FD_IOMMUFD);
	assert_int_equal(fk_open_fds(), 1);	/* the legacy container went */
	assert_int_equal(fk_log_level("auto: iommufd for group 7"), VFIOX_LOG_INFO);
	assert_true(fk_close_clean(c));
}

/* This process may not open the group's cdev: auto keeps legacy. */
static void auto_with_an_unopenable_cdev_keeps_legacy(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;

	(void)state;
	assert_int_equal(fk_container_open(&c), 0);
	fk_fail_nth("open", 2, EACCES);	/* the group's name, then the cdev */
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_LEGACY);
	assert_int_equal(fk_get_fd(vfiox_container_fd(c))->kind, FK_FD_CONTAINER);
	assert_true(fk.groups[0].attached);
	assert_int_equal(fk_log_level("auto: legacy for group 7"), VFIOX_LOG_INFO);
	assert_true(fk_close_clean(c));
}

/* Auto, at group 7's open, keeps legacy and logs @why. */
static void group_7_keeps_legacy(const char *why)
{
	struct vfiox_container *c;
	struct vfiox_group *g;

	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_LEGACY);
	assert_true(fk_log_has(why));
	assert_true(fk_close_clean(c));
}

/* A noiommu group's cdevs have no IOMMU behind them: not iommufd's. */
static void auto_skips_noiommu_groups(void **state)
{
	(void)state;
	fk_add_file("/fake/sys/kernel/iommu_groups/7/name", "vfio-noiommu\n");
	group_7_keeps_legacy("group 7 is a noiommu group");
}

/* A cdev named as noiommu is not iommufd's either. */
static void auto_skips_noiommu_cdevs(void **state)
{
	(void)state;
	fk_add_file("/fake/sys/kernel/iommu_groups/7/devices/0000:00:03.0/vfio-dev/noiommu-vfio0/dev",
		    "511:0\n");
	fk_file("/fake/sys/kernel/iommu_groups/7/devices/0000:00:03.0/vfio-dev/vfio0/dev")->path[1] = 'X';
	group_7_keeps_legacy("no IOMMU behind it");
}

/* A group that does not exist fails to open, and auto still waits. */
static void auto_waits_past_a_group_that_does_not_exist(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;

	(void)state;
	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 9, &g), -ENOENT);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_AUTO);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_IOMMUFD);
	assert_true(fk_close_clean(c));
}

/* A legacy-only call before the choice settles legacy: it was asked for. */
static void a_legacy_call_before_the_choice_keeps_legacy(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;

	(void)state;
	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_container_check_extension(c, VFIO_TYPE1v2_IOMMU), 1);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_LEGACY);
	assert_true(fk_log_has("auto keeps the legacy backend"));
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_LEGACY);
	assert_true(fk_close_clean(c));
}

/* What auto chose, a refusal names, with both ways back to legacy. */
static void refusal_on_an_auto_chosen_iommufd_names_opts_backend(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;

	(void)state;
	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_group_fd(g), -EOPNOTSUPP);
	assert_true(fk_log_has("vfiox_group_fd()"));
	assert_true(fk_log_has("auto picked iommufd"));
	assert_true(fk_log_has("opts.backend = VFIOX_BACKEND_LEGACY"));
	assert_true(fk_log_has("VFIOX_BACKEND=legacy"));
	assert_true(fk_close_clean(c));
}

static void auto_picks_iommufd_where_the_kernel_has_no_container(void **state)
{
	struct vfiox_container *c;

	(void)state;
	fk.no_container = true;
	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_IOMMUFD);
	assert_int_equal(fk_log_level("open /fake/dev/vfio/vfio"), VFIOX_LOG_DEBUG);
	assert_true(fk_close_clean(c));
}

static void auto_without_container_or_iommufd_is_enoent(void **state)
{
	struct vfiox_container *c = NULL;

	(void)state;
	fk.no_container = true;
	fk.iommufd = false;
	assert_int_equal(fk_container_open(&c), -ENOENT);
	assert_null(c);
	assert_true(fk_log_has("no iommufd to use instead"));
	assert_int_equal(fk_open_fds(), 0);
}

static void auto_picks_legacy_without_device_cdevs(void **state)
{
	struct vfiox_container *c;

	(void)state;
	fk_reset();		/* a stock 6.1 kernel: no /dev/vfio/devices */
	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_LEGACY);
	assert_int_equal(fk_get_fd(vfiox_container_fd(c))->kind, FK_FD_CONTAINER);
	assert_true(fk_close_clean(c));
}

/*
 * Without a legacy container, a user given no access to /dev/iommu has no
 * backend: auto says so and fails, and leaves nothing open.
 */
static void auto_without_container_and_dev_iommu_not_ours_fails(void **state)
{
	struct vfiox_container *c = NULL;

	(void)state;
	fk.no_container = true;
	fk_fail_nth("open", 2, EACCES);	/* the container node, then /dev/iommu */
	assert_int_equal(fk_container_open(&c), -ENOENT);
	assert_null(c);
	assert_int_equal(fk_log_level("auto picks legacy"), VFIOX_LOG_INFO);
	assert_true(fk_log_has("no iommufd to use instead"));
	assert_int_equal(fk_open_fds(), 0);
}

static void forced_iommufd_without_dev_iommu_is_enodev(void **state)
{
	struct vfiox_container *c = NULL;

	(void)state;
	fk_reset();
	assert_int_equal(fk_iommufd_container_open(&c), -ENODEV);
	assert_null(c);
	assert_true(fk_log_has("no iommufd"));
	assert_true(fk_log_has("legacy backend"));
	assert_int_equal(fk_open_fds(), 0);
}

static void environment_overrides_the_caller(void **state)
{
	struct vfiox_container *c;

	(void)state;
	setenv("VFIOX_BACKEND", "legacy", 1);
	assert_int_equal(fk_iommufd_container_open(&c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_LEGACY);
	assert_true(fk_close_clean(c));
	setenv("VFIOX_BACKEND", "iommufd", 1);
	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_IOMMUFD);
	assert_true(fk_close_clean(c));
	setenv("VFIOX_BACKEND", "auto", 1);
	fk_reset();
	assert_int_equal(fk_iommufd_container_open(&c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_LEGACY);
	assert_true(fk_close_clean(c));
}

static void bad_backend_values_are_einval(void **state)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts), .dev_root = "/fake/dev/vfio", .sysfs_root = "/fake/sys",
		.backend = 7,
	};
	struct vfiox_container *c = NULL;

	(void)state;
	assert_int_equal(vfiox_container_open_sys(&opts, &fake_sys, &c), -EINVAL);
	assert_true(fk_log_has("opts->backend 7"));
	opts.backend = VFIOX_BACKEND_IOMMUFD;
	opts.iommu_type = VFIO_TYPE1v2_IOMMU;
	assert_int_equal(vfiox_container_open_sys(&opts, &fake_sys, &c), -EINVAL);
	assert_true(fk_log_has("iommufd takes none"));
	setenv("VFIOX_BACKEND", "type1", 1);
	assert_int_equal(fk_container_open(&c), -EINVAL);
	assert_true(fk_log_has("VFIOX_BACKEND='type1'"));
	assert_null(c);
	assert_int_equal(fk_open_fds(), 0);
}

/* A caller built against 0.1 headers (opts ending before backend): legacy,
 * even on a kernel where auto would take iommufd. */
static void old_opts_size_keeps_legacy(void **state)
{
	struct vfiox_container_opts opts = {
		.sz = offsetof(struct vfiox_container_opts, backend),
		.dev_root = "/fake/dev/vfio", .sysfs_root = "/fake/sys",
		.backend = VFIOX_BACKEND_IOMMUFD,	/* past sz: not read */
	};
	struct vfiox_container *c;

	(void)state;
	assert_int_equal(vfiox_container_open_sys(&opts, &fake_sys, &c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_LEGACY);
	assert_true(fk_close_clean(c));
}

/* A binary linked against 0.1 (vfiox_container_open@LIBVFIOX_0.1): its
 * auto is legacy whatever its opts say; VFIOX_BACKEND still overrides. */
static void a_0_1_binary_keeps_legacy(void **state)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts), .dev_root = "/fake/dev/vfio", .sysfs_root = "/fake/sys",
	};
	struct vfiox_container *c;
	struct vfiox_group *g;

	(void)state;
	assert_int_equal(vfiox_container_open_sys_0_1(&opts, &fake_sys, &c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_LEGACY);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_LEGACY);
	assert_true(fk_close_clean(c));
	setenv("VFIOX_BACKEND", "iommufd", 1);
	assert_int_equal(vfiox_container_open_sys_0_1(&opts, &fake_sys, &c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_IOMMUFD);
	assert_true(fk_close_clean(c));
}

static void auto_with_an_iommu_type_picks_legacy(void **state)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts), .dev_root = "/fake/dev/vfio", .sysfs_root = "/fake/sys",
		.iommu_type = VFIO_TYPE1_IOMMU,
	};
	struct vfiox_container *c;

	(void)state;
	fk.extensions |= 1u << VFIO_TYPE1_IOMMU;
	assert_int_equal(vfiox_container_open_sys(&opts, &fake_sys, &c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_LEGACY);
	assert_true(fk_log_has("asks for type1, so legacy"));
	assert_true(fk_close_clean(c));
}

/* The administrator's VFIOX_BACKEND=iommufd wins over the caller's
 * iommu_type, which is dropped with a warning. */
static void environment_iommufd_drops_the_iommu_type(void **state)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts), .dev_root = "/fake/dev/vfio", .sysfs_root = "/fake/sys",
		.iommu_type = VFIO_TYPE1v2_IOMMU,
	};
	struct vfiox_container *c;

	(void)state;
	setenv("VFIOX_BACKEND", "iommufd", 1);
	assert_int_equal(vfiox_container_open_sys(&opts, &fake_sys, &c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_IOMMUFD);
	assert_int_equal(fk_log_level("opts->iommu_type 3 ignored"), VFIOX_LOG_WARN);
	assert_true(fk_close_clean(c));
}

static void bad_opts_backend_is_einval_even_under_the_environment(void **state)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts), .dev_root = "/fake/dev/vfio", .sysfs_root = "/fake/sys",
		.backend = 7,
	};
	struct vfiox_container *c = NULL;

	(void)state;
	setenv("VFIOX_BACKEND", "legacy", 1);
	assert_int_equal(vfiox_container_open_sys(&opts, &fake_sys, &c), -EINVAL);
	assert_true(fk_log_has("opts->backend 7"));
	assert_null(c);
	assert_int_equal(fk_open_fds(), 0);
}

static void empty_VFIOX_BACKEND_is_unset(void **state)
{
	struct vfiox_container *c;

	(void)state;
	setenv("VFIOX_BACKEND", "", 1);
	assert_int_equal(fk_iommufd_container_open(&c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_IOMMUFD);
	assert_true(fk_close_clean(c));
}

/* A garbage sz is the opts' fault, found before any field is read. */
static void garbage_sz_is_e2big_before_backend_is_read(void **state)
{
	struct {
		struct vfiox_container_opts opts;
		char tail[64];
	} big = { .opts = { .sz = sizeof(big), .backend = 7 }, .tail = { 1 } };
	struct vfiox_container *c = NULL;

	(void)state;
	assert_int_equal(vfiox_container_open_sys(&big.opts, &fake_sys, &c), -E2BIG);
	assert_false(fk_log_has("opts->backend"));
	assert_null(c);
}

static void adopt_refuses_an_unknown_backend(void **state)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts), .dev_root = "/fake/dev/vfio", .sysfs_root = "/fake/sys",
		.backend = 7,
	};
	struct vfiox_container *c = NULL;
	int fd = fake_sys.open("/fake/dev/vfio/vfio", O_RDWR);

	(void)state;
	assert_int_equal(vfiox_container_adopt_sys(fd, &opts, &fake_sys, &c), -EINVAL);
	assert_true(fk_log_has("opts->backend 7"));
	assert_null(c);
	fake_sys.close(fd);
}

/* VFIOX_BACKEND steers opens, never adopt: the fd says what it is. */
static void environment_does_not_steer_adopt(void **state)
{
	struct vfiox_container *c = NULL;
	int fd = fake_sys.open("/fake/dev/vfio/vfio", O_RDWR);

	(void)state;
	setenv("VFIOX_BACKEND", "iommufd", 1);
	assert_int_equal(fk_container_adopt(fd, &c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_LEGACY);
	assert_int_equal(vfiox_container_fd(c), fd);
	assert_true(fk_close_clean(c));
}

/* The IOAS before its first device is all of the address space, which no
 * IOMMU has: no info, and no IOVA handed out, until a device attaches. */
static void iommu_info_and_maps_wait_for_the_first_device(void **state)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t iova;

	(void)state;
	assert_int_equal(fk_iommufd_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_container_iommu_info(c, &info), -ENODEV);
	assert_int_equal(vfiox_container_iova_ranges(c, NULL, 0), -ENODEV);
	assert_int_equal(vfiox_dma_map(c, mem, MB, NULL, &iova), -ENODEV);
	assert_int_equal(fk.ioas_maps, 0);
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), 0);
	assert_int_equal(vfiox_container_iova_ranges(c, NULL, 0), 2);
	assert_int_equal(vfiox_dma_map(c, mem, MB, NULL, &iova), 0);
	assert_true(iova + MB - 1 <= 0x7fffffffffULL);
	assert_true(fk_close_clean(c));
}

/*
 * A device whose IOMMU cannot hold a mapping made before it (here: the
 * IOAS's earlier device had a wider aperture) is refused by the kernel
 * (EADDRINUSE); the error says why, and nothing stays attached.
 */
static void mapping_outside_a_new_devices_aperture_fails_its_open_with_a_reason(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;

	(void)state;
	assert_int_equal(fk_iommufd_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, mem, MB, 0x7f00000000ULL, NULL),
			 0);
	vfiox_device_close(d);
	fk.ioas_ranges[1].last = 0x3fffffffffULL;	/* the next IOMMU: 38 bits */
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), -EADDRINUSE);
	assert_true(fk_log_has("outside its IOMMU's aperture"));
	assert_int_equal(fk.ioas_attached, 0);
	assert_true(fk_close_clean(c));
}

static void iommu_info_is_the_ioas_ranges_without_dma_avail(void **state)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	struct vfiox_iova_range r[4];
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;

	(void)state;
	fk.iova_alignment = 0x2000;
	assert_int_equal(fk_iommufd_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), 0);
	assert_int_equal(vfiox_container_iommu_info(c, &info), 0);
	assert_int_equal(info.iommu_type, VFIOX_IOMMU_IOMMUFD);
	assert_false(info.has_dma_avail);
	assert_false(info.has_migration);
	assert_int_equal(info.pgsizes, 0x2000);
	/* The attached device's ranges ... */
	assert_int_equal(vfiox_container_iova_ranges(c, r, 4), 2);
	assert_true(r[0].start == 0 && r[0].end == 0xfedfffffULL);
	assert_true(r[1].start == 0xfef00000ULL && r[1].end == 0x7fffffffffULL);
	/* ... stay after the last device leaves: the device-less IOAS (all
	 * of the space) is no IOMMU's. */
	vfiox_device_close(d);
	assert_int_equal(vfiox_container_iova_ranges(c, r, 4), 2);
	assert_int_equal(vfiox_container_refresh(c), 0);
	assert_int_equal(vfiox_container_iova_ranges(c, r, 4), 2);
	assert_true(fk_close_clean(c));
}

/*
 * Each attached device may narrow the IOAS: a second one with a smaller
 * aperture narrows the ranges (and the allocator's space), and its close
 * widens them again to the first one's.
 */
static void second_device_narrows_and_its_close_widens(void **state)
{
	struct vfiox_iova_range r[4];
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d, *d2;
	uint64_t iova;

	(void)state;
	fk_add_iommufd_device(0x3fffffffffULL);
	open_all(&c, &g, &d);
	assert_int_equal(vfiox_container_iova_ranges(c, r, 4), 2);
	assert_true(r[1].end == 0x7fffffffffULL);
	assert_int_equal(vfiox_device_open(g, "0000:00:04.0", NULL, &d2), 0);
	assert_int_equal(vfiox_container_iova_ranges(c, r, 4), 2);
	assert_true(r[1].end == 0x3fffffffffULL);
	assert_int_equal(vfiox_dma_map_fixed(c, mem, MB, 0x7f00000000ULL, NULL), -EINVAL);
	vfiox_device_close(d2);
	assert_int_equal(vfiox_container_iova_ranges(c, r, 4), 2);
	assert_true(r[1].end == 0x7fffffffffULL);
	assert_int_equal(vfiox_dma_map_fixed(c, mem, MB, 0x7f00000000ULL, NULL), 0);
	assert_int_equal(vfiox_dma_translate(c, mem, &iova), 0);
	assert_true(fk_close_clean(c));
}

/* No range at all is an IOAS nothing can be mapped in, not type1's
 * "no capability: all of the space". */
static void zero_ioas_ranges_are_no_space(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d = NULL;

	(void)state;
	fk.nr_ioas_ranges = 0;
	assert_int_equal(fk_iommufd_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), -ENOSPC);
	assert_null(d);
	assert_true(fk_log_has("no usable IOVA range"));
	assert_int_equal(fk.ioas_attached, 0);
	assert_true(fk_close_clean(c));
}

static void device_opens_through_its_cdev_bound_and_attached(void **state)
{
	struct vfiox_device_info di = { .sz = sizeof(di) };
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;

	(void)state;
	open_all(&c, &g, &d);
	assert_true(fk_cdev_attached(vfiox_device_fd(d)));
	assert_int_equal(fk.binds, 1);
	assert_int_equal(fk.ioas_attached, 1);
	assert_int_equal(vfiox_device_info(d, &di), 0);
	assert_int_equal(di.num_regions, VFIO_PCI_NUM_REGIONS);
	assert_int_equal(vfiox_device_reset(d), 0);
	assert_int_equal(fk.groups[0].devs[0].resets, 1);
	/* No group file was opened, and none is handed out. */
	assert_false(fk.groups[0].attached);
	assert_int_equal(vfiox_group_fd(g), -EOPNOTSUPP);
	assert_true(fk_log_has("vfiox_group_fd()"));
	assert_true(fk_close_clean(c));
	assert_int_equal(fk.ioas_attached, 0);
}

static void unknown_group_is_refused(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g = NULL;

	(void)state;
	assert_int_equal(fk_iommufd_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 8, &g), -ENOENT);
	assert_null(g);
	assert_true(fk_log_has("group 8"));
	assert_true(fk_close_clean(c));
}

/*
 * A device of another group, named through group 7's record, is refused
 * before its cdev is opened: its own group's reserved regions were never
 * read (legacy's GET_DEVICE_FD refuses it the same way).
 */
static void device_of_another_group_is_refused(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d = NULL;

	(void)state;
	fk_add_link("/fake/sys/bus/pci/devices/0000:00:04.0/iommu_group",
		    "../../../kernel/iommu_groups/8");
	fk_add_file("/fake/sys/bus/pci/devices/0000:00:04.0/vfio-dev/vfio1/dev", "511:1\n");
	assert_int_equal(fk_iommufd_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_device_open(g, "0000:00:04.0", NULL, &d), -ENODEV);
	assert_null(d);
	assert_true(fk_log_has("in IOMMU group 8, not in group 7"));
	assert_int_equal(fk.ioas_attached, 0);
	assert_true(fk_close_clean(c));
}

static void device_without_cdev_is_enodev(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d = NULL;

	(void)state;
	fk_file("/fake/sys/bus/pci/devices/" BDF "/vfio-dev/vfio0/dev")->path[1] = 'X';
	assert_int_equal(fk_iommufd_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), -ENODEV);
	assert_null(d);
	assert_true(fk_log_has("no VFIO device cdev"));
	assert_true(fk_close_clean(c));
}

#define TOKEN "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"

/* A VF whose PF set a token: the bind carries its 16 bytes. */
static void vf_token_reaches_the_bind(void **state)
{
	static const uint8_t want[16] = { 0x83, 0xb8, 0xf4, 0xf2, 0x50, 0x9f, 0x38, 0x2f,
					  0x3c, 0x1e, 0xe6, 0xbf, 0xe0, 0xfa, 0x10, 0x01 };
	struct vfiox_device_opts opts = { .sz = sizeof(opts), .vf_token = TOKEN };
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;

	(void)state;
	snprintf(fk.groups[0].devs[0].token, sizeof(fk.groups[0].devs[0].token), TOKEN);
	assert_int_equal(fk_iommufd_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_device_open(g, BDF, &opts, &d), 0);
	assert_memory_equal(fk.bind_token, want, 16);
	assert_true(fk_cdev_attached(vfiox_device_fd(d)));
	assert_true(fk_close_clean(c));
}

/* Missing, wrong, not taken, and a kernel before 6.17: each said so. */
static void vf_token_refusals_say_why(void **state)
{
	struct vfiox_device_opts wrong = {
		.sz = sizeof(wrong), .vf_token = "00000000-509f-382f-3c1e-e6bfe0fa1001",
	};
	struct vfiox_device_opts right = { .sz = sizeof(right), .vf_token = TOKEN };
	struct vfiox_device_opts bad = { .sz = sizeof(bad), .vf_token = "not-a-uuid" };
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d = NULL;
	int fds;

	(void)state;
	snprintf(fk.groups[0].devs[0].token, sizeof(fk.groups[0].devs[0].token), TOKEN);
	assert_int_equal(fk_iommufd_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	fds = fk_open_fds();
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), -EACCES);
	assert_true(fk_log_has("needs a VF token"));
	assert_int_equal(vfiox_device_open(g, BDF, &wrong, &d), -EACCES);
	assert_true(fk_log_has("not the one set on the PF"));
	assert_int_equal(vfiox_device_open(g, BDF, &bad, &d), -EINVAL);
	assert_true(fk_log_has("not a UUID"));
	fk.no_bind_token = true;	/* a kernel before 6.17 */
	fk_log_capture();
	assert_int_equal(vfiox_device_open(g, BDF, &right, &d), -EINVAL);
	assert_true(fk_log_has("before 6.17"));
	assert_true(fk_log_has("legacy backend"));
	/* A device that takes none. */
	fk.no_bind_token = false;
	fk.groups[0].devs[0].token[0] = '\0';
	assert_int_equal(vfiox_device_open(g, BDF, &right, &d), -EINVAL);
	assert_null(d);
	assert_int_equal(fk_open_fds(), fds);
	assert_int_equal(fk.ioas_attached, 0);
	/* Without a token it opens as ever. */
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), 0);
	assert_true(fk_close_clean(c));
}

static void dma_maps_and_unmaps_through_the_ioas(void **state)
{
	struct vfiox_dma_opts ro = { .sz = sizeof(ro), .read_only = true };
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t a, b, iova;

	(void)state;
	open_all(&c, &g, &d);
	assert_int_equal(vfiox_dma_map(c, mem, 2 * MB, NULL, &a), 0);
	assert_int_equal(fk.ioas_maps, 1);
	assert_int_equal(fk.map_calls, 0);	/* no type1 call */
	assert_int_equal(fk.nr_maps, 1);
	assert_int_equal(fk.maps[0].iova, a);
	assert_int_equal(fk.maps[0].vaddr, (uintptr_t)mem);
	assert_int_equal(fk.maps[0].flags, VFIOX_IOMMU_IOAS_MAP_FIXED_IOVA |
			 VFIOX_IOMMU_IOAS_MAP_READABLE | VFIOX_IOMMU_IOAS_MAP_WRITEABLE);
	assert_int_equal(vfiox_dma_map(c, mem + 2 * MB, 4096, &ro, &b), 0);
	assert_int_equal(fk.maps[1].flags, VFIOX_IOMMU_IOAS_MAP_FIXED_IOVA |
			 VFIOX_IOMMU_IOAS_MAP_READABLE);
	assert_int_equal(vfiox_dma_translate(c, mem + 4097, &iova), 0);
	assert_int_equal(iova, a + 4097);
	/* The reserved MSI window stays out of the allocator, as on legacy. */
	assert_int_equal(vfiox_dma_map_fixed(c, mem + 4 * MB, 2 * MB, 0xfee00000ULL, NULL),
			 -EINVAL);
	assert_int_equal(vfiox_dma_unmap_iova(c, a, 2 * MB), 0);
	assert_int_equal(fk.ioas_unmaps, 1);
	assert_int_equal(fk.nr_maps, 1);
	assert_int_equal(vfiox_dma_translate(c, mem, &iova), -ENOENT);
	assert_true(fk_close_clean(c));
	assert_int_equal(fk.nr_maps, 0);	/* the IOAS went with the fd */
}

static void unmap_range_and_all_are_one_ioctl_each(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	int i;

	(void)state;
	open_all(&c, &g, &d);
	for (i = 0; i < 3; i++)
		assert_int_equal(vfiox_dma_map_fixed(c, mem + i * MB, MB, (i + 1) * MB, NULL), 0);
	assert_int_equal(vfiox_dma_unmap_range(c, MB, 3 * MB), 3);
	assert_int_equal(fk.ioas_unmaps, 1);
	assert_int_equal(fk.nr_maps, 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(vfiox_dma_map_fixed(c, mem + i * MB, MB, (i + 1) * MB, NULL), 0);
	assert_int_equal(vfiox_dma_unmap_all(c), 3);
	assert_int_equal(fk.ioas_unmaps, 2);
	assert_int_equal(fk.nr_maps, 0);
	assert_true(fk_close_clean(c));
}

static void mappings_outlive_their_devices_and_group(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t iova;

	(void)state;
	open_all(&c, &g, &d);
	assert_int_equal(vfiox_dma_map(c, mem, MB, NULL, &iova), 0);
	/* The group's reserved MSI window (sysfs) stays out of fixed maps. */
	assert_int_equal(vfiox_dma_map_fixed(c, mem + 2 * MB, MB, 0xfee00000ULL, NULL),
			 -EINVAL);
	assert_int_equal(fk.ioas_maps, 1);
	vfiox_group_close(g);	/* the IOAS keeps them, as iommufd does */
	assert_int_equal(fk.nr_maps, 1);
	assert_int_equal(vfiox_dma_translate(c, mem, &iova), 0);
	assert_true(fk_close_clean(c));
}

/*
 * The kernel's range unmap goes area by area and keeps what it removed
 * when one fails: libvfiox finishes it entry by entry, and where one still
 * will not go, its books keep exactly that one.
 */
static void failed_range_unmap_leaves_books_matching_the_ioas(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t iova;
	int i;

	(void)state;
	open_all(&c, &g, &d);
	for (i = 0; i < 3; i++)
		assert_int_equal(vfiox_dma_map_fixed(c, mem + i * MB, MB, (i + 1) * MB, NULL), 0);
	fk.ioas_unmap_fail_after = 1;		/* removes the first, then EBUSY */
	fk_fail_nth("ioctl", 3, EBUSY);		/* and the third will not go */
	assert_int_equal(vfiox_dma_unmap_range(c, MB, 3 * MB), -EBUSY);
	assert_int_equal(fk.nr_maps, 1);
	assert_int_equal(vfiox_dma_translate(c, mem, &iova), -ENOENT);
	assert_int_equal(vfiox_dma_translate(c, mem + MB, &iova), 0);
	assert_int_equal(vfiox_dma_translate(c, mem + 2 * MB, &iova), -ENOENT);
	assert_true(fk_log_has("1 still mapped"));
	/* A retry finds the books and the IOAS agreeing. */
	assert_int_equal(vfiox_dma_unmap_range(c, MB, 3 * MB), 1);
	assert_int_equal(fk.nr_maps, 0);
	/* Without a stubborn one, the whole range goes. */
	for (i = 0; i < 3; i++)
		assert_int_equal(vfiox_dma_map_fixed(c, mem + i * MB, MB, (i + 1) * MB, NULL), 0);
	fk.ioas_unmap_fail_after = 2;
	assert_int_equal(vfiox_dma_unmap_range(c, MB, 3 * MB), 3);
	assert_int_equal(fk.nr_maps, 0);
	assert_true(fk_close_clean(c));
}

static void unmap_of_an_entry_the_ioas_no_longer_has_drops_it(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t iova;

	(void)state;
	open_all(&c, &g, &d);
	assert_int_equal(vfiox_dma_map(c, mem, MB, NULL, &iova), 0);
	fk.nr_maps = 0;		/* gone from the IOAS behind libvfiox's back */
	assert_int_equal(vfiox_dma_unmap_iova(c, iova, MB), 0);
	assert_int_equal(fk_log_level("dropped from the books"), VFIOX_LOG_WARN);
	assert_int_equal(vfiox_dma_translate(c, mem, &iova), -ENOENT);
	assert_int_equal(vfiox_dma_map(c, mem, MB, NULL, &iova), 0);
	assert_true(fk_close_clean(c));
}

/* 0.2: the kernel's ids, as the kernel gave them. */
static void the_kernels_ids_are_handed_out(void **state)
{
	struct vfiox_container *c, *lc;
	struct vfiox_group *g, *lg;
	struct vfiox_device *d, *ld;
	uint32_t ioas = 0, devid = 0, hwpt = 0;

	(void)state;
	open_all(&c, &g, &d);
	assert_int_equal(vfiox_container_ioas_id(c, &ioas), 0);
	assert_int_equal(ioas, fk_get_fd(vfiox_container_fd(c))->ioas);
	assert_int_equal(vfiox_device_devid(d, &devid), 0);
	assert_int_equal(devid, fk_get_fd(vfiox_device_fd(d))->devid);
	assert_int_equal(vfiox_device_hwpt_id(d, &hwpt), 0);
	assert_true(hwpt > devid);	/* the fake's ATTACH makes it after the bind */
	assert_int_equal(vfiox_container_ioas_id(NULL, &ioas), -EINVAL);
	assert_true(fk_close_clean(c));
	fk_reset();
	fk_log_capture();
	assert_int_equal(fk_open_group7(&lc, &lg), 0);
	assert_int_equal(vfiox_device_open(lg, BDF, NULL, &ld), 0);
	assert_int_equal(vfiox_container_ioas_id(lc, &ioas), -EOPNOTSUPP);
	assert_true(fk_log_has("only the iommufd backend"));
	assert_int_equal(vfiox_device_devid(ld, &devid), -EOPNOTSUPP);
	assert_int_equal(vfiox_device_hwpt_id(ld, &hwpt), -EOPNOTSUPP);
	assert_true(fk_close_clean(lc));
}

static void ids_wait_for_autos_choice(void **state)
{
	struct vfiox_container *c;
	uint32_t ioas;

	(void)state;
	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_container_ioas_id(c, &ioas), -ENODEV);
	assert_true(fk_log_has("auto has not chosen"));
	assert_true(fk_close_clean(c));
}

static void hw_info_reports_the_iommu_behind_the_device(void **state)
{
	struct vfiox_iommu_hw_info info = { .sz = sizeof(info) }, small = { .sz = 8 };
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;

	(void)state;
	open_all(&c, &g, &d);
	assert_int_equal(vfiox_device_iommu_hw_info(d, &info), 0);
	assert_int_equal(info.type, VFIOX_IOMMU_HW_INFO_TYPE_INTEL_VTD);
	assert_int_equal(info.capabilities, VFIOX_IOMMU_HW_CAP_DIRTY_TRACKING);
	assert_int_equal(info.max_pasid_log2, 20);
	assert_int_equal(info.data_len, 32);
	assert_int_equal(vfiox_device_iommu_hw_info(d, &small), -EINVAL);
	fk_fail_nth("ioctl", 1, ENOTTY);	/* a kernel before 6.6 */
	assert_int_equal(vfiox_device_iommu_hw_info(d, &info), -EOPNOTSUPP);
	assert_true(fk_log_has("Linux 6.6+"));
	assert_true(fk_close_clean(c));
}

/* Probes answer: "not on this backend" is an answer, not an error (IOPF
 * has its own answer on iommufd: test_iommufd_iopf). */
static void capability_probes_answer_no_on_iommufd(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	unsigned long calls;

	(void)state;
	open_all(&c, &g, &d);
	calls = fk.calls;
	fk_log_capture();
	/* iommufd's P2P mappings are dma-bufs, which the kernel revokes. */
	assert_int_equal(vfiox_p2p_revocable(c), 1);
	assert_int_equal(vfiox_svm_support(d), VFIOX_FEATURE_LEGACY_ONLY);
	assert_int_equal(fk_log_level("legacy backend's"), VFIOX_LOG_DEBUG);
	assert_int_equal(fk.calls, calls);
	assert_string_equal(vfiox_feature_reason_str(VFIOX_FEATURE_LEGACY_ONLY),
			    "only the legacy backend has it");
	assert_true(fk_close_clean(c));
}

static void pools_work_on_iommufd(void **state)
{
	struct vfiox_dma_pool *p;
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t iova, back;
	void *va;

	(void)state;
	open_all(&c, &g, &d);
	assert_int_equal(vfiox_dma_pool_new(c, NULL, &p), 0);
	assert_int_equal(vfiox_dma_alloc(p, 4096, &va, &iova), 0);
	assert_true(fk.ioas_maps >= 1);
	assert_int_equal(vfiox_dma_translate(c, va, &back), 0);
	assert_int_equal(back, iova);
	assert_int_equal(vfiox_dma_free(p, va), 0);
	vfiox_dma_pool_free(p);
	assert_true(fk_close_clean(c));
}

#define REFUSED(call) do {						\
		fk_log_capture();					\
		assert_int_equal((call), -EOPNOTSUPP);			\
		assert_true(fk_log_has("legacy backend"));		\
	} while (0)

static void legacy_only_calls_refuse_iommufd_by_name(void **state)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts), .dev_root = "/fake/dev/vfio", .sysfs_root = "/fake/sys",
		.backend = VFIOX_BACKEND_IOMMUFD,
	};
	struct vfiox_container *c, *other;
	struct vfiox_group *g, *g2;
	struct vfiox_device *d, *d2;
	uint32_t kernel, ours, pasid;
	uint64_t bm[4];
	char state_buf[256];
	unsigned long calls;
	int removed, fd;

	(void)state;
	open_all(&c, &g, &d);
	calls = fk.calls;

	REFUSED(vfiox_dma_dirty_start(c));
	REFUSED(vfiox_dma_dirty_stop(c));
	REFUSED(vfiox_dma_dirty_bitmap(c, 0, MB, bm, sizeof(bm)));
	REFUSED(vfiox_dma_unmap_dirty(c, 0, MB, bm, sizeof(bm), &removed));
	REFUSED(vfiox_dma_invalidate_vaddrs(c));
	REFUSED(vfiox_dma_revalidate_vaddrs(c));
	REFUSED(vfiox_dma_save(c, state_buf, sizeof(state_buf)));
	REFUSED(vfiox_dma_restore(c, state_buf, sizeof(state_buf), NULL, NULL));
	REFUSED(vfiox_dma_avail_check(c, &kernel, &ours));
	REFUSED(vfiox_container_check_extension(c, VFIO_TYPE1v2_IOMMU));
	REFUSED(vfiox_svm_bind(d, &pasid));
	REFUSED(vfiox_group_fd(g));
	/* Nothing reached the kernel. */
	assert_int_equal(fk.calls, calls);
	/* Handed-over fds are legacy files. */
	fd = fake_sys.open("/fake/dev/vfio/7", O_RDWR);
	REFUSED(vfiox_group_adopt(c, fd, 8, &g2));
	REFUSED(vfiox_device_adopt(g, fd, BDF, NULL, &d2));
	fake_sys.close(fd);
	fd = fake_sys.open("/fake/dev/vfio/vfio", O_RDWR);
	assert_int_equal(vfiox_container_adopt_sys(fd, &opts, &fake_sys, &other), -EOPNOTSUPP);
	fake_sys.close(fd);
	assert_true(fk_close_clean(c));
}

/*
 * Open and close rounds on iommufd give back every byte (the guest's
 * open_close_10k measures the same on the real kernel): after a warm-up,
 * malloc's count of bytes in use is where it was.
 */
static void open_close_rounds_leave_the_heap_as_it_was(void **state)
{
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;
	size_t before;
	int i;

	(void)state;
	for (i = 0; i < 10; i++) {	/* the fake kernel's tables grow first */
		open_all(&c, &g, &d);
		vfiox_container_close(c);
	}
	before = mallinfo2().uordblks;
	for (i = 0; i < 100; i++) {
		open_all(&c, &g, &d);
		vfiox_container_close(c);
	}
	assert_int_equal(mallinfo2().uordblks, before);
	assert_int_equal(fk_open_fds(), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(forced_iommufd_makes_the_container_an_ioas),
		T(auto_picks_iommufd_at_the_first_group_whose_devices_offer_it),
		T(auto_with_an_unopenable_cdev_keeps_legacy),
		T(auto_skips_noiommu_groups),
		T(auto_skips_noiommu_cdevs),
		T(auto_waits_past_a_group_that_does_not_exist),
		T(a_legacy_call_before_the_choice_keeps_legacy),
		T(refusal_on_an_auto_chosen_iommufd_names_opts_backend),
		T(open_close_rounds_leave_the_heap_as_it_was),
		T(auto_picks_iommufd_where_the_kernel_has_no_container),
		T(auto_without_container_or_iommufd_is_enoent),
		T(auto_picks_legacy_without_device_cdevs),
		T(auto_without_container_and_dev_iommu_not_ours_fails),
		T(forced_iommufd_without_dev_iommu_is_enodev),
		T(environment_overrides_the_caller),
		T(bad_backend_values_are_einval),
		T(old_opts_size_keeps_legacy),
		T(a_0_1_binary_keeps_legacy),
		T(auto_with_an_iommu_type_picks_legacy),
		T(environment_iommufd_drops_the_iommu_type),
		T(bad_opts_backend_is_einval_even_under_the_environment),
		T(empty_VFIOX_BACKEND_is_unset),
		T(garbage_sz_is_e2big_before_backend_is_read),
		T(adopt_refuses_an_unknown_backend),
		T(environment_does_not_steer_adopt),
		T(iommu_info_and_maps_wait_for_the_first_device),
		T(mapping_outside_a_new_devices_aperture_fails_its_open_with_a_reason),
		T(iommu_info_is_the_ioas_ranges_without_dma_avail),
		T(second_device_narrows_and_its_close_widens),
		T(zero_ioas_ranges_are_no_space),
		T(device_opens_through_its_cdev_bound_and_attached),
		T(unknown_group_is_refused),
		T(device_of_another_group_is_refused),
		T(device_without_cdev_is_enodev),
		T(vf_token_reaches_the_bind),
		T(vf_token_refusals_say_why),
		T(dma_maps_and_unmaps_through_the_ioas),
		T(unmap_range_and_all_are_one_ioctl_each),
		T(mappings_outlive_their_devices_and_group),
		T(failed_range_unmap_leaves_books_matching_the_ioas),
		T(unmap_of_an_entry_the_ioas_no_longer_has_drops_it),
		T(the_kernels_ids_are_handed_out),
		T(ids_wait_for_autos_choice),
		T(hw_info_reports_the_iommu_behind_the_device),
		T(capability_probes_answer_no_on_iommufd),
		T(pools_work_on_iommufd),
		T(legacy_only_calls_refuse_iommufd_by_name),
	};

	return cmocka_run_group_tests_name("iommufd", tests, group_setup, NULL);
}
