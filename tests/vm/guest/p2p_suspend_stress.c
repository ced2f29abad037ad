// SPDX-License-Identifier: MIT
/*
 * Lock stress for suspending peers' P2P mappings (run it on the debug
 * kernel: lockdep, KASAN and kmemleak judge it after it ends). Container
 * A holds edu; container B holds the NVMe controller with a CMB (BAR 2),
 * which can be reset. For 20 s one thread maps and unmaps the CMB in A
 * (VFIO_IOMMU_MAP_DMA/UNMAP_DMA behind libvfiox's back), while another
 * clears and sets Memory Space Enable on B and resets B. A map made while
 * B's memory is off may fail (EFAULT, or EINVAL when the zap lands between
 * type1's fault-in and its second pte lookup); every one that succeeds must unmap
 * whole. At the end, with B enabled, a last map is made and edu's DMA
 * through it must land in the CMB: the mapping is live.
 * iommufd: the kernel refuses every map of the CMB's mmap (EFAULT: an IOAS
 * pins pages, a BAR has none), through the same 20 s of MSE cycles and
 * resets; the last mapping is vfiox_p2p_map()'s dma-buf, and it lands.
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "vmtest.h"

#define EDU_LIMIT 0xfffffffULL
#define LEN 2048
#define STRESS_IOVA 0xff00000ULL
#define SECONDS 20

static struct vt_edu edu_dev;
static volatile int stop;

struct mapper {
	struct vfiox_container *a;
	void *cmb;
	unsigned long maps, refused, bad_unmaps, errors;
	int last_error;
};

static void *map_loop(void *arg)
{
	struct mapper *m = arg;
	int ret;

	while (!stop) {
		ret = vt_raw_map(m->a, m->cmb, STRESS_IOVA, 4096);
		/*
		 * EINVAL too: type1's follow_fault_pfn() faults the BAR in and
		 * looks the pte up again; a zap (MSE clear) in between makes
		 * follow_pfnmap_start() find it gone, which is -EINVAL.
		 */
		if (ret == -EFAULT || ret == -EAGAIN || ret == -EINVAL) {
			m->refused++;
			continue;
		}
		if (ret) {
			m->errors++;
			m->last_error = ret;
			continue;
		}
		m->maps++;
		if (vt_raw_unmap(m->a, STRESS_IOVA, 4096) != 4096)
			m->bad_unmaps++;
	}
	return NULL;
}

static void stress(struct vfiox_container *a, uint8_t *src, uint64_t src_iova)
{
	struct vfiox_container *b;
	struct vfiox_device *nvme;
	struct vfiox_group *g;
	struct mapper m = { .a = a };
	unsigned long cycles = 0, resets = 0, op_errors = 0;
	volatile uint8_t *cmb;
	pthread_t t;
	time_t end;

	CHECK_RET(vt_open(vt_env("VFIOX_NVME_CMB"), &b, &g, &nvme), 0);
	CHECK_RET(vfiox_region_mmap(nvme, VFIO_PCI_BAR2_REGION_INDEX, (void **)&cmb), 0);
	if (vt_failures)
		return;
	m.cmb = (void *)cmb;
	CHECK_RET(pthread_create(&t, NULL, map_loop, &m), 0);
	end = time(NULL) + SECONDS;
	while (time(NULL) < end) {
		op_errors += vfiox_pci_command_update(nvme, 0, PCI_COMMAND_MEMORY) < 0;
		op_errors += vfiox_pci_command_update(nvme, PCI_COMMAND_MEMORY, 0) < 0;
		cycles++;
		if (cycles % 4 == 0) {
			op_errors += vfiox_device_reset(nvme) != 0;
			resets++;
		}
	}
	stop = 1;
	pthread_join(t, NULL);
	printf("  %lu MSE cycles, %lu resets; %lu maps, %lu refused while off\n",
	       cycles, resets, m.maps, m.refused);
	CHECK(op_errors == 0, "%lu MSE/reset operations on B failed", op_errors);
	CHECK(m.errors == 0, "%lu maps failed other than EFAULT/EAGAIN/EINVAL, the last with %s",
	      m.errors, strerror(-m.last_error));
	CHECK(m.bad_unmaps == 0, "%lu maps did not unmap whole", m.bad_unmaps);
	if (vt_iommufd(a)) {
		struct vfiox_dma_opts lim = { .sz = sizeof(lim), .iova_limit = EDU_LIMIT };
		uint64_t iova = 0;

		CHECK(m.maps == 0 && m.refused > 0, "iommufd refused every map of the CMB's mmap");
		CHECK_RET(vfiox_p2p_map(a, nvme, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096, &lim,
					&iova), 0);
		vt_fill(src, LEN, 9);
		CHECK_RET(vt_edu_copy(&edu_dev, src_iova, iova, LEN), 0);
		CHECK(vt_holds(cmb, LEN, 9), "edu's DMA lands through the dma-buf mapping");
		CHECK_RET(vfiox_p2p_unmap(a, iova, 4096), 0);
		vfiox_container_close(b);
		return;
	}
	CHECK(m.maps > 0, "some maps succeeded");

	CHECK_RET(vt_raw_map(a, (void *)cmb, STRESS_IOVA, 4096), 0);
	vt_fill(src, LEN, 9);
	CHECK_RET(vt_edu_copy(&edu_dev, src_iova, STRESS_IOVA, LEN), 0);
	CHECK(vt_holds(cmb, LEN, 9), "edu's DMA lands through the last mapping");
	CHECK(vt_raw_unmap(a, STRESS_IOVA, 4096) == 4096, "the last mapping unmaps");
	vfiox_container_close(b);
}

int main(void)
{
	struct vfiox_dma_pool_opts po = { .sz = sizeof(po), .iova_limit = EDU_LIMIT };
	struct vfiox_dma_pool *pool;
	struct vfiox_container *a;
	struct vfiox_device *edu;
	struct vfiox_group *g;
	uint64_t src_iova;
	uint8_t *src;

	vt_init();
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &a, &g, &edu), 0);
	CHECK_RET(vt_edu_setup(edu, &edu_dev), 0);
	CHECK_RET(vfiox_dma_pool_new(a, &po, &pool), 0);
	CHECK_RET(vfiox_dma_alloc(pool, LEN, (void **)&src, &src_iova), 0);
	if (vt_failures)
		return vt_done("p2p_suspend_stress");
	CHECK(src_iova + LEN <= STRESS_IOVA, "the pool's buffer is below the stress IOVA");
	stress(a, src, src_iova);
	vfiox_dma_pool_free(pool);
	vfiox_container_close(a);
	return vt_done("p2p_suspend_stress");
}
