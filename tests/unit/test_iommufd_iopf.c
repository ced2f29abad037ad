// SPDX-License-Identifier: MIT
/*
 * I/O page faults on the iommufd backend against the fake kernel: the
 * probe's answers, the enable (a fault queue, a fault-capable HWPT on the
 * IOAS, every device moved onto it), the page requests answered by
 * libvfiox's thread (Success inside a mapping, Invalid outside one or for
 * a write to a read-only one, one answer a group), every refusal leaving
 * the container as it was, PASIDs attached before and after the enable,
 * and P2P refused in the mode.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake_kernel.h"

#define MB (1ULL << 20)
#define BDF "0000:00:03.0"
#define READ VFIOX_IOMMU_PGFAULT_PERM_READ
#define WRITE VFIOX_IOMMU_PGFAULT_PERM_WRITE

static uint8_t *mem;		/* 16 MiB, 2 MiB aligned */
static struct vfiox_container *c;
static struct vfiox_group *g;
static struct vfiox_device *d;

static int group_setup(void **state)
{
	(void)state;
	mem = fk_aligned_memory(16 * MB);
	return mem ? 0 : -1;
}

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

/* The page table the kernel has @name's fd attached to. */
static uint32_t kernel_pt(const char *name)
{
	int i;

	for (i = 0; i < FK_MAX_FDS; i++)
		if (fk.fds[i].kind == FK_FD_DEVICE && fk.fds[i].cdev == FK_CDEV_ATTACHED &&
		    !strcmp(((struct fk_device *)fk.fds[i].obj)->name, name))
			return fk.fds[i].pt;
	return 0;
}

static uint32_t ioas(void)
{
	uint32_t id;

	assert_int_equal(vfiox_container_ioas_id(c, &id), 0);
	return id;
}

/* Everything as before a refused enable: pinned mode, devices on the IOAS,
 * no object and no fd of the attempt left. */
static void assert_as_before(int fds)
{
	assert_int_equal(vfiox_container_iopf_enabled(c), 0);
	assert_int_equal(kernel_pt(BDF), ioas());
	assert_int_equal(fk_objects(), 0);
	assert_int_equal(fk_open_fds(), fds);
	assert_true(fk_log_has("stays in pinned mode"));
}

static void support_asks_the_fault_queue(void **state)
{
	struct vfiox_container *c2;
	struct vfiox_group *g2;
	int fds = fk_open_fds();

	(void)state;
	assert_int_equal(vfiox_iopf_support(c), VFIOX_FEATURE_AVAILABLE);
	/* The probe's queue went back. */
	assert_int_equal(fk_objects(), 0);
	assert_int_equal(fk_open_fds(), fds);
	fk.no_fault_queue = true;	/* a kernel before 6.11 */
	fk_log_capture();
	assert_int_equal(vfiox_iopf_support(c), VFIOX_FEATURE_NO_KERNEL);
	assert_true(fk_log_has("Linux 6.11"));
	/* Without a device there is nothing to ask about. */
	assert_int_equal(fk_iommufd_container_open(&c2), 0);
	assert_int_equal(vfiox_iopf_support(c2), -ENODEV);
	assert_int_equal(vfiox_group_open(c2, 7, &g2), 0);
	assert_int_equal(vfiox_container_enable_iopf(c2), -EINVAL);
	assert_true(fk_log_has("open a device"));
	vfiox_container_close(c2);
	assert_int_equal(fk_open_fds(), fds);
}

static void enable_moves_the_devices_to_a_fault_capable_hwpt(void **state)
{
	uint32_t hwpt;
	int i, hwpts = 0, faults = 0;

	(void)state;
	assert_int_equal(vfiox_container_enable_iopf(c), 0);
	assert_int_equal(vfiox_container_iopf_enabled(c), 1);
	for (i = 0; i < FK_MAX_OBJS; i++) {
		hwpts += fk.objs[i].kind == FK_OBJ_HWPT && fk.objs[i].fault;
		faults += fk.objs[i].kind == FK_OBJ_FAULT;
	}
	assert_int_equal(hwpts, 1);
	assert_int_equal(faults, 1);
	assert_int_equal(vfiox_device_hwpt_id(d, &hwpt), 0);
	assert_int_equal(kernel_pt(BDF), hwpt);
	assert_int_not_equal(hwpt, ioas());
	/* Again: nothing new. */
	assert_int_equal(vfiox_container_enable_iopf(c), 0);
	assert_int_equal(fk_objects(), 2);
	assert_int_equal(vfiox_iopf_support(c), VFIOX_FEATURE_AVAILABLE);
}

