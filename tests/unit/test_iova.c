// SPDX-License-Identifier: MIT
/* The IOVA allocator, directly: merging, splitting, first fit, limits, and
 * randomised runs checked against a page bitmap, one of them on a treap
 * degenerated into a list. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/iova.h"

#define PG 4096ULL

static void add_merges_touching_intervals(void **state)
{
	struct iova_space s;

	(void)state;
	vfiox_iova_init(&s);
	assert_int_equal(vfiox_iova_add(&s, 0x3000, 0x3fff), 0);
	assert_int_equal(vfiox_iova_add(&s, 0x1000, 0x1fff), 0);
	assert_int_equal(vfiox_iova_nr_intervals(&s), 2);
	assert_int_equal(vfiox_iova_add(&s, 0x2000, 0x2fff), 0);
	assert_int_equal(vfiox_iova_nr_intervals(&s), 1);
	assert_int_equal(s.free_bytes, 0x3000);
	assert_int_equal(vfiox_iova_add(&s, 0x2800, 0x2fff), -EEXIST);
	assert_int_equal(vfiox_iova_add(&s, 0x0, 0x1000), -EEXIST);
	assert_int_equal(vfiox_iova_add(&s, 0xffffffffffff0000ULL, UINT64_MAX), 0);
	vfiox_iova_destroy(&s);
}

static void reserve_splits_and_refuses_busy(void **state)
{
	struct iova_space s;

	(void)state;
	vfiox_iova_init(&s);
	assert_int_equal(vfiox_iova_add(&s, 0, 0xffff), 0);
	assert_int_equal(vfiox_iova_reserve(&s, 0x4000, 0x4fff), 0);
	assert_int_equal(vfiox_iova_nr_intervals(&s), 2);
	assert_int_equal(vfiox_iova_reserve(&s, 0x3000, 0x4fff), -EBUSY);
	assert_int_equal(vfiox_iova_reserve(&s, 0xf000, 0x10fff), -EBUSY);
	assert_int_equal(vfiox_iova_reserve(&s, 0, 0xfff), 0);
	assert_int_equal(vfiox_iova_reserve(&s, 0xf000, 0xffff), 0);
	assert_int_equal(vfiox_iova_nr_intervals(&s), 2);
	assert_int_equal(s.free_bytes, 0x10000 - 0x3000);
	vfiox_iova_destroy(&s);
}

static void alloc_is_first_fit_aligned_and_limited(void **state)
{
	struct iova_space s;
	uint64_t a;

	(void)state;
	vfiox_iova_init(&s);
	assert_int_equal(vfiox_iova_add(&s, 0x1000, 0x5fffff), 0);
	assert_int_equal(vfiox_iova_alloc(&s, PG, PG, UINT64_MAX, &a), 0);
	assert_int_equal(a, 0x1000);
	assert_int_equal(vfiox_iova_alloc(&s, 0x200000, 0x200000, UINT64_MAX, &a), 0);
	assert_int_equal(a, 0x200000);
	/* Below the 2 MiB block there is room, above the limit there is not. */
	assert_int_equal(vfiox_iova_alloc(&s, 0x100000, PG, 0x1fffff, &a), 0);
	assert_true(a + 0x100000 - 1 <= 0x1fffff);
	assert_int_equal(vfiox_iova_alloc(&s, 0x200000, PG, 0x1fffff, &a), -ENOSPC);
	assert_int_equal(vfiox_iova_alloc(&s, PG, 3, UINT64_MAX, &a), -EINVAL);
	assert_int_equal(vfiox_iova_alloc(&s, 0, PG, UINT64_MAX, &a), -EINVAL);
	vfiox_iova_destroy(&s);
}

static void freed_space_is_reused(void **state)
{
	struct iova_space s;
	uint64_t a, b;

	(void)state;
	vfiox_iova_init(&s);
	assert_int_equal(vfiox_iova_add(&s, 0x10000, 0x1ffff), 0);
	assert_int_equal(vfiox_iova_alloc(&s, PG, PG, UINT64_MAX, &a), 0);
	assert_int_equal(vfiox_iova_alloc(&s, PG, PG, UINT64_MAX, &b), 0);
	assert_int_equal(vfiox_iova_add(&s, a, a + PG - 1), 0);
	assert_int_equal(vfiox_iova_alloc(&s, PG, PG, UINT64_MAX, &b), 0);
	assert_int_equal(a, b);
	vfiox_iova_destroy(&s);
}

/* The lowest @n free pages aligned to @align pages below @limit, or -1. */
static int64_t bitmap_first_fit(const unsigned char *used, int pages, int n,
				int align, uint64_t limit)
{
	int p, j;

	for (p = 0; p + n <= pages; p += align) {
		if ((uint64_t)(p + n) * PG - 1 > limit)
			return -1;
		for (j = 0; j < n && !used[p + j]; j++)
			;
		if (j == n)
			return p;
	}
	return -1;
}

/*
 * 20k random allocs and frees over 1024 pages, checked page by page: each
 * alloc must return exactly the bitmap's first fit, and -ENOSPC only when
 * there is none.
 */
