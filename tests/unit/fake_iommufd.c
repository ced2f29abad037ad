// SPDX-License-Identifier: MIT
/*
 * iommufd in the fake kernel: /dev/iommu with its IOASes, and device cdevs
 * (/dev/vfio/devices/vfioN) that must be bound to an iommufd before any
 * other ioctl and attached to an IOAS before DMA. The IOAS's mappings live
 * in fk.maps, as type1's do; they go when the iommufd closes. Called from
 * fake_kernel.c under its lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_kernel.h"
#include "../../lib/uapi_iommufd.h"

#define DEV_PREFIX "/fake/dev/vfio/devices/vfio"

/* The Nth device of the machine, counting every group's in order. */
static struct fk_device *nth_device(unsigned long n)
{
	int i;

	for (i = 0; i < fk.nr_groups; i++) {
		if (n < (unsigned long)fk.groups[i].nr_devs)
			return &fk.groups[i].devs[n];
		n -= (unsigned long)fk.groups[i].nr_devs;
	}
	return NULL;
}

int fk_iommufd_open(const char *path, int *ret)
{
	struct fk_device *d;
	char *end;
	unsigned long n;

	if (!fk.iommufd)
		return 0;
	if (!strcmp(path, "/fake/dev/iommu")) {
		*ret = fk_new_fd(FK_FD_IOMMUFD, NULL);
		return 1;
	}
	if (strncmp(path, DEV_PREFIX, strlen(DEV_PREFIX)))
		return 0;
	n = strtoul(path + strlen(DEV_PREFIX), &end, 10);
	d = *end ? NULL : nth_device(n);
	*ret = d ? fk_new_fd(FK_FD_DEVICE, d) : -ENOENT;
	if (*ret >= 0)
		fk_get_fd(*ret)->cdev = FK_CDEV_OPEN;
	return 1;
}

void fk_iommufd_drop(struct fk_fd *f)
{
	if (f->kind == FK_FD_DEVICE && f->cdev == FK_CDEV_ATTACHED)
		fk.ioas_attached--;
	if (f->kind == FK_FD_IOMMUFD) {	/* its IOAS goes, with every mapping */
		fk_free_bitmaps();
		fk.nr_maps = 0;
		memset(fk.objs, 0, sizeof(fk.objs));	/* and every object */
	}
	if (f->kind == FK_FD_DEVICE)
		((struct fk_device *)f->obj)->nr_att_pasids = 0;
}

static int ioas_alloc(struct fk_fd *f, struct vfiox_iommu_ioas_alloc *a)
{
	if (a->size < sizeof(*a) || a->flags)
		return -EINVAL;
	if (f->ioas)		/* one IOAS an iommufd is all libvfiox uses */
		return -ENOSPC;
	f->ioas = ++fk.next_id;
	a->out_ioas_id = f->ioas;
	return 0;
}

/* The lowest aperture end of the attached devices and the HWPTs on the
 * IOAS (UINT64_MAX: none). */
static uint64_t attached_aperture(void)
{
	uint64_t last = UINT64_MAX;
	int i;

	for (i = 0; i < FK_MAX_OBJS; i++)
		if (fk.objs[i].kind == FK_OBJ_HWPT && fk.objs[i].last &&
		    fk.objs[i].last < last)
			last = fk.objs[i].last;

	for (i = 0; i < FK_MAX_FDS; i++) {
		const struct fk_fd *f = &fk.fds[i];
		const struct fk_device *d = f->obj;

		if (f->kind == FK_FD_DEVICE && f->cdev == FK_CDEV_ATTACHED &&
		    d->aperture_last && d->aperture_last < last)
			last = d->aperture_last;
	}
	return last;
}

/* The IOAS's ranges: all of it until a device is attached, then the
 * machine's ranges cut at the attached devices' lowest aperture end. */
