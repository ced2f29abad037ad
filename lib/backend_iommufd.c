// SPDX-License-Identifier: MIT
/*
 * The iommufd backend's kernel calls: /dev/iommu with one IOAS as the
 * container, IOMMU_IOAS_IOVA_RANGES as its IOMMU info, IOMMU_IOAS_MAP and
 * UNMAP for the DMA engine, IOMMU_IOAS_MAP_FILE of a dma-buf for P2P, and a device opened through its cdev
 * (/dev/vfio/devices/vfioN, named in sysfs), bound to the iommufd and
 * attached to the IOAS.
 */
#define LOG_PREFIX "iommufd"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "internal.h"
#include "uapi_iommufd.h"

/* A kernel may narrow the ranges between our two calls; this often, give up. */
#define RANGE_TRIES 4

static int count_entry(void *arg, const char *name)
{
	(void)name;
	(*(int *)arg)++;
	return 0;
}

int vfiox_iommufd_offered(const struct vfiox_env *env)
{
	char path[VFIOX_PATH_MAX + 16];
	int n = 0, ret;

	snprintf(path, sizeof(path), "%s/devices", env->dev_root);
	ret = env->sys->list_dir(path, count_entry, &n);
	if (ret == -ENOENT) {
		pr_debug("no %s: the kernel has no VFIO device cdevs, auto picks legacy", path);
		return 0;
	}
	if (ret == -EACCES) {
		pr_info("list %s: %s: auto picks legacy", path, ERRSTR(ret));
		return 0;
	}
	if (ret < 0) {
		pr_err("list %s: %s", path, ERRSTR(ret));
		return ret;
	}
	return n > 0;
}

#define GROUP_MAX_MEMBERS 32	/* more than any group auto has to judge */

struct members {
	char name[GROUP_MAX_MEMBERS][64];
	int n;
};

static int add_member(void *arg, const char *name)
{
	struct members *m = arg;

	if (m->n == GROUP_MAX_MEMBERS)
		return -E2BIG;
	snprintf(m->name[m->n++], sizeof(m->name[0]), "%s", name);
	return 0;
}

/* Any entry of a vfio-dev directory: "vfioN" (some kernels may prefix a
 * noiommu one: "noiommu-vfioN"). */
static int any_entry(void *arg, const char *name)
{
	snprintf(arg, 32, "%s", name);
	return 1;
}

/*
 * One member of a group, for auto: 1 when its cdev opens, 0 when it has
 * none to use (noiommu, or not ours: logged), -ENOENT when it is bound to
 * no VFIO driver (no vfio-dev: auto does not count it).
 */
static int member_usable(const struct vfiox_env *env, int nr, const char *dev)
{
	char path[VFIOX_PATH_MAX + 160], cdev[32] = "";
	int fd, ret;

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices/%s/vfio-dev",
		 env->sysfs_root, nr, dev);
	ret = env->sys->list_dir(path, any_entry, cdev);
	if (ret == -ENOENT || (ret >= 0 && !cdev[0]))
		return -ENOENT;
	if (ret < 0) {
		pr_err("group %d: list %s: %s", nr, path, ERRSTR(ret));
		return ret;
	}
	if (strncmp(cdev, "vfio", 4)) {
		pr_info("group %d: %s has cdev %s, no IOMMU behind it", nr, dev, cdev);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/devices/%s", env->dev_root, cdev);
	fd = env->sys->open(path, O_RDWR);
	if (fd == -EACCES || fd == -EPERM || fd == -ENOENT || fd == -ENXIO ||
	    fd == -ENODEV) {
		pr_info("group %d: %s: open %s: %s", nr, dev, path, ERRSTR(fd));
		return 0;
	}
	if (fd < 0) {
		pr_err("group %d: %s: open %s: %s", nr, dev, path, ERRSTR(fd));
		return fd;
	}
	env->sys->close(fd);	/* opened only: binding is what claims it */
	return 1;
}

