// SPDX-License-Identifier: MIT
/*
 * PCI lookup through libpci against a sysfs tree built in a temporary
 * directory: IDs with wildcards, class masks, addresses, driver and IOMMU
 * group links, extended capabilities from config space; and a tree libpci
 * chokes on, which must give an error instead of libpci's exit().
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake_kernel.h"

static char root[64];

static void put(const char *dev, const char *name, const void *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", root, dev, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void put_text(const char *dev, const char *name, const char *text)
{
	put(dev, name, text, strlen(text));
}

/* A device whose config space has one extended capability at 0x100. */
static void add_device(const char *dev, uint16_t vendor, uint16_t device,
		       uint32_t class, int ext_cap, const char *driver, int group)
{
	uint8_t config[4096] = { 0 };
	char path[256], text[64], resource[7 * 60 + 1];
	int i;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", root, dev);
	assert_int_equal(mkdir(path, 0755), 0);
	memcpy(config, &vendor, 2);
	memcpy(config + 2, &device, 2);
	config[9] = class & 0xff;
	config[10] = (class >> 8) & 0xff;
	config[11] = (class >> 16) & 0xff;
	config[6] = 0x10;		/* status: capability list */
	config[0x34] = 0x40;
	config[0x40] = 0x10;		/* PCI Express capability, last */
	config[0x42] = 0x02;
	if (ext_cap) {
		uint32_t hdr = (uint32_t)ext_cap | 1u << 16;	/* version 1, last */

		memcpy(config + 0x100, &hdr, 4);
	}
	put(dev, "config", config, sizeof(config));
	snprintf(text, sizeof(text), "0x%04x\n", vendor);
	put_text(dev, "vendor", text);
	snprintf(text, sizeof(text), "0x%04x\n", device);
	put_text(dev, "device", text);
	snprintf(text, sizeof(text), "0x%06x\n", class);
	put_text(dev, "class", text);
	put_text(dev, "subsystem_vendor", "0x1af4\n");
	put_text(dev, "subsystem_device", "0x1100\n");
	put_text(dev, "irq", "0\n");
	resource[0] = '\0';
	for (i = 0; i < 7; i++)
		strcat(resource, "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
	put_text(dev, "resource", resource);
	if (driver) {
		snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", root, driver);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", root, dev);
		snprintf(text, sizeof(text), "../../drivers/%s", driver);
		assert_int_equal(symlink(text, path), 0);
	}
	if (group >= 0) {
		snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d", root, group);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group", root, dev);
		snprintf(text, sizeof(text), "../../../../kernel/iommu_groups/%d", group);
		assert_int_equal(symlink(text, path), 0);
	}
}

