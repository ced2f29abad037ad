// SPDX-License-Identifier: MIT
/*
 * PASID attach on the iommufd backend against the fake kernel, which
 * holds iommufd's rule that a PASID attaches only while the device's own
 * DMA goes through a HWPT allocated with IOMMU_HWPT_ALLOC_PASID: a PASID to
 * the container's mappings (the device moved onto such a HWPT first) and
 * to a HWPT and back, a replace, the checks made before the kernel is
 * asked (PASID 0, beyond the device's width, a device without PASIDs,
 * twice, a detach of a PASID never attached, unknown flags), a kernel
 * before 6.15, a released device, the device's close detaching what is
 * left and destroying the HWPT made for it, and the legacy backend's
 * refusal.
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

/* The page table the fake kernel has the device's own DMA on. */
static uint32_t rid_pt(void)
{
	return fk_get_fd(d->fd)->pt;
}

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
	struct vfiox_pasid_opts flagged = { .sz = sizeof(flagged), .flags = 2 };

	(void)state;
	assert_int_equal(vfiox_device_attach_pasid(d, 0, NULL, NULL), -EINVAL);
	assert_true(fk_log_has("PASID 0"));
	assert_int_equal(vfiox_device_attach_pasid(d, 1u << 20, NULL, NULL), -EINVAL);
	assert_true(fk_log_has("20-bit PASIDs"));
	assert_int_equal(vfiox_device_attach_pasid(d, 1, &big, NULL), -E2BIG);
	assert_int_equal(vfiox_device_attach_pasid(d, 1, &flagged, NULL), -E2BIG);
	assert_true(fk_log_has("unknown to this libvfiox"));
	assert_int_equal(vfiox_device_attach_pasid(NULL, 1, NULL, NULL), -EINVAL);
	assert_int_equal(vfiox_device_detach_pasid(NULL, 1), -EINVAL);
	assert_int_equal(vfiox_device_devid(NULL, &(uint32_t){ 0 }), -EINVAL);
	assert_true(fk_log_has("vfiox_device_devid(): NULL"));
	assert_int_equal(vfiox_device_hwpt_id(d, NULL), -EINVAL);
	assert_true(fk_log_has("vfiox_device_hwpt_id(): NULL"));
	assert_int_equal(vfiox_container_ioas_id(NULL, NULL), -EINVAL);
	assert_true(fk_log_has("vfiox_container_ioas_id(): NULL"));
	assert_int_equal(vfiox_device_iommu_hw_info(d, NULL), -EINVAL);
	assert_true(fk_log_has("vfiox_device_iommu_hw_info(): NULL"));
	assert_int_equal(vfiox_container_backend(NULL), -EINVAL);
	assert_true(fk_log_has("vfiox_container_backend(): NULL"));
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
	/* The caller's HWPTs are the caller's to destroy; the one libvfiox
	 * made for the device goes with it. */
	assert_int_equal(fk_objects(), 3);
	vfiox_device_close(d);
	assert_int_equal(fk_objects(), 2);
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), 0);
}

static void the_first_attach_moves_the_device_onto_a_pasid_capable_hwpt(void **state)
{
	uint32_t before, after, ioas, hwpt = 0;

	(void)state;
	assert_int_equal(vfiox_device_hwpt_id(d, &before), 0);
	assert_int_equal(vfiox_container_ioas_id(c, &ioas), 0);
	assert_int_equal(rid_pt(), ioas);
	assert_int_equal(fk_objects(), 0);
	assert_int_equal(vfiox_device_attach_pasid(d, 5, NULL, &hwpt), 0);
	assert_int_equal(vfiox_device_hwpt_id(d, &after), 0);
	assert_int_not_equal(after, before);
	assert_int_equal(rid_pt(), after);
	assert_non_null(fk_find_obj(after));
	assert_true(fk_find_obj(after)->flags & VFIOX_IOMMU_HWPT_ALLOC_PASID);
	assert_int_equal(hwpt, after);	/* the PASID sees the same mappings */
	assert_int_equal(dev0()->att_pts[0], after);
	assert_true(fk_log_has("which takes PASIDs"));
	/* The next PASID goes there too; nothing more is allocated. */
	assert_int_equal(vfiox_device_attach_pasid(d, 6, NULL, &hwpt), 0);
	assert_int_equal(hwpt, after);
	assert_int_equal(fk_objects(), 1);
	/* Detached, the device stays where it is; its close destroys it. */
	assert_int_equal(vfiox_device_detach_pasid(d, 5), 0);
	assert_int_equal(vfiox_device_detach_pasid(d, 6), 0);
	assert_int_equal(rid_pt(), after);
	vfiox_device_close(d);
	assert_int_equal(fk_objects(), 0);
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), 0);
}