/*
 * A noiommu group (VFIO's unsafe mode) is named so in sysfs; its devices'
 * cdevs have no IOMMU behind them. 1 if @nr is one, 0 if not (no name).
 */
static int is_noiommu_group(const struct vfiox_env *env, int nr)
{
	char path[VFIOX_PATH_MAX + 64], name[32];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/name", env->sysfs_root, nr);
	n = vfiox_sys_read_file(env->sys, path, name, sizeof(name));
	if (n == -ENOENT)
		return 0;
	if (n < 0) {
		pr_err("group %d: read %s: %s", nr, path, ERRSTR((int)n));
		return (int)n;
	}
	if (strncmp(name, "vfio-noiommu", 12))
		return 0;
	pr_info("group %d is a noiommu group: no IOMMU behind its cdevs", nr);
	return 1;
}

int vfiox_iommufd_group_usable(const struct vfiox_env *env, int nr)
{
	char path[VFIOX_PATH_MAX + 64];
	struct members *m;
	int i, usable = 0, ret = is_noiommu_group(env, nr);

	if (ret)
		return ret < 0 ? ret : 0;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices",
		 env->sysfs_root, nr);
	ret = env->sys->list_dir(path, add_member, m);
	if (ret == -ENOENT || (!ret && !m->n))
		ret = -ENOENT;
	else if (ret < 0)
		pr_err("group %d: list %s: %s", nr, path, ERRSTR(ret));
	for (i = 0; !ret && i < m->n; i++) {
		int one = member_usable(env, nr, m->name[i]);

		if (one == -ENOENT)
			continue;
		if (one <= 0)
			ret = one ? one : 1;
		else
			usable++;
	}
	free(m);
	if (ret == 1 || (!ret && !usable))
		return 0;
	return ret < 0 ? ret : 1;
}

/* /dev/iommu sits next to /dev/vfio: dev_root's parent directory. */
static void iommu_path(const struct vfiox_env *env, char *path, size_t len)
{
	size_t n = strlen(env->dev_root);

	while (n > 1 && env->dev_root[n - 1] == '/')
		n--;
	while (n > 0 && env->dev_root[n - 1] != '/')
		n--;
	snprintf(path, len, "%.*siommu", (int)n, env->dev_root);
}

static int ioas_alloc(const struct vfiox_env *env, int fd, uint32_t *ioas)
{
	struct vfiox_iommu_ioas_alloc a = { .size = sizeof(a) };
	int ret = env->sys->ioctl(fd, VFIOX_IOMMU_IOAS_ALLOC, &a);

	if (ret < 0) {
		pr_err("IOMMU_IOAS_ALLOC: %s", ERRSTR(ret));
		return ret;
	}
	*ioas = a.out_ioas_id;
	return 0;
}

int vfiox_iommufd_open(const struct vfiox_env *env, bool probe, int *fd,
		       uint32_t *ioas)
{
	char path[VFIOX_PATH_MAX + 8];
	int ret;

	iommu_path(env, path, sizeof(path));
	*fd = env->sys->open(path, O_RDWR);
	if (*fd == -ENOENT || *fd == -ENXIO || *fd == -ENODEV) {
		if (probe) {
			pr_debug("open %s: %s: auto picks legacy", path, ERRSTR(*fd));
			return 1;
		}
		pr_err("open %s: %s: the kernel has no iommufd (CONFIG_IOMMUFD); use the legacy backend",
		       path, ERRSTR(*fd));
		return -ENODEV;
	}
	if (*fd < 0 && probe && (*fd == -EACCES || *fd == -EPERM)) {
		pr_info("open %s: %s: auto picks legacy", path, ERRSTR(*fd));
		return 1;
	}
	if (*fd < 0) {
		pr_err("open %s: %s", path, ERRSTR(*fd));
		return *fd;
	}
	ret = ioas_alloc(env, *fd, ioas);
	if (ret) {
		env->sys->close(*fd);
		*fd = -1;
	}
	return ret;
}

