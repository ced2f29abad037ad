// SPDX-License-Identifier: MIT
/*
 * The other ways a device's memory stops answering, each of which must
 * suspend peers' DMA to its BARs (patch 16). The BAR owner B is a
 * virtio-rng-pci alone behind a PCIe root port (modern only: it has FLR
 * and a PM capability, and its bus can be reset), on the machines that
 * have one (VFIOX_VIRTIO_RNG). Container A holds edu and maps the first
 * page of B's BAR 4 (virtio's common config registers); edu reads it
 * through A's IOMMU domain and the bytes must be what the CPU reads.
 *   flr: an FLR written to B's PCIe capability (DEVCTL), with the
 *     test-only delay between the peers' suspend and the zap: edu's read
 *     during it faults (patched, VT-d); after, it lands.
 *   d3: a D3hot write to B's PM capability: the read faults until B is
 *     back in D0 with Memory Space Enable set: D0 without MSE stays
 *     suspended, MSE set resumes.
 *   hot_reset: VFIO_DEVICE_PCI_HOT_RESET of B's bus, with the delay: the
 *     read faults during it, lands after.
 * Stock modules: nothing faults (the entry stays; no delay to hold).
 * iommufd (the mapping a vfio-pci dma-buf): each way revokes it for good
 * (docs/iommufd.md): after FLR, D3hot and back, and a hot reset (no group
 * fds: the bus's devices are the iommufd's), edu's read faults and does
 * not land; a new map after each is live.
 */
#include "p2p_suspend.h"

#define HOLD_MS 1500

struct owner {
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	volatile uint8_t *bar4;
};

static struct ps_reader rd;
static int patched, knob;

static int owner_open(struct owner *b, struct vfiox_container *a)
{
	struct vfiox_dma_opts lim = { .sz = sizeof(lim), .iova_limit = PS_EDU_LIMIT };
	int ret = vt_open(vt_env("VFIOX_VIRTIO_RNG"), &b->c, &b->g, &b->d);

	if (!ret)
		ret = vfiox_region_mmap(b->d, VFIO_PCI_BAR4_REGION_INDEX, (void **)&b->bar4);
	if (!ret)
		ret = ps_set_mse(b->d, 1);
	if (!ret)
		ret = vfiox_p2p_map(a, b->d, VFIO_PCI_BAR4_REGION_INDEX, 0, 4096, &lim,
				    &rd.bar_iova);
	return ret;
}

/* edu's read lands: no fault, the bytes are the registers' */
static void read_lands(struct owner *b, const char *what)
{
	ps_check_fault(rd.bar_iova, ps_edu_read, &rd, 0, what);
	CHECK(ps_edu_read_landed(&rd, b->bar4), "%s: edu read B's registers", what);
}

static int flr_write(void *arg)
{
	struct vfiox_device *d = arg;
	int exp = vfiox_pci_find_cap(d, PCI_CAP_ID_EXP, 0);
	uint16_t ctl;
	int ret;

	if (exp < 0)
		return exp;
	ret = ps_config_read(d, exp + PCI_EXP_DEVCTL, &ctl, sizeof(ctl));
	ctl |= PCI_EXP_DEVCTL_BCR_FLR;
	return ret ? ret : ps_config_write(d, exp + PCI_EXP_DEVCTL, &ctl, sizeof(ctl));
}

static int hot_reset(void *arg)
{
	struct owner *b = arg;
	uint32_t buf[(sizeof(struct vfio_pci_hot_reset) + sizeof(int32_t)) / 4];
	struct vfio_pci_hot_reset *hr = (void *)buf;

	memset(buf, 0, sizeof(buf));
	hr->argsz = sizeof(buf);
	if (!vt_iommufd(b->c)) {	/* iommufd: count 0, no group fds */
		hr->count = 1;
		hr->group_fds[0] = vfiox_group_fd(b->g);
	}
	return ioctl(vfiox_device_fd(b->d), VFIO_DEVICE_PCI_HOT_RESET, hr) ? -errno : 0;
}

/* @op on B in a thread, edu reading B's BAR while the delay holds it. */
static void during(struct owner *b, int (*op)(void *), void *arg, const char *what)
{
	struct ps_op o;

	ps_fault_quiet();
	if (knob)
		ps_set_knob("test_zap_delay_ms", HOLD_MS);
	CHECK_RET(ps_op_start(&o, op, arg), 0);
	usleep(HOLD_MS / 3 * 1000);
	ps_check_fault(rd.bar_iova, ps_edu_read, &rd, knob, what);
	if (knob)
		CHECK(!ps_op_done(&o), "%s: the read ran inside the window", what);
	if (ps_op_wait(&o)) {
		CHECK_RET(o.ret, 0);
		ps_print_kmsg(vt_env("VFIOX_VIRTIO_RNG") + 5, 6);
		ps_print_kmsg("DMAR", 4);
	}
	if (knob)
		ps_set_knob("test_zap_delay_ms", 0);
	read_lands(b, what);
}

