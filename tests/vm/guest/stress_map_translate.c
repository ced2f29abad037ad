// SPDX-License-Identifier: MIT
/*
 * Concurrency stress against the real kernel (tests/stress.h), shorter than
 * the unit one: 4 threads, 64 buffers each, 20 rounds on the NVMe's
 * container, dma_avail compared with libvfiox's count between rounds (on
 * iommufd, which has none, its check refused).
 */
#include <sys/mman.h>

#include "vmtest.h"
#include "../../stress.h"

int main(void)
{
	static struct stress s = { .threads = 4, .bufs = 64, .rounds = 20 };
	size_t len = (size_t)s.threads * s.bufs * STRESS_PAGE;
	struct vfiox_group *g;
	struct vfiox_device *d;

	vt_init();
	if (vt_open(vt_env("VFIOX_NVME"), &s.c, &g, &d)) {
		CHECK(0, "open the NVMe");
		return vt_done("stress_map_translate");
	}
	s.mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHECK(s.mem != MAP_FAILED, "mmap");
	CHECK(stress_run(&s) == 0, "%s", s.err);
	/* The stress compares dma_avail only where the backend has one. */
	if (vt_iommufd(s.c))
		CHECK_REFUSED_ON_IOMMUFD(vfiox_dma_avail_check(s.c, &(uint32_t){ 0 },
							       &(uint32_t){ 0 }));
	CHECK(vfiox_dma_unmap_all(s.c) >= 0, "unmap_all");
	vfiox_container_close(s.c);
	munmap(s.mem, len);
	return vt_done("stress_map_translate");
}
