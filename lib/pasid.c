// SPDX-License-Identifier: MIT
/*
 * PASID attach on iommufd (Linux 6.15): a PASID of a device to the IOAS's
 * mappings or a HWPT, and back. libvfiox keeps the PASIDs it attached per
 * device: the kernel would replace an attached PASID's page table silently
 * and answers the detach of one never attached with success, so both are
 * refused here by name (a replace only when asked), and a device's close
 * detaches what is left.
 *
 * The kernel attaches a PASID only while the device's own DMA goes through
 * a HWPT allocated with IOMMU_HWPT_ALLOC_PASID, and the HWPT it makes for
 * an IOAS never is one. So a device's first PASID attach moves it onto such
 * a HWPT that libvfiox allocates on the IOAS (a replace: its DMA sees the
 * same mappings throughout), its home from then on; the device's close
 * destroys it. In IOPF mode every device stays on the fault-capable HWPT,
 * made to take PASIDs when a device could use them (lib/iopf_iommufd.c).
 */
#define LOG_PREFIX "pasid"
#include <errno.h>
#include <stdlib.h>

#include "internal.h"
#include "uapi_iommufd.h"

static int find(const struct vfiox_device *d, uint32_t pasid)
{
	uint32_t i;

	for (i = 0; i < d->nr_att_pasids; i++)
		if (d->att_pasids[i] == pasid)
			return (int)i;
	return -1;
}

/*
 * The device's PASID width from IOMMU_GET_HW_INFO: 0 when the IOMMU
 * reports none for it (every kernel with PASID attach reports the width:
 * both came in 6.15), -1 when the kernel cannot say (no GET_HW_INFO).
 */
int vfiox_pasid_width(const struct vfiox_device *d)
{
	struct vfiox_iommu_hw_info info = { .sz = sizeof(info) };
	int ret = vfiox_device_iommu_hw_info(d, &info);

	if (ret == -EOPNOTSUPP)
		return -1;
	return ret < 0 ? ret : info.max_pasid_log2;
}

static int check(struct vfiox_device *d, uint32_t pasid, bool attach)
{
	int ret, bits;

	ret = vfiox_iommufd_only(d->group->container, attach ?
				 "vfiox_device_attach_pasid()" : "vfiox_device_detach_pasid()");
	if (!ret)
		ret = vfiox_device_check_live(d);
	if (ret)
		return ret;
	if (!attach) {
		if (find(d, pasid) >= 0)
			return 0;
		pr_err("%s: PASID %u is not attached through this device", d->name, pasid);
		return -ENOENT;
	}
	if (find(d, pasid) >= 0) {
		pr_err("%s: PASID %u is attached already: detach it first", d->name, pasid);
		return -EEXIST;
	}
	if (!pasid) {
		pr_err("%s: PASID 0 is the device's DMA without a PASID (its IOAS attach)",
		       d->name);
		return -EINVAL;
	}
	bits = vfiox_pasid_width(d);
	if (bits == -1)
		return 0;	/* the kernel will tell */
	if (bits < 0)
		return bits;
	if (!bits) {
		pr_err("%s: the IOMMU reports no PASID for the device (IOMMU_GET_HW_INFO: width 0): it has no PASID capability, or its IOMMU does not do PASIDs",
		       d->name);
		return -EOPNOTSUPP;
	}
	if (bits < 32 && pasid >= 1u << bits) {
		pr_err("%s: PASID %u is beyond the device's %d-bit PASIDs", d->name, pasid, bits);
		return -EINVAL;
	}
	return 0;
}

static void log_refusal(const struct vfiox_device *d, uint32_t pasid, uint32_t pt,
			int err)
{
	pr_err("%s: VFIO_DEVICE_ATTACH_IOMMUFD_PT of PASID %u to %s %u: %s%s", d->name,
	       pasid, pt == d->group->container->ioas ? "IOAS" : "HWPT", pt, ERRSTR(err),
	       err == -EINVAL ? " (a kernel before Linux 6.15 has no PASID attach; a HWPT of the caller's must be allocated with IOMMU_HWPT_ALLOC_PASID)" :
	       err == -EOPNOTSUPP ? " (the device's driver or its IOMMU cannot attach PASIDs)" : "");
}