static uint32_t ranges(struct vfiox_iommu_iova_range *out, uint32_t room)
{
	uint64_t end = attached_aperture();
	uint32_t i, n = 0;

	if (!fk.ioas_attached) {
		if (room)
			out[0] = (struct vfiox_iommu_iova_range){ 0, UINT64_MAX };
		return 1;
	}
	for (i = 0; i < fk.nr_ioas_ranges; i++) {
		if (fk.ioas_ranges[i].start > end)
			break;
		if (n < room) {
			out[n].start = fk.ioas_ranges[i].start;
			out[n].last = fk.ioas_ranges[i].last < end ? fk.ioas_ranges[i].last : end;
		}
		n++;
	}
	return n;
}

static int iova_ranges(struct fk_fd *f, struct vfiox_iommu_ioas_iova_ranges *q)
{
	uint32_t room = q->num_iovas;

	if (q->size < sizeof(*q) || q->reserved)
		return -EINVAL;
	if (q->ioas_id != f->ioas)
		return -ENOENT;
	q->num_iovas = ranges((struct vfiox_iommu_iova_range *)(uintptr_t)q->allowed_iovas,
			      room);
	q->out_iova_alignment = fk.iova_alignment;
	return q->num_iovas > room ? -EMSGSIZE : 0;
}

static bool in_ioas(uint64_t iova, uint64_t len)
{
	struct vfiox_iommu_iova_range r[4];
	uint32_t i, n = ranges(r, 4);

	for (i = 0; i < n; i++)
		if (iova >= r[i].start && iova + len - 1 <= r[i].last)
			return true;
	return false;
}

static int ioas_map(struct fk_fd *f, struct vfiox_iommu_ioas_map *m)
{
	const uint32_t known = VFIOX_IOMMU_IOAS_MAP_FIXED_IOVA |
			       VFIOX_IOMMU_IOAS_MAP_WRITEABLE |
			       VFIOX_IOMMU_IOAS_MAP_READABLE;
	int i;

	fk.ioas_maps++;
	if (m->size < sizeof(*m) || m->reserved || m->flags & ~known)
		return -EOPNOTSUPP;
	if (m->ioas_id != f->ioas)
		return -ENOENT;
	/* libvfiox picks every IOVA itself. */
	if (!(m->flags & VFIOX_IOMMU_IOAS_MAP_FIXED_IOVA) || !m->length ||
	    (m->iova | m->length) % fk.iova_alignment || !in_ioas(m->iova, m->length))
		return -EINVAL;
	for (i = 0; i < fk.nr_maps; i++)
		if (m->iova < fk.maps[i].iova + fk.maps[i].size &&
		    fk.maps[i].iova < m->iova + m->length)
			return -EEXIST;
	if (fk.nr_maps == FK_MAX_MAPS)
		return -ENOMEM;
	fk.maps[fk.nr_maps++] = (struct fk_map){ m->iova, m->length, m->user_va,
						 m->flags, false, NULL, NULL, false };
	return 0;
}

/* The mapping with the lowest IOVA in [iova, last] (any with @all), or -1. */
static int lowest_in(uint64_t iova, uint64_t last, bool all)
{
	int i, best = -1;

	for (i = 0; i < fk.nr_maps; i++) {
		const struct fk_map *m = &fk.maps[i];

		if ((all || (m->iova >= iova && m->iova + m->size - 1 <= last)) &&
		    (best < 0 || m->iova < fk.maps[best].iova))
			best = i;
	}
	return best;
}

/* Whole mappings only, as iommufd: one crossing either end fails it all;
 * iova 0 with length U64_MAX is all of them. */
static int ioas_unmap(struct fk_fd *f, struct vfiox_iommu_ioas_unmap *u)
{
	bool all = !u->iova && u->length == UINT64_MAX;
	uint64_t last = u->iova + u->length - 1, bytes = 0;
	int i, n;

	fk.ioas_unmaps++;
	if (u->size < sizeof(*u))
		return -EINVAL;
	if (u->ioas_id != f->ioas)
		return -ENOENT;
	if (!all && (!u->length || last < u->iova))
		return -EINVAL;
	for (i = 0; !all && i < fk.nr_maps; i++) {
		const struct fk_map *m = &fk.maps[i];

		if (m->iova <= last && u->iova <= m->iova + m->size - 1 &&
		    (m->iova < u->iova || m->iova + m->size - 1 > last))
			return -ENOENT;
	}
	/* As the kernel: area by area, lowest IOVA first; a failure (an
	 * access that does not let go) keeps what went before it. */
	for (n = 0; (i = lowest_in(u->iova, last, all)) >= 0; n++) {
		if (fk.ioas_unmap_fail_after && n == fk.ioas_unmap_fail_after) {
			fk.ioas_unmap_fail_after = 0;
			return -EBUSY;
		}
		bytes += fk.maps[i].size;
		fk.maps[i] = fk.maps[--fk.nr_maps];
	}
	if (!bytes && !all)
		return -ENOENT;
	u->length = bytes;
	return 0;
}

