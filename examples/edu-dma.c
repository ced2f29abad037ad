// SPDX-License-Identifier: MIT
/*
 * edu-dma: a round trip through QEMU's "edu" device and the IOMMU.
 * A pattern in one libvfiox DMA buffer is copied by the device into its own
 * memory and back into a second buffer; completion arrives on the MSI
 * eventfd. edu can only address 28 bits, so the pool is told so and every
 * IOVA it hands out is checked against that limit.
 *
 * With --p2p SHM_BDF it then copies the pattern peer-to-peer: an
 * ivshmem-plain device, opened in a second container, has its BAR 2
 * mapped into edu's container with vfiox_p2p_map() (on iommufd through a
 * vfio-pci dma-buf); edu DMA-writes into it and the bytes are read back
 * through the BAR mmap. On a kernel with the kernel-patches/ series it
 * also watches edu's container and shows the revocation event when the
 * ivshmem device is closed (iommufd sends no such event).
 *
 * Usage: edu-dma [BDF] [--p2p SHM_BDF]   (default 0000:00:06.0)
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
		ret = vfiox_pci_enable_dma(e->d);
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

static void on_event(const struct vfiox_event *ev, void *arg)
{
	(void)arg;
	printf("edu-dma: event: %s released, its mapping at IOVA 0x%llx (+0x%llx) was revoked%s\n",
	       ev->device, (unsigned long long)ev->iova,
	       (unsigned long long)ev->len,
	       ev->dropped_mapping ? "; libvfiox dropped it" : "");
}

/* Watch edu's container when the kernel can tell us about revocations. */
static struct vfiox_events *watch(struct edu *e)
{
	struct vfiox_events *ev;

	if (vfiox_p2p_revocable(e->c) != 1) {
		printf("edu-dma: stock kernel: a P2P mapping outlives its device, unmap it first\n");
		return NULL;
	}
	if (vfiox_container_backend(e->c) == VFIOX_BACKEND_IOMMUFD) {
		printf("edu-dma: iommufd: the kernel revokes a dma-buf P2P mapping silently, unmap it first\n");
		return NULL;
	}
	if (vfiox_events_open(NULL, on_event, NULL, &ev))
		return NULL;
	if (vfiox_events_watch(ev, e->c)) {
		vfiox_events_close(ev);
		return NULL;
	}
	return ev;
}

static int p2p_copy(struct edu *e, const char *shm_bdf, const uint8_t *src,
		    uint64_t src_iova)
{
	struct vfiox_dma_opts lim = { .sz = sizeof(lim), .iova_limit = EDU_DMA_LIMIT };
	struct vfiox_events *ev = watch(e);
	struct vfiox_container *c = NULL;
	struct vfiox_group *g;
	struct vfiox_device *shm;
	uint64_t bar_iova;
	uint8_t *bar2;
	int ret;

	ret = vfiox_container_open(NULL, &c);
	if (!ret && (ret = vfiox_group_open_pci(c, shm_bdf, &g)) == 0)
		ret = vfiox_device_open(g, shm_bdf, NULL, &shm);
	if (!ret)
		ret = vfiox_region_mmap(shm, VFIO_PCI_BAR2_REGION_INDEX, (void **)&bar2);
	if (!ret)
		ret = vfiox_p2p_map(e->c, shm, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096,
				    &lim, &bar_iova);
	if (!ret) {
		memset(bar2, 0, LEN);
		ret = dma(e, src_iova, EDU_BUF, 0);
	}
	if (!ret)
		ret = dma(e, EDU_BUF, bar_iova, EDU_CMD_TO_RAM);
	if (!ret && memcmp(src, bar2, LEN))
		ret = -EIO;
	if (!ret)
		printf("edu-dma: p2p: edu wrote %d bytes into %s BAR 2 at IOVA 0x%llx: match\n",
		       LEN, shm_bdf, (unsigned long long)bar_iova);
	else
		fprintf(stderr, "edu-dma: p2p copy to %s: %s\n", shm_bdf, strerror(-ret));
	if (!ret && !ev)
		ret = vfiox_p2p_unmap(e->c, bar_iova, 4096);
	if (c)
		vfiox_container_close(c);
	if (ev && !ret && vfiox_events_wait(ev, 5000) != 1) {
		fprintf(stderr, "edu-dma: no revocation event within 5 s\n");
		ret = -ETIMEDOUT;
	}
	vfiox_events_close(ev);
	return ret;
}

int main(int argc, char **argv)
{
	struct vfiox_dma_pool_opts po = { .sz = sizeof(po), .iova_limit = EDU_DMA_LIMIT };
	const char *bdf = argc > 1 && argv[1][0] != '-' ? argv[1] : "0000:00:06.0";
	const char *shm_bdf = NULL;
	struct vfiox_dma_pool *pool;
	uint64_t src_iova, dst_iova;
	uint8_t *src, *dst;
	struct edu e = { 0 };
	int ret, i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--p2p") && i + 1 < argc)
			shm_bdf = argv[++i];
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
	if (!ret && shm_bdf)
		ret = p2p_copy(&e, shm_bdf, src, src_iova);
	vfiox_dma_pool_free(pool);
	vfiox_container_close(e.c);
	return ret ? 1 : 0;
}
