// SPDX-License-Identifier: MIT
#define LOG_PREFIX "region"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

static int parse_sparse(const struct vfiox_cap *cap, struct vfiox_region *r,
			const char *dev)
{
	struct vfio_region_info_cap_sparse_mmap hdr;
	struct vfio_region_sparse_mmap_area a;
	const uint8_t *body = cap->data;
	uint32_t i;

	if (cap->len < sizeof(hdr)) {
		pr_err("%s: region %u sparse mmap capability truncated", dev,
		       r->info.index);
		return -EPROTO;
	}
	memcpy(&hdr, body, sizeof(hdr));
	if (hdr.nr_areas > (cap->len - sizeof(hdr)) / sizeof(a)) {
		pr_err("%s: region %u claims %u sparse areas in %u bytes", dev,
		       r->info.index, hdr.nr_areas, cap->len);
		return -EPROTO;
	}
	free(r->sparse);
	r->sparse = calloc(hdr.nr_areas + 1, sizeof(*r->sparse));
	if (!r->sparse)
		return -ENOMEM;
	for (i = 0; i < hdr.nr_areas; i++) {
		memcpy(&a, body + sizeof(hdr) + i * sizeof(a), sizeof(a));
		if (a.offset > r->info.size || a.size > r->info.size - a.offset) {
			pr_err("%s: region %u sparse area %u [0x%llx+0x%llx] is past the region's 0x%llx bytes",
			       dev, r->info.index, i,
			       (unsigned long long)a.offset,
			       (unsigned long long)a.size,
			       (unsigned long long)r->info.size);
			return -EPROTO;
		}
		r->sparse[i].offset = a.offset;
		r->sparse[i].size = a.size;
	}
	r->info.nr_sparse = hdr.nr_areas;
	return 0;
}

struct region_parse {
	struct vfiox_region *r;
	const char *dev;
};

static int parse_region_cap(const struct vfiox_cap *cap, void *arg)
{
	struct region_parse *rp = arg;
	struct vfio_region_info_cap_type type;

	switch (cap->id) {
	case VFIO_REGION_INFO_CAP_SPARSE_MMAP:
		return parse_sparse(cap, rp->r, rp->dev);
	case VFIO_REGION_INFO_CAP_TYPE:
		if (cap->len < sizeof(type)) {
			pr_err("%s: region %u type capability truncated",
			       rp->dev, rp->r->info.index);
			return -EPROTO;
		}
		memcpy(&type, cap->data, sizeof(type));
		rp->r->info.has_type = true;
		rp->r->info.type = type.type;
		rp->r->info.subtype = type.subtype;
		return 0;
	case VFIO_REGION_INFO_CAP_MSIX_MAPPABLE:
		rp->r->info.msix_mappable = true;
		return 0;
	default:
		pr_debug("%s: ignoring region capability %u", rp->dev, cap->id);
		return 0;
	}
}

int vfiox_region_read_info(struct vfiox_device *d, uint32_t index)
{
	struct vfio_region_info init = { .index = index }, *info;
	struct vfiox_region *r = &d->regions[index];
	struct region_parse rp = { r, d->name };
	int ret;

	ret = vfiox_info_ioctl(d->group->container->env.sys, d->fd,
			       VFIO_DEVICE_GET_REGION_INFO, &init, sizeof(init),
			       (void **)&info);
	r->info.sz = sizeof(r->info);
	r->info.index = index;
	if (ret == -EINVAL) {
		/* vfio-pci answers EINVAL for an index the device lacks (VGA). */
		pr_debug("%s: region %u is absent", d->name, index);
		return 0;
	}
	if (ret) {
		pr_err("%s: VFIO_DEVICE_GET_REGION_INFO(%u): %s", d->name,
		       index, ERRSTR(ret));
		return ret;
	}
	r->info.flags = info->flags;
	r->info.size = info->size;
	r->info.offset = info->offset;
	if ((info->flags & VFIO_REGION_INFO_FLAG_CAPS) &&
	    info->argsz >= sizeof(*info))
		ret = vfiox_cap_walk(info, info->argsz, sizeof(*info),
				     info->cap_offset, parse_region_cap, &rp);
	free(info);
	if (ret)
		pr_err("%s: region %u: bad capability chain", d->name, index);
	r->info.sparse = r->sparse;
	return ret;
}

static struct vfiox_region *get_region(const struct vfiox_device *d,
				       uint32_t index)
{
	if (index >= d->info.num_regions) {
		pr_err("%s: region index %u, the device has %u", d->name, index,
		       d->info.num_regions);
		return NULL;
	}
	return &d->regions[index];
}

VFIOX_API int vfiox_device_region_info(const struct vfiox_device *d,
				       uint32_t index,
				       struct vfiox_region_info *info)
{
	const struct vfiox_region *r;

	if (!d || !info)
		return -EINVAL;
	r = get_region(d, index);
	if (!r)
		return -EINVAL;
	return VFIOX_COPY_OUT(info, &r->info, vfiox_region_info);
}

/* Bounds and permission checks shared by read and write: no syscall yet. */
static struct vfiox_region *check_access(struct vfiox_device *d,
					 uint32_t index, uint64_t off,
					 size_t len, uint32_t need,
					 const char *what)
{
	struct vfiox_region *r;

	if (!d)
		return NULL;
	r = get_region(d, index);
	if (!r)
		return NULL;
	if (!(r->info.flags & need)) {
		pr_err("%s: region %u does not allow %s", d->name, index, what);
		return NULL;
	}
	if (!len || off > r->info.size || len > r->info.size - off ||
	    r->info.offset > (uint64_t)INT64_MAX - off) {
		pr_err("%s: %s of %zu bytes at 0x%llx is outside region %u (0x%llx bytes)",
		       d->name, what, len, (unsigned long long)off, index,
		       (unsigned long long)r->info.size);
		return NULL;
	}
	return r;
}

