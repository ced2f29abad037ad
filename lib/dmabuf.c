// SPDX-License-Identifier: MIT
/*
 * A device's dma-bufs (vfio-pci, Linux 6.19+): part of a BAR exported as a
 * dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF), and the epoch the exports belong
 * to. vfio-pci revokes every dma-buf of a device when the device is closed
 * (the last fd), reset, or has its memory disabled (Memory Space Enable
 * clear, D3, low power); an importer that honours the revocation, as
 * iommufd does, drops its mapping for good, even when the device's memory
 * comes back. The kernel tells userspace nothing, so an epoch records what
 * libvfiox itself saw: its own close, reset and release of the device end
 * the epoch, and every export made in it is revoked. Exports taken after
 * start a new one. Epochs are shared with their holders (P2P records) and
 * freed by the last one, so the device may go first.
 */
#define LOG_PREFIX "dmabuf"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "uapi_iommufd.h"

struct vfiox_dmabuf_epoch {
	atomic_int refs;
	atomic_bool revoked;
};

/* VFIO_DEVICE_FEATURE_PROBE: does @d export dma-bufs? 0, or -EOPNOTSUPP
 * (logged with the way out) where the kernel or the driver has none. */
static int probe(struct vfiox_device *d)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			 VFIOX_VFIO_DEVICE_FEATURE_DMA_BUF,
	};
	int ret = d->group->container->env.sys->ioctl(d->fd, VFIO_DEVICE_FEATURE, &f);

	if (ret == -ENOTTY || ret == -EOPNOTSUPP || ret == -EINVAL) {
		pr_err("%s: no dma-buf export (VFIO_DEVICE_FEATURE_DMA_BUF: %s): P2P on iommufd needs vfio-pci of Linux 6.19 or newer with CONFIG_VFIO_PCI_DMABUF; on this kernel use the legacy backend (VFIOX_BACKEND=legacy)",
		       d->name, ERRSTR(ret));
		return -EOPNOTSUPP;
	}
	if (ret < 0)
		pr_err("%s: VFIO_DEVICE_FEATURE_DMA_BUF (probe): %s", d->name, ERRSTR(ret));
	return ret < 0 ? ret : 0;
}

/* The feature header, the dma-buf request and its one range, in a row. */
#define EXPORT_SZ (sizeof(struct vfio_device_feature) +			\
		   sizeof(struct vfiox_vfio_device_feature_dma_buf) +	\
		   sizeof(struct vfiox_vfio_region_dma_range))

static int export_ioctl(struct vfiox_device *d, uint32_t index, uint64_t off,
			uint64_t len)
{
	uint64_t buf[(EXPORT_SZ + 7) / 8] = { 0 };
	struct vfio_device_feature *f = (void *)buf;
	struct vfiox_vfio_device_feature_dma_buf *b = (void *)f->data;
	int fd;

	f->argsz = EXPORT_SZ;
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIOX_VFIO_DEVICE_FEATURE_DMA_BUF;
	b->region_index = index;
	b->open_flags = O_RDWR | O_CLOEXEC;
	b->nr_ranges = 1;
	b->dma_ranges[0].offset = off;
	b->dma_ranges[0].length = len;
	fd = d->group->container->env.sys->ioctl(d->fd, VFIO_DEVICE_FEATURE, f);
	if (fd < 0)
		pr_err("%s: VFIO_DEVICE_FEATURE_DMA_BUF of region %u [0x%llx, +0x%llx): %s",
		       d->name, index, (unsigned long long)off,
		       (unsigned long long)len, ERRSTR(fd));
	return fd;
}

/* The current epoch, with a reference for the caller; under map_lock. */
static struct vfiox_dmabuf_epoch *epoch_get_locked(struct vfiox_device *d)
{
	struct vfiox_dmabuf_epoch *e = d->dmabuf_epoch;

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		atomic_init(&e->refs, 1);	/* the device's */
		d->dmabuf_epoch = e;
	}
	atomic_fetch_add(&e->refs, 1);
	return e;
}

int vfiox_dmabuf_export(struct vfiox_device *d, uint32_t index, uint64_t off,
			uint64_t len, int *fd, struct vfiox_dmabuf_epoch **epoch)
{
	int ret = vfiox_device_check_live(d);

	if (!ret)
		ret = probe(d);
	if (ret)
		return ret;
	pthread_mutex_lock(&d->map_lock);
	*epoch = epoch_get_locked(d);
	pthread_mutex_unlock(&d->map_lock);
	if (!*epoch) {
		pr_err("%s: no memory for a dma-buf export's record", d->name);
		return -ENOMEM;
	}
	*fd = export_ioctl(d, index, off, len);
	if (*fd >= 0)
		return 0;
	ret = *fd;
	*fd = -1;
	vfiox_dmabuf_epoch_put(*epoch);
	*epoch = NULL;
	return ret;
}

void vfiox_dmabuf_epoch_put(struct vfiox_dmabuf_epoch *e)
{
	if (e && atomic_fetch_sub(&e->refs, 1) == 1)
		free(e);
}

bool vfiox_dmabuf_epoch_revoked(const struct vfiox_dmabuf_epoch *e)
{
	return atomic_load(&((struct vfiox_dmabuf_epoch *)e)->revoked);
}

void vfiox_dmabuf_revoke_all(struct vfiox_device *d, const char *why)
{
	struct vfiox_dmabuf_epoch *e;

	pthread_mutex_lock(&d->map_lock);
	e = d->dmabuf_epoch;
	d->dmabuf_epoch = NULL;
	pthread_mutex_unlock(&d->map_lock);
	if (!e)
		return;
	atomic_store(&e->revoked, true);
	if (atomic_load(&e->refs) > 1)
		pr_info("%s: %s: the kernel revoked the device's dma-bufs, and their P2P mappings stop for good",
			d->name, why);
	vfiox_dmabuf_epoch_put(e);
}
