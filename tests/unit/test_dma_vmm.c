// SPDX-License-Identifier: MIT
/*
 * What a VMM asks of the DMA engine, against the fake kernel's type1: one
 * buffer at several IOVAs (aliases); range unmaps and unmap-all in one
 * ioctl each; dirty page bitmaps, split to the kernel's largest. Live
 * update is test_dma_cpr.c.
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

#define MEM_SIZE (16 * MB)

FK_GROUP7_FIXTURE
FK_MEM_FIXTURE(MEM_SIZE)

static void one_buffer_at_three_iovas_translates_through_the_oldest(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	uint64_t a, all[4] = { 0 }, one[2] = { 0, 42 };
	uint32_t kernel, ours;
	void *va;

	(void)state;
	assert_int_equal(vfiox_dma_map(c, mem, 2 * PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 2 * PG, ROM_A, NULL), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, mem + PG, PG, ROM_B, NULL), 0);
	assert_int_equal(fk.nr_maps, 3);
	assert_int_equal(fk.maps[1].vaddr, (uintptr_t)mem);
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 3);
	assert_int_equal(st.entries_avail, 65535 - 3);
	assert_int_equal(st.mapped_bytes, 5 * PG);
	assert_int_equal(vfiox_dma_avail_check(c, &kernel, &ours), 0);
	assert_int_equal(xlate(mem + PG + 4), a + PG + 4);
	assert_int_equal(vfiox_dma_translate_all(c, mem + PG + 4, all, 4), 3);
	assert_int_equal(all[0], a + PG + 4);
	assert_int_equal(all[1], ROM_A + PG + 4);
	assert_int_equal(all[2], ROM_B + 4);
	assert_int_equal(all[3], 0);
	/* Too small an array: the count, and nothing written past it. */
	assert_int_equal(vfiox_dma_translate_all(c, mem + PG, one, 1), 3);
	assert_int_equal(one[0], a + PG);
	assert_int_equal(one[1], 42);
	assert_int_equal(vfiox_dma_translate_all(c, mem + 5, NULL, 0), 2);
	assert_int_equal(vfiox_dma_translate_all(c, mem + 5, NULL, 1), -EINVAL);
	assert_int_equal(vfiox_dma_reverse(c, ROM_A + 5, &va), 0);
	assert_ptr_equal(va, mem + 5);
	assert_int_equal(vfiox_dma_reverse(c, ROM_B + 5, &va), 0);
	assert_ptr_equal(va, mem + PG + 5);
	/* Unmapping a younger alias changes nothing for the others. */
	assert_int_equal(vfiox_dma_unmap_iova(c, ROM_A, 2 * PG), 0);
	assert_int_equal(xlate(mem + PG + 4), a + PG + 4);
	assert_int_equal(vfiox_dma_reverse(c, ROM_A + 5, &va), -ENOENT);
	/* Unmapping the oldest hands each page to the next oldest. */
	assert_int_equal(vfiox_dma_unmap_iova(c, a, 2 * PG), 0);
	assert_int_equal(xlate(mem + PG + 4), ROM_B + 4);
	assert_int_equal(xlate(mem + 4), UINT64_MAX);
	assert_int_equal(vfiox_dma_translate_all(c, mem + 4, all, 4), 0);
	assert_int_equal(vfiox_dma_translate_all(c, mem + PG, all, 4), 1);
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 1);
	assert_int_equal(st.mapped_bytes, PG);
	assert_int_equal(vfiox_dma_avail_check(c, &kernel, &ours), 0);
	assert_int_equal(fk.nr_maps, 1);
}

