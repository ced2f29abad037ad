// SPDX-License-Identifier: MIT
/*
 * With vfio_iommu_type1.dma_entry_limit=64 (set through the module's
 * writable parameter before the container is opened): libvfiox refuses the
 * 65th mapping itself with -ENOSPC and a message saying how many entries
 * are in use, before asking the kernel; a raw ioctl then shows the kernel
 * would have refused it too, and dma_avail reads 0. vfiox_dma_avail_check()
 * agrees with the kernel, then sees the entry a raw unmap (another user of
 * the container fd) gave back. On iommufd the limit does not apply and
 * the check is refused.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vmtest.h"

#define PARAM "/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"
#define LIMIT 64

static int set_limit(unsigned long v)
{
	FILE *f = fopen(PARAM, "w");
	int ok;

	if (!f)
		return -errno;
	ok = fprintf(f, "%lu\n", v) > 0;
	return fclose(f) == 0 && ok ? 0 : -EIO;
}

static unsigned int avail(struct vfiox_container *c)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };

	CHECK_RET(vfiox_container_refresh(c), 0);
	CHECK_RET(vfiox_container_iommu_info(c, &info), 0);
	return info.dma_avail;
}

/*
 * On iommufd the type1 limit does not apply (the IOAS keeps no entry
 * count): all 65 maps succeed, nothing claims a dma_avail, and its check
 * is refused, reading nothing.
 */
static int no_limit_on_iommufd(struct vfiox_container *c, char *buf)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	uint32_t kernel = 99, ours = 99;
	int i, ret = 0;

	for (i = 0; i <= LIMIT && !ret; i++)
		ret = vfiox_dma_map(c, buf + i * 4096, 4096, NULL, &(uint64_t){ 0 });
	CHECK(ret == 0 && i == LIMIT + 1, "mapping %d on iommufd gave %d", i, ret);
	CHECK_RET(vfiox_container_iommu_info(c, &info), 0);
	CHECK(!info.has_dma_avail, "iommufd claims a dma_avail of %u", info.dma_avail);
	CHECK_REFUSED_ON_IOMMUFD(vfiox_dma_avail_check(c, &kernel, &ours));
	CHECK(kernel == 99 && ours == 99, "a refused check wrote %u, %u", kernel, ours);
	CHECK_RET(vfiox_dma_unmap_all(c), LIMIT + 1);
	vfiox_container_close(c);
	return vt_done("dma_entry_limit_exhausted");
}

int main(void)
{
	unsigned long long old = vt_sysfs_ull(PARAM);
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint32_t kernel = 99, ours = 99;
	uint64_t first = 0;
	char *buf;
	int i, ret = 0;

	vt_init();
	CHECK_RET(set_limit(LIMIT), 0);
	/* With the device: an IOAS has info and maps from its first on. */
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &c, &g, &d), 0);
	set_limit((unsigned long)old);
	if (vt_failures)
		return vt_done("dma_entry_limit_exhausted");
	buf = mmap(NULL, (LIMIT + 1) * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (vt_iommufd(c))
		return no_limit_on_iommufd(c, buf);
	CHECK(avail(c) == LIMIT, "dma_avail %u at start", avail(c));
	for (i = 0; i < LIMIT && !ret; i++) {
		uint64_t iova;

		ret = vfiox_dma_map(c, buf + i * 4096, 4096, NULL, &iova);
		if (!i)
			first = iova;
	}
	CHECK(ret == 0 && i == LIMIT, "mapping %d gave %d", i, ret);
	vt_log_clear();
	CHECK_RET(vfiox_dma_map(c, buf + LIMIT * 4096, 4096, NULL, &(uint64_t){ 0 }), -ENOSPC);
	CHECK(vt_log_has("all 64 kernel DMA entries are in use"),
	      "libvfiox did not refuse it itself");
	CHECK(!vt_log_has("VFIO_IOMMU_MAP_DMA"), "the kernel was asked");
	{
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uintptr_t)(buf + LIMIT * 4096),
			.iova = 0x7000000000ULL, .size = 4096,
		};

		ret = ioctl(vfiox_container_fd(c), VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
		CHECK(ret == -ENOSPC, "the kernel said %d to a 65th entry", ret);
	}
	CHECK(avail(c) == 0, "dma_avail %u when exhausted", avail(c));
	CHECK_RET(vfiox_dma_avail_check(c, &kernel, &ours), 0);
	CHECK(kernel == 0 && ours == 0, "kernel %u, libvfiox %u", kernel, ours);
	{
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u), .iova = first, .size = 4096,
		};

		CHECK(!ioctl(vfiox_container_fd(c), VFIO_IOMMU_UNMAP_DMA, &u),
		      "raw unmap: %s", strerror(errno));
	}
	CHECK_RET(vfiox_dma_avail_check(c, &kernel, &ours), 1);
	CHECK(kernel == 1 && ours == 0, "after a raw unmap: kernel %u, libvfiox %u",
	      kernel, ours);
	vfiox_container_close(c);
	return vt_done("dma_entry_limit_exhausted");
}
