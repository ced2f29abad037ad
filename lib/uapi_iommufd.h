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
#define VFIOX_IOMMU_HWPT_ALLOC		VFIOX_IOMMUFD_CMD(9)
#define VFIOX_IOMMU_GET_HW_INFO		VFIOX_IOMMUFD_CMD(10)
#define VFIOX_IOMMU_FAULT_QUEUE_ALLOC	VFIOX_IOMMUFD_CMD(0xe)	/* Linux 6.11+ */
#define VFIOX_IOMMU_IOAS_MAP_FILE	VFIOX_IOMMUFD_CMD(0xf)	/* Linux 6.13+ */

/* Any object of the iommufd by its id: a HWPT, a fault queue, an IOAS. */
struct vfiox_iommu_destroy {
	__u32 size;
	__u32 id;
};

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

/* Linux 6.6+; out_max_pasid_log2 since 6.15 (before: reserved, 0). With
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

/*
 * IOMMU_HWPT_ALLOC: a page table of its own for device @dev_id, kept in
 * step with the IOAS @pt_id (data_type 0: none, kernel-managed). With
 * FAULT_ID_VALID its faults go to the fault queue @fault_id (Linux 6.11+);
 * ALLOC_PASID makes one a PASID may use (6.15).
 */
#define VFIOX_IOMMU_HWPT_FAULT_ID_VALID	(1u << 2)
#define VFIOX_IOMMU_HWPT_ALLOC_PASID	(1u << 3)

struct vfiox_iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 reserved;		/* 0 */
	__u32 data_type;	/* 0 */
	__u32 data_len;		/* 0 */
	__aligned_u64 data_uptr;	/* 0 */
	__u32 fault_id;
	__u32 reserved2;	/* 0 */
};

/* IOMMU_FAULT_QUEUE_ALLOC: a fault object and the fd to read it through. */
struct vfiox_iommu_fault_alloc {
	__u32 size;
	__u32 flags;		/* 0 */
	__u32 out_fault_id;
	__u32 out_fault_fd;
};

/*
 * What a read of the fault fd returns, whole records only: one page
 * request of a group (grpid) each; the last of a group has LAST_PAGE, and
 * the group is answered once, with its cookie.
 */
#define VFIOX_IOMMU_PGFAULT_FLAGS_PASID_VALID	(1u << 0)
#define VFIOX_IOMMU_PGFAULT_FLAGS_LAST_PAGE	(1u << 1)
#define VFIOX_IOMMU_PGFAULT_PERM_READ		(1u << 0)
#define VFIOX_IOMMU_PGFAULT_PERM_WRITE		(1u << 1)
#define VFIOX_IOMMU_PGFAULT_PERM_EXEC		(1u << 2)
#define VFIOX_IOMMU_PGFAULT_PERM_PRIV		(1u << 3)

struct vfiox_iommu_hwpt_pgfault {
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;
	__u32 perm;
	__u32 reserved;
	__aligned_u64 addr;
	__u32 length;		/* a hint, often 0 */
	__u32 cookie;
};

/* What is written back: whole records, one per group. */
#define VFIOX_IOMMUFD_PAGE_RESP_SUCCESS	0	/* mapped now: retry */
#define VFIOX_IOMMUFD_PAGE_RESP_INVALID	1	/* cannot be: do not retry */

struct vfiox_iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;
};

/* VFIO device cdev (/dev/vfio/devices/vfioN), Linux 6.6+. */
#define VFIOX_VFIO_DEVICE_BIND_IOMMUFD		_IO(VFIO_TYPE, VFIO_BASE + 18)
#define VFIOX_VFIO_DEVICE_ATTACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 19)
#define VFIOX_VFIO_DEVICE_DETACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 20)

/*
 * The VF token (Linux 6.17+): with BIND_FLAG_TOKEN, @token_uuid_ptr points
 * at its 16 bytes. Older kernels take only the first 16 bytes of the
 * struct, and flags must be 0 there (EINVAL).
 */
#define VFIOX_VFIO_DEVICE_BIND_FLAG_TOKEN	(1u << 0)

struct vfiox_vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
	__aligned_u64 token_uuid_ptr;
};

/* In: the IOAS (or HWPT); out: the HWPT the kernel attached. With
 * ATTACH_PASID (Linux 6.15+) it attaches @pasid of the device instead of
 * the device itself; before 6.15 flags must be 0 and the struct ends at
 * @pt_id. */
#define VFIOX_VFIO_DEVICE_ATTACH_PASID		(1u << 0)

struct vfiox_vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
	__u32 pasid;
};

#define VFIOX_VFIO_DEVICE_DETACH_PASID		(1u << 0)

struct vfiox_vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pasid;
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

/* The kernel's sizes; a field slipping would break the ABI silently. */
_Static_assert(sizeof(struct vfiox_iommu_hwpt_alloc) == 48, "iommu_hwpt_alloc");
_Static_assert(sizeof(struct vfiox_iommu_fault_alloc) == 16, "iommu_fault_alloc");
_Static_assert(sizeof(struct vfiox_iommu_hwpt_pgfault) == 40, "iommu_hwpt_pgfault");
_Static_assert(sizeof(struct vfiox_iommu_hwpt_page_response) == 8, "iommu_hwpt_page_response");
_Static_assert(sizeof(struct vfiox_vfio_device_bind_iommufd) == 24, "vfio_device_bind_iommufd");
_Static_assert(sizeof(struct vfiox_vfio_device_attach_iommufd_pt) == 16,
	       "vfio_device_attach_iommufd_pt");
_Static_assert(sizeof(struct vfiox_vfio_device_detach_iommufd_pt) == 12,
	       "vfio_device_detach_iommufd_pt");

#endif
