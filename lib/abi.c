// SPDX-License-Identifier: MIT
/*
 * The rules that let a public struct with a leading sz grow without
 * breaking a program built against an older (or newer) libvfiox.
 *
 * Output structs (the library fills them): a caller's sz from the struct's
 * first published size up is accepted. The caller gets what fits in its sz
 * and nothing past it or past this libvfiox's own sizeof is written: a newer
 * caller's fields this libvfiox does not know keep what the caller put there
 * (zero when it initialised the struct), and a garbage sz can make no wild
 * write. Options structs (the caller fills them): any sz from the sz field up;
 * fields past the caller's sz read as their default (VFIOX_OPTS_HAS), and a
 * larger sz than this libvfiox knows is accepted only if the unknown bytes
 * are zero, since a non-zero one asks for something this libvfiox would
 * silently ignore.
 *
 * Arrays of public structs (the list calls) take the caller's element size:
 * the same rules as output structs, per element (there is no sz field).
 *
 * Growing a struct therefore means appending fields at or after its current
 * sizeof (never in its tail padding, which is not checked), and leaving its
 * first published size (lib/internal.h) alone; the asserts below pin both.
 */
#define LOG_PREFIX "abi"
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Frozen values (see their headers): arrays of them are indexed directly. */
_Static_assert(sizeof(struct vfiox_iova_range) == 16 &&
	       vfiox_offsetofend(struct vfiox_iova_range, end) == 16,
	       "struct vfiox_iova_range is frozen");
_Static_assert(sizeof(struct vfiox_sparse_area) == 16 &&
	       vfiox_offsetofend(struct vfiox_sparse_area, size) == 16,
	       "struct vfiox_sparse_area is frozen");
/* Filled whole by the library, so they must not grow either. */
_Static_assert(offsetof(struct vfiox_cap, data) == (sizeof(void *) == 8 ? 16 : 12) &&
	       sizeof(struct vfiox_cap) == offsetof(struct vfiox_cap, data) + sizeof(void *),
	       "struct vfiox_cap is frozen");
_Static_assert(sizeof(struct vfiox_pci_addr) == 8 &&
	       vfiox_offsetofend(struct vfiox_pci_addr, fn) == 7,
	       "struct vfiox_pci_addr is frozen");

/*
 * Each first published size (lib/internal.h) is the end of the struct's 0.1
 * layout, and the struct's sizeof is pinned too, so growing a struct fails
 * here until the sizeof below is updated. A new field goes at or after the
 * pinned sizeof, never into the tail padding (an older libvfiox would not
 * notice it; see vfiox.h): a field there changes neither number, so only
 * this rule keeps it out.
 */
