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
	unsetenv("VFIOX_BACKEND");
	fk_reset();
	fk_enable_iommufd();
	fk_log_capture();
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
 * Auto keeps a kernel's legacy container while it has one (the iommufd
 * backend lacks calls the legacy one has), and takes iommufd where the
 * kernel has no legacy container: nothing is opened twice.
 */
static void auto_keeps_legacy_where_the_kernel_has_both(void **state)
{
	struct vfiox_container *c;

	(void)state;
	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_LEGACY);
	assert_int_equal(fk_get_fd(vfiox_container_fd(c))->kind, FK_FD_CONTAINER);
	assert_int_equal(fk_open_fds(), 1);
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

/* A 0.1 caller's opts end before backend: auto. */
/* A 0.1 program (smaller opts) gets auto, which keeps legacy here. */
static void old_opts_size_keeps_legacy_on_a_kernel_with_both(void **state)
{
	struct vfiox_container_opts opts = {
		.sz = offsetof(struct vfiox_container_opts, backend),
		.dev_root = "/fake/dev/vfio", .sysfs_root = "/fake/sys",
		.backend = VFIOX_BACKEND_LEGACY,	/* past sz: not read */
	};
	struct vfiox_container *c;

	(void)state;
	assert_int_equal(vfiox_container_open_sys(&opts, &fake_sys, &c), 0);
	assert_int_equal(vfiox_container_backend(c), VFIOX_BACKEND_LEGACY);
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
	assert_int_equal(vfiox_container_iommu_info(c, &info), 0);
	assert_int_equal(info.iommu_type, VFIOX_IOMMU_IOMMUFD);
	assert_false(info.has_dma_avail);
	assert_false(info.has_migration);
	assert_int_equal(info.pgsizes, 0x2000);
	/* A fresh IOAS is all of the space ... */
	assert_int_equal(vfiox_container_iova_ranges(c, r, 4), 1);
	assert_true(r[0].start == 0 && r[0].end == UINT64_MAX);
	/* ... the attached device narrows it, and its close widens it again. */
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), 0);
	assert_int_equal(vfiox_container_iova_ranges(c, r, 4), 2);
	assert_true(r[0].start == 0 && r[0].end == 0xfedfffffULL);
	assert_true(r[1].start == 0xfef00000ULL && r[1].end == 0x7fffffffffULL);
	vfiox_device_close(d);
	assert_int_equal(vfiox_container_iova_ranges(c, r, 4), 1);
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

static void vf_token_is_not_done_on_iommufd(void **state)
{
	struct vfiox_device_opts opts = {
		.sz = sizeof(opts), .vf_token = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001",
	};
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;

	(void)state;
	assert_int_equal(fk_iommufd_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_device_open(g, BDF, &opts, &d), -EOPNOTSUPP);
	assert_true(fk_log_has("VF token"));
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

static void mappings_made_before_the_device_stay(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t iova;

	(void)state;
	assert_int_equal(fk_iommufd_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_dma_map(c, mem, MB, NULL, &iova), 0);
	/* The IOAS is still all of the space, but the group's reserved MSI
	 * window (sysfs) stays out of the allocator's and the fixed maps'. */
	assert_int_equal(vfiox_dma_map_fixed(c, mem + 2 * MB, MB, 0xfee00000ULL, NULL),
			 -EINVAL);
	assert_int_equal(fk.ioas_maps, 1);
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), 0);
	vfiox_group_close(g);	/* the IOAS keeps them, as iommufd does */
	assert_int_equal(fk.nr_maps, 1);
	assert_int_equal(vfiox_dma_translate(c, mem, &iova), 0);
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
	uint64_t bm[4], iova;
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
	REFUSED(vfiox_p2p_revocable(c));
	REFUSED(vfiox_p2p_map(c, d, 0, 0, 4096, NULL, &iova));
	REFUSED(vfiox_iopf_support(c));
	REFUSED(vfiox_container_enable_iopf(c));
	REFUSED(vfiox_svm_support(d));
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
		T(open_close_rounds_leave_the_heap_as_it_was),
		T(auto_keeps_legacy_where_the_kernel_has_both),
		T(auto_picks_iommufd_where_the_kernel_has_no_container),
		T(auto_without_container_or_iommufd_is_enoent),
		T(auto_picks_legacy_without_device_cdevs),
		T(auto_without_container_and_dev_iommu_not_ours_fails),
		T(forced_iommufd_without_dev_iommu_is_enodev),
		T(environment_overrides_the_caller),
		T(bad_backend_values_are_einval),
		T(old_opts_size_keeps_legacy_on_a_kernel_with_both),
		T(iommu_info_is_the_ioas_ranges_without_dma_avail),
		T(device_opens_through_its_cdev_bound_and_attached),
		T(unknown_group_is_refused),
		T(device_of_another_group_is_refused),
		T(device_without_cdev_is_enodev),
		T(vf_token_is_not_done_on_iommufd),
		T(dma_maps_and_unmaps_through_the_ioas),
		T(unmap_range_and_all_are_one_ioctl_each),
		T(mappings_made_before_the_device_stay),
		T(pools_work_on_iommufd),
		T(legacy_only_calls_refuse_iommufd_by_name),
	};

	return cmocka_run_group_tests_name("iommufd", tests, group_setup, NULL);
}