static void page_requests_are_answered_by_the_mappings(void **state)
{
	struct vfiox_dma_opts ro = { .sz = sizeof(ro), .read_only = true };
	uint64_t rw_iova, ro_iova, hole;
	uint32_t devid;
	int i;

	(void)state;
	/* Mappings made before the enable count too: the HWPT has them. */
	assert_int_equal(vfiox_dma_map(c, mem, 2 * MB, NULL, &rw_iova), 0);
	assert_int_equal(vfiox_container_enable_iopf(c), 0);
	assert_int_equal(vfiox_dma_map(c, mem + 2 * MB, 2 * MB, &ro, &ro_iova), 0);
	assert_int_equal(vfiox_device_devid(d, &devid), 0);
	hole = ro_iova + 64 * MB;
	fk_log_capture();

	fk_fault_push(devid, rw_iova + 0x3000, READ | WRITE, 1, true, 11);
	fk_fault_push(devid, hole, READ, 2, true, 12);
	fk_fault_push(devid, ro_iova, READ, 3, true, 13);
	fk_fault_push(devid, ro_iova + 0x1000, WRITE, 4, true, 14);
	/* A group is answered once, at its last request, for all of it. */
	fk_fault_push(devid, rw_iova, READ, 5, false, 15);
	fk_fault_push(devid, hole, READ, 5, true, 15);
	fk_fault_push(devid, rw_iova, READ, 6, false, 16);
	fk_fault_push(devid, ro_iova, READ, 6, true, 16);
	assert_true(fk_wait_responses(6));
	assert_int_equal(fk.nr_responses, 6);
	assert_int_equal(fk.responses[0].cookie, 11);
	assert_int_equal(fk.responses[0].code, VFIOX_IOMMUFD_PAGE_RESP_SUCCESS);
	assert_int_equal(fk.responses[1].cookie, 12);
	assert_int_equal(fk.responses[1].code, VFIOX_IOMMUFD_PAGE_RESP_INVALID);
	assert_int_equal(fk.responses[2].code, VFIOX_IOMMUFD_PAGE_RESP_SUCCESS);
	assert_int_equal(fk.responses[3].cookie, 14);
	assert_int_equal(fk.responses[3].code, VFIOX_IOMMUFD_PAGE_RESP_INVALID);
	assert_int_equal(fk.responses[4].cookie, 15);
	assert_int_equal(fk.responses[4].code, VFIOX_IOMMUFD_PAGE_RESP_INVALID);
	assert_int_equal(fk.responses[5].cookie, 16);
	assert_int_equal(fk.responses[5].code, VFIOX_IOMMUFD_PAGE_RESP_SUCCESS);
	/* The thread counts a group once its answer is written. */
	for (i = 0; i < 5000 && (vfiox_iopf_iommufd_answered(c, false) < 3 ||
				 vfiox_iopf_iommufd_answered(c, true) < 3); i++)
		usleep(1000);
	assert_int_equal(vfiox_iopf_iommufd_answered(c, true), 3);
	assert_int_equal(vfiox_iopf_iommufd_answered(c, false), 3);
	assert_true(fk_log_has("answered Invalid"));
	/* Unmapped, the page is answered Invalid from then on. */
	assert_int_equal(vfiox_dma_unmap_iova(c, rw_iova, 2 * MB), 0);
	fk_fault_push(devid, rw_iova, READ, 7, true, 17);
	assert_true(fk_wait_responses(7));
	assert_int_equal(fk.responses[6].code, VFIOX_IOMMUFD_PAGE_RESP_INVALID);
	/* Still pinned on iommufd: every map went through IOMMU_IOAS_MAP. */
	assert_int_equal(fk.nr_maps, 1);
}