static void unmap_vaddr_of_an_aliased_buffer_takes_the_exact_oldest(void **state)
{
	uint64_t a, all[4];

	(void)state;
	assert_int_equal(vfiox_dma_map(c, mem, 2 * PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, mem + PG, PG, ROM_B, NULL), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 2 * PG, ROM_A, NULL), 0);
	/* The one-page alias, not the older two-page mapping that owns it. */
	assert_int_equal(vfiox_dma_unmap_vaddr(c, mem + PG, PG), 0);
	assert_int_equal(vfiox_dma_translate_all(c, mem + PG, all, 4), 2);
	assert_int_equal(all[1], ROM_A + PG);
	/* Two exact ones: the oldest goes first. */
	assert_int_equal(vfiox_dma_unmap_vaddr(c, mem, 2 * PG), 0);
	assert_int_equal(xlate(mem), ROM_A);
	assert_int_equal(vfiox_dma_unmap_vaddr(c, mem, PG), -EINVAL);
	assert_true(fk_log_has("cannot split"));
	assert_int_equal(vfiox_dma_unmap_vaddr(c, mem, 2 * PG), 0);
	assert_int_equal(fk.nr_maps, 0);
	assert_int_equal(vfiox_dma_unmap_vaddr(c, mem, 2 * PG), -ENOENT);
}

static void failed_alias_map_leaves_the_books_as_before(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	uint64_t a, all[2];

	(void)state;
	assert_int_equal(vfiox_dma_map(c, mem, 2 * MB, NULL, &a), 0);
	fk_fail_nth("ioctl", 1, ENOMEM);
	assert_int_equal(vfiox_dma_map_fixed(c, mem + MB, PG, ROM_A, NULL), -ENOMEM);
	assert_int_equal(vfiox_dma_translate_all(c, mem + MB, all, 2), 1);
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 1);
	/* The IOVA came back: the same map now works; both unmap cleanly. */
	assert_int_equal(vfiox_dma_map_fixed(c, mem + MB, PG, ROM_A, NULL), 0);
	assert_int_equal(vfiox_dma_unmap_iova(c, a, 2 * MB), 0);
	assert_int_equal(xlate(mem + MB + 3), ROM_A + 3);
	assert_int_equal(xlate(mem), UINT64_MAX);
	assert_int_equal(vfiox_dma_unmap_all(c), 1);
	assert_int_equal(fk.nr_maps, 0);
}

/* A VMM's aliases share IOVAs with nothing: a clash is still refused. */
static void alias_at_a_taken_iova_is_eexist(void **state)
{
	uint64_t a;

	(void)state;
	assert_int_equal(vfiox_dma_map(c, mem, 2 * PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 2 * PG, a + PG, NULL), -EEXIST);
	assert_true(fk_log_has("overlaps the mapping at"));
	assert_int_equal(fk.nr_maps, 1);
}

struct churn {
	uint64_t iova;		/* where this writer maps its alias */
	int *stop;		/* atomics: the threads share them */
	int errors;
	int rounds;
};

#define GET(p) __atomic_load_n((p), __ATOMIC_RELAXED)

/* Map and unmap an alias of mem's first 2 MiB, over and over. */
static void *churn_alias(void *arg)
{
	struct churn *w = arg;

	while (!GET(w->stop)) {
		w->errors += vfiox_dma_map_fixed(c, mem, 2 * MB, w->iova, NULL) != 0;
		w->errors += vfiox_dma_unmap_iova(c, w->iova, 2 * MB) != 0;
		__atomic_fetch_add(&w->rounds, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * Lock-free readers stay exact with aliases coming and going: translate of
 * an aliased vaddr always gives its oldest mapping's IOVA, and translate of
 * a page only the aliases map gives one of theirs or -ENOENT, never a torn
 * value. Two writers churn aliases (one of them over a 2 MiB block of the
 * oldest mapping, split at the first insert) while the main thread reads.
 */
static void readers_see_the_oldest_while_aliases_churn(void **state)
{
	int stop = 0;
	struct churn w[2] = { { ROM_A, &stop, 0, 0 }, { ROM_B, &stop, 0, 0 } };
	pthread_t th[2];
	uint64_t a, iova;
	int i, bad = 0, ret;

	(void)state;
	assert_int_equal(vfiox_dma_map(c, mem, MB, NULL, &a), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, churn_alias, &w[i]), 0);
	/* At least 200k reads, and until each writer made 1000 rounds. */
	for (i = 0; i < 200000 || GET(&w[0].rounds) < 1000 || GET(&w[1].rounds) < 1000; i++) {
		bad += xlate(mem + (i % 256) * PG + 5) != a + (i % 256) * PG + 5;
		ret = vfiox_dma_translate(c, mem + MB + 7, &iova);
		bad += !(ret == -ENOENT || (!ret && (iova == ROM_A + MB + 7 ||
						     iova == ROM_B + MB + 7)));
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].errors, 0);
	}
	assert_int_equal(bad, 0);
	assert_int_equal(fk.nr_maps, 1);
	assert_int_equal(vfiox_dma_unmap_iova(c, a, MB), 0);
}

