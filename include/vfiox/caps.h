/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_CAPS_H
#define VFIOX_CAPS_H

#include <vfiox/version.h>

#include <stddef.h>
#include <stdint.h>
#include <vfiox/log.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest chain the walker follows before declaring the buffer corrupt. */
#define VFIOX_CAP_MAX_CHAIN 64

/**
 * struct vfiox_cap - one capability found in a VFIO info buffer.
 * @id: capability id (meaning depends on the ioctl that produced it)
 * @version: capability version
 * @offset: byte offset of its header inside the info buffer
 * @len: bytes available to it: up to the next capability or to argsz
 * @data: the capability, header included, inside the caller's buffer
 *
 * A value filled whole by vfiox_cap_find() and handed to vfiox_cap_walk()'s
 * callback: its layout is frozen and it never grows (a capability's own
 * fields are read through @data).
 */
struct vfiox_cap {
	uint16_t id;
	uint16_t version;
	uint32_t offset;
	uint32_t len;
	const void *data;
};

/**
 * typedef vfiox_cap_cb - called by vfiox_cap_walk() for each capability.
 * @cap: the capability, valid during the call
 * @arg: the pointer given to vfiox_cap_walk()
 *
 * Return: 0 to go on; anything else stops the walk and is its result.
 */
typedef int (*vfiox_cap_cb)(const struct vfiox_cap *cap, void *arg);

/**
 * vfiox_cap_walk() - visit every capability of a VFIO info buffer.
 * @info: the buffer the kernel filled
 * @argsz: its valid length (the smaller of the kernel's argsz and the
 *         buffer size)
 * @hdr_size: size of the fixed info struct; no capability may start inside it
 * @first: the struct's cap_offset (0: no capabilities)
 * @cb: called per capability; a non-zero return stops the walk and is
 *      returned
 * @arg: passed to @cb
 *
 * The chain is rejected with -EPROTO when a next offset lies inside the fixed
 * header, leaves room for less than a capability header before @argsz, is not
 * 4-byte aligned, or does not move forward (which also rules out cycles);
 * and when the chain is longer than VFIOX_CAP_MAX_CHAIN.
 *
 * Return: 0 after the whole chain, @cb's non-zero value, or -EPROTO/-EINVAL.
 */
VFIOX_API int vfiox_cap_walk(const void *info, size_t argsz, size_t hdr_size,
			     uint32_t first, vfiox_cap_cb cb, void *arg);

/**
 * vfiox_cap_find() - find the first capability with @id.
 * @info: the buffer the kernel filled
 * @argsz: its valid length
 * @hdr_size: size of the fixed info struct
 * @first: the struct's cap_offset (0: no capabilities)
 * @id: the capability id to find
 * @out: receives the capability
 *
 * Same validation as vfiox_cap_walk(), which it uses; the whole chain is
 * checked even after a match.
 *
 * Return: 0 with *@out filled, -ENOENT if absent, -EPROTO if malformed.
 */
VFIOX_API int vfiox_cap_find(const void *info, size_t argsz, size_t hdr_size,
			     uint32_t first, uint16_t id,
			     struct vfiox_cap *out);

#ifdef __cplusplus
}
#endif
#endif
