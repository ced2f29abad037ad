/* SPDX-License-Identifier: MIT */
/*
 * nvme-io: what the command line asks for (struct workload), and the
 * figures a run produces (struct stats).
 */
#ifndef NVME_IO_WORKLOAD_H
#define NVME_IO_WORKLOAD_H

#include <stdint.h>
#include <stddef.h>

#include "nvme.h"

enum io_op { OP_READ, OP_WRITE, OP_VERIFY };

struct workload {
	enum io_op op;
	int random;
	unsigned int block_size;	/* bytes */
	unsigned int depth;		/* per queue pair */
	unsigned int queues;
	int irq;
	int per_io_map;
	uint64_t start;			/* first LBA */
	uint64_t count;			/* LBAs in the range, 0: to the end */
	uint64_t ios;			/* I/Os per pass, 0: one pass of the range */
	unsigned int seconds;		/* read/write: stop after this long, 0: no limit */
	uint64_t seed;
	unsigned int timeout_ms;	/* per I/O */
	int past_end;			/* let the controller judge the range */
	uint32_t nsid;
};

struct stats {
	uint64_t *lat_ns;
	size_t n, cap;
	uint64_t bytes;
	uint64_t start_ns, end_ns;
};

/* workload.c */
int workload_run(struct nvme_ctrl *n, const struct workload *w);

/* stats.c */
uint64_t stats_now_ns(void);
int stats_init(struct stats *s, size_t cap);
void stats_add(struct stats *s, uint64_t ns, unsigned int bytes);
void stats_print(struct stats *s, const char *what);
void stats_free(struct stats *s);

#endif
