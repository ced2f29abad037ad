// SPDX-License-Identifier: MIT
/*
 * Live update (CPR) of the DMA engine, with the kernel's VFIO_UPDATE_VADDR:
 * the old process invalidates every mapping's vaddr (the device keeps its
 * pinned pages and DMAs on), saves libvfiox's mappings into a buffer and
 * hands it, with the container and group fds, to a new process (across
 * exec()); there, on the adopted container, the state is restored into an
 * empty engine and each mapping's vaddr is set to where the same memory
 * (memfd, shared memory) now lives. The books of the new process (table,
 * IOVA space, dma_avail count) then match the kernel's mappings exactly.
 *
 * The state's bytes are dma_cpr_state.c's, a format that outlives a build
 * (include/vfiox/dma.h). What it must match is checked here: the page
 * size, and the kernel's dma_avail when it was saved (a stale state, one
 * that misses mappings, is refused). Mappings libvfiox did not make are
 * not handed over: the kernel's count must be libvfiox's before anything
 * is invalidated, and from then until the vaddrs are given back no map is
 * accepted (its vaddr would be valid, and its update in the new process
 * refused).
 */
#define LOG_PREFIX "dma"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dma_cpr_state.h"
#include "dma_internal.h"

/* One VFIO_DMA_UNMAP_FLAG_VADDR; *@bytes: what the kernel invalidated. */
static int unmap_vaddr_ioctl(struct vfiox_container *c, uint64_t iova,
			     uint64_t len, uint32_t flags, uint64_t *bytes)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = VFIO_DMA_UNMAP_FLAG_VADDR | flags,
		.iova = iova, .size = len,
	};
	int ret = c->env.sys->ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &u);

	if (ret < 0)
		pr_err("VFIO_IOMMU_UNMAP_DMA (invalidate vaddr%s) iova 0x%llx size 0x%llx: %s",
		       flags & VFIO_DMA_UNMAP_FLAG_ALL ? ", all" : "",
		       (unsigned long long)iova, (unsigned long long)len, ERRSTR(ret));
	if (bytes)
		*bytes = ret < 0 ? 0 : u.size;
	return ret < 0 ? ret : 0;
}

static int update_vaddr_ioctl(struct vfiox_container *c, uint64_t va,
			      uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_VADDR,
		.vaddr = va, .iova = iova, .size = len,
	};
	int ret = c->env.sys->ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &m);

	if (ret < 0)
		pr_err("VFIO_IOMMU_MAP_DMA (update vaddr 0x%llx) iova 0x%llx size 0x%llx: %s",
		       (unsigned long long)va, (unsigned long long)iova,
		       (unsigned long long)len, ERRSTR(ret));
	return ret < 0 ? ret : 0;
}

/* VFIO_UPDATE_VADDR: 0 with it; -ENOTSUP, -ENODEV or an errno without. */
static int check_cpr(struct vfiox_container *c)
{
	int ret;

	if (!c->iommu_type) {
		pr_err("live update: no group attached to the container");
		return -ENODEV;
	}
	ret = vfiox_container_check_extension(c, VFIO_UPDATE_VADDR);
	if (!ret)
		pr_err("live update: the kernel lacks VFIO_UPDATE_VADDR for this IOMMU");
	return ret < 0 ? ret : ret ? 0 : -ENOTSUP;
}

/* One mapping at a time, the newest first; undone if one fails. */
static int invalidate_each(struct vfiox_container *c)
{
	const struct dma_entry *e, *done;
	int ret = 0;

	for (e = c->dma->table.entries; e; e = e->next) {
		ret = unmap_vaddr_ioctl(c, e->iova, e->len, 0, NULL);
		if (ret)
			break;
	}
	if (!ret)
		return 0;
	for (done = c->dma->table.entries; done != e; done = done->next)
		update_vaddr_ioctl(c, done->vaddr, done->iova, done->len);
	return ret;
}

/* Every vaddr back as the books hold them; the first error, all tried. */
static int give_back_all(struct vfiox_container *c)
{
	const struct dma_entry *e;
	int ret = 0, r;

	for (e = c->dma->table.entries; e; e = e->next) {
		r = update_vaddr_ioctl(c, e->vaddr, e->iova, e->len);
		if (r && !ret)
			ret = r;
	}
	return ret;
}

/*
 * One VADDR|ALL, which reaches every mapping of the container: what the
 * kernel invalidated must be exactly libvfiox's, else someone mapped
 * behind its back in the meantime; ours are given back and it is -EBUSY.
 */
