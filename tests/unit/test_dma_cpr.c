// SPDX-License-Identifier: MIT
/*
 * Live update (CPR) of the DMA engine against the fake kernel's type1:
 * invalidate the vaddrs, save, restore in a "new process"; the way back;
 * the saved state's format (a golden state, corrupt and foreign ones);
 * what restore checks against the kernel.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "fake_kernel.h"

#define MB (1ULL << 20)
#define PG 4096ULL
#define ROM_A 0x40000000ULL	/* fixed IOVAs of the aliases */
#define ROM_B 0x50000000ULL

FK_GROUP7_FIXTURE

static uint8_t *mem;		/* 16 MiB, 2 MiB aligned */
#define MEM_SIZE (16 * MB)

static int group_setup(void **state)
{
	(void)state;
	mem = fk_aligned_memory(MEM_SIZE);
	return mem ? 0 : -1;
}

static uint64_t xlate(const void *va)
{
	uint64_t iova;

	return vfiox_dma_translate(c, va, &iova) ? UINT64_MAX : iova;
}

#define MOVED (8 * MB)		/* where the "new process" finds the memory */

static void *moved(void *user, uint64_t old_vaddr, uint64_t len)
{
	(void)len;
	(*(int *)user)++;
	return (void *)(uintptr_t)(old_vaddr + MOVED);
}

static void *nowhere(void *user, uint64_t old_vaddr, uint64_t len)
{
	(void)user;
	(void)len;
	return old_vaddr == (uintptr_t)mem + MB ? NULL : (void *)(uintptr_t)old_vaddr;
}

/*
 * A mapping of 2 pages, its alias, one page at 1 MiB; vaddrs invalidated,
 * the state saved into @state (returned: its size); then the books
 * forgotten as a new process starts without them, its container adopted
 * with the same kernel mappings.
 */
static int cpr_prepare(void *state, size_t size)
{
	uint64_t a, b;
	int need;

	fk.extensions |= 1u << VFIO_UPDATE_VADDR;
	assert_int_equal(vfiox_dma_map(c, mem, 2 * PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 2 * PG, ROM_A, NULL), 0);
	assert_int_equal(vfiox_dma_map(c, mem + MB, PG, NULL, &b), 0);
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), 3);
	assert_true(fk.maps[0].invalid && fk.maps[1].invalid && fk.maps[2].invalid);
	need = vfiox_dma_save(c, NULL, 0);
	assert_true(need > 0 && (size_t)need <= size);
	assert_int_equal(vfiox_dma_save(c, state, (size_t)need - 1), need);
	assert_int_equal(vfiox_dma_save(c, state, size), need);
	vfiox_dma_drop_all(c);
	assert_int_equal(vfiox_container_refresh(c), 0);
	assert_int_equal(vfiox_iova_space_rebuild(c), 0);
	return need;
}

static void live_update_restores_books_and_vaddrs(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	uint64_t all[4], iova_old;
	uint32_t kernel, ours;
	unsigned long calls;
	char saved[512];
	int size, called = 0;

	(void)state;
	fk.extensions |= 1u << VFIO_UNMAP_ALL;
	assert_int_equal(vfiox_dma_map(c, mem + 2 * MB, PG, NULL, &iova_old), 0);
	assert_int_equal(vfiox_dma_unmap_iova(c, iova_old, PG), 0);
	calls = fk.unmap_calls;
	size = cpr_prepare(saved, sizeof(saved));
	assert_int_equal(fk.unmap_calls, calls + 1);	/* one VADDR|ALL */
	assert_int_equal(fk.nr_maps, 3);
	assert_int_equal(xlate(mem), UINT64_MAX);
	assert_int_equal(vfiox_dma_restore(c, saved, (size_t)size, moved, &called), 3);
	assert_int_equal(called, 3);
	assert_false(fk.maps[0].invalid || fk.maps[1].invalid || fk.maps[2].invalid);
	assert_int_equal(fk.maps[1].vaddr, (uintptr_t)mem + MOVED);
	/* The alias order survives: the oldest mapping first. */
	assert_int_equal(vfiox_dma_translate_all(c, mem + MOVED + 5, all, 4), 2);
	assert_int_equal(all[1], ROM_A + 5);
	assert_int_equal(xlate(mem + MOVED + MB), fk.maps[2].iova);
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 3);
	assert_int_equal(st.mapped_bytes, 5 * PG);
	assert_int_equal(vfiox_dma_avail_check(c, &kernel, &ours), 0);
	/* The IOVAs are taken in the new allocator, and a second restore
	 * finds the container in use. */
	assert_int_equal(vfiox_dma_map_fixed(c, mem, PG, ROM_A + PG, NULL), -EEXIST);
	assert_int_equal(vfiox_dma_restore(c, saved, (size_t)size, moved, &called), -EBUSY);
	assert_int_equal(vfiox_dma_unmap_all(c), 3);
}

