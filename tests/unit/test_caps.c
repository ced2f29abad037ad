// SPDX-License-Identifier: MIT
/* The capability walker, directly and through VFIO_IOMMU_GET_INFO. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"

#define HDR sizeof(struct vfio_iommu_type1_info)

static const struct vfio_iova_range two_ranges[] = {
	{ 0, 0xfedfffffULL }, { 0xfef00000ULL, 0x7fffffffffULL },
};

static int setup(void **state)
{
	(void)state;
	fk_reset();
	fk_log_capture();
	return 0;
}

/* Open a container with group 7 attached, so IOMMU info is read. */
static int open_attached(struct vfiox_container **c, struct vfiox_group **g)
{
	int ret = fk_container_open(c);

	if (ret)
		return ret;
	ret = vfiox_group_open(*c, 7, g);
	if (ret)
		vfiox_container_close(*c);
	return ret;
}

static void add_cap_by_index(int which)
{
	switch (which) {
	case 0:
		fk_info_add_iova(two_ranges, 2);
		break;
	case 1:
		fk_info_add_dma_avail(1234);
		break;
	default:
		fk_info_add_migration(0x1000, 4096);
	}
}

static void valid_chains_parse_in_every_order(void **state)
{
	static const int orders[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
		{ 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	int i, j;

	(void)state;
	for (i = 0; i < 6; i++) {
		struct vfiox_iommu_info info = { .sz = sizeof(info) };
		struct vfiox_iova_range r[4];
		struct vfiox_container *c;
		struct vfiox_group *g;

		fk_reset();
		fk_info_begin(0x1000);
		for (j = 0; j < 3; j++)
			add_cap_by_index(orders[i][j]);
		assert_int_equal(open_attached(&c, &g), 0);
		assert_int_equal(vfiox_container_iommu_info(c, &info), 0);
		assert_true(info.has_dma_avail);
		assert_int_equal(info.dma_avail, 1234);
		assert_true(info.has_migration);
		assert_int_equal(info.max_dirty_bitmap_size, 4096);
		assert_int_equal(vfiox_container_iova_ranges(c, r, 4), 2);
		assert_int_equal(r[1].start, 0xfef00000ULL);
		assert_int_equal(r[1].end, 0x7fffffffffULL);
		vfiox_container_close(c);
		assert_int_equal(fk_open_fds(), 0);
	}
}

static void empty_chain_gives_no_caps(void **state)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	struct vfiox_container *c;
	struct vfiox_group *g;

	(void)state;
	fk_info_begin(0x1000);
	assert_int_equal(open_attached(&c, &g), 0);
	assert_int_equal(vfiox_container_iommu_info(c, &info), 0);
	assert_false(info.has_dma_avail);
	assert_int_equal(info.nr_iova_ranges, 0);
	assert_int_equal(info.pgsizes, 0x1000);
	vfiox_container_close(c);
}

/* A chain the walker must refuse: the attach fails and leaves nothing open. */
static void assert_chain_rejected(const char *why)
{
	struct vfiox_container *c;
	struct vfiox_group *g;

	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), -EPROTO);
	assert_true(fk_log_has(why));
	vfiox_container_close(c);
	assert_int_equal(fk_open_fds(), 0);
	assert_false(fk.groups[0].attached);
}

static void next_past_end_is_rejected(void **state)
{
	(void)state;
	fk_info_begin(0x1000);
	fk_info_add_dma_avail(1);
	fk_info_set_next(HDR, fk.iommu_info_len + 64);
	assert_chain_rejected("runs past argsz");
}

static void next_pointing_to_itself_is_rejected(void **state)
{
	(void)state;
	fk_info_begin(0x1000);
	fk_info_add_dma_avail(1);
	fk_info_set_next(HDR, HDR);
	assert_chain_rejected("points back");
}

static void next_pointing_backwards_is_rejected(void **state)
{
	(void)state;
	fk_info_begin(0x1000);
	fk_info_add_dma_avail(1);
	fk_info_add_dma_avail(2);
	/* The second cap (at HDR + 16) points back at the first. */
	fk_info_set_next(HDR + 16, HDR);
	assert_chain_rejected("points back");
}

static void next_inside_header_is_rejected(void **state)
{
	struct vfio_iommu_type1_info hdr;

	(void)state;
	fk_info_begin(0x1000);
	fk_info_add_dma_avail(1);
	memcpy(&hdr, fk.iommu_info, sizeof(hdr));
	hdr.cap_offset = 8;
	memcpy(fk.iommu_info, &hdr, sizeof(hdr));
	assert_chain_rejected("inside the");
}