/* Two mappings of mem + PG, 2 MiB + 3 pages (across block edges), at
 * ROM_A and ROM_B: unmap the older, map it again (now the younger), over
 * and over, so that every round hands the vaddrs over to the other. */
static void *hand_over(void *arg)
{
	struct churn *w = arg;
	const uint64_t len = 2 * MB + 3 * PG;
	uint64_t older = ROM_A;

	while (!GET(w->stop)) {
		w->errors += vfiox_dma_unmap_iova(c, older, len) != 0;
		w->errors += vfiox_dma_map_fixed(c, mem + PG, len, older, NULL) != 0;
		older = older == ROM_A ? ROM_B : ROM_A;
		__atomic_fetch_add(&w->rounds, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * The lock-free reader across the handover: while the oldest mapping of a
 * buffer goes and an alias takes its vaddrs over (clear, then refill, in
 * one write window), a translate gives one of the two IOVAs, never
 * -ENOENT or a torn value.
 */
static void readers_see_an_iova_while_the_oldest_hands_over(void **state)
{
	const uint64_t len = 2 * MB + 3 * PG;
	int stop = 0;
	struct churn w = { 0, &stop, 0, 0 };
	uint64_t off, iova;
	int i, bad = 0, ret;
	pthread_t th;

	(void)state;
	assert_int_equal(vfiox_dma_map_fixed(c, mem + PG, len, ROM_A, NULL), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, mem + PG, len, ROM_B, NULL), 0);
	assert_int_equal(pthread_create(&th, NULL, hand_over, &w), 0);
	for (i = 0; i < 200000 || GET(&w.rounds) < 1000; i++) {
		off = (uint64_t)(i % 515) * PG + (uint64_t)i % 61;
		ret = vfiox_dma_translate(c, mem + PG + off, &iova);
		bad += ret || (iova != ROM_A + off && iova != ROM_B + off);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	assert_int_equal(w.errors, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(fk.nr_maps, 2);
	assert_int_equal(vfiox_dma_unmap_all(c), 2);
}

#define SLOT 0x100000ULL	/* a "guest memory slot" of ten mappings */

/* Ten one-page mappings a page apart from SLOT, and one past the slot. */
static void map_slot(void)
{
	int i;

	for (i = 0; i < 10; i++)
		assert_int_equal(vfiox_dma_map_fixed(c, mem + i * PG, PG,
						     SLOT + 2 * i * PG, NULL), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, mem + MB, PG, SLOT + MB, NULL), 0);
}

static void range_unmap_of_ten_mappings_is_one_ioctl(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	unsigned long calls;
	uint32_t kernel, ours;

	(void)state;
	map_slot();
	/* An alias of one of them outside the range stays. */
	assert_int_equal(vfiox_dma_map_fixed(c, mem + 3 * PG, PG, ROM_A, NULL), 0);
	calls = fk.unmap_calls;
	assert_int_equal(vfiox_dma_unmap_range(c, SLOT, 20 * PG), 10);
	assert_int_equal(fk.unmap_calls, calls + 1);
	assert_int_equal(fk.nr_maps, 2);
	assert_int_equal(xlate(mem), UINT64_MAX);
	assert_int_equal(xlate(mem + 3 * PG + 1), ROM_A + 1);
	assert_int_equal(xlate(mem + MB), SLOT + MB);
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 2);
	assert_int_equal(st.mapped_bytes, 2 * PG);
	assert_int_equal(vfiox_dma_avail_check(c, &kernel, &ours), 0);
	/* The IOVAs are free again: the slot maps as one buffer. */
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 20 * PG, SLOT, NULL), 0);
	assert_int_equal(vfiox_dma_unmap_range(c, 0, SLOT + 2 * MB), 2);
	assert_int_equal(fk.unmap_calls, calls + 2);
	assert_int_equal(vfiox_dma_unmap_all(c), 1);
	assert_int_equal(fk.nr_maps, 0);
}

