// SPDX-License-Identifier: MIT
/*
 * A container's life: its object, its IOMMU info (VFIO_IOMMU_GET_INFO, or
 * the IOAS's ranges) read again on every attach and detach, adoption of a
 * container fd, and close. Which backend it opens is container_open.c's.
 */
#define LOG_PREFIX "container"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "uapi_ext.h"

struct parsed_info {
	struct vfiox_iommu_info info;
	struct vfiox_iova_range *ranges;
	struct vfiox_resv_region *resv;
	uint32_t nr_resv;
};

static void free_parsed(struct parsed_info *p)
{
	free(p->ranges);
	free(p->resv);
}

static int parse_resv_cap(const struct vfiox_cap *cap, struct parsed_info *p)
{
	int n = vfiox_resv_parse_cap(cap->data, cap->len, NULL, 0);

	if (n < 0)
		return n;
	free(p->resv);
	p->resv = calloc(n ? (size_t)n : 1, sizeof(*p->resv));
	if (!p->resv)
		return -ENOMEM;
	vfiox_resv_parse_cap(cap->data, cap->len, p->resv, (size_t)n);
	p->nr_resv = (uint32_t)n;
	p->info.has_resv_regions = true;
	return 0;
}

static int parse_iova_cap(const struct vfiox_cap *cap, struct parsed_info *p)
{
	struct vfio_iommu_type1_info_cap_iova_range hdr;
	const uint8_t *body = cap->data;
	uint32_t i;

	if (cap->len < sizeof(hdr)) {
		pr_err("IOVA range capability truncated (%u bytes)", cap->len);
		return -EPROTO;
	}
	memcpy(&hdr, body, sizeof(hdr));
	if (hdr.nr_iovas > (cap->len - sizeof(hdr)) / sizeof(struct vfio_iova_range)) {
		pr_err("IOVA range capability claims %u ranges in %u bytes",
		       hdr.nr_iovas, cap->len);
		return -EPROTO;
	}
	free(p->ranges);
	p->ranges = calloc(hdr.nr_iovas ? hdr.nr_iovas : 1, sizeof(*p->ranges));
	if (!p->ranges)
		return -ENOMEM;
	for (i = 0; i < hdr.nr_iovas; i++) {
		struct vfio_iova_range r;

		memcpy(&r, body + sizeof(hdr) + i * sizeof(r), sizeof(r));
		if (r.start > r.end ||
		    (i && r.start <= p->ranges[i - 1].end)) {
			pr_err("IOVA range %u [0x%llx, 0x%llx] is inverted or out of order",
			       i, (unsigned long long)r.start,
			       (unsigned long long)r.end);
			return -EPROTO;
		}
		p->ranges[i].start = r.start;
		p->ranges[i].end = r.end;
	}
	p->info.nr_iova_ranges = hdr.nr_iovas;
	return 0;
}

static int parse_iommu_cap(const struct vfiox_cap *cap, void *arg)
{
	struct parsed_info *p = arg;

	switch (cap->id) {
	case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE:
		return parse_iova_cap(cap, p);
	case VFIOX_IOMMU_TYPE1_INFO_CAP_RESV_REGIONS:
		return parse_resv_cap(cap, p);
	case VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION: {
		struct vfio_iommu_type1_info_cap_migration m;

		if (cap->len < sizeof(m)) {
			pr_err("migration capability truncated (%u bytes)",
			       cap->len);
			return -EPROTO;
		}
		memcpy(&m, cap->data, sizeof(m));
		p->info.has_migration = true;
		p->info.migration_pgsizes = m.pgsize_bitmap;
		p->info.max_dirty_bitmap_size = m.max_dirty_bitmap_size;
		return 0;
	}
	case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL: {
		struct vfio_iommu_type1_info_dma_avail d;

		if (cap->len < sizeof(d)) {
			pr_err("dma_avail capability truncated (%u bytes)",
			       cap->len);
			return -EPROTO;
		}
		memcpy(&d, cap->data, sizeof(d));
		p->info.has_dma_avail = true;
		p->info.dma_avail = d.avail;
		return 0;
	}
	default:
		pr_debug("ignoring IOMMU info capability %u", cap->id);
		return 0;
	}
}

