/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_RESV_H
#define VFIOX_RESV_H

#include <vfiox/version.h>

#include <stddef.h>
#include <stdint.h>
#include <vfiox/group.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vfiox_resv_type {
	VFIOX_RESV_UNKNOWN = 0,	/* a type this libvfiox does not know */
	VFIOX_RESV_DIRECT,
	VFIOX_RESV_DIRECT_RELAXABLE,
	VFIOX_RESV_RESERVED,
	VFIOX_RESV_MSI,
};

/**
 * struct vfiox_resv_region - one IOMMU reserved region.
 * @start: first byte
 * @end: last byte (inclusive, as sysfs prints it)
 * @type: its type; VFIOX_RESV_UNKNOWN keeps the kernel's word in @type_name
 * @group: IOMMU group it belongs to, -1 if unknown
 * @type_name: the type as the kernel spelled it
 *
 * First published size: up to @type_name. Arrays of it are filled by the
 * _sized calls below with the caller's element size (see vfiox.h); the
 * calls without _sized pass this header's.
 */
struct vfiox_resv_region {
	uint64_t start;
	uint64_t end;
	enum vfiox_resv_type type;
	int group;
	char type_name[24];
};

/**
 * vfiox_resv_parse_sized() - parse the text of a group's reserved_regions file.
 * @text: the file's bytes (need not be NUL-terminated)
 * @len: their number
 * @group: group number stored in each entry
 * @out: array for up to @max entries of @elem_sz bytes (may be NULL when
 *       @max is 0)
 * @max: entries in @out
 * @elem_sz: sizeof(struct vfiox_resv_region) as the caller was built (at
 *           least its first published size, else -EINVAL)
 *
 * Each line is "0x<start> 0x<end> <type>". Lines with a malformed number,
 * end < start, or longer than 256 bytes fail the whole parse; an unknown type
 * is kept as VFIOX_RESV_UNKNOWN.
 * Return: number of regions in the text (may exceed @max), or -EPROTO.
 */
VFIOX_API int vfiox_resv_parse_sized(const char *text, size_t len, int group,
				     void *out, size_t max, size_t elem_sz);
/* As vfiox_resv_parse_sized(), with this header's sizeof. */
static inline int vfiox_resv_parse(const char *text, size_t len, int group,
				   struct vfiox_resv_region *out, size_t max)
{
	return vfiox_resv_parse_sized(text, len, group, out, max, sizeof(*out));
}

/**
 * vfiox_resv_parse_cap_sized() - parse the reserved regions capability of
 * VFIO_IOMMU_GET_INFO (the libvfiox kernel series, version 1 or later).
 * @cap: the capability, header included
 * @len: bytes available to it
 * @out: array for up to @max entries of @elem_sz bytes (may be NULL when
 *       @max is 0)
 * @max: entries in @out
 * @elem_sz: sizeof(struct vfiox_resv_region) as the caller was built (at
 *           least its first published size, else -EINVAL)
 *
 * A type this libvfiox does not know is kept as VFIOX_RESV_UNKNOWN with
 * @type_name "type-<number>".
 * Return: number of regions (may exceed @max), -EINVAL on bad arguments, or
 * -EPROTO when the capability is truncated or an entry is inverted.
 */
VFIOX_API int vfiox_resv_parse_cap_sized(const void *cap, size_t len,
					 void *out, size_t max, size_t elem_sz);
/* As vfiox_resv_parse_cap_sized(), with this header's sizeof. */
static inline int vfiox_resv_parse_cap(const void *cap, size_t len,
				       struct vfiox_resv_region *out,
				       size_t max)
{
	return vfiox_resv_parse_cap_sized(cap, len, out, max, sizeof(*out));
}

/**
 * vfiox_group_resv_regions_sized() - reserved regions of @g.
 * @g: group
 * @out: array for up to @max entries of @elem_sz bytes (may be NULL when
 *       @max is 0)
 * @max: entries in @out
 * @elem_sz: sizeof(struct vfiox_resv_region) as the caller was built (at
 *           least its first published size, else -EINVAL)
 *
 * Taken from the container's reserved regions capability when the kernel
 * has it (vfiox_iommu_info.has_resv_regions), else parsed from the group's
 * sysfs reserved_regions file; both give the same entries in the same order
 * (by start, then end, then type).
 * Return: number of regions (may exceed @max), or negative errno.
 */
VFIOX_API int vfiox_group_resv_regions_sized(struct vfiox_group *g, void *out,
					     size_t max, size_t elem_sz);
/* As vfiox_group_resv_regions_sized(), with this header's sizeof. */
static inline int vfiox_group_resv_regions(struct vfiox_group *g,
					   struct vfiox_resv_region *out,
					   size_t max)
{
	return vfiox_group_resv_regions_sized(g, out, max, sizeof(*out));
}

/**
 * vfiox_container_resv_regions_sized() - reserved regions of every group attached
 * to @c, sorted by group, then as vfiox_group_resv_regions().
 * @c: container
 * @out: array for up to @max entries of @elem_sz bytes (may be NULL when
 *       @max is 0)
 * @max: entries in @out
 * @elem_sz: sizeof(struct vfiox_resv_region) as the caller was built (at
 *           least its first published size, else -EINVAL)
 * Return: number of regions (may exceed @max), -ENODEV while no group is
 * attached, or negative errno.
 */
VFIOX_API int vfiox_container_resv_regions_sized(struct vfiox_container *c,
						 void *out, size_t max,
						 size_t elem_sz);
/* As vfiox_container_resv_regions_sized(), with this header's sizeof. */
static inline int vfiox_container_resv_regions(struct vfiox_container *c,
					       struct vfiox_resv_region *out,
					       size_t max)
{
	return vfiox_container_resv_regions_sized(c, out, max, sizeof(*out));
}

/**
 * vfiox_resv_type_name() - "direct", "direct-relaxable", ... or "unknown".
 * @type: a reserved region type
 */
VFIOX_API const char *vfiox_resv_type_name(enum vfiox_resv_type type);

#ifdef __cplusplus
}
#endif
#endif
