// SPDX-License-Identifier: MIT
/* Device open, regions, IRQs, reset and what close undoes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"

#define DEV "0000:00:03.0"
#define TOKEN "2ab74924-c335-45f4-9b16-8569e5b08258"

FK_GROUP7_FIXTURE

static struct vfiox_device *open_dev(void)
{
	struct vfiox_device *d = NULL;

	assert_int_equal(vfiox_device_open(g, DEV, NULL, &d), 0);
	return d;
}

static void vf_token_is_passed_through(void **state)
{
	struct vfiox_device_opts opts = { .sz = sizeof(opts), .vf_token = TOKEN };
	struct vfiox_device *d;

	(void)state;
	strcpy(fk.groups[0].devs[0].token, TOKEN);
	assert_int_equal(vfiox_device_open(g, DEV, NULL, &d), -EACCES);
	assert_true(fk_log_has("0000:00:03.0 needs a VF token"));
	assert_int_equal(vfiox_device_open(g, DEV, &opts, &d), 0);
	assert_string_equal(fk.groups[0].devs[0].got_token, TOKEN);
}

static void malformed_name_or_token_makes_no_syscall(void **state)
{
	struct vfiox_device_opts opts = { .sz = sizeof(opts), .vf_token = "not-a-uuid" };
	struct vfiox_device *d;
	unsigned long before = fk.calls;
	char big[4096];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(vfiox_device_open(g, DEV, &opts, &d), -EINVAL);
	assert_int_equal(vfiox_device_open(g, big, NULL, &d), -EINVAL);
	assert_int_equal(vfiox_device_open(g, "a b", NULL, &d), -EINVAL);
	assert_int_equal(vfiox_device_open(g, "", NULL, &d), -EINVAL);
	assert_int_equal(fk.calls, before);
	assert_int_equal(vfiox_device_open(g, "0000:00:09.0", NULL, &d), -ENODEV);
}

static void info_matches_the_kernel(void **state)
{
	struct vfiox_device_info di = { .sz = sizeof(di) };
	struct vfiox_region_info ri = { .sz = sizeof(ri) };
	struct vfiox_irq_info ii = { .sz = sizeof(ii) };
	struct vfiox_device *d = open_dev();
	uint8_t id[4];
	int efd[1];

	(void)state;
	assert_int_equal(vfiox_device_info(d, &di), 0);
	assert_int_equal(di.num_regions, VFIO_PCI_NUM_REGIONS);
	assert_int_equal(di.num_irqs, VFIO_PCI_NUM_IRQS);
	assert_int_equal(vfiox_device_region_info(d, 0, &ri), 0);
	assert_int_equal(ri.size, 0x4000);
	assert_int_equal(ri.nr_sparse, 0);
	assert_int_equal(vfiox_device_irq_info(d, VFIO_PCI_MSIX_IRQ_INDEX, &ii), 0);
	assert_int_equal(ii.count, 65);
	assert_int_equal(vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, 0, id, 4), 0);
	assert_int_equal(id[0] | id[1] << 8, 0x1b36);
	assert_int_equal(id[2] | id[3] << 8, 0x0010);
	assert_int_equal(vfiox_device_region_info(d, VFIO_PCI_NUM_REGIONS, &ri), -EINVAL);
	/* The kernel refused the VGA index: it reads as an absent region. */
	assert_int_equal(vfiox_device_region_info(d, VFIO_PCI_VGA_REGION_INDEX, &ri), 0);
	assert_int_equal(ri.size, 0);
	assert_int_equal(ri.index, VFIO_PCI_VGA_REGION_INDEX);
	assert_int_equal(vfiox_device_irq_info(d, VFIO_PCI_ERR_IRQ_INDEX, &ii), 0);
	assert_int_equal(ii.count, 0);
	assert_int_equal(vfiox_irq_enable(d, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, efd), -EINVAL);
	assert_int_equal(vfiox_device_irq_info(d, 99, &ii), -EINVAL);
}

static void region_read_past_end_makes_no_syscall(void **state)
{
	struct vfiox_device *d = open_dev();
	unsigned long before = fk.calls;
	uint8_t buf[16];

	(void)state;
	assert_int_equal(vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, 250, buf, 8), -EINVAL);
	assert_int_equal(vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, UINT64_MAX - 2, buf, 8), -EINVAL);
	assert_int_equal(vfiox_region_write(d, VFIO_PCI_CONFIG_REGION_INDEX, 256, buf, 1), -EINVAL);
	assert_int_equal(vfiox_region_read(d, 1, 0, buf, 1), -EINVAL); /* absent BAR */
	assert_int_equal(vfiox_region_read(d, 77, 0, buf, 1), -EINVAL);
	assert_int_equal(vfiox_region_read(d, 0, 0, buf, 0), -EINVAL);
	assert_int_equal(fk.calls, before);
	assert_true(fk_log_has("outside region 7"));
	assert_int_equal(vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, 248, buf, 8), 0);
	assert_int_equal(fk.calls, before + 1);
}

