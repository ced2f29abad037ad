// SPDX-License-Identifier: MIT
/*
 * Reserved regions on the real kernel (issue: reserved and relaxable
 * regions). The ICH9 LPC group (00:1f.0/.2/.3) has the floppy workaround's
 * 0x0-0xffffff direct-relaxable region on intel-iommu:
 * - libvfiox reports every group's regions byte for byte as sysfs does,
 *   from the series' capability on patched modules and from sysfs on stock;
 * - the allocator never hands out an IOVA below 16 MiB for that container;
 * - a fixed map at 0x100000 is refused by libvfiox by default, accepted
 *   with allow_relaxable (stock, and patched with strict_relaxable off),
 *   and refused by the kernel itself with strict_relaxable on, where a
 *   group with the region cannot join a container mapping over it either;
 * - patched: the kernel logs the ignored region once per group;
 * - vfiox_dma_map_identity() maps the region at IOVA == address;
 * - dma_avail validation agrees after 1000 maps and unmaps (on iommufd,
 *   which has none, it is refused);
 * - each IOMMU's own hole is typed: amd-iommu's HyperTransport range
 *   "reserved", virtio-iommu's MSI window "msi" (QEMU 7.2's q35 lets
 *   virtio-iommu report no other region).
 * 00:1f.3 is moved from i801_smbus to vfio-pci for the test and back.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmtest.h"

#define MB (1ULL << 20)
#define SMBUS "0000:00:1f.3"
#define STRICT_PARAM "/sys/module/vfio_iommu_type1/parameters/strict_relaxable"

static bool patched;

static size_t read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

static int open_lpc(bool allow_relaxable, struct vfiox_container **c,
		    struct vfiox_group **g)
{
	struct vfiox_container_opts o = { .sz = sizeof(o),
					  .allow_relaxable = allow_relaxable };
	int ret = vfiox_container_open(&o, c);

	if (ret)
		return ret;
	ret = vfiox_group_open_pci(*c, vt_env("VFIOX_LPC"), g);
	/* An IOAS has info and maps from its first device on (iommufd.md). */
	if (!ret && vt_iommufd(*c)) {
		struct vfiox_device *d;

		ret = vfiox_device_open(*g, vt_env("VFIOX_LPC"), NULL, &d);
	}
	if (ret)
		vfiox_container_close(*c);
	return ret;
}

/* libvfiox's regions printed as sysfs prints them must equal sysfs. */
static void regions_match_sysfs(struct vfiox_container *c, struct vfiox_group *g)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	struct vfiox_resv_region r[32];
	char path[128], sysfs[4096], ours[4096];
	size_t used = 0;
	int n, i;

	CHECK_RET(vfiox_container_iommu_info(c, &info), 0);
	CHECK(info.has_resv_regions == patched,
	      "regions from %s on %s modules", info.has_resv_regions ?
	      "the capability" : "sysfs", patched ? "patched" : "stock");
	n = vfiox_group_resv_regions(g, r, 32);
	CHECK(n > 0 && n <= 32, "group regions: %d", n);
	for (i = 0; i < n && i < 32; i++)
		used += (size_t)snprintf(ours + used, sizeof(ours) - used,
					 "0x%016llx 0x%016llx %s\n",
					 (unsigned long long)r[i].start,
					 (unsigned long long)r[i].end,
					 r[i].type_name);
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/reserved_regions",
		 vfiox_group_number(g));
	read_text(path, sysfs, sizeof(sysfs));
	CHECK(strcmp(sysfs, ours) == 0, "sysfs:\n%slibvfiox:\n%s", sysfs, ours);
	CHECK_RET(vfiox_container_resv_regions(c, NULL, 0), n);
}