static void a_device_without_pri_leaves_the_container_as_it_was(void **state)
{
	struct vfiox_device *d2;
	uint64_t iova;
	int fds;

	(void)state;
	/* The second device cannot fault: the first goes back to the IOAS. */
	fk_add_iommufd_device(0);
	fk.groups[0].devs[1].no_pri = true;
	assert_int_equal(vfiox_device_open(g, "0000:00:04.0", NULL, &d2), 0);
	fds = fk_open_fds();
	fk_log_capture();
	assert_int_equal(vfiox_container_enable_iopf(c), -EOPNOTSUPP);
	assert_as_before(fds);
	assert_int_equal(kernel_pt("0000:00:04.0"), ioas());
	/* The refused one was detached and attached again: VT-d leaves a
	 * device blocked after a failed attach. */
	assert_int_equal(fk.rid_detaches, 1);
	assert_true(fk_log_has("attaching it to the IOAS again"));
	assert_true(fk_log_has("the IOMMU refused I/O page faults"));
	assert_int_equal(vfiox_iopf_support(c), VFIOX_FEATURE_IOMMU_REFUSED);
	/* Pinned DMA as before. */
	assert_int_equal(vfiox_dma_map(c, mem, 2 * MB, NULL, &iova), 0);
	assert_int_equal(fk.nr_maps, 1);
}

static void an_iommu_refusing_the_hwpt_leaves_nothing(void **state)
{
	int fds = fk_open_fds();

	(void)state;
	fk.hwpt_fault_errno = EOPNOTSUPP;
	fk_log_capture();
	assert_int_equal(vfiox_container_enable_iopf(c), -EOPNOTSUPP);
	assert_as_before(fds);
	assert_int_equal(fk.rid_detaches, 0);	/* no device was asked to move */
	fk.hwpt_fault_errno = 0;
	fk.no_fault_queue = true;
	fk_log_capture();
	assert_int_equal(vfiox_container_enable_iopf(c), -ENOTTY);
	assert_as_before(fds);
	assert_true(fk_log_has("no fault queue"));
	/* The kernel can again: the refusal was not for good. */
	fk.no_fault_queue = false;
	assert_int_equal(vfiox_container_enable_iopf(c), 0);
}

static void a_device_opened_later_joins_the_fault_hwpt(void **state)
{
	struct vfiox_device *d2, *d3;
	uint32_t hwpt;

	(void)state;
	assert_int_equal(vfiox_container_enable_iopf(c), 0);
	assert_int_equal(vfiox_device_hwpt_id(d, &hwpt), 0);
	fk_add_iommufd_device(0);
	assert_int_equal(vfiox_device_open(g, "0000:00:04.0", NULL, &d2), 0);
	assert_int_equal(kernel_pt("0000:00:04.0"), hwpt);
	vfiox_device_close(d2);
	fk.groups[0].devs[1].no_pri = true;
	fk_log_capture();
	assert_int_equal(vfiox_device_open(g, "0000:00:04.0", NULL, &d3), -ENODEV);
	assert_true(fk_log_has("takes I/O page faults"));
}

/* The kernel moves no device with PASIDs attached onto a HWPT that takes
 * none: the fault-capable one is made to take them. */
static void the_enable_keeps_attached_pasids(void **state)
{
	struct fk_device *fd = &fk.groups[0].devs[0];
	uint32_t home, hwpt;

	(void)state;
	assert_int_equal(vfiox_device_attach_pasid(d, 5, NULL, NULL), 0);
	assert_int_equal(vfiox_device_hwpt_id(d, &home), 0);
	assert_int_equal(vfiox_container_enable_iopf(c), 0);
	assert_int_equal(vfiox_device_hwpt_id(d, &hwpt), 0);
	assert_int_equal(kernel_pt(BDF), hwpt);
	assert_true(fk_find_obj(hwpt)->fault);
	assert_true(fk_find_obj(hwpt)->flags & VFIOX_IOMMU_HWPT_ALLOC_PASID);
	assert_int_equal(fd->nr_att_pasids, 1);
	assert_int_equal(fd->att_pts[0], home);
	/* A PASID attached now shares the device's fault-capable HWPT. */
	assert_int_equal(vfiox_device_attach_pasid(d, 6, NULL, NULL), 0);
	assert_int_equal(fd->att_pts[1], hwpt);
	vfiox_device_close(d);
	assert_null(fk_find_obj(home));		/* the HWPT made for it went with it */
	assert_int_equal(fk_objects(), 2);	/* the fault HWPT and queue */
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), 0);
}