static int hw_info(struct fk_fd *f, struct vfiox_iommu_hw_info_cmd *q)
{
	int i;

	(void)f;
	if (q->size < sizeof(*q) || q->flags)
		return -EOPNOTSUPP;
	for (i = 0; i < FK_MAX_FDS; i++) {
		const struct fk_fd *d = &fk.fds[i];

		if (d->kind == FK_FD_DEVICE && d->cdev >= FK_CDEV_BOUND &&
		    d->devid == q->dev_id) {
			q->out_data_type = 1;	/* intel_vtd */
			q->data_len = 32;
			q->out_capabilities = 1;	/* dirty tracking */
			q->out_max_pasid_log2 =
				((struct fk_device *)d->obj)->no_pasid ? 0 : 20;
			return 0;
		}
	}
	return -ENOENT;
}


struct fk_obj *fk_find_obj(uint32_t id)
{
	int i;

	for (i = 0; id && i < FK_MAX_OBJS; i++)
		if (fk.objs[i].kind && fk.objs[i].id == id)
			return &fk.objs[i];
	return NULL;
}

static struct fk_obj *new_obj(int kind)
{
	int i;

	for (i = 0; i < FK_MAX_OBJS; i++)
		if (!fk.objs[i].kind) {
			fk.objs[i] = (struct fk_obj){ .id = ++fk.next_id, .kind = kind };
			return &fk.objs[i];
		}
	return NULL;
}

int fk_objects(void)
{
	int i, n = 0;

	for (i = 0; i < FK_MAX_OBJS; i++)
		n += fk.objs[i].kind != FK_OBJ_FREE;
	return n;
}

/* The bound device fd whose id is @devid, or NULL. */
static struct fk_fd *bound_device(uint32_t devid)
{
	int i;

	for (i = 0; i < FK_MAX_FDS; i++)
		if (fk.fds[i].kind == FK_FD_DEVICE && fk.fds[i].cdev >= FK_CDEV_BOUND &&
		    fk.fds[i].devid == devid)
			return &fk.fds[i];
	return NULL;
}

static bool obj_busy(uint32_t id)
{
	int i, p;

	for (i = 0; i < FK_MAX_FDS; i++) {
		const struct fk_device *d = fk.fds[i].obj;

		if (fk.fds[i].kind == FK_FD_FAULT && fk.fds[i].pt == id)
			return true;	/* iommufd: EBUSY while its fd is open */
		if (fk.fds[i].kind != FK_FD_DEVICE)
			continue;
		if (fk.fds[i].cdev == FK_CDEV_ATTACHED && fk.fds[i].pt == id)
			return true;
		for (p = 0; fk.fds[i].cdev >= FK_CDEV_BOUND && p < d->nr_att_pasids; p++)
			if (d->att_pts[p] == id)
				return true;
	}
	for (i = 0; i < FK_MAX_OBJS; i++)
		if (fk.objs[i].kind == FK_OBJ_HWPT && fk.objs[i].fault == id)
			return true;
	return false;
}

static int destroy(struct fk_fd *f, struct vfiox_iommu_destroy *q)
{
	struct fk_obj *o = fk_find_obj(q->id);

	if (q->size < sizeof(*q))
		return -EINVAL;
	if (q->id == f->ioas)
		return -EBUSY;
	if (!o)
		return -ENOENT;
	if (obj_busy(o->id))
		return -EBUSY;
	o->kind = FK_OBJ_FREE;
	return 0;
}

