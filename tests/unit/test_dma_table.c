// SPDX-License-Identifier: MIT
/*
 * The mapping table, directly: mappings that span radix levels, keys at the
 * top of the 64-bit space, rollback of a failed insert, node reuse, the
 * one-page shortcuts, and randomised runs (translate and reverse) checked
 * against a plain list of mappings.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/dma_table.h"

#define PG 4096ULL
#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

static struct dma_entry ent(uint64_t va, uint64_t iova, uint64_t len)
{
	return (struct dma_entry){ .vaddr = va, .iova = iova, .len = len };
}

static uint64_t xlate(const struct dma_table *t, uint64_t va)
{
	uint64_t iova = 0;

	return vfiox_dma_table_translate(t, va, &iova) ? UINT64_MAX : iova;
}

static uint64_t rev(const struct dma_table *t, uint64_t iova)
{
	uint64_t va = 0;

	return vfiox_dma_table_reverse(t, iova, &va) ? UINT64_MAX : va;
}

static void unaligned_giant_mapping_translates_everywhere(void **state)
{
	struct dma_table t;
	/* Starts a page past a 1 GiB boundary: leaf, 2 MiB and 1 GiB blocks. */
	struct dma_entry e = ent(GIB + PG, 0x7ff000, 3 * GIB + 5 * PG);
	uint64_t off[] = { 0, PG - 1, 2 * MIB, GIB, 2 * GIB + 12345, e.len - 1 };
	unsigned int i;

	(void)state;
	vfiox_dma_table_init(&t);
	assert_int_equal(vfiox_dma_table_insert(&t, &e, NULL), 0);
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		assert_int_equal(xlate(&t, e.vaddr + off[i]), e.iova + off[i]);
		assert_int_equal(rev(&t, e.iova + off[i]), e.vaddr + off[i]);
	}
	assert_int_equal(xlate(&t, e.vaddr - 1), UINT64_MAX);
	assert_int_equal(xlate(&t, e.vaddr + e.len), UINT64_MAX);
	assert_int_equal(rev(&t, e.iova + e.len), UINT64_MAX);
	vfiox_dma_table_remove(&t, vfiox_dma_table_find_va(&t, e.vaddr + GIB, 1));
	assert_int_equal(xlate(&t, e.vaddr + GIB), UINT64_MAX);
	assert_int_equal(t.n, 0);
	vfiox_dma_table_destroy(&t);
}

static void top_of_the_address_space(void **state)
{
	struct dma_table t;
	struct dma_entry hi = ent(0x1000, 0xfffffffffff00000ULL, MIB);
	struct dma_entry lo = ent(0x7ffff0000000ULL, 0, PG);

	(void)state;
	vfiox_dma_table_init(&t);
	assert_int_equal(vfiox_dma_table_insert(&t, &lo, NULL), 0);
	assert_int_equal(vfiox_dma_table_insert(&t, &hi, NULL), 0);	/* grows the roots */
	assert_int_equal(rev(&t, UINT64_MAX), 0x1000 + MIB - 1);
	assert_int_equal(rev(&t, 0x42), lo.vaddr + 0x42);
	assert_int_equal(xlate(&t, lo.vaddr + 7), 7);
	assert_ptr_equal(vfiox_dma_table_find_iova(&t, 0xfffffffffff80000ULL, 0x80000),
			 vfiox_dma_table_find_va(&t, 0x1000, PG));
	vfiox_dma_table_destroy(&t);
}

static void failed_insert_leaves_table_as_before(void **state)
{
	struct dma_table t;
	struct dma_entry a = ent(0x100000, 0x200000, 4 * PG);
	/* Free by vaddr, but its IOVA range hits a's last page. */
	struct dma_entry b = ent(0x900000, 0x203000, 2 * MIB);
	const struct dma_entry *found;

	(void)state;
	vfiox_dma_table_init(&t);
	assert_int_equal(vfiox_dma_table_insert(&t, &a, NULL), 0);
	assert_int_equal(vfiox_dma_table_insert(&t, &b, NULL), -EEXIST);
	assert_int_equal(t.n, 1);
	assert_int_equal(xlate(&t, b.vaddr), UINT64_MAX);
	assert_int_equal(xlate(&t, b.vaddr + MIB), UINT64_MAX);
	assert_int_equal(rev(&t, a.iova + 3 * PG), a.vaddr + 3 * PG);
	assert_null(vfiox_dma_table_find_va(&t, b.vaddr, b.len));
	found = vfiox_dma_table_find_iova(&t, 0, UINT64_MAX);
	assert_non_null(found);
	assert_int_equal(found->vaddr, a.vaddr);
	vfiox_dma_table_destroy(&t);
}