/* With @cache, one-page frees are cached: allocations are then any free
 * fit, no longer the first, but -ENOSPC still only when none exists. */
static void random_run(uint64_t rng, bool cache)
{
	enum { PAGES = 1024, LIVE = 256 };
	static unsigned char used[PAGES];
	uint64_t start[LIVE], len[LIVE];
	struct iova_space s;
	unsigned int seed = 1;
	int i, j, nlive = 0;

	memset(used, 0, sizeof(used));
	vfiox_iova_init(&s);
	s.rng = rng;
	assert_int_equal(vfiox_iova_add(&s, 0, PAGES * PG - 1), 0);
	if (cache)
		vfiox_iova_cache_enable(&s, PG);
	for (i = 0; i < 20000; i++) {
		if (nlive < LIVE && (rand_r(&seed) % 3 || !nlive)) {
			uint64_t n = 1 + rand_r(&seed) % 8, a;
			uint64_t align = PG << (rand_r(&seed) % 3);
			uint64_t limit = rand_r(&seed) % 4 ? UINT64_MAX :
					 (uint64_t)(rand_r(&seed) % PAGES) * PG + PG - 1;
			int64_t want = bitmap_first_fit(used, PAGES, (int)n,
							(int)(align / PG), limit);
			int ret = vfiox_iova_alloc(&s, n * PG, align, limit, &a);

			if (want < 0) {
				assert_int_equal(ret, -ENOSPC);
				continue;
			}
			assert_int_equal(ret, 0);
			if (!cache)
				assert_int_equal(a, (uint64_t)want * PG);
			assert_int_equal(a % align, 0);
			assert_true(a + n * PG - 1 <= limit);
			for (j = 0; j < (int)n; j++) {
				assert_int_equal(used[a / PG + j], 0);
				used[a / PG + j] = 1;
			}
			start[nlive] = a;
			len[nlive++] = n;
		} else {
			int k = rand_r(&seed) % nlive;

			assert_int_equal(vfiox_iova_add(&s, start[k], start[k] + len[k] * PG - 1), 0);
			for (j = 0; j < (int)len[k]; j++)
				used[start[k] / PG + j] = 0;
			start[k] = start[--nlive];
			len[k] = len[nlive];
		}
	}
	for (i = 0, j = 0; i < PAGES; i++)
		j += !used[i];
	assert_int_equal(s.free_bytes, (uint64_t)j * PG);
	vfiox_iova_destroy(&s);
}

static void random_run_matches_a_bitmap(void **state)
{
	(void)state;
	random_run(0x9e3779b97f4a7c15ULL, false);
}

/*
 * All priorities zero: the treap degenerates into a list of a hundred or
 * more intervals, deeper than the path the hot paths remember, so every
 * alloc and free takes the fallback refresh. Results must not change.
 */
static void degenerate_treap_matches_a_bitmap(void **state)
{
	(void)state;
	random_run(0, false);
}

static void random_run_with_the_page_cache(void **state)
{
	(void)state;
	random_run(0x9e3779b97f4a7c15ULL, true);
}

/* Pages 0..15 free, the cache on, pages 0..2 taken. */
static void cache_setup(struct iova_space *s, uint64_t *a)
{
	int i;

	vfiox_iova_init(s);
	assert_int_equal(vfiox_iova_add(s, 0, 16 * PG - 1), 0);
	vfiox_iova_cache_enable(s, PG);
	for (i = 0; i < 3; i++) {
		assert_int_equal(vfiox_iova_alloc(s, PG, PG, UINT64_MAX, &a[i]), 0);
		assert_int_equal(a[i], i * PG);
	}
}

static void cache_reuses_the_last_freed_page_first(void **state)
{
	struct iova_space s;
	uint64_t a[3], b;

	(void)state;
	cache_setup(&s, a);
	assert_int_equal(vfiox_iova_add(&s, a[0], a[0] + PG - 1), 0);
	assert_int_equal(vfiox_iova_add(&s, a[2], a[2] + PG - 1), 0);
	assert_int_equal(s.free_bytes, 15 * PG);
	assert_int_equal(vfiox_iova_nr_intervals(&s), 3);
	assert_int_equal(vfiox_iova_alloc(&s, PG, PG, UINT64_MAX, &b), 0);
	assert_int_equal(b, a[2]);
	assert_int_equal(vfiox_iova_alloc(&s, PG, PG, UINT64_MAX, &b), 0);
	assert_int_equal(b, a[0]);
	/* The cache is empty: the tree's first fit again. */
	assert_int_equal(vfiox_iova_alloc(&s, PG, PG, UINT64_MAX, &b), 0);
	assert_int_equal(b, 3 * PG);
	assert_int_equal(s.free_bytes, 12 * PG);
	vfiox_iova_destroy(&s);
}