static void a_refused_first_attach_leaves_the_device_on_the_ioas(void **state)
{
	uint32_t before, after, ioas;

	(void)state;
	assert_int_equal(vfiox_device_hwpt_id(d, &before), 0);
	assert_int_equal(vfiox_container_ioas_id(c, &ioas), 0);
	/* The kernel refuses the PASID itself: the move is undone. */
	fk.no_pasid_attach = true;
	assert_int_equal(vfiox_device_attach_pasid(d, 3, NULL, NULL), -EINVAL);
	fk.no_pasid_attach = false;
	assert_int_equal(vfiox_device_hwpt_id(d, &after), 0);
	/* The page table of the attach back to the IOAS, the fake's last id
	 * (not the destroyed PASID HWPT's). */
	assert_int_equal(after, fk.next_id);
	assert_int_equal(rid_pt(), ioas);
	assert_int_equal(fk_objects(), 0);
	/* The IOMMU refuses the HWPT: nothing moved, nothing left. */
	fk_fail_nth("ioctl", 2, EOPNOTSUPP);	/* GET_HW_INFO, then HWPT_ALLOC */
	assert_int_equal(vfiox_device_attach_pasid(d, 3, NULL, NULL), -EOPNOTSUPP);
	fk.fail_at = 0;
	assert_true(fk_log_has("no PASID-capable page table"));
	assert_int_equal(rid_pt(), ioas);
	assert_int_equal(fk_objects(), 0);
	assert_int_equal(dev0()->nr_att_pasids, 0);
	/* The move itself refused: the HWPT goes, the device is on the IOAS
	 * (detached and attached again, for VT-d). */
	fk_fail_nth("ioctl", 3, ENOMEM);	/* GET_HW_INFO, HWPT_ALLOC, ATTACH */
	assert_int_equal(vfiox_device_attach_pasid(d, 3, NULL, NULL), -ENOMEM);
	fk.fail_at = 0;
	assert_int_equal(fk_objects(), 0);
	assert_int_equal(rid_pt(), ioas);
	assert_int_equal(dev0()->nr_att_pasids, 0);
}

static void a_replace_moves_a_pasid_in_one_step(void **state)
{
	struct vfiox_pasid_opts opts = { .sz = sizeof(opts) };
	uint32_t first, second, got = 0;

	(void)state;
	first = caller_hwpt(VFIOX_IOMMU_HWPT_ALLOC_PASID);
	second = caller_hwpt(VFIOX_IOMMU_HWPT_ALLOC_PASID);
	opts.pt_id = first;
	assert_int_equal(vfiox_device_attach_pasid(d, 9, &opts, NULL), 0);
	opts.pt_id = second;
	assert_int_equal(vfiox_device_attach_pasid(d, 9, &opts, NULL), -EEXIST);
	opts.flags = VFIOX_PASID_REPLACE;
	assert_int_equal(vfiox_device_attach_pasid(d, 9, &opts, &got), 0);
	assert_int_equal(got, second);
	assert_int_equal(dev0()->nr_att_pasids, 1);
	assert_int_equal(dev0()->att_pts[0], second);
	assert_int_equal(fk.pasid_detaches, 0);		/* never blocked */
	/* A replace of a PASID not attached is a plain attach. */
	assert_int_equal(vfiox_device_attach_pasid(d, 10, &opts, NULL), 0);
	assert_int_equal(dev0()->nr_att_pasids, 2);
	/* libvfiox's list holds 9 once: detached, it attaches again. */
	assert_int_equal(d->nr_att_pasids, 2);
	assert_int_equal(vfiox_device_detach_pasid(d, 9), 0);
	opts.flags = 0;
	assert_int_equal(vfiox_device_attach_pasid(d, 9, &opts, NULL), 0);
	assert_int_equal(dev0()->nr_att_pasids, 2);
	vfiox_device_close(d);
	assert_int_equal(fk_objects(), 2);	/* the caller's two */
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), 0);
}