/* Each IOMMU's own kind of hole, as libvfiox types it. */
static void machine_hole_is_typed(struct vfiox_group *g, const char *machine)
{
	static const struct {
		const char *machine;
		uint64_t start, end;
		enum vfiox_resv_type type;
	} want[] = {
		{ "intel-iommu", 0x0, 0xffffff, VFIOX_RESV_DIRECT_RELAXABLE },
		{ "amd-iommu", 0xfd00000000ULL, 0xffffffffffULL, VFIOX_RESV_RESERVED },
		{ "virtio-iommu", 0xfee00000, 0xfeefffff, VFIOX_RESV_MSI },
	};
	struct vfiox_resv_region r[32];
	int n = vfiox_group_resv_regions(g, r, 32), i, w;
	bool found = false;

	for (w = 0; w < 3 && strcmp(want[w].machine, machine); w++)
		;
	CHECK(w < 3, "no expectation for machine %s", machine);
	for (i = 0; w < 3 && i < n && i < 32; i++)
		found |= r[i].start == want[w].start && r[i].end == want[w].end &&
			 r[i].type == want[w].type;
	CHECK(found, "%s: region [0x%llx, 0x%llx] of type %s missing", machine,
	      w < 3 ? (unsigned long long)want[w].start : 0ULL,
	      w < 3 ? (unsigned long long)want[w].end : 0ULL,
	      w < 3 ? vfiox_resv_type_name(want[w].type) : "?");
}

static void allocator_stays_above_16m(struct vfiox_container *c, uint8_t *mem)
{
	struct vfiox_dma_opts narrow = { .sz = sizeof(narrow), .iova_limit = 0xffffff };
	uint64_t iova, lowest = UINT64_MAX;
	int i;

	for (i = 0; i < 256; i++) {
		CHECK_RET(vfiox_dma_map(c, mem + i * 4096ULL, 4096, NULL, &iova), 0);
		lowest = iova < lowest ? iova : lowest;
	}
	CHECK(lowest > 0xffffff, "lowest IOVA 0x%llx", (unsigned long long)lowest);
	CHECK_RET(vfiox_dma_map(c, mem + 2 * MB, 4096, &narrow, &iova), -ENOSPC);
	vt_log_clear();
	CHECK_RET(vfiox_dma_map_fixed(c, mem + 2 * MB, 4096, 0x100000, NULL), -EPERM);
	CHECK(vt_log_has("direct-relaxable region [0x0, 0xffffff] of group"),
	      "refusal does not name the region and group");
	CHECK_RET(vfiox_dma_unmap_all(c), 256);
}

static int kernel_map(int container_fd, void *va, uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va, .iova = iova, .size = len,
	};

	return ioctl(container_fd, VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

/* With the opt-in the kernel decides: it accepts unless strict. */
static void opt_in_map(bool strict, uint8_t *mem)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_iova_range r[4];

	if (open_lpc(true, &c, &g)) {
		CHECK(0, "open the LPC group with allow_relaxable");
		return;
	}
	CHECK_RET(vfiox_dma_identity_regions(c, r, 4), 1);
	if (strict) {
		/* libvfiox sees the hole in the IOVA ranges; so does the kernel. */
		CHECK_RET(vfiox_dma_map_fixed(c, mem, 4096, 0x100000, NULL), -EINVAL);
		CHECK_RET(kernel_map(vfiox_container_fd(c), mem, 0x100000, 4096), -EINVAL);
		CHECK_RET(vfiox_dma_map_identity(c, &r[0], mem, NULL), -EINVAL);
	} else {
		uint64_t iova;

		CHECK_RET(vfiox_dma_map_fixed(c, mem, 4096, 0x100000, NULL), 0);
		CHECK_RET(vfiox_dma_unmap_iova(c, 0x100000, 4096), 0);
		CHECK(r[0].start == 0 && r[0].end == 0xffffff, "identity range [0x%llx, 0x%llx]",
		      (unsigned long long)r[0].start, (unsigned long long)r[0].end);
		CHECK_RET(vfiox_dma_map_identity(c, &r[0], mem, NULL), 0);
		CHECK_RET(vfiox_dma_translate(c, mem + 0x123000, &iova), 0);
		CHECK(iova == 0x123000, "identity translate gave 0x%llx",
		      (unsigned long long)iova);
		CHECK_RET(vfiox_dma_unmap_iova(c, 0, 16 * MB), 0);
	}
	vfiox_container_close(c);
}