static int invalidate_all(struct vfiox_container *c)
{
	uint64_t bytes;
	int ret = unmap_vaddr_ioctl(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &bytes);

	if (ret || bytes == c->dma->mapped_bytes)
		return ret;
	pr_err("live update: the kernel invalidated 0x%llx bytes of mappings, libvfiox made 0x%llx: mappings made behind libvfiox's back cannot be handed over; libvfiox's are valid again",
	       (unsigned long long)bytes,
	       (unsigned long long)c->dma->mapped_bytes);
	give_back_all(c);
	return -EBUSY;
}

/* A P2P mapping cannot be saved: refused before anything is invalidated. */
static int check_no_p2p(const struct vfiox_dma *dma)
{
	const struct dma_entry *e;

	for (e = dma->table.entries; e; e = e->next) {
		if (e->owner) {
			pr_err("live update: the mapping at IOVA 0x%llx belongs to a P2P mapping, which cannot be handed over; unmap it first",
			       (unsigned long long)e->iova);
			return -EBUSY;
		}
	}
	return 0;
}

/*
 * The kernel holds no mapping that libvfiox did not make (its dma_avail
 * is libvfiox's count): those could not be handed over, and VADDR|ALL
 * would leave them invalid for good. Without dma_avail, invalidate_all()
 * still notices them by their bytes.
 */
static int check_no_foreign(struct vfiox_container *c)
{
	struct vfiox_dma *dma = c->dma;
	uint32_t kernel, ours = dma->entries_limit - dma->entries_used;
	int ret;

	if (!c->info.has_dma_avail)
		return 0;
	ret = vfiox_container_read_dma_avail(c, &kernel);
	if (ret || kernel == ours)
		return ret;
	pr_err("live update: the kernel has %u DMA entries left, libvfiox counts %u: mappings made behind libvfiox's back (or revoked) cannot be handed over; nothing invalidated",
	       kernel, ours);
	return -EBUSY;
}

VFIOX_API int vfiox_dma_invalidate_vaddrs(struct vfiox_container *c)
{
	int ret;

	if (!c) {
		pr_err("vfiox_dma_invalidate_vaddrs: no container");
		return -EINVAL;
	}
	ret = vfiox_backend_legacy_only(c, "live update (VFIO_UPDATE_VADDR)");
	if (ret)
		return ret;
	vfiox_lock(&c->dma->lock);
	ret = check_cpr(c);
	if (!ret)
		ret = check_no_p2p(c->dma);
	if (!ret && c->dma->table.entries)
		ret = check_no_foreign(c);
	if (!ret && c->dma->table.entries) {
		ret = vfiox_dma_has_unmap_all_locked(c);
		if (ret > 0)
			ret = invalidate_all(c);
		else if (!ret)
			ret = invalidate_each(c);
	}
	if (!ret) {
		c->dma->vaddrs_invalid = true;
		ret = (int)c->dma->table.n;
	}
	vfiox_unlock(&c->dma->lock);
	return ret;
}

VFIOX_API int vfiox_dma_revalidate_vaddrs(struct vfiox_container *c)
{
	const struct dma_entry *e, *done;
	int ret;

	if (!c) {
		pr_err("vfiox_dma_revalidate_vaddrs: no container");
		return -EINVAL;
	}
	ret = vfiox_backend_legacy_only(c, "live update (VFIO_UPDATE_VADDR)");
	if (ret)
		return ret;
	vfiox_lock(&c->dma->lock);
	ret = check_cpr(c);
	for (e = c->dma->table.entries; !ret && e; e = e->next) {
		ret = update_vaddr_ioctl(c, e->vaddr, e->iova, e->len);
		if (ret)
			break;
	}
	/* All or none: the ones given back are invalidated again */
	if (ret && e)
		for (done = c->dma->table.entries; done != e; done = done->next)
			unmap_vaddr_ioctl(c, done->iova, done->len, 0, NULL);
	if (!ret) {
		c->dma->vaddrs_invalid = false;
		ret = (int)c->dma->table.n;
	}
	vfiox_unlock(&c->dma->lock);
	return ret;
}

/* The kernel's dma_avail for the state, or CPR_AVAIL_UNKNOWN. */
static int kernel_avail(struct vfiox_container *c, uint32_t *avail)
{
	*avail = CPR_AVAIL_UNKNOWN;
	return c->iommu_type && c->info.has_dma_avail ?
	       vfiox_container_read_dma_avail(c, avail) : 0;
}

