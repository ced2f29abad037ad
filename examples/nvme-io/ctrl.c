// SPDX-License-Identifier: MIT
/*
 * nvme-io: the controller's life. Open it through libvfiox, reset it
 * (CC.EN 0 then 1, waiting on CSTS.RDY within CAP.TO), run admin commands
 * one at a time on a polled admin queue, create and delete the I/O queue
 * pairs, and on the way out put everything back: I/O queues deleted,
 * controller disabled, interrupts off, mappings gone, so the next run (or
 * the kernel's driver) finds a controller it can take.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "nvme.h"

static uint32_t rd32(struct nvme_ctrl *n, unsigned int off)
{
	return *(volatile uint32_t *)(n->bar + off);
}

static void wr32(struct nvme_ctrl *n, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(n->bar + off) = v;
}

static void wr64(struct nvme_ctrl *n, unsigned int off, uint64_t v)
{
	wr32(n, off, (uint32_t)v);
	wr32(n, off + 4, (uint32_t)(v >> 32));
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits for CSTS.RDY to read @want; a fatal status ends the wait early. */
static int wait_ready(struct nvme_ctrl *n, uint32_t want)
{
	uint64_t end = now_ms() + n->ready_timeout_ms;
	uint32_t csts;

	for (;;) {
		csts = rd32(n, NVME_REG_CSTS);
		if ((csts & NVME_CSTS_RDY) == want)
			return 0;
		if (want && (csts & NVME_CSTS_CFS)) {
			fprintf(stderr, "nvme-io: %s: controller did not become ready: it reports a fatal status (CSTS 0x%x)\n",
				n->bdf, csts);
			return -EIO;
		}
		if (now_ms() > end)
			break;
		usleep(1000);
	}
	fprintf(stderr, "nvme-io: %s: controller did not %s within %u ms (CSTS 0x%x)\n",
		n->bdf, want ? "become ready" : "stop", n->ready_timeout_ms, csts);
	return -ETIMEDOUT;
}

static int disable(struct nvme_ctrl *n)
{
	wr32(n, NVME_REG_CC, 0);
	n->enabled = 0;
	return wait_ready(n, 0);
}

static void read_cap(struct nvme_ctrl *n)
{
	uint64_t cap = (uint64_t)rd32(n, NVME_REG_CAP + 4) << 32 |
		       rd32(n, NVME_REG_CAP);

	n->mqes = (unsigned int)(cap & 0xffff) + 1;
	n->dstrd = (unsigned int)(cap >> 32) & 0xf;
	/* CAP.TO is in 500 ms units; a little slack for emulated devices. */
	n->ready_timeout_ms = (unsigned int)((cap >> 24) & 0xff) * 500 + 500;
}

/*
 * Opens @bdf (a VF with its PF's @vf_token, else NULL), turns on memory
 * space and bus mastering, maps BAR 0.
 */
int nvme_open(struct nvme_ctrl *n, const char *bdf, const char *vf_token)
{
	struct vfiox_device_opts opts = { .sz = sizeof(opts), .vf_token = vf_token };
	struct vfiox_group *g;
	void *bar;
	int ret;

	memset(n, 0, sizeof(*n));
	n->bdf = bdf;
	n->admin_timeout_ms = 10000;
	ret = vfiox_container_open(NULL, &n->c);
	if (ret) {
		fprintf(stderr, "nvme-io: no VFIO container: %s\n", strerror(-ret));
		return ret;
	}
	ret = vfiox_group_open_pci(n->c, bdf, &g);
	if (!ret)
		ret = vfiox_device_open(g, bdf, vf_token ? &opts : NULL, &n->d);
	if (!ret)
		ret = vfiox_pci_enable_dma(n->d);
	if (!ret)
		ret = vfiox_region_mmap(n->d, VFIO_PCI_BAR0_REGION_INDEX, &bar);
	if (!ret)
		ret = vfiox_dma_pool_new(n->c, NULL, &n->pool);
	if (ret) {
		fprintf(stderr, "nvme-io: %s: %s\n", bdf, strerror(-ret));
		vfiox_container_close(n->c);
		n->c = NULL;
		return ret;
	}
	n->bar = bar;
	read_cap(n);
	return 0;
}