static void misaligned_next_is_rejected(void **state)
{
	(void)state;
	fk_info_begin(0x1000);
	fk_info_add_dma_avail(1);
	fk_info_add_dma_avail(2);
	fk_info_set_next(HDR, HDR + 18);
	assert_chain_rejected("aligned");
}

static void truncated_cap_body_is_rejected(void **state)
{
	(void)state;
	fk_info_begin(0x1000);
	fk_info_add_iova(two_ranges, 2);
	/* Claim 200 ranges in a cap that holds two. */
	fk.iommu_info[HDR + 8] = 200;
	assert_chain_rejected("claims 200 ranges");
}

static void inverted_iova_range_is_rejected(void **state)
{
	static const struct vfio_iova_range bad[] = { { 0x2000, 0x1000 } };

	(void)state;
	fk_info_begin(0x1000);
	fk_info_add_iova(bad, 1);
	assert_chain_rejected("inverted");
}

static int count_cb(const struct vfiox_cap *cap, void *arg)
{
	(void)cap;
	(*(int *)arg)++;
	return 0;
}

static void overlong_chain_is_capped(void **state)
{
	uint8_t buf[16 + (VFIOX_CAP_MAX_CHAIN + 4) * 8];
	int i, n = 0, ncap = VFIOX_CAP_MAX_CHAIN + 2;

	(void)state;
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < ncap; i++) {
		struct vfio_info_cap_header h = {
			.id = 9, .version = 1,
			.next = i + 1 < ncap ? 16 + (i + 1) * 8 : 0,
		};

		memcpy(buf + 16 + i * 8, &h, sizeof(h));
	}
	assert_int_equal(vfiox_cap_walk(buf, sizeof(buf), 16, 16, count_cb, &n),
			 -EPROTO);
	assert_int_equal(n, VFIOX_CAP_MAX_CHAIN);
	assert_true(fk_log_has("longer than"));
}

static void truncated_argsz_is_retried(void **state)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	struct vfiox_container *c;
	struct vfiox_group *g;

	(void)state;
	/* The default info needs more than the fixed struct: one retry. */
	assert_true(fk.iommu_info_len > HDR);
	assert_int_equal(open_attached(&c, &g), 0);
	assert_int_equal(vfiox_container_iommu_info(c, &info), 0);
	assert_int_equal(info.nr_iova_ranges, 2);
	assert_int_equal(info.dma_avail, 65535);
	assert_int_equal(info.iommu_type, VFIO_TYPE1v2_IOMMU);
	vfiox_container_close(c);
}

static void find_reports_missing_cap(void **state)
{
	uint8_t buf[32] = { 0 };
	struct vfio_info_cap_header h = { .id = 3, .version = 1 };
	struct vfiox_cap cap;

	(void)state;
	memcpy(buf + 16, &h, sizeof(h));
	assert_int_equal(vfiox_cap_find(buf, sizeof(buf), 16, 16, 3, &cap), 0);
	assert_int_equal(cap.offset, 16);
	assert_int_equal(cap.len, 16);
	assert_int_equal(vfiox_cap_find(buf, sizeof(buf), 16, 16, 4, &cap), -ENOENT);
	assert_int_equal(vfiox_cap_find(buf, sizeof(buf), 16, 0, 3, &cap), -ENOENT);
	assert_int_equal(vfiox_cap_find(buf, 8, 16, 16, 3, &cap), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(valid_chains_parse_in_every_order, setup),
		cmocka_unit_test_setup(empty_chain_gives_no_caps, setup),
		cmocka_unit_test_setup(next_past_end_is_rejected, setup),
		cmocka_unit_test_setup(next_pointing_to_itself_is_rejected, setup),
		cmocka_unit_test_setup(next_pointing_backwards_is_rejected, setup),
		cmocka_unit_test_setup(next_inside_header_is_rejected, setup),
		cmocka_unit_test_setup(misaligned_next_is_rejected, setup),
		cmocka_unit_test_setup(truncated_cap_body_is_rejected, setup),
		cmocka_unit_test_setup(inverted_iova_range_is_rejected, setup),
		cmocka_unit_test_setup(overlong_chain_is_capped, setup),
		cmocka_unit_test_setup(truncated_argsz_is_retried, setup),
		cmocka_unit_test_setup(find_reports_missing_cap, setup),
	};

	return cmocka_run_group_tests_name("caps", tests, NULL, NULL);
}
