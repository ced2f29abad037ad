// SPDX-License-Identifier: MIT
/*
 * Peer-to-peer DMA across containers, and what happens to the mapping when
 * the device that owns the memory is released. Container A holds edu,
 * container B holds ivshmem-plain; B's BAR 2 is mapped into A with
 * vfiox_p2p_map() and edu DMA-writes into it through the IOMMU; the bytes
 * are read back through the BAR mmap. Then B is closed:
 *   stock modules:   the mapping is still in A (the hazard the series fixes)
 *   patched modules: the kernel removed it and gave the entry back
 * Also: a PFNMAP range that is no vfio device's (sysfs resource2 of
 * ivshmem) is refused with EPERM when the container's strict_devmem is
 * set, accepted otherwise and on stock. The linux-7.2 series reads the
 * parameter (default N) when a container's IOMMU is set and reports it in
 * its policy capability; the linux-6.1 one has no such capability,
 * defaults to Y and reads the parameter at every map.
 * On iommufd: P2P of a BAR only through a dma-buf, which the kernel revokes,
 * and no raw map of its mmap (vt_p2p_on_iommufd(); the DMA and the
 * revocation: iommufd_p2p_dmabuf).
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmtest.h"

#define EDU_BUF 0x40000
#define EDU_LIMIT 0xfffffffULL
#define LEN 2048
#define PARAM "/sys/module/vfio_iommu_type1/parameters/strict_devmem"

/* The linux-7.2 series' policy capability (lib/uapi_ext.h once it moves) */
#ifndef VFIOX_IOMMU_TYPE1_INFO_CAP_POLICY
#define VFIOX_IOMMU_TYPE1_INFO_CAP_POLICY	(0x5600 + 6)
#define VFIOX_IOMMU_POLICY_STRICT_DEVMEM	(1 << 0)
#endif

static struct vt_edu edu_dev;

static int open_edu(struct vfiox_container **c, struct vfiox_device **d)
{
	struct vfiox_group *g;
	int ret = vt_open(vt_env("VFIOX_EDU"), c, &g, d);

	return ret ? ret : vt_edu_setup(*d, &edu_dev);
}

/* The policy capability's flags, or -1 when the kernel has none. */
static int policy_flags(struct vfiox_container *c)
{
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header *h;
	uint32_t argsz = sizeof(*info), off, hops;
	int flags = -1;

	info = calloc(1, argsz);
	info->argsz = argsz;
	if (ioctl(vfiox_container_fd(c), VFIO_IOMMU_GET_INFO, info) ||
	    !(info->flags & VFIO_IOMMU_INFO_CAPS) || info->argsz <= argsz)
		goto out;
	argsz = info->argsz;
	free(info);
	info = calloc(1, argsz);
	info->argsz = argsz;
	if (ioctl(vfiox_container_fd(c), VFIO_IOMMU_GET_INFO, info))
		goto out;
	/* A bounded walk: each header must lie inside the buffer */
	for (off = info->cap_offset, hops = 0; off && hops < 64; hops++) {
		if (off < sizeof(*info) || off + sizeof(*h) + 8 > argsz)
			break;
		h = (struct vfio_info_cap_header *)((char *)info + off);
		if (h->id == VFIOX_IOMMU_TYPE1_INFO_CAP_POLICY) {
			flags = *(uint32_t *)(h + 1);
			break;
		}
		off = h->next;
	}
out:
	free(info);
	return flags;
}

static int param_strict(void)
{
	char v = 0;
	FILE *f = fopen(PARAM, "r");

	if (!f || fread(&v, 1, 1, f) != 1)
		printf("  cannot read %s\n", PARAM);
	if (f)
		fclose(f);
	return v == 'Y';
}

static void param_set(int strict)
{
	FILE *f = fopen(PARAM, "w");

	CHECK(f && fputs(strict ? "Y" : "N", f) >= 0 && !fclose(f),
	      "cannot write %s", PARAM);
}

/* Map page @p of PFNMAP memory no vfio device owns into @c: 0 or -errno. */
static int map_foreign(struct vfiox_container *c, void *p)
{
	uint64_t iova;
	int ret = vfiox_dma_map(c, p, 4096, NULL, &iova);

	if (!ret)
		vfiox_dma_unmap_iova(c, iova, 4096);
	return ret;
}

/*
 * linux-7.2 series: strict_devmem is the container's, fixed when its IOMMU
 * was set and reported in the policy capability. Flip the parameter: @a
 * keeps its behaviour, a new container (NVMe's) gets the new one.
 */
static void strict_devmem_v2(struct vfiox_container *a, void *p, int pol)
{
	int strict = param_strict(), pol2;
	struct vfiox_container *c;
	struct vfiox_group *g;

	printf("  strict_devmem: parameter %c, policy flags 0x%x\n",
	       strict ? 'Y' : 'N', pol);
	CHECK(!strict, "strict_devmem defaults to N");
	CHECK(!!(pol & VFIOX_IOMMU_POLICY_STRICT_DEVMEM) == strict,
	      "the capability reports the parameter");
	CHECK_RET(map_foreign(a, p), strict ? -EPERM : 0);
	param_set(!strict);
	CHECK_RET(map_foreign(a, p), strict ? -EPERM : 0);
	CHECK_RET(vt_open(vt_env("VFIOX_NVME"), &c, &g, NULL), 0);
	if (!vt_failures) {
		pol2 = policy_flags(c);
		CHECK(pol2 >= 0 && !!(pol2 & VFIOX_IOMMU_POLICY_STRICT_DEVMEM) == !strict,
		      "a new container reports the new value: 0x%x", pol2);
		CHECK_RET(map_foreign(c, p), !strict ? -EPERM : 0);
		vfiox_container_close(c);
	}
	param_set(strict);
}