/* Resets the controller and brings it up with a fresh admin queue pair. */
int nvme_enable(struct nvme_ctrl *n)
{
	uint16_t depth = NVME_ADMIN_DEPTH;
	int ret;

	ret = disable(n);
	if (ret)
		return ret;
	ret = nvme_queue_alloc(n, &n->admin, 0, depth);
	if (ret) {
		fprintf(stderr, "nvme-io: admin queues: %s\n", strerror(-ret));
		return ret;
	}
	wr32(n, NVME_REG_AQA, (uint32_t)(depth - 1) << 16 | (depth - 1));
	wr64(n, NVME_REG_ASQ, n->admin.sq_iova);
	wr64(n, NVME_REG_ACQ, n->admin.cq_iova);
	wr32(n, NVME_REG_CC, NVME_CC_ENABLE);
	n->enabled = 1;
	return wait_ready(n, 1);
}

/*
 * Runs one admin command and waits for it (polled).
 * Return: 0; the NVMe status (positive) when it failed; -ETIMEDOUT.
 */
int nvme_admin(struct nvme_ctrl *n, struct nvme_sqe *cmd, struct nvme_cqe *out)
{
	static uint16_t cid;
	uint64_t end = now_ms() + n->admin_timeout_ms;
	struct nvme_cqe cqe;

	cmd->cdw0 = (cmd->cdw0 & 0xffff) | (uint32_t)++cid << 16;
	nvme_queue_push(&n->admin, cmd);
	nvme_queue_ring(&n->admin);
	while (!nvme_queue_pop(&n->admin, &cqe)) {
		if (now_ms() > end) {
			fprintf(stderr, "nvme-io: %s: admin command 0x%02x got no completion within %u ms\n",
				n->bdf, cmd->cdw0 & 0xff, n->admin_timeout_ms);
			n->admin_timeout_ms = 0;	/* do not wait again */
			return -ETIMEDOUT;
		}
		usleep(10);
	}
	nvme_queue_ack(&n->admin);
	if (out)
		*out = cqe;
	return cqe.status >> 1;
}

static int admin_checked(struct nvme_ctrl *n, struct nvme_sqe *cmd,
			 struct nvme_cqe *out, const char *what)
{
	char name[128];
	int ret = nvme_admin(n, cmd, out);

	if (ret > 0) {
		nvme_status_format((uint16_t)ret, name, sizeof(name));
		fprintf(stderr, "nvme-io: %s: %s failed: %s\n", n->bdf, what, name);
		return -EIO;
	}
	return ret;
}

static void print_trimmed(const char *label, const uint8_t *s, int len)
{
	while (len > 0 && s[len - 1] == ' ')
		len--;
	printf("%s%.*s", label, len, (const char *)s);
}

static int identify_controller(struct nvme_ctrl *n)
{
	struct nvme_sqe cmd = { .cdw0 = NVME_ADMIN_IDENTIFY, .prp1 = n->id_iova,
				.cdw10 = 1 };
	const uint8_t *id = n->id_buf;
	int ret;

	ret = admin_checked(n, &cmd, NULL, "Identify Controller");
	if (ret)
		return ret;
	/* MDTS: a power of two of the minimum page size, 0 for no limit. */
	n->max_transfer = id[77] ? NVME_PAGE << id[77] : 0;
	print_trimmed("nvme-io: ", id + 24, 40);
	print_trimmed(", serial ", id + 4, 20);
	printf(", max transfer %u KiB\n", n->max_transfer / 1024);
	return 0;
}