static void bad_state_or_failed_update_leaves_books_as_before(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	char saved[512], bad[512];
	int size, called = 0;

	(void)state;
	size = cpr_prepare(saved, sizeof(saved));
	assert_int_equal(fk.unmap_calls, 3);	/* no UNMAP_ALL: one each */
	memcpy(bad, saved, sizeof(bad));
	bad[0] = 'X';
	assert_int_equal(vfiox_dma_restore(c, bad, (size_t)size, NULL, NULL), -EINVAL);
	assert_int_equal(vfiox_dma_restore(c, saved, (size_t)size - 1, NULL, NULL), -EINVAL);
	assert_true(fk_log_has("not a state saved"));
	assert_int_equal(vfiox_dma_restore(c, saved, (size_t)size, nowhere, NULL), -EINVAL);
	assert_true(fk_log_has("no usable new address"));
	/* The kernel refuses the second update: the first is invalid again. */
	fk_fail_nth("ioctl", 3, EFAULT);
	assert_int_equal(vfiox_dma_restore(c, saved, (size_t)size, moved, &called), -EFAULT);
	assert_true(fk.maps[0].invalid && fk.maps[1].invalid && fk.maps[2].invalid);
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 0);
	assert_int_equal(xlate(mem + MOVED), UINT64_MAX);
	/* And then it works. */
	assert_int_equal(vfiox_dma_restore(c, saved, (size_t)size, NULL, NULL), 3);
	assert_int_equal(fk.maps[0].vaddr, (uintptr_t)mem);
	assert_int_equal(vfiox_dma_unmap_all(c), 3);
}

static void invalidate_without_the_extension_is_enotsup(void **state)
{
	uint64_t a;

	(void)state;
	assert_int_equal(vfiox_dma_map(c, mem, PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), -ENOTSUP);
	assert_true(fk_log_has("lacks VFIO_UPDATE_VADDR"));
	assert_false(fk.maps[0].invalid);
	/* One failing invalidation of three: the two before are valid again. */
	fk.extensions |= 1u << VFIO_UPDATE_VADDR;
	assert_int_equal(vfiox_dma_map(c, mem + PG, PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_map(c, mem + 2 * PG, PG, NULL, &a), 0);
	fk_fail_nth("ioctl", 4, EIO);	/* the check, two invalidations */
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), -EIO);
	assert_false(fk.maps[0].invalid || fk.maps[1].invalid || fk.maps[2].invalid);
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), 3);
}

/* A handover called off: the vaddrs come back, all or none. */
static void revalidate_gives_the_vaddrs_back(void **state)
{
	uint64_t a;

	(void)state;
	assert_int_equal(vfiox_dma_revalidate_vaddrs(c), -ENOTSUP);
	fk.extensions |= 1u << VFIO_UPDATE_VADDR;
	assert_int_equal(vfiox_dma_map(c, mem, PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_map(c, mem + PG, PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), 2);
	assert_true(fk.maps[0].invalid && fk.maps[1].invalid);
	fk_fail_nth("ioctl", 3, EIO);	/* the check, one update, then this */
	assert_int_equal(vfiox_dma_revalidate_vaddrs(c), -EIO);
	assert_true(fk.maps[0].invalid && fk.maps[1].invalid);
	assert_int_equal(vfiox_dma_revalidate_vaddrs(c), 2);
	assert_false(fk.maps[0].invalid || fk.maps[1].invalid);
	assert_int_equal(vfiox_dma_unmap_all(c), 2);
	assert_int_equal(vfiox_dma_revalidate_vaddrs(NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(live_update_restores_books_and_vaddrs),
		T(bad_state_or_failed_update_leaves_books_as_before),
		T(invalidate_without_the_extension_is_enotsup),
		T(revalidate_gives_the_vaddrs_back),
#undef T
	};

	return cmocka_run_group_tests_name("dma_cpr", tests, group_setup, NULL);
}
