// SPDX-License-Identifier: MIT
/* Container, group and device open for every emulated device. */
#include "vmtest.h"

int main(void)
{
	const char *vars[] = { "VFIOX_NVME", "VFIOX_NVME_CMB", "VFIOX_EDU",
			       "VFIOX_IVSHMEM" };
	size_t i;

	vt_init();
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		struct vfiox_device_info di = { .sz = sizeof(di) };
		const char *bdf = vt_env(vars[i]);
		struct vfiox_container *c;
		struct vfiox_device *d;
		struct vfiox_group *g;

		CHECK_RET(vt_open(bdf, &c, &g, &d), 0);
		if (vt_failures)
			continue;
		CHECK_RET(vfiox_device_info(d, &di), 0);
		CHECK(di.flags & VFIO_DEVICE_FLAGS_PCI, "%s flags 0x%x", bdf, di.flags);
		CHECK(di.num_regions >= VFIO_PCI_NUM_REGIONS, "%s has %u regions",
		      bdf, di.num_regions);
		printf("  %s: group %d, %u regions, %u irq indexes\n", bdf,
		       vfiox_group_number(g), di.num_regions, di.num_irqs);
		vfiox_container_close(c);
	}
	return vt_done("open_every_device");
}