/* The ranges, in order and each the right way round, into @out. */
static int copy_ranges(const struct vfiox_iommu_iova_range *r, uint32_t n,
		       struct vfiox_iova_range *out)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (r[i].start > r[i].last || (i && r[i].start <= r[i - 1].last)) {
			pr_err("IOVA range %u [0x%llx, 0x%llx] is inverted or out of order",
			       i, (unsigned long long)r[i].start,
			       (unsigned long long)r[i].last);
			return -EPROTO;
		}
		out[i].start = r[i].start;
		out[i].end = r[i].last;
	}
	return 0;
}

/* One IOMMU_IOAS_IOVA_RANGES with room for @room ranges in @buf. */
static int ranges_ioctl(const struct vfiox_container *c,
			struct vfiox_iommu_iova_range *buf, uint32_t room,
			struct vfiox_iommu_ioas_iova_ranges *q)
{
	*q = (struct vfiox_iommu_ioas_iova_ranges){
		.size = sizeof(*q), .ioas_id = c->ioas, .num_iovas = room,
		.allowed_iovas = (uintptr_t)buf,
	};
	return c->env.sys->ioctl(c->fd, VFIOX_IOMMU_IOAS_IOVA_RANGES, q);
}

int vfiox_iommufd_read_ranges(const struct vfiox_container *c,
			      struct vfiox_iommu_info *info,
			      struct vfiox_iova_range **ranges)
{
	struct vfiox_iommu_iova_range *buf = NULL;
	struct vfiox_iommu_ioas_iova_ranges q;
	uint32_t room = 0;
	int ret, tries;

	for (tries = 0; tries < RANGE_TRIES; tries++) {
		ret = ranges_ioctl(c, buf, room, &q);
		if (ret != -EMSGSIZE || q.num_iovas <= room)
			break;
		room = q.num_iovas;
		free(buf);
		buf = calloc(room, sizeof(*buf));
		if (!buf)
			return -ENOMEM;
	}
	if (!ret && q.num_iovas > room) {
		pr_err("IOMMU_IOAS_IOVA_RANGES (IOAS %u): %u ranges in room for %u",
		       c->ioas, q.num_iovas, room);
		ret = -EPROTO;
	}
	/* type1's "no ranges" means all of the space; an IOAS's means none. */
	if (!ret && !q.num_iovas) {
		pr_err("IOMMU_IOAS_IOVA_RANGES (IOAS %u): no usable IOVA range", c->ioas);
		ret = -ENOSPC;
	}
	if (ret < 0) {
		if (ret != -EPROTO && ret != -ENOSPC)
			pr_err("IOMMU_IOAS_IOVA_RANGES (IOAS %u): %s", c->ioas, ERRSTR(ret));
		free(buf);
		return ret;
	}
	*ranges = calloc(q.num_iovas ? q.num_iovas : 1, sizeof(**ranges));
	ret = *ranges ? copy_ranges(buf, q.num_iovas, *ranges) : -ENOMEM;
	free(buf);
	if (ret)
		return ret;
	info->sz = sizeof(*info);
	info->iommu_type = VFIOX_IOMMU_IOMMUFD;
	/* iommufd has no page size list: the IOAS's IOVA alignment is the
	 * smallest page a map may use, and no map is below 4 KiB. */
	info->pgsizes = q.out_iova_alignment > 4096 ? q.out_iova_alignment : 4096;
	info->nr_iova_ranges = q.num_iovas;
	return 0;
}

static int find_cdev(void *arg, const char *name)
{
	char *out = arg, *end;

	if (strncmp(name, "vfio", 4) || !name[4])
		return 0;
	strtoul(name + 4, &end, 10);
	if (*end)
		return 0;
	snprintf(out, 32, "%s", name);
	return 1;
}

/* The sysfs bus a device name belongs to: a PCI address or an mdev UUID. */
static const char *bus_of(const char *name)
{
	struct vfiox_pci_addr addr;

	return vfiox_pci_parse_addr(name, &addr) ? "mdev" : "pci";
}

