/* SPDX-License-Identifier: MIT */
/*
 * The DMA stress core shared by the unit test (fake kernel) and the VM test
 * (real kernel): several threads map, translate, reverse-translate and
 * unmap their own buffers in rounds. Within a round every thread checks that
 * each of its live mappings translates correctly at a few offsets; between
 * rounds (all threads parked) the checker compares libvfiox's live count
 * with the threads' books and, when the kernel reports it, dma_avail with
 * libvfiox's count, and that no two live IOVA ranges overlap.
 */
#ifndef VFIOX_TESTS_STRESS_H
#define VFIOX_TESTS_STRESS_H
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vfiox.h>

#define STRESS_PAGE 4096u
#define STRESS_MAX_THREADS 8
#define STRESS_MAX_BUFS 512
#define STRESS_NONE UINT64_MAX	/* an unmapped buffer's IOVA */

struct stress {
	struct vfiox_container *c;
	uint8_t *mem;		/* threads * bufs pages */
	int threads, bufs, rounds;
	pthread_barrier_t start, end;
	char err[256];		/* first failure, "" when none */
	pthread_mutex_t err_lock;
	uint64_t iova[STRESS_MAX_THREADS][STRESS_MAX_BUFS];	/* or STRESS_NONE */
};

struct stress_thread {
	struct stress *s;
	int id;
	unsigned int rng;
};

static void stress_fail(struct stress *s, const char *what, int t, int b, long v)
{
	pthread_mutex_lock(&s->err_lock);
	if (!s->err[0])
		snprintf(s->err, sizeof(s->err), "thread %d buffer %d: %s (%ld)", t, b, what, v);
	pthread_mutex_unlock(&s->err_lock);
}

static uint8_t *stress_buf(const struct stress *s, int t, int b)
{
	return s->mem + ((size_t)t * (size_t)s->bufs + (size_t)b) * STRESS_PAGE;
}

/* Every live mapping of thread @t translates both ways, at three offsets. */
static void stress_check_own(struct stress *s, int t)
{
	static const unsigned int offs[] = { 0, 123, STRESS_PAGE - 1 };
	int b;
	unsigned int o;

	for (b = 0; b < s->bufs; b++) {
		uint8_t *va = stress_buf(s, t, b);
		uint64_t iova;
		void *back;

		if (s->iova[t][b] == STRESS_NONE)
			continue;
		for (o = 0; o < 3; o++) {
			if (vfiox_dma_translate(s->c, va + offs[o], &iova) ||
			    iova != s->iova[t][b] + offs[o])
				stress_fail(s, "translate", t, b, (long)offs[o]);
		}
		if (vfiox_dma_reverse(s->c, s->iova[t][b] + 7, &back) ||
		    back != va + 7)
			stress_fail(s, "reverse", t, b, 7);
	}
}

static void *stress_worker(void *arg)
{
	struct stress_thread *me = arg;
	struct stress *s = me->s;
	int r, b, t = me->id, ret;

	for (r = 0; r < s->rounds; r++) {
		pthread_barrier_wait(&s->start);
		for (b = 0; b < s->bufs; b++) {
			bool live = s->iova[t][b] != STRESS_NONE;

			/* Flip about half the buffers each round. */
			if ((rand_r(&me->rng) & 1) == 0)
				continue;
			if (live) {
				ret = vfiox_dma_unmap_iova(s->c, s->iova[t][b], STRESS_PAGE);
				if (ret)
					stress_fail(s, "unmap", t, b, ret);
				else
					s->iova[t][b] = STRESS_NONE;
			} else {
				uint64_t iova = STRESS_NONE;

				ret = vfiox_dma_map(s->c, stress_buf(s, t, b), STRESS_PAGE,
						    NULL, &iova);
				if (ret || iova == STRESS_NONE)
					stress_fail(s, "map", t, b, ret);
				else
					s->iova[t][b] = iova;
			}
		}
		stress_check_own(s, t);
		pthread_barrier_wait(&s->end);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Between rounds: the books agree and no two live ranges overlap. */
static void stress_check_books(struct stress *s, int round)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	static uint64_t live[STRESS_MAX_THREADS * STRESS_MAX_BUFS];
	uint32_t kernel, ours;
	int t, b, n = 0, ret;

	for (t = 0; t < s->threads; t++)
		for (b = 0; b < s->bufs; b++)
			if (s->iova[t][b] != STRESS_NONE)
				live[n++] = s->iova[t][b];
	if (vfiox_dma_stats(s->c, &st) || st.entries_used != (uint32_t)n)
		stress_fail(s, "live count differs from the threads' books", -1,
			    round, (long)st.entries_used - n);
	qsort(live, (size_t)n, sizeof(live[0]), cmp_u64);
	for (b = 1; b < n; b++)
		if (live[b] < live[b - 1] + STRESS_PAGE)
			stress_fail(s, "overlapping live IOVAs", -1, round, (long)live[b]);
	ret = vfiox_dma_avail_check(s->c, &kernel, &ours);
	if (ret != 0 && ret != -ENOTSUP)
		stress_fail(s, "dma_avail differs from libvfiox's count", -1, round,
			    (long)kernel - (long)ours);
}

/* Run the stress; 0, or -1 with s->err saying what went wrong first. */
static int stress_run(struct stress *s)
{
	struct stress_thread th[STRESS_MAX_THREADS];
	pthread_t tid[STRESS_MAX_THREADS];
	int t, r;

	if (s->threads > STRESS_MAX_THREADS || s->bufs > STRESS_MAX_BUFS)
		return -1;
	memset(s->iova, 0xff, sizeof(s->iova));
	s->err[0] = '\0';
	pthread_mutex_init(&s->err_lock, NULL);
	pthread_barrier_init(&s->start, NULL, (unsigned int)s->threads + 1);
	pthread_barrier_init(&s->end, NULL, (unsigned int)s->threads + 1);
	for (t = 0; t < s->threads; t++) {
		th[t] = (struct stress_thread){ s, t, 0x9e3779b9u * (unsigned int)(t + 1) };
		pthread_create(&tid[t], NULL, stress_worker, &th[t]);
	}
	for (r = 0; r < s->rounds; r++) {
		pthread_barrier_wait(&s->start);
		pthread_barrier_wait(&s->end);
		stress_check_books(s, r);
	}
	for (t = 0; t < s->threads; t++)
		pthread_join(tid[t], NULL);
	pthread_barrier_destroy(&s->start);
	pthread_barrier_destroy(&s->end);
	pthread_mutex_destroy(&s->err_lock);
	return s->err[0] ? -1 : 0;
}
#endif