static int identify_namespace(struct nvme_ctrl *n, uint32_t nsid)
{
	struct nvme_sqe cmd = { .cdw0 = NVME_ADMIN_IDENTIFY, .nsid = nsid,
				.prp1 = n->id_iova, .cdw10 = 0 };
	const uint8_t *id = n->id_buf;
	uint32_t lbaf;
	int ret;

	ret = admin_checked(n, &cmd, NULL, "Identify Namespace");
	if (ret)
		return ret;
	memcpy(&n->nsze, id, sizeof(n->nsze));
	memcpy(&lbaf, id + 128 + 4 * (id[26] & 0xf), sizeof(lbaf));
	n->lba_shift = (lbaf >> 16) & 0xff;
	if (!n->nsze || n->lba_shift < 9) {
		fprintf(stderr, "nvme-io: %s: namespace %u is not active\n", n->bdf, nsid);
		return -ENODEV;
	}
	n->nsid = nsid;
	printf("nvme-io: namespace %u: %llu LBAs of %u bytes\n", nsid,
	       (unsigned long long)n->nsze, 1u << n->lba_shift);
	return 0;
}

int nvme_identify(struct nvme_ctrl *n, uint32_t nsid)
{
	int ret;

	ret = vfiox_dma_alloc(n->pool, NVME_PAGE, &n->id_buf, &n->id_iova);
	if (ret)
		return ret;
	ret = identify_controller(n);
	if (!ret)
		ret = identify_namespace(n, nsid);
	return ret;
}

/* Asks for @count I/O queue pairs; the controller may grant fewer. */
static int set_queue_count(struct nvme_ctrl *n, unsigned int count)
{
	struct nvme_sqe cmd = { .cdw0 = NVME_ADMIN_SET_FEATURES,
				.cdw10 = NVME_FEAT_NUM_QUEUES,
				.cdw11 = (count - 1) << 16 | (count - 1) };
	struct nvme_cqe cqe;
	unsigned int sqs, cqs;
	int ret;

	ret = admin_checked(n, &cmd, &cqe, "Set Features (Number of Queues)");
	if (ret)
		return ret;
	sqs = (cqe.dw0 & 0xffff) + 1;
	cqs = (cqe.dw0 >> 16) + 1;
	if (sqs < count || cqs < count) {
		fprintf(stderr, "nvme-io: %s: asked for %u queue pairs, the controller grants %u\n",
			n->bdf, count, sqs < cqs ? sqs : cqs);
		return -ENOSPC;
	}
	return 0;
}

/* One MSI-X vector per I/O queue, vector 0 for the (polled) admin queue. */
static int enable_msix(struct nvme_ctrl *n, unsigned int count)
{
	struct vfiox_irq_info info = { .sz = sizeof(info) };
	int ret;

	ret = vfiox_device_irq_info(n->d, VFIO_PCI_MSIX_IRQ_INDEX, &info);
	if (!ret && info.count < count + 1) {
		fprintf(stderr, "nvme-io: %s: %u MSI-X vectors, %u needed\n",
			n->bdf, info.count, count + 1);
		return -ENOSPC;
	}
	n->efds = calloc(count + 1, sizeof(*n->efds));
	if (!ret && !n->efds)
		ret = -ENOMEM;
	if (!ret)
		ret = vfiox_irq_enable(n->d, VFIO_PCI_MSIX_IRQ_INDEX, 0, count + 1, n->efds);
	if (ret) {
		fprintf(stderr, "nvme-io: %s: MSI-X: %s\n", n->bdf, strerror(-ret));
		free(n->efds);
		n->efds = NULL;
		return ret;
	}
	n->nvec = count + 1;
	return 0;
}

static int delete_queue(struct nvme_ctrl *n, uint8_t opcode, uint16_t qid)
{
	struct nvme_sqe cmd = { .cdw0 = opcode, .cdw10 = qid };

	return admin_checked(n, &cmd, NULL, opcode == NVME_ADMIN_DELETE_SQ ?
			     "Delete I/O Submission Queue" :
			     "Delete I/O Completion Queue");
}