static int read_iommu_info(struct vfiox_container *c, struct parsed_info *p)
{
	struct vfio_iommu_type1_info init = { 0 }, *info;
	int ret;

	ret = vfiox_info_ioctl(c->env.sys, c->fd, VFIO_IOMMU_GET_INFO, &init,
			       sizeof(init), (void **)&info);
	if (ret) {
		pr_err("VFIO_IOMMU_GET_INFO: %s", ERRSTR(ret));
		return ret;
	}
	p->info.sz = sizeof(p->info);
	p->info.iommu_type = c->iommu_type;
	if (info->flags & VFIO_IOMMU_INFO_PGSIZES)
		p->info.pgsizes = info->iova_pgsizes;
	if ((info->flags & VFIO_IOMMU_INFO_CAPS) &&
	    info->argsz >= sizeof(*info))
		ret = vfiox_cap_walk(info, info->argsz, sizeof(*info),
				     info->cap_offset, parse_iommu_cap, p);
	free(info);
	return ret;
}

int vfiox_container_read_dma_avail(struct vfiox_container *c, uint32_t *avail)
{
	struct parsed_info p = { 0 };
	int ret;

	if (!c->iommu_type) {
		pr_err("no group attached, the IOMMU has no dma_avail yet");
		return -ENODEV;
	}
	ret = vfiox_backend_legacy_only(c, "dma_avail (iommufd has no DMA entry limit to report)");
	if (ret)
		return ret;
	ret = read_iommu_info(c, &p);
	free_parsed(&p);
	if (ret)
		return ret;
	if (!p.info.has_dma_avail) {
		pr_err("the kernel does not report dma_avail (VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)");
		return -ENOTSUP;
	}
	*avail = p.info.dma_avail;
	return 0;
}

/*
 * Is a device attached to @c's IOAS? Without one the IOAS's ranges are all
 * of the address space, which no IOMMU has: a map placed there would make
 * the kernel refuse the next device's attach (EADDRINUSE).
 */
static bool ioas_has_device(const struct vfiox_container *c)
{
	return c->ioas_devices > 0;
}

VFIOX_API int vfiox_container_refresh(struct vfiox_container *c)
{
	struct parsed_info p = { 0 };
	int ret;

	if (!c)
		return -EINVAL;
	if (!c->iommu_type) {
		pr_err("no group attached, the IOMMU has no info yet");
		return -ENODEV;
	}
	if (vfiox_is_iommufd(c) && !ioas_has_device(c)) {
		pr_debug("IOAS %u: no device attached; its ranges stay the last read with one",
			 c->ioas);
		return 0;
	}
	if (vfiox_is_iommufd(c))
		ret = vfiox_iommufd_read_ranges(c, &p.info, &p.ranges);
	else
		ret = read_iommu_info(c, &p);
	if (ret) {
		free_parsed(&p);
		return ret;
	}
	free(c->ranges);
	free(c->resv);
	c->ranges = p.ranges;
	c->resv = p.resv;
	c->nr_resv = p.nr_resv;
	c->info = p.info;
	return 0;
}

/*
 * A new domain on the IOAS (a HWPT libvfiox allocated) may have narrowed
 * its usable ranges: the kernel reserves what lies outside its aperture.
 * Read them again and rebuild the IOVA space; on a failure the space
 * stays as it was, logged, and the caller undoes what narrowed them.
 */
int vfiox_container_reread_ranges(struct vfiox_container *c, const char *why)
{
	int ret = vfiox_container_refresh(c);

	if (!ret)
		ret = vfiox_iova_space_rebuild(c);
	if (ret)
		pr_err("IOAS %u: reading its usable IOVA ranges again after %s: %s", c->ioas,
		       why, ERRSTR(ret));
	return ret;
}

static int pick_iommu_type(struct vfiox_container *c)
{
	static const int prefer[] = { VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU };
	size_t i;

	if (c->want_type)
		return vfiox_container_check_extension(c, c->want_type) > 0 ?
		       c->want_type : -ENOTSUP;
	for (i = 0; i < sizeof(prefer) / sizeof(prefer[0]); i++) {
		int ret = vfiox_container_check_extension(c, prefer[i]);

		if (ret < 0)
			return ret;
		if (ret > 0)
			return prefer[i];
	}
	return -ENOTSUP;
}

/* Does the kernel still have an IOMMU set on @c: 1, 0, or a negative errno?
 * Without one the VFIO core answers VFIO_IOMMU_GET_INFO with EINVAL,
 * iommufd's compat container with ENODEV. */