/* Open devices of @d's group other than @d. */
static int open_siblings(const struct vfiox_device *d)
{
	const struct vfiox_device *s;
	int n = 0;

	for (s = d->group->devices; s; s = s->next)
		n += s != d && !vfiox_device_gone(s);
	return n;
}

/* Undo make_pasid_ready()'s move after a failed first attach. */
static void undo_move(struct vfiox_device *d)
{
	struct vfiox_container *c = d->group->container;
	uint32_t got;

	if (vfiox_iommufd_attach(d, c->ioas, &got)) {
		pr_err("%s: its own DMA stays on HWPT %u", d->name, d->home_hwpt);
		return;
	}
	d->hwpt = got;
	vfiox_iommufd_destroy(c, d->home_hwpt);
	d->home_hwpt = 0;
	/* The dropped table's aperture no longer narrows the IOAS. */
	vfiox_container_reread_ranges(c, "the PASID-capable HWPT was dropped");
}

/* Put @d's own DMA on a page table that lets PASIDs attach (above). The
 * kernel moves a group's devices together, so the move is refused while
 * another device of the group is open: their d->hwpt would go stale. */
static int make_pasid_ready(struct vfiox_device *d)
{
	struct vfiox_container *c = d->group->container;
	uint32_t hwpt, got;
	int ret;

	if (c->iopf_hwpt) {
		if (c->iopf_pasid)
			return 0;
		pr_err("%s: the container's fault-capable HWPT %u was made without PASIDs (no device of it reported any when I/O page faults were turned on): no PASID can be attached",
		       d->name, c->iopf_hwpt);
		return -EOPNOTSUPP;
	}
	if (vfiox_iommufd_home(d) != c->ioas)
		return 0;
	if (open_siblings(d)) {
		pr_err("%s: the first PASID attach moves the DMA of the device's whole IOMMU group (%d) to a PASID-capable page table, and %d other device(s) of it are open: attach it before opening them",
		       d->name, d->group->nr, open_siblings(d));
		return -EBUSY;
	}
	ret = vfiox_iommufd_hwpt_alloc(c, d->devid, VFIOX_IOMMU_HWPT_ALLOC_PASID, 0, &hwpt);
	if (ret) {
		pr_err("%s: no PASID-capable page table for the device's own DMA: no PASID can be attached%s",
		       d->name, ret == -EADDRINUSE ? " (a mapping of the IOAS lies outside what a PASID-capable page table of this IOMMU covers: AMD-Vi's v2 tables reach 47 bits; unmap it first)" : "");
		return ret;
	}
	ret = vfiox_iommufd_attach(d, hwpt, &got);
	if (ret) {
		/* Linux 7.2's VT-d may leave it blocked (lib/iopf_iommufd.c). */
		if (!vfiox_device_gone(d))
			vfiox_iommufd_reattach(d);
		vfiox_iommufd_destroy(c, hwpt);
		return ret;
	}
	d->home_hwpt = hwpt;
	d->hwpt = got;
	/* The new domain's aperture may have narrowed the IOAS. */
	ret = vfiox_container_reread_ranges(c, "a PASID-capable HWPT was added");
	if (ret) {
		undo_move(d);
		return ret;
	}
	pr_info("%s: its own DMA moved to HWPT %u on the IOAS, which takes PASIDs", d->name,
		hwpt);
	return 0;
}

static int check_opts(const struct vfiox_device *d, const struct vfiox_pasid_opts *opts)
{
	int ret = VFIOX_OPTS_CHECK(opts, vfiox_pasid_opts);

	if (!ret && VFIOX_OPTS_HAS(opts, flags) && opts->flags & ~VFIOX_PASID_REPLACE) {
		pr_err("%s: attach_pasid: flags 0x%x: unknown to this libvfiox", d->name,
		       opts->flags & ~VFIOX_PASID_REPLACE);
		ret = -E2BIG;
	}
	return ret;
}