static void range_that_would_split_a_mapping_makes_no_syscall(void **state)
{
	unsigned long calls;
	uint64_t a;

	(void)state;
	map_slot();
	assert_int_equal(vfiox_dma_map_fixed(c, mem + 2 * MB, 2 * PG, SLOT + 2 * MB, NULL), 0);
	calls = fk.unmap_calls;
	/* Starts inside the big one, ends inside it, or holds nothing. */
	assert_int_equal(vfiox_dma_unmap_range(c, SLOT + 2 * MB + PG, MB), -EINVAL);
	assert_true(fk_log_has("would split the mapping"));
	assert_int_equal(vfiox_dma_unmap_range(c, SLOT, 2 * MB + PG), -EINVAL);
	assert_int_equal(vfiox_dma_unmap_range(c, SLOT + PG, PG), -ENOENT);
	assert_int_equal(vfiox_dma_unmap_range(c, SLOT, 0), -EINVAL);
	assert_int_equal(vfiox_dma_unmap_range(c, UINT64_MAX - PG + 1, 2 * PG), -EINVAL);
	assert_int_equal(vfiox_dma_unmap_range(NULL, SLOT, PG), -EINVAL);
	assert_int_equal(fk.unmap_calls, calls);
	assert_int_equal(fk.nr_maps, 12);
	/* A refused kernel call leaves the books as they were. */
	fk_fail_nth("ioctl", 1, EBUSY);
	assert_int_equal(vfiox_dma_unmap_range(c, SLOT, 20 * PG), -EBUSY);
	assert_int_equal(fk.nr_maps, 12);
	assert_int_equal(xlate(mem + 9 * PG), SLOT + 18 * PG);
	assert_int_equal(vfiox_dma_map(c, mem, PG, NULL, &a), 0);	/* an alias */
	assert_true(a < SLOT);
	assert_int_equal(vfiox_dma_unmap_range(c, SLOT, 20 * PG), 10);
	assert_int_equal(xlate(mem), a);
}

static void unmap_all_is_one_ioctl_where_the_kernel_has_it(void **state)
{
	unsigned long calls;
	uint32_t kernel, ours;

	(void)state;
	fk.extensions |= 1u << VFIO_UNMAP_ALL;
	map_slot();
	assert_int_equal(vfiox_dma_map_fixed(c, mem, PG, ROM_A, NULL), 0);
	calls = fk.unmap_calls;
	assert_int_equal(vfiox_dma_unmap_all(c), 12);
	assert_int_equal(fk.unmap_calls, calls + 1);
	assert_int_equal(fk.nr_maps, 0);
	assert_int_equal(xlate(mem), UINT64_MAX);
	assert_int_equal(vfiox_dma_avail_check(c, &kernel, &ours), 0);
	assert_int_equal(vfiox_dma_unmap_all(c), 0);
	assert_int_equal(fk.unmap_calls, calls + 1);
	/* Without the extension: one call per mapping. */
	fk.extensions &= ~(1u << VFIO_UNMAP_ALL);
	vfiox_group_close(g);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	map_slot();
	assert_int_equal(vfiox_dma_unmap_all(c), 11);
	assert_int_equal(fk.unmap_calls, calls + 12);
}

/* Three mappings in the slot: pages 0-3, 70-71 and 200 of it. */
static void map_three(void)
{
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 4 * PG, SLOT, NULL), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, mem + 8 * PG, 2 * PG, SLOT + 70 * PG, NULL), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, mem + 16 * PG, PG, SLOT + 200 * PG, NULL), 0);
}