/*
 * The cdev is found by name alone, so check the device is in @d's group:
 * that group's reserved regions and viability are what the container
 * checked (on legacy, the group fd's GET_DEVICE_FD checks it).
 */
static int check_group(const struct vfiox_device *d)
{
	const struct vfiox_env *env = &d->group->container->env;
	char path[VFIOX_PATH_MAX + 128], grp[32];
	int ret;

	snprintf(path, sizeof(path), "%s/bus/%s/devices/%s/iommu_group",
		 env->sysfs_root, bus_of(d->name), d->name);
	ret = vfiox_sys_link_name(env->sys, path, grp, sizeof(grp));
	if (ret < 0) {
		pr_err("%s: no IOMMU group (%s: %s)", d->name, path, ERRSTR(ret));
		return ret == -ENOENT ? -ENODEV : ret;
	}
	if (strtol(grp, NULL, 10) != d->group->nr) {
		pr_err("%s: in IOMMU group %s, not in group %d it was opened through",
		       d->name, grp, d->group->nr);
		return -ENODEV;
	}
	return 0;
}

/* "vfioN" from sysfs' BUS/devices/NAME/vfio-dev, the only entry there. */
static int cdev_name(const struct vfiox_device *d, char name[32])
{
	const struct vfiox_env *env = &d->group->container->env;
	char path[VFIOX_PATH_MAX + 128];
	int ret;

	snprintf(path, sizeof(path), "%s/bus/%s/devices/%s/vfio-dev", env->sysfs_root,
		 bus_of(d->name), d->name);
	name[0] = '\0';
	ret = env->sys->list_dir(path, find_cdev, name);
	if (ret == -ENOENT || (!ret && !name[0])) {
		pr_err("%s: no VFIO device cdev in %s: the kernel lacks CONFIG_VFIO_DEVICE_CDEV, or the device is not bound to a VFIO driver; use the legacy backend",
		       d->name, path);
		return -ENODEV;
	}
	if (ret < 0)
		pr_err("%s: list %s: %s", d->name, path, ERRSTR(ret));
	return ret < 0 ? ret : 0;
}

/* The bind's refusals that a VF token explains, with the way out. */
static void log_bind_error(const struct vfiox_device *d, int err, bool token)
{
	if (err == -EACCES && token)
		pr_err("%s: VFIO_DEVICE_BIND_IOMMUFD refused the VF token: it is not the one set on the PF",
		       d->name);
	else if (err == -EACCES)
		pr_err("%s: VFIO_DEVICE_BIND_IOMMUFD: the device needs a VF token (vfiox_device_opts.vf_token): it is a VF whose PF is on vfio-pci, or a PF whose VFs are in use",
		       d->name);
	else if (err == -EINVAL && token)
		pr_err("%s: VFIO_DEVICE_BIND_IOMMUFD refused the VF token (EINVAL): the kernel has no VFIO_DEVICE_BIND_FLAG_TOKEN (Linux before 6.17: use the legacy backend, VFIOX_BACKEND=legacy), or the device takes none (no PF, nor a VF whose PF is on vfio-pci)",
		       d->name);
	else
		pr_err("%s: VFIO_DEVICE_BIND_IOMMUFD%s: %s%s", d->name,
		       token ? " with VF token" : "", ERRSTR(err),
		       err == -EBUSY ? " (is every device of its IOMMU group bound to vfio-pci, and none opened through the group?)" : "");
}

/*
 * Without a token the struct ends at out_devid, as every kernel since 6.6
 * takes it; with one it carries the pointer (6.17+).
 */