/* @d gets PASID 5 (its home HWPT in @home), then a device without PRI
 * opens beside it in the same group. */
static struct vfiox_device *pasid_then_device_without_pri(uint32_t *home)
{
	struct vfiox_device *d2;

	assert_int_equal(vfiox_device_attach_pasid(d, 5, NULL, NULL), 0);
	assert_int_equal(vfiox_device_hwpt_id(d, home), 0);
	fk_add_iommufd_device(0);
	fk.groups[0].devs[1].no_pri = true;
	assert_int_equal(vfiox_device_open(g, "0000:00:04.0", NULL, &d2), 0);
	return d2;
}

static void a_refused_enable_puts_a_device_back_on_its_pasid_hwpt(void **state)
{
	uint32_t home;

	(void)state;
	pasid_then_device_without_pri(&home);	/* closed with the container */
	assert_int_equal(vfiox_container_enable_iopf(c), -EOPNOTSUPP);
	assert_int_equal(kernel_pt(BDF), home);
	assert_int_equal(fk.groups[0].devs[0].nr_att_pasids, 1);
	assert_int_equal(fk_objects(), 1);	/* the fault HWPT and queue went */
}

/* As above with the device that has PASIDs moved first (devices are
 * prepended: it is opened last), so its way back is exercised: to its
 * PASID-capable home, not the IOAS, and the refused device's too. */
static void a_refused_enable_puts_a_moved_device_back_on_its_home(void **state)
{
	uint32_t home;

	(void)state;
	pasid_then_device_without_pri(&home);	/* closed with the container */
	assert_int_equal(kernel_pt("0000:00:04.0"), home);
	/* The home passes to d2 at d's close; d opens onto it again. */
	vfiox_device_close(d);
	assert_int_equal(vfiox_device_open(g, BDF, NULL, &d), 0);
	assert_int_equal(kernel_pt(BDF), home);
	assert_ptr_equal(g->devices, d);
	assert_int_equal(vfiox_device_attach_pasid(d, 5, NULL, NULL), 0);
	assert_int_equal(vfiox_container_enable_iopf(c), -EOPNOTSUPP);
	assert_int_equal(kernel_pt(BDF), home);
	assert_int_equal(kernel_pt("0000:00:04.0"), home);
	assert_int_equal(fk.groups[0].devs[0].nr_att_pasids, 1);
	assert_int_equal(fk_objects(), 1);	/* the fault HWPT and queue went */
}

/* A PASID is attached and the IOMMU takes none on a fault-capable HWPT:
 * the enable is refused, the device stays home with its PASID. */
static void a_fault_hwpt_without_pasids_is_refused_with_one_attached(void **state)
{
	uint32_t home;

	(void)state;
	assert_int_equal(vfiox_device_attach_pasid(d, 5, NULL, NULL), 0);
	assert_int_equal(vfiox_device_hwpt_id(d, &home), 0);
	fk.hwpt_no_pasid = true;
	fk_log_capture();
	assert_int_equal(vfiox_container_enable_iopf(c), -EOPNOTSUPP);
	fk.hwpt_no_pasid = false;
	/* Refused at the HWPT, not tried again without PASIDs. */
	assert_false(fk_log_has("none being attached yet"));
	assert_true(fk_log_has("the IOMMU refused I/O page faults"));
	assert_int_equal(kernel_pt(BDF), home);
	assert_int_equal(fk.groups[0].devs[0].nr_att_pasids, 1);
	assert_int_equal(fk_objects(), 1);	/* the home HWPT only */
}

/* The fault-capable HWPT may narrow the IOAS as well. */
static void the_fault_hwpt_narrows_the_ioas_ranges(void **state)
{
	struct vfiox_iova_range r[4];

	(void)state;
	assert_int_equal(vfiox_container_iova_ranges(c, r, 4), 2);
	fk.pasid_hwpt_last = 0x1fffff;
	assert_int_equal(vfiox_container_enable_iopf(c), 0);
	assert_int_equal(vfiox_container_iova_ranges(c, r, 4), 1);
	assert_int_equal(r[0].end, 0x1fffff);
}