static void cache_skips_a_page_the_alloc_cannot_use(void **state)
{
	struct iova_space s;
	uint64_t a[3], b;

	(void)state;
	cache_setup(&s, a);
	assert_int_equal(vfiox_iova_add(&s, a[1], a[1] + PG - 1), 0);
	/* Page 1 is not 2-page aligned, nor below a limit of page 0. */
	assert_int_equal(vfiox_iova_alloc(&s, PG, 2 * PG, UINT64_MAX, &b), 0);
	assert_int_equal(b, 4 * PG);
	assert_int_equal(vfiox_iova_alloc(&s, PG, PG, PG - 1, &b), -ENOSPC);
	/* That failure merged page 1 back into the tree, where a two-page
	 * alloc skips it (page 2 is taken) and a one-page alloc finds it. */
	assert_int_equal(s.cached, 0);
	assert_int_equal(vfiox_iova_alloc(&s, 2 * PG, PG, UINT64_MAX, &b), 0);
	assert_int_equal(b, 5 * PG);
	assert_int_equal(vfiox_iova_alloc(&s, PG, PG, UINT64_MAX, &b), 0);
	assert_int_equal(b, a[1]);
	vfiox_iova_destroy(&s);
}

static void reserve_sees_cached_pages_as_free(void **state)
{
	struct iova_space s;
	uint64_t a[3];

	(void)state;
	cache_setup(&s, a);
	assert_int_equal(vfiox_iova_add(&s, a[1], a[1] + PG - 1), 0);
	assert_int_equal(vfiox_iova_reserve(&s, a[1], a[1] + PG - 1), 0);
	assert_int_equal(vfiox_iova_reserve(&s, a[1], a[1] + PG - 1), -EBUSY);
	assert_int_equal(s.free_bytes, 13 * PG);
	vfiox_iova_destroy(&s);
}

/* All free space cached in pages: a longer alloc merges them back. */
static void a_long_alloc_merges_the_cache_back(void **state)
{
	struct iova_space s;
	uint64_t a, b, c;

	(void)state;
	vfiox_iova_init(&s);
	assert_int_equal(vfiox_iova_add(&s, 0, 2 * PG - 1), 0);
	vfiox_iova_cache_enable(&s, PG);
	assert_int_equal(vfiox_iova_alloc(&s, PG, PG, UINT64_MAX, &a), 0);
	assert_int_equal(vfiox_iova_alloc(&s, PG, PG, UINT64_MAX, &b), 0);
	assert_int_equal(vfiox_iova_add(&s, a, a + PG - 1), 0);
	assert_int_equal(vfiox_iova_add(&s, b, b + PG - 1), 0);
	assert_int_equal(vfiox_iova_alloc(&s, 2 * PG, PG, UINT64_MAX, &c), 0);
	assert_int_equal(c, 0);
	assert_int_equal(s.free_bytes, 0);
	assert_int_equal(vfiox_iova_alloc(&s, PG, PG, UINT64_MAX, &c), -ENOSPC);
	vfiox_iova_destroy(&s);
}

/*
 * The same on a chain of 200 one-page intervals, 0, 3, 6, ... (inserted in
 * order with zero priorities, each becomes the root): freeing page 1 grows
 * the deepest one to two pages, and only a correct refresh of that deep
 * path lets the next two-page alloc find it.
 */
static void deep_grow_is_seen_by_the_next_alloc(void **state)
{
	struct iova_space s;
	uint64_t a;
	int i;

	(void)state;
	vfiox_iova_init(&s);
	s.rng = 0;
	for (i = 0; i < 200; i++)
		assert_int_equal(vfiox_iova_add(&s, i * 3 * PG, i * 3 * PG + PG - 1), 0);
	assert_int_equal(vfiox_iova_alloc(&s, 2 * PG, PG, UINT64_MAX, &a), -ENOSPC);
	assert_int_equal(vfiox_iova_add(&s, PG, 2 * PG - 1), 0);
	assert_int_equal(vfiox_iova_nr_intervals(&s), 200);
	assert_int_equal(vfiox_iova_alloc(&s, 2 * PG, PG, UINT64_MAX, &a), 0);
	assert_int_equal(a, 0);
	assert_int_equal(vfiox_iova_alloc(&s, 2 * PG, PG, UINT64_MAX, &a), -ENOSPC);
	vfiox_iova_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_merges_touching_intervals),
		cmocka_unit_test(reserve_splits_and_refuses_busy),
		cmocka_unit_test(alloc_is_first_fit_aligned_and_limited),
		cmocka_unit_test(freed_space_is_reused),
		cmocka_unit_test(random_run_matches_a_bitmap),
		cmocka_unit_test(degenerate_treap_matches_a_bitmap),
		cmocka_unit_test(deep_grow_is_seen_by_the_next_alloc),
		cmocka_unit_test(random_run_with_the_page_cache),
		cmocka_unit_test(cache_reuses_the_last_freed_page_first),
		cmocka_unit_test(cache_skips_a_page_the_alloc_cannot_use),
		cmocka_unit_test(reserve_sees_cached_pages_as_free),
		cmocka_unit_test(a_long_alloc_merges_the_cache_back),
	};

	return cmocka_run_group_tests_name("iova", tests, NULL, NULL);
}