static int setup(void **state)
{
	static const char *const dirs[] = {
		"bus", "bus/pci", "bus/pci/devices", "bus/pci/drivers", "kernel",
		"kernel/iommu_groups",
	};
	char path[128];
	size_t i;

	(void)state;
	fk_log_capture();
	snprintf(root, sizeof(root), "/tmp/vfiox-pci-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		if (mkdir(path, 0755))
			return -1;
	}
	/* NVMe with SR-IOV on vfio-pci, edu unbound, an Intel NIC with ATS. */
	add_device("0000:00:04.0", 0x1b36, 0x0010, 0x010802, 0x10, "vfio-pci", 3);
	add_device("0000:00:06.0", 0x1234, 0x11e8, 0x00ff00, 0, NULL, 5);
	add_device("0000:00:02.0", 0x8086, 0x10d3, 0x020000, 0x0f, "e1000e", -1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static int find(const char *addr, const char *id, uint32_t class, uint32_t mask,
		struct vfiox_pci_dev *out, size_t max)
{
	struct vfiox_pci_match m = {
		.sz = sizeof(m), .addr = addr, .id = id, .class_code = class,
		.class_mask = mask, .sysfs_root = root,
	};

	return vfiox_pci_find(&m, out, max);
}

static void every_device_in_bus_order(void **state)
{
	struct vfiox_pci_dev d[4];

	(void)state;
	assert_int_equal(find(NULL, NULL, 0, 0, d, 4), 3);
	assert_string_equal(d[0].bdf, "0000:00:02.0");
	assert_string_equal(d[1].bdf, "0000:00:04.0");
	assert_string_equal(d[2].bdf, "0000:00:06.0");
	assert_int_equal(d[1].vendor, 0x1b36);
	assert_int_equal(d[1].class_code, 0x010802);
	assert_string_equal(d[1].driver, "vfio-pci");
	assert_int_equal(d[1].iommu_group, 3);
	assert_int_equal(d[1].caps, VFIOX_PCI_CAP_SRIOV);
	assert_int_equal(d[0].caps, VFIOX_PCI_CAP_ATS);
	assert_int_equal(d[0].iommu_group, -1);
	assert_string_equal(d[2].driver, "");
	assert_int_equal(d[2].caps, 0);
	assert_non_null(strstr(d[1].name, "1b36") ? d[1].name : strstr(d[1].name, "Red Hat"));
	/* Fewer slots than devices: the count says how many. */
	assert_int_equal(find(NULL, NULL, 0, 0, d, 1), 3);
	assert_string_equal(d[0].bdf, "0000:00:02.0");
}

static void criteria_narrow_the_scan(void **state)
{
	struct vfiox_pci_dev d[4];

	(void)state;
	assert_int_equal(find(NULL, "1234:11e8", 0, 0, d, 4), 1);
	assert_string_equal(d[0].bdf, "0000:00:06.0");
	assert_int_equal(find(NULL, "*:0010", 0, 0, d, 4), 1);
	assert_int_equal(find(NULL, "8086:*", 0, 0, d, 4), 1);
	assert_int_equal(find(NULL, "*:*", 0, 0, d, 4), 3);
	assert_int_equal(find(NULL, NULL, 0x010800, 0xffff00, d, 4), 1);	/* NVMe */
	assert_string_equal(d[0].bdf, "0000:00:04.0");
	assert_int_equal(find("00:06.0", NULL, 0, 0, d, 4), 1);
	assert_int_equal(find("0000:00:06.0", "8086:*", 0, 0, d, 4), 0);
	assert_int_equal(find("0000:00:1f.0", NULL, 0, 0, d, 4), 0);
}

static void bad_criteria_are_refused(void **state)
{
	struct vfiox_pci_match m = { .sz = sizeof(m), .sysfs_root = "/nonexistent" };
	struct vfiox_pci_dev d[1];
	int32_t v, dv;

	(void)state;
	assert_int_equal(find(NULL, "8086", 0, 0, d, 1), -EINVAL);
	assert_int_equal(find(NULL, "12345:1", 0, 0, d, 1), -EINVAL);
	assert_int_equal(find(NULL, "80g6:1", 0, 0, d, 1), -EINVAL);
	assert_int_equal(find(NULL, ":1", 0, 0, d, 1), -EINVAL);
	assert_int_equal(find("00:20.0", NULL, 0, 0, d, 1), -EINVAL);
	assert_true(fk_log_has("is not a PCI ID"));
	assert_int_equal(vfiox_pci_find(&m, d, 1), -ENODEV);
	assert_int_equal(vfiox_pci_find(NULL, NULL, 1), -EINVAL);
	assert_int_equal(vfiox_pci_parse_id("*:1af4", &v, &dv), 0);
	assert_int_equal(v, -1);
	assert_int_equal(dv, 0x1af4);
	assert_int_equal(vfiox_pci_parse_id("ab:c", &v, &dv), 0);
	assert_int_equal(v, 0xab);
}

/* libpci cannot read a device's mandatory files: an error, not exit(). */
static void a_broken_tree_is_an_error(void **state)
{
	struct vfiox_pci_dev d[4];
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:00:06.0/vendor", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(find(NULL, NULL, 0, 0, d, 4), -EIO);
	assert_true(fk_log_has("libpci: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_device_in_bus_order, setup, teardown),
		cmocka_unit_test_setup_teardown(criteria_narrow_the_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_criteria_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(a_broken_tree_is_an_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