static int bind_device(struct vfiox_device *d, int fd, const uint8_t *token)
{
	const struct vfiox_container *c = d->group->container;
	struct vfiox_vfio_device_bind_iommufd b = {
		.argsz = vfiox_offsetofend(struct vfiox_vfio_device_bind_iommufd, out_devid),
		.iommufd = c->fd,
	};
	int ret;

	if (token) {
		b.argsz = sizeof(b);
		b.flags = VFIOX_VFIO_DEVICE_BIND_FLAG_TOKEN;
		b.token_uuid_ptr = (uintptr_t)token;
	}
	ret = c->env.sys->ioctl(fd, VFIOX_VFIO_DEVICE_BIND_IOMMUFD, &b);
	if (ret < 0) {
		log_bind_error(d, ret, token);
		return ret;
	}
	d->devid = b.out_devid;
	return 0;
}

int vfiox_iommufd_attach(struct vfiox_device *d, uint32_t pt_id, uint32_t *hwpt)
{
	const struct vfiox_container *c = d->group->container;
	struct vfiox_vfio_device_attach_iommufd_pt a = {
		.argsz = vfiox_offsetofend(struct vfiox_vfio_device_attach_iommufd_pt, pt_id),
		.pt_id = pt_id,
	};
	int ret = c->env.sys->ioctl(d->fd, VFIOX_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);

	if (ret < 0) {
		pr_err("%s: VFIO_DEVICE_ATTACH_IOMMUFD_PT (%s %u): %s%s%s", d->name,
		       pt_id == c->ioas ? "IOAS" : "HWPT", pt_id, ERRSTR(ret),
		       ret == -EINVAL && d->nr_att_pasids ? " (PASIDs of the device are attached: its own DMA can only go to a HWPT allocated with IOMMU_HWPT_ALLOC_PASID)" : "",
		       ret == -EADDRINUSE ? " (a mapping made before this device lies in its reserved regions or outside its IOMMU's aperture: unmap it, or open the device first)" : "");
		return ret;
	}
	*hwpt = a.pt_id;	/* the page table the kernel attached it to */
	return 0;
}

/* The kernel attaches a group's devices to one page table: a device whose
 * group has a PASID-capable HWPT goes there too. */
uint32_t vfiox_iommufd_home(const struct vfiox_device *d)
{
	const struct vfiox_device *s;

	if (d->home_hwpt)
		return d->home_hwpt;
	for (s = d->group->devices; s; s = s->next)
		if (s != d && s->home_hwpt)	/* released too: it is still there */
			return s->home_hwpt;
	return d->group->container->ioas;
}

int vfiox_iommufd_reattach(struct vfiox_device *d)
{
	const struct vfiox_container *c = d->group->container;
	struct vfiox_vfio_device_detach_iommufd_pt q = {
		.argsz = vfiox_offsetofend(struct vfiox_vfio_device_detach_iommufd_pt, flags),
	};
	uint32_t hwpt;
	int ret = c->env.sys->ioctl(d->fd, VFIOX_VFIO_DEVICE_DETACH_IOMMUFD_PT, &q);

	if (ret < 0) {
		pr_err("%s: VFIO_DEVICE_DETACH_IOMMUFD_PT: %s: its DMA may stay blocked until it is closed",
		       d->name, ERRSTR(ret));
		return ret;
	}
	ret = vfiox_iommufd_attach(d, vfiox_iommufd_home(d), &hwpt);
	if (ret) {
		pr_err("%s: detached, and not attached again: its DMA is blocked until it is closed",
		       d->name);
		return ret;
	}
	d->hwpt = hwpt;
	return 0;
}

int vfiox_iommufd_device_open(struct vfiox_device *d, const uint8_t *token)
{
	const struct vfiox_container *c = d->group->container;
	const struct vfiox_env *env = &c->env;
	char name[32], path[VFIOX_PATH_MAX + 48];
	uint32_t hwpt;
	int fd, ret;

	ret = check_group(d);
	if (!ret)
		ret = cdev_name(d, name);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/devices/%s", env->dev_root, name);
	fd = env->sys->open(path, O_RDWR);
	if (fd < 0) {
		pr_err("%s: open %s: %s%s", d->name, path, ERRSTR(fd),
		       fd == -EACCES || fd == -EPERM ?
		       vfiox_backend_way_out(d->group->container) : "");
		return fd;
	}
	d->fd = fd;
	ret = bind_device(d, fd, token);
	/* In IOPF mode a new device joins the fault-capable page table. */
	if (!ret) {
		ret = vfiox_iommufd_attach(d, c->iopf_hwpt ? c->iopf_hwpt :
					   vfiox_iommufd_home(d), &hwpt);
		if (ret && c->iopf_hwpt)
			pr_err("%s: the container takes I/O page faults: a device opened into it must be able to (PRI and ATS, behind the same IOMMU)",
			       d->name);
	}
	if (ret) {
		env->sys->close(fd);	/* unbinds and detaches */
		d->fd = -1;
		return ret;
	}
	d->hwpt = hwpt;
	return fd;
}