/* strict: a group with the region cannot join a container mapping there. */
static void strict_refuses_the_attach(uint8_t *mem)
{
	struct vfiox_container *c;
	struct vfiox_group *edu, *lpc;

	if (vt_open(vt_env("VFIOX_EDU"), &c, &edu, NULL)) {
		CHECK(0, "open edu");
		return;
	}
	CHECK_RET(vfiox_dma_map_fixed(c, mem, 4096, 0x100000, NULL), 0);
	CHECK_RET(vfiox_group_open_pci(c, vt_env("VFIOX_LPC"), &lpc), -EINVAL);
	vfiox_container_close(c);
}

static void dma_avail_agrees_after_churn(struct vfiox_container *c, uint8_t *mem)
{
	uint32_t kernel = 0, ours = 1;
	uint64_t iova[1000];
	int i;

	for (i = 0; i < 1000; i++)
		CHECK_RET(vfiox_dma_map(c, mem + i * 4096ULL, 4096, NULL, &iova[i]), 0);
	for (i = 0; i < 1000; i += 2)
		CHECK_RET(vfiox_dma_unmap_iova(c, iova[i], 4096), 0);
	if (vt_iommufd(c)) {	/* no dma_avail to agree with */
		CHECK_REFUSED_ON_IOMMUFD(vfiox_dma_avail_check(c, &kernel, &ours));
		for (i = 1; i < 1000; i += 2)
			CHECK_RET(vfiox_dma_unmap_iova(c, iova[i], 4096), 0);
		return;
	}
	CHECK_RET(vfiox_dma_avail_check(c, &kernel, &ours), 0);
	CHECK(kernel == ours, "after 1000 maps, 500 unmaps: kernel %u, libvfiox %u",
	      kernel, ours);
	for (i = 1; i < 1000; i += 2)
		CHECK_RET(vfiox_dma_unmap_iova(c, iova[i], 4096), 0);
	CHECK_RET(vfiox_dma_avail_check(c, &kernel, &ours), 0);
	CHECK(kernel == ours, "after all unmaps: kernel %u, libvfiox %u", kernel, ours);
}

int main(void)
{
	const char *mods = getenv("VFIOX_MODULES");
	bool intel = strcmp(vt_env("VFIOX_MACHINE"), "intel-iommu") == 0;
	struct vfiox_container *c;
	struct vfiox_group *g;
	char warn[96];
	uint8_t *mem;
	int n;

	vt_init();
	patched = mods && !strcmp(mods, "patched");
	mem = mmap(NULL, 16 * MB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHECK(mem != MAP_FAILED, "mmap 16 MiB");
	vt_rebind(SMBUS, "vfio-pci");
	if (open_lpc(false, &c, &g)) {
		CHECK(0, "open the LPC group (is %s on vfio-pci?)", SMBUS);
		vt_rebind(SMBUS, "");
		return vt_done("resv_relaxable_regions");
	}
	regions_match_sysfs(c, g);
	machine_hole_is_typed(g, vt_env("VFIOX_MACHINE"));
	n = vfiox_dma_identity_regions(c, NULL, 0);
	/* The floppy region exists on Intel only; a missing one there fails. */
	CHECK(n == (intel ? 1 : 0), "%d relaxable ranges on %s", n,
	      intel ? "intel-iommu" : "this machine");
	dma_avail_agrees_after_churn(c, mem);
	snprintf(warn, sizeof(warn), "IOMMU group %d: ignoring direct-relaxable",
		 vfiox_group_number(g));
	if (n == 1)
		allocator_stays_above_16m(c, mem);
	vfiox_container_close(c);
	if (n == 1) {
		opt_in_map(false, mem);
		/* Opened three times by now: the kernel warned once, if at all. */
		CHECK(vt_count_kmsg(warn) == (patched ? 1 : 0), "'%s' logged %d times",
		      warn, vt_count_kmsg(warn));
	}
	if (n == 1 && patched) {
		vt_write_file(STRICT_PARAM, "Y");
		opt_in_map(true, mem);
		strict_refuses_the_attach(mem);
		vt_write_file(STRICT_PARAM, "N");
	}
	vt_rebind(SMBUS, "");
	munmap(mem, 16 * MB);
	return vt_done("resv_relaxable_regions");
}