VFIOX_API int vfiox_region_read(struct vfiox_device *d, uint32_t index,
				uint64_t off, void *buf, size_t len)
{
	struct vfiox_region *r;
	ssize_t n;

	if (d && vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	r = buf ? check_access(d, index, off, len, VFIO_REGION_INFO_FLAG_READ,
			       "read") : NULL;
	if (!r)
		return -EINVAL;
	n = d->group->container->env.sys->pread(d->fd, buf, len,
						(off_t)(r->info.offset + off));
	if (n < 0 && vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	if (n < 0 || (size_t)n != len) {
		pr_err("%s: read of %zu bytes at region %u + 0x%llx: %s",
		       d->name, len, index, (unsigned long long)off,
		       n < 0 ? ERRSTR((int)n) : "short read");
		return n < 0 ? (int)n : -EIO;
	}
	return 0;
}

VFIOX_API int vfiox_region_write(struct vfiox_device *d, uint32_t index,
				 uint64_t off, const void *buf, size_t len)
{
	struct vfiox_region *r;
	ssize_t n;

	if (d && vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	r = buf ? check_access(d, index, off, len, VFIO_REGION_INFO_FLAG_WRITE,
			       "write") : NULL;
	if (!r)
		return -EINVAL;
	n = d->group->container->env.sys->pwrite(d->fd, buf, len,
						 (off_t)(r->info.offset + off));
	if (n < 0 && vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	if (n < 0 || (size_t)n != len) {
		pr_err("%s: write of %zu bytes at region %u + 0x%llx: %s",
		       d->name, len, index, (unsigned long long)off,
		       n < 0 ? ERRSTR((int)n) : "short write");
		return n < 0 ? (int)n : -EIO;
	}
	return 0;
}

uint32_t vfiox_region_areas(const struct vfiox_region *r,
			    struct vfiox_sparse_area *whole,
			    const struct vfiox_sparse_area **areas)
{
	*whole = (struct vfiox_sparse_area){ 0, r->info.size };
	*areas = r->info.nr_sparse ? r->sparse : whole;
	return r->info.nr_sparse ? r->info.nr_sparse : 1;
}

static int map_areas(struct vfiox_device *d, struct vfiox_region *r,
		     uint8_t *base)
{
	const struct vfiox_sys *sys = d->group->container->env.sys;
	const struct vfiox_sparse_area *areas;
	struct vfiox_sparse_area whole;
	uint32_t n = vfiox_region_areas(r, &whole, &areas), i;
	int prot = 0;

	if (r->info.flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (r->info.flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	for (i = 0; i < n; i++) {
		void *p;
		int ret;

		if (!areas[i].size)
			continue;
		ret = sys->mmap(&p, base + areas[i].offset, areas[i].size, prot,
				MAP_SHARED | MAP_FIXED, d->fd,
				(off_t)(r->info.offset + areas[i].offset));
		if (ret) {
			pr_err("%s: mmap of region %u area [0x%llx+0x%llx]: %s",
			       d->name, r->info.index,
			       (unsigned long long)areas[i].offset,
			       (unsigned long long)areas[i].size, ERRSTR(ret));
			return ret;
		}
	}
	return 0;
}

/* vfiox_region_mmap() under map_lock: no new mapping of the device file
 * may appear once the request thread released it (lib/req.c). */
static int region_mmap_locked(struct vfiox_device *d, struct vfiox_region *r,
			      void **out)
{
	const struct vfiox_sys *sys = d->group->container->env.sys;
	void *base;
	int ret;

	if (vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	if (r->map) {
		*out = r->map;
		return 0;
	}
	if (!(r->info.flags & VFIO_REGION_INFO_FLAG_MMAP) || !r->info.size) {
		pr_err("%s: region %u cannot be mmapped", d->name, r->info.index);
		return -ENOTSUP;
	}
	/* Reserve the full range so unbacked gaps fault instead of aliasing. */
	ret = sys->mmap(&base, NULL, r->info.size, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ret) {
		pr_err("%s: reserving 0x%llx bytes for region %u: %s", d->name,
		       (unsigned long long)r->info.size, r->info.index, ERRSTR(ret));
		return ret;
	}
	ret = map_areas(d, r, base);
	if (ret) {
		sys->munmap(base, r->info.size);
		return ret;
	}
	r->map = base;
	*out = base;
	return 0;
}

VFIOX_API int vfiox_region_mmap(struct vfiox_device *d, uint32_t index,
				void **out)
{
	struct vfiox_region *r;
	int ret;

	if (!d || !out)
		return -EINVAL;
	if (vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	r = get_region(d, index);
	if (!r)
		return -EINVAL;
	pthread_mutex_lock(&d->map_lock);
	ret = region_mmap_locked(d, r, out);
	pthread_mutex_unlock(&d->map_lock);
	return ret;
}

VFIOX_API int vfiox_region_munmap(struct vfiox_device *d, uint32_t index)
{
	struct vfiox_region *r;
	int ret = -ENOENT;

	if (!d)
		return -EINVAL;
	r = get_region(d, index);
	if (!r)
		return -EINVAL;
	pthread_mutex_lock(&d->map_lock);
	if (r->map) {
		ret = d->group->container->env.sys->munmap(r->map, r->info.size);
		if (ret)
			pr_warn("%s: munmap of region %u: %s", d->name, index,
				ERRSTR(ret));
		r->map = NULL;
	}
	pthread_mutex_unlock(&d->map_lock);
	return ret;
}
