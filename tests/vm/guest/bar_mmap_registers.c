// SPDX-License-Identifier: MIT
/* edu's BAR0 through mmap and through read/write of the region. */
#include "vmtest.h"

#define EDU_ID 0x00
#define EDU_LIVENESS 0x04

int main(void)
{
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;
	volatile uint32_t *bar;
	uint32_t v = 0;
	void *p = NULL;

	vt_init();
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &c, &g, &d), 0);
	if (vt_failures)
		return vt_done("bar_mmap_registers");
	CHECK_RET(vfiox_region_mmap(d, VFIO_PCI_BAR0_REGION_INDEX, &p), 0);
	if (!p)
		return vt_done("bar_mmap_registers");
	bar = p;
	CHECK((bar[EDU_ID / 4] & 0xff) == 0xed, "edu id register 0x%x", bar[EDU_ID / 4]);
	bar[EDU_LIVENESS / 4] = 0x12345678;
	CHECK(bar[EDU_LIVENESS / 4] == ~0x12345678u, "liveness gave 0x%x",
	      bar[EDU_LIVENESS / 4]);
	/* The same register through pread/pwrite of the device fd. */
	v = 0xa5a5f00f;
	CHECK_RET(vfiox_region_write(d, VFIO_PCI_BAR0_REGION_INDEX, EDU_LIVENESS, &v, 4), 0);
	CHECK_RET(vfiox_region_read(d, VFIO_PCI_BAR0_REGION_INDEX, EDU_LIVENESS, &v, 4), 0);
	CHECK(v == ~0xa5a5f00fu, "liveness via pread gave 0x%x", v);
	CHECK_RET(vfiox_region_munmap(d, VFIO_PCI_BAR0_REGION_INDEX), 0);
	vfiox_container_close(c);
	return vt_done("bar_mmap_registers");
}
