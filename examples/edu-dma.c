// SPDX-License-Identifier: MIT
/*
 * edu-dma: a round trip through QEMU's "edu" device and the IOMMU.
 * A pattern in one libvfiox DMA buffer is copied by the device into its own
 * memory and back into a second buffer; completion arrives on the MSI
 * eventfd. edu can only address 28 bits, so the pool is told so and every
 * IOVA it hands out is checked against that limit.
 *
 * Usage: edu-dma [BDF]   (default 0000:00:06.0)
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/vfio.h>

#include <vfiox.h>

#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_CMD_START 0x1
#define EDU_CMD_TO_RAM 0x2
#define EDU_CMD_IRQ 0x4
#define EDU_BUF 0x40000
#define EDU_DMA_LIMIT 0xfffffffULL	/* 28-bit DMA mask */
/*
 * edu's buffer is 4 KiB, but QEMU 7.2 checks the end of a transfer as
 * exclusive and aborts on a full 4 KiB one: move half of it.
 */
#define LEN 2048

struct edu {
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	volatile uint8_t *bar;
	int efd;
};

static void wr64(struct edu *e, unsigned int off, uint64_t v)
{
	*(volatile uint64_t *)(e->bar + off) = v;
}

static int wait_irq(struct edu *e)
{
	struct pollfd pfd = { .fd = e->efd, .events = POLLIN };
	uint32_t status;
	uint64_t n;

	if (poll(&pfd, 1, 5000) != 1 || read(e->efd, &n, sizeof(n)) != sizeof(n)) {
		fprintf(stderr, "edu-dma: no completion interrupt within 5 s\n");
		return -ETIMEDOUT;
	}
	status = *(volatile uint32_t *)(e->bar + EDU_IRQ_STATUS);
	*(volatile uint32_t *)(e->bar + EDU_IRQ_ACK) = status;
	return 0;
}

static int dma(struct edu *e, uint64_t src, uint64_t dst, uint64_t cmd)
{
	wr64(e, EDU_DMA_SRC, src);
	wr64(e, EDU_DMA_DST, dst);
	wr64(e, EDU_DMA_CNT, LEN);
	wr64(e, EDU_DMA_CMD, EDU_CMD_START | EDU_CMD_IRQ | cmd);
	return wait_irq(e);
}

static int setup(struct edu *e, const char *bdf)
{
	uint16_t cmd;
	void *bar;
	int ret;

	ret = vfiox_container_open(NULL, &e->c);
	if (ret)
		return ret;
	ret = vfiox_group_open_pci(e->c, bdf, &e->g);
	if (!ret)
		ret = vfiox_device_open(e->g, bdf, NULL, &e->d);
	/* Bus mastering: edu's DMA and its MSI are memory writes. */
	if (!ret)
		ret = vfiox_region_read(e->d, VFIO_PCI_CONFIG_REGION_INDEX, 4, &cmd, 2);
	cmd |= 0x6;
	if (!ret)
		ret = vfiox_region_write(e->d, VFIO_PCI_CONFIG_REGION_INDEX, 4, &cmd, 2);
	if (!ret)
		ret = vfiox_irq_enable(e->d, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &e->efd);
	if (!ret)
		ret = vfiox_region_mmap(e->d, VFIO_PCI_BAR0_REGION_INDEX, &bar);
	if (ret) {
		vfiox_container_close(e->c);
		return ret;
	}
	e->bar = bar;
	return 0;
}

int main(int argc, char **argv)
{
	struct vfiox_dma_pool_opts po = { .sz = sizeof(po), .iova_limit = EDU_DMA_LIMIT };
	const char *bdf = argc > 1 ? argv[1] : "0000:00:06.0";
	struct vfiox_dma_pool *pool;
	uint64_t src_iova, dst_iova;
	uint8_t *src, *dst;
	struct edu e = { 0 };
	int ret, i;

	ret = setup(&e, bdf);
	if (ret) {
		fprintf(stderr, "edu-dma: cannot open %s: %s\n", bdf, strerror(-ret));
		return 1;
	}
	ret = vfiox_dma_pool_new(e.c, &po, &pool);
	if (!ret)
		ret = vfiox_dma_alloc(pool, LEN, (void **)&src, &src_iova);
	if (!ret)
		ret = vfiox_dma_alloc(pool, LEN, (void **)&dst, &dst_iova);
	if (ret) {
		fprintf(stderr, "edu-dma: DMA buffers: %s\n", strerror(-ret));
		return 1;
	}
	printf("edu-dma: src iova 0x%llx, dst iova 0x%llx (limit 0x%llx)\n",
	       (unsigned long long)src_iova, (unsigned long long)dst_iova,
	       EDU_DMA_LIMIT);
	for (i = 0; i < LEN; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	ret = dma(&e, src_iova, EDU_BUF, 0);
	if (!ret)
		ret = dma(&e, EDU_BUF, dst_iova, EDU_CMD_TO_RAM);
	if (!ret && memcmp(src, dst, LEN)) {
		fprintf(stderr, "edu-dma: data came back different\n");
		ret = -EIO;
	}
	if (!ret && (src_iova > EDU_DMA_LIMIT || dst_iova > EDU_DMA_LIMIT)) {
		fprintf(stderr, "edu-dma: a buffer above the 28-bit limit was used\n");
		ret = -ERANGE;
	}
	if (!ret)
		printf("edu-dma: %d bytes copied to the device and back through the IOMMU: match\n",
		       LEN);
	vfiox_dma_pool_free(pool);
	vfiox_container_close(e.c);
	return ret ? 1 : 0;
}