int vfiox_iommufd_destroy(const struct vfiox_container *c, uint32_t id)
{
	struct vfiox_iommu_destroy q = { .size = sizeof(q), .id = id };
	int ret = c->env.sys->ioctl(c->fd, VFIOX_IOMMU_DESTROY, &q);

	if (ret < 0)
		pr_err("IOMMU_DESTROY of object %u: %s", id, ERRSTR(ret));
	return ret < 0 ? ret : 0;
}

int vfiox_iommufd_fault_alloc(const struct vfiox_container *c, uint32_t *id, int *fd)
{
	struct vfiox_iommu_fault_alloc q = { .size = sizeof(q) };
	int ret = c->env.sys->ioctl(c->fd, VFIOX_IOMMU_FAULT_QUEUE_ALLOC, &q);

	if (ret == -ENOTTY) {
		pr_err("IOMMU_FAULT_QUEUE_ALLOC: the kernel's iommufd has no fault queue (Linux 6.11+)");
		return ret;
	}
	if (ret < 0) {
		pr_err("IOMMU_FAULT_QUEUE_ALLOC: %s", ERRSTR(ret));
		return ret;
	}
	*id = q.out_fault_id;
	*fd = (int)q.out_fault_fd;
	return 0;
}

int vfiox_iommufd_hwpt_alloc(const struct vfiox_container *c, uint32_t devid,
			     uint32_t flags, uint32_t fault_id, uint32_t *hwpt)
{
	struct vfiox_iommu_hwpt_alloc q = {
		.size = sizeof(q), .flags = flags, .dev_id = devid,
		.pt_id = c->ioas, .fault_id = fault_id,
	};
	int ret = c->env.sys->ioctl(c->fd, VFIOX_IOMMU_HWPT_ALLOC, &q);

	if (ret < 0) {
		pr_err("IOMMU_HWPT_ALLOC (IOAS %u, dev %u, flags 0x%x): %s", c->ioas,
		       devid, flags, ERRSTR(ret));
		return ret;
	}
	*hwpt = q.out_hwpt_id;
	return 0;
}

int vfiox_iommufd_pasid_attach(struct vfiox_device *d, uint32_t pasid,
			       uint32_t pt_id, uint32_t *hwpt)
{
	const struct vfiox_container *c = d->group->container;
	struct vfiox_vfio_device_attach_iommufd_pt a = {
		.argsz = sizeof(a), .flags = VFIOX_VFIO_DEVICE_ATTACH_PASID,
		.pt_id = pt_id, .pasid = pasid,
	};
	int ret = c->env.sys->ioctl(d->fd, VFIOX_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);

	if (ret < 0)
		return ret;
	*hwpt = a.pt_id;
	return 0;
}

int vfiox_iommufd_pasid_detach(struct vfiox_device *d, uint32_t pasid)
{
	const struct vfiox_container *c = d->group->container;
	struct vfiox_vfio_device_detach_iommufd_pt q = {
		.argsz = sizeof(q), .flags = VFIOX_VFIO_DEVICE_DETACH_PASID, .pasid = pasid,
	};
	int ret = c->env.sys->ioctl(d->fd, VFIOX_VFIO_DEVICE_DETACH_IOMMUFD_PT, &q);

	if (ret < 0)
		pr_err("%s: VFIO_DEVICE_DETACH_IOMMUFD_PT (PASID %u): %s", d->name, pasid,
		       ERRSTR(ret));
	return ret < 0 ? ret : 0;
}

