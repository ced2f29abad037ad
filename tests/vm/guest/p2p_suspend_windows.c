// SPDX-License-Identifier: MIT
/*
 * Inside the windows of a peer suspension, held open by the test-only
 * delays of the series' test modules (kernel-patches/test/linux-7.2).
 * Container A holds edu, which DMAs through A's mapping of another
 * device's BAR.
 *
 * reset_window: A maps NVMe's CMB (BAR 2). VFIO_DEVICE_RESET of the NVMe
 * sleeps after the reset with memory_lock held (test_reset_hold_ms); edu
 * writes to the CMB meanwhile. Patched: the IOMMU entry is gone during the
 * reset, the DMA faults (VT-d). Stock (no delay to hold): no fault. After
 * the reset the DMA lands, with nothing done by A. iommufd (the mapping a
 * vfio-pci dma-buf): the reset revokes it for good (docs/iommufd.md), the
 * DMA faults during and after it, and a new map lands.
 *
 * held_at_map (patched only: it needs the delay): ivshmem clears Memory
 * Space Enable, and sleeps after suspending peers and before zapping its
 * BAR mmaps (test_zap_delay_ms). Meanwhile A maps ivshmem's BAR 2: the map
 * resolves the still-present mmap and succeeds, but is held out of the
 * IOMMU: edu's DMA to it faults. Once ivshmem sets MSE again, the DMA
 * lands, A having done nothing.
 */
#include "p2p_suspend.h"

#define LEN 2048
#define HOLD_MS 1500

struct edu_ctx {
	struct vt_edu edu;
	uint8_t *src;
	uint64_t src_iova, dst;
	uint8_t seed;
};

static struct edu_ctx ctx;

/* edu copies LEN bytes of pattern ctx.seed from RAM into IOVA ctx.dst. */
static int edu_write(void *arg)
{
	struct edu_ctx *c = arg;

	vt_fill(c->src, LEN, c->seed);
	return vt_edu_copy(&c->edu, c->src_iova, c->dst, LEN);
}

/* Whether BAR bytes @bar hold pattern @seed. */
static int holds(const volatile uint8_t *bar, uint8_t seed)
{
	uint8_t want[LEN];
	int i;

	vt_fill(want, LEN, seed);
	for (i = 0; i < LEN; i++)
		if (bar[i] != want[i])
			return 0;
	return 1;
}

static int reset_ioctl(void *dev)
{
	return ioctl(vfiox_device_fd(dev), VFIO_DEVICE_RESET) ? -errno : 0;
}

static int mse_clear(void *dev)
{
	return ps_set_mse(dev, 0);
}

static void reset_window(struct vfiox_container *a, int patched)
{
	struct vfiox_dma_opts lim = { .sz = sizeof(lim), .iova_limit = PS_EDU_LIMIT };
	int knob = ps_has_knob("test_reset_hold_ms");
	struct vfiox_container *b;
	struct vfiox_device *nvme;
	struct vfiox_group *g;
	volatile uint8_t *cmb;
	struct ps_op op;
	int for_good = vt_iommufd(a);

	CHECK(knob || !patched, "the patched modules have test_reset_hold_ms");
	CHECK_RET(vt_open(vt_env("VFIOX_NVME_CMB"), &b, &g, &nvme), 0);
	CHECK_RET(vfiox_region_mmap(nvme, VFIO_PCI_BAR2_REGION_INDEX, (void **)&cmb), 0);
	CHECK_RET(vfiox_p2p_map(a, nvme, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096, &lim,
				&ctx.dst), 0);
	if (vt_failures)
		return;
	ctx.seed = 1;
	CHECK_RET(edu_write(&ctx), 0);
	CHECK(holds(cmb, 1), "edu's DMA into NVMe's CMB arrived");

	ps_fault_quiet();
	if (knob)
		ps_set_knob("test_reset_hold_ms", HOLD_MS);
	CHECK_RET(ps_op_start(&op, reset_ioctl, nvme), 0);
	usleep(HOLD_MS / 3 * 1000);
	ctx.seed = 2;
	ps_check_fault(ctx.dst, edu_write, &ctx, knob || for_good, "during the reset");
	if (knob)
		CHECK(!ps_op_done(&op), "the DMA ran while the reset held memory_lock");
	CHECK_RET(ps_op_wait(&op), 0);
	if (knob)
		ps_set_knob("test_reset_hold_ms", 0);

	ctx.seed = 3;
	ps_check_fault(ctx.dst, edu_write, &ctx, for_good, "after the reset");
	if (for_good) {
		CHECK(!holds(cmb, 3), "iommufd: the reset revoked A's mapping for good");
		CHECK_RET(vfiox_p2p_unmap(a, ctx.dst, 4096), 0);
		CHECK_RET(vfiox_p2p_map(a, nvme, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096, &lim,
					&ctx.dst), 0);
		ctx.seed = 4;
		CHECK_RET(edu_write(&ctx), 0);
		CHECK(holds(cmb, 4), "iommufd: a new map after the reset lands");
	} else {
		CHECK(holds(cmb, 3), "edu's DMA lands after the reset, A did nothing");
	}
	CHECK(vt_raw_unmap(a, ctx.dst, 4096) == 4096, "A's mapping was there to unmap");
	vfiox_container_close(b);
}

