// SPDX-License-Identifier: MIT
/*
 * vfiox-bind: bind PCI devices to vfio-pci and back, from the shell.
 *
 *   vfiox-bind list [ID]          devices (or those matching vvvv:dddd,
 *                                 '*' for either half) with driver, group,
 *                                 capabilities and name
 *   vfiox-bind bind BDF [--group] [--driver NAME]
 *                                 bind the device (or its whole IOMMU
 *                                 group) and wait for /dev/vfio/N
 *   vfiox-bind unbind BDF         take it off its driver and let the kernel
 *                                 choose again (its own driver, if any)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfiox.h>

#define MAX_DEVS 256

static void log_to_stderr(enum vfiox_log_level level, const char *msg, void *user)
{
	(void)level;
	(void)user;
	fprintf(stderr, "vfiox-bind: %s\n", msg);
}

static const char *caps_text(uint32_t caps, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", caps & VFIOX_PCI_CAP_SRIOV ? " SR-IOV" : "",
		 caps & VFIOX_PCI_CAP_ATS ? " ATS" : "", caps & VFIOX_PCI_CAP_PRI ? " PRI" : "",
		 caps & VFIOX_PCI_CAP_PASID ? " PASID" : "");
	return buf[0] ? buf + 1 : "-";
}

static int list(const char *id)
{
	static struct vfiox_pci_dev d[MAX_DEVS];
	struct vfiox_pci_match m = { .sz = sizeof(m), .id = id };
	char caps[32], group[16];
	int n = vfiox_pci_find(&m, d, MAX_DEVS), i;

	if (n < 0)
		return 1;
	for (i = 0; i < n && i < MAX_DEVS; i++) {
		snprintf(group, sizeof(group), "%d", d[i].iommu_group);
		printf("%s %04x:%04x group %-3s %-14s %-12s %s\n", d[i].bdf, d[i].vendor,
		       d[i].device, d[i].iommu_group < 0 ? "-" : group,
		       d[i].driver[0] ? d[i].driver : "(none)",
		       caps_text(d[i].caps, caps, sizeof(caps)), d[i].name);
	}
	return 0;
}

static int bind(int argc, char **argv)
{
	struct vfiox_bind_opts o = { .sz = sizeof(o) };
	struct vfiox_binding *b;
	int i, ret;

	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--group"))
			o.whole_group = true;
		else if (!strcmp(argv[i], "--driver") && i + 1 < argc)
			o.driver = argv[++i];
		else
			return fprintf(stderr, "vfiox-bind: unknown option %s\n", argv[i]), 2;
	}
	ret = vfiox_pci_bind(argv[2], &o, &b);
	if (ret)
		return 1;
	printf("%s: on %s, IOMMU group %d\n", argv[2], o.driver ? o.driver : "vfio-pci",
	       vfiox_binding_group(b));
	/* The shell keeps no binding: unbind lets the kernel choose again. */
	vfiox_binding_forget(b);
	return 0;
}

static int unbind(const char *bdf)
{
	char driver[64];

	if (vfiox_pci_release(bdf, NULL, driver, sizeof(driver)))
		return 1;
	printf("%s: on %s\n", bdf, driver[0] ? driver : "no driver");
	return 0;
}

int main(int argc, char **argv)
{
	vfiox_set_log(log_to_stderr, VFIOX_LOG_WARN, NULL);
	if (argc >= 2 && !strcmp(argv[1], "list") && argc <= 3)
		return list(argc == 3 ? argv[2] : NULL);
	if (argc >= 3 && !strcmp(argv[1], "bind"))
		return bind(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "unbind"))
		return unbind(argv[2]);
	fprintf(stderr, "usage: vfiox-bind list [vvvv:dddd]\n"
			"       vfiox-bind bind BDF [--group] [--driver NAME]\n"
			"       vfiox-bind unbind BDF\n");
	return 2;
}