static int create_pair(struct nvme_ctrl *n, struct nvme_queue *q, int irq)
{
	struct nvme_sqe cq = { .cdw0 = NVME_ADMIN_CREATE_CQ, .prp1 = q->cq_iova,
			       .cdw10 = (uint32_t)(q->entries - 1) << 16 | q->qid,
			       .cdw11 = 1 };	/* physically contiguous */
	struct nvme_sqe sq = { .cdw0 = NVME_ADMIN_CREATE_SQ, .prp1 = q->sq_iova,
			       .cdw10 = (uint32_t)(q->entries - 1) << 16 | q->qid,
			       .cdw11 = (uint32_t)q->qid << 16 | 1 };
	int ret;

	if (irq) {
		q->vector = q->qid;
		q->efd = n->efds[q->vector];
		cq.cdw11 |= (uint32_t)q->vector << 16 | 2;	/* IEN */
	}
	ret = admin_checked(n, &cq, NULL, "Create I/O Completion Queue");
	if (ret)
		return ret;
	ret = admin_checked(n, &sq, NULL, "Create I/O Submission Queue");
	if (ret)
		delete_queue(n, NVME_ADMIN_DELETE_CQ, q->qid);
	return ret;
}

/* @count pairs of @entries slots each, with MSI-X when @irq. */
int nvme_create_io_queues(struct nvme_ctrl *n, unsigned int count,
			  unsigned int entries, int irq)
{
	unsigned int i;
	int ret;

	if (entries > n->mqes) {
		fprintf(stderr, "nvme-io: %s: queue of %u entries, the controller takes at most %u\n",
			n->bdf, entries, n->mqes);
		return -EINVAL;
	}
	n->io = calloc(count, sizeof(*n->io));
	if (!n->io)
		return -ENOMEM;
	ret = set_queue_count(n, count);
	if (!ret && irq)
		ret = enable_msix(n, count);
	for (i = 0; !ret && i < count; i++) {
		ret = nvme_queue_alloc(n, &n->io[i], (uint16_t)(i + 1), (uint16_t)entries);
		if (!ret)
			ret = create_pair(n, &n->io[i], irq);
		if (!ret)
			n->nio++;
	}
	return ret;
}

/* Return: 0 once every I/O queue is deleted, else -EIO. */
static int delete_io_queues(struct nvme_ctrl *n)
{
	uint32_t csts = rd32(n, NVME_REG_CSTS);
	unsigned int i;

	/* A dead controller answers nothing: skip straight to the reset. */
	if (n->nio && (!n->admin_timeout_ms || (csts & NVME_CSTS_CFS))) {
		fprintf(stderr, "nvme-io: %s: controller not answering (CSTS 0x%x): I/O queues left to the reset\n",
			n->bdf, csts);
		return -EIO;
	}
	for (i = n->nio; i-- > 0; n->nio--) {
		if (delete_queue(n, NVME_ADMIN_DELETE_SQ, n->io[i].qid) ||
		    delete_queue(n, NVME_ADMIN_DELETE_CQ, n->io[i].qid))
			return -EIO;
	}
	return 0;
}

/*
 * Leaves the controller disabled and the device free for the next user.
 * Return: 0 when the I/O queues were deleted and the controller stopped,
 * -EIO when either had to be left to the reset (CC.EN 0) or the kernel.
 */
int nvme_close(struct nvme_ctrl *n)
{
	int ret = 0;

	if (!n->c)
		return 0;
	if (n->enabled) {
		ret = delete_io_queues(n);
		if (disable(n))
			ret = -EIO;
	}
	if (n->efds)
		vfiox_irq_disable(n->d, VFIO_PCI_MSIX_IRQ_INDEX);
	free(n->efds);
	free(n->io);
	vfiox_dma_pool_free(n->pool);
	vfiox_container_close(n->c);
	n->c = NULL;
	return ret;
}
