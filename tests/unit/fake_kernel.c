// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "fake_kernel.h"
#include "../../lib/uapi_ext.h"

struct fake_kernel fk;

#define FD_BASE 1000
#define INFO_HDR sizeof(struct vfio_iommu_type1_info)

/*
 * The kernel is shared by every thread: the library's request thread polls
 * while callers map, read and close. One lock around each seam call (made
 * recursive, as list_dir calls back into the library, which may call the
 * seam again); poll sleeps on fk_changed, broadcast when an eventfd counter
 * or the fd table changes.
 */
static pthread_mutex_t fk_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_cond_t fk_changed = PTHREAD_COND_INITIALIZER;

static bool inject(const char *name, int *err)
{
	if (fk.fail_only && strcmp(fk.fail_only, name))
		return false;
	fk.calls++;
	if (fk.fail_at && fk.calls == fk.fail_at) {
		*err = -fk.fail_errno;
		fk.injected = name;
		return true;
	}
	return false;
}

/*
 * The request thread's calls (poll, read, write) happen whenever it is
 * scheduled, so counting them would make "the Nth call" depend on timing:
 * they count, and fail, only when a test names them in fail_only.
 */
static bool inject_named(const char *name, int *err)
{
	return fk.fail_only && !strcmp(fk.fail_only, name) && inject(name, err);
}

static struct fk_fd *get_fd(int fd)
{
	if (fd < FD_BASE || fd >= FD_BASE + FK_MAX_FDS)
		return NULL;
	return fk.fds[fd - FD_BASE].kind ? &fk.fds[fd - FD_BASE] : NULL;
}

static int new_fd(enum fk_fd_kind kind, void *obj)
{
	int i;

	for (i = 0; i < FK_MAX_FDS; i++) {
		if (!fk.fds[i].kind) {
			fk.fds[i] = (struct fk_fd){ .kind = kind, .obj = obj };
			return FD_BASE + i;
		}
	}
	return -EMFILE;
}

struct fk_fd *fk_get_fd(int fd)
{
	return get_fd(fd);
}

int fk_new_fd(enum fk_fd_kind kind, void *obj)
{
	return new_fd(kind, obj);
}

int fk_open_fds(void)
{
	int i, n = 0;

	pthread_mutex_lock(&fk_lock);	/* the request thread closes fds too */
	for (i = 0; i < FK_MAX_FDS; i++)
		n += fk.fds[i].kind != FK_FD_FREE;
	pthread_mutex_unlock(&fk_lock);
	return n;
}

static struct fk_file *find_file(const char *path)
{
	int i;

	for (i = 0; i < fk.nr_files; i++)
		if (!strcmp(fk.files[i].path, path))
			return &fk.files[i];
	return NULL;
}

struct fk_file *fk_file(const char *path)
{
	return find_file(path);
}

void fk_add_file(const char *path, const char *content)
{
	struct fk_file *f = &fk.files[fk.nr_files++];

	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(f->content, sizeof(f->content), "%s", content);
}

void fk_add_link(const char *path, const char *target)
{
	struct fk_file *f = &fk.files[fk.nr_files++];

	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(f->link, sizeof(f->link), "%s", target);
}

/* /proc/self/fdinfo/N, as 7.2 prints it: a device fd names its device. */
static int open_fdinfo(const char *path)
{
	struct fk_file *f = &fk.fdinfo_file;
	struct fk_fd *of = get_fd(atoi(path + strlen("/proc/self/fdinfo/")));
	const struct fk_device *d;
	int i, n;

	if (!fk.fdinfo || !of)
		return -ENOENT;
	snprintf(f->path, sizeof(f->path), "%s", path);
	n = snprintf(f->content, sizeof(f->content), "pos:\t0\nflags:\t02000002\nmnt_id:\t15\n");
	for (i = 0; i < fk.fdinfo_locks && (size_t)n < sizeof(f->content); i++)
		n += snprintf(f->content + n, sizeof(f->content) - (size_t)n,
			      "lock:\t%d: POSIX  ADVISORY  WRITE %d 00:0e:1037 %d %d\n",
			      i + 1, 4242, i * 2, i * 2);
	if (of->kind == FK_FD_DEVICE && (size_t)n < sizeof(f->content)) {
		d = of->obj;
		if (d->syspath[0])
			snprintf(f->content + n, sizeof(f->content) - (size_t)n,
				 "vfio-device-syspath: %s\n", d->syspath);
		else
			snprintf(f->content + n, sizeof(f->content) - (size_t)n,
				 "vfio-device-syspath: /sys/devices/fake/%s\n", d->name);
	}
	return new_fd(FK_FD_FILE, f);
}

static int fake_open(const char *path, int flags)
{
	char grp[32];
	int err, i;

	(void)flags;
	if (inject("open", &err))
		return err;
	if (!strncmp(path, "/proc/self/fdinfo/", strlen("/proc/self/fdinfo/")))
		return open_fdinfo(path);
	if (!strcmp(path, "/fake/dev/vfio/vfio"))
		return fk.no_container ? -ENOENT : new_fd(FK_FD_CONTAINER, NULL);
	if (fk_iommufd_open(path, &err))
		return err;
	for (i = 0; i < fk.nr_groups; i++) {
		snprintf(grp, sizeof(grp), "/fake/dev/vfio/%d", fk.groups[i].nr);
		if (!strcmp(path, grp)) {
			if (fk.groups[i].open_errno)
				return -fk.groups[i].open_errno;
			return new_fd(FK_FD_GROUP, &fk.groups[i]);
		}
	}
	if (find_file(path) && !find_file(path)->link[0])
		return new_fd(FK_FD_FILE, find_file(path));
	return -ENOENT;
}

static bool any_attached(void)
{
	int i;

	for (i = 0; i < fk.nr_groups; i++)
		if (fk.groups[i].attached)
			return true;
	return false;
}

static void drop_iommu(void);

/* Is a group attached to container fd @fd? */
static bool holds_groups(int fd)
{
	int i;

	for (i = 0; i < fk.nr_groups; i++)
		if (fk.groups[i].attached && fk.groups[i].container == fd)
			return true;
	return false;
}

/* Group @g left its container: the container's IOMMU goes with its last
 * group. The mappings are one list for all containers: they go when no
 * group is attached anywhere. iommufd's compat IOAS, and the mappings in
 * it, stay until the fd closes. */
static void left_container(struct fk_group *g)
{
	struct fk_fd *c = get_fd(g->container);

	if (fk.iommufd_compat)
		return;
	if (c && c->kind == FK_FD_CONTAINER && !holds_groups(g->container))
		c->iommu = 0;
	if (!any_attached())
		drop_iommu();
}

