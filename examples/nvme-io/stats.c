// SPDX-License-Identifier: MIT
/*
 * nvme-io: throughput and latency. Every completion's latency (submit to
 * reap) is kept, so the percentiles are exact; a run too long for the
 * array keeps the first ones it had room for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workload.h"

uint64_t stats_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int stats_init(struct stats *s, size_t cap)
{
	s->n = 0;
	s->bytes = 0;
	s->cap = cap ? cap : 1;
	s->lat_ns = malloc(s->cap * sizeof(*s->lat_ns));
	s->start_ns = stats_now_ns();
	s->end_ns = s->start_ns;
	return s->lat_ns ? 0 : -ENOMEM;
}

void stats_add(struct stats *s, uint64_t ns, unsigned int bytes)
{
	if (s->n < s->cap)
		s->lat_ns[s->n] = ns;
	s->n++;
	s->bytes += bytes;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double percentile_us(const uint64_t *sorted, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return (double)sorted[i] / 1000.0;
}

/* One line: "nvme-io: read: N I/Os in S s: IOPS, MiB/s, latency ...". */
void stats_print(struct stats *s, const char *what)
{
	double secs = (double)(s->end_ns - s->start_ns) / 1e9;
	size_t kept = s->n < s->cap ? s->n : s->cap;

	if (secs <= 0)
		secs = 1e-9;
	printf("nvme-io: %s: %zu I/Os in %.3f s: %.0f IOPS, %.2f MiB/s", what,
	       s->n, secs, (double)s->n / secs,
	       (double)s->bytes / secs / (1024.0 * 1024.0));
	if (kept) {
		qsort(s->lat_ns, kept, sizeof(*s->lat_ns), cmp_u64);
		printf(", latency us p50 %.1f p99 %.1f p99.9 %.1f",
		       percentile_us(s->lat_ns, kept, 0.50),
		       percentile_us(s->lat_ns, kept, 0.99),
		       percentile_us(s->lat_ns, kept, 0.999));
	}
	printf("\n");
}

void stats_free(struct stats *s)
{
	free(s->lat_ns);
	s->lat_ns = NULL;
}
