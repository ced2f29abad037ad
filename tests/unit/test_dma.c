// SPDX-License-Identifier: MIT
/* The DMA engine against the fake kernel's type1. */
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

FK_GROUP7_FIXTURE

static uint8_t *mem;		/* 64 MiB, 2 MiB aligned */
#define MEM_SIZE (64 * MB)

static int group_setup(void **state)
{
	(void)state;
	mem = fk_aligned_memory(MEM_SIZE);
	return mem ? 0 : -1;
}

static void map_picks_iova_and_translates(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	uint64_t a, b, iova;
	void *va;

	(void)state;
	assert_int_equal(vfiox_dma_map(c, mem, 8192, NULL, &a), 0);
	assert_int_equal(vfiox_dma_map(c, mem + 2 * MB, 2 * MB, NULL, &b), 0);
	assert_int_equal(b % (2 * MB), 0);	/* large buffers get large pages */
	assert_int_equal(vfiox_dma_translate(c, mem + 4100, &iova), 0);
	assert_int_equal(iova, a + 4100);
	assert_int_equal(vfiox_dma_translate(c, mem + 3 * MB - 1, &iova), 0);
	assert_int_equal(iova, b + MB - 1);
	assert_int_equal(vfiox_dma_translate(c, mem + 8192, &iova), -ENOENT);
	assert_int_equal(vfiox_dma_reverse(c, b + 5, &va), 0);
	assert_ptr_equal(va, mem + 2 * MB + 5);
	assert_int_equal(vfiox_dma_reverse(c, 0xfee00000, &va), -ENOENT);
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 2);
	assert_int_equal(st.entries_avail, 65533);
	assert_int_equal(st.mapped_bytes, 8192 + 2 * MB);
	assert_int_equal(fk.nr_maps, 2);
}

static void bad_arguments_make_no_syscall(void **state)
{
	unsigned long calls = fk.map_calls;
	uint64_t iova;

	(void)state;
	assert_int_equal(vfiox_dma_map(c, mem, 0, NULL, &iova), -EINVAL);
	assert_int_equal(vfiox_dma_map(c, mem + 1, 4096, NULL, &iova), -EINVAL);
	assert_int_equal(vfiox_dma_map(c, mem, 4095, NULL, &iova), -EINVAL);
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 4096, 0x1001, NULL), -EINVAL);
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 8192, UINT64_MAX - 4095, NULL), -EINVAL);
	assert_int_equal(vfiox_dma_map(c, (void *)(uintptr_t)(UINT64_MAX - 4095), 8192, NULL, &iova), -EINVAL);
	assert_int_equal(vfiox_dma_unmap_iova(c, 0, 0), -EINVAL);
	assert_int_equal(fk.map_calls, calls);
	assert_true(fk_log_has("not 4096-byte aligned"));
}

static void map_outside_iova_ranges_is_rejected(void **state)
{
	unsigned long calls = fk.map_calls;

	(void)state;
	/* The MSI window between the two ranges, and past the aperture. */
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 4096, 0xfee00000, NULL), -EINVAL);
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 8192, 0xfedff000, NULL), -EINVAL);
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 4096, 0x8000000000ULL, NULL), -EINVAL);
	assert_int_equal(fk.map_calls, calls);
	assert_true(fk_log_has("leaves the usable IOVA ranges"));
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 4096, 0xfef00000, NULL), 0);
}

static void reserved_regions_are_never_allocated(void **state)
{
	uint64_t iova;
	int i;

	(void)state;
	vfiox_container_close(c);
	fk_reset();
	/* The floppy workaround's relaxable region: VFIO's ranges ignore it. */
	strcpy(fk.files[2].content, "0x0000000000000000 0x0000000000ffffff direct-relaxable\n"
				    "0x00000000fee00000 0x00000000feefffff msi\n");
	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	for (i = 0; i < 64; i++) {
		assert_int_equal(vfiox_dma_map(c, mem + i * 4096, 4096, NULL, &iova), 0);
		assert_true(iova > 0xffffff);
	}
	assert_int_equal(vfiox_dma_map_fixed(c, mem + MB, 4096, 0x100000, NULL), -EPERM);
	assert_true(fk_log_has("overlaps direct-relaxable region"));
}

