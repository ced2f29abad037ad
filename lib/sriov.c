// SPDX-License-Identifier: MIT
/*
 * SR-IOV for a PF on vfio-pci: the VF token (a device feature of the PF)
 * and the VF count (sysfs). Every kernel access goes through the seam.
 */
#define LOG_PREFIX "sriov"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/vfio.h>

#include "internal.h"

VFIOX_API int vfiox_device_set_vf_token(struct vfiox_device *pf, const char *uuid)
{
	/* The header, then the 16 bytes of the UUID as its data[]. */
	uint64_t buf[(sizeof(struct vfio_device_feature) + 16 + 7) / 8] = { 0 };
	struct vfio_device_feature *feat = (struct vfio_device_feature *)buf;
	int ret;

	if (!pf)
		return -EINVAL;
	if (vfiox_device_gone(pf))
		return vfiox_device_check_live(pf);
	if (vfiox_uuid_parse(uuid, feat->data)) {
		pr_err("%s: VF token '%.40s' is not a UUID", pf->name, uuid ? uuid : "(null)");
		return -EINVAL;
	}
	feat->argsz = sizeof(*feat) + 16;
	feat->flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
	ret = pf->group->container->env.sys->ioctl(pf->fd, VFIO_DEVICE_FEATURE, feat);
	if (ret == -ENOTTY)
		pr_err("%s: cannot take a VF token: not an SR-IOV PF on vfio-pci", pf->name);
	else if (ret < 0)
		pr_err("%s: VFIO_DEVICE_FEATURE(PCI_VF_TOKEN): %s", pf->name, ERRSTR(ret));
	return ret < 0 ? ret : 0;
}

struct pf {
	const struct vfiox_sys *sys;
	char bdf[16];
	char dir[VFIOX_PATH_MAX + 64];
};

static int pf_init(struct pf *p, const struct vfiox_sys *sys, const char *bdf,
		   const struct vfiox_bind_opts *opts)
{
	const char *root = VFIOX_OPTS_HAS(opts, sysfs_root) && opts->sysfs_root ?
			   opts->sysfs_root : "/sys";
	struct vfiox_pci_addr addr;
	int ret = VFIOX_OPTS_CHECK(opts, vfiox_bind_opts);

	if (ret)
		return ret;
	if (strlen(root) >= VFIOX_PATH_MAX) {
		pr_err("sysfs root too long");
		return -EINVAL;
	}
	if (vfiox_pci_parse_addr(bdf, &addr))
		return -EINVAL;
	p->sys = sys;
	vfiox_pci_format_addr(&addr, p->bdf, sizeof(p->bdf));
	snprintf(p->dir, sizeof(p->dir), "%s/bus/pci/devices/%s", root, p->bdf);
	return 0;
}

/* An integer sysfs attribute of the PF. */
static int read_count(const struct pf *p, const char *attr)
{
	char path[sizeof(p->dir) + 32], buf[32], *end;
	long v;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", p->dir, attr);
	n = vfiox_sys_read_file(p->sys, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	v = strtol(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || v < 0 || v > 0xffff) {
		pr_err("%s: %s holds '%.20s', not a count", p->bdf, attr, buf);
		return -EIO;
	}
	return (int)v;
}

/* sriov_totalvfs, or why there is none. */
static int total_vfs(const struct pf *p)
{
	char path[sizeof(p->dir) + 32], buf[16];
	int ret = read_count(p, "sriov_totalvfs");

	if (ret != -ENOENT)
		return ret;
	snprintf(path, sizeof(path), "%s/vendor", p->dir);
	if (vfiox_sys_read_file(p->sys, path, buf, sizeof(buf)) < 0) {
		pr_err("%s: no such PCI device", p->bdf);
		return -ENODEV;
	}
	pr_err("%s: not an SR-IOV PF (no SR-IOV capability)", p->bdf);
	return -EOPNOTSUPP;
}

/* The kernel's ENOENT from sriov_numvfs means the driver cannot do it. */
static int explain_write_error(const struct pf *p, int nr, int err)
{
	char path[sizeof(p->dir) + 16], drv[64] = "";

	if (err != -ENOENT) {
		pr_err("%s: writing %d to sriov_numvfs: %s", p->bdf, nr, ERRSTR(err));
		return err;
	}
	snprintf(path, sizeof(path), "%s/driver", p->dir);
	vfiox_sys_link_name(p->sys, path, drv, sizeof(drv));
	if (!drv[0])
		pr_err("%s: no driver bound; the PF's driver creates VFs (bind it to vfio-pci)",
		       p->bdf);
	else if (!strcmp(drv, "vfio-pci"))
		pr_err("%s: vfio-pci refuses to create VFs; load it with enable_sriov=1",
		       p->bdf);
	else
		pr_err("%s: its driver %s cannot create VFs through sysfs", p->bdf, drv);
	return -EOPNOTSUPP;
}

static int write_count(const struct pf *p, int nr)
{
	char path[sizeof(p->dir) + 16], text[16];
	int ret;

	snprintf(path, sizeof(path), "%s/sriov_numvfs", p->dir);
	snprintf(text, sizeof(text), "%d", nr);
	ret = vfiox_sys_write_file(p->sys, path, text);
	return ret < 0 ? explain_write_error(p, nr, ret) : 0;
}

/*
 * With the PF on vfio-pci the kernel moves every new VF to vfio-pci too;
 * one that did not get there cannot be opened, so say so now, and why
 * when the reason is the usual one: the IOMMU does not cover the VF.
 */
static void check_vfs_bound(const struct pf *p, int nr)
{
	char path[sizeof(p->dir) + 64], drv[64] = "", vf[64], grp[16];
	int i;

	snprintf(path, sizeof(path), "%s/driver", p->dir);
	if (vfiox_sys_link_name(p->sys, path, drv, sizeof(drv)) || strcmp(drv, "vfio-pci"))
		return;
	for (i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), "%s/virtfn%d/driver", p->dir, i);
		drv[0] = '\0';
		if (!vfiox_sys_link_name(p->sys, path, drv, sizeof(drv)) &&
		    !strcmp(drv, "vfio-pci"))
			continue;
		snprintf(path, sizeof(path), "%s/virtfn%d", p->dir, i);
		if (vfiox_sys_link_name(p->sys, path, vf, sizeof(vf)))
			snprintf(vf, sizeof(vf), "VF %d", i);
		snprintf(path, sizeof(path), "%s/virtfn%d/iommu_group", p->dir, i);
		if (vfiox_sys_link_name(p->sys, path, grp, sizeof(grp)))
			pr_warn("%s: %s is not on vfio-pci: it has no IOMMU group (the "
				"IOMMU does not cover it)", p->bdf, vf);
		else
			pr_warn("%s: %s is on '%s', not vfio-pci", p->bdf, vf, drv);
	}
}

