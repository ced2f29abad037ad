/* SPDX-License-Identifier: MIT */
/*
 * nvme-io: a small userspace NVMe driver on libvfiox's public API.
 * This header holds what the files share: the register and queue entry
 * layouts of the NVMe base specification, the controller and queue state,
 * and the calls of each file (one concept per file: ctrl.c brings the
 * controller up and down, queue.c moves entries, status.c names
 * completion statuses, pattern.c makes and checks data, workload.c runs
 * the I/O, stats.c measures it, main.c reads the command line).
 */
#ifndef NVME_IO_H
#define NVME_IO_H

#include <signal.h>
#include <stdint.h>
#include <stddef.h>

#include <vfiox.h>

#define NVME_REG_CAP 0x00
#define NVME_REG_CC 0x14
#define NVME_REG_CSTS 0x1c
#define NVME_REG_AQA 0x24
#define NVME_REG_ASQ 0x28
#define NVME_REG_ACQ 0x30
#define NVME_DOORBELLS 0x1000
/* EN, 64-byte SQEs (IOSQES 6), 16-byte CQEs (IOCQES 4), 4 KiB pages. */
#define NVME_CC_ENABLE 0x00460001u
#define NVME_CSTS_RDY 0x1u
#define NVME_CSTS_CFS 0x2u
#define NVME_PAGE 4096u

#define NVME_ADMIN_DELETE_SQ 0x00
#define NVME_ADMIN_CREATE_SQ 0x01
#define NVME_ADMIN_DELETE_CQ 0x04
#define NVME_ADMIN_CREATE_CQ 0x05
#define NVME_ADMIN_IDENTIFY 0x06
#define NVME_ADMIN_SET_FEATURES 0x09
#define NVME_FEAT_NUM_QUEUES 0x07
#define NVME_CMD_WRITE 0x01
#define NVME_CMD_READ 0x02

#define NVME_ADMIN_DEPTH 32

struct nvme_sqe {
	uint32_t cdw0, nsid, rsvd[2];
	uint64_t mptr, prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct nvme_cqe {
	uint32_t dw0, dw1;
	uint16_t sq_head, sq_id, cid, status;
};

/* One submission queue and the completion queue it posts to. */
struct nvme_queue {
	uint16_t qid;
	uint16_t entries;	/* slots in each ring */
	uint16_t sq_tail, cq_head;
	uint16_t phase;
	struct nvme_sqe *sq;
	volatile struct nvme_cqe *cq;
	uint64_t sq_iova, cq_iova;
	volatile uint32_t *sq_db, *cq_db;
	int efd;		/* MSI-X eventfd, -1 when polled */
	uint16_t vector;
};

struct nvme_ctrl {
	const char *bdf;
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_dma_pool *pool;
	volatile uint8_t *bar;
	unsigned int dstrd;
	unsigned int ready_timeout_ms;	/* from CAP.TO */
	unsigned int admin_timeout_ms;
	unsigned int mqes;		/* max entries per queue */
	unsigned int max_transfer;	/* bytes, from MDTS (0: no limit) */
	struct nvme_queue admin;
	void *id_buf;
	uint64_t id_iova;
	uint32_t nsid;
	uint64_t nsze;			/* namespace size in LBAs */
	unsigned int lba_shift;
	int *efds;			/* MSI-X eventfds, vector 0 = admin */
	unsigned int nvec;
	struct nvme_queue *io;
	unsigned int nio;		/* I/O queue pairs created */
	int enabled;
};

/* Set by the SIGINT/SIGTERM handler: stop submitting, drain, tear down. */
extern volatile sig_atomic_t nvme_stop;

/* ctrl.c */
int nvme_open(struct nvme_ctrl *n, const char *bdf, const char *vf_token);
int nvme_enable(struct nvme_ctrl *n);
int nvme_identify(struct nvme_ctrl *n, uint32_t nsid);
int nvme_create_io_queues(struct nvme_ctrl *n, unsigned int count,
			  unsigned int entries, int irq);
int nvme_close(struct nvme_ctrl *n);
int nvme_admin(struct nvme_ctrl *n, struct nvme_sqe *cmd, struct nvme_cqe *out);

/* queue.c */
int nvme_queue_alloc(struct nvme_ctrl *n, struct nvme_queue *q, uint16_t qid,
		     uint16_t entries);
void nvme_queue_push(struct nvme_queue *q, const struct nvme_sqe *cmd);
void nvme_queue_ring(struct nvme_queue *q);
int nvme_queue_pop(struct nvme_queue *q, struct nvme_cqe *out);
void nvme_queue_ack(struct nvme_queue *q);

/* status.c */
const char *nvme_status_name(uint16_t status);
void nvme_status_format(uint16_t status, char *buf, size_t len);

/* pattern.c */
void pattern_fill(void *buf, uint64_t lba, unsigned int nlb,
		  unsigned int lba_size, uint64_t seed);
unsigned int pattern_check(const void *buf, uint64_t lba, unsigned int nlb,
			   unsigned int lba_size, uint64_t seed,
			   uint64_t *first_bad);
int pattern_check_image(const char *path, uint64_t start, uint64_t count,
			unsigned int lba_size, uint64_t seed);

#endif