static int iommufd_map(struct vfiox_container *c, uint64_t va, uint64_t len,
		       uint64_t iova, unsigned int flags)
{
	struct vfiox_iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = c->ioas,
		.flags = VFIOX_IOMMU_IOAS_MAP_FIXED_IOVA | VFIOX_IOMMU_IOAS_MAP_READABLE,
		.user_va = va, .length = len, .iova = iova,
	};
	int ret;

	if (flags & VFIOX_BE_MAP_WRITE)
		m.flags |= VFIOX_IOMMU_IOAS_MAP_WRITEABLE;
	ret = c->env.sys->ioctl(c->fd, VFIOX_IOMMU_IOAS_MAP, &m);
	if (ret < 0)
		pr_err("IOMMU_IOAS_MAP vaddr 0x%llx iova 0x%llx size 0x%llx: %s",
		       (unsigned long long)va, (unsigned long long)iova,
		       (unsigned long long)len, ERRSTR(ret));
	return ret < 0 ? ret : 0;
}

int vfiox_iommufd_map_file(struct vfiox_container *c, int fd, uint64_t start,
			   uint64_t len, uint64_t iova, unsigned int flags)
{
	struct vfiox_iommu_ioas_map_file m = {
		.size = sizeof(m), .ioas_id = c->ioas, .fd = fd,
		.flags = VFIOX_IOMMU_IOAS_MAP_FIXED_IOVA | VFIOX_IOMMU_IOAS_MAP_READABLE,
		.start = start, .length = len, .iova = iova,
	};
	int ret;

	if (flags & VFIOX_BE_MAP_WRITE)
		m.flags |= VFIOX_IOMMU_IOAS_MAP_WRITEABLE;
	ret = c->env.sys->ioctl(c->fd, VFIOX_IOMMU_IOAS_MAP_FILE, &m);
	if (ret == -ENOTTY) {
		pr_err("IOMMU_IOAS_MAP_FILE: the kernel's iommufd cannot map files (Linux 6.13+, dma-bufs 6.19+): use the legacy backend (VFIOX_BACKEND=legacy) or a newer kernel");
		return -EOPNOTSUPP;
	}
	if (ret < 0)
		pr_err("IOMMU_IOAS_MAP_FILE fd %d [0x%llx, +0x%llx) at iova 0x%llx: %s%s",
		       fd, (unsigned long long)start, (unsigned long long)len,
		       (unsigned long long)iova, ERRSTR(ret),
		       ret == -ENODEV ? " (the dma-buf is revoked: its device was closed or its memory is off)" : "");
	return ret < 0 ? ret : 0;
}

static int iommufd_unmap(struct vfiox_container *c, uint64_t iova, uint64_t len,
			 uint64_t *bytes)
{
	struct vfiox_iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = c->ioas, .iova = iova, .length = len,
	};
	int ret = c->env.sys->ioctl(c->fd, VFIOX_IOMMU_IOAS_UNMAP, &u);

	if (ret < 0) {
		pr_err("IOMMU_IOAS_UNMAP%s iova 0x%llx size 0x%llx: %s",
		       !iova && len == UINT64_MAX ? " (all)" : "",
		       (unsigned long long)iova, (unsigned long long)len, ERRSTR(ret));
		return ret;
	}
	*bytes = u.length;
	return 0;
}

/* iova 0 and length U64_MAX is the uAPI's "everything". */
static int iommufd_unmap_all(struct vfiox_container *c, uint64_t *bytes)
{
	return iommufd_unmap(c, 0, UINT64_MAX, bytes);
}

const struct vfiox_backend_ops vfiox_backend_iommufd_ops = {
	.name = "iommufd",
	.map = iommufd_map,
	.unmap = iommufd_unmap,
	.unmap_all = iommufd_unmap_all,
};