static int fault_alloc(struct vfiox_iommu_fault_alloc *q)
{
	struct fk_obj *o;
	int fd;

	if (fk.no_fault_queue)
		return -ENOTTY;
	if (q->size < sizeof(*q) || q->flags)
		return -EOPNOTSUPP;
	o = new_obj(FK_OBJ_FAULT);
	if (!o)
		return -ENOMEM;
	fd = fk_new_fd(FK_FD_FAULT, NULL);
	if (fd < 0) {
		o->kind = FK_OBJ_FREE;
		return fd;
	}
	fk_get_fd(fd)->pt = o->id;	/* the fd holds its object */
	q->out_fault_id = o->id;
	q->out_fault_fd = (uint32_t)fd;
	return 0;
}

static int hwpt_alloc(struct fk_fd *f, struct vfiox_iommu_hwpt_alloc *q)
{
	const uint32_t known = VFIOX_IOMMU_HWPT_FAULT_ID_VALID | VFIOX_IOMMU_HWPT_ALLOC_PASID;
	struct fk_obj *o, *fault = NULL;
	int i;

	if (q->size < sizeof(*q))
		return -EINVAL;
	if (q->flags & ~known || q->reserved || q->data_type || q->data_len ||
	    q->data_uptr || q->reserved2)
		return -EOPNOTSUPP;
	if (!bound_device(q->dev_id) || q->pt_id != f->ioas)
		return -ENOENT;
	if ((q->flags & VFIOX_IOMMU_HWPT_ALLOC_PASID) && fk.hwpt_no_pasid)
		return -EOPNOTSUPP;
	/* iopt_table_add_domain(): what lies outside the new domain's
	 * aperture is reserved, and a mapping there refuses it. */
	if ((q->flags & VFIOX_IOMMU_HWPT_ALLOC_PASID) && fk.pasid_hwpt_last)
		for (i = 0; i < fk.nr_maps; i++)
			if (fk.maps[i].iova + fk.maps[i].size - 1 > fk.pasid_hwpt_last)
				return -EADDRINUSE;
	if (q->flags & VFIOX_IOMMU_HWPT_FAULT_ID_VALID) {
		fault = fk_find_obj(q->fault_id);
		if (!fault || fault->kind != FK_OBJ_FAULT)
			return -ENOENT;
		if (fk.hwpt_fault_errno)
			return -fk.hwpt_fault_errno;
	}
	o = new_obj(FK_OBJ_HWPT);
	if (!o)
		return -ENOMEM;
	o->fault = fault ? fault->id : 0;
	o->flags = q->flags;
	o->last = q->flags & VFIOX_IOMMU_HWPT_ALLOC_PASID ? fk.pasid_hwpt_last : 0;
	q->out_hwpt_id = o->id;
	return 0;
}

ssize_t fk_fault_read(void *buf, size_t len)
{
	size_t n = len / sizeof(fk.faults[0]);

	if (len % sizeof(fk.faults[0]))
		return -ESPIPE;
	if (fk.fault_read_errno)
		return -fk.fault_read_errno;
	if (!fk.nr_faults)
		return -EAGAIN;
	if (n > (size_t)fk.nr_faults)
		n = (size_t)fk.nr_faults;
	memcpy(buf, fk.faults, n * sizeof(fk.faults[0]));
	memmove(fk.faults, fk.faults + n, (fk.nr_faults - n) * sizeof(fk.faults[0]));
	fk.nr_faults -= (int)n;
	return (ssize_t)(n * sizeof(fk.faults[0]));
}

ssize_t fk_fault_write(const void *buf, size_t len)
{
	size_t i, n = len / sizeof(fk.responses[0]);

	if (len % sizeof(fk.responses[0]))
		return -ESPIPE;
	for (i = 0; i < n && fk.nr_responses < FK_MAX_FAULTS; i++)
		memcpy(&fk.responses[fk.nr_responses++],
		       (const char *)buf + i * sizeof(fk.responses[0]),
		       sizeof(fk.responses[0]));
	return (ssize_t)len;
}