/* The last group left: type1 frees the IOMMU and every mapping. */
static void drop_iommu(void)
{
	fk.iommu_type = 0;
	fk.dma_avail += (uint32_t)fk.nr_maps;
	fk_free_bitmaps();
	fk.nr_maps = 0;
	fk.dirty = false;
}

/* The last reference to @f's file goes, as the kernel's release. */
void fk_kernel_detach(struct fk_group *g)
{
	g->attached = false;
	left_container(g);
}

static void drop_file(struct fk_fd *f)
{
	fk_iommufd_drop(f);
	if (f->kind == FK_FD_DEVICE) {	/* every SVM bond goes */
		((struct fk_device *)f->obj)->pasid = 0;
		fk_dmabuf_revoke(f->obj);	/* one fd a device, here */
	}
	if (f->kind == FK_FD_GROUP) {
		/* Releasing a group fd detaches it, as the kernel does. */
		((struct fk_group *)f->obj)->attached = false;
		left_container(f->obj);
	}
	/* iommufd's compat IOAS goes with the iommufd (no group holds it). */
	if (f->kind == FK_FD_CONTAINER && fk.iommufd_compat && !any_attached())
		drop_iommu();
}

static int fake_close(int fd)
{
	struct fk_fd *f = get_fd(fd);

	/* close() is not failed on purpose: the kernel always frees the fd. */
	if (!f)
		return -EBADF;
	drop_file(f);
	f->kind = FK_FD_FREE;
	pthread_cond_broadcast(&fk_changed);
	return 0;
}

/* The dead fd's file replaces the device's. */
static int fake_dup2(int oldfd, int newfd)
{
	struct fk_fd *from = get_fd(oldfd), *to;
	int err;

	if (inject("dup2", &err))
		return err;
	if (!from || newfd < FD_BASE || newfd >= FD_BASE + FK_MAX_FDS)
		return -EBADF;
	to = &fk.fds[newfd - FD_BASE];
	if (to->kind)
		drop_file(to);
	*to = *from;
	fk.dup2_calls++;
	pthread_cond_broadcast(&fk_changed);
	return newfd;
}

static int iommu_get_info(int type, struct vfio_iommu_type1_info *info)
{
	struct vfio_iommu_type1_info hdr;

	if (info->argsz < offsetof(struct vfio_iommu_type1_info, cap_offset))
		return -EINVAL;
	if (!type)	/* iommufd: no compat IOAS; the VFIO core: no driver */
		return fk.iommufd_compat ? -ENODEV : -EINVAL;
	memcpy(&hdr, fk.iommu_info, sizeof(hdr));
	if (info->argsz < fk.iommu_info_len) {
		info->argsz = fk.iommu_info_len;
		info->flags = hdr.flags;
		info->iova_pgsizes = hdr.iova_pgsizes;
		if (info->argsz >= INFO_HDR)
			info->cap_offset = 0;
		return 0;
	}
	memcpy((uint8_t *)info + sizeof(uint32_t), fk.iommu_info + sizeof(uint32_t),
	       fk.iommu_info_len - sizeof(uint32_t));
	return 0;
}

/*
 * Offset of IOMMU info cap @id, or 0. Silent on purpose (tests assert on
 * the library's log) and tolerant of the malformed chains tests build.
 */
static uint32_t find_cap(uint16_t id)
{
	struct vfio_iommu_type1_info hdr;
	struct vfio_info_cap_header h;
	uint32_t off;
	int n;

	memcpy(&hdr, fk.iommu_info, sizeof(hdr));
	for (off = hdr.cap_offset, n = 0; off && n < 64; off = h.next, n++) {
		if (off % 4 || off + sizeof(h) > fk.iommu_info_len)
			return 0;
		memcpy(&h, fk.iommu_info + off, sizeof(h));
		if (h.id == id)
			return off;
	}
	return 0;
}

/* Patch the dma_avail cap (if present) with the live count. */
static void sync_dma_avail(void)
{
	uint32_t off = find_cap(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);

	if (off && off + 12 <= fk.iommu_info_len)
		memcpy(fk.iommu_info + off + 8, &fk.dma_avail, sizeof(fk.dma_avail));
}

/* Does @m lie in [first, last]? */
static bool m_in(const struct fk_map *m, uint64_t first, uint64_t last)
{
	return m->iova >= first && m->iova + m->size - 1 <= last;
}

