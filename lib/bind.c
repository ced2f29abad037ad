// SPDX-License-Identifier: MIT
/*
 * Driver binding through sysfs: driver_override, unbind, drivers_probe.
 * Every sysfs access goes through the syscall seam; the wait for the group
 * node uses the uevent monitor (libnl).
 */
#define LOG_PREFIX "bind"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfiox-config.h"
#include "internal.h"

#define MAX_GROUP_DEVICES 32
#define DEFAULT_TIMEOUT_MS 5000

struct bound_dev {
	char bdf[16];
	char prev[64];		/* driver before the bind, "" for none */
	bool changed;		/* we moved it (else it already had the driver) */
};

struct vfiox_binding {
	const struct vfiox_sys *sys;
	char sysfs[VFIOX_PATH_MAX];
	char dev_root[VFIOX_PATH_MAX];
	char driver[64];
	int group;
	int nr;
	struct bound_dev devs[MAX_GROUP_DEVICES];
};

static int dev_path(const struct vfiox_binding *b, const char *bdf,
		    const char *attr, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/bus/pci/devices/%s/%s", b->sysfs, bdf, attr);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The driver @bdf is bound to now, "" for none. */
static int current_driver(const struct vfiox_binding *b, const char *bdf,
			  char *buf, size_t len)
{
	char path[VFIOX_PATH_MAX + 128];
	int ret = dev_path(b, bdf, "driver", path, sizeof(path));

	if (!ret)
		ret = vfiox_sys_link_name(b->sys, path, buf, len);
	if (ret == -ENOENT) {
		buf[0] = '\0';
		ret = 0;
	}
	return ret;
}

static int write_attr(const struct vfiox_binding *b, const char *path,
		      const char *text, const char *bdf)
{
	int ret = vfiox_sys_write_file(b->sys, path, text);

	if (ret)
		pr_err("%s: writing '%s' to %s: %s", bdf, text[0] == '\n' ? "\\n" : text,
		       path, ERRSTR(ret));
	return ret;
}

/* Detach @bdf from @driver (if bound) and let the kernel probe it again. */
static int reprobe(const struct vfiox_binding *b, const char *bdf,
		   const char *driver)
{
	char path[VFIOX_PATH_MAX + 128];
	int ret = 0;

	if (driver[0]) {
		snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s/unbind", b->sysfs, driver);
		ret = write_attr(b, path, bdf, bdf);
	}
	if (!ret) {
		snprintf(path, sizeof(path), "%s/bus/pci/drivers_probe", b->sysfs);
		ret = write_attr(b, path, bdf, bdf);
	}
	return ret;
}

static int move_to(struct vfiox_binding *b, struct bound_dev *d)
{
	char path[VFIOX_PATH_MAX + 128], now[64];
	int ret = current_driver(b, d->bdf, d->prev, sizeof(d->prev));

	if (ret || !strcmp(d->prev, b->driver))
		return ret;
	ret = dev_path(b, d->bdf, "driver_override", path, sizeof(path));
	if (!ret)
		ret = write_attr(b, path, b->driver, d->bdf);
	if (ret)
		return ret;
	d->changed = true;
	ret = reprobe(b, d->bdf, d->prev);
	if (!ret)
		ret = current_driver(b, d->bdf, now, sizeof(now));
	if (!ret && strcmp(now, b->driver)) {
		pr_err("%s: still on '%s' after the probe, not on %s (is the %s module loaded?)",
		       d->bdf, now, b->driver, b->driver);
		ret = -EBUSY;
	}
	return ret;
}

static int give_back(struct vfiox_binding *b, struct bound_dev *d)
{
	char path[VFIOX_PATH_MAX + 128], now[64];
	int ret;

	if (!d->changed)
		return 0;
	ret = dev_path(b, d->bdf, "driver_override", path, sizeof(path));
	if (!ret)
		ret = write_attr(b, path, "\n", d->bdf);
	if (!ret)
		ret = current_driver(b, d->bdf, now, sizeof(now));
	if (!ret && d->prev[0])
		ret = reprobe(b, d->bdf, now);
	else if (!ret && now[0]) {
		snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s/unbind", b->sysfs, now);
		ret = write_attr(b, path, d->bdf, d->bdf);
	}
	if (!ret)
		ret = current_driver(b, d->bdf, now, sizeof(now));
	if (!ret && strcmp(now, d->prev)) {
		pr_err("%s: back on '%s', not on its previous driver '%s'", d->bdf, now,
		       d->prev);
		ret = -EBUSY;
	}
	return ret;
}

static int group_of(struct vfiox_binding *b, const char *bdf)
{
	char path[VFIOX_PATH_MAX + 128], name[32];
	char *end;
	int ret = dev_path(b, bdf, "iommu_group", path, sizeof(path));

	if (!ret)
		ret = vfiox_sys_link_name(b->sys, path, name, sizeof(name));
	if (ret) {
		pr_err("%s: no IOMMU group (%s): is the device there and the IOMMU on?",
		       bdf, ERRSTR(ret));
		return ret == -ENOENT ? -ENODEV : ret;
	}
	b->group = (int)strtol(name, &end, 10);
	return 0;
}

/* A device of the group to bind; bridges stay with their driver. */
static int add_member(void *arg, const char *name)
{
	struct vfiox_binding *b = arg;
	char path[VFIOX_PATH_MAX + 128], class[16];

	if (name[0] == '.')
		return 0;
	if (b->nr == MAX_GROUP_DEVICES) {
		pr_err("group %d has more than %d devices", b->group, MAX_GROUP_DEVICES);
		return -E2BIG;
	}
	if (dev_path(b, name, "class", path, sizeof(path)) == 0 &&
	    vfiox_sys_read_file(b->sys, path, class, sizeof(class)) > 0 &&
	    !strncmp(class, "0x0604", 6))
		return 0;
	snprintf(b->devs[b->nr++].bdf, sizeof(b->devs[0].bdf), "%s", name);
	return 0;
}

static int list_members(struct vfiox_binding *b, const char *bdf, bool whole)
{
	char path[VFIOX_PATH_MAX + 128];

	if (!whole) {
		snprintf(b->devs[0].bdf, sizeof(b->devs[0].bdf), "%s", bdf);
		b->nr = 1;
		return 0;
	}
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices", b->sysfs, b->group);
	return b->sys->list_dir(path, add_member, b);
}

static int find_node(void *arg, const char *name)
{
	return !strcmp(name, arg);
}

/* 1 when /dev/vfio/N exists, 0 when not, or a negative errno. */
static int node_exists(const struct vfiox_binding *b)
{
	char name[16];
	int ret;

	snprintf(name, sizeof(name), "%d", b->group);
	ret = b->sys->list_dir(b->dev_root, find_node, name);
	return ret == -ENOENT ? 0 : ret;
}

#if VFIOX_HAVE_LIBNL
struct node_wait {
	char devname[32];
	bool seen;
	char log[512];		/* what arrived meanwhile, for the timeout message */
};

static void on_uevent(const struct vfiox_uevent *ev, void *arg)
{
	struct node_wait *w = arg;
	size_t used = strlen(w->log);

	if (ev->action == VFIOX_UEVENT_ADD && !strcmp(ev->devname, w->devname))
		w->seen = true;
	snprintf(w->log + used, sizeof(w->log) - used, " [%s %s%s%s]", ev->action_name,
		 ev->pci_slot[0] ? ev->pci_slot : ev->devpath,
		 ev->driver[0] ? " " : "", ev->driver);
}

static int wait_node(const struct vfiox_binding *b, struct vfiox_uevent_monitor *m,
		     int timeout_ms)
{
	struct node_wait w = { .seen = false };
	int ret = node_exists(b);

	snprintf(w.devname, sizeof(w.devname), "vfio/%d", b->group);
	while (ret == 0 && !w.seen) {
		ret = vfiox_uevent_wait(m, timeout_ms, on_uevent, &w);
		if (ret > 0)
			ret = w.seen ? 1 : node_exists(b);
	}
	if (ret == -ETIMEDOUT)
		pr_err("group %d: no /dev/%s after %d ms; uevents seen:%s", b->group,
		       w.devname, timeout_ms, w.log[0] ? w.log : " none");
	return ret < 0 ? ret : 0;
}
#endif

static int bind_all(struct vfiox_binding *b, int timeout_ms)
{
	struct vfiox_uevent_monitor *m = NULL;
	int i, ret = 0;

#if VFIOX_HAVE_LIBNL
	/* Listen before binding, so the node's add event cannot be missed. */
	ret = vfiox_uevent_open(&m);
#endif
	for (i = 0; i < b->nr && !ret; i++)
		ret = move_to(b, &b->devs[i]);
#if VFIOX_HAVE_LIBNL
	if (!ret && !strcmp(b->driver, "vfio-pci"))
		ret = wait_node(b, m, timeout_ms);
	vfiox_uevent_close(m);
#else
	(void)timeout_ms;
	if (!ret && !strcmp(b->driver, "vfio-pci") && node_exists(b) != 1) {
		pr_err("built without libnl: cannot wait for /dev/vfio/%d", b->group);
		ret = -ENOTSUP;
	}
#endif
	return ret;
}

static int init_binding(struct vfiox_binding *b, const struct vfiox_bind_opts *o)
{
	const char *drv = VFIOX_OPTS_HAS(o, driver) && o->driver ? o->driver : "vfio-pci";
	const char *sysfs = VFIOX_OPTS_HAS(o, sysfs_root) && o->sysfs_root ?
			    o->sysfs_root : "/sys";
	const char *dev = VFIOX_OPTS_HAS(o, dev_root) && o->dev_root ?
			  o->dev_root : "/dev/vfio";

	if (strlen(drv) >= sizeof(b->driver) || strchr(drv, '/') ||
	    strlen(sysfs) >= sizeof(b->sysfs) - 64 || strlen(dev) >= sizeof(b->dev_root)) {
		pr_err("bind: driver name or root path too long, or a path as driver");
		return -EINVAL;
	}
	strcpy(b->driver, drv);
	strcpy(b->sysfs, sysfs);
	strcpy(b->dev_root, dev);
	return 0;
}

int vfiox_pci_bind_sys(const struct vfiox_sys *sys, const char *bdf,
		       const struct vfiox_bind_opts *opts, struct vfiox_binding **out)
{
	int timeout = VFIOX_OPTS_HAS(opts, timeout_ms) && opts->timeout_ms > 0 ?
		      opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	bool whole = VFIOX_OPTS_HAS(opts, whole_group) && opts->whole_group;
	struct vfiox_pci_addr addr;
	struct vfiox_binding *b;
	char canon[16];
	int ret;

	if (!out || vfiox_pci_parse_addr(bdf, &addr))
		return -EINVAL;
	ret = VFIOX_OPTS_CHECK(opts, vfiox_bind_opts);
	if (ret)
		return ret;
	vfiox_pci_format_addr(&addr, canon, sizeof(canon));
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->sys = sys;
	ret = init_binding(b, opts);
	if (!ret)
		ret = group_of(b, canon);
	if (!ret)
		ret = list_members(b, canon, whole);
	if (!ret)
		ret = bind_all(b, timeout);
	if (ret) {
		vfiox_pci_unbind(b);
		return ret;
	}
	*out = b;
	return 0;
}

VFIOX_API int vfiox_pci_bind(const char *bdf, const struct vfiox_bind_opts *opts,
			     struct vfiox_binding **out)
{
	return vfiox_pci_bind_sys(&vfiox_sys_real, bdf, opts, out);
}

VFIOX_API int vfiox_pci_unbind(struct vfiox_binding *b)
{
	int i, ret = 0;

	if (!b)
		return -EINVAL;
	for (i = b->nr - 1; i >= 0; i--) {
		int r = give_back(b, &b->devs[i]);

		ret = ret ? ret : r;
	}
	free(b);
	return ret;
}

VFIOX_API int vfiox_binding_group(const struct vfiox_binding *b)
{
	return b ? b->group : -EINVAL;
}

VFIOX_API int vfiox_binding_forget(struct vfiox_binding *b)
{
	if (!b)
		return -EINVAL;
	free(b);
	return 0;
}

int vfiox_pci_release_sys(const struct vfiox_sys *sys, const char *bdf,
			  const struct vfiox_bind_opts *opts, char *driver, size_t len)
{
	struct vfiox_pci_addr addr;
	struct vfiox_binding *b;
	char path[VFIOX_PATH_MAX + 128], now[64];
	int ret;

	if (vfiox_pci_parse_addr(bdf, &addr) || (driver && !len))
		return -EINVAL;
	ret = VFIOX_OPTS_CHECK(opts, vfiox_bind_opts);
	if (ret)
		return ret;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->sys = sys;
	ret = init_binding(b, opts);
	if (!ret) {
		vfiox_pci_format_addr(&addr, b->devs[0].bdf, sizeof(b->devs[0].bdf));
		ret = current_driver(b, b->devs[0].bdf, now, sizeof(now));
	}
	if (!ret)
		ret = dev_path(b, b->devs[0].bdf, "driver_override", path, sizeof(path));
	if (!ret)
		ret = write_attr(b, path, "\n", b->devs[0].bdf);
	if (!ret)
		ret = reprobe(b, b->devs[0].bdf, now);
	if (!ret && driver)
		ret = current_driver(b, b->devs[0].bdf, driver, len);
	free(b);
	return ret == -ENOENT ? -ENODEV : ret;
}

VFIOX_API int vfiox_pci_release(const char *bdf, const struct vfiox_bind_opts *opts,
				char *driver, size_t len)
{
	return vfiox_pci_release_sys(&vfiox_sys_real, bdf, opts, driver, len);
}