static void failed_ioctl_gives_the_iova_back(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	uint64_t first, again;

	(void)state;
	fk_fail_nth("ioctl", 1, ENOMEM);
	assert_int_equal(vfiox_dma_map(c, mem, 4096, NULL, &first), -ENOMEM);
	fk.fail_at = 0;
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 0);
	assert_int_equal(vfiox_dma_translate(c, mem, &again), -ENOENT);
	/* First fit starts at IOVA 0: the failed attempt's IOVA came back. */
	assert_int_equal(vfiox_dma_map(c, mem, 4096, NULL, &again), 0);
	assert_int_equal(again, 0);
}

static void overlaps_are_eexist(void **state)
{
	uint64_t iova;

	(void)state;
	assert_int_equal(vfiox_dma_map(c, mem, 8192, NULL, &iova), 0);
	/* IOVAs only: a vaddr overlap is an alias (test_dma_vmm). */
	assert_int_equal(vfiox_dma_map_fixed(c, mem + MB, 4096, iova + 4096, NULL), -EEXIST);
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 4096, iova, NULL), -EEXIST);
	assert_true(fk_log_has("overlaps the mapping"));
	assert_int_equal(fk.nr_maps, 1);
}

static void partial_unmap_is_einval(void **state)
{
	uint64_t iova;

	(void)state;
	assert_int_equal(vfiox_dma_map(c, mem, 8192, NULL, &iova), 0);
	assert_int_equal(vfiox_dma_unmap_iova(c, iova, 4096), -EINVAL);
	assert_int_equal(vfiox_dma_unmap_iova(c, iova + 4096, 4096), -EINVAL);
	assert_true(fk_log_has("cannot split"));
	assert_int_equal(vfiox_dma_unmap_iova(c, 0x40000000, 4096), -ENOENT);
	assert_int_equal(fk.nr_maps, 1);
	assert_int_equal(vfiox_dma_unmap_vaddr(c, mem, 8192), 0);
	assert_int_equal(fk.nr_maps, 0);
	assert_int_equal(vfiox_dma_translate(c, mem, &iova), -ENOENT);
}

static void dma_avail_runs_out_before_the_kernel(void **state)
{
	unsigned long calls;
	uint64_t iova;
	int i;

	(void)state;
	vfiox_container_close(c);
	fk_reset();
	fk.dma_avail = 3;
	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(vfiox_dma_map(c, mem + i * 4096, 4096, NULL, &iova), 0);
	calls = fk.map_calls;
	assert_int_equal(vfiox_dma_map(c, mem + 3 * 4096, 4096, NULL, &iova), -ENOSPC);
	assert_int_equal(fk.map_calls, calls);
	assert_true(fk_log_has("all 3 kernel DMA entries are in use"));
	assert_int_equal(vfiox_dma_unmap_vaddr(c, mem, 4096), 0);
	assert_int_equal(vfiox_dma_map(c, mem + 3 * 4096, 4096, NULL, &iova), 0);
}