static void churn_reuses_nodes(void **state)
{
	struct dma_table t;
	struct dma_entry small = ent(64 * MIB + PG, 64 * MIB + PG, PG);
	struct dma_entry big = ent(64 * MIB, 64 * MIB, 2 * MIB);
	const struct dma_entry *e;
	void *first_nodes = NULL;
	int i;

	(void)state;
	vfiox_dma_table_init(&t);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(vfiox_dma_table_insert(&t, &small, NULL), 0);
		if (i == 0)
			first_nodes = t.nodes;
		vfiox_dma_table_remove(&t, vfiox_dma_table_find_va(&t, small.vaddr, PG));
		assert_int_equal(vfiox_dma_table_insert(&t, &big, NULL), 0);
		assert_int_equal(xlate(&t, big.vaddr + MIB + 5), big.iova + MIB + 5);
		e = vfiox_dma_table_find_iova(&t, big.iova + 3 * PG, PG);
		assert_non_null(e);
		vfiox_dma_table_remove(&t, e);
		assert_int_equal(xlate(&t, big.vaddr + MIB + 5), UINT64_MAX);
	}
	/* A 2 MiB block over a region that once held pages fills the old
	 * leaf instead of leaking it: no node was allocated after round 0. */
	assert_ptr_equal(t.nodes, first_nodes);
	vfiox_dma_table_destroy(&t);
}

/* Random maps and unmaps in a 1 GiB window, probed against a list. */
#define SLOTS 64
#define SPAN_PAGES (1u << 18)

static struct dma_entry model[SLOTS];
static unsigned long model_age[SLOTS];	/* insert order */

/* Only IOVAs must not overlap: a vaddr overlap is an alias. */
static bool model_overlaps(const struct dma_entry *e)
{
	int i;

	for (i = 0; i < SLOTS; i++) {
		const struct dma_entry *m = &model[i];

		if (m->len && e->iova < m->iova + m->len && m->iova < e->iova + e->len)
			return true;
	}
	return false;
}

/* Translate goes through the oldest live mapping of a vaddr. */
static uint64_t model_xlate(uint64_t va)
{
	int i, best = -1;

	for (i = 0; i < SLOTS; i++)
		if (model[i].len && va - model[i].vaddr < model[i].len &&
		    (best < 0 || model_age[i] < model_age[best]))
			best = i;
	return best < 0 ? UINT64_MAX : model[best].iova + (va - model[best].vaddr);
}

static uint64_t model_rev(uint64_t iova)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		if (model[i].len && iova - model[i].iova < model[i].len)
			return model[i].vaddr + (iova - model[i].iova);
	return UINT64_MAX;
}

/*
 * @span_pages: keys are drawn below it. A small span keeps the cached
 * leaves hit, so one-page entries take the insert and remove shortcuts.
 */
static void random_run(uint32_t span_pages)
{
	struct dma_table t;
	int round, i;

	srand(7);
	memset(model, 0, sizeof(model));
	vfiox_dma_table_init(&t);
	for (round = 0; round < 20000; round++) {
		int slot = rand() % SLOTS;
		struct dma_entry *m = &model[slot];

		if (m->len) {
			vfiox_dma_table_remove(&t, vfiox_dma_table_find_iova(&t, m->iova, m->len));
			m->len = 0;
		} else {
			uint64_t pages = rand() % 3 ? 1 + rand() % 8 : 1 + rand() % 2048;
			struct dma_entry e;

			if (rand() % 2)
				pages = 1;
			e = ent((uint64_t)(rand() % span_pages) * PG,
				(uint64_t)(rand() % span_pages) * PG, pages * PG);
			int ret = vfiox_dma_table_insert(&t, &e, NULL);

			assert_int_equal(ret, model_overlaps(&e) ? -EEXIST : 0);
			if (!ret) {
				*m = e;
				model_age[slot] = (unsigned long)round;
			}
		}
		for (i = 0; i < 16; i++) {
			uint64_t a = (uint64_t)(rand() % span_pages) * PG + rand() % PG;

			assert_int_equal(xlate(&t, a), model_xlate(a));
			assert_int_equal(rev(&t, a), model_rev(a));
		}
	}
	vfiox_dma_table_destroy(&t);
}

