/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_P2P_H
#define VFIOX_P2P_H

#include <vfiox/version.h>

#include <stdint.h>
#include <vfiox/device.h>
#include <vfiox/dma.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Peer-to-peer DMA: part of a device region (a PCI BAR) mapped into a
 * container, the device's own or another one, so that another device can
 * DMA into it. The region is mmapped through vfiox_region_mmap() and the
 * mapping is an ordinary DMA mapping of that range: it shows in
 * vfiox_dma_translate() and vfiox_dma_stats() and is removed with
 * vfiox_p2p_unmap() or vfiox_dma_unmap_iova(). Threads (docs/threads.md):
 * like the DMA calls, from any number of threads at once.
 *
 * Lifetime: on a stock kernel the IOMMU keeps the mapping after the owning
 * device is closed, so DMA may reach memory that now belongs to someone
 * else; unmap before closing the device. With the kernel-patches/ series
 * the kernel removes it from every container when the device is released;
 * vfiox_p2p_revocable() tells which kernel this is, and an event source
 * (vfiox/events.h) watching the container drops the mapping from libvfiox's
 * table too and marks it VFIOX_P2P_REVOKED in vfiox_p2p_list(). The series
 * also takes the mapping out of the IOMMU while the owning device, still
 * open, is reset or has its memory disabled (Memory Space Enable clear, D3,
 * low power) and maps it again, to the same memory, after: DMA meanwhile
 * faults in the IOMMU, and the mapping needs nothing from its holder. No
 * event says so; libvfiox's table does not change.
 *
 * On an iommufd container (docs/iommufd.md) the range is exported as a
 * vfio-pci dma-buf and mapped with IOMMU_IOAS_MAP_FILE (Linux 6.19+). The
 * kernel revokes it, for good and telling nobody, when the owning device
 * is closed, reset or has its memory disabled; the mapping then stays in
 * the IOAS and in libvfiox's table until unmapped. vfiox_p2p_list() marks
 * it VFIOX_P2P_REVOKED when libvfiox itself closed, reset or released the
 * device; it cannot see the rest.
 */

/**
 * vfiox_p2p_map() - map [@offset, @offset + @len) of region @index of @d
 * into @c at an IOVA libvfiox chooses.
 * @c: container
 * @d: the device whose region is mapped
 * @index: the region index (VFIO_PCI_BAR0_REGION_INDEX, ...)
 * @offset: start of the mapped part in the region
 * @len: its length
 * @opts: NULL or constraints, as for vfiox_dma_map()
 * @iova: receives the IOVA
 *
 * The range must lie inside one mmap-able area of the region (the sparse
 * areas, or the whole region without a sparse capability), page aligned.
 * Return: 0; -EINVAL (bad index or range, with a message naming the
 * areas); -ENOTSUP when the region cannot be mmapped; on iommufd
 * -EOPNOTSUPP where vfio-pci cannot export a dma-buf or iommufd cannot map
 * it (before Linux 6.19); as vfiox_dma_map() otherwise. On a patched kernel with strict_devmem, memory that is not a
 * vfio device's is refused by the kernel with -EPERM.
 */
VFIOX_API int vfiox_p2p_map(struct vfiox_container *c, struct vfiox_device *d,
			    uint32_t index, uint64_t offset, uint64_t len,
			    const struct vfiox_dma_opts *opts, uint64_t *iova);

/**
 * vfiox_p2p_map_fixed() - as vfiox_p2p_map(), at IOVA @iova.
 * @c: container
 * @d: the device whose region is mapped
 * @index: the region index (VFIO_PCI_BAR0_REGION_INDEX, ...)
 * @offset: start of the mapped part in the region
 * @len: its length
 * @iova: the IOVA to map it at
 * @opts: as vfiox_dma_map_fixed()
 */
VFIOX_API int vfiox_p2p_map_fixed(struct vfiox_container *c,
				  struct vfiox_device *d, uint32_t index,
				  uint64_t offset, uint64_t len, uint64_t iova,
				  const struct vfiox_dma_opts *opts);

/**
 * vfiox_p2p_unmap() - remove the P2P mapping at [@iova, @iova + @len).
 * @c: container
 * @iova: start of the P2P mapping
 * @len: its length
 *
 * A mapping the kernel already revoked (see vfiox/events.h) only leaves
 * the list: its IOVA went back to the allocator when the event arrived.
 * Return: 0; -ENOENT when no P2P mapping starts at @iova; -EINVAL when
 * @len is not its length; as vfiox_dma_unmap_iova() otherwise.
 */
VFIOX_API int vfiox_p2p_unmap(struct vfiox_container *c, uint64_t iova,
			      uint64_t len);

#define VFIOX_P2P_REVOKED	(1u << 0)	/* the kernel removed it */

/**
 * struct vfiox_p2p_mapping - one P2P mapping of a container.
 * @device: the device whose region is mapped (its name, a PCI address)
 * @index: the region index
 * @offset: start of the mapped part in the region
 * @len: its length
 * @iova: where the container maps it
 * @flags: VFIOX_P2P_REVOKED
 *
 * First published size: up to @iova. vfiox_p2p_list_sized() fills arrays of
 * it with the caller's element size (see vfiox.h).
 */
struct vfiox_p2p_mapping {
	char device[64];
	uint32_t index;
	uint32_t flags;
	uint64_t offset;
	uint64_t len;
	uint64_t iova;
};

/**
 * vfiox_p2p_list_sized() - the P2P mappings of @c, newest first.
 * @c: container
 * @out: room for @n entries of @elem_sz bytes (may be NULL when @n is 0)
 * @n: entries in @out
 * @elem_sz: sizeof(struct vfiox_p2p_mapping) as the caller was built
 * Return: the number of P2P mappings (may exceed @n: call again with a
 * larger array), or -EINVAL (also for @elem_sz below the first published
 * size).
 */
VFIOX_API int vfiox_p2p_list_sized(struct vfiox_container *c, void *out,
				   uint32_t n, size_t elem_sz);

/* As vfiox_p2p_list_sized(), with this header's sizeof. */
static inline int vfiox_p2p_list(struct vfiox_container *c,
				 struct vfiox_p2p_mapping *out, uint32_t n)
{
	return vfiox_p2p_list_sized(c, out, n, sizeof(*out));
}

/**
 * vfiox_p2p_revocable() - does the kernel remove P2P mappings when their
 * device is released (the kernel-patches/ series, or iommufd)?
 * @c: container, with a group attached (iommufd: any)
 * Return: 1 yes (always on iommufd: its P2P mappings are dma-bufs), 0 no
 * (stock type1), negative errno on failure.
 */
VFIOX_API int vfiox_p2p_revocable(struct vfiox_container *c);

#ifdef __cplusplus
}
#endif

#endif
