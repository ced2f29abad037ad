// SPDX-License-Identifier: MIT
#define LOG_PREFIX "group"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct viability_log {
	const struct vfiox_env *env;
	int nr;
};

static int log_group_member(void *arg, const char *bdf)
{
	struct viability_log *vl = arg;
	char path[VFIOX_PATH_MAX + 128], driver[64];
	int ret;

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices/%s/driver",
		 vl->env->sysfs_root, vl->nr, bdf);
	ret = vfiox_sys_link_name(vl->env->sys, path, driver, sizeof(driver));
	pr_err("group %d: device %s is bound to %s", vl->nr, bdf,
	       ret ? "no driver" : driver);
	return 0;
}

/* A non-viable group's error names every member and its driver. */
static void explain_not_viable(const struct vfiox_env *env, int nr)
{
	struct viability_log vl = { env, nr };
	char path[VFIOX_PATH_MAX + 64];
	int ret;

	pr_err("group %d is not viable: bind every device in it to vfio-pci", nr);
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices",
		 env->sysfs_root, nr);
	ret = env->sys->list_dir(path, log_group_member, &vl);
	if (ret)
		pr_err("group %d: cannot list %s: %s", nr, path, ERRSTR(ret));
}

/* 0 when viable, with *@attached saying whether a container is set. */
static int check_viable(const struct vfiox_env *env, int fd, int nr,
			bool *attached)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	int ret;

	ret = env->sys->ioctl(fd, VFIO_GROUP_GET_STATUS, &status);
	if (ret < 0) {
		pr_err("group %d: VFIO_GROUP_GET_STATUS: %s", nr, ERRSTR(ret));
		return ret;
	}
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		explain_not_viable(env, nr);
		return -EBUSY;
	}
	*attached = status.flags & VFIO_GROUP_FLAGS_CONTAINER_SET;
	return 0;
}

static struct vfiox_group *find_group(struct vfiox_container *c, int nr)
{
	struct vfiox_group *g;

	for (g = c->groups; g; g = g->next)
		if (g->nr == nr)
			return g;
	return NULL;
}

static void unlink_group(struct vfiox_group *g)
{
	struct vfiox_group **pp = &g->container->groups;

	while (*pp != g)
		pp = &(*pp)->next;
	*pp = g->next;
}

static int count_member(void *arg, const char *bdf)
{
	(void)bdf;
	(*(int *)arg)++;
	return 0;
}

/* iommufd opens no group file: sysfs says whether the group exists. */
static int check_group_exists(const struct vfiox_env *env, int nr)
{
	char path[VFIOX_PATH_MAX + 64];
	int n = 0, ret;

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices",
		 env->sysfs_root, nr);
	ret = env->sys->list_dir(path, count_member, &n);
	if (ret == -ENOENT || (!ret && !n)) {
		pr_err("group %d: no such IOMMU group (%s)", nr, path);
		return -ENOENT;
	}
	if (ret < 0)
		pr_err("group %d: list %s: %s", nr, path, ERRSTR(ret));
	return ret;
}

/*
 * On iommufd a group is only libvfiox's book of its devices: each device
 * binds and attaches itself (device.c), and the kernel checks the group's
 * viability then. The IOAS becomes the container's IOMMU with the first
 * device: before one is attached its ranges are all of the address space,
 * which no device has (container.c).
 */
static int attach_iommufd(struct vfiox_group *g)
{
	struct vfiox_container *c = g->container;
	int ret = check_group_exists(&c->env, g->nr);

	if (ret)
		return ret;
	g->next = c->groups;
	c->groups = g;
	return 0;
}

static int attach(struct vfiox_group *g)
{
	struct vfiox_container *c = g->container;
	const struct vfiox_sys *sys = c->env.sys;
	int ret;

	if (vfiox_is_iommufd(c))
		return attach_iommufd(g);
	ret = sys->ioctl(g->fd, VFIO_GROUP_SET_CONTAINER, &c->fd);
	if (ret < 0) {
		pr_err("group %d: VFIO_GROUP_SET_CONTAINER: %s", g->nr,
		       ERRSTR(ret));
		return ret;
	}
	g->next = c->groups;
	c->groups = g;
	ret = vfiox_container_check_iommu(c);
	if (!ret)
		ret = vfiox_container_on_attach(c);
	if (ret) {
		unlink_group(g);
		sys->ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
		vfiox_container_on_detach(c);
	}
	return ret;
}

