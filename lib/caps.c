// SPDX-License-Identifier: MIT
/*
 * The one capability-chain walker. Every VFIO info buffer (IOMMU, device,
 * region) comes from the kernel, but a buggy or hostile kernel module, a
 * fake in a test, or a fuzzer must never make us read out of bounds or loop.
 */
#define LOG_PREFIX "caps"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CAP_HDR_SIZE sizeof(struct vfio_info_cap_header)
#define CAP_ALIGN 4
/* Kernel info buffers are small; anything bigger is a broken kernel. */
#define INFO_MAX_SIZE (1u << 20)
#define INFO_MAX_TRIES 4

static int check_next(uint32_t off, uint32_t prev_end, size_t argsz,
		      size_t hdr_size)
{
	if (off < hdr_size) {
		pr_err("capability at offset %u lies inside the %zu-byte header",
		       off, hdr_size);
		return -EPROTO;
	}
	if (off < prev_end) {
		pr_err("capability chain goes backwards or loops at offset %u",
		       off);
		return -EPROTO;
	}
	if (off % CAP_ALIGN) {
		pr_err("capability at offset %u is not %d-byte aligned", off,
		       CAP_ALIGN);
		return -EPROTO;
	}
	if (off > argsz || argsz - off < CAP_HDR_SIZE) {
		pr_err("capability at offset %u runs past argsz %zu", off,
		       argsz);
		return -EPROTO;
	}
	return 0;
}

VFIOX_API int vfiox_cap_walk(const void *info, size_t argsz, size_t hdr_size,
			     uint32_t first, vfiox_cap_cb cb, void *arg)
{
	const uint8_t *base = info;
	uint32_t off = first, prev_end = 0;
	unsigned int n;

	if (!info || !cb || argsz < hdr_size || argsz > UINT32_MAX)
		return -EINVAL;
	for (n = 0; off; n++) {
		struct vfio_info_cap_header hdr;
		struct vfiox_cap cap;
		int ret;

		if (n == VFIOX_CAP_MAX_CHAIN) {
			pr_err("capability chain longer than %d entries",
			       VFIOX_CAP_MAX_CHAIN);
			return -EPROTO;
		}
		ret = check_next(off, prev_end, argsz, hdr_size);
		if (ret)
			return ret;
		memcpy(&hdr, base + off, sizeof(hdr));
		if (hdr.next && hdr.next <= off) {
			pr_err("capability %u at offset %u points back to %u",
			       hdr.id, off, hdr.next);
			return -EPROTO;
		}
		cap.id = hdr.id;
		cap.version = hdr.version;
		cap.offset = off;
		cap.len = (hdr.next && hdr.next < argsz ? hdr.next :
			   (uint32_t)argsz) - off;
		cap.data = base + off;
		ret = cb(&cap, arg);
		if (ret)
			return ret;
		prev_end = off + CAP_HDR_SIZE;
		off = hdr.next;
	}
	return 0;
}

struct find_arg {
	uint16_t id;
	bool found;
	struct vfiox_cap *out;
};

static int find_cb(const struct vfiox_cap *cap, void *arg)
{
	struct find_arg *fa = arg;

	if (!fa->found && cap->id == fa->id) {
		*fa->out = *cap;
		fa->found = true;
	}
	return 0;
}

VFIOX_API int vfiox_cap_find(const void *info, size_t argsz, size_t hdr_size,
			     uint32_t first, uint16_t id,
			     struct vfiox_cap *out)
{
	struct find_arg fa = { .id = id, .out = out };
	int ret;

	if (!out)
		return -EINVAL;
	ret = vfiox_cap_walk(info, argsz, hdr_size, first, find_cb, &fa);
	if (ret)
		return ret;
	return fa.found ? 0 : -ENOENT;
}

int vfiox_info_ioctl(const struct vfiox_sys *sys, int fd, unsigned long req,
		     const void *init, uint32_t init_size, void **out)
{
	uint32_t size = init_size;
	int tries;

	for (tries = 0; tries < INFO_MAX_TRIES; tries++) {
		uint8_t *buf = calloc(1, size);
		uint32_t argsz;
		int ret;

		if (!buf)
			return -ENOMEM;
		memcpy(buf, init, init_size);
		memcpy(buf, &size, sizeof(size));
		ret = sys->ioctl(fd, req, buf);
		if (ret < 0) {
			free(buf);
			return ret;
		}
		memcpy(&argsz, buf, sizeof(argsz));
		if (argsz <= size) {
			*out = buf;
			return 0;
		}
		free(buf);
		if (argsz > INFO_MAX_SIZE) {
			pr_err("info ioctl 0x%lx wants %u bytes, refusing", req,
			       argsz);
			return -EPROTO;
		}
		size = argsz;
	}
	pr_err("info ioctl 0x%lx kept growing after %d tries", req, tries);
	return -EPROTO;
}
