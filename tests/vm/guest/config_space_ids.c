// SPDX-License-Identifier: MIT
/* Config space reads return the IDs QEMU emulates. */
#include "vmtest.h"

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
	return vt_done("config_space_ids");
}