int fk_iommufd_ioctl(struct fk_fd *f, unsigned long req, void *arg)
{
	switch (req) {
	case VFIOX_IOMMU_DESTROY:
		return destroy(f, arg);
	case VFIOX_IOMMU_FAULT_QUEUE_ALLOC:
		return fault_alloc(arg);
	case VFIOX_IOMMU_HWPT_ALLOC:
		return hwpt_alloc(f, arg);
	case VFIOX_IOMMU_GET_HW_INFO:
		return hw_info(f, arg);
	case VFIOX_IOMMU_IOAS_ALLOC:
		return ioas_alloc(f, arg);
	case VFIOX_IOMMU_IOAS_IOVA_RANGES:
		return iova_ranges(f, arg);
	case VFIOX_IOMMU_IOAS_MAP:
		return ioas_map(f, arg);
	case VFIOX_IOMMU_IOAS_UNMAP:
		return ioas_unmap(f, arg);
	case VFIOX_IOMMU_IOAS_MAP_FILE:
		return fk_dmabuf_map_file(f->ioas, arg);
	default:
		return -ENOTTY;
	}
}

/* As vfio-pci's token match: a VF whose PF set one needs it, a PF takes
 * one, any other device refuses one (EINVAL). */
static int check_token(struct fk_device *d, const struct vfiox_vfio_device_bind_iommufd *b)
{
	uint8_t want[16];
	bool given = b->flags & VFIOX_VFIO_DEVICE_BIND_FLAG_TOKEN;

	if (given)
		memcpy(fk.bind_token, (const void *)(uintptr_t)b->token_uuid_ptr, 16);
	if (d->token[0]) {
		if (!given)
			return -EACCES;
		vfiox_uuid_parse(d->token, want);
		return memcmp(want, fk.bind_token, 16) ? -EACCES : 0;
	}
	return given && !d->sriov_pf ? -EINVAL : 0;
}

static int bind(struct fk_fd *f, struct vfiox_vfio_device_bind_iommufd *b)
{
	const uint32_t minsz = 16;	/* up to out_devid, as 6.6 */
	struct fk_fd *ictx = fk_get_fd(b->iommufd);
	int ret;

	if (b->argsz < minsz || f->cdev != FK_CDEV_OPEN)
		return -EINVAL;
	if (b->flags & ~(fk.no_bind_token ? 0u : VFIOX_VFIO_DEVICE_BIND_FLAG_TOKEN))
		return -EINVAL;
	if ((b->flags & VFIOX_VFIO_DEVICE_BIND_FLAG_TOKEN) && b->argsz < sizeof(*b))
		return -EINVAL;
	if (!ictx || ictx->kind != FK_FD_IOMMUFD)
		return -EBADF;
	ret = check_token(f->obj, b);
	if (ret)
		return ret;
	f->cdev = FK_CDEV_BOUND;
	f->ioas = ictx->ioas;	/* the IOAS it may attach to */
	b->out_devid = f->devid = ++fk.next_id;
	fk.binds++;
	return 0;
}

/* Does a mapping lie outside @d's ranges? The kernel then refuses the
 * attach (iopt_table_add_domain: EADDRINUSE). */
static bool maps_outside_device(const struct fk_device *d)
{
	uint64_t end = d->aperture_last ? d->aperture_last : UINT64_MAX;
	int i;
	uint32_t r;

	for (i = 0; i < fk.nr_maps; i++) {
		const struct fk_map *m = &fk.maps[i];
		bool in = false;

		for (r = 0; r < fk.nr_ioas_ranges; r++)
			in |= m->iova >= fk.ioas_ranges[r].start &&
			      m->iova + m->size - 1 <= fk.ioas_ranges[r].last &&
			      m->iova + m->size - 1 <= end;
		if (!in)
			return true;
	}
	return false;
}

/* Does @pt (an IOAS: the HWPT the kernel makes for it) take PASIDs? As
 * iommufd's pasid_compat: only a HWPT allocated with ALLOC_PASID does. */