static void dma_avail_check_compares_with_the_kernel(void **state)
{
	uint32_t kernel = 0, ours = 0;
	uint64_t iova;
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(vfiox_dma_map(c, mem + i * 4096, 4096, NULL, &iova), 0);
	assert_int_equal(vfiox_dma_avail_check(c, &kernel, &ours), 0);
	assert_int_equal(kernel, 65532);
	assert_int_equal(ours, 65532);
	/* Another user of the container fd takes two entries. */
	fk.dma_avail -= 2;
	assert_int_equal(vfiox_dma_avail_check(c, &kernel, &ours), 1);
	assert_int_equal(kernel, 65530);
	assert_int_equal(ours, 65532);
	assert_true(fk_log_has("the kernel has 65530 mapping entries left, libvfiox counts 65532"));
	fk_fail_nth("ioctl", 1, EFAULT);
	kernel = ours = 7;	/* a refused check leaves both alone */
	assert_int_equal(vfiox_dma_avail_check(c, &kernel, &ours), -EFAULT);
	assert_int_equal(kernel, 7);
	assert_int_equal(ours, 7);
	fk.fail_at = 0;
	assert_int_equal(vfiox_dma_avail_check(c, NULL, &ours), -EINVAL);
	/* A kernel without the dma_avail capability. */
	fk_info_begin(0x1000);
	assert_int_equal(vfiox_dma_avail_check(c, &kernel, &ours), -ENOTSUP);
	assert_true(fk_log_has("does not report dma_avail"));
	assert_int_equal(kernel, 7);
	assert_int_equal(ours, 7);
}

static void narrow_dma_mask_is_honoured(void **state)
{
	struct vfiox_dma_opts o = { .sz = sizeof(o), .iova_limit = 0xfffffff };
	uint64_t iova;
	int i;

	(void)state;
	/* Push the low space full, then ask for 28-bit buffers. */
	assert_int_equal(vfiox_dma_map(c, mem, 32 * MB, NULL, &iova), 0);
	for (i = 0; i < 8; i++) {
		assert_int_equal(vfiox_dma_map(c, mem + 32 * MB + i * 2 * MB, 2 * MB, &o, &iova), 0);
		assert_true(iova + 2 * MB - 1 <= 0xfffffff);
	}
	o.iova_limit = 0x1ffffff;	/* 32 MiB: already used by the first map */
	assert_int_equal(vfiox_dma_map(c, mem + 60 * MB, 2 * MB, &o, &iova), -ENOSPC);
	assert_true(fk_log_has("at or below 0x1ffffff"));
	o.align = 3;
	assert_int_equal(vfiox_dma_map(c, mem + 60 * MB, 4096, &o, &iova), -EINVAL);
}

static void second_group_shrinking_space_reports_mappings(void **state)
{
	static const struct vfio_iova_range small[] = { { 0, 0xfffff } };
	struct vfiox_group *g9;
	uint64_t iova;

	(void)state;
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 4096, 0x200000, NULL), 0);
	fk.nr_groups = 2;
	fk.groups[1] = fk.groups[0];
	fk.groups[1].nr = 9;
	fk.groups[1].attached = false;
	fk_add_file("/fake/sys/kernel/iommu_groups/9/reserved_regions", "");
	fk_info_begin(0x1000);
	fk_info_add_dma_avail(fk.dma_avail);
	fk_info_add_iova(small, 1);
	assert_int_equal(vfiox_group_open(c, 9, &g9), 0);
	assert_true(fk_log_has("mapping [0x200000, 0x200fff] now lies outside"));
	assert_int_equal(vfiox_dma_map(c, mem + MB, 2 * MB, NULL, &iova), -ENOSPC);
	assert_int_equal(vfiox_dma_map(c, mem + MB, 4096, NULL, &iova), 0);
	assert_true(iova <= 0xfffff);
}

static void unmap_all_then_last_detach_drops_every_mapping(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	uint64_t iova;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		assert_int_equal(vfiox_dma_map(c, mem + i * 8192, 4096, NULL, &iova), 0);
	assert_int_equal(vfiox_dma_unmap_all(c), 5);
	assert_int_equal(fk.nr_maps, 0);
	assert_int_equal(vfiox_dma_map(c, mem, 4096, NULL, &iova), 0);
	vfiox_group_close(g);
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 0);
	assert_int_equal(vfiox_dma_translate(c, mem, &iova), -ENOENT);
	assert_int_equal(vfiox_dma_map(c, mem, 4096, NULL, &iova), -ENODEV);
	assert_true(fk_log_has("the kernel dropped 1 mappings"));
	/* Routine, as the docs say: information, not a warning. */
	assert_int_equal(fk_log_level("the kernel dropped 1 mappings"), VFIOX_LOG_INFO);
}