/* Exactly bits 0-3, 70-71 and 200 of the four words. */
static void assert_three_dirty(const uint64_t *bm)
{
	assert_int_equal(bm[0], 0xf);
	assert_int_equal(bm[1], 0xc0);
	assert_int_equal(bm[2], 0);
	assert_int_equal(bm[3], 1ULL << 8);
}

/* The IOMMU info again, with the largest bitmap @max (0: no migration cap). */
static void kernel_bitmap_max(uint64_t max)
{
	static const struct vfio_iova_range ranges[] = {
		{ 0, 0xfedfffffULL }, { 0xfef00000ULL, 0x7fffffffffULL },
	};

	fk_info_begin(0x40201000ULL);
	if (max)
		fk_info_add_migration(0x1000, max);
	fk_info_add_dma_avail(fk.dma_avail);
	fk_info_add_iova(ranges, 2);
	assert_int_equal(vfiox_container_refresh(c), 0);
}

/* A bitmap query of someone else on the container fd, straight to the
 * kernel: [base, base + len), 4 KiB pages. */
static int raw_get_bitmap(uint64_t base, uint64_t len, uint64_t *bm, size_t size)
{
	uint64_t arg[(sizeof(struct vfio_iommu_type1_dirty_bitmap) +
		      sizeof(struct vfio_iommu_type1_dirty_bitmap_get)) / 8];
	struct vfio_iommu_type1_dirty_bitmap d = {
		.argsz = sizeof(arg), .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
	};
	struct vfio_iommu_type1_dirty_bitmap_get g = {
		base, len, { PG, size, (__u64 *)bm },
	};

	memset(bm, 0, size);
	memcpy(arg, &d, sizeof(d));
	memcpy((char *)arg + sizeof(d), &g, sizeof(g));
	return fake_sys.ioctl(vfiox_container_fd(c), VFIO_IOMMU_DIRTY_PAGES, arg);
}

static void dirty_bitmap_has_every_mapped_page_as_type1_gives_it(void **state)
{
	uint64_t bm[4] = { ~0ULL, ~0ULL, ~0ULL, ~0ULL };

	(void)state;
	map_three();
	assert_int_equal(vfiox_dma_dirty_bitmap(c, SLOT, 256 * PG, bm, sizeof(bm)), -EINVAL);
	assert_true(fk_log_has("tracking is not started"));
	assert_int_equal(fk.dirty_gets, 0);
	assert_int_equal(vfiox_dma_dirty_start(c), 0);
	assert_true(fk.dirty);
	assert_int_equal(vfiox_dma_dirty_bitmap(c, SLOT, 256 * PG, bm, sizeof(bm)), 0);
	/* Pages 70 and 200 are off a 64-page step: a call each (dma_dirty.c). */
	assert_int_equal(fk.dirty_gets, 3);
	assert_three_dirty(bm);
	/* A range without mappings: zeros, and no call. */
	assert_int_equal(vfiox_dma_dirty_bitmap(c, SLOT + 4 * PG, 64 * PG, bm, 8), 0);
	assert_int_equal(bm[0], 0);
	assert_int_equal(fk.dirty_gets, 3);
	/* Mappings 64 pages apart: one call. */
	assert_int_equal(vfiox_dma_map_fixed(c, mem + 32 * PG, PG, SLOT + 256 * PG, NULL), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, mem + 40 * PG, 65 * PG, SLOT + 320 * PG, NULL), 0);
	/* Another user's query with the one-page mapping at bit 6 leaves a
	 * stale bit after it in the kernel; libvfiox's query, which has the
	 * kernel write that word straight into the caller's bitmap, clears it. */
	assert_int_equal(raw_get_bitmap(SLOT + 250 * PG, 64 * PG, bm, 8), 0);
	assert_int_equal(bm[0], 1ULL << 6);
	memset(bm, 0xff, sizeof(bm));
	assert_int_equal(vfiox_dma_dirty_bitmap(c, SLOT + 256 * PG, 129 * PG, bm, 24), 0);
	assert_int_equal(fk.dirty_gets, 5);
	assert_int_equal(bm[0], 1);
	assert_int_equal(bm[1], ~0ULL);
	assert_int_equal(bm[2], 1);
	assert_int_equal(vfiox_dma_dirty_stop(c), 0);
	assert_false(fk.dirty);
	assert_int_equal(vfiox_dma_dirty_bitmap(c, SLOT, 256 * PG, bm, sizeof(bm)), -EINVAL);
}

