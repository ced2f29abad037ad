// SPDX-License-Identifier: MIT
/*
 * nvme-io: one queue pair's rings. The submission and completion rings sit
 * in DMA pool memory (mapped once, so the controller reaches them at a
 * fixed IOVA); entries are pushed and popped here and the doorbells rung
 * once per batch, since each doorbell write is a trip to the device.
 */
#include <errno.h>
#include <string.h>

#include "nvme.h"

static volatile uint32_t *doorbell(struct nvme_ctrl *n, unsigned int index)
{
	return (volatile uint32_t *)(n->bar + NVME_DOORBELLS +
				     index * (4u << n->dstrd));
}

/* Rings of @entries slots for queue @qid, not yet known to the controller. */
int nvme_queue_alloc(struct nvme_ctrl *n, struct nvme_queue *q, uint16_t qid,
		     uint16_t entries)
{
	void *sq, *cq;
	int ret;

	memset(q, 0, sizeof(*q));
	q->efd = -1;
	ret = vfiox_dma_alloc(n->pool, (size_t)entries * sizeof(struct nvme_sqe),
			      &sq, &q->sq_iova);
	if (ret)
		return ret;
	ret = vfiox_dma_alloc(n->pool, (size_t)entries * sizeof(struct nvme_cqe),
			      &cq, &q->cq_iova);
	if (ret) {
		vfiox_dma_free(n->pool, sq);
		return ret;
	}
	q->sq = sq;
	q->cq = cq;
	q->qid = qid;
	q->entries = entries;
	q->phase = 1;
	q->sq_db = doorbell(n, 2u * qid);
	q->cq_db = doorbell(n, 2u * qid + 1);
	return 0;
}

/* Copies @cmd into the next slot; the controller sees it at the next ring. */
void nvme_queue_push(struct nvme_queue *q, const struct nvme_sqe *cmd)
{
	q->sq[q->sq_tail] = *cmd;
	if (++q->sq_tail == q->entries)
		q->sq_tail = 0;
}

void nvme_queue_ring(struct nvme_queue *q)
{
	/* The entries must be in memory before the device reads them. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	*q->sq_db = q->sq_tail;
}

/*
 * Takes the next completion, if the controller posted one (its phase bit
 * flips each pass around the ring). The slot goes back to the controller
 * at the next nvme_queue_ack(), once per batch.
 * Return: 1 with *@out filled, 0 when there is none.
 */
int nvme_queue_pop(struct nvme_queue *q, struct nvme_cqe *out)
{
	volatile struct nvme_cqe *e = &q->cq[q->cq_head];

	if ((e->status & 1) != q->phase)
		return 0;
	/* Read the entry only after seeing its phase bit. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	out->dw0 = e->dw0;
	out->sq_head = e->sq_head;
	out->sq_id = e->sq_id;
	out->cid = e->cid;
	out->status = e->status;
	if (++q->cq_head == q->entries) {
		q->cq_head = 0;
		q->phase ^= 1;
	}
	return 1;
}

/* Tells the controller how far the completions were consumed. */
void nvme_queue_ack(struct nvme_queue *q)
{
	*q->cq_db = q->cq_head;
}
