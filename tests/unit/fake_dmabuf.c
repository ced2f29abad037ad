// SPDX-License-Identifier: MIT
/*
 * vfio-pci's dma-bufs in the fake kernel, as Linux 7.2 has them: a GET of
 * VFIO_DEVICE_FEATURE_DMA_BUF exports one page-aligned range of a BAR as a
 * dma-buf fd; IOMMU_IOAS_MAP_FILE maps it into an IOAS; the device's
 * close (its last fd) or reset revokes every dma-buf it exported, and an
 * IOAS mapping of a revoked one stays, revoked, until it is unmapped (no
 * notification). Called from fake_kernel.c and fake_iommufd.c under the
 * fake's lock.
 */
#include <errno.h>
#include <string.h>

#include "fake_kernel.h"
#include "../../lib/uapi_iommufd.h"

static int export(struct fk_device *d, struct vfio_device_feature *f)
{
	struct vfiox_vfio_device_feature_dma_buf *b = (void *)f->data;
	struct vfiox_vfio_region_dma_range *r = b->dma_ranges;
	struct fk_dmabuf *e;
	int fd;

	if (f->argsz < sizeof(*f) + sizeof(*b) || b->flags || !b->nr_ranges ||
	    f->argsz < sizeof(*f) + sizeof(*b) + b->nr_ranges * sizeof(*r))
		return -EINVAL;
	if (b->region_index >= VFIO_PCI_ROM_REGION_INDEX ||
	    b->region_index >= d->nr_regions || !d->regions[b->region_index].size)
		return -ENODEV;
	if (b->nr_ranges != 1 || !r->length || (r->offset | r->length) % 4096 ||
	    r->offset + r->length > d->regions[b->region_index].size)
		return -EINVAL;
	if (fk.nr_dmabufs == FK_MAX_DMABUFS)
		return -ENOMEM;
	e = &fk.dmabufs[fk.nr_dmabufs];
	*e = (struct fk_dmabuf){ d, b->region_index, r->offset, r->length,
				 false, b->open_flags };
	fd = fk_new_fd(FK_FD_DMABUF, e);
	if (fd >= 0)
		fk.nr_dmabufs++;
	return fd;
}

int fk_dmabuf_feature(struct fk_device *d, struct vfio_device_feature *f)
{
	const uint32_t ops = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET;

	if (fk.no_dmabuf)	/* 6.1, or CONFIG_VFIO_PCI_DMABUF off */
		return -ENOTTY;
	if ((f->flags & ops) & ~VFIO_DEVICE_FEATURE_GET)
		return -EINVAL;
	if (f->flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (!(f->flags & VFIO_DEVICE_FEATURE_GET))
		return -EINVAL;
	fk.dmabuf_exports++;
	return export(d, f);
}

void fk_dmabuf_revoke(const struct fk_device *d)
{
	int i, j;

	for (i = 0; i < fk.nr_dmabufs; i++) {
		if (fk.dmabufs[i].dev != d)
			continue;
		fk.dmabufs[i].revoked = true;
		for (j = 0; j < fk.nr_maps; j++)
			if (fk.maps[j].dmabuf == &fk.dmabufs[i])
				fk.maps[j].revoked = true;
	}
}

int fk_dmabuf_map_file(uint32_t ioas, struct vfiox_iommu_ioas_map_file *m)
{
	const uint32_t known = VFIOX_IOMMU_IOAS_MAP_FIXED_IOVA |
			       VFIOX_IOMMU_IOAS_MAP_WRITEABLE |
			       VFIOX_IOMMU_IOAS_MAP_READABLE;
	struct fk_fd *f = fk_get_fd(m->fd);
	struct fk_dmabuf *b;
	int i;

	fk.ioas_map_files++;
	if (fk.no_map_file)	/* iommufd older than 6.13 */
		return -ENOTTY;
	if (m->size < sizeof(*m) || m->flags & ~known)
		return -EOPNOTSUPP;
	if (m->ioas_id != ioas)
		return -ENOENT;
	if (!f)
		return -EBADF;
	if (f->kind != FK_FD_DMABUF)	/* a memfd would do; libvfiox has none */
		return -EINVAL;
	b = f->obj;
	if (b->revoked)
		return -ENODEV;
	if (!(m->flags & VFIOX_IOMMU_IOAS_MAP_FIXED_IOVA) || !m->length ||
	    m->start + m->length > b->len || (m->iova | m->length) % fk.iova_alignment)
		return -EINVAL;
	for (i = 0; i < fk.nr_maps; i++)
		if (m->iova < fk.maps[i].iova + fk.maps[i].size &&
		    fk.maps[i].iova < m->iova + m->length)
			return -EEXIST;
	if (fk.nr_maps == FK_MAX_MAPS)
		return -ENOMEM;
	fk.maps[fk.nr_maps++] = (struct fk_map){ .iova = m->iova, .size = m->length,
						 .flags = m->flags, .dmabuf = b };
	return 0;
}