static void strict_devmem(struct vfiox_container *a, int patched)
{
	char path[128];
	uint64_t iova;
	void *p;
	int fd, ret, pol = policy_flags(a);

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource2",
		 vt_env("VFIOX_IVSHMEM"));
	fd = open(path, O_RDWR);
	p = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap of %s: %s", path, strerror(errno));
	if (p == MAP_FAILED)
		return;
	CHECK(patched || pol < 0, "stock has no policy capability");
	if (patched && pol >= 0) {
		strict_devmem_v2(a, p, pol);
		goto out;
	}
	ret = vfiox_dma_map(a, p, 4096, NULL, &iova);
	CHECK(ret == (patched ? -EPERM : 0), "map of a sysfs resource mmap: %d", ret);
	if (!ret)
		vfiox_dma_unmap_iova(a, iova, 4096);
	if (patched) {
		FILE *f = fopen(PARAM, "w");

		CHECK(f && fputs("N", f) >= 0 && !fclose(f), "cannot clear %s", PARAM);
		ret = vfiox_dma_map(a, p, 4096, NULL, &iova);
		CHECK(ret == 0, "with strict_devmem=N the map is accepted: %d", ret);
		if (!ret)
			vfiox_dma_unmap_iova(a, iova, 4096);
		f = fopen(PARAM, "w");
		CHECK(f && fputs("Y", f) >= 0 && !fclose(f), "cannot set %s", PARAM);
	}
out:
	munmap(p, 4096);
	close(fd);
}

int main(void)
{
	struct vfiox_dma_opts lim = { .sz = sizeof(lim), .iova_limit = EDU_LIMIT };
	const char *mods = getenv("VFIOX_MODULES");
	int patched = mods && !strcmp(mods, "patched");
	struct vfiox_container *a, *b;
	struct vfiox_device *edu, *shm;
	struct vfiox_dma_pool_opts po = { .sz = sizeof(po), .iova_limit = EDU_LIMIT };
	struct vfiox_dma_pool *pool;
	struct vfiox_group *g;
	uint64_t src_iova, bar_iova;
	uint32_t avail_before, avail_after;
	uint8_t *src, *bar2;
	int i;

	vt_init();
	CHECK_RET(open_edu(&a, &edu), 0);
	if (!vt_failures && vt_iommufd(a)) {
		CHECK_RET(vt_open(vt_env("VFIOX_IVSHMEM"), &b, &g, &shm), 0);
		if (!vt_failures)
			vt_p2p_on_iommufd(a, shm);
		return vt_done("p2p_devmem_lifetime");
	}
	CHECK_RET(vfiox_p2p_revocable(a), patched);
	printf("  modules: %s, revocation %s\n", patched ? "patched" : "stock",
	       vfiox_p2p_revocable(a) == 1 ? "available" : "absent");
	strict_devmem(a, patched);

	CHECK_RET(vt_open(vt_env("VFIOX_IVSHMEM"), &b, &g, &shm), 0);
	CHECK_RET(vfiox_dma_pool_new(a, &po, &pool), 0);
	CHECK_RET(vfiox_dma_alloc(pool, LEN, (void **)&src, &src_iova), 0);
	CHECK_RET(vfiox_region_mmap(shm, VFIO_PCI_BAR2_REGION_INDEX, (void **)&bar2), 0);
	CHECK_RET(vfiox_p2p_map(a, shm, VFIO_PCI_BAR2_REGION_INDEX, 1 << 20, 4096, &lim,
				&bar_iova), -EINVAL);	/* past the 1 MiB BAR */
	avail_before = vt_dma_avail(a);
	CHECK_RET(vfiox_p2p_map(a, shm, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096, &lim,
				&bar_iova), 0);
	CHECK(vt_dma_avail(a) == avail_before - 1, "the P2P map took one entry");

	/* Real P2P DMA: RAM -> edu -> ivshmem BAR, through A's IOMMU domain. */
	for (i = 0; i < LEN; i++) {
		src[i] = (uint8_t)(i * 13 + 1);
		bar2[i] = 0;
	}
	CHECK_RET(vt_edu_dma(&edu_dev, src_iova, EDU_BUF, LEN, 0), 0);
	CHECK_RET(vt_edu_dma(&edu_dev, EDU_BUF, bar_iova, LEN, VT_EDU_TO_RAM), 0);
	CHECK(!memcmp(src, bar2, LEN), "edu's DMA into the ivshmem BAR arrived");
	printf("  edu wrote %d bytes into ivshmem BAR 2 at IOVA 0x%llx\n", LEN,
	       (unsigned long long)bar_iova);

	/* Release the owner of the mapped memory. */
	vfiox_container_close(b);
	avail_after = vt_dma_avail(a);
	if (patched) {
		CHECK(avail_after == avail_before, "entry given back: %u of %u",
		      avail_after, avail_before);
		CHECK(vt_raw_unmap(a, bar_iova, 4096) == 0,
		      "the kernel removed the mapping of the released BAR");
	} else {
		CHECK(avail_after == avail_before - 1, "stock keeps the entry");
		CHECK(vt_raw_unmap(a, bar_iova, 4096) == 4096,
		      "stock keeps the stale mapping (the hazard)");
	}
	vfiox_dma_pool_free(pool);
	vfiox_container_close(a);
	return vt_failures ? 1 : 0;
}
