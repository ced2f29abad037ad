// SPDX-License-Identifier: MIT
/*
 * A low-power exit through the wakeup eventfd resumes peers' DMA to the
 * device's BARs. B (a virtio-rng-pci behind a PCIe root port, with a PM
 * capability and runtime PM allowed by vfio-pci: VFIOX_VIRTIO_RNG) enters
 * VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP and runtime-suspends.
 * Container A holds edu and maps the first page of B's BAR 4.
 *   patched: edu's read of it faults while B is in low power (VT-d);
 *   stock: the entry stays, no fault.
 * A config read of B wakes it: the eventfd fires, and low power is over
 * without any low-power exit ioctl. Then, with nothing more done on B:
 * edu's read through A's existing mapping lands, and a new map of the
 * BAR is live at once (patched before the fix: both stayed suspended,
 * the new map held back in silence).
 * iommufd (the mapping a vfio-pci dma-buf): low power revokes it for good
 * (docs/iommufd.md): the read faults in low power and still after the
 * wakeup, and only a new map is live.
 */
#include <sys/eventfd.h>

#include "p2p_suspend.h"

static struct ps_reader rd;

static int low_power_entry(struct vfiox_device *d, int efd)
{
	uint64_t buf[(sizeof(struct vfio_device_feature) +
		      sizeof(struct vfio_device_low_power_entry_with_wakeup) + 7) / 8];
	struct vfio_device_feature *f = (void *)buf;
	struct vfio_device_low_power_entry_with_wakeup w = { .wakeup_eventfd = efd };

	memset(buf, 0, sizeof(buf));
	f->argsz = sizeof(buf);
	f->flags = VFIO_DEVICE_FEATURE_SET |
		   VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP;
	memcpy(f->data, &w, sizeof(w));
	return ioctl(vfiox_device_fd(d), VFIO_DEVICE_FEATURE, f) ? -errno : 0;
}

/* B's runtime PM status becomes "suspended" within 3 s. */
static int runtime_suspended(const char *bdf)
{
	char path[128], st[32] = "";
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/power/runtime_status", bdf);
	for (i = 0; i < 30; i++) {
		f = fopen(path, "r");
		if (f && fgets(st, sizeof(st), f) && !strncmp(st, "suspended", 9)) {
			fclose(f);
			return 1;
		}
		if (f)
			fclose(f);
		usleep(100 * 1000);
	}
	printf("  runtime_status: %s\n", st);
	return 0;
}

static void lowpower_wakeup(struct vfiox_container *a, int patched)
{
	struct vfiox_dma_opts lim = { .sz = sizeof(lim), .iova_limit = PS_EDU_LIMIT };
	const char *bdf = vt_env("VFIOX_VIRTIO_RNG");
	struct pollfd pfd = { .events = POLLIN };
	struct vfiox_container *c;
	struct vfiox_device *b;
	struct vfiox_group *g;
	volatile uint8_t *bar4;
	uint64_t first, n;
	uint16_t vendor;
	int for_good = vt_iommufd(a);

	CHECK_RET(vt_open(bdf, &c, &g, &b), 0);
	CHECK_RET(vfiox_region_mmap(b, VFIO_PCI_BAR4_REGION_INDEX, (void **)&bar4), 0);
	CHECK_RET(ps_set_mse(b, 1), 0);
	CHECK_RET(vfiox_p2p_map(a, b, VFIO_PCI_BAR4_REGION_INDEX, 0, 4096, &lim, &first), 0);
	pfd.fd = eventfd(0, EFD_NONBLOCK);
	CHECK(pfd.fd >= 0, "eventfd: %s", strerror(errno));
	if (vt_failures)
		return;
	rd.bar_iova = first;
	ps_check_fault(first, ps_edu_read, &rd, 0, "before low power");
	CHECK(ps_edu_read_landed(&rd, bar4), "edu read B's registers");

	CHECK_RET(low_power_entry(b, pfd.fd), 0);
	CHECK(runtime_suspended(bdf), "B runtime-suspended in low power");
	ps_fault_quiet();
	ps_check_fault(first, ps_edu_read, &rd, patched || for_good, "in low power");

	CHECK_RET(ps_config_read(b, PCI_VENDOR_ID, &vendor, sizeof(vendor)), 0);
	CHECK(poll(&pfd, 1, 2000) == 1 && read(pfd.fd, &n, sizeof(n)) == sizeof(n),
	      "the config read woke B: its wakeup eventfd fired");
	/* Peers resume from a work item the wakeup queued: let it run */
	usleep(200 * 1000);

	ps_check_fault(first, ps_edu_read, &rd, for_good, "after the wakeup, old mapping");
	if (for_good)
		CHECK(!ps_edu_read_landed(&rd, bar4), "iommufd: the old mapping stays revoked");
	else
		CHECK(ps_edu_read_landed(&rd, bar4), "the existing mapping works after the wakeup");
	CHECK_RET(vfiox_p2p_map(a, b, VFIO_PCI_BAR4_REGION_INDEX, 0, 4096, &lim,
				&rd.bar_iova), 0);
	ps_check_fault(rd.bar_iova, ps_edu_read, &rd, 0, "after the wakeup, new mapping");
	CHECK(ps_edu_read_landed(&rd, bar4), "a new map of B's BAR is live after the wakeup");

	CHECK(vt_raw_unmap(a, rd.bar_iova, 4096) == 4096, "the new mapping was there");
	CHECK(vt_raw_unmap(a, first, 4096) == 4096, "the old mapping was there");
	close(pfd.fd);
	vfiox_container_close(c);
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
	if (!getenv("VFIOX_VIRTIO_RNG")) {
		printf("  no virtio-rng-pci behind a root port on this machine: not run\n");
		return vt_done("p2p_lowpower_wakeup");
	}
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &a, &g, &edu), 0);
	CHECK_RET(vt_edu_setup(edu, &rd.edu), 0);
	CHECK_RET(vfiox_dma_pool_new(a, &po, &pool), 0);
	CHECK_RET(vfiox_dma_alloc(pool, PS_READ_LEN, (void **)&rd.ram, &rd.ram_iova), 0);
	if (vt_failures)
		return vt_done("p2p_lowpower_wakeup");
	printf("  modules: %s\n", patched ? "patched" : "stock");
	lowpower_wakeup(a, patched);
	vfiox_dma_pool_free(pool);
	vfiox_container_close(a);
	return vt_done("p2p_lowpower_wakeup");
}