static void region_write_reaches_the_device(void **state)
{
	struct vfiox_device *d = open_dev();
	uint8_t v = 0x5a, back = 0;

	(void)state;
	assert_int_equal(vfiox_region_write(d, VFIO_PCI_CONFIG_REGION_INDEX, 0x40, &v, 1), 0);
	assert_int_equal(fk.groups[0].devs[0].regions[VFIO_PCI_CONFIG_REGION_INDEX].data[0x40], 0x5a);
	assert_int_equal(vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, 0x40, &back, 1), 0);
	assert_int_equal(back, 0x5a);
}

static void sparse_mmap_leaves_gaps_unbacked(void **state)
{
	struct fk_region *bar = &fk.groups[0].devs[0].regions[0];
	struct vfio_region_info_cap_sparse_mmap sp = {
		.header = { .id = VFIO_REGION_INFO_CAP_SPARSE_MMAP, .version = 1 },
		.nr_areas = 2,
	};
	struct vfio_region_sparse_mmap_area areas[2] = {
		{ 0, 0x1000 }, { 0x3000, 0x1000 },
	};
	struct vfiox_region_info ri = { .sz = sizeof(ri) };
	struct vfiox_device *d;
	uint8_t *p, *p2;

	(void)state;
	memcpy(bar->caps, &sp, sizeof(sp));
	memcpy(bar->caps + sizeof(sp), areas, sizeof(areas));
	bar->caps_len = sizeof(sp) + sizeof(areas);
	d = open_dev();
	assert_int_equal(vfiox_device_region_info(d, 0, &ri), 0);
	assert_int_equal(ri.nr_sparse, 2);
	assert_int_equal(ri.sparse[1].offset, 0x3000);
	assert_int_equal(vfiox_region_mmap(d, 0, (void **)&p), 0);
	p[0] = 1;		/* backed */
	p[0x3fff] = 2;		/* backed */
	assert_int_equal(vfiox_region_mmap(d, 0, (void **)&p2), 0);
	assert_ptr_equal(p, p2);
	assert_int_equal(fk.live_mmaps, 1);
	vfiox_device_close(d);
	assert_int_equal(fk.live_mmaps, 0);
}

static void sparse_area_past_region_is_rejected(void **state)
{
	struct fk_region *bar = &fk.groups[0].devs[0].regions[0];
	struct vfio_region_info_cap_sparse_mmap sp = {
		.header = { .id = VFIO_REGION_INFO_CAP_SPARSE_MMAP, .version = 1 },
		.nr_areas = 1,
	};
	struct vfio_region_sparse_mmap_area area = { 0x3000, 0x2000 };
	struct vfiox_device *d;

	(void)state;
	memcpy(bar->caps, &sp, sizeof(sp));
	memcpy(bar->caps + sizeof(sp), &area, sizeof(area));
	bar->caps_len = sizeof(sp) + sizeof(area);
	assert_int_equal(vfiox_device_open(g, DEV, NULL, &d), -EPROTO);
	assert_true(fk_log_has("past the region"));
}

static void region_type_and_msix_caps_are_read(void **state)
{
	struct fk_region *bar = &fk.groups[0].devs[0].regions[0];
	struct vfio_region_info_cap_type t = {
		.header = { .id = VFIO_REGION_INFO_CAP_TYPE, .version = 1,
			    .next = sizeof(struct vfio_region_info) + 16 },
		.type = 3, .subtype = 4,
	};
	struct vfio_info_cap_header m = { .id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
					  .version = 1 };
	struct vfiox_region_info ri = { .sz = sizeof(ri) };
	struct vfiox_device *d;

	(void)state;
	memcpy(bar->caps, &t, sizeof(t));
	memcpy(bar->caps + 16, &m, sizeof(m));
	bar->caps_len = 16 + sizeof(m);
	d = open_dev();
	assert_int_equal(vfiox_device_region_info(d, 0, &ri), 0);
	assert_true(ri.has_type);
	assert_int_equal(ri.type, 3);
	assert_int_equal(ri.subtype, 4);
	assert_true(ri.msix_mappable);
}

static void irq_for_missing_index_is_refused(void **state)
{
	struct vfiox_device *d = open_dev();
	unsigned long before = fk.calls;
	int fds[2];

	(void)state;
	assert_int_equal(vfiox_irq_enable(d, VFIO_PCI_NUM_IRQS, 0, 1, fds), -EINVAL);
	assert_int_equal(vfiox_irq_enable(d, VFIO_PCI_MSI_IRQ_INDEX, 0, 2, fds), -EINVAL);
	assert_int_equal(vfiox_irq_enable(d, VFIO_PCI_MSIX_IRQ_INDEX, 64, 2, fds), -EINVAL);
	assert_int_equal(vfiox_irq_mask(d, VFIO_PCI_MSIX_IRQ_INDEX, 0), -EINVAL);
	assert_int_equal(fk.calls, before);
	assert_true(fk_log_has("IRQ index 5, the device has 5"));
}