static int kernel_has_iommu(struct vfiox_container *c)
{
	struct vfio_iommu_type1_info probe = { .argsz = sizeof(probe) };
	int ret = c->env.sys->ioctl(c->fd, VFIO_IOMMU_GET_INFO, &probe);

	if (ret == -EINVAL || ret == -ENODEV)
		return 0;
	if (ret < 0)
		pr_err("container fd %d: VFIO_IOMMU_GET_INFO: %s", c->fd, ERRSTR(ret));
	return ret < 0 ? ret : 1;
}

/* The kernel has no IOMMU on @c any more, nor the mappings it held. */
void vfiox_container_forget_iommu(struct vfiox_container *c)
{
	vfiox_dma_drop_all(c);
	c->iommu_type = 0;
	free(c->ranges);
	free(c->resv);
	c->ranges = NULL;
	c->resv = NULL;
	c->nr_resv = 0;
	memset(&c->info, 0, sizeof(c->info));
}

/*
 * An adopted container's IOMMU is the kernel's word: its sender may hold
 * groups libvfiox never saw, which keep the IOMMU (and its mappings) when
 * libvfiox's last group leaves, and may let go of them meanwhile.
 */
int vfiox_container_check_iommu(struct vfiox_container *c)
{
	int ret;

	if (!c->adopted || !c->iommu_type)
		return 0;
	ret = kernel_has_iommu(c);
	if (ret == 0) {
		pr_debug("container fd %d: the kernel dropped its IOMMU (the last "
			"group left), with every mapping", c->fd);
		vfiox_container_forget_iommu(c);
	}
	return ret < 0 ? ret : 0;
}

int vfiox_container_on_attach(struct vfiox_container *c)
{
	int ret;

	/* The IOAS is there from the open; it counts as the IOMMU from the
	 * first device on (device.c calls this once it is attached): info
	 * and maps before that would see the device-less IOAS. */
	if (vfiox_is_iommufd(c) && !c->iommu_type) {
		c->iommu_type = VFIOX_IOMMU_IOMMUFD;
		ret = vfiox_container_refresh(c);
		if (!ret)
			ret = vfiox_iova_space_rebuild(c);
		if (ret)
			c->iommu_type = 0;	/* no info read: none at all */
		return ret;
	}
	if (!c->iommu_type) {
		int type = pick_iommu_type(c);

		if (type < 0)
			return type;
		ret = c->env.sys->ioctl(c->fd, VFIO_SET_IOMMU,
					(void *)(long)type);
		if (ret < 0) {
			pr_err("VFIO_SET_IOMMU(%d): %s", type, ERRSTR(ret));
			return ret;
		}
		c->iommu_type = type;
	}
	ret = vfiox_container_refresh(c);
	if (!ret)
		ret = vfiox_iova_space_rebuild(c);
	return ret;
}

/*
 * The last group left a container libvfiox opened. Type1 tears the IOMMU
 * down with every mapping; iommufd's compat container keeps its IOAS, and
 * the mappings in it, until the fd closes. So ask; when the kernel cannot
 * say, type1's rule (logged by kernel_has_iommu()).
 */
static bool last_group_kept_iommu(struct vfiox_container *c)
{
	if (kernel_has_iommu(c) > 0) {
		pr_debug("container fd %d: the IOMMU and its mappings stay after the last group left (iommufd's compat container, or a group attached through another fd)",
			 c->fd);
		return true;
	}
	vfiox_container_forget_iommu(c);
	return false;
}

/* The IOAS keeps its mappings until the iommufd closes; a device's detach
 * only widens its ranges, and the last one's keeps them (refresh). */
static void iommufd_on_detach(struct vfiox_container *c)
{
	if (c->iommu_type && ioas_has_device(c) && !vfiox_container_refresh(c))
		vfiox_iova_space_rebuild(c);
}

void vfiox_container_on_detach(struct vfiox_container *c)
{
	if (vfiox_is_iommufd(c)) {
		iommufd_on_detach(c);
		return;
	}
	if (!c->groups && !c->adopted && c->iommu_type &&
	    !last_group_kept_iommu(c))
		return;
	if (vfiox_container_check_iommu(c) || !c->iommu_type)
		return;
	if (!vfiox_container_refresh(c))
		vfiox_iova_space_rebuild(c);
}

