// SPDX-License-Identifier: MIT
/*
 * The device info the fake kernel hands out (struct vfio_device_info as
 * the kernel writes it) is the input: its flags and its region and IRQ
 * counts, however large; indexes past the fake's tables answer EINVAL, as
 * an absent index does. Open the device, read every info, close: nothing
 * may be left open.
 */
#include <stdlib.h>

#include "fake_kernel.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fk_device *fd = &fk.groups[0].devs[0];
	struct vfiox_device_info di = { .sz = sizeof(di) };
	struct vfio_device_info info;
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint32_t i;

	if (size < 16 || size > 64)
		return 0;
	fk_reset();
	fuzz_init();
	memset(&info, 0, sizeof(info));
	memcpy(&info, data, size < sizeof(info) ? size : sizeof(info));
	fd->flags = info.flags;
	fd->nr_regions = info.num_regions;
	fd->nr_irqs = info.num_irqs;
	if (fk_container_open(&c))
		return 0;
	if (!vfiox_group_open(c, 7, &g) &&
	    !vfiox_device_open(g, "0000:00:03.0", NULL, &d) &&
	    !vfiox_device_info(d, &di)) {
		for (i = 0; i < di.num_regions && i < 64; i++) {
			struct vfiox_region_info ri = { .sz = sizeof(ri) };

			vfiox_device_region_info(d, i, &ri);
		}
		for (i = 0; i < di.num_irqs && i < 64; i++) {
			struct vfiox_irq_info ii = { .sz = sizeof(ii) };

			vfiox_device_irq_info(d, i, &ii);
		}
	}
	if (!fk_close_clean(c))
		abort();
	return 0;
}
