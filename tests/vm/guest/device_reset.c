// SPDX-License-Identifier: MIT
/*
 * NVMe advertises reset; VFIO_DEVICE_RESET clears CC, which we set with
 * EN=0 (queue entry sizes only) so the controller stays idle.
 */
#include "vmtest.h"

#define NVME_CC 0x14

int main(void)
{
	struct vfiox_device_info di = { .sz = sizeof(di) };
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;
	uint32_t cc = 0x00460000, back = 0;

	vt_init();
	CHECK_RET(vt_open(vt_env("VFIOX_NVME"), &c, &g, &d), 0);
	if (vt_failures)
		return vt_done("device_reset");
	CHECK_RET(vfiox_device_info(d, &di), 0);
	CHECK(di.flags & VFIO_DEVICE_FLAGS_RESET, "NVMe does not advertise reset");
	CHECK_RET(vfiox_region_write(d, VFIO_PCI_BAR0_REGION_INDEX, NVME_CC, &cc, 4), 0);
	CHECK_RET(vfiox_region_read(d, VFIO_PCI_BAR0_REGION_INDEX, NVME_CC, &back, 4), 0);
	CHECK(back == cc, "CC write did not stick: 0x%x", back);
	CHECK_RET(vfiox_device_reset(d), 0);
	CHECK_RET(vfiox_region_read(d, VFIO_PCI_BAR0_REGION_INDEX, NVME_CC, &back, 4), 0);
	CHECK(back == 0, "CC is 0x%x after reset", back);
	vfiox_container_close(c);
	return vt_done("device_reset");
}