static int set_root(char *dst, const char *src, const char *dflt)
{
	const char *root = src ? src : dflt;

	if (strlen(root) >= VFIOX_PATH_MAX - 64) {
		pr_err("root path too long (%zu bytes)", strlen(root));
		return -ENAMETOOLONG;
	}
	strcpy(dst, root);
	return 0;
}

int vfiox_container_check_api(struct vfiox_container *c, const char *path)
{
	int ret = c->env.sys->ioctl(c->fd, VFIO_GET_API_VERSION, NULL);

	if (ret < 0) {
		pr_err("%s: VFIO_GET_API_VERSION: %s", path, ERRSTR(ret));
		return ret;
	}
	if (ret != VFIO_API_VERSION) {
		pr_err("%s: VFIO API version %d, libvfiox speaks %d", path, ret,
		       VFIO_API_VERSION);
		return -EINVAL;
	}
	ret = pick_iommu_type(c);
	if (ret == -ENOTSUP)
		pr_err("%s: no type1 IOMMU offered%s%s", path,
		       c->want_type ? " of the requested type" : "",
		       c->adopted ? " (or its IOMMU is set to a type libvfiox does not "
		       "drive: noiommu, spapr)" : "");
	return ret < 0 ? ret : 0;
}

/* A container object for @opts, without its fd yet. */
int vfiox_container_new(const struct vfiox_container_opts *opts,
			 const struct vfiox_sys *sys, struct vfiox_container **out)
{
	struct vfiox_container *c;
	int ret;

	ret = VFIOX_OPTS_CHECK(opts, vfiox_container_opts);
	if (ret)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c || vfiox_dma_init(c)) {
		free(c);
		return -ENOMEM;
	}
	c->env.sys = sys;
	c->backend = &vfiox_backend_legacy_ops;
	c->fd = -1;
	c->want_type = VFIOX_OPTS_HAS(opts, iommu_type) ? opts->iommu_type : 0;
	c->allow_relaxable = VFIOX_OPTS_HAS(opts, allow_relaxable) &&
			     opts->allow_relaxable;
	ret = set_root(c->env.dev_root,
		       VFIOX_OPTS_HAS(opts, dev_root) ? opts->dev_root : NULL,
		       "/dev/vfio");
	if (!ret)
		ret = set_root(c->env.sysfs_root,
			       VFIOX_OPTS_HAS(opts, sysfs_root) ?
			       opts->sysfs_root : NULL, "/sys");
	if (ret) {
		vfiox_dma_fini(c);
		free(c);
		return ret;
	}
	*out = c;
	return 0;
}

/* Free a container that never got to its caller; its fd is not touched. */
void vfiox_container_free(struct vfiox_container *c)
{
	free(c->ranges);
	free(c->resv);
	vfiox_dma_fini(c);
	free(c);
}

/*
 * An adopted container may come with its IOMMU set (its groups attached by
 * whoever opened it): VFIO_IOMMU_GET_INFO answers only then; without one
 * the VFIO core gives EINVAL and iommufd's compat container ENODEV.
 */
static int read_adopted_iommu(struct vfiox_container *c)
{
	struct vfio_iommu_type1_info probe = { .argsz = sizeof(probe) };
	int ret = c->env.sys->ioctl(c->fd, VFIO_IOMMU_GET_INFO, &probe);

	if (ret == -EINVAL || ret == -ENODEV) {
		pr_debug("adopted container fd %d: no IOMMU set yet", c->fd);
		return 0;
	}
	if (ret < 0) {
		pr_err("adopted container fd %d: VFIO_IOMMU_GET_INFO: %s", c->fd,
		       ERRSTR(ret));
		return ret;
	}
	ret = vfiox_adopted_iommu_type(c->env.sys, c->fd, c->want_type);
	if (ret < 0)
		return ret;
	c->iommu_type = ret;
	ret = vfiox_container_refresh(c);
	if (!ret)
		ret = vfiox_iova_space_rebuild(c);
	if (ret)
		c->iommu_type = 0;
	return ret;
}

int vfiox_container_adopt_sys(int fd, const struct vfiox_container_opts *opts,
			      const struct vfiox_sys *sys,
			      struct vfiox_container **out)
{
	char name[32];
	struct vfiox_container *c;
	int ret;