/* The attach itself, once the device's own DMA lets PASIDs attach. */
static int attach(struct vfiox_device *d, uint32_t pasid,
		  const struct vfiox_pasid_opts *opts, bool replace, uint32_t *hwpt)
{
	struct vfiox_container *c = d->group->container;
	uint32_t pt, got, *grown;
	int ret;

	pt = VFIOX_OPTS_HAS(opts, pt_id) && opts->pt_id ? opts->pt_id :
	     c->iopf_hwpt ? c->iopf_hwpt : vfiox_iommufd_home(d);
	grown = realloc(d->att_pasids, (d->nr_att_pasids + 1) * sizeof(*grown));
	if (!grown) {
		pr_err("%s: attach_pasid: no memory", d->name);
		return -ENOMEM;
	}
	d->att_pasids = grown;
	ret = vfiox_iommufd_pasid_attach(d, pasid, pt, &got);
	if (ret < 0 && vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	if (ret) {
		log_refusal(d, pasid, pt, ret);
		return ret;
	}
	if (!replace)
		d->att_pasids[d->nr_att_pasids++] = pasid;
	if (hwpt)
		*hwpt = got;
	return 0;
}

VFIOX_API int vfiox_device_attach_pasid(struct vfiox_device *d, uint32_t pasid,
					const struct vfiox_pasid_opts *opts,
					uint32_t *hwpt)
{
	struct vfiox_container *c;
	bool replace, moved;
	int ret;

	if (!d) {
		pr_err("attach_pasid: NULL device");
		return -EINVAL;
	}
	c = d->group->container;
	ret = check_opts(d, opts);
	if (ret)
		return ret;
	replace = VFIOX_OPTS_HAS(opts, flags) && opts->flags & VFIOX_PASID_REPLACE &&
		  find(d, pasid) >= 0;
	ret = replace ? check(d, pasid, false) : check(d, pasid, true);
	if (ret)
		return ret;
	moved = !c->iopf_hwpt && vfiox_iommufd_home(d) == c->ioas;
	ret = make_pasid_ready(d);
	if (ret)
		return vfiox_device_gone(d) ? vfiox_device_check_live(d) : ret;
	ret = attach(d, pasid, opts, replace, hwpt);
	if (ret && moved && !vfiox_device_gone(d))
		undo_move(d);
	return ret;
}

VFIOX_API int vfiox_device_detach_pasid(struct vfiox_device *d, uint32_t pasid)
{
	int ret, i;

	if (!d) {
		pr_err("detach_pasid: NULL device");
		return -EINVAL;
	}
	ret = check(d, pasid, false);
	if (ret)
		return ret;
	ret = vfiox_iommufd_pasid_detach(d, pasid);
	if (ret < 0 && vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	if (ret)
		return ret;
	i = find(d, pasid);
	d->att_pasids[i] = d->att_pasids[--d->nr_att_pasids];
	return 0;
}

void vfiox_pasid_detach_all(struct vfiox_device *d)
{
	/* A released device's file is dead: the kernel detached them. */
	while (d->nr_att_pasids) {
		uint32_t pasid = d->att_pasids[--d->nr_att_pasids];

		if (!vfiox_device_gone(d) && vfiox_iommufd_pasid_detach(d, pasid))
			pr_err("%s: PASID %u goes with the device file", d->name, pasid);
	}
	free(d->att_pasids);
	d->att_pasids = NULL;
}

void vfiox_pasid_drop_home(struct vfiox_device *d)
{
	struct vfiox_device *s;

	if (!d->home_hwpt)
		return;
	/* A device of the group opened since is on it: it keeps it. */
	for (s = d->group->devices; s; s = s->next)
		if (s != d && !vfiox_device_gone(s) && s->hwpt == d->home_hwpt) {
			s->home_hwpt = d->home_hwpt;
			d->home_hwpt = 0;
			return;
		}
	if (vfiox_iommufd_destroy(d->group->container, d->home_hwpt))
		pr_err("%s: its PASID-capable HWPT %u stays until the container closes", d->name,
		       d->home_hwpt);
	d->home_hwpt = 0;
}