static int save_locked(struct vfiox_container *c, void *buf, size_t size)
{
	struct vfiox_dma *dma = c->dma;
	struct cpr_state s = {
		.count = dma->table.n, .page = dma->min_page,
		.iommu_type = (uint32_t)c->iommu_type,
		.backend = CPR_BACKEND_TYPE1,
		.hints = dma->dirty ? CPR_HINT_DIRTY : 0,
	};
	size_t need = vfiox_cpr_state_size(dma->table.n);
	const struct dma_entry *e, *oldest = NULL;
	uint32_t i = 0;
	int ret;

	for (e = dma->table.entries; e; e = e->next) {
		if (e->owner) {
			pr_err("save: the mapping at IOVA 0x%llx belongs to a P2P mapping, which cannot be handed over",
			       (unsigned long long)e->iova);
			return -EBUSY;
		}
		oldest = e;
	}
	if (!need) {
		pr_err("save: %u mappings do not fit in a state", dma->table.n);
		return -E2BIG;
	}
	if (!buf || size < need)
		return (int)need;
	/* Saved while maps are still accepted, the state could go stale
	 * without its count changing, which restore alone cannot notice. */
	if (!dma->vaddrs_invalid) {
		pr_err("save: the vaddrs are not invalidated (vfiox_dma_invalidate_vaddrs() first)");
		return -EINVAL;
	}
	ret = kernel_avail(c, &s.kernel_avail);
	if (ret)
		return ret;
	vfiox_cpr_state_put_header(buf, &s);
	for (e = oldest; e; e = e->prev, i++) {
		struct cpr_record r = { e->vaddr, e->iova, e->len };

		vfiox_cpr_state_put_record(buf, i, &r);
	}
	vfiox_cpr_state_seal(buf, need);
	return (int)need;
}

VFIOX_API int vfiox_dma_save(struct vfiox_container *c, void *buf, size_t size)
{
	int ret;

	if (!c) {
		pr_err("vfiox_dma_save: no container");
		return -EINVAL;
	}
	ret = vfiox_backend_legacy_only(c, "live update (VFIO_UPDATE_VADDR)");
	if (ret)
		return ret;
	vfiox_lock(&c->dma->lock);
	ret = save_locked(c, buf, size);
	vfiox_unlock(&c->dma->lock);
	return ret;
}

/* Drop the first @n restored entries from the books (not the kernel). */
static void unwind_books(struct vfiox_dma *dma, const struct cpr_record *r, int n)
{
	while (n-- > 0) {
		vfiox_dma_table_remove(&dma->table,
				       vfiox_dma_table_find_iova(&dma->table, r[n].iova, r[n].len));
		vfiox_iova_add(&dma->space, r[n].iova, r[n].iova + r[n].len - 1);
	}
}

/* Into the table and out of the free IOVA space; all or none. */
static int restore_books(struct vfiox_dma *dma, const struct cpr_record *r, int n)
{
	int i, ret = 0;

	for (i = 0; i < n; i++) {
		struct dma_entry e = { .vaddr = r[i].vaddr, .iova = r[i].iova, .len = r[i].len };
		uint64_t last = r[i].iova + r[i].len - 1;

		ret = vfiox_iova_reserve(&dma->space, r[i].iova, last);
		if (ret)
			break;
		ret = vfiox_dma_table_insert(&dma->table, &e, NULL);
		if (ret) {
			vfiox_iova_add(&dma->space, r[i].iova, last);
			break;
		}
	}
	if (ret) {
		bool relaxable = vfiox_iova_space_relaxable_at(dma, r[i].iova, r[i].len);

		if (ret == -EBUSY)	/* outside the IOVA space, or taken */
			ret = -EINVAL;
		pr_err("restore: mapping %d of %d (IOVA 0x%llx, +0x%llx) does not fit this container%s: %s",
		       i + 1, n, (unsigned long long)r[i].iova,
		       (unsigned long long)r[i].len,
		       relaxable ? " (it is a direct-relaxable region: adopt with allow_relaxable)" : "",
		       ERRSTR(ret));
		unwind_books(dma, r, i);
	}
	return ret;
}

/* Every vaddr to its new place; undone (invalidated again) if one fails. */
static int update_all(struct vfiox_container *c, const struct cpr_record *r, int n)
{
	int i, ret = 0;

	for (i = 0; i < n; i++) {
		ret = update_vaddr_ioctl(c, r[i].vaddr, r[i].iova, r[i].len);
		if (ret)
			break;
	}
	while (ret && i-- > 0)
		unmap_vaddr_ioctl(c, r[i].iova, r[i].len, 0, NULL);
	return ret;
}

