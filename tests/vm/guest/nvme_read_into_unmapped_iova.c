// SPDX-License-Identifier: MIT
/*
 * A read the NVMe controller is told to DMA into an IOVA that was just
 * unmapped lands nowhere: the buffer that was mapped there and every
 * buffer still mapped keep their bytes. QEMU's NVMe may still report
 * success for a transfer the IOMMU blocked, so the bytes are checked, not
 * the status. As a control, the same read into a mapped buffer must change
 * it (else the check above could not fail). The controller is driven with
 * examples/nvme-io's driver files, through libvfiox's public API only.
 */
#include "vmtest.h"
#include "nvme.h"

#define LEN 4096

volatile sig_atomic_t nvme_stop;

static int all_bytes(const uint8_t *p, uint8_t v)
{
	size_t i;

	for (i = 0; i < LEN; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* Reads LEN bytes from LBA 0 into @iova; returns the status (or -errno). */
static int read_into(struct nvme_ctrl *n, uint64_t iova)
{
	static uint16_t cid;
	unsigned int lba_size = 1u << n->lba_shift;
	struct nvme_sqe cmd = { .cdw0 = NVME_CMD_READ | (uint32_t)++cid << 16,
				.nsid = n->nsid, .prp1 = iova,
				.cdw12 = LEN / lba_size - 1 };
	struct nvme_cqe cqe;
	int ms;

	nvme_queue_push(&n->io[0], &cmd);
	nvme_queue_ring(&n->io[0]);
	for (ms = 0; ms < 10000; ms++) {
		if (nvme_queue_pop(&n->io[0], &cqe)) {
			nvme_queue_ack(&n->io[0]);
			return cqe.status >> 1;
		}
		usleep(1000);
	}
	return -ETIMEDOUT;
}

static void *page(uint8_t fill)
{
	void *p = aligned_alloc(LEN, LEN);

	if (p)
		memset(p, fill, LEN);
	return p;
}

int main(void)
{
	const char *bdf = getenv("VFIOX_NVME");
	uint64_t pool_iova, kept_iova, gone_iova;
	uint8_t *pooled, *kept = page(0xcc), *gone = page(0xaa);
	struct nvme_ctrl n;
	char name[128];
	int status;

	vt_init();
	if (!bdf || !kept || !gone || nvme_open(&n, bdf, NULL))
		return 1;
	CHECK_RET(nvme_enable(&n), 0);
	CHECK_RET(nvme_identify(&n, 1), 0);
	CHECK_RET(nvme_create_io_queues(&n, 1, 4, 0), 0);
	CHECK_RET(vfiox_dma_alloc(n.pool, LEN, (void **)&pooled, &pool_iova), 0);
	memset(pooled, 0xbb, LEN);
	/* The kept buffer first: a one-page map would reuse the freed IOVA. */
	CHECK_RET(vfiox_dma_map(n.c, kept, LEN, NULL, &kept_iova), 0);
	CHECK_RET(vfiox_dma_map(n.c, gone, LEN, NULL, &gone_iova), 0);
	CHECK_RET(vfiox_dma_unmap_iova(n.c, gone_iova, LEN), 0);
	if (vt_failures) {
		nvme_close(&n);
		return 1;
	}

	status = read_into(&n, gone_iova);
	CHECK(status >= 0, "the read into IOVA 0x%llx got no completion",
	      (unsigned long long)gone_iova);
	nvme_status_format((uint16_t)(status < 0 ? 0 : status), name, sizeof(name));
	printf("  read into unmapped IOVA 0x%llx: %s\n", (unsigned long long)gone_iova,
	       status < 0 ? "no completion" : name);
	CHECK(all_bytes(gone, 0xaa), "the unmapped buffer changed");
	CHECK(all_bytes(kept, 0xcc), "a mapped heap buffer changed");
	CHECK(all_bytes(pooled, 0xbb), "a pool buffer changed");

	/* Control: the same read into a mapped buffer does change it. */
	status = read_into(&n, kept_iova);
	nvme_status_format((uint16_t)(status < 0 ? 0 : status), name, sizeof(name));
	printf("  read into mapped IOVA 0x%llx: %s\n", (unsigned long long)kept_iova, name);
	CHECK(status == 0, "the control read failed: %d", status);
	CHECK(!all_bytes(kept, 0xcc), "the control read left its buffer as it was");
	CHECK(all_bytes(gone, 0xaa), "the unmapped buffer changed on the control read");

	CHECK_RET(nvme_close(&n), 0);	/* queues deleted, controller off */
	free(kept);
	free(gone);
	printf("  %d failures\n", vt_failures);
	return vt_failures ? 1 : 0;
}
