// SPDX-License-Identifier: MIT
/*
 * Region 0's info as the kernel writes it (struct vfio_region_info, then
 * its capability chain) is the input: open the device (which reads and
 * parses every region), query and mmap region 0, close. Nothing may be
 * left open or mapped.
 */
#include <stdlib.h>

#include "fake_kernel.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfiox_region_info ri = { .sz = sizeof(ri) };
	struct fk_region *r = &fk.groups[0].devs[0].regions[0];
	struct vfio_region_info hdr;
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	void *map;

	if (size < sizeof(hdr) || size - sizeof(hdr) > sizeof(r->caps))
		return 0;
	fk_reset();
	fuzz_init();
	memcpy(&hdr, data, sizeof(hdr));
	r->flags = hdr.flags & ~VFIO_REGION_INFO_FLAG_CAPS;
	r->size = hdr.size;
	r->caps_len = (uint32_t)(size - sizeof(hdr));
	r->cap_offset = hdr.cap_offset;
	memcpy(r->caps, data + sizeof(hdr), r->caps_len);
	if (fk_container_open(&c))
		return 0;
	/* Huge regions only cost address space, but slow every run down. */
	if (!vfiox_group_open(c, 7, &g) &&
	    !vfiox_device_open(g, "0000:00:03.0", NULL, &d) &&
	    !vfiox_device_region_info(d, 0, &ri) && ri.size <= (1ULL << 30) &&
	    !vfiox_region_mmap(d, 0, &map))
		vfiox_region_munmap(d, 0);
	if (!fk_close_clean(c))
		abort();
	return 0;
}
