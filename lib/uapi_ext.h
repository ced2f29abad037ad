/* SPDX-License-Identifier: MIT */
/*
 * The private uAPI numbers of the kernel-patches/ series, as libvfiox uses
 * them. They must equal the series' include/uapi/linux/vfio.h; the
 * `patches` suite of tests/run compiles both and compares every one.
 */
#ifndef LIBVFIOX_UAPI_EXT_H
#define LIBVFIOX_UAPI_EXT_H

#include <linux/vfio.h>

#define VFIOX_ID_BASE			0x5600
/* Private ioctl numbers: VFIO_TYPE 0x40-0x4f, below VFIO's and iommufd's. */
#define VFIOX_BASE			0x40
#define VFIOX_DMA_DEVMEM_LIFETIME	(VFIOX_ID_BASE + 1)
#define VFIOX_EVENTS			(VFIOX_ID_BASE + 2)

/* IOMMU info capability: every attached group's reserved regions. */
#define VFIOX_IOMMU_TYPE1_INFO_CAP_RESV_REGIONS	(VFIOX_ID_BASE + 3)

#define VFIOX_IOMMU_RESV_UNKNOWN		0
#define VFIOX_IOMMU_RESV_DIRECT			1
#define VFIOX_IOMMU_RESV_DIRECT_RELAXABLE	2
#define VFIOX_IOMMU_RESV_RESERVED		3
#define VFIOX_IOMMU_RESV_MSI			4

struct vfiox_iommu_resv_region {
	__u64	start;
	__u64	end;		/* inclusive */
	__u32	type;		/* VFIOX_IOMMU_RESV_* */
	__u32	group;
	__u32	flags;
#define VFIOX_IOMMU_RESV_MAPPABLE	(1 << 0)	/* not an IOVA hole */
	__u32	reserved;
};

/* Version 1; entries are entry_size apart (later versions grow them). */
struct vfiox_iommu_type1_info_cap_resv_regions {
	struct vfio_info_cap_header header;
	__u32	nr_regions;
	__u32	entry_size;
	struct vfiox_iommu_resv_region regions[];
};

/*
 * IOMMU info capability: the container's strict_* parameters, fixed at open.
 * A flag is meaningful only if its bit in @supported is set; ignore others.
 */
#define VFIOX_IOMMU_TYPE1_INFO_CAP_POLICY	(VFIOX_ID_BASE + 6)

struct vfiox_iommu_type1_info_cap_policy {
	struct vfio_info_cap_header header;
	__u32	flags;
#define VFIOX_IOMMU_POLICY_STRICT_DEVMEM	(1 << 0)
#define VFIOX_IOMMU_POLICY_STRICT_RELAXABLE	(1 << 1)
	__u32	supported;	/* policy flags this kernel implements */
};

/* Device ioctls: bind the calling process's mm under a PASID (SVM). */
#define VFIOX_SVM			(VFIOX_ID_BASE + 4)
#define VFIOX_DEVICE_FLAGS_SVM		(1U << 31)
/* CHECK_EXTENSION(VFIOX_SVM) answer of a kernel setting that flag */
#define VFIOX_SVM_FLAGS_REPORTED	2

struct vfiox_device_svm {
	__u32	argsz;
	__u32	flags;
#define VFIOX_SVM_PASID_RELEASE_FLUSHED	(1 << 0)
#define VFIOX_SVM_PASID_RELEASE_CLEAN	(1 << 1)
	__u32	pasid;
};

#define VFIOX_DEVICE_SVM_BIND		_IO(VFIO_TYPE, VFIOX_BASE + 1)
#define VFIOX_DEVICE_SVM_UNBIND		_IO(VFIO_TYPE, VFIOX_BASE + 2)

/* Container ioctl: I/O page faults instead of pinning. */
#define VFIOX_IOPF			(VFIOX_ID_BASE + 5)
#define VFIOX_DMA_MAP_FLAG_IOPF		(1U << 31)

struct vfiox_iommu_iopf {
	__u32	argsz;
	__u32	flags;
};

#define VFIOX_IOMMU_ENABLE_IOPF		_IO(VFIO_TYPE, VFIOX_BASE + 3)

/* Container ioctl: name the netlink socket the container's events go to. */
struct vfiox_iommu_events_watch {
	__u32	argsz;
	__u32	flags;
	__s32	sock_fd;	/* -1: stop */
	__u32	portid;		/* out */
	__u64	cookie;		/* echoed in VFIOX_EVENT_ATTR_COOKIE */
};

#define VFIOX_IOMMU_EVENTS_WATCH	_IO(VFIO_TYPE, VFIOX_BASE + 0)

/* The generic netlink family of the events. */
#define VFIOX_GENL_NAME			"vfiox"
#define VFIOX_GENL_VERSION		1
#define VFIOX_GENL_MCGRP_ADMIN		"admin"

enum vfiox_event_cmd {
	VFIOX_EVENT_UNSPEC,
	VFIOX_EVENT_DMA_REVOKED,
};

enum vfiox_event_attr {
	VFIOX_EVENT_ATTR_UNSPEC,
	VFIOX_EVENT_ATTR_PAD,
	VFIOX_EVENT_ATTR_DEVICE,	/* string */
	VFIOX_EVENT_ATTR_IOVA,		/* u64 */
	VFIOX_EVENT_ATTR_SIZE,		/* u64 */
	VFIOX_EVENT_ATTR_OWNER_UID,	/* u32 */
	VFIOX_EVENT_ATTR_OWNER_PID,	/* u32 */
	VFIOX_EVENT_ATTR_COOKIE,	/* u64 */
	__VFIOX_EVENT_ATTR_MAX,
};

#define VFIOX_EVENT_ATTR_MAX		(__VFIOX_EVENT_ATTR_MAX - 1)

#endif
