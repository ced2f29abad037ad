// SPDX-License-Identifier: MIT
/*
 * Print what the real kernel hands libvfiox, as fuzzing seeds: the raw
 * VFIO_IOMMU_GET_INFO buffer (and its reserved-regions capability on
 * patched modules), the VFIO_DEVICE_GET_INFO and every
 * VFIO_DEVICE_GET_REGION_INFO buffer of the NVMe with a CMB and of ivshmem, every group's sysfs reserved_regions, and the
 * PCI device names. One line each: "VFIOX-SEED <target> <name> <hex>";
 * tests/fuzz/harvest-seeds turns a console log into tests/fuzz/corpus/.
 * It fails when the kernel gives any of them no bytes. On iommufd the
 * IOAS's ranges stand in for the VFIO_IOMMU_GET_INFO buffer.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmtest.h"
#include "../../../lib/uapi_ext.h"

/* An info ioctl with a buffer large enough for any chain seen here. */
static size_t info_ioctl(int fd, unsigned long req, void *buf, size_t len,
			 uint32_t index)
{
	uint32_t *words = buf;

	memset(buf, 0, len);
	words[0] = (uint32_t)len;
	if (req == VFIO_DEVICE_GET_REGION_INFO)
		((struct vfio_region_info *)buf)->index = index;
	if (ioctl(fd, req, buf))
		return 0;
	return words[0] < len ? words[0] : len;
}

static int dump_cap(const struct vfiox_cap *cap, void *arg)
{
	(void)arg;
	if (cap->id == VFIOX_IOMMU_TYPE1_INFO_CAP_RESV_REGIONS)
		vt_seed("resv_cap", "kernel", cap->data, cap->len);
	return 0;
}

/*
 * On iommufd there is no VFIO_IOMMU_GET_INFO buffer: the IOAS's ranges
 * are its IOMMU info, which no fuzz target parses (yet); they are shown,
 * and must be there.
 */
static void show_ioas_ranges(struct vfiox_container *c)
{
	struct vfiox_iommu_iova_range r[16];
	struct vfiox_iommu_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = vt_ioas_id(c), .num_iovas = 16,
		.allowed_iovas = (uintptr_t)r,
	};
	uint32_t i;

	CHECK(!ioctl(vfiox_container_fd(c), VFIOX_IOMMU_IOAS_IOVA_RANGES, &q),
	      "IOMMU_IOAS_IOVA_RANGES: %s", strerror(errno));
	CHECK(q.num_iovas >= 1 && q.num_iovas <= 16, "%u IOAS ranges", q.num_iovas);
	for (i = 0; i < q.num_iovas && i < 16; i++)
		printf("  IOAS range [0x%llx, 0x%llx] (no seed: iommufd)\n",
		       (unsigned long long)r[i].start, (unsigned long long)r[i].last);
}

static void dump_iommu_info(struct vfiox_container *c)
{
	static uint8_t buf[8192];
	struct vfio_iommu_type1_info info;
	size_t n;

	if (vt_iommufd(c)) {
		show_ioas_ranges(c);
		return;
	}
	n = info_ioctl(vfiox_container_fd(c), VFIO_IOMMU_GET_INFO, buf, sizeof(buf), 0);

	CHECK(n >= sizeof(info), "GET_INFO gave %zu bytes", n);
	if (n < sizeof(info))
		return;
	vt_seed("iommu_info", "nvme", buf, n);
	memcpy(&info, buf, sizeof(info));
	if (info.flags & VFIO_IOMMU_INFO_CAPS)
		vfiox_cap_walk(buf, n, sizeof(info), info.cap_offset, dump_cap, NULL);
}

static void dump_regions(const char *bdf)
{
	static uint8_t buf[4096];
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	char name[64];
	uint32_t i;
	size_t n;

	if (vt_open(bdf, &c, &g, &d)) {
		CHECK(0, "open %s", bdf);
		return;
	}
	if (!strcmp(bdf, vt_env("VFIOX_NVME_CMB")))
		dump_iommu_info(c);
	n = info_ioctl(vfiox_device_fd(d), VFIO_DEVICE_GET_INFO, buf, sizeof(buf), 0);
	CHECK(n >= sizeof(struct vfio_device_info), "%s: GET_INFO gave %zu bytes", bdf, n);
	vt_seed("device_info", bdf, buf, n < 64 ? n : 64);
	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		n = info_ioctl(vfiox_device_fd(d), VFIO_DEVICE_GET_REGION_INFO,
			       buf, sizeof(buf), i);

		snprintf(name, sizeof(name), "%s-region%u", bdf, i);
		if (n)
			vt_seed("region_info", name, buf, n);
		else if (i == VFIO_PCI_BAR0_REGION_INDEX)
			CHECK(0, "%s: no BAR 0 info", bdf);
	}
	vfiox_container_close(c);
}

static void dump_sysfs(void)
{
	DIR *dir = opendir("/sys/kernel/iommu_groups");
	struct dirent *de;
	char path[300], text[4096], name[64];
	int groups = 0;

	while (dir && (de = readdir(dir))) {
		int fd;
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%s/reserved_regions",
			 de->d_name);
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, text, sizeof(text));
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			continue;
		snprintf(name, sizeof(name), "group%.32s", de->d_name);
		vt_seed("resv_sysfs", name, text, (size_t)n);
		groups++;
	}
	if (dir)
		closedir(dir);
	CHECK(groups > 0, "no group has reserved_regions");
}

static void dump_pci_names(void)
{
	DIR *dir = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	int n = 0;

	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		vt_seed("pci_addr", de->d_name, de->d_name, strlen(de->d_name));
		n++;
	}
	if (dir)
		closedir(dir);
	CHECK(n > 0, "no PCI devices in sysfs");
}

int main(void)
{
	vt_init();
	dump_regions(vt_env("VFIOX_NVME_CMB"));
	dump_regions(vt_env("VFIOX_IVSHMEM"));
	dump_sysfs();
	dump_pci_names();
	return vt_done("dump_fuzz_seeds");
}