static bool in_ranges(uint64_t iova, uint64_t size)
{
	uint32_t off = find_cap(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	struct vfio_iommu_type1_info_cap_iova_range r;
	struct vfio_iova_range e;
	uint32_t i;

	if (!off)
		return true;
	memcpy(&r, fk.iommu_info + off, sizeof(r));
	for (i = 0; i < r.nr_iovas && i < 64; i++) {
		memcpy(&e, fk.iommu_info + off + sizeof(r) + i * sizeof(e), sizeof(e));
		if (iova >= e.start && iova + size - 1 <= e.end)
			return true;
	}
	return false;
}

static int check_extension(unsigned long ext);
static int alloc_bitmap(struct fk_map *m, uint64_t size);

/* VFIO_DMA_MAP_FLAG_VADDR: a new vaddr for the invalidated mapping at
 * exactly [iova, iova + size). */
static int update_vaddr(const struct vfio_iommu_type1_dma_map *m)
{
	int i;

	if (!check_extension(VFIO_UPDATE_VADDR) || m->flags != VFIO_DMA_MAP_FLAG_VADDR)
		return -EINVAL;
	for (i = 0; i < fk.nr_maps; i++) {
		struct fk_map *f = &fk.maps[i];

		if (f->iova != m->iova)
			continue;
		if (f->size != m->size || !f->invalid)
			return -EINVAL;
		f->vaddr = m->vaddr;
		f->invalid = false;
		return 0;
	}
	return -ENOENT;
}

static int map_dma(struct vfio_iommu_type1_dma_map *m)
{
	int i;

	fk.map_calls++;
	if (fk.fast_maps)
		return 0;
	if (m->flags & VFIO_DMA_MAP_FLAG_VADDR)
		return update_vaddr(m);
	if (m->argsz < sizeof(*m) || !m->size || (m->iova | m->size | m->vaddr) & 0xfff)
		return -EINVAL;
	if (!in_ranges(m->iova, m->size))
		return -EINVAL;
	/* IOPF mode wants its flag on every map, pinned mode refuses it. */
	if (!!(m->flags & VFIOX_DMA_MAP_FLAG_IOPF) != fk.iopf)
		return -EINVAL;
	for (i = 0; i < fk.nr_maps; i++)
		if (m->iova < fk.maps[i].iova + fk.maps[i].size &&
		    fk.maps[i].iova < m->iova + m->size)
			return -EEXIST;
	if (!fk.dma_avail || fk.nr_maps == FK_MAX_MAPS)
		return -ENOSPC;
	if (fk.dirty && alloc_bitmap(&fk.maps[fk.nr_maps], m->size))
		return -ENOMEM;
	fk.maps[fk.nr_maps] = (struct fk_map){ m->iova, m->size, m->vaddr, m->flags,
					       false, fk.maps[fk.nr_maps].bitmap, NULL, false };
	fk.nr_maps++;
	fk.dma_avail--;
	return 0;
}

/* The migration cap's largest bitmap, or 0 without the cap. */
static uint64_t max_bitmap(void)
{
	uint32_t off = find_cap(VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	struct vfio_iommu_type1_info_cap_migration m;

	if (!off)
		return 0;
	memcpy(&m, fk.iommu_info + off, sizeof(m));
	return m.max_dirty_bitmap_size;
}

/* Type1's checks of a bitmap for [iova, iova + size): 4 KiB pages. */
static int check_bitmap(const struct vfio_bitmap *b, uint64_t iova, uint64_t size)
{
	uint64_t pages = size / 4096;

	if (b->pgsize != 4096 || (iova | size) & 4095 || !size ||
	    b->size < (pages + 63) / 64 * 8 || b->size > max_bitmap() || !b->data)
		return -EINVAL;
	return 0;
}

/*
 * Type1's update_user_bitmap(), literally: without pinning drivers every
 * page of @m is dirty; a mapping whose first bit is not the first of a
 * word has its own bitmap shifted in place (whole words), the caller's
 * word there ORed in whole, and whole words copied out from that word on.
 */
static void update_user_bitmap(uint64_t *user, uint64_t base, struct fk_map *m)
{
	uint64_t nbits = m->size / 4096, bit = (m->iova - base) / 4096;
	uint64_t shift = bit % 64, words = (nbits + shift + 63) / 64, i;
	uint64_t *bm = m->bitmap;

	for (i = 0; i < nbits; i++)
		bm[i / 64] |= 1ULL << (i % 64);
	if (shift) {
		for (i = words; i-- > 0;)
			bm[i] = bm[i] << shift | (i ? bm[i - 1] >> (64 - shift) : 0);
		bm[0] |= user[bit / 64];
	}
	memcpy(user + bit / 64, bm, words * 8);
}

/* What vfio_iova_dirty_bitmap() does after the copy: clear only the
 * mapping's own nbits, so bits shifted past them stay. */
static void clear_own_bits(struct fk_map *m)
{
	uint64_t i;

	for (i = 0; i < m->size / 4096; i++)
		m->bitmap[i / 64] &= ~(1ULL << (i % 64));
}

static int alloc_bitmap(struct fk_map *m, uint64_t size)
{
	m->bitmap = calloc((size / 4096 + 63) / 64 + 1, 8);
	return m->bitmap ? 0 : -ENOMEM;
}

void fk_free_bitmaps(void)
{
	int i;

	for (i = 0; i < fk.nr_maps; i++) {
		free(fk.maps[i].bitmap);
		fk.maps[i].bitmap = NULL;
	}
}

/* Does a mapping cross either end of [iova, last]? */
static bool splits(uint64_t iova, uint64_t last)
{
	int i;

	for (i = 0; i < fk.nr_maps; i++) {
		const struct fk_map *m = &fk.maps[i];

		if (m->iova <= last && iova <= m->iova + m->size - 1 &&
		    (m->iova < iova || m->iova + m->size - 1 > last))
			return true;
	}
	return false;
}

static int dirty_pages(int type, struct vfio_iommu_type1_dirty_bitmap *d)
{
	struct vfio_iommu_type1_dirty_bitmap_get g;
	int i;

	/* Type1 refuses v1 before reading the argument; iommufd lacks it. */
	if (fk.iommufd_compat)
		return -ENOTTY;
	if (type == VFIO_TYPE1_IOMMU)
		return -EACCES;
	if (!max_bitmap())
		return -ENOTTY;
	if (d->flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_START ||
	    d->flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) {
		bool start = d->flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_START;

		/* Start allocates every mapping's bitmap, stop frees them;
		 * both are no-ops when already so. */
		for (i = 0; start && !fk.dirty && i < fk.nr_maps; i++)
			if (alloc_bitmap(&fk.maps[i], fk.maps[i].size))
				return -ENOMEM;
		if (!start)
			fk_free_bitmaps();
		fk.dirty = start;
		return 0;
	}
	if (d->flags != VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP ||
	    d->argsz < sizeof(*d) + sizeof(g))
		return -EINVAL;
	memcpy(&g, d->data, sizeof(g));
	if (!fk.dirty || check_bitmap(&g.bitmap, g.iova, g.size) ||
	    splits(g.iova, g.iova + g.size - 1))
		return -EINVAL;
	fk.dirty_gets++;
	for (i = 0; i < fk.nr_maps; i++)
		if (m_in(&fk.maps[i], g.iova, g.iova + g.size - 1)) {
			update_user_bitmap((uint64_t *)g.bitmap.data, g.iova, &fk.maps[i]);
			clear_own_bits(&fk.maps[i]);
		}
	return 0;
}

/*
 * VFIO_DMA_UNMAP_FLAG_VADDR (with _ALL or a range of whole mappings): the
 * mappings stay, their vaddrs are invalid; none may be invalid already.
 */
static int invalidate_vaddrs(struct vfio_iommu_type1_dma_unmap *u)
{
	bool all = u->flags & VFIO_DMA_UNMAP_FLAG_ALL;
	uint64_t last = u->iova + u->size - 1;
	int i;

	if (!check_extension(VFIO_UPDATE_VADDR) ||
	    u->flags & ~(uint32_t)(VFIO_DMA_UNMAP_FLAG_VADDR | VFIO_DMA_UNMAP_FLAG_ALL) ||
	    (all && (u->iova || u->size || !check_extension(VFIO_UNMAP_ALL))) ||
	    (!all && (!u->size || splits(u->iova, last))))
		return -EINVAL;
	for (i = 0; i < fk.nr_maps; i++)
		if ((all || m_in(&fk.maps[i], u->iova, last)) && fk.maps[i].invalid)
			return -EINVAL;
	u->size = 0;	/* as type1, the bytes invalidated */
	for (i = 0; i < fk.nr_maps; i++) {
		if (all || m_in(&fk.maps[i], u->iova, last)) {
			fk.maps[i].invalid = true;
			u->size += fk.maps[i].size;
		}
	}
	return 0;
}

/*
 * Type1 v2: every mapping inside [iova, iova + size) goes, one crossing
 * either end is -EINVAL before anything goes; FLAG_ALL (with the
 * extension) takes iova = size = 0 and removes them all. u->size: bytes.
 */
static int unmap_dma(struct vfio_iommu_type1_dma_unmap *u)
{
	bool all = u->flags & VFIO_DMA_UNMAP_FLAG_ALL;
	bool dirty = u->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	uint64_t last = u->iova + u->size - 1, bytes = 0;
	struct vfio_bitmap b;
	int i;

	fk.unmap_calls++;
	if (fk.fast_maps)
		return 0;
	if (u->flags & VFIO_DMA_UNMAP_FLAG_VADDR)
		return invalidate_vaddrs(u);
	if (u->flags & ~(uint32_t)(VFIO_DMA_UNMAP_FLAG_ALL |
				   VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) ||
	    (all && (dirty || u->iova || u->size || !check_extension(VFIO_UNMAP_ALL))) ||
	    (!all && (!u->size || last < u->iova)))
		return -EINVAL;
	if (dirty) {
		if (u->argsz < sizeof(*u) + sizeof(b))
			return -EINVAL;
		memcpy(&b, u->data, sizeof(b));
		/* Type1 refuses it without tracking started. */
		if (!fk.dirty || check_bitmap(&b, u->iova, u->size))
			return -EINVAL;
		fk.dirty_unmaps++;
	}
	if (!all && splits(u->iova, last))
		return -EINVAL;
	for (i = 0; i < fk.nr_maps;) {
		if (all || (m_in(&fk.maps[i], u->iova, last))) {
			if (dirty)
				update_user_bitmap((uint64_t *)b.data, u->iova, &fk.maps[i]);
			bytes += fk.maps[i].size;
			free(fk.maps[i].bitmap);
			fk.maps[i] = fk.maps[--fk.nr_maps];
			fk.maps[fk.nr_maps].bitmap = NULL;
			fk.dma_avail++;
		} else {
			i++;
		}
	}
	u->size = bytes;
	return 0;
}

static int check_extension(unsigned long ext)
{
	unsigned int i;

	for (i = 0; i < sizeof(fk.private_exts) / sizeof(fk.private_exts[0]); i++)
		if (fk.private_exts[i] && fk.private_exts[i] == ext)
			return ext == VFIOX_SVM && !fk.svm_flag_unreported ?
			       VFIOX_SVM_FLAGS_REPORTED :
			       fk.private_ext_answer ? fk.private_ext_answer : 1;
	return ext < 32 && (fk.extensions >> ext) & 1;
}

static int enable_iopf(struct vfiox_iommu_iopf *req)
{
	if (!check_extension(VFIOX_IOPF))
		return -ENOTTY;
	if (req->argsz < sizeof(*req) || req->flags)
		return -EINVAL;
	if (fk.nr_maps)
		return -EBUSY;
	if (fk.iopf_errno)
		return -fk.iopf_errno;
	fk.iopf = true;
	return 0;
}

static int events_watch(struct vfiox_iommu_events_watch *w)
{
	if (!check_extension(VFIOX_EVENTS))
		return -ENOTTY;
	if (w->argsz < sizeof(*w) || w->flags || w->sock_fd < -1)
		return -EINVAL;
	fk.watch_calls++;
	fk.watch_fd = w->sock_fd;
	fk.watch_cookie = w->cookie;
	w->portid = w->sock_fd < 0 ? 0 : 4242;
	return 0;
}

/* Each container has its own IOMMU, set once a group of its own is there. */
static int container_ioctl(struct fk_fd *c, unsigned long req, void *arg)
{
	int self = FD_BASE + (int)(c - fk.fds);

	switch (req) {
	case VFIO_GET_API_VERSION:
		return fk.api_version;
	case VFIO_CHECK_EXTENSION:
		return check_extension((unsigned long)arg);
	case VFIOX_IOMMU_EVENTS_WATCH:
		return c->iommu ? events_watch(arg) : -EINVAL;
	case VFIOX_IOMMU_ENABLE_IOPF:
		return c->iommu ? enable_iopf(arg) : -EINVAL;
	case VFIO_SET_IOMMU:
		if (!holds_groups(self) || c->iommu)
			return -EINVAL;
		c->iommu = (int)(long)arg;
		fk.iommu_type = c->iommu;
		return 0;
	case VFIO_IOMMU_GET_INFO:
		sync_dma_avail();
		return iommu_get_info(c->iommu, arg);
	case VFIO_IOMMU_MAP_DMA:
		return c->iommu ? map_dma(arg) : -EINVAL;
	case VFIO_IOMMU_UNMAP_DMA:
		return c->iommu ? unmap_dma(arg) : -EINVAL;
	case VFIO_IOMMU_DIRTY_PAGES:
		return c->iommu ? dirty_pages(c->iommu, arg) : -EINVAL;
	default:
		return -ENOTTY;
	}
}

static struct fk_device *find_dev(struct fk_group *g, const char *arg, char *token)
{
	const char *sp = strchr(arg, ' ');
	size_t len = sp ? (size_t)(sp - arg) : strlen(arg);
	int i;

	token[0] = '\0';
	if (sp && !strncmp(sp, " vf_token=", 10))
		snprintf(token, 64, "%s", sp + 10);
	for (i = 0; i < g->nr_devs; i++)
		if (strlen(g->devs[i].name) == len && !strncmp(g->devs[i].name, arg, len))
			return &g->devs[i];
	return NULL;
}

static int group_ioctl(struct fk_group *g, unsigned long req, void *arg)
{
	struct vfio_group_status *st = arg;
	struct fk_device *d;
	char token[64];

	switch (req) {
	case VFIO_GROUP_GET_STATUS:
		st->flags = (g->viable ? VFIO_GROUP_FLAGS_VIABLE : 0) |
			    (g->attached ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
		return 0;
	case VFIO_GROUP_SET_CONTAINER:
		if (!g->viable)
			return -EPERM;
		if (g->attached)
			return -EBUSY;
		if (!get_fd(*(int *)arg) || get_fd(*(int *)arg)->kind != FK_FD_CONTAINER)
			return -EBADF;
		g->attached = true;
		g->container = *(int *)arg;
		return 0;
	case VFIO_GROUP_UNSET_CONTAINER:
		if (!g->attached)
			return -EINVAL;
		g->attached = false;
		left_container(g);
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD:
		if (!g->attached || !fk.iommu_type)
			return -EPERM;
		d = find_dev(g, arg, token);
		if (!d)
			return -ENODEV;
		snprintf(d->got_token, sizeof(d->got_token), "%s", token);
		if (strcmp(d->token, token))
			return -EACCES;
		return new_fd(FK_FD_DEVICE, d);
	default:
		return -ENOTTY;
	}
}

static int region_info(struct fk_device *d, struct vfio_region_info *ri)
{
	struct fk_region *r;
	uint32_t need;

	if (ri->argsz < sizeof(*ri) || ri->index >= d->nr_regions ||
	    ri->index >= FK_MAX_REGIONS)
		return -EINVAL;
	r = &d->regions[ri->index];
	if (r->info_errno)
		return -r->info_errno;
	ri->flags = r->flags | (r->caps_len ? VFIO_REGION_INFO_FLAG_CAPS : 0);
	ri->size = r->size;
	ri->offset = (uint64_t)ri->index << FK_REGION_SHIFT;
	ri->cap_offset = 0;
	need = sizeof(*ri) + r->caps_len;
	if (!r->caps_len)
		return 0;
	if (ri->argsz < need) {
		ri->argsz = need;
		return 0;
	}
	memcpy((uint8_t *)ri + sizeof(*ri), r->caps, r->caps_len);
	ri->cap_offset = r->cap_offset ? r->cap_offset : sizeof(*ri);
	return 0;
}

static int set_irqs(struct fk_device *d, struct vfio_irq_set *s)
{
	uint32_t n = (s->flags & VFIO_IRQ_SET_DATA_EVENTFD) ? s->count : 0;

	if (s->argsz < sizeof(*s) + n * sizeof(int32_t) || s->index >= d->nr_irqs ||
	    s->index >= FK_MAX_IRQS)
		return -EINVAL;
	if (s->count && s->start + s->count > d->irqs[s->index].count)
		return -EINVAL;
	d->last_set = (struct fk_irq_set_hdr){ s->argsz, s->flags, s->index,
						s->start, s->count };
	memcpy(d->last_fds, s->data, (n < 8 ? n : 8) * sizeof(int32_t));
	return 0;
}

/* The arcs a driver implements (the uAPI's list), for the fake's check. */
bool fk_mig_arc(uint32_t from, uint32_t to, uint64_t flags)
{
	bool p2p = flags & VFIO_MIGRATION_P2P, pre = flags & (1 << 2);
	enum { STOP = 1, RUN, STOP_COPY, RESUMING, RUN_P2P, PRE, PRE_P2P };

	switch (from * 8 + to) {
	case STOP * 8 + STOP_COPY: case STOP * 8 + RESUMING:
	case STOP_COPY * 8 + STOP: case RESUMING * 8 + STOP:
		return true;
	case STOP * 8 + RUN: case RUN * 8 + STOP:
		return !p2p;
	case STOP * 8 + RUN_P2P: case RUN_P2P * 8 + STOP:
	case RUN * 8 + RUN_P2P: case RUN_P2P * 8 + RUN:
		return p2p;
	case RUN * 8 + PRE: case PRE * 8 + RUN:
		return pre;
	case PRE * 8 + STOP_COPY:
		return pre && !p2p;
	case PRE * 8 + PRE_P2P: case PRE_P2P * 8 + PRE: case RUN_P2P * 8 + PRE_P2P:
	case PRE_P2P * 8 + RUN_P2P: case PRE_P2P * 8 + STOP_COPY:
		return pre && p2p;
	default:
		return false;
	}
}

/* The arc's side effects: the data fd it opens (or -1), a stream loaded. */
static int mig_step(struct fk_device *d, uint32_t to)
{
	struct fk_mig *m = &d->mig;

	if (m->state == 4 && to == 1) {	/* RESUMING -> STOP loads */
		if (m->loaded_len < 4 || memcmp(m->loaded, FK_MIG_MAGIC, 4))
			return -EINVAL;
		memcpy(m->data, m->loaded, m->loaded_len);
		m->len = m->loaded_len;
	}
	if (to == 4) {
		m->loaded_len = 0;
		return new_fd(FK_FD_MIG_LOAD, d);
	}
	if (to == 3 && m->state == 1)
		return new_fd(FK_FD_MIG_SAVE, d);
	if ((to == 6 && m->state == 2) || (to == 7 && m->state == 5))
		return new_fd(FK_FD_MIG_SAVE, d);
	return -1;
}

static int mig_set(struct fk_device *d, struct vfio_device_feature_mig_state *s)
{
	struct fk_mig *m = &d->mig;
	int fd;

	if (!fk_mig_arc(m->state, s->device_state, m->flags))
		return -EINVAL;
	if (m->fail_into && s->device_state == m->fail_into) {
		if (m->fail_to_error)
			m->state = 0;
		return -m->fail_errno;
	}
	fd = mig_step(d, s->device_state);
	if (fd < -1)
		return fd;
	if (m->nr_steps < 16)
		m->steps[m->nr_steps++] = s->device_state;
	m->state = s->device_state;
	s->data_fd = fd;
	return 0;
}

/* The migration features, on a device whose mig.flags are set. */
static int mig_feature(struct fk_device *d, struct vfio_device_feature *f)
{
	uint32_t op = f->flags & VFIO_DEVICE_FEATURE_MASK;
	bool set = f->flags & VFIO_DEVICE_FEATURE_SET;
	uint64_t v;

	if (!d->mig.flags)
		return -ENOTTY;
	if (op == 12) {		/* VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2 */
		if (!(d->mig.flags & (1 << 2)) || !set)
			return -EINVAL;
		d->mig.precopy_v2 = true;
		return 0;
	}
	if (f->argsz < sizeof(*f) + 8)
		return -EINVAL;
	switch (op) {
	case VFIO_DEVICE_FEATURE_MIGRATION:
		memcpy(f->data, &d->mig.flags, 8);
		return set ? -EINVAL : 0;
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
		if (set)
			return mig_set(d, (void *)f->data);
		memcpy(f->data, &d->mig.state, 4);
		memcpy(f->data + 4, &(int32_t){ -1 }, 4);
		return 0;
	case 9:		/* VFIO_DEVICE_FEATURE_MIG_DATA_SIZE */
		if (d->mig.no_data_size || set)
			return -ENOTTY;
		v = d->mig.len;
		memcpy(f->data, &v, 8);
		return 0;
	default:
		return -ENOTTY;
	}
}

/* The PCI VF token feature, the only one vfio-pci has for every PF. */
static int feature(struct fk_device *d, struct vfio_device_feature *f)
{
	if ((f->flags & VFIO_DEVICE_FEATURE_MASK) == 11)	/* DMA_BUF */
		return fk_dmabuf_feature(d, f);
	if ((f->flags & VFIO_DEVICE_FEATURE_MASK) != VFIO_DEVICE_FEATURE_PCI_VF_TOKEN)
		return mig_feature(d, f);
	if (f->argsz < sizeof(*f) + 16 ||
	    f->flags != (VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN))
		return -EINVAL;
	if (!d->sriov_pf)
		return -ENOTTY;
	memcpy(d->vf_token, f->data, 16);
	return 0;
}

/* SVM as the series' kernel does it, for one process: one bond per device. */
static int svm(struct fk_device *d, unsigned long req, struct vfiox_device_svm *s)
{
	if (!check_extension(VFIOX_SVM))
		return -ENOTTY;
	if (s->argsz < sizeof(*s))
		return -EINVAL;
	if (req == VFIOX_DEVICE_SVM_UNBIND) {
		if (s->flags != VFIOX_SVM_PASID_RELEASE_FLUSHED &&
		    s->flags != VFIOX_SVM_PASID_RELEASE_CLEAN)
			return -EINVAL;
		if (!d->pasid || s->pasid != d->pasid)
			return -ENOENT;
		d->pasid = 0;
		d->unbinds++;
		d->last_unbind_flags = s->flags;
		return 0;
	}
	if (s->flags)
		return -EINVAL;
	if (d->svm_errno)
		return -d->svm_errno;
	if (!d->pasid)
		d->pasid = ++fk.next_pasid;
	s->pasid = d->pasid;
	d->binds++;
	return 0;
}

static int device_ioctl(struct fk_device *d, unsigned long req, void *arg)
{
	struct vfio_device_info *di = arg;
	struct vfio_irq_info *ii = arg;

	switch (req) {
	case VFIO_DEVICE_GET_INFO:
		if (di->argsz < 16)
			return -EINVAL;
		di->flags = d->flags;
		di->num_regions = d->nr_regions;
		di->num_irqs = d->nr_irqs;
		return 0;
	case VFIO_DEVICE_GET_REGION_INFO:
		return region_info(d, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		if (ii->argsz < sizeof(*ii) || ii->index >= d->nr_irqs ||
		    ii->index >= FK_MAX_IRQS)
			return -EINVAL;
		if (d->irqs[ii->index].info_errno)
			return -d->irqs[ii->index].info_errno;
		ii->flags = d->irqs[ii->index].flags;
		ii->count = d->irqs[ii->index].count;
		return 0;
	case VFIO_DEVICE_SET_IRQS:
		return set_irqs(d, arg);
	case VFIO_DEVICE_RESET:
		d->resets++;
		fk_dmabuf_revoke(d);
		if (d->mig.flags)	/* RUNNING, as mtty, unless told */
			d->mig.state = d->mig.reset_to ? d->mig.reset_to : 2;
		return 0;
	case VFIO_DEVICE_FEATURE:
		return feature(d, arg);
	case VFIOX_DEVICE_SVM_BIND:
	case VFIOX_DEVICE_SVM_UNBIND:
		return svm(d, req, arg);
	default:
		return -ENOTTY;
	}
}

/* VFIO_MIG_GET_PRECOPY_INFO on a saving data fd, as mtty: only in PRE_COPY. */
static int mig_fd_ioctl(struct fk_fd *f, unsigned long req, void *arg)
{
	struct fk_mig *m = &((struct fk_device *)f->obj)->mig;
	struct { uint32_t argsz, flags; uint64_t initial, dirty; } *pi = arg;

	if (req != _IO(VFIO_TYPE, VFIO_BASE + 21))
		return -ENOTTY;
	if (pi->argsz < sizeof(*pi) || (m->state != 6 && m->state != 7))
		return -EINVAL;
	pi->flags = m->precopy_v2 && m->reinit ? 1 : 0;
	if (pi->flags)		/* reported once, as mlx5 moves its start on */
		m->reinit = false;
	pi->initial = m->len - f->count;
	pi->dirty = m->dirty_bytes;
	return 0;
}

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	struct fk_fd *f = get_fd(fd);
	int err;

	if (inject("ioctl", &err))
		return err;
	if (!f)
		return -EBADF;
	switch (f->kind) {
	case FK_FD_CONTAINER:
		return container_ioctl(f, req, arg);
	case FK_FD_GROUP:
		return group_ioctl(f->obj, req, arg);
	case FK_FD_DEVICE:
		if (fk_cdev_ioctl(f, req, arg, &err))
			return err;
		return device_ioctl(f->obj, req, arg);
	case FK_FD_IOMMUFD:
		return fk_iommufd_ioctl(f, req, arg);
	case FK_FD_MIG_SAVE:
		return mig_fd_ioctl(f, req, arg);
	default:
		return -ENOTTY;
	}
}

static int fake_mmap(void **out, void *addr, size_t len, int prot, int flags,
		     int fd, off_t off)
{
	void *p;
	int err;

	(void)off;
	if (inject("mmap", &err))
		return err;
	if (fd >= 0 && (!get_fd(fd) || !(flags & MAP_FIXED)))
		return -EINVAL;
	if (fd >= 0 && get_fd(fd)->kind == FK_FD_EVENT)
		return -ENODEV;		/* an eventfd cannot be mapped */
	p = mmap(addr, len, prot, (fd >= 0 ? MAP_FIXED : flags & MAP_FIXED) | MAP_PRIVATE |
		 MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* MAP_FIXED over an anonymous mapping replaces it: no new one. */
	if (fd < 0 && !(flags & MAP_FIXED))
		fk.live_mmaps++;
	if (flags & MAP_HUGETLB)
		fk.hugetlb_mmaps++;
	*out = p;
	return 0;
}

/* Not failed on purpose: munmap of a range we mapped cannot fail. */
static int fake_munmap(void *addr, size_t len)
{
	if (munmap(addr, len))
		return -errno;
	fk.live_mmaps--;
	return 0;
}

static int fake_madvise(void *addr, size_t len, int advice)
{
	int err;

	(void)addr;
	(void)len;
	(void)advice;
	if (inject("madvise", &err))
		return err;
	return 0;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

/* Point @root's device @bdf at @driver ("" unbinds it), as the driver core. */
static void set_driver(const char *root, const char *bdf, const char *driver)
{
	char path[256], target[256];
	struct fk_file *link;

	snprintf(path, sizeof(path), "%.120s/bus/pci/devices/%.32s/driver", root, bdf);
	snprintf(target, sizeof(target), "../../../../bus/pci/drivers/%.64s", driver);
	link = find_file(path);
	if (!link && driver[0] && fk.nr_files < FK_MAX_FILES)
		fk_add_link(path, target);
	else if (link)	/* an empty link reads as no driver: -ENOENT */
		snprintf(link->link, sizeof(link->link), "%s", driver[0] ? target : "");
}

/*
 * The driver core behind sysfs writes: drivers/X/unbind lets the device
 * go; drivers_probe binds it to its driver_override, or else to
 * fk.probe_driver (the driver the kernel would pick, "" for none), unless
 * fk.probe_ignores_override.
 */
static void driver_core(const struct fk_file *f)
{
	char root[256], path[256];
	const char *bus = strstr(f->path, "/bus/pci/");
	size_t n = bus ? (size_t)(bus - f->path) : 0;
	const struct fk_file *ovr;
	const char *drv;

	if (!bus || n >= sizeof(root))
		return;
	memcpy(root, f->path, n);
	root[n] = '\0';
	if (strstr(f->path, "/bus/pci/drivers/") && ends_with(f->path, "/unbind")) {
		set_driver(root, f->content, "");
	} else if (ends_with(f->path, "/bus/pci/drivers_probe")) {
		snprintf(path, sizeof(path), "%.120s/bus/pci/devices/%.32s/driver_override", root,
			 f->content);
		ovr = find_file(path);
		drv = ovr && ovr->content[0] && ovr->content[0] != '\n' &&
		      !fk.probe_ignores_override ? ovr->content :
		      fk.probe_driver ? fk.probe_driver : "";
		set_driver(root, f->content, drv);
	}
}

static ssize_t rw(int fd, void *buf, size_t len, off_t off, bool write)
{
	struct fk_fd *f = get_fd(fd);
	struct fk_device *d;
	uint64_t idx, inner;
	uint8_t *data;

	if (!f)
		return -EBADF;
	if (f->kind == FK_FD_FILE && write) {
		struct fk_file *file = f->obj;

		if (file->write_errno)
			return -file->write_errno;
		if (off || len >= sizeof(file->content))
			return -EINVAL;
		memcpy(file->content, buf, len);
		file->content[len] = '\0';
		driver_core(file);
		return (ssize_t)len;
	}
	if (f->kind == FK_FD_FILE && !write) {
		const char *c = ((struct fk_file *)f->obj)->content;
		size_t clen = strlen(c);

		if ((size_t)off >= clen)
			return 0;
		len = len < clen - (size_t)off ? len : clen - (size_t)off;
		memcpy(buf, c + off, len);
		return (ssize_t)len;
	}
	if (f->kind != FK_FD_DEVICE)
		return -EINVAL;
	d = f->obj;
	idx = (uint64_t)off >> FK_REGION_SHIFT;
	inner = (uint64_t)off & ((1ull << FK_REGION_SHIFT) - 1);
	if (idx >= d->nr_regions || idx >= FK_MAX_REGIONS ||
	    inner + len > d->regions[idx].size)
		return -EINVAL;
	if (inner + len > sizeof(d->regions[idx].data))
		return (ssize_t)len;
	data = d->regions[idx].data + inner;
	memcpy(write ? data : buf, write ? buf : data, len);
	return (ssize_t)len;
}

static ssize_t fake_pread(int fd, void *buf, size_t len, off_t off)
{
	int err;

	if (inject("pread", &err))
		return err;
	return rw(fd, buf, len, off, false);
}

static ssize_t fake_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	int err;

	if (inject("pwrite", &err))
		return err;
	return rw(fd, (void *)buf, len, off, true);
}

static int fake_eventfd(unsigned int initval, int flags)
{
	int err;

	(void)initval;
	(void)flags;
	if (inject("eventfd", &err))
		return err;
	return new_fd(FK_FD_EVENT, NULL);
}

/* A saving data fd: the device's state from the fd's position (count). */
static ssize_t mig_read(struct fk_fd *f, void *buf, size_t len)
{
	struct fk_mig *m = &((struct fk_device *)f->obj)->mig;
	size_t n = m->len - f->count;

	if (n > len)
		n = len;
	memcpy(buf, m->data + f->count, n);
	f->count += n;
	return (ssize_t)n;
}

/* A resuming data fd: bytes appended while the device is RESUMING. */
static ssize_t mig_write(struct fk_fd *f, const void *buf, size_t len)
{
	struct fk_mig *m = &((struct fk_device *)f->obj)->mig;

	if (m->state != 4)
		return -EINVAL;
	if (m->write_max && len > m->write_max)
		len = m->write_max;
	if (m->take_max && m->loaded_len >= m->take_max)
		return 0;
	if (m->take_max && len > m->take_max - m->loaded_len)
		len = m->take_max - m->loaded_len;
	if (len > FK_MIG_MAX - m->loaded_len)
		return -ENOSPC;
	memcpy(m->loaded + m->loaded_len, buf, len);
	m->loaded_len += (uint32_t)len;
	return (ssize_t)len;
}

static ssize_t fake_read(int fd, void *buf, size_t len)
{
	struct fk_fd *f = get_fd(fd);
	int err;

	if (inject_named("read", &err))
		return err;
	if (!f)
		return -EBADF;
	if (f->kind == FK_FD_MIG_SAVE)
		return mig_read(f, buf, len);
	if (f->kind == FK_FD_FAULT)
		return fk_fault_read(buf, len);
	if (f->kind != FK_FD_EVENT || len < sizeof(f->count))
		return -EINVAL;
	if (!f->count)
		return -EAGAIN;
	memcpy(buf, &f->count, sizeof(f->count));
	f->count = 0;
	return sizeof(f->count);
}

static ssize_t fake_write(int fd, const void *buf, size_t len)
{
	struct fk_fd *f = get_fd(fd);
	uint64_t v;
	int err;

	if (inject_named("write", &err))
		return err;
	if (!f)
		return -EBADF;
	if (f->kind == FK_FD_MIG_LOAD)
		return mig_write(f, buf, len);
	if (f->kind == FK_FD_FAULT) {
		ssize_t n = fk_fault_write(buf, len);

		pthread_cond_broadcast(&fk_changed);
		return n;
	}
	if (f->kind != FK_FD_EVENT || len != sizeof(v))
		return -EINVAL;
	memcpy(&v, buf, sizeof(v));
	f->count += v;
	pthread_cond_broadcast(&fk_changed);
	return sizeof(v);
}

static short poll_events(const struct pollfd *p)
{
	struct fk_fd *f = get_fd(p->fd);

	if (!f)
		return POLLNVAL;
	if (f->kind == FK_FD_FILE || (f->kind == FK_FD_EVENT && f->count) ||
	    (f->kind == FK_FD_FAULT && fk.nr_faults))
		return p->events & POLLIN;
	return 0;
}

static int fake_poll(struct pollfd *p, nfds_t n, int timeout_ms)
{
	struct timespec end;
	int ready, err;
	nfds_t i;

	if (inject_named("poll", &err))
		return err;
	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	for (;;) {
		for (i = 0, ready = 0; i < n; i++) {
			p[i].revents = poll_events(&p[i]);
			ready += p[i].revents != 0;
		}
		if (ready || !timeout_ms)
			return ready;
		if (timeout_ms < 0)
			pthread_cond_wait(&fk_changed, &fk_lock);
		else if (pthread_cond_timedwait(&fk_changed, &fk_lock, &end))
			return 0;
	}
}

/* Locked: the request thread reads fail_only on every poll and read. */
void fk_fail_nth(const char *op, unsigned long n, int err)
{
	pthread_mutex_lock(&fk_lock);
	fk.calls = 0;
	fk.fail_only = op;
	fk.fail_at = n;
	fk.fail_errno = err;
	pthread_mutex_unlock(&fk_lock);
}

void fk_signal(int fd)
{
	uint64_t one = 1;

	pthread_mutex_lock(&fk_lock);
	fake_write(fd, &one, sizeof(one));
	pthread_mutex_unlock(&fk_lock);
}

void fk_fault_push(uint32_t devid, uint64_t addr, uint32_t perm, uint32_t grpid,
		   bool last, uint32_t cookie)
{
	pthread_mutex_lock(&fk_lock);
	if (fk.nr_faults < FK_MAX_FAULTS)
		fk.faults[fk.nr_faults++] = (struct vfiox_iommu_hwpt_pgfault){
			.flags = last ? VFIOX_IOMMU_PGFAULT_FLAGS_LAST_PAGE : 0,
			.dev_id = devid, .grpid = grpid, .perm = perm, .addr = addr,
			.cookie = cookie,
		};
	pthread_cond_broadcast(&fk_changed);
	pthread_mutex_unlock(&fk_lock);
}

bool fk_wait_responses(int n)
{
	struct timespec end;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += 5;
	pthread_mutex_lock(&fk_lock);
	while (fk.nr_responses < n &&
	       !pthread_cond_timedwait(&fk_changed, &fk_lock, &end))
		;
	ok = fk.nr_responses >= n;
	pthread_mutex_unlock(&fk_lock);
	return ok;
}

bool fk_is_device_fd(int fd)
{
	bool yes;

	pthread_mutex_lock(&fk_lock);
	yes = get_fd(fd) && get_fd(fd)->kind == FK_FD_DEVICE;
	pthread_mutex_unlock(&fk_lock);
	return yes;
}

static ssize_t fake_readlink(const char *path, char *buf, size_t len)
{
	struct fk_file *f = find_file(path);
	size_t n;
	int err;

	if (inject("readlink", &err))
		return err;
	if (!f || !f->link[0])
		return -ENOENT;
	n = strlen(f->link) < len ? strlen(f->link) : len;
	memcpy(buf, f->link, n);
	return (ssize_t)n;
}

/* The character devices: /dev/vfio/vfio (10:196) and the group nodes
 * (240:N); anything else is not one. */
static int fake_fd_rdev(int fd, dev_t *rdev)
{
	struct fk_fd *f = get_fd(fd);
	int err;

	if (inject("fd_rdev", &err))
		return err;
	if (!f)
		return -EBADF;
	*rdev = f->kind == FK_FD_CONTAINER ? makedev(10, 196) :
		f->kind == FK_FD_GROUP ? makedev(240, (unsigned int)((struct fk_group *)f->obj)->nr) : 0;
	return 0;
}

/* A directory is every path one level below @path among the files. */
static int fake_list_dir(const char *path, vfiox_dir_cb cb, void *arg)
{
	size_t plen = strlen(path);
	char seen[FK_MAX_FILES][64];
	int nseen = 0, i, j, ret, err;

	if (inject("list_dir", &err))
		return err;
	for (i = 0; i < fk.nr_files; i++) {
		const char *p = fk.files[i].path;
		char name[64];

		if (strncmp(p, path, plen) || p[plen] != '/')
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(p + plen + 1, "/"),
			 p + plen + 1);
		for (j = 0; j < nseen && strcmp(seen[j], name); j++)
			;
		if (j < nseen)
			continue;
		strcpy(seen[nseen++], name);
		ret = cb(arg, name);
		if (ret)
			return ret;
	}
	return nseen ? 0 : -ENOENT;
}

/* Each seam call under fk_lock (see there). */
#define LOCKED(type, name, params, args)		\
	static type locked_##name params		\
	{						\
		type ret;				\
							\
		pthread_mutex_lock(&fk_lock);		\
		ret = fake_##name args;			\
		pthread_mutex_unlock(&fk_lock);		\
		return ret;				\
	}

LOCKED(int, open, (const char *path, int flags), (path, flags))
LOCKED(int, close, (int fd), (fd))
LOCKED(int, ioctl, (int fd, unsigned long req, void *arg), (fd, req, arg))
LOCKED(int, mmap, (void **out, void *addr, size_t len, int prot, int flags, int fd,
		   off_t off), (out, addr, len, prot, flags, fd, off))
LOCKED(int, munmap, (void *addr, size_t len), (addr, len))
LOCKED(int, madvise, (void *addr, size_t len, int advice), (addr, len, advice))
LOCKED(ssize_t, pread, (int fd, void *buf, size_t len, off_t off), (fd, buf, len, off))
LOCKED(ssize_t, pwrite, (int fd, const void *buf, size_t len, off_t off),
       (fd, buf, len, off))
LOCKED(int, eventfd, (unsigned int initval, int flags), (initval, flags))
LOCKED(ssize_t, read, (int fd, void *buf, size_t len), (fd, buf, len))
LOCKED(ssize_t, write, (int fd, const void *buf, size_t len), (fd, buf, len))
LOCKED(int, poll, (struct pollfd *p, nfds_t n, int timeout_ms), (p, n, timeout_ms))
LOCKED(int, dup2, (int oldfd, int newfd), (oldfd, newfd))
LOCKED(ssize_t, readlink, (const char *path, char *buf, size_t len), (path, buf, len))
LOCKED(int, list_dir, (const char *path, vfiox_dir_cb cb, void *arg), (path, cb, arg))
LOCKED(int, fd_rdev, (int fd, dev_t *rdev), (fd, rdev))

const struct vfiox_sys fake_sys = {
	.open = locked_open,
	.close = locked_close,
	.ioctl = locked_ioctl,
	.mmap = locked_mmap,
	.munmap = locked_munmap,
	.madvise = locked_madvise,
	.pread = locked_pread,
	.pwrite = locked_pwrite,
	.eventfd = locked_eventfd,
	.read = locked_read,
	.write = locked_write,
	.poll = locked_poll,
	.dup2 = locked_dup2,
	.readlink = locked_readlink,
	.list_dir = locked_list_dir,
	.fd_rdev = locked_fd_rdev,
};