	if (fd < 0 || !out) {
		pr_err("adopt: bad fd %d or NULL out pointer", fd);
		return -EINVAL;
	}
	ret = VFIOX_OPTS_CHECK(opts, vfiox_container_opts);
	if (!ret && VFIOX_OPTS_HAS(opts, backend))
		ret = vfiox_backend_check(opts->backend);
	if (ret)
		return ret;
	if (VFIOX_OPTS_HAS(opts, backend) && opts->backend == VFIOX_BACKEND_IOMMUFD) {
		pr_err("adopt: only the legacy backend adopts a container fd");
		return -EOPNOTSUPP;
	}
	ret = vfiox_container_new(opts, sys, &c);
	if (ret)
		return ret;
	c->fd = fd;
	c->adopted = true;
	snprintf(name, sizeof(name), "container fd %d", fd);
	ret = vfiox_container_check_api(c, name);
	if (!ret)
		ret = read_adopted_iommu(c);
	if (ret) {
		vfiox_container_free(c);	/* the fd stays the caller's */
		return ret;
	}
	*out = c;
	return 0;
}

VFIOX_API int vfiox_container_adopt(int fd,
				    const struct vfiox_container_opts *opts,
				    struct vfiox_container **out)
{
	return vfiox_container_adopt_sys(fd, opts, &vfiox_sys_real, out);
}

VFIOX_API void vfiox_container_close(struct vfiox_container *c)
{
	if (!c)
		return;
	if (c->events)
		vfiox_events_drop_watch(c->events, c);
	vfiox_iopf_iommufd_stop(c);	/* nothing answers page requests now */
	while (c->groups)
		vfiox_group_close(c->groups);
	vfiox_req_stop(c);
	c->env.sys->close(c->fd);
	vfiox_dma_fini(c);
	free(c->ranges);
	free(c->resv);
	free(c);
}

bool vfiox_container_holds_fd(const struct vfiox_container *c, int fd)
{
	const struct vfiox_group *g;
	const struct vfiox_device *d;

	if (fd == c->fd)
		return true;
	for (g = c->groups; g; g = g->next) {
		if (g->fd == fd)
			return true;
		for (d = g->devices; d; d = d->next)
			if (d->fd == fd)
				return true;
	}
	return false;
}

VFIOX_API int vfiox_container_fd(const struct vfiox_container *c)
{
	if (!c)
		return -EINVAL;
	if (c->auto_pending) {
		pr_err("container_fd: auto picks the backend, and so the fd, at the first group open (set opts.backend to have it now)");
		return -ENODEV;
	}
	return c->fd;
}

VFIOX_API int vfiox_container_check_extension(struct vfiox_container *c,
					      unsigned int ext)
{
	int ret;

	if (!c)
		return -EINVAL;
	if (c->auto_pending || vfiox_is_iommufd(c)) {
		char what[64];

		snprintf(what, sizeof(what), "VFIO_CHECK_EXTENSION(%u)", ext);
		ret = vfiox_backend_legacy_only(c, what);
		if (ret)
			return ret;
	}
	ret = c->env.sys->ioctl(c->fd, VFIO_CHECK_EXTENSION,
				(void *)(unsigned long)ext);
	if (ret < 0)
		pr_err("VFIO_CHECK_EXTENSION(%u): %s", ext, ERRSTR(ret));
	/* Some answers are levels (VFIOX_SVM's 2): pass them on */
	return ret;
}

VFIOX_API int vfiox_container_iommu_info(const struct vfiox_container *c,
					 struct vfiox_iommu_info *info)
{
	if (!c || !info) {
		pr_err("iommu_info: NULL argument");
		return -EINVAL;
	}
	if (!c->iommu_type)
		return -ENODEV;
	return VFIOX_COPY_OUT(info, &c->info, vfiox_iommu_info);
}

VFIOX_API int vfiox_container_iova_ranges(const struct vfiox_container *c,
					  struct vfiox_iova_range *ranges,
					  size_t max)
{
	uint32_t n;

	if (!c || (!ranges && max))
		return -EINVAL;
	if (!c->iommu_type)
		return -ENODEV;
	n = c->info.nr_iova_ranges;
	if (n && max)
		memcpy(ranges, c->ranges, (n < max ? n : max) * sizeof(*ranges));
	return (int)n;
}
