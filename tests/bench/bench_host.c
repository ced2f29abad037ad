// SPDX-License-Identifier: MIT
/*
 * Host benchmarks against the fake kernel: vaddr -> IOVA translation with
 * 1, 1k and 64k live mappings (one and two threads; and 64k of which a
 * share are second mappings of a buffer, aliases, translating the aliased
 * vaddrs), and IOVA alloc+free with 100k live allocations. Prints one
 * key=value line per figure: the median over batches of nanoseconds per
 * operation.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "../unit/fake_kernel.h"
#include "../../lib/iova.h"
#include "bench.h"

#define BATCHES 21
#define LOOKUPS (1 << 20)

struct lookup_run {
	struct vfiox_container *c;
	const uintptr_t *addrs;
	double result;
};

static void *lookup_thread(void *arg)
{
	struct lookup_run *r = arg;
	double per[BATCHES];
	uint64_t iova, sum = 0;
	int b, i;

	for (b = 0; b < BATCHES; b++) {
		double t0 = now_ns();

		for (i = 0; i < LOOKUPS; i++) {
			vfiox_dma_translate(r->c, (const void *)r->addrs[i], &iova);
			sum += iova;
		}
		per[b] = (now_ns() - t0) / LOOKUPS;
	}
	r->result = median(per, BATCHES) + (sum == 1 ? 1e-9 : 0);
	return NULL;
}

/*
 * Every @alias_every-th buffer mapped a second time, at another IOVA, until
 * @c holds @nmaps mappings; returns how many it holds, -1 on an error. A
 * translate of an aliased vaddr must give the first mapping's IOVA, and
 * both IOVAs be listed, or the figure would be of the wrong answer.
 */
static int map_aliases(struct vfiox_container *c, uint8_t *base, int bufs,
		       int nmaps, int alias_every)
{
	uint64_t first, second, got, all[2];
	int i, n = bufs;

	for (i = 0; i < bufs && n < nmaps; i += alias_every, n++) {
		uint8_t *va = base + (size_t)i * 8192;

		if (vfiox_dma_translate(c, va, &first) ||
		    vfiox_dma_map(c, va, 4096, NULL, &second) ||
		    vfiox_dma_translate(c, va + 100, &got) || got != first + 100 ||
		    vfiox_dma_translate_all(c, va, all, 2) != 2 ||
		    all[0] != first || all[1] != second)
			return -1;
	}
	return n;
}

/*
 * @nmaps mappings of 4 KiB buffers 8 KiB apart, looked up by @threads at
 * random; with @alias_every, the buffers are fewer and every
 * @alias_every-th is mapped twice, and only those are looked up.
 */
static double bench_translate(int nmaps, int threads, int alias_every)
{
	int bufs = alias_every ? nmaps - nmaps / (alias_every + 1) : nmaps;
	size_t span = (size_t)bufs * 8192;
	struct lookup_run run[2];
	struct vfiox_container *c;
	struct vfiox_group *g;
	pthread_t th[2];
	uintptr_t *addrs;
	uint8_t *base;
	uint64_t iova;
	int i, step = alias_every ? alias_every : 1;

	fk_reset();
	fk.fast_maps = true;
	fk.dma_avail = 1u << 20;	/* room for 64k mappings */
	vfiox_set_log(NULL, VFIOX_LOG_ERR, NULL);
	if (fk_container_open(&c) || vfiox_group_open(c, 7, &g))
		return -1;
	/* Address space only: the fake kernel never touches the pages. */
	base = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	for (i = 0; i < bufs; i++)
		if (vfiox_dma_map(c, base + (size_t)i * 8192, 4096, NULL, &iova))
			return -1;
	if (alias_every && map_aliases(c, base, bufs, nmaps, alias_every) != nmaps)
		return -1;
	addrs = malloc(LOOKUPS * sizeof(*addrs));
	srand(42);
	for (i = 0; i < LOOKUPS; i++)
		addrs[i] = (uintptr_t)base +
			   (size_t)(rand() % ((bufs + step - 1) / step) * step) * 8192 +
			   rand() % 4096;
	for (i = 0; i < threads; i++) {
		run[i] = (struct lookup_run){ c, addrs, 0 };
		pthread_create(&th[i], NULL, lookup_thread, &run[i]);
	}
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	free(addrs);
	munmap(base, span);
	vfiox_container_close(c);
	return threads == 2 ? (run[0].result + run[1].result) / 2 : run[0].result;
}

static double bench_iova(void)
{
	enum { LIVE = 100000, PAIRS = 100000 };
	struct iova_space s;
	double per[BATCHES];
	uint64_t a;
	int b, i;

	vfiox_iova_init(&s);
	vfiox_iova_add(&s, 0, (1ULL << 39) - 1);
	/* 100k live allocations with gaps, so the tree has 100k intervals. */
	for (i = 0; i < LIVE; i++) {
		vfiox_iova_alloc(&s, 8192, 4096, UINT64_MAX, &a);
		vfiox_iova_add(&s, a + 4096, a + 8191);
	}
	for (b = 0; b < BATCHES; b++) {
		double t0 = now_ns();

		for (i = 0; i < PAIRS; i++) {
			vfiox_iova_alloc(&s, 4096, 4096, UINT64_MAX, &a);
			vfiox_iova_add(&s, a, a + 4095);
		}
		per[b] = (now_ns() - t0) / PAIRS;
	}
	vfiox_iova_destroy(&s);
	return median(per, BATCHES);
}

/* libvfiox's own cost of a 4 KiB map+unmap: the fake kernel is nearly free. */
static double bench_map_unmap(void)
{
	enum { N = 1000 };
	static uint64_t iova[N];
	struct vfiox_container *c;
	struct vfiox_group *g;
	double per[BATCHES];
	uint8_t *base;
	int b, i;

	fk_reset();
	fk.fast_maps = true;
	if (fk_container_open(&c) || vfiox_group_open(c, 7, &g))
		return -1;
	base = mmap(NULL, (size_t)N * 4096, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	for (b = 0; b < BATCHES; b++) {
		double t0 = now_ns();

		for (i = 0; i < N; i++)
			if (vfiox_dma_map(c, base + (size_t)i * 4096, 4096, NULL, &iova[i]))
				return -1;
		for (i = 0; i < N; i++)
			if (vfiox_dma_unmap_iova(c, iova[i], 4096))
				return -1;
		per[b] = (now_ns() - t0) / N;
	}
	munmap(base, (size_t)N * 4096);
	vfiox_container_close(c);
	return median(per, BATCHES);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "map_unmap")) {
		printf("map_unmap_ns_fake_kernel=%.1f\n", bench_map_unmap());
		return 0;
	}
	printf("translate_ns_1=%.1f\n", bench_translate(1, 1, 0));
	printf("translate_ns_1k=%.1f\n", bench_translate(1000, 1, 0));
	printf("translate_ns_64k=%.1f\n", bench_translate(65536, 1, 0));
	printf("translate_ns_64k_2threads=%.1f\n", bench_translate(65536, 2, 0));
	/* 49152 buffers, every third mapped twice: 16384 aliases. */
	printf("translate_ns_64k_aliased=%.1f\n", bench_translate(65536, 1, 3));
	printf("iova_alloc_free_ns_100k=%.1f\n", bench_iova());
	printf("map_unmap_ns_fake_kernel=%.1f\n", bench_map_unmap());
	return 0;
}