int vfiox_pci_sriov_enable_sys(const struct vfiox_sys *sys, const char *bdf, int nr,
			       const struct vfiox_bind_opts *opts)
{
	struct pf p;
	int total, now, ret = pf_init(&p, sys, bdf, opts);

	if (ret)
		return ret;
	total = total_vfs(&p);
	if (total < 0)
		return total;
	if (nr < 1 || nr > total) {
		pr_err("%s: %d VFs asked for; this PF has 1 to %d", p.bdf, nr, total);
		return -EINVAL;
	}
	now = read_count(&p, "sriov_numvfs");
	if (now < 0 || now == nr)
		return now;
	if (now) {
		pr_err("%s: %d VFs are enabled; disable them before asking for %d",
		       p.bdf, now, nr);
		return -EBUSY;
	}
	ret = write_count(&p, nr);
	if (ret)
		return ret;
	check_vfs_bound(&p, nr);
	return nr;
}

int vfiox_pci_sriov_disable_sys(const struct vfiox_sys *sys, const char *bdf,
				const struct vfiox_bind_opts *opts)
{
	struct pf p;
	int now, ret = pf_init(&p, sys, bdf, opts);

	if (!ret)
		ret = total_vfs(&p);
	if (ret < 0)
		return ret;
	now = read_count(&p, "sriov_numvfs");
	if (now <= 0)
		return now;
	return write_count(&p, 0);
}

int vfiox_pci_sriov_vf_sys(const struct vfiox_sys *sys, const char *bdf, int index,
			   char *out, size_t len, const struct vfiox_bind_opts *opts)
{
	char path[VFIOX_PATH_MAX + 128], vf[64];
	struct vfiox_pci_addr addr;
	struct pf p;
	int ret = pf_init(&p, sys, bdf, opts);

	if (ret)
		return ret;
	if (index < 0 || !out || len < 13) {
		pr_err("%s: VF index %d or output buffer invalid", p.bdf, index);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/virtfn%d", p.dir, index);
	ret = vfiox_sys_link_name(sys, path, vf, sizeof(vf));
	if (ret == -ENOENT)
		pr_err("%s: has no VF %d", p.bdf, index);
	else if (!ret && vfiox_pci_parse_addr(vf, &addr))
		ret = -EIO;
	return ret ? ret : vfiox_pci_format_addr(&addr, out, len);
}

VFIOX_API int vfiox_pci_sriov_enable(const char *pf, int nr_vfs,
				     const struct vfiox_bind_opts *opts)
{
	return vfiox_pci_sriov_enable_sys(&vfiox_sys_real, pf, nr_vfs, opts);
}

VFIOX_API int vfiox_pci_sriov_disable(const char *pf, const struct vfiox_bind_opts *opts)
{
	return vfiox_pci_sriov_disable_sys(&vfiox_sys_real, pf, opts);
}

VFIOX_API int vfiox_pci_sriov_vf(const char *pf, int index, char *bdf, size_t len,
				 const struct vfiox_bind_opts *opts)
{
	return vfiox_pci_sriov_vf_sys(&vfiox_sys_real, pf, index, bdf, len, opts);
}
