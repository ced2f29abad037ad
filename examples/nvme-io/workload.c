// SPDX-License-Identifier: MIT
/*
 * nvme-io: the I/O engine. One thread drives every queue pair: it keeps
 * each submission queue filled to the requested depth (one doorbell write
 * per batch), reaps completions by polling the completion rings or after
 * an MSI-X eventfd fired, and measures each I/O from submission to reap.
 * Buffers are either carved from the DMA pool once (mapped once) or heap
 * memory mapped before and unmapped after every I/O (--per-io-map), which
 * is what a driver serving arbitrary user buffers pays.
 *
 * `verify` is two passes over the range: write the pattern everywhere,
 * then read it all back and count the LBAs that differ.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

#define LAT_SAMPLES_MAX (4u << 20)

struct slot {
	void *buf;
	uint64_t iova;		/* of buf, while mapped */
	uint64_t *prp_list;
	uint64_t prp_iova;
	uint64_t lba;
	uint64_t t0;
	int busy;
};

struct qctx {
	struct nvme_queue *q;
	struct slot *slots;
	uint16_t *free_cids;
	unsigned int nfree;
	unsigned int pushed;	/* since the last doorbell */
};

struct engine {
	struct nvme_ctrl *n;
	const struct workload *w;
	struct qctx *qs;
	unsigned int nlb, lba_size, buf_len;
	uint64_t blocks;	/* I/O-sized blocks in the range */
	uint64_t ios, issued, inflight;
	uint64_t deadline_ns;	/* 0: none */
	uint64_t rng, step;
	int op_write, checking;
	uint64_t mismatches, first_bad;
	int failed;
	struct stats st;
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * The LBA of the next I/O. Random `verify` visits every block once in a
 * scrambled order (i * step mod blocks, step coprime with blocks); plain
 * random picks blocks independently.
 */
static uint64_t next_lba(struct engine *e)
{
	uint64_t i = e->issued;

	if (e->w->random && e->w->op == OP_VERIFY)
		i = (i * e->step) % e->blocks;
	else if (e->w->random)
		i = xorshift(&e->rng) % e->blocks;
	else
		i %= e->blocks;
	return e->w->start + i * e->nlb;
}

/* PRP1, PRP2 or a PRP list for a buffer contiguous at @iova. */
static void set_prps(struct slot *s, struct nvme_sqe *cmd, unsigned int len)
{
	unsigned int pages = (len + NVME_PAGE - 1) / NVME_PAGE, i;

	cmd->prp1 = s->iova;
	cmd->prp2 = 0;
	if (pages == 2)
		cmd->prp2 = s->iova + NVME_PAGE;
	if (pages <= 2)
		return;
	for (i = 1; i < pages; i++)
		s->prp_list[i - 1] = s->iova + (uint64_t)i * NVME_PAGE;
	cmd->prp2 = s->prp_iova;
}

static int map_slot(struct engine *e, struct slot *s)
{
	int ret;

	if (!e->w->per_io_map)
		return 0;
	ret = vfiox_dma_map(e->n->c, s->buf, e->buf_len, NULL, &s->iova);
	if (ret)
		fprintf(stderr, "nvme-io: mapping an I/O buffer: %s\n", strerror(-ret));
	return ret;
}

static int submit(struct engine *e, struct qctx *qc)
{
	uint16_t cid = qc->free_cids[qc->nfree - 1];
	struct slot *s = &qc->slots[cid];
	struct nvme_sqe cmd = { .nsid = e->w->nsid };
	int ret;

	s->lba = next_lba(e);
	if (e->op_write)
		pattern_fill(s->buf, s->lba, e->nlb, e->lba_size, e->w->seed);
	ret = map_slot(e, s);
	if (ret)
		return ret;
	cmd.cdw0 = (e->op_write ? NVME_CMD_WRITE : NVME_CMD_READ) | (uint32_t)cid << 16;
	set_prps(s, &cmd, e->nlb * e->lba_size);
	cmd.cdw10 = (uint32_t)s->lba;
	cmd.cdw11 = (uint32_t)(s->lba >> 32);
	cmd.cdw12 = e->nlb - 1;
	nvme_queue_push(qc->q, &cmd);
	qc->nfree--;
	qc->pushed++;
	s->busy = 1;
	s->t0 = stats_now_ns();
	e->issued++;
	e->inflight++;
	return 0;
}

static void fill_queues(struct engine *e)
{
	unsigned int i;
	int ret;

	if (e->deadline_ns && stats_now_ns() > e->deadline_ns)
		e->ios = e->issued;	/* time is up: submit no more */
	for (i = 0; i < e->w->queues; i++) {
		struct qctx *qc = &e->qs[i];

		while (!e->failed && !nvme_stop && qc->nfree && e->issued < e->ios) {
			ret = submit(e, qc);
			if (ret)
				e->failed = ret;
		}
		if (qc->pushed)
			nvme_queue_ring(qc->q);
		qc->pushed = 0;
	}
}

static void report_error(struct engine *e, struct qctx *qc, struct slot *s,
			 uint16_t status)
{
	char name[128];

	nvme_status_format(status, name, sizeof(name));
	fprintf(stderr, "nvme-io: %s of LBA %llu (+%u) on queue %u: %s\n",
		e->op_write ? "write" : "read", (unsigned long long)s->lba,
		e->nlb, qc->q->qid, name);
}

static void complete(struct engine *e, struct qctx *qc, const struct nvme_cqe *cqe)
{
	struct slot *s = cqe->cid < e->w->depth ? &qc->slots[cqe->cid] : NULL;
	uint16_t status = cqe->status >> 1;
	unsigned int bad_lbas;
	uint64_t bad;

	if (!s || !s->busy) {
		fprintf(stderr, "nvme-io: queue %u: completion for unknown command %u\n",
			qc->q->qid, cqe->cid);
		e->failed = -EPROTO;
		return;
	}
	stats_add(&e->st, stats_now_ns() - s->t0, e->buf_len);
	if (e->w->per_io_map)
		vfiox_dma_unmap_iova(e->n->c, s->iova, e->buf_len);
	if (status) {
		report_error(e, qc, s, status);
		e->failed = -EIO;
	} else if (e->checking) {
		bad_lbas = pattern_check(s->buf, s->lba, e->nlb, e->lba_size,
					 e->w->seed, &bad);
		if (bad_lbas && !e->mismatches)
			e->first_bad = bad;
		e->mismatches += bad_lbas;
	}
	s->busy = 0;
	qc->free_cids[qc->nfree++] = cqe->cid;
	e->inflight--;
}

static unsigned int reap(struct engine *e)
{
	struct nvme_cqe cqe;
	unsigned int i, got = 0, before;

	for (i = 0; i < e->w->queues; i++) {
		before = got;
		while (nvme_queue_pop(e->qs[i].q, &cqe)) {
			complete(e, &e->qs[i], &cqe);
			got++;
		}
		if (got != before)
			nvme_queue_ack(e->qs[i].q);
	}
	return got;
}

/* Sleeps until an I/O queue's vector fires, at most @ms milliseconds. */
static void wait_irq(struct engine *e, int ms)
{
	struct pollfd pfd[64];
	unsigned int i, n = e->w->queues < 64 ? e->w->queues : 64;
	uint64_t count;

	for (i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = e->qs[i].q->efd, .events = POLLIN };
	if (poll(pfd, n, ms) <= 0)
		return;
	for (i = 0; i < n; i++)
		if ((pfd[i].revents & POLLIN) &&
		    read(pfd[i].fd, &count, sizeof(count)) != sizeof(count))
			perror("nvme-io: reading an MSI-X eventfd");
}

static void report_timeout(struct engine *e)
{
	struct slot *old = NULL;
	unsigned int i, j, qid = 0;

	for (i = 0; i < e->w->queues; i++)
		for (j = 0; j < e->w->depth; j++) {
			struct slot *s = &e->qs[i].slots[j];

			if (s->busy && (!old || s->t0 < old->t0)) {
				old = s;
				qid = e->qs[i].q->qid;
			}
		}
	fprintf(stderr, "nvme-io: I/O timeout: %s of LBA %llu on queue %u got no completion within %u ms\n",
		e->op_write ? "write" : "read", old ? (unsigned long long)old->lba : 0ull,
		qid, e->w->timeout_ms);
}

/* Submits and reaps until @e->ios completed, an error, a signal or a timeout. */
static int run_pass(struct engine *e)
{
	uint64_t last = stats_now_ns(), limit = (uint64_t)e->w->timeout_ms * 1000000;

	for (;;) {
		fill_queues(e);
		if (!e->inflight)
			break;
		if (reap(e)) {
			last = stats_now_ns();
			continue;
		}
		if (stats_now_ns() - last > limit) {
			report_timeout(e);
			return -ETIMEDOUT;
		}
		if (e->w->irq)
			wait_irq(e, 100);
	}
	e->st.end_ns = stats_now_ns();
	if (nvme_stop && !e->failed)
		e->failed = -EINTR;
	return e->failed;
}

static int pass(struct engine *e, int write, int checking, const char *what)
{
	uint64_t cap = e->ios < LAT_SAMPLES_MAX ? e->ios : LAT_SAMPLES_MAX;
	int ret;

	e->op_write = write;
	e->checking = checking;
	e->issued = 0;
	ret = stats_init(&e->st, (size_t)cap);
	if (ret)
		return ret;
	ret = run_pass(e);
	if (ret != -ETIMEDOUT)
		stats_print(&e->st, what);
	stats_free(&e->st);
	return ret;
}

static int slot_buffers(struct engine *e, struct slot *s)
{
	int ret = 0;

	if (e->w->per_io_map) {
		s->buf = aligned_alloc(NVME_PAGE, e->buf_len);
		if (!s->buf)
			return -ENOMEM;
	} else {
		ret = vfiox_dma_alloc(e->n->pool, e->buf_len, &s->buf, &s->iova);
	}
	if (!ret && e->buf_len > 2 * NVME_PAGE)
		ret = vfiox_dma_alloc(e->n->pool, NVME_PAGE, (void **)&s->prp_list,
				      &s->prp_iova);
	return ret;
}

static int setup_queue(struct engine *e, struct qctx *qc, struct nvme_queue *q)
{
	unsigned int i;
	int ret;

	qc->q = q;
	qc->slots = calloc(e->w->depth, sizeof(*qc->slots));
	qc->free_cids = calloc(e->w->depth, sizeof(*qc->free_cids));
	if (!qc->slots || !qc->free_cids)
		return -ENOMEM;
	for (i = 0; i < e->w->depth; i++) {
		ret = slot_buffers(e, &qc->slots[i]);
		if (ret) {
			fprintf(stderr, "nvme-io: I/O buffers: %s\n", strerror(-ret));
			return ret;
		}
		qc->free_cids[qc->nfree++] = (uint16_t)(e->w->depth - 1 - i);
	}
	return 0;
}

/*
 * Pool buffers go with the pool; heap ones (per-I/O maps) are freed here,
 * after unmapping those an I/O that never completed still holds, so a late
 * transfer is stopped by the IOMMU instead of landing in freed memory.
 */
static void free_engine(struct engine *e)
{
	unsigned int i, j;

	for (i = 0; e->qs && i < e->w->queues; i++) {
		for (j = 0; e->w->per_io_map && e->qs[i].slots && j < e->w->depth; j++) {
			struct slot *s = &e->qs[i].slots[j];

			if (s->busy)
				vfiox_dma_unmap_iova(e->n->c, s->iova, e->buf_len);
			free(s->buf);
		}
		free(e->qs[i].slots);
		free(e->qs[i].free_cids);
	}
	free(e->qs);
}

static int setup_engine(struct engine *e, struct nvme_ctrl *n,
			const struct workload *w)
{
	unsigned int i;
	int ret = 0;

	memset(e, 0, sizeof(*e));
	e->n = n;
	e->w = w;
	e->lba_size = 1u << n->lba_shift;
	e->nlb = w->block_size / e->lba_size;
	e->buf_len = (w->block_size + NVME_PAGE - 1) & ~(NVME_PAGE - 1);
	e->blocks = (w->count ? w->count : n->nsze - w->start) / e->nlb;
	e->ios = w->ios && w->op != OP_VERIFY ? w->ios : e->blocks;
	if (w->seconds && w->op != OP_VERIFY) {
		e->ios = w->ios ? w->ios : UINT64_MAX;
		e->deadline_ns = stats_now_ns() + w->seconds * 1000000000ull;
	}
	e->rng = w->seed * 2 + 1;
	for (e->step = e->blocks / 2 + 1; gcd(e->step, e->blocks) != 1; e->step++)
		;
	e->qs = calloc(w->queues, sizeof(*e->qs));
	if (!e->qs)
		return -ENOMEM;
	for (i = 0; !ret && i < w->queues; i++)
		ret = setup_queue(e, &e->qs[i], &n->io[i]);
	return ret;
}

int workload_run(struct nvme_ctrl *n, const struct workload *w)
{
	struct engine e;
	int ret;

	ret = setup_engine(&e, n, w);
	if (!ret && w->op == OP_READ)
		ret = pass(&e, 0, 0, "read");
	else if (!ret && w->op == OP_WRITE)
		ret = pass(&e, 1, 0, "write");
	if (!ret && w->op == OP_VERIFY)
		ret = pass(&e, 1, 0, "verify write");
	if (!ret && w->op == OP_VERIFY)
		ret = pass(&e, 0, 1, "verify read");
	if (w->op == OP_VERIFY && e.checking) {
		printf("nvme-io: verify: %llu LBAs read back, %llu mismatches",
		       (unsigned long long)(e.issued * e.nlb),
		       (unsigned long long)e.mismatches);
		if (e.mismatches)
			printf(" (first bad LBA %llu)", (unsigned long long)e.first_bad);
		printf("\n");
		if (!ret && e.mismatches)
			ret = -EILSEQ;
	}
	free_engine(&e);
	return ret;
}
