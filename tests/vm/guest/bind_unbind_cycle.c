// SPDX-License-Identifier: MIT
/*
 * vfiox_pci_bind()/vfiox_pci_unbind() on the real kernel:
 * - edu, then the NVMe, each taken off every driver first: bind puts it on
 *   vfio-pci, and its /dev/vfio/N (gone while it was unbound) is there
 *   when bind returns, found through the uevent monitor; it opens; unbind
 *   leaves it on no driver with driver_override cleared, as it found it;
 * - the ICH9 SMBus, whole group: 00:1f.3 moves from i801_smbus to vfio-pci
 *   while 00:1f.0 and 00:1f.2 (already there) stay; unbind gives 00:1f.3
 *   back to i801_smbus.
 * The kernel's uevents of the first bind are printed as fuzzing seeds.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <linux/netlink.h>

#include "vmtest.h"

#define SMBUS "0000:00:1f.3"

static bool node_exists(int group)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	return stat(path, &st) == 0;
}

/* A raw uevent socket, to print what the kernel sent as seeds. */
static int raw_uevents(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void print_seeds(int fd)
{
	static char buf[8192];
	char name[16];
	ssize_t n;
	int i = 0;

	/* The harness's first byte: 0, from the kernel's port. */
	while (fd >= 0 && (n = recv(fd, buf + 1, sizeof(buf) - 1, 0)) > 0) {
		buf[0] = 0;
		snprintf(name, sizeof(name), "bind%d", i++);
		vt_seed("uevent", name, buf, (size_t)n + 1);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* @bdf from no driver to vfio-pci and back; the first prints its seeds. */
static void device_cycle(const char *bdf, bool seeds)
{
	struct vfiox_container *c;
	struct vfiox_binding *b;
	struct vfiox_group *g;
	char drv[128], path[96], ovr[64] = "";
	int group, raw = seeds ? raw_uevents() : -1;
	double t;

	vt_rebind(bdf, "");
	CHECK(!strcmp(vt_driver(bdf, drv, sizeof(drv)), ""), "%s still on %s", bdf, drv);
	t = now_s();
	CHECK_RET(vfiox_pci_bind(bdf, NULL, &b), 0);
	if (vt_failures)
		return;
	t = now_s() - t;
	group = vfiox_binding_group(b);
	printf("  bound %s (group %d) in %.3f s\n", bdf, group, t);
	print_seeds(raw);
	if (raw >= 0)
		close(raw);
	CHECK(!strcmp(vt_driver(bdf, drv, sizeof(drv)), "vfio-pci"), "%s on '%s'", bdf, drv);
	CHECK(node_exists(group), "no /dev/vfio/%d after bind returned", group);
	CHECK(t < 3.0, "bind took %.1f s", t);
	if (vt_open(bdf, &c, &g, NULL) == 0)
		vfiox_container_close(c);
	else
		CHECK(0, "%s does not open after the bind", bdf);
	CHECK_RET(vfiox_pci_unbind(b), 0);
	CHECK(!strcmp(vt_driver(bdf, drv, sizeof(drv)), ""), "%s left on '%s'", bdf, drv);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	{
		FILE *f = fopen(path, "r");

		if (f && fgets(ovr, sizeof(ovr), f))
			CHECK(!strncmp(ovr, "(null)", 6), "driver_override left as '%s'", ovr);
		if (f)
			fclose(f);
	}
}

static void smbus_group_cycle(void)
{
	struct vfiox_bind_opts o = { .sz = sizeof(o), .whole_group = true };
	struct vfiox_binding *b;
	char drv[128];

	CHECK(!strcmp(vt_driver(SMBUS, drv, sizeof(drv)), "i801_smbus"),
	      "SMBus starts on '%s'", drv);
	CHECK_RET(vfiox_pci_bind(SMBUS, &o, &b), 0);
	if (vt_failures)
		return;
	CHECK(!strcmp(vt_driver(SMBUS, drv, sizeof(drv)), "vfio-pci"), "SMBus on '%s'", drv);
	CHECK(!strcmp(vt_driver(vt_env("VFIOX_LPC"), drv, sizeof(drv)), "vfio-pci"),
	      "LPC on '%s'", drv);
	CHECK_RET(vfiox_pci_unbind(b), 0);
	CHECK(!strcmp(vt_driver(SMBUS, drv, sizeof(drv)), "i801_smbus"),
	      "SMBus given back to '%s'", drv);
	CHECK(!strcmp(vt_driver(vt_env("VFIOX_LPC"), drv, sizeof(drv)), "vfio-pci"),
	      "LPC moved to '%s'", drv);
}

int main(void)
{
	const char *edu = vt_env("VFIOX_EDU"), *nvme = vt_env("VFIOX_NVME");

	vt_init();
	device_cycle(edu, true);
	vt_rebind(edu, "vfio-pci");	/* as /init left it, for the next tests */
	device_cycle(nvme, false);
	vt_rebind(nvme, "vfio-pci");
	smbus_group_cycle();
	return vt_done("bind_unbind_cycle");
}
