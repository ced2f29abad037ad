// SPDX-License-Identifier: MIT
/*
 * nvme-identify: the smallest useful userspace NVMe driver. Resets the
 * controller, puts the admin queues in libvfiox DMA buffers, issues
 * Identify Controller and prints model, serial and firmware revision.
 * Completion is polled (no interrupts needed).
 *
 * Usage: nvme-identify [BDF]   (default 0000:00:04.0)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include <vfiox.h>

#define REG_CAP 0x00
#define REG_CC 0x14
#define REG_CSTS 0x1c
#define REG_AQA 0x24
#define REG_ASQ 0x28
#define REG_ACQ 0x30
#define CC_ENABLE 0x00460001u	/* EN, 64-byte SQEs, 16-byte CQEs, 4K pages */
#define QDEPTH 16
#define OPC_IDENTIFY 0x06
#define CNS_CONTROLLER 1

struct sqe {
	uint32_t cdw0, nsid, rsvd[2];
	uint64_t mptr, prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct cqe {
	uint32_t dw0, dw1;
	uint16_t sq_head, sq_id, cid, status;
};

struct nvme {
	volatile uint8_t *bar;
	unsigned int dstrd;
	unsigned int timeout_ms;
};

static uint32_t rd32(struct nvme *n, unsigned int off)
{
	return *(volatile uint32_t *)(n->bar + off);
}

static void wr32(struct nvme *n, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(n->bar + off) = v;
}

static void wr64(struct nvme *n, unsigned int off, uint64_t v)
{
	wr32(n, off, (uint32_t)v);
	wr32(n, off + 4, (uint32_t)(v >> 32));
}

static int wait_ready(struct nvme *n, uint32_t want)
{
	unsigned int ms;

	for (ms = 0; ms < n->timeout_ms; ms++) {
		if ((rd32(n, REG_CSTS) & 1) == want)
			return 0;
		usleep(1000);
	}
	fprintf(stderr, "nvme-identify: CSTS.RDY stayed %u\n", !want);
	return -ETIMEDOUT;
}

static void copy_trimmed(char *dst, const uint8_t *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
	while (len && dst[len - 1] == ' ')
		dst[--len] = '\0';
}

static int identify(struct nvme *n, struct vfiox_dma_pool *pool)
{
	uint64_t sq_iova, cq_iova, id_iova;
	volatile struct cqe *cq;
	struct sqe *sq;
	uint8_t *id;
	char model[41], serial[21], fw[9];
	unsigned int ms;
	int ret;

	ret = vfiox_dma_alloc(pool, 4096, (void **)&sq, &sq_iova);
	if (!ret)
		ret = vfiox_dma_alloc(pool, 4096, (void **)&cq, &cq_iova);
	if (!ret)
		ret = vfiox_dma_alloc(pool, 4096, (void **)&id, &id_iova);
	if (ret)
		return ret;
	wr32(n, REG_AQA, (QDEPTH - 1) << 16 | (QDEPTH - 1));
	wr64(n, REG_ASQ, sq_iova);
	wr64(n, REG_ACQ, cq_iova);
	wr32(n, REG_CC, CC_ENABLE);
	ret = wait_ready(n, 1);
	if (ret)
		return ret;
	sq[0] = (struct sqe){ .cdw0 = OPC_IDENTIFY | 1u << 16, .prp1 = id_iova,
			      .cdw10 = CNS_CONTROLLER };
	__sync_synchronize();
	wr32(n, 0x1000, 1);	/* admin SQ tail doorbell */
	for (ms = 0; ms < 5000 && !(cq[0].status & 1); ms++)
		usleep(1000);
	if (!(cq[0].status & 1)) {
		fprintf(stderr, "nvme-identify: no completion within 5 s\n");
		return -ETIMEDOUT;
	}
	if (cq[0].status >> 1) {
		fprintf(stderr, "nvme-identify: Identify failed, status 0x%x\n",
			cq[0].status >> 1);
		return -EIO;
	}
	wr32(n, 0x1000 + (4u << n->dstrd), 1);	/* admin CQ head doorbell */
	copy_trimmed(serial, id + 4, 20);
	copy_trimmed(model, id + 24, 40);
	copy_trimmed(fw, id + 64, 8);
	printf("model: %s\nserial: %s\nfirmware: %s\n", model, serial, fw);
	return 0;
}

int main(int argc, char **argv)
{
	const char *bdf = argc > 1 ? argv[1] : "0000:00:04.0";
	struct vfiox_container *c;
	struct vfiox_dma_pool *pool = NULL;
	struct vfiox_device *d;
	struct vfiox_group *g;
	struct nvme n;
	uint64_t cap;
	void *bar;
	int ret;

	ret = vfiox_container_open(NULL, &c);
	if (ret) {
		fprintf(stderr, "nvme-identify: no VFIO container: %s\n", strerror(-ret));
		return 1;
	}
	ret = vfiox_group_open_pci(c, bdf, &g);
	if (!ret)
		ret = vfiox_device_open(g, bdf, NULL, &d);
	if (!ret)
		ret = vfiox_pci_enable_dma(d);	/* memory space and bus mastering */
	if (!ret)
		ret = vfiox_region_mmap(d, VFIO_PCI_BAR0_REGION_INDEX, &bar);
	if (!ret)
		ret = vfiox_dma_pool_new(c, NULL, &pool);
	if (ret) {
		fprintf(stderr, "nvme-identify: %s: %s\n", bdf, strerror(-ret));
		vfiox_container_close(c);
		return 1;
	}
	n.bar = bar;
	cap = (uint64_t)rd32(&n, REG_CAP + 4) << 32 | rd32(&n, REG_CAP);
	n.dstrd = (unsigned int)(cap >> 32) & 0xf;
	n.timeout_ms = (unsigned int)((cap >> 24) & 0xff) * 500 + 500;
	wr32(&n, REG_CC, 0);
	ret = wait_ready(&n, 0);
	if (!ret)
		ret = identify(&n, pool);
	wr32(&n, REG_CC, 0);
	vfiox_dma_pool_free(pool);
	vfiox_container_close(c);
	return ret ? 1 : 0;
}
