// SPDX-License-Identifier: MIT
/*
 * vfiox-info (text and --json) runs to completion inside the VM and lists
 * every emulated device with its libpci name, driver, capabilities (the
 * SR-IOV NVMe's, and none on edu) and VFIO details; whether /dev/iommu is
 * there, and each device's vfio cdev exactly as sysfs names it; the IOMMU
 * line names the backend's type (type1v2, or iommufd on that backend).
 */
#include <dirent.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "vmtest.h"

static int run(const char *cmd, char *out, size_t len)
{
	size_t used = 0, n;
	FILE *p = popen(cmd, "r");

	if (!p)
		return -1;
	while (used + 1 < len && (n = fread(out + used, 1, len - 1 - used, p)) > 0)
		used += n;
	out[used] = '\0';
	return pclose(p);
}

/* The line of @out that starts with @start, without its newline. */
static const char *line_of(const char *out, const char *start, char *buf, size_t len)
{
	const char *p = strstr(out, start);

	snprintf(buf, len, "%.*s", p ? (int)strcspn(p, "\n") : 0, p ? p : "");
	return buf;
}

/*
 * N of /sys/bus/pci/devices/@bdf/vfio-dev/vfioN when that has a char device
 * ("dev"; kernels without VFIO_DEVICE_CDEV list vfioN with none); -1: no
 * cdev, -2: vfio-dev/ holds no vfioN.
 */
static int sysfs_cdev_nr(const char *bdf)
{
	char path[320], extra;
	struct dirent *de;
	int nr = -2;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		return -1;
	while (nr < 0 && (de = readdir(dir)))
		if (sscanf(de->d_name, "vfio%d%c", &nr, &extra) != 1 || nr < 0)
			nr = -2;
	closedir(dir);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev/vfio%d/dev", bdf, nr);
	if (nr >= 0 && access(path, F_OK))
		nr = -1;
	return nr;
}

/* The cdev the text output names under @bdf's line: "" none, NULL: @bdf not listed. */
static const char *text_cdev(const char *out, const char *bdf, char *buf, size_t len)
{
	char start[320];
	const char *p;

	snprintf(start, sizeof(start), "\n  %s [", bdf);
	p = strstr(out, start);
	if (!p)
		return NULL;
	p += 1 + strcspn(p + 1, "\n");
	buf[0] = '\0';
	if (!strncmp(p, "\n    cdev: ", 11))
		snprintf(buf, len, "%.*s", (int)strcspn(p + 11, "\n"), p + 11);
	return buf;
}

/* The "cdev" member of @bdf's JSON object: "" for null, NULL: @bdf not listed. */
static const char *json_cdev(const char *out, const char *bdf, char *buf, size_t len)
{
	char start[320];
	const char *p, *v;

	snprintf(start, sizeof(start), "{\"bdf\":\"%s\",\"vendor\"", bdf);
	p = strstr(out, start);
	if (!p)
		return NULL;
	v = strstr(p, "\"cdev\":");
	buf[0] = '\0';
	if (!v || v > p + strcspn(p, "}"))
		snprintf(buf, len, "(no cdev member)");
	else if (v[7] == '"')
		snprintf(buf, len, "%.*s", (int)strcspn(v + 8, "\""), v + 8);
	else if (strncmp(v + 7, "null", 4))
		snprintf(buf, len, "(%.20s)", v + 7);
	return buf;
}

/*
 * Every PCI device: the cdev @out names for it is the one its sysfs
 * vfio-dev/ holds, or none; a device with a cdev must be listed. Returns
 * how many cdevs were checked.
 */
static int check_cdevs(const char *out, bool json)
{
	char got_buf[320], want[64];
	const char *got, *what = json ? "JSON" : "text";
	DIR *dir = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	int nr, n = 0;

	CHECK(dir != NULL, "cannot list /sys/bus/pci/devices: %s", strerror(errno));
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		nr = sysfs_cdev_nr(de->d_name);
		CHECK(nr != -2, "%s/vfio-dev holds no vfioN", de->d_name);
		want[0] = '\0';
		if (nr >= 0)
			snprintf(want, sizeof(want), "/dev/vfio/devices/vfio%d", nr);
		got = json ? json_cdev(out, de->d_name, got_buf, sizeof(got_buf)) :
			     text_cdev(out, de->d_name, got_buf, sizeof(got_buf));
		CHECK(got || nr < 0, "%s has %s but is not in the %s output", de->d_name, want, what);
		CHECK(!got || !strcmp(got, want), "%s output: %s's cdev is '%s', sysfs says '%s'",
		      what, de->d_name, got, want);
		CHECK(nr < 0 || access(want, F_OK) == 0, "%s: %s", want, strerror(errno));
		n += nr >= 0;
	}
	if (dir)
		closedir(dir);
	return n;
}

