/* SPDX-License-Identifier: MIT */
/*
 * The iommufd and VFIO device cdev uAPI libvfiox uses, for building against
 * kernel headers older than Linux 6.6 (Debian bookworm ships 6.1, without
 * linux/iommufd.h or the cdev ioctls in linux/vfio.h). The numbers and
 * layouts are the kernel's ABI; only what libvfiox calls is here, under our
 * own names so that newer system headers cannot clash with it.
 */
#ifndef LIBVFIOX_UAPI_IOMMUFD_H
#define LIBVFIOX_UAPI_IOMMUFD_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/vfio.h>

/* iommufd: every command is _IO(';', 0x80 + n), its struct starts with its size. */
#define VFIOX_IOMMUFD_TYPE		';'
#define VFIOX_IOMMUFD_CMD(n)		_IO(VFIOX_IOMMUFD_TYPE, 0x80 + (n))
#define VFIOX_IOMMU_DESTROY		VFIOX_IOMMUFD_CMD(0)
#define VFIOX_IOMMU_IOAS_ALLOC		VFIOX_IOMMUFD_CMD(1)
#define VFIOX_IOMMU_IOAS_IOVA_RANGES	VFIOX_IOMMUFD_CMD(4)
#define VFIOX_IOMMU_IOAS_MAP		VFIOX_IOMMUFD_CMD(5)
#define VFIOX_IOMMU_IOAS_UNMAP		VFIOX_IOMMUFD_CMD(6)
#define VFIOX_IOMMU_GET_HW_INFO		VFIOX_IOMMUFD_CMD(10)
#define VFIOX_IOMMU_IOAS_MAP_FILE	VFIOX_IOMMUFD_CMD(0xf)	/* Linux 6.13+ */

struct vfiox_iommu_ioas_alloc {
	__u32 size;
	__u32 flags;		/* 0 */
	__u32 out_ioas_id;
};

/* Both ends inclusive, as struct vfiox_iova_range. */
struct vfiox_iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/* In: the room in @allowed_iovas; out: how many there are (EMSGSIZE when
 * they did not fit). */
struct vfiox_iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 reserved;		/* 0 */
	__aligned_u64 allowed_iovas;	/* user pointer to the ranges */
	__aligned_u64 out_iova_alignment;
};

#define VFIOX_IOMMU_IOAS_MAP_FIXED_IOVA	(1u << 0)
#define VFIOX_IOMMU_IOAS_MAP_WRITEABLE	(1u << 1)
#define VFIOX_IOMMU_IOAS_MAP_READABLE	(1u << 2)

struct vfiox_iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 reserved;		/* 0 */
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};

/* As IOMMU_IOAS_MAP, of [start, +length) of a file: a memfd, or (Linux
 * 6.19+) a single-range dma-buf that vfio-pci exported. */
struct vfiox_iommu_ioas_map_file {
	__u32 size;
	__u32 flags;		/* as vfiox_iommu_ioas_map's */
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
};

/* Whole mappings only; iova 0 with length U64_MAX removes every one.
 * Out: @length is the bytes removed. */
struct vfiox_iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};

/* Linux 6.6+; out_max_pasid_log2 since 6.13 (before: reserved, 0). With
 * data_len 0 no vendor data is copied, and data_len comes back as its size. */
struct vfiox_iommu_hw_info_cmd {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 out_data_type;
	__u8 out_max_pasid_log2;
	__u8 reserved[3];
	__aligned_u64 out_capabilities;
};

/* VFIO device cdev (/dev/vfio/devices/vfioN), Linux 6.6+. */
#define VFIOX_VFIO_DEVICE_BIND_IOMMUFD		_IO(VFIO_TYPE, VFIO_BASE + 18)
#define VFIOX_VFIO_DEVICE_ATTACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 19)

struct vfiox_vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;		/* 0 */
	__s32 iommufd;
	__u32 out_devid;
};

/* In: the IOAS (or HWPT); out: the HWPT the kernel attached. */
struct vfiox_vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;		/* 0 */
	__u32 pt_id;
};

/*
 * VFIO_DEVICE_FEATURE_DMA_BUF (Linux 6.19+, vfio-pci): a GET of it exports
 * the ranges of a BAR as a dma-buf and returns its fd. Follows struct
 * vfio_device_feature's header; offsets and lengths are page aligned,
 * @flags is 0, @open_flags as open(2)'s (O_CLOEXEC, O_RDWR).
 */
#define VFIOX_VFIO_DEVICE_FEATURE_DMA_BUF	11

struct vfiox_vfio_region_dma_range {
	__u64 offset;
	__u64 length;
};

struct vfiox_vfio_device_feature_dma_buf {
	__u32 region_index;
	__u32 open_flags;
	__u32 flags;		/* 0 */
	__u32 nr_ranges;
	struct vfiox_vfio_region_dma_range dma_ranges[];
};

#endif
