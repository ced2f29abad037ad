// SPDX-License-Identifier: MIT
/*
 * vfiox-info (text and --json) runs to completion inside the VM and lists
 * every emulated device with its libpci name, driver, capabilities (the
 * SR-IOV NVMe's, and none on edu) and VFIO details.
 */
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

int main(void)
{
	static char out[1 << 16];
	char line[256];
	const char *mods = getenv("VFIOX_MODULES");
	bool patched = mods && !strcmp(mods, "patched");
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
	CHECK(strstr(out, "region 2: size 0x100000 rwm") != NULL,
	      "ivshmem BAR2 missing");
	CHECK(strstr(out, "  reserved: [0xfee00000-0xfeefffff] msi\n") != NULL,
	      "the MSI reserved region is missing");
	CHECK(strstr(out, patched ? "reserved regions from the kernel's capability" :
		     "reserved regions from sysfs") != NULL,
	      "the reserved regions' source is not the %s one",
	      patched ? "capability" : "sysfs");
	st = run("vfiox-info --json", out, sizeof(out));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "vfiox-info --json status 0x%x", st);
	CHECK(strncmp(out, "{\"vfio\":true,\"groups\":[", 23) == 0, "JSON head: %.40s", out);
	CHECK(strstr(out, "\"bdf\":\"0000:00:06.0\",\"vendor\":\"0x1234\"") != NULL,
	      "edu missing from JSON");
	CHECK(strstr(out, "\"bdf\":\"0000:00:08.0\"") &&
	      strstr(strstr(out, "\"bdf\":\"0000:00:08.0\""), "\"caps\":\"SR-IOV\"}"),
	      "the SR-IOV capability is missing from JSON");
	CHECK(strstr(out, "\"iova_ranges\":[{\"start\":\"0x0\"") != NULL,
	      "IOVA ranges missing from JSON");
	return vt_done("vfiox_info_lists_devices");
}