static void random_run_matches_model(void **state)
{
	(void)state;
	random_run(SPAN_PAGES);
}

/* Keys within 4 MiB: two leaves per tree, mostly cached. */
static void random_run_in_two_leaves_matches_model(void **state)
{
	(void)state;
	random_run(1024);
}

/* The one-page shortcuts, once each, on leaves a first insert cached. */
static void one_page_entries_in_cached_leaves(void **state)
{
	const uint64_t va = 64 * MIB, io = 2 * GIB;
	struct dma_entry a = ent(va, io, PG), b = ent(va + PG, io + PG, PG);
	struct dma_entry alias = ent(va + PG, io + 8 * PG, PG);
	struct dma_entry clash_io = ent(va + 8 * PG, io + PG, PG);
	const struct dma_entry *live;
	struct dma_table t;

	(void)state;
	vfiox_dma_table_init(&t);
	assert_int_equal(vfiox_dma_table_insert(&t, &a, NULL), 0);
	assert_int_equal(vfiox_dma_table_insert(&t, &b, &live), 0);
	assert_int_equal(xlate(&t, va + PG + 5), io + PG + 5);
	assert_int_equal(rev(&t, io + PG + 5), va + PG + 5);
	assert_int_equal(vfiox_dma_table_insert(&t, &clash_io, NULL), -EEXIST);
	assert_int_equal(xlate(&t, va + 8 * PG), UINT64_MAX);
	/* An alias of b's page, through the shortcut: the older b still
	 * translates, the alias reverses, and inherits the page from b. */
	assert_int_equal(vfiox_dma_table_insert(&t, &alias, NULL), 0);
	assert_true(t.aliases && t.aliases->iova == alias.iova);
	assert_int_equal(xlate(&t, va + PG), io + PG);
	assert_int_equal(rev(&t, io + 8 * PG + 3), va + PG + 3);
	assert_ptr_equal(vfiox_dma_table_find_iova(&t, io + PG, PG), live);
	vfiox_dma_table_remove(&t, live);
	assert_int_equal(xlate(&t, va + PG), io + 8 * PG);
	assert_int_equal(rev(&t, io + PG), UINT64_MAX);
	assert_null(vfiox_dma_table_find_iova(&t, io + PG, PG));
	vfiox_dma_table_remove(&t, vfiox_dma_table_find_iova(&t, io + 8 * PG, PG));
	assert_int_equal(xlate(&t, va + PG), UINT64_MAX);
	assert_null(t.aliases);
	assert_int_equal(xlate(&t, va + 7), io + 7);
	assert_int_equal(t.n, 1);
	vfiox_dma_table_destroy(&t);
}

/*
 * An alias covering part of an older mapping's 2 MiB and 1 GiB blocks: the
 * blocks are split at insert, so when the older mapping goes the alias
 * takes over its pages without allocating a node.
 */
static void alias_inside_large_blocks_takes_over_without_allocating(void **state)
{
	struct dma_entry big = ent(GIB, 8 * GIB, 2 * GIB);
	struct dma_entry mid = ent(GIB + 3 * MIB + PG, 16 * GIB, GIB);
	struct dma_entry young = ent(GIB + 3 * MIB, 32 * GIB, 4 * PG);
	struct radix_node *nodes;
	struct dma_table t;

	(void)state;
	vfiox_dma_table_init(&t);
	assert_int_equal(vfiox_dma_table_insert(&t, &big, NULL), 0);
	assert_int_equal(vfiox_dma_table_insert(&t, &mid, NULL), 0);
	assert_int_equal(vfiox_dma_table_insert(&t, &young, NULL), 0);
	assert_int_equal(xlate(&t, mid.vaddr + 5), big.iova + 3 * MIB + PG + 5);
	assert_int_equal(xlate(&t, young.vaddr), big.iova + 3 * MIB);
	assert_int_equal(rev(&t, mid.iova + GIB - 1), mid.vaddr + GIB - 1);
	nodes = t.nodes;
	vfiox_dma_table_remove(&t, vfiox_dma_table_find_iova(&t, big.iova, big.len));
	assert_ptr_equal(t.nodes, nodes);
	/* Oldest first: mid where it maps, young only on its page mid lacks. */
	assert_int_equal(xlate(&t, young.vaddr + 7), young.iova + 7);
	assert_int_equal(xlate(&t, young.vaddr + PG), mid.iova);
	assert_int_equal(xlate(&t, mid.vaddr + GIB - 1), mid.iova + GIB - 1);
	assert_int_equal(xlate(&t, mid.vaddr + GIB), UINT64_MAX);
	assert_int_equal(xlate(&t, GIB), UINT64_MAX);
	/* Young stays an alias: its pages are still mid's. */
	vfiox_dma_table_remove(&t, vfiox_dma_table_find_iova(&t, mid.iova, PG));
	assert_int_equal(xlate(&t, young.vaddr + PG + 9), young.iova + PG + 9);
	assert_int_equal(xlate(&t, mid.vaddr + 4 * PG), UINT64_MAX);
	assert_int_equal(t.n, 1);
	vfiox_dma_table_destroy(&t);
}

