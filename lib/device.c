// SPDX-License-Identifier: MIT
#define LOG_PREFIX "device"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* More indexes than any VFIO bus driver defines: treat as corruption. */
#define MAX_INDEXES 256

static int check_name(const char *name, const char *token)
{
	size_t len = name ? strlen(name) : 0;
	size_t i;

	if (!len || len >= sizeof(((struct vfiox_device *)0)->name)) {
		pr_err("device name is empty or longer than 63 bytes");
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (!isgraph((unsigned char)name[i])) {
			pr_err("device name '%s' holds a space or control character",
			       name);
			return -EINVAL;
		}
	}
	if (token && vfiox_uuid_parse(token, NULL)) {
		pr_err("%s: VF token is not a UUID", name);
		return -EINVAL;
	}
	return 0;
}

static int read_device_info(struct vfiox_device *d)
{
	struct vfio_device_info init = { 0 }, *info;
	int ret;

	ret = vfiox_info_ioctl(d->group->container->env.sys, d->fd,
			       VFIO_DEVICE_GET_INFO, &init, sizeof(init),
			       (void **)&info);
	if (ret) {
		pr_err("%s: VFIO_DEVICE_GET_INFO: %s", d->name, ERRSTR(ret));
		return ret;
	}
	d->info.sz = sizeof(d->info);
	d->info.flags = info->flags;
	d->info.num_regions = info->num_regions;
	d->info.num_irqs = info->num_irqs;
	free(info);
	if (d->info.num_regions > MAX_INDEXES || d->info.num_irqs > MAX_INDEXES) {
		pr_err("%s: kernel reports %u regions and %u IRQ indexes",
		       d->name, d->info.num_regions, d->info.num_irqs);
		return -EPROTO;
	}
	return 0;
}

static int read_irq_info(struct vfiox_device *d, uint32_t index)
{
	struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = index };
	int ret;

	ret = d->group->container->env.sys->ioctl(d->fd,
						  VFIO_DEVICE_GET_IRQ_INFO,
						  &irq);
	d->irqs[index].info.sz = sizeof(struct vfiox_irq_info);
	d->irqs[index].info.index = index;
	if (ret == -EINVAL) {
		/* vfio-pci answers EINVAL for an index the device lacks (ERR). */
		pr_debug("%s: IRQ index %u is absent", d->name, index);
		return 0;
	}
	if (ret < 0) {
		pr_err("%s: VFIO_DEVICE_GET_IRQ_INFO(%u): %s", d->name, index,
		       ERRSTR(ret));
		return ret;
	}
	d->irqs[index].info.flags = irq.flags;
	d->irqs[index].info.count = irq.count;
	return 0;
}

static int read_all_info(struct vfiox_device *d)
{
	uint32_t i;
	int ret;

	ret = read_device_info(d);
	if (ret)
		return ret;
	d->regions = calloc(d->info.num_regions + 1, sizeof(*d->regions));
	d->irqs = calloc(d->info.num_irqs + 1, sizeof(*d->irqs));
	if (!d->regions || !d->irqs)
		return -ENOMEM;
	for (i = 0; i < d->info.num_regions; i++) {
		ret = vfiox_region_read_info(d, i);
		if (ret)
			return ret;
	}
	for (i = 0; i < d->info.num_irqs; i++) {
		ret = read_irq_info(d, i);
		if (ret)
			return ret;
	}
	return 0;
}

static void free_device(struct vfiox_device *d)
{
	uint32_t i;

	if (d->regions)
		for (i = 0; i < d->info.num_regions; i++)
			free(d->regions[i].sparse);
	free(d->regions);
	free(d->irqs);
	free(d->pasids);	/* the kernel drops the bonds with the fd */
	free(d->att_pasids);
	if (d->dmabuf_epoch)	/* its exports' holders keep it */
		vfiox_dmabuf_epoch_put(d->dmabuf_epoch);
	pthread_mutex_destroy(&d->map_lock);
	free(d);
}

static struct vfiox_device *find_device(struct vfiox_group *g, const char *name)
{
	struct vfiox_device *d;