static void irq_enable_disable_owns_its_eventfds(void **state)
{
	struct fk_device *fd = &fk.groups[0].devs[0];
	struct vfiox_device *d = open_dev();
	int open0 = fk_open_fds(), fds[3];

	(void)state;
	assert_int_equal(vfiox_irq_enable(d, VFIO_PCI_MSIX_IRQ_INDEX, 1, 3, fds), 0);
	assert_int_equal(fk_open_fds(), open0 + 3);
	assert_int_equal(fd->last_set.index, VFIO_PCI_MSIX_IRQ_INDEX);
	assert_int_equal(fd->last_set.start, 1);
	assert_int_equal(fd->last_set.count, 3);
	assert_int_equal(fd->last_fds[2], fds[2]);
	assert_int_equal(vfiox_irq_enable(d, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, fds), -EINVAL);
	assert_int_equal(vfiox_irq_unmask(d, VFIO_PCI_INTX_IRQ_INDEX, 0), 0);
	assert_int_equal(fd->last_set.flags,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK);
	assert_int_equal(vfiox_irq_disable(d, VFIO_PCI_MSIX_IRQ_INDEX), 0);
	assert_int_equal(fd->last_set.count, 0);
	assert_int_equal(fk_open_fds(), open0);
}

static void failed_irq_set_closes_new_eventfds(void **state)
{
	struct vfiox_device *d = open_dev();
	int open0 = fk_open_fds(), fds[4];

	(void)state;
	fk_fail_nth("ioctl", 1, EINVAL);
	assert_int_equal(vfiox_irq_enable(d, VFIO_PCI_MSIX_IRQ_INDEX, 0, 4, fds), -EINVAL);
	assert_int_equal(fk_open_fds(), open0);
}

static void close_disables_irqs_and_unmaps(void **state)
{
	struct fk_device *fd = &fk.groups[0].devs[0];
	struct vfiox_device *d = open_dev();
	void *bar;
	int efd;

	(void)state;
	assert_int_equal(vfiox_region_mmap(d, 0, &bar), 0);
	assert_int_equal(vfiox_irq_enable(d, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &efd), 0);
	vfiox_device_close(d);
	/* INTx was disabled; the request IRQ libvfiox listens on goes too. */
	assert_int_equal(fd->last_set.index, VFIO_PCI_REQ_IRQ_INDEX);
	assert_int_equal(fd->last_set.flags,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER);
	assert_int_equal(fk.live_mmaps, 0);
	/* container, group and the request thread's two eventfds */
	assert_int_equal(fk_open_fds(), 4);
}

static void reset_needs_the_flag(void **state)
{
	struct vfiox_device *d = open_dev();

	(void)state;
	assert_int_equal(vfiox_device_reset(d), 0);
	assert_int_equal(fk.groups[0].devs[0].resets, 1);
	vfiox_device_close(d);
	fk.groups[0].devs[0].flags &= ~VFIO_DEVICE_FLAGS_RESET;
	d = open_dev();
	assert_int_equal(vfiox_device_reset(d), -ENOTSUP);
	assert_int_equal(fk.groups[0].devs[0].resets, 1);
}

static void region_without_mmap_flag_is_not_mapped(void **state)
{
	struct vfiox_device *d = open_dev();
	void *p;

	(void)state;
	assert_int_equal(vfiox_region_mmap(d, VFIO_PCI_CONFIG_REGION_INDEX, &p), -ENOTSUP);
	assert_int_equal(vfiox_region_munmap(d, 0), -ENOENT);
	assert_int_equal(fk.live_mmaps, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(vf_token_is_passed_through),
		T(malformed_name_or_token_makes_no_syscall),
		T(info_matches_the_kernel),
		T(region_read_past_end_makes_no_syscall),
		T(region_write_reaches_the_device),
		T(sparse_mmap_leaves_gaps_unbacked),
		T(sparse_area_past_region_is_rejected),
		T(region_type_and_msix_caps_are_read),
		T(irq_for_missing_index_is_refused),
		T(irq_enable_disable_owns_its_eventfds),
		T(failed_irq_set_closes_new_eventfds),
		T(close_disables_irqs_and_unmaps),
		T(reset_needs_the_flag),
		T(region_without_mmap_flag_is_not_mapped),
#undef T
	};

	return cmocka_run_group_tests_name("device", tests, NULL, NULL);
}