VFIOX_API int vfiox_group_open(struct vfiox_container *c, int group_nr,
			       struct vfiox_group **out)
{
	char path[VFIOX_PATH_MAX + 16];
	struct vfiox_group *g;
	bool attached;
	int ret;

	if (!c || !out || group_nr < 0) {
		pr_err("open: bad argument (group %d)", group_nr);
		return -EINVAL;
	}
	if (find_group(c, group_nr)) {
		pr_err("group %d is already open on this container", group_nr);
		return -EEXIST;
	}
	ret = vfiox_container_settle(c, group_nr);
	if (ret)
		return ret;
	g = calloc(1, sizeof(*g));
	if (!g) {
		pr_err("group %d: no memory", group_nr);
		return -ENOMEM;
	}
	g->container = c;
	g->nr = group_nr;
	g->fd = -1;
	if (vfiox_is_iommufd(c)) {
		ret = attach(g);
		if (ret)
			free(g);
		else
			*out = g;
		return ret;
	}
	snprintf(path, sizeof(path), "%s/%d", c->env.dev_root, group_nr);
	g->fd = c->env.sys->open(path, O_RDWR);
	if (g->fd < 0) {
		ret = g->fd;
		pr_err("group %d: open %s: %s", group_nr, path, ERRSTR(ret));
		free(g);
		return ret;
	}
	ret = check_viable(&c->env, g->fd, group_nr, &attached);
	if (!ret)
		ret = attach(g);
	if (ret) {
		c->env.sys->close(g->fd);
		free(g);
		return ret;
	}
	*out = g;
	return 0;
}

/*
 * A group handed over already attached: the kernel cannot say to which
 * container, so it is taken to be @c's (vfiox_group_adopt() documents it),
 * but only if @c was handed over too: a container libvfiox opened holds
 * no group libvfiox did not attach. If @c has no IOMMU yet, setting one
 * proves it: VFIO_SET_IOMMU fails with EINVAL on a container without
 * groups. On failure the group stays attached, as it came; an IOMMU set
 * meanwhile stays set in @c too.
 */
static int adopt_attached(struct vfiox_group *g)
{
	struct vfiox_container *c = g->container;
	bool had_iommu = c->iommu_type;
	int ret;

	if (!c->adopted) {
		pr_err("group %d is attached to another container: libvfiox opened "
		       "this one and attached no such group; hand the group over "
		       "unattached, or with its container", g->nr);
		return -EBUSY;
	}
	g->next = c->groups;
	c->groups = g;
	ret = vfiox_container_on_attach(c);
	if (ret == -EINVAL && !had_iommu && !c->iommu_type)
		pr_err("group %d is attached to another container than the adopted "
		       "one: hand it over unattached, or with its container", g->nr);
	if (ret)
		unlink_group(g);
	return ret;
}

VFIOX_API int vfiox_group_adopt(struct vfiox_container *c, int fd, int group_nr,
				struct vfiox_group **out)
{
	struct vfiox_group *g;
	bool attached;
	int ret;

	if (!c || fd < 0 || !out || group_nr < 0) {
		pr_err("adopt: bad argument (fd %d, group %d)", fd, group_nr);
		return -EINVAL;
	}
	if (find_group(c, group_nr)) {
		pr_err("group %d is already open on this container", group_nr);
		return -EEXIST;
	}
	if (vfiox_container_holds_fd(c, fd)) {
		pr_err("group %d: fd %d is already libvfiox's on this container", group_nr,
		       fd);
		return -EEXIST;
	}
	ret = vfiox_backend_legacy_only(c, "vfiox_group_adopt() (iommufd opens devices without a group fd)");
	if (ret)
		return ret;
	ret = vfiox_check_group_fd(&c->env, fd, group_nr);
	if (!ret)
		ret = check_viable(&c->env, fd, group_nr, &attached);
	if (ret)
		return ret;
	g = calloc(1, sizeof(*g));
	if (!g) {
		pr_err("group %d: no memory", group_nr);
		return -ENOMEM;
	}
	g->container = c;
	g->nr = group_nr;
	g->fd = fd;
	ret = attached ? adopt_attached(g) : attach(g);
	if (ret) {
		free(g);	/* the fd stays the caller's */
		return ret;
	}
	*out = g;
	return 0;
}

/* The group number a sysfs iommu_group link at @path names; @hint says
 * what a missing link most likely means. */