/* The kernel moves a group's devices together: the first attach is
 * refused while another is open, and one opened after it joins the HWPT,
 * which the last of them to close destroys. */
static void the_group_moves_together(void **state)
{
	struct vfiox_device *d2;
	uint32_t home, h2, ioas;

	(void)state;
	assert_int_equal(vfiox_container_ioas_id(c, &ioas), 0);
	fk_add_iommufd_device(0);	/* in the same group */
	assert_int_equal(vfiox_device_open(g, "0000:00:04.0", NULL, &d2), 0);
	fk_log_capture();
	assert_int_equal(vfiox_device_attach_pasid(d, 5, NULL, NULL), -EBUSY);
	assert_true(fk_log_has("other device(s) of it are open"));
	assert_int_equal(rid_pt(), ioas);
	assert_int_equal(fk_objects(), 0);
	vfiox_device_close(d2);
	assert_int_equal(vfiox_device_attach_pasid(d, 5, NULL, NULL), 0);
	assert_int_equal(vfiox_device_hwpt_id(d, &home), 0);
	assert_int_equal(vfiox_device_open(g, "0000:00:04.0", NULL, &d2), 0);
	assert_int_equal(vfiox_device_hwpt_id(d2, &h2), 0);
	assert_int_equal(h2, home);
	assert_int_equal(fk_get_fd(d2->fd)->pt, home);
	/* Its PASIDs need no move, with the first device open. */
	assert_int_equal(vfiox_device_attach_pasid(d2, 6, NULL, &h2), 0);
	assert_int_equal(h2, home);
	/* The first closes: the HWPT stays, the second's from then on. */
	vfiox_device_close(d);
	assert_int_equal(fk_objects(), 1);
	assert_false(fk_log_has("stays until the container closes"));
	vfiox_device_close(d2);
	assert_int_equal(fk_objects(), 0);
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), 0);
}

static void a_released_device_has_no_ids_and_no_pasids(void **state)
{
	uint32_t id;

	(void)state;
	assert_int_equal(vfiox_device_attach_pasid(d, 4, NULL, NULL), 0);
	fk_signal(d->req_fd);
	assert_true(fk_released_fully(d));
	fk_log_capture();
	assert_int_equal(vfiox_device_devid(d, &id), -ENODEV);
	assert_int_equal(vfiox_device_hwpt_id(d, &id), -ENODEV);
	assert_int_equal(vfiox_device_attach_pasid(d, 5, NULL, NULL), -ENODEV);
	assert_int_equal(vfiox_device_detach_pasid(d, 4), -ENODEV);
	assert_true(fk_log_has("given back to the kernel"));
	vfiox_device_close(d);
	assert_int_equal(fk_objects(), 0);	/* the HWPT made for it too */
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), 0);
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

static int nr_ranges(struct vfiox_iova_range *r, size_t max)
{
	return vfiox_container_iova_ranges(c, r, max);
}

/* An IOMMU whose PASID-capable tables cover less (AMD-Vi's v2): the IOAS
 * narrows at the first attach, and the allocator follows it. */
static void a_pasid_hwpt_narrows_the_ioas_ranges(void **state)
{
	const size_t len = 2u << 20;
	struct vfiox_iova_range r[4];
	unsigned long maps;
	uint64_t iova, iova2;
	void *buf;

	(void)state;
	buf = aligned_alloc(len, 2 * len);
	assert_non_null(buf);
	assert_int_equal(nr_ranges(r, 4), 2);
	assert_true(r[1].end > 0x1fffff);
	fk.pasid_hwpt_last = 0x1fffff;
	assert_int_equal(vfiox_device_attach_pasid(d, 5, NULL, NULL), 0);
	assert_int_equal(nr_ranges(r, 4), 1);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].end, 0x1fffff);
	assert_int_equal(vfiox_dma_map(c, buf, len, NULL, &iova), 0);
	assert_true(iova + len - 1 <= 0x1fffff);
	/* The space is full: the allocator says so, the kernel is not asked. */
	maps = fk.ioas_maps;
	assert_int_equal(vfiox_dma_map(c, (char *)buf + len, 4096, NULL, &iova2), -ENOSPC);
	assert_int_equal(fk.ioas_maps, maps);
	assert_int_equal(vfiox_dma_unmap_iova(c, iova, len), 0);
	free(buf);
}