/* The iommufd line and the cdevs: all named when /dev/iommu exists, none otherwise. */
static void check_iommufd(const char *out, bool json)
{
	static const char *const heads[2][2] = {	/* [json][iommufd] */
		{ "iommufd: not present\n", "iommufd: /dev/iommu\n" },
		{ "{\"vfio\":true,\"iommufd\":null,\"groups\":[",
		  "{\"vfio\":true,\"iommufd\":\"/dev/iommu\",\"groups\":[" },
	};
	bool iommufd = access("/dev/iommu", F_OK) == 0;
	const char *head = heads[json][iommufd];
	int n;

	CHECK(!strncmp(out, head, strlen(head)), "head '%.50s', wanted '%s'", out, head);
	n = check_cdevs(out, json);
	CHECK(iommufd || !strstr(out, "/dev/vfio/devices/"),
	      "no /dev/iommu, yet the %s output names a cdev", json ? "JSON" : "text");
	printf("  %s: /dev/iommu %s, %d vfio cdevs checked\n", json ? "JSON" : "text",
	       iommufd ? "present" : "absent", n);
}

int main(void)
{
	static char out[1 << 16];
	char line[256];
	const char *mods = getenv("VFIOX_MODULES");
	bool patched = mods && !strcmp(mods, "patched");
	/* vfiox-info takes the suite's VFIOX_BACKEND too. */
	const char *backend = getenv("VFIOX_BACKEND");
	bool iommufd = backend && !strcmp(backend, "iommufd");
	char want[128];
	int st;

	vt_init();
	st = run("vfiox-info", out, sizeof(out));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "vfiox-info status 0x%x", st);
	CHECK(strstr(out, "QEMU NVM Express Controller (driver vfio-pci)") != NULL,
	      "NVMe name or driver missing");
	CHECK(strstr(out, "0000:00:08.0 [1b36:0010] Red Hat, Inc. QEMU NVM Express Controller "
		     "(driver vfio-pci) caps: SR-IOV\n") != NULL, "SR-IOV NVMe line missing");
	CHECK(!strcmp(line_of(out, "  0000:00:06.0 ", line, sizeof(line)),
		      "  0000:00:06.0 [1234:11e8] Device 1234:11e8 (driver vfio-pci)"),
	      "edu's line is '%s'", line);
	CHECK(strstr(out, "0000:00:1f.3") && strstr(out, "(driver i801_smbus)"),
	      "SMBus and its driver missing");
	CHECK(strstr(out, "    BAR2: size 0x100000 rwm") != NULL,
	      "ivshmem BAR2 missing");
	/* Names, not numbers: the IOMMU type, page sizes, IRQ indexes. */
	CHECK(strstr(out, iommufd ? "  iommu: iommufd, page sizes 4K" :
			  "  iommu: type1v2, page sizes 4K") != NULL,
	      "the IOMMU line does not name %s and 4K pages", iommufd ? "iommufd" : "type1v2");
	CHECK(strstr(out, "    config: size 0x") != NULL, "no config region named");
	CHECK(strstr(out, "    INTx: 1 vector, maskable\n") && strstr(out, "    MSI-X: "),
	      "INTx or MSI-X not named");
	CHECK(strstr(out, "  reserved: [0xfee00000-0xfeefffff] msi\n") != NULL,
	      "the MSI reserved region is missing");
	CHECK(strstr(out, patched ? "reserved regions from the kernel's capability" :
		     "reserved regions from sysfs") != NULL,
	      "the reserved regions' source is not the %s one",
	      patched ? "capability" : "sysfs");
	check_iommufd(out, false);
	st = run("vfiox-info --json", out, sizeof(out));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "vfiox-info --json status 0x%x", st);
	check_iommufd(out, true);
	CHECK(strstr(out, "\"bdf\":\"0000:00:06.0\",\"vendor\":\"0x1234\"") != NULL,
	      "edu missing from JSON");
	CHECK(strstr(out, "\"bdf\":\"0000:00:08.0\"") &&
	      strstr(strstr(out, "\"bdf\":\"0000:00:08.0\""), "\"caps\":\"SR-IOV\"}"),
	      "the SR-IOV capability is missing from JSON");
	CHECK(strstr(out, "\"iova_ranges\":[{\"start\":\"0x0\"") != NULL,
	      "IOVA ranges missing from JSON");
	/* --json keeps the numbers and names them too. */
	snprintf(want, sizeof(want), "\"iommu\":{\"type\":%d,\"type_name\":\"%s\",\"pgsizes\":\"0x",
		 iommufd ? VFIOX_IOMMU_IOMMUFD : 3, iommufd ? "iommufd" : "type1v2");
	CHECK(strstr(out, want) && strstr(out, "\"page_sizes\":[\"4K"),
	      "the IOMMU type or page sizes not named in JSON");
	CHECK(strstr(out, iommufd ? "\"backend\":\"iommufd\"" : "\"backend\":\"legacy\""),
	      "JSON does not name the backend");
	CHECK(strstr(out, "{\"index\":0,\"name\":\"BAR0\",\"size\":") &&
	      strstr(out, "{\"index\":2,\"name\":\"MSI-X\",\"count\":"),
	      "regions or IRQ indexes not named in JSON");
	return vt_done("vfiox_info_lists_devices");
}
