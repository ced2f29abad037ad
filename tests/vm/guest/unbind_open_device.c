// SPDX-License-Identifier: MIT
/*
 * Unbinding a device from vfio-pci while it is open: the kernel asks for
 * it back and waits. With libvfiox's default answer the unbind completes
 * within seconds, the device reports itself released and refuses calls;
 * with a caller's handler, the handler runs and closes the device, and the
 * unbind completes too. Closing the container afterwards is quiet (the
 * kernel had already detached the group). edu goes back to vfio-pci after
 * each round.
 */
#include <time.h>

#include "vmtest.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Unbind @bdf from vfio-pci (blocks until the kernel got it back). */
static double unbind_seconds(const char *bdf)
{
	double t = now_s();

	vt_write_file("/sys/bus/pci/drivers/vfio-pci/unbind", bdf);
	return now_s() - t;
}

static void default_answer(const char *edu)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	char drv[128];
	double t;
	void *bar;
	uint32_t id;

	if (vt_open(edu, &c, &g, &d)) {
		CHECK(0, "open edu");
		return;
	}
	CHECK_RET(vfiox_region_mmap(d, VFIO_PCI_BAR0_REGION_INDEX, &bar), 0);
	t = unbind_seconds(edu);
	printf("  default answer: unbind took %.2f s\n", t);
	CHECK(t < 5.0, "unbind with the default answer took %.1f s", t);
	CHECK(!strcmp(vt_driver(edu, drv, sizeof(drv)), ""), "edu still on '%s'", drv);
	CHECK(vfiox_device_released(d) == 1, "device not marked released");
	CHECK_RET(vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, 0, &id, 4), -ENODEV);
	vt_log_clear();
	vfiox_container_close(c);
	/* The kernel already took the group out of the container. */
	CHECK(!vt_log_has("UNSET_CONTAINER"), "closing warned: %s", vt_log);
}

static int handled;

static void close_on_request(struct vfiox_device *d, void *arg)
{
	(void)arg;
	handled++;
	vfiox_device_close(d);
}

static void caller_handler(const char *edu)
{
	struct vfiox_device_opts o = { .sz = sizeof(o), .req_fn = close_on_request };
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	double t;

	if (vfiox_container_open(NULL, &c) || vfiox_group_open_pci(c, edu, &g) ||
	    vfiox_device_open(g, edu, &o, &d)) {
		CHECK(0, "open edu with a handler");
		return;
	}
	t = unbind_seconds(edu);
	printf("  caller's handler: unbind took %.2f s\n", t);
	CHECK(t < 5.0, "unbind with the caller's handler took %.1f s", t);
	CHECK(handled == 1, "handler ran %d times", handled);
	vt_log_clear();
	vfiox_container_close(c);
	CHECK(!vt_log_has("UNSET_CONTAINER"), "closing warned: %s", vt_log);
}

int main(void)
{
	const char *edu = vt_env("VFIOX_EDU");

	vt_init();
	default_answer(edu);
	vt_rebind(edu, "vfio-pci");
	caller_handler(edu);
	vt_rebind(edu, "vfio-pci");
	return vt_done("unbind_open_device");
}