static bool pasid_compat(const struct fk_fd *f, uint32_t pt)
{
	const struct fk_obj *o = fk_find_obj(pt);

	return pt != f->ioas && o && o->kind == FK_OBJ_HWPT &&
	       (o->flags & VFIOX_IOMMU_HWPT_ALLOC_PASID);
}

static int attach_pasid(struct fk_fd *f, struct vfiox_vfio_device_attach_iommufd_pt *a)
{
	struct fk_device *d = f->obj;
	struct fk_obj *o = fk_find_obj(a->pt_id);
	int i;

	if (a->argsz < sizeof(*a) || f->cdev < FK_CDEV_BOUND)
		return -EINVAL;
	if (a->pt_id != f->ioas && (!o || o->kind != FK_OBJ_HWPT))
		return -ENOENT;
	if (d->no_pasid)
		return -EOPNOTSUPP;
	if (!a->pasid || a->pasid >= 1u << 20)
		return -EINVAL;
	/* iommufd_hwpt_pasid_compat(): the PASID's page table and the one
	 * the device's own DMA goes through must both take PASIDs. */
	if (!pasid_compat(f, a->pt_id) ||
	    (f->cdev == FK_CDEV_ATTACHED && !pasid_compat(f, f->pt)))
		return -EINVAL;
	fk.pasid_attaches++;
	for (i = 0; i < d->nr_att_pasids; i++)
		if (d->att_pasids[i] == a->pasid)
			break;	/* the kernel replaces its page table */
	if (i == d->nr_att_pasids) {
		if (d->nr_att_pasids == 8)
			return -ENOSPC;
		d->att_pasids[d->nr_att_pasids++] = a->pasid;
	}
	d->att_pts[i] = a->pt_id;
	return 0;
}

/* The device (or with ATTACH_PASID one of its PASIDs) to the IOAS or a
 * HWPT of this iommufd; attached already, it moves (a replace). */
static int attach(struct fk_fd *f, struct vfiox_vfio_device_attach_iommufd_pt *a)
{
	const uint32_t minsz = 12;	/* up to pt_id, as 6.6 */
	struct fk_obj *o;

	if (a->argsz < minsz || f->cdev < FK_CDEV_BOUND)
		return -EINVAL;
	if (a->flags & ~(fk.no_pasid_attach ? 0u : VFIOX_VFIO_DEVICE_ATTACH_PASID))
		return -EINVAL;
	if (a->flags)
		return attach_pasid(f, a);
	o = fk_find_obj(a->pt_id);
	if (!a->pt_id || (a->pt_id != f->ioas && (!o || o->kind != FK_OBJ_HWPT)))
		return -ENOENT;
	if (o && o->fault && ((struct fk_device *)f->obj)->no_pri)
		return -ENODEV;
	if (((struct fk_device *)f->obj)->nr_att_pasids && !pasid_compat(f, a->pt_id))
		return -EINVAL;
	if (maps_outside_device(f->obj))
		return -EADDRINUSE;
	if (f->cdev != FK_CDEV_ATTACHED)
		fk.ioas_attached++;
	f->cdev = FK_CDEV_ATTACHED;
	f->pt = a->pt_id;
	a->pt_id = o ? o->id : ++fk.next_id;	/* the HWPT made for the IOAS */
	return 0;
}

/* The device from its page table (back to bound), or one PASID of it: as
 * the kernel, a PASID not attached is detached without complaint. */
static int detach(struct fk_fd *f, struct vfiox_vfio_device_detach_iommufd_pt *q)
{
	struct fk_device *d = f->obj;
	int i;

	if (q->argsz < 8 || f->cdev < FK_CDEV_BOUND)
		return -EINVAL;
	if (!q->flags) {
		if (f->cdev != FK_CDEV_ATTACHED)
			return -EINVAL;
		f->cdev = FK_CDEV_BOUND;
		f->pt = 0;
		fk.ioas_attached--;
		fk.rid_detaches++;
		return 0;
	}
	if (q->argsz < sizeof(*q) || q->flags != VFIOX_VFIO_DEVICE_DETACH_PASID ||
	    fk.no_pasid_attach)
		return -EINVAL;
	fk.pasid_detaches++;
	for (i = 0; i < d->nr_att_pasids; i++)
		if (d->att_pasids[i] == q->pasid) {
			d->nr_att_pasids--;
			d->att_pasids[i] = d->att_pasids[d->nr_att_pasids];
			d->att_pts[i] = d->att_pts[d->nr_att_pasids];
			break;
		}
	return 0;
}

