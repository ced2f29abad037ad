// SPDX-License-Identifier: MIT
/* Reads past a region's end are refused by libvfiox with -EINVAL. */
#include "vmtest.h"

int main(void)
{
	struct vfiox_region_info cfg = { .sz = sizeof(cfg) };
	struct vfiox_region_info bar = { .sz = sizeof(bar) };
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;
	uint32_t v;

	vt_init();
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &c, &g, &d), 0);
	if (vt_failures)
		return vt_done("region_read_past_end");
	CHECK_RET(vfiox_device_region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &cfg), 0);
	CHECK_RET(vfiox_device_region_info(d, VFIO_PCI_BAR0_REGION_INDEX, &bar), 0);
	CHECK_RET(vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, cfg.size, &v, 1), -EINVAL);
	CHECK_RET(vfiox_region_read(d, VFIO_PCI_BAR0_REGION_INDEX, bar.size - 2, &v, 4), -EINVAL);
	CHECK_RET(vfiox_region_read(d, 1000, 0, &v, 4), -EINVAL);
	CHECK(vt_log_has("is outside region"), "no message naming the region");
	/* The last valid word still reads. */
	CHECK_RET(vfiox_region_read(d, VFIO_PCI_BAR0_REGION_INDEX, bar.size - 4, &v, 4), 0);
	vfiox_container_close(c);
	return vt_done("region_read_past_end");
}