/*
 * Does the state fit this container? Its page size, and the kernel's
 * dma_avail now against the one saved: a state that misses mappings (an
 * older save) or a container someone mapped through since would differ.
 */
static int check_fits(struct vfiox_container *c, const struct cpr_state *s)
{
	uint32_t now;
	int ret;

	if (c->dma->table.entries) {
		pr_err("restore: the container has mappings already; restore into a fresh one");
		return -EBUSY;
	}
	if (s->page != c->dma->min_page) {
		pr_err("restore: the state's page size is 0x%llx, this container's 0x%llx",
		       (unsigned long long)s->page,
		       (unsigned long long)c->dma->min_page);
		return -EINVAL;
	}
	if (s->iommu_type != (uint32_t)c->iommu_type)
		pr_warn("restore: the state was saved with IOMMU type %u, this container has %d",
			s->iommu_type, c->iommu_type);
	ret = kernel_avail(c, &now);
	if (ret || s->kernel_avail == CPR_AVAIL_UNKNOWN || now == CPR_AVAIL_UNKNOWN ||
	    now == s->kernel_avail)
		return ret;
	pr_err("restore: the kernel has %u DMA entries left, %u when this state of %u mappings was saved: it is not the container's last state",
	       now, s->kernel_avail, s->count);
	return -EINVAL;
}

static int restore_locked(struct vfiox_container *c, const struct cpr_state *s,
			  const struct cpr_record *r)
{
	struct vfiox_dma *dma = c->dma;
	int ret, i, n = (int)s->count;

	ret = check_fits(c, s);
	if (!ret)
		ret = restore_books(dma, r, n);
	if (!ret) {
		ret = update_all(c, r, n);
		if (ret)
			unwind_books(dma, r, n);
	}
	if (ret)
		return ret;
	/* The kernel's dma_avail, read at attach, had them counted already;
	 * without dma_avail the limit is UINT32_MAX and stays there. */
	dma->entries_used += (uint32_t)n;
	dma->entries_limit += dma->entries_limit > UINT32_MAX - (uint32_t)n ?
			      UINT32_MAX - dma->entries_limit : (uint32_t)n;
	for (i = 0; i < n; i++)
		dma->mapped_bytes += r[i].len;
	/* The kernel's tracking went on: it belongs to the container. */
	if (s->hints & CPR_HINT_DIRTY)
		dma->dirty = true;
	return n;
}

/* Each record's new vaddr from @relocate (or the old one), checked. */
static int relocate_all(const struct cpr_state *s, struct cpr_record *r,
			vfiox_dma_relocate_fn relocate, void *user)
{
	uint32_t i;

	for (i = 0; i < s->count; i++) {
		uint64_t old = r[i].vaddr;

		if (relocate)
			r[i].vaddr = (uintptr_t)relocate(user, old, r[i].len);
		if (!r[i].vaddr || r[i].vaddr & (s->page - 1) ||
		    r[i].vaddr + r[i].len - 1 < r[i].vaddr) {
			pr_err("restore: no usable new address (0x%llx) for the buffer at 0x%llx (IOVA 0x%llx): NULL, unaligned or wrapping",
			       (unsigned long long)r[i].vaddr, (unsigned long long)old,
			       (unsigned long long)r[i].iova);
			return -EINVAL;
		}
	}
	return 0;
}

VFIOX_API int vfiox_dma_restore(struct vfiox_container *c, const void *state,
				size_t size, vfiox_dma_relocate_fn relocate,
				void *user)
{
	struct cpr_state s;
	struct cpr_record *r;
	uint32_t i;
	int ret;

	if (!c) {
		pr_err("vfiox_dma_restore: no container");
		return -EINVAL;
	}
	ret = vfiox_backend_legacy_only(c, "live update (VFIO_UPDATE_VADDR)");
	if (ret)
		return ret;
	ret = vfiox_cpr_state_parse(state, size, &s);
	if (ret)
		return ret;
	r = calloc((size_t)s.count + 1, sizeof(*r));
	if (!r) {
		pr_err("restore: no memory for %u mappings", s.count);
		return -ENOMEM;
	}
	for (i = 0; i < s.count; i++)
		vfiox_cpr_state_record(&s, i, &r[i]);
	/* The caller's callback runs before the lock is taken. */
	ret = relocate_all(&s, r, relocate, user);
	if (!ret) {
		vfiox_lock(&c->dma->lock);
		ret = check_cpr(c);
		if (!ret)
			ret = restore_locked(c, &s, r);
		vfiox_unlock(&c->dma->lock);
	}
	free(r);
	return ret;
}