	for (d = g->devices; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

static int get_device_fd(struct vfiox_device *d, const char *token)
{
	const struct vfiox_sys *sys = d->group->container->env.sys;
	char arg[128];
	int fd;

	if (token)
		snprintf(arg, sizeof(arg), "%s vf_token=%s", d->name, token);
	else
		snprintf(arg, sizeof(arg), "%s", d->name);
	fd = sys->ioctl(d->group->fd, VFIO_GROUP_GET_DEVICE_FD, arg);
	if (fd == -EACCES && token)
		pr_err("group %d: %s refused the VF token: it is not the one set on the PF",
		       d->group->nr, d->name);
	else if (fd == -EACCES)
		pr_err("group %d: %s needs a VF token (vfiox_device_opts.vf_token): it is "
		       "a VF whose PF is on vfio-pci, or a PF whose VFs are in use",
		       d->group->nr, d->name);
	else if (fd == -EINVAL && token)
		pr_err("group %d: %s takes no VF token: it is no PF, nor a VF whose PF is "
		       "on vfio-pci", d->group->nr, d->name);
	else if (fd < 0)
		pr_err("group %d: VFIO_GROUP_GET_DEVICE_FD(%s%s): %s",
		       d->group->nr, d->name, token ? ", with VF token" : "",
		       ERRSTR(fd));
	return fd;
}

/* A device object named @name in @g, without its fd yet. */
static int device_new(struct vfiox_group *g, const char *name,
		      const struct vfiox_device_opts *opts, const char *token,
		      struct vfiox_device **out)
{
	struct vfiox_device *d;
	int ret;

	ret = VFIOX_OPTS_CHECK(opts, vfiox_device_opts);
	if (ret)
		return ret;
	ret = check_name(name, token);
	if (ret)
		return ret;
	if (find_device(g, name)) {
		pr_err("%s is already open", name);
		return -EEXIST;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		pr_err("%s: no memory", name);
		return -ENOMEM;
	}
	d->group = g;
	pthread_mutex_init(&d->map_lock, NULL);
	strcpy(d->name, name);
	d->fd = -1;
	d->req_fd = -1;
	d->req_fn = VFIOX_OPTS_HAS(opts, req_fn) ? opts->req_fn : NULL;
	d->req_arg = VFIOX_OPTS_HAS(opts, req_arg) ? opts->req_arg : NULL;
	*out = d;
	return 0;
}

/*
 * Read @d's info and listen for its request, then link it into its group;
 * on failure undo both and free @d, leaving its fd open.
 */
static int device_start(struct vfiox_device *d, struct vfiox_device **out)
{
	int ret = read_all_info(d);

	if (!ret)
		ret = vfiox_req_watch(d);
	if (ret) {
		vfiox_req_unwatch(d);
		if (d->irqs && d->req_fd >= 0)
			vfiox_irq_disable(d, VFIO_PCI_REQ_IRQ_INDEX);
		free_device(d);
		return ret;
	}
	d->next = d->group->devices;
	d->group->devices = d;
	*out = d;
	return 0;
}

/*
 * iommufd: the device's cdev, bound and attached to the IOAS, which may
 * narrow its IOVA ranges: they are read again before the device is used,
 * and after it left on a failure.
 */
static int open_cdev(struct vfiox_device *d, const char *token,
		     struct vfiox_device **out)
{
	struct vfiox_container *c = d->group->container;
	bool first = !c->iommu_type;	/* the IOAS's first device */
	uint8_t uuid[16];
	int fd, ret;

	if (token)	/* checked by device_new() */
		vfiox_uuid_parse(token, uuid);
	d->fd = vfiox_iommufd_device_open(d, token ? uuid : NULL);
	if (d->fd < 0) {
		ret = d->fd;
		free_device(d);
		return ret;
	}
	c->ioas_devices++;
	ret = vfiox_container_on_attach(c);
	fd = d->fd;
	if (ret)
		free_device(d);
	else
		ret = device_start(d, out);	/* frees @d on failure */
	if (ret) {
		c->env.sys->close(fd);
		c->ioas_devices--;
		if (first)	/* no IOMMU info without a device, as before */
			vfiox_container_forget_iommu(c);
		else
			vfiox_container_on_detach(c);
	}
	return ret;
}

VFIOX_API int vfiox_device_open(struct vfiox_group *g, const char *name,
				const struct vfiox_device_opts *opts,
				struct vfiox_device **out)
{
	const char *token = VFIOX_OPTS_HAS(opts, vf_token) ? opts->vf_token : NULL;
	struct vfiox_device *d;
	int fd, ret;

	if (!g || !out) {
		pr_err("open: NULL group or out pointer");
		return -EINVAL;
	}
	ret = device_new(g, name, opts, token, &d);
	if (ret)
		return ret;
	if (vfiox_is_iommufd(g->container))
		return open_cdev(d, token, out);
	fd = get_device_fd(d, token);
	if (fd < 0) {
		free_device(d);
		return fd;
	}
	d->fd = fd;
	ret = device_start(d, out);
	if (ret)
		g->container->env.sys->close(fd);
	return ret;
}

VFIOX_API int vfiox_device_adopt(struct vfiox_group *g, int fd, const char *name,
				 const struct vfiox_device_opts *opts,
				 struct vfiox_device **out)
{
	struct vfiox_device *d = NULL;
	int ret;

	if (!g || fd < 0 || !out) {
		pr_err("adopt: NULL group or out pointer, or bad fd %d", fd);
		return -EINVAL;
	}
	if (VFIOX_OPTS_HAS(opts, vf_token) && opts->vf_token) {
		pr_err("adopt %s: a VF token is given when the fd is got, not after",
		       name ? name : "(null)");
		return -EINVAL;
	}
	if (vfiox_container_holds_fd(g->container, fd)) {
		pr_err("adopt %s: fd %d is already libvfiox's on this container",
		       name ? name : "(null)", fd);
		return -EEXIST;
	}
	ret = vfiox_backend_legacy_only(g->container, "vfiox_device_adopt()");
	if (ret)
		return ret;
	ret = device_new(g, name, opts, NULL, &d);
	if (!ret)
		ret = vfiox_check_device_fd(&g->container->env, fd, name, g->nr);
	if (ret) {
		if (d)
			free_device(d);
		return ret;
	}
	d->fd = fd;
	return device_start(d, out);	/* on failure the fd stays the caller's */
}

VFIOX_API void vfiox_device_close(struct vfiox_device *d)
{
	struct vfiox_container *c;
	struct vfiox_device **pp;
	bool iommufd;
	uint32_t i;

	if (!d)
		return;
	c = d->group->container;
	iommufd = vfiox_is_iommufd(c);
	vfiox_req_unwatch(d);
	for (pp = &d->group->devices; *pp != d; pp = &(*pp)->next)
		;
	*pp = d->next;
	for (i = 0; i < d->info.num_regions; i++)
		if (d->regions[i].map)
			vfiox_region_munmap(d, i);
	for (i = 0; i < d->info.num_irqs; i++)
		if (d->irqs[i].enabled)
			vfiox_irq_disable(d, i);
	if (iommufd)
		vfiox_pasid_detach_all(d);
	/*
	 * Released or not, the number is still ours (lib/req.c). Once it is
	 * closed, an unbind waiting for it returns, and a caller's request
	 * handler running here may find its other threads closing the group
	 * and the container: on legacy nothing but @d is touched after this.
	 * On iommufd the IOAS widens now (the device left it), so the
	 * container's ranges are read again; a handler must not close a
	 * device of an iommufd container another thread is closing.
	 */
	c->env.sys->close(d->fd);
	vfiox_dmabuf_revoke_all(d, "closed");
	if (iommufd) {
		vfiox_pasid_drop_home(d);
		c->ioas_devices--;
		vfiox_container_on_detach(c);
	}
	free_device(d);
}

VFIOX_API int vfiox_device_released(const struct vfiox_device *d)
{
	return d ? vfiox_device_gone(d) : -EINVAL;
}

void vfiox_device_close_all(struct vfiox_group *g)
{
	while (g->devices)
		vfiox_device_close(g->devices);
}

VFIOX_API int vfiox_device_fd(const struct vfiox_device *d)
{
	if (!d)
		return -EINVAL;
	return vfiox_device_gone(d) ? vfiox_device_check_live(d) : d->fd;
}

VFIOX_API const char *vfiox_device_name(const struct vfiox_device *d)
{
	return d ? d->name : NULL;
}

VFIOX_API int vfiox_device_info(const struct vfiox_device *d,
				struct vfiox_device_info *info)
{
	if (!d || !info)
		return -EINVAL;
	return VFIOX_COPY_OUT(info, &d->info, vfiox_device_info);
}

VFIOX_API int vfiox_device_irq_info(const struct vfiox_device *d,
				    uint32_t index, struct vfiox_irq_info *info)
{
	if (!d || !info)
		return -EINVAL;
	if (index >= d->info.num_irqs) {
		pr_err("%s: IRQ index %u, the device has %u", d->name, index,
		       d->info.num_irqs);
		return -EINVAL;
	}
	return VFIOX_COPY_OUT(info, &d->irqs[index].info, vfiox_irq_info);
}

VFIOX_API int vfiox_device_reset(struct vfiox_device *d)
{
	int ret;

	if (!d)
		return -EINVAL;
	if (vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	if (!(d->info.flags & VFIO_DEVICE_FLAGS_RESET)) {
		pr_err("%s: device does not advertise reset", d->name);
		return -ENOTSUP;
	}
	ret = d->group->container->env.sys->ioctl(d->fd, VFIO_DEVICE_RESET,
						  NULL);
	/* vfio-pci revokes the dma-bufs before it tries the reset. */
	vfiox_dmabuf_revoke_all(d, "reset");
	if (ret < 0 && vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	if (ret < 0)
		pr_err("%s: VFIO_DEVICE_RESET: %s", d->name, ERRSTR(ret));
	return ret < 0 ? ret : 0;
}

int vfiox_device_check_live(const struct vfiox_device *d)
{
	if (!vfiox_device_gone(d))
		return 0;
	pr_err("%s was given back to the kernel on its request; close it", d->name);
	return -ENODEV;
}