static void bigger_queries_are_split_between_mappings(void **state)
{
	uint64_t bm[4] = { ~0ULL, ~0ULL, ~0ULL, ~0ULL };
	int removed = -1;

	(void)state;
	kernel_bitmap_max(8);		/* 64 pages a call */
	map_three();
	assert_int_equal(vfiox_dma_dirty_start(c), 0);
	assert_int_equal(vfiox_dma_dirty_bitmap(c, SLOT, 256 * PG, bm, sizeof(bm)), 0);
	/* Pages 0-3; 70-71 (off a word: bounced); 200 (again). */
	assert_int_equal(fk.dirty_gets, 3);
	assert_three_dirty(bm);
	/* One mapping past the largest bitmap cannot be asked about. */
	assert_int_equal(vfiox_dma_map_fixed(c, mem + MB, 65 * PG, SLOT + MB, NULL), 0);
	assert_int_equal(vfiox_dma_dirty_bitmap(c, SLOT + MB, 65 * PG, bm, sizeof(bm)), -E2BIG);
	assert_int_equal(vfiox_dma_unmap_dirty(c, SLOT, MB + 65 * PG, bm, sizeof(bm), NULL), -ENOSPC);
	assert_int_equal(fk.dirty_gets, 3);
	/* Another user's query, off a word for the last two mappings, leaves
	 * stale bits after them in the kernel (pages 76-77 and 208 of the
	 * slot); libvfiox's next query clears them. */
	assert_int_equal(raw_get_bitmap(SLOT + 64 * PG, 64 * PG, bm, 8), 0);
	assert_int_equal(bm[0], 0xc0);
	assert_int_equal(raw_get_bitmap(SLOT + 192 * PG, 64 * PG, bm, 8), 0);
	assert_int_equal(bm[0], 1ULL << 8);
	memset(bm, 0, sizeof(bm));
	assert_int_equal(vfiox_dma_dirty_bitmap(c, SLOT, 256 * PG, bm, sizeof(bm)), 0);
	assert_three_dirty(bm);
	/* Unmapping with the bitmap splits the same way. */
	memset(bm, 0xff, sizeof(bm));
	assert_int_equal(vfiox_dma_unmap_dirty(c, SLOT, 256 * PG, bm, sizeof(bm), &removed), 3);
	assert_int_equal(removed, 3);
	assert_int_equal(fk.dirty_unmaps, 3);
	assert_three_dirty(bm);
	assert_int_equal(fk.nr_maps, 1);
	assert_int_equal(vfiox_dma_translate_all(c, mem + 8 * PG, NULL, 0), 0);
	assert_int_equal(vfiox_dma_unmap_all(c), 1);
}

/*
 * An unmap with the bitmap split in three, whose second kernel call fails:
 * the first chunk's mapping is gone from the kernel and the books, and the
 * call fails all the same (a count could not be told from a whole range's),
 * with the count and the removed one's pages given out; the next call does
 * the rest.
 */