/* AMD-Vi refuses a PASID on a paging HWPT: the narrowed ranges come back. */
static void a_refused_first_attach_gives_the_ranges_back(void **state)
{
	struct vfiox_iova_range r[4];
	uint32_t ioas;

	(void)state;
	assert_int_equal(vfiox_container_ioas_id(c, &ioas), 0);
	assert_int_equal(nr_ranges(r, 4), 2);
	fk.pasid_hwpt_last = 0x1fffff;
	fk.no_pasid_attach = true;
	assert_int_equal(vfiox_device_attach_pasid(d, 5, NULL, NULL), -EINVAL);
	fk.no_pasid_attach = false;
	assert_int_equal(rid_pt(), ioas);
	assert_int_equal(fk_objects(), 0);
	assert_int_equal(nr_ranges(r, 4), 2);
	assert_true(r[1].end > 0x1fffff);
}

static void a_failed_range_read_undoes_the_move(void **state)
{
	struct vfiox_iova_range r[4];
	uint32_t ioas;

	(void)state;
	assert_int_equal(vfiox_container_ioas_id(c, &ioas), 0);
	fk.pasid_hwpt_last = 0x1fffff;
	/* GET_HW_INFO, HWPT_ALLOC, ATTACH, then IOAS_IOVA_RANGES */
	fk_fail_nth("ioctl", 4, EINTR);
	assert_int_equal(vfiox_device_attach_pasid(d, 5, NULL, NULL), -EINTR);
	fk.fail_at = 0;
	assert_true(fk_log_has("reading its usable IOVA ranges again"));
	assert_int_equal(rid_pt(), ioas);
	assert_int_equal(fk_objects(), 0);
	assert_int_equal(dev0()->nr_att_pasids, 0);
	assert_int_equal(nr_ranges(r, 4), 2);
	/* And it works afterwards. */
	assert_int_equal(vfiox_device_attach_pasid(d, 5, NULL, NULL), 0);
	assert_int_equal(nr_ranges(r, 4), 1);
}

/* A mapping above the PASID-capable table's reach refuses it, named. */
static void a_mapping_above_the_pasid_hwpt_is_named(void **state)
{
	const size_t len = 2u << 20;
	uint64_t iova;
	void *buf;

	(void)state;
	buf = aligned_alloc(len, len);
	assert_non_null(buf);
	fk.pasid_hwpt_last = 0xfffff;
	assert_int_equal(vfiox_dma_map(c, buf, len, NULL, &iova), 0);
	assert_int_equal(vfiox_device_attach_pasid(d, 5, NULL, NULL), -EADDRINUSE);
	assert_true(fk_log_has("lies outside what a PASID-capable page table"));
	assert_int_equal(fk_objects(), 0);
	assert_int_equal(vfiox_dma_unmap_iova(c, iova, len), 0);
	free(buf);
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
		T(the_first_attach_moves_the_device_onto_a_pasid_capable_hwpt),
		T(a_refused_first_attach_leaves_the_device_on_the_ioas),
		T(a_replace_moves_a_pasid_in_one_step),
		T(a_released_device_has_no_ids_and_no_pasids),
		T(the_group_moves_together),
		T(the_close_detaches_every_pasid),
		T(legacy_containers_refuse_naming_iommufd),
		T(a_pasid_hwpt_narrows_the_ioas_ranges),
		T(a_failed_range_read_undoes_the_move),
		T(a_refused_first_attach_gives_the_ranges_back),
		T(a_mapping_above_the_pasid_hwpt_is_named),
	};

	return cmocka_run_group_tests_name("iommufd_pasid", tests, NULL, NULL);
}