static void held_at_map(struct vfiox_container *a)
{
	struct vfiox_dma_opts lim = { .sz = sizeof(lim), .iova_limit = PS_EDU_LIMIT };
	struct vfiox_container *b;
	struct vfiox_device *shm;
	struct vfiox_group *g;
	volatile uint8_t *bar2;
	struct ps_op op;
	int ret;

	CHECK(ps_has_knob("test_zap_delay_ms"), "the patched modules have test_zap_delay_ms");
	CHECK_RET(vt_open(vt_env("VFIOX_IVSHMEM"), &b, &g, &shm), 0);
	CHECK_RET(vfiox_region_mmap(shm, VFIO_PCI_BAR2_REGION_INDEX, (void **)&bar2), 0);
	CHECK_RET(ps_set_mse(shm, 1), 0);
	if (vt_failures)
		return;
	bar2[0] = bar2[0];	/* fault the mmap in: the map must only resolve it */

	ps_fault_quiet();
	ps_set_knob("test_zap_delay_ms", HOLD_MS);
	CHECK_RET(ps_op_start(&op, mse_clear, shm), 0);
	usleep(HOLD_MS / 4 * 1000);
	ret = vfiox_p2p_map(a, shm, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096, &lim, &ctx.dst);
	CHECK(!ps_op_done(&op), "the map ran between the peers' suspend and the zap");
	CHECK_RET(ret, 0);
	if (!ret) {
		ctx.seed = 4;
		ps_check_fault(ctx.dst, edu_write, &ctx, 1, "mapped while suspended");
	}
	CHECK_RET(ps_op_wait(&op), 0);
	ps_set_knob("test_zap_delay_ms", 0);
	if (ret) {
		vfiox_container_close(b);
		return;
	}

	CHECK_RET(ps_set_mse(shm, 1), 0);
	ctx.seed = 5;
	ps_check_fault(ctx.dst, edu_write, &ctx, 0, "after MSE set");
	CHECK(holds(bar2, 5), "the held mapping is live once MSE is set, A did nothing");
	CHECK(vt_raw_unmap(a, ctx.dst, 4096) == 4096, "A's mapping was there to unmap");
	vfiox_container_close(b);
}

int main(void)
{
	struct vfiox_dma_pool_opts po = { .sz = sizeof(po), .iova_limit = PS_EDU_LIMIT };
	const char *mods = getenv("VFIOX_MODULES");
	int patched = mods && !strcmp(mods, "patched");
	struct vfiox_dma_pool *pool;
	struct vfiox_container *a;
	struct vfiox_device *edu;
	struct vfiox_group *g;

	vt_init();
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &a, &g, &edu), 0);
	CHECK_RET(vt_edu_setup(edu, &ctx.edu), 0);
	CHECK_RET(vfiox_dma_pool_new(a, &po, &pool), 0);
	CHECK_RET(vfiox_dma_alloc(pool, LEN, (void **)&ctx.src, &ctx.src_iova), 0);
	if (vt_failures)
		return vt_done("p2p_suspend_windows");
	printf("  modules: %s\n", patched ? "patched" : "stock");
	reset_window(a, patched);
	if (patched)
		held_at_map(a);
	else
		printf("  held_at_map: needs the series' test-only delay, not run\n");
	vfiox_dma_pool_free(pool);
	vfiox_container_close(a);
	return vt_done("p2p_suspend_windows");
}