/*
 * Aliases across 2 MiB block edges on both sides: one starting and ending
 * inside the older mapping's two blocks, one running past its end. When
 * the older mapping goes, and then the first alias, the survivors take
 * over exactly, and no node is allocated (t.nodes is the list of every
 * node ever made): the refill after a removal cannot fail for memory.
 */
static void aliases_across_block_edges_take_over_exactly(void **state)
{
	const uint64_t v = 64 * MIB;
	struct dma_entry a = ent(v, GIB, 4 * MIB);
	struct dma_entry b = ent(v + MIB, 2 * GIB, 2 * MIB);
	struct dma_entry c = ent(v + 3 * MIB, 3 * GIB, 2 * MIB);
	struct radix_node *nodes;
	struct dma_table t;

	(void)state;
	vfiox_dma_table_init(&t);
	assert_int_equal(vfiox_dma_table_insert(&t, &a, NULL), 0);
	assert_int_equal(vfiox_dma_table_insert(&t, &b, NULL), 0);
	assert_int_equal(vfiox_dma_table_insert(&t, &c, NULL), 0);
	assert_int_equal(xlate(&t, v + 3 * MIB + 5), a.iova + 3 * MIB + 5);
	assert_int_equal(xlate(&t, v + 4 * MIB + 5), c.iova + MIB + 5);
	nodes = t.nodes;
	vfiox_dma_table_remove(&t, vfiox_dma_table_find_iova(&t, a.iova, a.len));
	assert_ptr_equal(t.nodes, nodes);
	assert_int_equal(xlate(&t, v + 5), UINT64_MAX);
	assert_int_equal(xlate(&t, v + MIB - 1), UINT64_MAX);
	assert_int_equal(xlate(&t, v + MIB), b.iova);
	assert_int_equal(xlate(&t, v + 2 * MIB + 5), b.iova + MIB + 5);
	assert_int_equal(xlate(&t, v + 3 * MIB - 1), b.iova + 2 * MIB - 1);
	assert_int_equal(xlate(&t, v + 3 * MIB), c.iova);
	assert_int_equal(xlate(&t, v + 4 * MIB + 5), c.iova + MIB + 5);
	vfiox_dma_table_remove(&t, vfiox_dma_table_find_iova(&t, b.iova, b.len));
	assert_ptr_equal(t.nodes, nodes);
	assert_int_equal(xlate(&t, v + 2 * MIB + 5), UINT64_MAX);
	assert_int_equal(xlate(&t, v + 3 * MIB + 5), c.iova + 5);
	assert_int_equal(xlate(&t, v + 5 * MIB), UINT64_MAX);
	assert_int_equal(t.n, 1);
	vfiox_dma_table_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unaligned_giant_mapping_translates_everywhere),
		cmocka_unit_test(top_of_the_address_space),
		cmocka_unit_test(failed_insert_leaves_table_as_before),
		cmocka_unit_test(churn_reuses_nodes),
		cmocka_unit_test(random_run_matches_model),
		cmocka_unit_test(random_run_in_two_leaves_matches_model),
		cmocka_unit_test(one_page_entries_in_cached_leaves),
		cmocka_unit_test(alias_inside_large_blocks_takes_over_without_allocating),
		cmocka_unit_test(aliases_across_block_edges_take_over_exactly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