static int set_power(struct vfiox_device *d, uint16_t state)
{
	int pm = vfiox_pci_find_cap(d, PCI_CAP_ID_PM, 0);
	uint16_t ctl;
	int ret;

	if (pm < 0)
		return pm;
	ret = ps_config_read(d, pm + PCI_PM_CTRL, &ctl, sizeof(ctl));
	ctl = (ctl & ~PCI_PM_CTRL_STATE_MASK) | state;
	return ret ? ret : ps_config_write(d, pm + PCI_PM_CTRL, &ctl, sizeof(ctl));
}

static void d3(struct owner *b)
{
	ps_fault_quiet();
	CHECK_RET(set_power(b->d, 3), 0);
	ps_check_fault(rd.bar_iova, ps_edu_read, &rd, patched, "in D3hot");
	CHECK_RET(ps_set_mse(b->d, 0), 0);
	CHECK_RET(set_power(b->d, 0), 0);
	ps_fault_quiet();
	ps_check_fault(rd.bar_iova, ps_edu_read, &rd, patched, "in D0, MSE clear");
	CHECK_RET(ps_set_mse(b->d, 1), 0);
	read_lands(b, "in D0, MSE set");
}

static int d3_and_back(void *arg)
{
	struct vfiox_device *d = arg;
	int ret = set_power(d, 3);

	if (!ret)
		ret = set_power(d, 0);
	return ret ? ret : ps_set_mse(d, 1);
}

/* iommufd: @op revokes A's dma-buf mapping for good; a new one is live. */
static void for_good(struct vfiox_container *a, struct owner *b, int (*op)(void *),
		     void *arg, const char *what)
{
	struct vfiox_dma_opts lim = { .sz = sizeof(lim), .iova_limit = PS_EDU_LIMIT };

	ps_fault_quiet();
	CHECK_RET(op(arg), 0);
	ps_check_fault(rd.bar_iova, ps_edu_read, &rd, 1, what);
	CHECK(!ps_edu_read_landed(&rd, b->bar4), "%s: the revoked mapping stays dead", what);
	CHECK_RET(vfiox_p2p_unmap(a, rd.bar_iova, 4096), 0);
	CHECK_RET(vfiox_p2p_map(a, b->d, VFIO_PCI_BAR4_REGION_INDEX, 0, 4096, &lim,
				&rd.bar_iova), 0);
	read_lands(b, what);
}

int main(void)
{
	struct vfiox_dma_pool_opts po = { .sz = sizeof(po), .iova_limit = PS_EDU_LIMIT };
	const char *mods = getenv("VFIOX_MODULES");
	struct vfiox_dma_pool *pool;
	struct vfiox_container *a;
	struct vfiox_device *edu;
	struct vfiox_group *g;
	struct owner b;

	vt_init();
	if (!getenv("VFIOX_VIRTIO_RNG")) {
		printf("  no virtio-rng-pci behind a root port on this machine: not run\n");
		return vt_done("p2p_reset_kinds_suspend");
	}
	patched = mods && !strcmp(mods, "patched");
	knob = ps_has_knob("test_zap_delay_ms");
	CHECK(knob || !patched, "the patched modules have test_zap_delay_ms");
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &a, &g, &edu), 0);
	CHECK_RET(vt_edu_setup(edu, &rd.edu), 0);
	CHECK_RET(vfiox_dma_pool_new(a, &po, &pool), 0);
	CHECK_RET(vfiox_dma_alloc(pool, PS_READ_LEN, (void **)&rd.ram, &rd.ram_iova), 0);
	CHECK_RET(owner_open(&b, a), 0);
	if (vt_failures)
		return vt_done("p2p_reset_kinds_suspend");
	printf("  modules: %s\n", patched ? "patched" : "stock");
	read_lands(&b, "before");
	if (vt_iommufd(a)) {
		for_good(a, &b, flr_write, b.d, "FLR");
		for_good(a, &b, d3_and_back, b.d, "D3hot and back");
		for_good(a, &b, hot_reset, &b, "hot reset");
	} else {
		during(&b, flr_write, b.d, "FLR");
		d3(&b);
		during(&b, hot_reset, &b, "hot reset");
	}
	CHECK(vt_raw_unmap(a, rd.bar_iova, 4096) == 4096, "A's mapping was there to unmap");
	vfiox_container_close(b.c);
	vfiox_dma_pool_free(pool);
	vfiox_container_close(a);
	return vt_done("p2p_reset_kinds_suspend");
}