static void partial_dirty_unmap_is_negative_with_the_count_out(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	uint64_t bm[4], iova;
	int removed = -1;

	(void)state;
	kernel_bitmap_max(8);
	map_three();
	assert_int_equal(vfiox_dma_dirty_start(c), 0);
	memset(bm, 0xff, sizeof(bm));
	fk_fail_nth("ioctl", 2, EFAULT);
	assert_int_equal(vfiox_dma_unmap_dirty(c, SLOT, 256 * PG, bm, sizeof(bm), &removed),
			 -EFAULT);
	assert_int_equal(removed, 1);
	assert_true(fk_log_has("1 mappings from IOVA 0x100000 removed, then the kernel refused"));
	assert_int_equal(bm[0], 0xf);
	assert_int_equal(bm[1], 0);
	assert_int_equal(bm[3], 0);
	assert_int_equal(fk.nr_maps, 2);
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 2);
	assert_int_equal(st.mapped_bytes, 3 * PG);
	assert_int_equal(vfiox_dma_translate(c, mem, &iova), -ENOENT);
	assert_int_equal(xlate(mem + 8 * PG), SLOT + 70 * PG);
	assert_int_equal(vfiox_dma_unmap_dirty(c, SLOT, 256 * PG, bm, sizeof(bm), &removed), 2);
	assert_int_equal(removed, 2);
	assert_int_equal(bm[0], 0);
	assert_int_equal(bm[1], 0xc0);
	assert_int_equal(bm[3], 1ULL << 8);
	assert_int_equal(fk.nr_maps, 0);
	/* Refused before any syscall: nothing removed, and it says 0. */
	removed = -1;
	assert_int_equal(vfiox_dma_unmap_dirty(c, SLOT, 256 * PG, bm, sizeof(bm), &removed),
			 -ENOENT);
	assert_int_equal(removed, 0);
}

static void bad_dirty_ranges_make_no_syscall(void **state)
{
	uint64_t bm[4];
	unsigned long calls;

	(void)state;
	map_three();
	assert_int_equal(vfiox_dma_dirty_start(c), 0);
	calls = fk.calls;
	assert_int_equal(vfiox_dma_dirty_bitmap(c, SLOT + PG, 255 * PG, bm, sizeof(bm)), -EINVAL);
	assert_true(fk_log_has("would split the mapping"));
	assert_int_equal(vfiox_dma_dirty_bitmap(c, SLOT, 256 * PG, bm, 24), -ENOSPC);
	assert_int_equal(vfiox_dma_dirty_bitmap(c, SLOT + 1, 256 * PG, bm, sizeof(bm)), -EINVAL);
	assert_int_equal(vfiox_dma_dirty_bitmap(c, SLOT, 0, bm, sizeof(bm)), -EINVAL);
	assert_int_equal(vfiox_dma_dirty_bitmap(c, SLOT, 256 * PG, NULL, sizeof(bm)), -EINVAL);
	assert_int_equal(vfiox_dma_unmap_dirty(c, SLOT + 4 * PG, 64 * PG, bm, 8, NULL), -ENOENT);
	assert_int_equal(fk.calls, calls);
	assert_int_equal(fk.nr_maps, 3);
	/* A kernel without the migration capability. */
	kernel_bitmap_max(0);
	assert_int_equal(vfiox_dma_dirty_start(c), -ENOTSUP);
	assert_true(fk_log_has("no migration capability"));
	assert_int_equal(vfiox_dma_dirty_bitmap(c, SLOT, 256 * PG, bm, sizeof(bm)), -ENOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(one_buffer_at_three_iovas_translates_through_the_oldest),
		T(unmap_vaddr_of_an_aliased_buffer_takes_the_exact_oldest),
		T(failed_alias_map_leaves_the_books_as_before),
		T(alias_at_a_taken_iova_is_eexist),
		T(readers_see_the_oldest_while_aliases_churn),
		T(readers_see_an_iova_while_the_oldest_hands_over),
		T(range_unmap_of_ten_mappings_is_one_ioctl),
		T(range_that_would_split_a_mapping_makes_no_syscall),
		T(unmap_all_is_one_ioctl_where_the_kernel_has_it),
		T(dirty_bitmap_has_every_mapped_page_as_type1_gives_it),
		T(bigger_queries_are_split_between_mappings),
		T(bad_dirty_ranges_make_no_syscall),
		T(partial_dirty_unmap_is_negative_with_the_count_out),
#undef T
	};

	return cmocka_run_group_tests_name("dma_vmm", tests, group_setup, NULL);
}