#define VFIOX_0_1(type, field_0_1, lp64_sizeof) \
	_Static_assert(VFIOX_FIRST_SZ_##type == \
		       vfiox_offsetofend(struct type, field_0_1) && \
		       (SIZE_MAX != UINT64_MAX || sizeof(struct type) == (lp64_sizeof)), \
		       "struct " #type ": first published size or sizeof moved")
VFIOX_0_1(vfiox_iommu_info, has_resv_regions, 64);
VFIOX_0_1(vfiox_device_info, num_irqs, 24);
VFIOX_0_1(vfiox_region_info, msix_mappable, 64);
VFIOX_0_1(vfiox_irq_info, count, 24);
VFIOX_0_1(vfiox_dma_stats, mapped_bytes, 24);
VFIOX_0_1(vfiox_p2p_mapping, iova, 96);
VFIOX_0_1(vfiox_pci_dev, caps, 236);
VFIOX_0_1(vfiox_resv_region, type_name, 48);
VFIOX_0_1(vfiox_uevent, seqnum, 464);
VFIOX_0_1(vfiox_mig_precopy_info, flags, 32);
/* First published in 0.2: the same rules from there on. */
VFIOX_0_1(vfiox_iommu_hw_info, max_pasid_log2, 32);

/* Options: unknown bytes are checked from the sizeof on, so a field in the
 * padding would be ignored by an older libvfiox without a word. */
#define VFIOX_OPTS_0_1(type, lp64_sizeof) \
	_Static_assert(SIZE_MAX != UINT64_MAX || sizeof(struct type) == (lp64_sizeof), \
		       "struct " #type ": sizeof moved (append at or after the old one)")
VFIOX_OPTS_0_1(vfiox_container_opts, 40);	/* 32 in 0.1; 0.2 appended backend */
_Static_assert(SIZE_MAX != UINT64_MAX ||
	       offsetof(struct vfiox_container_opts, backend) == 32,
	       "struct vfiox_container_opts: backend must start at 0.1's sizeof");
VFIOX_OPTS_0_1(vfiox_device_opts, 32);
VFIOX_OPTS_0_1(vfiox_dma_opts, 32);
VFIOX_OPTS_0_1(vfiox_dma_pool_opts, 24);
VFIOX_OPTS_0_1(vfiox_bind_opts, 40);
VFIOX_OPTS_0_1(vfiox_pci_match, 40);
VFIOX_OPTS_0_1(vfiox_events_opts, 16);
/* 0.2 */
VFIOX_OPTS_0_1(vfiox_pasid_opts, 16);

int vfiox_out_check(const void *dst, size_t min_sz, const char *type)
{
	size_t dst_sz;

	memcpy(&dst_sz, dst, sizeof(dst_sz));
	if (dst_sz < min_sz) {
		pr_err("struct %s: sz %zu is below its first published size %zu",
		       type, dst_sz, min_sz);
		return -EINVAL;
	}
	return 0;
}

int vfiox_copy_out(void *dst, const void *src, size_t src_sz, size_t min_sz,
		   const char *type)
{
	size_t dst_sz, n;
	int ret = vfiox_out_check(dst, min_sz, type);

	if (ret)
		return ret;
	memcpy(&dst_sz, dst, sizeof(dst_sz));
	n = dst_sz < src_sz ? dst_sz : src_sz;
	memcpy((char *)dst + sizeof(size_t), (const char *)src + sizeof(size_t),
	       n - sizeof(size_t));
	return 0;
}

int vfiox_opts_check(const void *opts, size_t known_sz, const char *type)
{
	const unsigned char *p = opts;
	size_t sz, i;

	memcpy(&sz, opts, sizeof(sz));
	if (sz < sizeof(size_t)) {
		pr_err("struct %s: sz %zu does not even cover sz itself (unset?)",
		       type, sz);
		return -EINVAL;
	}
	/* A garbage sz would make the loop below read far past the struct. */
	if (sz > VFIOX_OPTS_MAX_SZ) {
		pr_err("struct %s: sz %zu is implausibly large (unset?), over %d",
		       type, sz, VFIOX_OPTS_MAX_SZ);
		return -E2BIG;
	}
	for (i = known_sz; i < sz; i++) {
		if (p[i]) {
			pr_err("struct %s: sz %zu, and byte %zu past the %zu this libvfiox knows is not zero: a newer option it cannot honour",
			       type, sz, i, known_sz);
			return -E2BIG;
		}
	}
	return 0;
}

int vfiox_array_begin(void *out, size_t max, size_t elem_sz, size_t native_sz,
		      size_t min_sz, const char *type, void **buf)
{
	*buf = out;
	if (!out && max)
		return -EINVAL;
	if (elem_sz < min_sz) {
		pr_err("struct %s array: element size %zu is below its first published size %zu",
		       type, elem_sz, min_sz);
		return -EINVAL;
	}
	if (max > SIZE_MAX / (elem_sz > native_sz ? elem_sz : native_sz))
		return -EINVAL;
	if (elem_sz == native_sz || !max)
		return 0;
	*buf = calloc(max, native_sz);
	return *buf ? 0 : -ENOMEM;
}

int vfiox_array_end(void *out, size_t max, size_t elem_sz, size_t native_sz,
		    void *buf, int n)
{
	size_t i, copy = n > 0 ? ((size_t)n < max ? (size_t)n : max) : 0;
	size_t part = elem_sz < native_sz ? elem_sz : native_sz;

	if (buf == out)
		return n;
	for (i = 0; i < copy; i++)
		memcpy((char *)out + i * elem_sz, (const char *)buf + i * native_sz, part);
	free(buf);
	return n;
}
