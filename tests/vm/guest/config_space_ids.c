// SPDX-License-Identifier: MIT
/*
 * Config space reads return the IDs QEMU emulates, and the capability
 * lists hold what QEMU builds: MSI on edu; PCI Express and MSI-X on the
 * NVMe; the SR-IOV extended capability on the SR-IOV NVMe only.
 */
#include <linux/pci_regs.h>

#include "vmtest.h"

/* @id (standard, or extended if @ext) is found, where its ID byte says so. */
static void check_cap(struct vfiox_device *d, int ext, uint16_t id, int want)
{
	int pos = ext ? vfiox_pci_find_ext_cap(d, id, 0) : vfiox_pci_find_cap(d, (uint8_t)id, 0);
	uint16_t got = 0;

	if (!want) {
		CHECK(pos == -ENOENT, "%s: %s capability 0x%x at %d, wanted none",
		      vfiox_device_name(d), ext ? "extended" : "standard", id, pos);
		return;
	}
	CHECK(pos >= (ext ? 0x100 : 0x40), "%s: %s capability 0x%x: %d",
	      vfiox_device_name(d), ext ? "extended" : "standard", id, pos);
	if (pos <= 0)
		return;
	CHECK_RET(vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, (uint64_t)pos, &got,
				    ext ? 2 : 1), 0);
	CHECK(got == id, "%s: capability at 0x%x has ID 0x%x, wanted 0x%x",
	      vfiox_device_name(d), pos, got, id);
	printf("  %s: %s capability 0x%x at 0x%x\n", vfiox_device_name(d),
	       ext ? "extended" : "standard", id, pos);
}

static void check_caps(const char *var)
{
	const char *bdf = vt_env(var);
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;
	int nvme = strcmp(var, "VFIOX_EDU") != 0;

	CHECK_RET(vt_open(bdf, &c, &g, &d), 0);
	if (vt_failures)
		return;
	check_cap(d, 0, PCI_CAP_ID_MSI, !nvme);
	check_cap(d, 0, PCI_CAP_ID_EXP, nvme);
	check_cap(d, 0, PCI_CAP_ID_MSIX, nvme);
	check_cap(d, 1, PCI_EXT_CAP_ID_SRIOV, !strcmp(var, "VFIOX_NVME_SRIOV"));
	vfiox_container_close(c);
}

static void check_ids(const char *var, uint16_t vendor, uint16_t device)
{
	const char *bdf = vt_env(var);
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;
	uint16_t id[2] = { 0, 0 };

	CHECK_RET(vt_open(bdf, &c, &g, &d), 0);
	if (vt_failures)
		return;
	CHECK_RET(vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, 0, id, 4), 0);
	CHECK(id[0] == vendor && id[1] == device, "%s: %04x:%04x, wanted %04x:%04x",
	      bdf, id[0], id[1], vendor, device);
	printf("  %s: %04x:%04x\n", bdf, id[0], id[1]);
	vfiox_container_close(c);
}

int main(void)
{
	vt_init();
	check_ids("VFIOX_NVME", 0x1b36, 0x0010);
	check_ids("VFIOX_EDU", 0x1234, 0x11e8);
	check_ids("VFIOX_IVSHMEM", 0x1af4, 0x1110);
	check_caps("VFIOX_EDU");
	check_caps("VFIOX_NVME");
	check_caps("VFIOX_NVME_SRIOV");
	return vt_done("config_space_ids");
}