/* An IOMMU that takes no PASID on a fault-capable HWPT: IOPF goes on while
 * no PASID is attached, and a later attach is refused by name. */
static void a_fault_hwpt_without_pasids_refuses_them_later(void **state)
{
	uint32_t hwpt;

	(void)state;
	fk.hwpt_no_pasid = true;
	fk_log_capture();
	assert_int_equal(vfiox_container_enable_iopf(c), 0);
	assert_true(fk_log_has("made without PASIDs, none being attached yet"));
	assert_int_equal(vfiox_device_hwpt_id(d, &hwpt), 0);
	assert_false(fk_find_obj(hwpt)->flags & VFIOX_IOMMU_HWPT_ALLOC_PASID);
	assert_int_equal(vfiox_device_attach_pasid(d, 5, NULL, NULL), -EOPNOTSUPP);
	assert_true(fk_log_has("was made without PASIDs"));
	assert_int_equal(fk.pasid_attaches, 0);
	fk.hwpt_no_pasid = false;
}

static void p2p_is_busy_in_iopf_mode(void **state)
{
	void *bar;
	uint64_t iova;

	(void)state;
	assert_int_equal(vfiox_region_mmap(d, 0, &bar), 0);
	assert_int_equal(vfiox_p2p_map(c, d, 0, 0, 0x2000, NULL, &iova), 0);
	/* A P2P mapping stands in the way of the enable... */
	fk_log_capture();
	assert_int_equal(vfiox_container_enable_iopf(c), -EBUSY);
	assert_true(fk_log_has("P2P mappings"));
	assert_int_equal(fk_objects(), 0);
	assert_int_equal(vfiox_p2p_unmap(c, iova, 0x2000), 0);
	/* ... and the mode refuses new ones. */
	assert_int_equal(vfiox_container_enable_iopf(c), 0);
	fk_log_capture();
	assert_int_equal(vfiox_p2p_map(c, d, 0, 0, 0x2000, NULL, &iova), -EBUSY);
	assert_true(fk_log_has("takes I/O page faults"));
	assert_int_equal(vfiox_p2p_list(c, NULL, 0), 0);
	vfiox_region_munmap(d, 0);
}

static void a_failed_read_stops_the_thread_and_the_close_still_works(void **state)
{
	uint32_t devid;
	int i;

	(void)state;
	assert_int_equal(vfiox_container_enable_iopf(c), 0);
	assert_int_equal(vfiox_device_devid(d, &devid), 0);
	fk_log_capture();
	/* Not fk_fail_nth(): the request thread may read its eventfd now. */
	fk.fault_read_errno = EIO;
	fk_fault_push(devid, 0, READ, 1, true, 1);
	/* The thread logs and ends; nothing answers. */
	for (i = 0; i < 5000 && !fk_log_has("no more page requests are answered"); i++)
		usleep(1000);
	assert_true(fk_log_has("no more page requests are answered"));
	assert_int_equal(fk.nr_responses, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(support_asks_the_fault_queue),
		T(enable_moves_the_devices_to_a_fault_capable_hwpt),
		T(page_requests_are_answered_by_the_mappings),
		T(a_device_without_pri_leaves_the_container_as_it_was),
		T(an_iommu_refusing_the_hwpt_leaves_nothing),
		T(a_device_opened_later_joins_the_fault_hwpt),
		T(the_enable_keeps_attached_pasids),
		T(a_refused_enable_puts_a_device_back_on_its_pasid_hwpt),
		T(a_refused_enable_puts_a_moved_device_back_on_its_home),
		T(a_fault_hwpt_without_pasids_is_refused_with_one_attached),
		T(the_fault_hwpt_narrows_the_ioas_ranges),
		T(a_fault_hwpt_without_pasids_refuses_them_later),
		T(p2p_is_busy_in_iopf_mode),
		T(a_failed_read_stops_the_thread_and_the_close_still_works),
	};

	return cmocka_run_group_tests_name("iommufd_iopf", tests, group_setup, NULL);
}