/*
 * iommufd's compat container keeps its IOAS, and the mappings in it, when
 * the last group leaves: so do libvfiox's books, and a map after the group
 * is back does not pick an IOVA the kernel still holds. (The machine turns
 * compat here: the fake reads the flag when the group leaves.)
 */
static void iommufd_compat_keeps_mappings_when_the_last_group_leaves(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	uint64_t iova, again;

	(void)state;
	fk.iommufd_compat = true;
	assert_int_equal(vfiox_dma_map(c, mem, 4096, NULL, &iova), 0);
	vfiox_group_close(g);
	assert_int_equal(fk.nr_maps, 1);
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 1);
	assert_false(fk_log_has("the kernel dropped"));
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_dma_translate(c, mem, &again), 0);
	assert_int_equal(again, iova);
	assert_int_equal(vfiox_dma_map(c, mem + 8192, 4096, NULL, &again), 0);
	assert_int_not_equal(again, iova);
	assert_int_equal(fk.nr_maps, 2);
	assert_int_equal(vfiox_dma_unmap_all(c), 2);
}

/* A kernel that cannot say whether the IOMMU stayed: type1's rule, logged. */
static void last_detach_without_an_answer_drops_the_books(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	uint64_t iova;

	(void)state;
	assert_int_equal(vfiox_dma_map(c, mem, 4096, NULL, &iova), 0);
	fk_fail_nth("ioctl", 2, EFAULT);	/* UNSET_CONTAINER, then GET_INFO */
	vfiox_group_close(g);
	assert_true(fk_log_has("VFIO_IOMMU_GET_INFO: Bad address"));
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 0);
	assert_int_equal(fk.nr_maps, 0);
}

struct worker {
	int id;
	int errors;
};

static void *map_translate_unmap(void *arg)
{
	struct worker *w = arg;
	uint8_t *base = mem + (size_t)w->id * 8 * MB;
	int round, i;

	for (round = 0; round < 200; round++) {
		uint64_t iova[16], t;

		for (i = 0; i < 16; i++)
			w->errors += vfiox_dma_map(c, base + i * 8192, 4096, NULL, &iova[i]) != 0;
		for (i = 0; i < 16; i++)
			w->errors += vfiox_dma_translate(c, base + i * 8192 + 7, &t) != 0 ||
				     t != iova[i] + 7;
		for (i = 0; i < 16; i++)
			w->errors += vfiox_dma_unmap_iova(c, iova[i], 4096) != 0;
	}
	return NULL;
}

static void concurrent_map_translate_unmap_agree(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	struct worker w[4];
	pthread_t th[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ i, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, map_translate_unmap, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].errors, 0);
	}
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 0);
	assert_int_equal(fk.nr_maps, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(map_picks_iova_and_translates),
		T(bad_arguments_make_no_syscall),
		T(map_outside_iova_ranges_is_rejected),
		T(reserved_regions_are_never_allocated),
		T(failed_ioctl_gives_the_iova_back),
		T(overlaps_are_eexist),
		T(partial_unmap_is_einval),
		T(dma_avail_runs_out_before_the_kernel),
		T(dma_avail_check_compares_with_the_kernel),
		T(narrow_dma_mask_is_honoured),
		T(second_group_shrinking_space_reports_mappings),
		T(unmap_all_then_last_detach_drops_every_mapping),
		T(iommufd_compat_keeps_mappings_when_the_last_group_leaves),
		T(last_detach_without_an_answer_drops_the_books),
		T(concurrent_map_translate_unmap_agree),
#undef T
	};

	return cmocka_run_group_tests_name("dma", tests, group_setup, NULL);
}
