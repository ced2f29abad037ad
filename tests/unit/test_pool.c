// SPDX-License-Identifier: MIT
/* DMA buffer pools: many buffers per kernel mapping, reuse, cleanup. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"

static struct vfiox_container *c;
static struct vfiox_group *g;
static struct vfiox_dma_pool *p;

static int setup(void **state)
{
	(void)state;
	fk_reset();
	fk_log_capture();
	if (fk_container_open(&c) || vfiox_group_open(c, 7, &g))
		return -1;
	return vfiox_dma_pool_new(c, NULL, &p);
}

static int teardown(void **state)
{
	(void)state;
	vfiox_dma_pool_free(p);
	assert_int_equal(fk.nr_maps, 0);
	assert_int_equal(fk.live_mmaps, 0);
	vfiox_container_close(c);
	assert_int_equal(fk_open_fds(), 0);
	return 0;
}

static void small_buffers_share_kernel_mappings(void **state)
{
	static void *va[1000];
	uint64_t iova, t;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		assert_int_equal(vfiox_dma_alloc(p, 4096, &va[i], &iova), 0);
		assert_int_equal(vfiox_dma_translate(c, va[i], &t), 0);
		assert_int_equal(t, iova);
		memset(va[i], 0xab, 4096);	/* writable, and not shared */
	}
	assert_int_equal(vfiox_dma_pool_chunks(p), 2);
	assert_int_equal(fk.nr_maps, 2);
	for (i = 1; i < 1000; i++)
		assert_ptr_not_equal(va[i], va[i - 1]);
	assert_true(fk.hugetlb_mmaps > 0);
}

static void freed_buffers_are_reused_zeroed(void **state)
{
	uint64_t iova, iova2;
	uint8_t *a, *b;

	(void)state;
	assert_int_equal(vfiox_dma_alloc(p, 100, (void **)&a, &iova), 0);
	a[99] = 7;
	assert_int_equal(vfiox_dma_free(p, a), 0);
	assert_int_equal(vfiox_dma_alloc(p, 8192, (void **)&b, &iova2), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(iova, iova2);
	assert_int_equal(b[99], 0);
	assert_int_equal(vfiox_dma_free(p, b + 4096), -ENOENT);
	assert_int_equal(vfiox_dma_free(p, (void *)&iova), -ENOENT);
	assert_true(fk_log_has("is not a buffer of this pool"));
}

static void big_buffer_gets_its_own_mapping(void **state)
{
	uint64_t iova;
	void *va;

	(void)state;
	assert_int_equal(vfiox_dma_alloc(p, 5 << 20, &va, &iova), 0);
	assert_int_equal(iova % (2 << 20), 0);
	assert_int_equal(fk.nr_maps, 1);
	assert_int_equal(fk.maps[0].size, 6 << 20);
	assert_int_equal(vfiox_dma_free(p, va), 0);
	assert_int_equal(fk.nr_maps, 0);
	assert_int_equal(vfiox_dma_alloc(p, 0, &va, &iova), -EINVAL);
}

static void no_hugepages_falls_back(void **state)
{
	uint64_t iova;
	void *va;

	(void)state;
	fk_fail_nth("mmap", 1, ENOMEM);
	assert_int_equal(vfiox_dma_alloc(p, 4096, &va, &iova), 0);
	assert_int_equal((uintptr_t)va % (2 << 20), 0);
	assert_int_equal(fk.hugetlb_mmaps, 0);
	assert_int_equal(fk.live_mmaps, 1);
}

static void failed_chunk_map_leaks_nothing(void **state)
{
	uint64_t iova;
	void *va;

	(void)state;
	fk_fail_nth("ioctl", 1, ENOSPC);
	assert_int_equal(vfiox_dma_alloc(p, 4096, &va, &iova), -ENOSPC);
	assert_int_equal(fk.live_mmaps, 0);
	assert_int_equal(vfiox_dma_pool_chunks(p), 0);
}

static void pool_honours_the_iova_limit(void **state)
{
	struct vfiox_dma_pool_opts o = { .sz = sizeof(o), .iova_limit = 0xfffffff };
	struct vfiox_dma_pool *low;
	uint64_t iova, filler;
	void *va, *big;
	int i;

	(void)state;
	/* Take the low 64 MiB first so the limit matters. */
	assert_int_equal(vfiox_dma_alloc(p, 64 << 20, &big, &filler), 0);
	assert_int_equal(vfiox_dma_pool_new(c, &o, &low), 0);
	for (i = 0; i < 600; i++) {
		assert_int_equal(vfiox_dma_alloc(low, 4096, &va, &iova), 0);
		assert_true(iova <= 0xfffffff - 4095);
	}
	vfiox_dma_pool_free(low);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(small_buffers_share_kernel_mappings),
		T(freed_buffers_are_reused_zeroed),
		T(big_buffer_gets_its_own_mapping),
		T(no_hugepages_falls_back),
		T(failed_chunk_map_leaks_nothing),
		T(pool_honours_the_iova_limit),
#undef T
	};

	return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