int fk_cdev_ioctl(struct fk_fd *f, unsigned long req, void *arg, int *ret)
{
	if (req == VFIOX_VFIO_DEVICE_BIND_IOMMUFD)
		*ret = f->cdev ? bind(f, arg) : -ENOTTY;
	else if (req == VFIOX_VFIO_DEVICE_ATTACH_IOMMUFD_PT)
		*ret = f->cdev ? attach(f, arg) : -ENOTTY;
	else if (req == VFIOX_VFIO_DEVICE_DETACH_IOMMUFD_PT)
		*ret = f->cdev ? detach(f, arg) : -ENOTTY;
	else if (f->cdev == FK_CDEV_OPEN)	/* nothing before the bind */
		*ret = -EINVAL;
	else
		return 0;
	return 1;
}

bool fk_cdev_attached(int fd)
{
	struct fk_fd *f = fk_get_fd(fd);

	return f && f->kind == FK_FD_DEVICE && f->cdev == FK_CDEV_ATTACHED;
}

void fk_enable_iommufd(void)
{
	fk.iommufd = true;
	fk.iova_alignment = 4096;
	fk.nr_ioas_ranges = 2;
	fk.ioas_ranges[0].start = 0;
	fk.ioas_ranges[0].last = 0xfedfffffULL;
	fk.ioas_ranges[1].start = 0xfef00000ULL;
	fk.ioas_ranges[1].last = 0x7fffffffffULL;
	fk_add_file(DEV_PREFIX "0", "");
	fk_add_file("/fake/sys/bus/pci/devices/0000:00:03.0/vfio-dev/vfio0/dev", "511:0\n");
	/* The same directory through the group's link (auto reads it there). */
	fk_add_file("/fake/sys/kernel/iommu_groups/7/devices/0000:00:03.0/vfio-dev/vfio0/dev",
		    "511:0\n");
}

void fk_add_iommufd_device(uint64_t aperture_last)
{
	struct fk_group *g = &fk.groups[0];
	struct fk_device *d = &g->devs[g->nr_devs++];

	*d = g->devs[0];
	d->nr_att_pasids = 0;	/* a device of its own */
	snprintf(d->name, sizeof(d->name), "0000:00:04.0");
	d->aperture_last = aperture_last;
	fk_add_link("/fake/sys/bus/pci/devices/0000:00:04.0/iommu_group",
		    "../../../kernel/iommu_groups/7");
	fk_add_file(DEV_PREFIX "1", "");
	fk_add_file("/fake/sys/bus/pci/devices/0000:00:04.0/vfio-dev/vfio1/dev", "511:1\n");
}

int fk_iommufd_container_open(struct vfiox_container **out)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts),
		.dev_root = "/fake/dev/vfio",
		.sysfs_root = "/fake/sys",
		.backend = VFIOX_BACKEND_IOMMUFD,
	};

	return vfiox_container_open_sys(&opts, &fake_sys, out);
}

void fk_iommufd_machine(void)
{
	unsetenv("VFIOX_BACKEND");
	fk_reset();
	fk_enable_iommufd();
	fk_log_capture();
}

int fk_iommufd_device_setup(struct vfiox_container **c, struct vfiox_group **g,
			    struct vfiox_device **d)
{
	int ret;

	fk_iommufd_machine();
	ret = fk_iommufd_container_open(c);
	if (!ret)
		ret = vfiox_group_open(*c, 7, g);
	if (!ret)
		ret = vfiox_device_open(*g, "0000:00:03.0", NULL, d);
	return ret;
}

bool fk_iommufd_closed_clean(struct vfiox_container *c)
{
	bool clean = fk_close_clean(c);

	return clean && fk_objects() == 0;
}