static int group_nr_of_link(const struct vfiox_env *env, const char *path,
			    const char *dev, const char *hint)
{
	char name[32], *end;
	long nr;
	int ret;

	ret = vfiox_sys_link_name(env->sys, path, name, sizeof(name));
	if (ret) {
		pr_err("%s: no IOMMU group (%s: %s): %s", dev, path, ERRSTR(ret),
		       hint);
		return ret == -ENOENT ? -ENODEV : ret;
	}
	nr = strtol(name, &end, 10);
	if (*end || end == name || nr < 0 || nr > INT32_MAX) {
		pr_err("%s: IOMMU group link ends in '%s'", dev, name);
		return -EPROTO;
	}
	return (int)nr;
}

static int pci_group_nr(const struct vfiox_env *env, const char *bdf)
{
	char path[VFIOX_PATH_MAX + 64], name[32];
	struct vfiox_pci_addr addr;
	int ret;

	ret = vfiox_pci_parse_addr(bdf, &addr);
	if (ret)
		return ret;
	ret = vfiox_pci_format_addr(&addr, name, sizeof(name));
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group",
		 env->sysfs_root, name);
	return group_nr_of_link(env, path, bdf, "is the IOMMU enabled?");
}

VFIOX_API int vfiox_group_open_pci(struct vfiox_container *c, const char *bdf,
				   struct vfiox_group **out)
{
	int nr;

	if (!c || !bdf || !out) {
		pr_err("open_pci: NULL container, address or out pointer");
		return -EINVAL;
	}
	nr = pci_group_nr(&c->env, bdf);
	return nr < 0 ? nr : vfiox_group_open(c, nr, out);
}

VFIOX_API int vfiox_group_open_mdev(struct vfiox_container *c, const char *uuid,
				    struct vfiox_group **out)
{
	char path[VFIOX_PATH_MAX + 96], lower[37];
	size_t i;
	int nr;

	if (!c || !uuid || !out) {
		pr_err("open_mdev: NULL container, UUID or out pointer");
		return -EINVAL;
	}
	if (vfiox_uuid_parse(uuid, NULL)) {
		pr_err("mdev '%s': not a UUID", uuid);
		return -EINVAL;
	}
	/* The kernel names an mdev by its UUID in lower case (%pUl). */
	for (i = 0; i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)uuid[i]);
	lower[i] = '\0';
	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/iommu_group",
		 c->env.sysfs_root, lower);
	nr = group_nr_of_link(&c->env, path, lower,
			      "is the mdev created, and bound to its vfio driver?");
	return nr < 0 ? nr : vfiox_group_open(c, nr, out);
}

/*
 * When the last device of a group leaves vfio-pci (an unbind answered by
 * the device request), the kernel takes the group out of its container
 * itself and forgets its IOMMU group: our unset gets EINVAL, and the
 * status ENODEV (or no container). That is no news.
 */
static bool detached_by_kernel(struct vfiox_group *g)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int ret = g->container->env.sys->ioctl(g->fd, VFIO_GROUP_GET_STATUS, &st);

	return ret == -ENODEV || (!ret && !(st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET));
}

static void detach(struct vfiox_group *g)
{
	int ret = g->container->env.sys->ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER, NULL);

	if (ret == -EINVAL && detached_by_kernel(g))
		pr_debug("group %d: the kernel had already detached it", g->nr);
	else if (ret < 0)
		pr_warn("group %d: VFIO_GROUP_UNSET_CONTAINER: %s", g->nr, ERRSTR(ret));
}

VFIOX_API void vfiox_group_close(struct vfiox_group *g)
{
	struct vfiox_container *c;

	if (!g)
		return;
	c = g->container;
	vfiox_device_close_all(g);
	unlink_group(g);
	if (g->fd >= 0)
		detach(g);
	vfiox_container_on_detach(c);
	if (g->fd >= 0)
		c->env.sys->close(g->fd);
	free(g);
}

VFIOX_API int vfiox_group_number(const struct vfiox_group *g)
{
	return g ? g->nr : -EINVAL;
}

VFIOX_API int vfiox_group_fd(const struct vfiox_group *g)
{
	if (!g)
		return -EINVAL;
	if (g->fd < 0)
		return vfiox_backend_legacy_only(g->container,
						 "vfiox_group_fd() (iommufd opens devices without a group fd)");
	return g->fd;
}
