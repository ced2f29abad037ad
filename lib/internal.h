/* SPDX-License-Identifier: MIT */
/*
 * Object layouts and helpers shared inside libvfiox; not installed. The DMA
 * engine's insides are not here but in dma_internal.h, which only the files
 * that must touch them include.
 */
#ifndef VFIOX_INTERNAL_H
#define VFIOX_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/vfio.h>

#include <vfiox.h>
#include "backend.h"
#include "sys.h"

#define VFIOX_PATH_MAX 512

/* Where the kernel objects live; copied into every container. */
struct vfiox_env {
	const struct vfiox_sys *sys;
	char dev_root[VFIOX_PATH_MAX];
	char sysfs_root[VFIOX_PATH_MAX];
};

struct vfiox_dma;		/* dma_internal.h */
struct p2p_record;		/* p2p.c */

struct vfiox_container {
	struct vfiox_env env;
	struct vfiox_dma *dma;
	/* The kernel interface (backend.h): chosen at open, or under auto
	 * (auto_pending) at the first group open; never changed after. */
	const struct vfiox_backend_ops *backend;
	bool auto_pending;	/* auto, undecided: a legacy container, fd hidden */
	bool auto_chose;	/* auto chose the backend (refusals say so) */
	int fd;			/* the VFIO container, or the iommufd */
	uint32_t ioas;		/* iommufd: the IOAS that is the container */
	int ioas_devices;	/* iommufd: devices attached to the IOAS */
	int want_type;		/* 0: type1v2, falling back to type1 */
	int iommu_type;		/* 0 until the first group attaches */
	struct vfiox_iommu_info info;
	struct vfiox_iova_range *ranges;
	struct vfiox_resv_region *resv;	/* from the capability, if any */
	uint32_t nr_resv;
	bool allow_relaxable;
	/* Handed over (vfiox_container_adopt): its groups may live in the
	 * kernel without libvfiox knowing them, so the IOMMU's state is the
	 * kernel's word, never inferred. */
	bool adopted;
	struct vfiox_group *groups;
	struct p2p_record *p2p;		/* P2P mappings, under dma->lock */
	struct vfiox_events *events;	/* the source watching it, or NULL */
	struct vfiox_req_watch *req;	/* device request thread, or NULL */
	int iopf_refused;	/* errno of the last refused IOPF enable, or 0 */
	/* iommufd in IOPF mode (lib/iopf_iommufd.c): the fault-capable HWPT
	 * every device is attached to (0: none), and its fault queue with
	 * the thread that answers it. */
	uint32_t iopf_hwpt;
	bool iopf_pasid;	/* iopf_hwpt takes PASIDs (IOMMU_HWPT_ALLOC_PASID) */
	struct vfiox_fault_queue *faultq;
};

struct vfiox_group {
	struct vfiox_container *container;
	struct vfiox_group *next;
	int nr;
	int fd;			/* -1 on iommufd: devices open without it */
	struct vfiox_device *devices;
};

struct vfiox_region {
	struct vfiox_region_info info;
	struct vfiox_sparse_area *sparse;
	void *map;		/* non-NULL while mapped through libvfiox */
};

struct vfiox_irq {
	struct vfiox_irq_info info;
	bool enabled;
	int *owned_fds;		/* eventfds created by vfiox_irq_enable() */
	uint32_t nr_owned;
};

struct vfiox_device {
	struct vfiox_group *group;
	struct vfiox_device *next;
	char name[64];
	/* The device file; once released, a dead file under the same number
	 * (lib/req.c says why), closed by vfiox_device_close(). */
	int fd;
	uint32_t devid;		/* iommufd: its id from VFIO_DEVICE_BIND_IOMMUFD */
	uint32_t hwpt;		/* iommufd: the page table ATTACH put it on */
	/* iommufd: the PASID-capable HWPT on the IOAS that libvfiox made for
	 * it at its first PASID attach (lib/pasid.c), its page table outside
	 * IOPF mode from then on; 0: none, the device goes to the IOAS. */
	uint32_t home_hwpt;
	int req_fd;		/* the device request eventfd, or -1 */
	vfiox_req_fn req_fn;
	void *req_arg;
	/* Given back on the kernel's request: set once, by the request
	 * thread, while caller threads read it. */
	atomic_bool released;
	pthread_mutex_t map_lock;	/* regions[].map against the release */
	/* The epoch of its dma-buf exports (lib/dmabuf.c), under map_lock;
	 * NULL until the first. */
	struct vfiox_dmabuf_epoch *dmabuf_epoch;
	uint32_t *pasids;	/* SVM bonds made through libvfiox */
	uint32_t nr_pasids;
	int svm_refused;	/* errno of the last refused SVM bind, or 0 */
	/* iommufd: PASIDs attached through vfiox_device_attach_pasid() */
	uint32_t *att_pasids;
	uint32_t nr_att_pasids;
	/* VFIO_DEVICE_FEATURE_MIGRATION, read once: the kernel sets a
	 * device's migration flags when it registers it. */
	uint64_t mig_flags;
	bool mig_flags_read;
	struct vfiox_device_info info;
	struct vfiox_region *regions;
	struct vfiox_irq *irqs;
};

/* Device requests (lib/req.c): listen for @d's request (when it has a
 * request IRQ); stop listening (waits if its handler runs on another
 * thread); stop the container's thread; and what the thread does per
 * request. */
int vfiox_req_watch(struct vfiox_device *d);
void vfiox_req_unwatch(struct vfiox_device *d);
void vfiox_req_stop(struct vfiox_container *c);
void vfiox_req_handle(struct vfiox_device *d);
/* Calls on a released device (lib/device.c): -ENODEV with a log line,
 * else 0. */
int vfiox_device_check_live(const struct vfiox_device *d);
/* True once the device was released; one atomic load, for hot paths. A
 * call whose kernel call failed asks again: the release may have handed its
 * fd a dead file meanwhile (lib/req.c), and then the answer is -ENODEV. */
static inline bool vfiox_device_gone(const struct vfiox_device *d)
{
	return atomic_load_explicit(&d->released, memory_order_acquire);
}
/* Adopted fds (lib/adopt_check.c): is @fd the node of group @nr; is it the
 * device @name of group @group_nr? 0 also where the kernel or the sandbox
 * cannot tell (logged), -EINVAL (logged) when it is another. */
int vfiox_check_group_fd(const struct vfiox_env *env, int fd, int nr);
int vfiox_check_device_fd(const struct vfiox_env *env, int fd, const char *name,
			  int group_nr);
/* The type1 version of container @fd's IOMMU (set): the kernel's when it
 * tells (@want, the caller's, must then agree: else -EINVAL), else @want,
 * else VFIO_TYPE1v2_IOMMU; or a negative errno. */
int vfiox_adopted_iommu_type(const struct vfiox_sys *sys, int fd, int want);
/* Is @fd already one of @c's: the container, a group or a device? */
bool vfiox_container_holds_fd(const struct vfiox_container *c, int fd);
/* Internal constructors: the public ones call these with vfiox_sys_real. */
int vfiox_container_open_sys(const struct vfiox_container_opts *opts,
			     const struct vfiox_sys *sys,
			     struct vfiox_container **out);
int vfiox_container_adopt_sys(int fd, const struct vfiox_container_opts *opts,
			      const struct vfiox_sys *sys,
			      struct vfiox_container **out);

/* VFIO_DEVICE_GET_REGION_INFO for one index, caps parsed, into d->regions. */
int vfiox_region_read_info(struct vfiox_device *d, uint32_t index);

/* The mmap-able areas of @r: its sparse areas, or @whole set to all of
 * it when it has no sparse capability. Returns how many. */
uint32_t vfiox_region_areas(const struct vfiox_region *r,
			    struct vfiox_sparse_area *whole,
			    const struct vfiox_sparse_area **areas);

/*
 * A device's dma-bufs (lib/dmabuf.c). Export [off, +len) of region @index
 * of @d as a dma-buf: *@fd (the caller's to close) and a reference on the
 * epoch it belongs to; -EOPNOTSUPP (logged with the way out) where the
 * kernel or the driver cannot. An epoch is revoked once libvfiox closed,
 * reset or released its device: the kernel revoked its dma-bufs then, and
 * tells nobody. revoke_all() ends @d's epoch, saying @why in the log.
 */
struct vfiox_dmabuf_epoch;
int vfiox_dmabuf_export(struct vfiox_device *d, uint32_t index, uint64_t off,
			uint64_t len, int *fd, struct vfiox_dmabuf_epoch **epoch);
void vfiox_dmabuf_epoch_put(struct vfiox_dmabuf_epoch *e);
bool vfiox_dmabuf_epoch_revoked(const struct vfiox_dmabuf_epoch *e);
void vfiox_dmabuf_revoke_all(struct vfiox_device *d, const char *why);

/* Is @iova inside a mapping of @c's DMA engine that the device may read
 * (and with @write, write)? Takes the DMA lock (lib/dma.c). */
bool vfiox_dma_allows(struct vfiox_container *c, uint64_t iova, bool write);
/*
 * I/O page faults on iommufd (lib/iopf_iommufd.c): enable (the checks of
 * vfiox_container_enable_iopf() done, the DMA lock not held; the caller
 * then sets the engine's IOPF flag): 0 or -errno with @c as before; why it cannot, as enum vfiox_feature_reason
 * (vfiox_iopf_support()); stop answering faults and free the queue (the
 * container's close, before its devices go).
 */
int vfiox_iopf_iommufd_enable(struct vfiox_container *c);
int vfiox_iopf_iommufd_reason(struct vfiox_container *c);
void vfiox_iopf_iommufd_stop(struct vfiox_container *c);
/* Page request groups answered Success (@success) or Invalid so far. */
unsigned long vfiox_iopf_iommufd_answered(const struct vfiox_container *c, bool success);
/* The container's IOPF devices that lack PRI or ATS, each named in the
 * log (lib/iopf.c). */
int vfiox_iopf_count_lacking(struct vfiox_container *c);
/* Detach every PASID vfiox_device_attach_pasid() attached to @d (its
 * close; lib/pasid.c). */
void vfiox_pasid_detach_all(struct vfiox_device *d);
/* Destroy the PASID-capable HWPT made for closed device @d, if any (its
 * file is closed, so nothing is attached to it). */
void vfiox_pasid_drop_home(struct vfiox_device *d);
/* @d's PASID width (IOMMU_GET_HW_INFO), 0 for none, -1 when the kernel
 * cannot say, or -errno (lib/pasid.c). */
int vfiox_pasid_width(const struct vfiox_device *d);
/* 0 when @c drives iommufd, else -ENODEV (auto undecided) or -EOPNOTSUPP,
 * logged with @what (lib/iommufd_ids.c). */
int vfiox_iommufd_only(const struct vfiox_container *c, const char *what);

/* Unlink and close every device of a group (used on group close). */
void vfiox_device_close_all(struct vfiox_group *g);

/* The DMA engine's life cycle, all a container needs of it (lib/dma.c):
 * 0 or -ENOMEM; fini releases every mapping's owner. */
int vfiox_dma_init(struct vfiox_container *c);
void vfiox_dma_fini(struct vfiox_container *c);
/* The last group left and the kernel dropped every mapping: drop them
 * from libvfiox's books too, with the IOVA space. */
void vfiox_dma_drop_all(struct vfiox_container *c);
/* Recompute the free IOVA space and the entry limit after the IOMMU info
 * changed (lib/iova_space.c). */
int vfiox_iova_space_rebuild(struct vfiox_container *c);
int vfiox_container_reread_ranges(struct vfiox_container *c, const char *why);

/* The kernel revoked @device's mapping at [iova, +len) (lib/p2p.c): 1 if
 * it was ours and is now dropped and marked revoked, 0 if not (already
 * unmapped). */
int vfiox_p2p_revoke(struct vfiox_container *c, const char *device,
		     uint64_t iova, uint64_t len);

/* The event source (lib/events.c) stops watching @c without telling the
 * kernel: @c is being closed, and its fd with it. */
void vfiox_events_drop_watch(struct vfiox_events *ev, struct vfiox_container *c);
/* An event source on an already connected socket @fd (vfiox_events_open()
 * uses it; the unit tests feed such a source by hand), and the handler
 * every received message goes through. */
struct nl_msg;
int vfiox_events_new(int family, int fd, vfiox_event_fn fn, void *arg,
		     struct vfiox_events **out);
int vfiox_events_handle_msg(struct vfiox_events *ev, struct nl_msg *msg);
/* The source reads @sk (connected, non-blocking, freed on close) from now
 * on: vfiox_events_open() and the unit tests' own sockets. */
struct nl_sock;
void vfiox_events_own_socket(struct vfiox_events *ev, struct nl_sock *sk);

/* Reserved regions of group @nr, or of every group if @nr < 0, from the
 * capability or sysfs, sorted as vfiox_container_resv_regions(); *@out is
 * malloc'ed. Returns their number or negative errno. */
int vfiox_resv_collect(struct vfiox_container *c, int nr,
		       struct vfiox_resv_region **out);
/* vfiox_pci_bind() on a given syscall seam (the unit tests' fake). */
int vfiox_pci_bind_sys(const struct vfiox_sys *sys, const char *bdf,
		       const struct vfiox_bind_opts *opts, struct vfiox_binding **out);
int vfiox_pci_release_sys(const struct vfiox_sys *sys, const char *bdf,
			  const struct vfiox_bind_opts *opts, char *driver, size_t len);
/* The SR-IOV calls on a given seam (lib/sriov.c). */
int vfiox_pci_sriov_enable_sys(const struct vfiox_sys *sys, const char *bdf, int nr,
			       const struct vfiox_bind_opts *opts);
int vfiox_pci_sriov_disable_sys(const struct vfiox_sys *sys, const char *bdf,
				const struct vfiox_bind_opts *opts);
int vfiox_pci_sriov_vf_sys(const struct vfiox_sys *sys, const char *bdf, int index,
			   char *out, size_t len, const struct vfiox_bind_opts *opts);
/* VFIOX_PCI_CAP_* of a device through libpci (lib/pci.c): 0, or negative
 * when unknown (no libpci, not PCI, not found). */
int vfiox_pci_caps(const struct vfiox_env *env, const char *bdf, uint32_t *caps);
int vfiox_device_pci_caps(const struct vfiox_device *d, uint32_t *caps);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into 16 bytes (@out may be NULL
 * to only check it); 0 or -EINVAL (lib/uuid.c). */
int vfiox_uuid_parse(const char *s, uint8_t out[16]);
/* A received uevent from port @sender: delivered to @fn (1) only when the
 * kernel sent it and it parses, else dropped and counted (0). */
struct vfiox_uevent_monitor;
int vfiox_uevent_handle(struct vfiox_uevent_monitor *m, const void *buf,
			size_t len, uint32_t sender, vfiox_uevent_fn fn, void *arg);
/* The kernel's dma_avail now, without touching the container's info. */
int vfiox_container_read_dma_avail(struct vfiox_container *c, uint32_t *avail);

/* Before a group attaches to an adopted container: is its IOMMU still set in
 * the kernel (its sender's groups may have left meanwhile)? If not, its
 * books are dropped. 0 or a negative errno. */
int vfiox_container_check_iommu(struct vfiox_container *c);
/*
 * The container's life (container.c) as container_open.c needs it: a new
 * object for checked @opts without its fd (0 or -errno, logged), freeing
 * one that never reached its caller (its fd untouched), and checking a
 * legacy container fd's API and type1 IOMMU (@what names it in logs).
 */
int vfiox_container_new(const struct vfiox_container_opts *opts,
			const struct vfiox_sys *sys, struct vfiox_container **out);
void vfiox_container_free(struct vfiox_container *c);
int vfiox_container_check_api(struct vfiox_container *c, const char *what);
/*
 * Auto's choice (container_open.c): settle it for the first group, @group_nr
 * (iommufd where that group's devices offer usable cdevs and /dev/iommu
 * opens, else legacy; a group that does not exist leaves it pending): 0,
 * or a negative errno (logged) with nothing changed, the choice still
 * pending. keep_legacy settles legacy. Both do nothing once settled.
 */
int vfiox_container_settle(struct vfiox_container *c, int group_nr);
void vfiox_container_keep_legacy(struct vfiox_container *c);
/* vfiox_container_open_sys() as a binary linked against 0.1 gets it. */
int vfiox_container_open_sys_0_1(const struct vfiox_container_opts *opts,
				 const struct vfiox_sys *sys,
				 struct vfiox_container **out);
/* Drop @c's IOMMU info, IOVA space and books: the kernel has none of them
 * (type1's last group left; iommufd's first device failed to open). */
void vfiox_container_forget_iommu(struct vfiox_container *c);
/* Re-read IOMMU info after an attach or detach. */
int vfiox_container_on_attach(struct vfiox_container *c);
void vfiox_container_on_detach(struct vfiox_container *c);

/*
 * An info ioctl (argsz first) that grows its buffer while the kernel asks for
 * more. @init is the fixed struct to send (argsz is overwritten); *@out is
 * malloc'ed and at least as large as the kernel's final argsz.
 */
int vfiox_info_ioctl(const struct vfiox_sys *sys, int fd, unsigned long req,
		     const void *init, uint32_t init_size, void **out);

/* Offset of the first byte after @field of @type. */
#define vfiox_offsetofend(type, field) \
	(offsetof(type, field) + sizeof(((type *)0)->field))

/*
 * Growable public structs (lib/abi.c). vfiox_copy_out() fills the output
 * struct @dst (its sz as the caller set it) from the library's own @src of
 * @src_sz bytes, writing nothing past either size; -EINVAL when the caller's
 * sz is below @min_sz, the struct's first published size; vfiox_out_check()
 * is that check alone, for a call that must refuse the struct before a
 * kernel call with side effects. vfiox_opts_check()
 * takes an options struct whose fields this libvfiox knows up to @known_sz:
 * -EINVAL when its sz does not cover the sz field, -E2BIG when a byte past
 * @known_sz is not zero or sz is over VFIOX_OPTS_MAX_SZ. Both log.
 */
#define VFIOX_OPTS_MAX_SZ 4096	/* one page, as the kernel's clone3/openat2 */
int vfiox_copy_out(void *dst, const void *src, size_t src_sz, size_t min_sz,
		   const char *type);
int vfiox_out_check(const void *dst, size_t min_sz, const char *type);
int vfiox_opts_check(const void *opts, size_t known_sz, const char *type);

/*
 * First published sizes: the sz (element size for arrays) a program built
 * against 0.1 passes. Pinned as numbers, not as the end of a field, so that
 * appending a field cannot move them; never change one. lib/abi.c ties each
 * to its 0.1 layout. Only the LP64 ABI has been published; elsewhere the
 * 0.1 layout's end is the number.
 */
#if SIZE_MAX == UINT64_MAX
#define VFIOX_PINNED(lp64, type, field_0_1) ((size_t)(lp64))
#else
#define VFIOX_PINNED(lp64, type, field_0_1) vfiox_offsetofend(struct type, field_0_1)
#endif
#define VFIOX_FIRST_SZ_vfiox_iommu_info VFIOX_PINNED(57, vfiox_iommu_info, has_resv_regions)
#define VFIOX_FIRST_SZ_vfiox_device_info VFIOX_PINNED(20, vfiox_device_info, num_irqs)
#define VFIOX_FIRST_SZ_vfiox_region_info VFIOX_PINNED(61, vfiox_region_info, msix_mappable)
#define VFIOX_FIRST_SZ_vfiox_irq_info VFIOX_PINNED(20, vfiox_irq_info, count)
#define VFIOX_FIRST_SZ_vfiox_dma_stats VFIOX_PINNED(24, vfiox_dma_stats, mapped_bytes)
#define VFIOX_FIRST_SZ_vfiox_p2p_mapping VFIOX_PINNED(96, vfiox_p2p_mapping, iova)
#define VFIOX_FIRST_SZ_vfiox_pci_dev VFIOX_PINNED(236, vfiox_pci_dev, caps)
#define VFIOX_FIRST_SZ_vfiox_resv_region VFIOX_PINNED(48, vfiox_resv_region, type_name)
#define VFIOX_FIRST_SZ_vfiox_uevent VFIOX_PINNED(464, vfiox_uevent, seqnum)
#define VFIOX_FIRST_SZ_vfiox_mig_precopy_info VFIOX_PINNED(28, vfiox_mig_precopy_info, flags)
/* 0.2 */
#define VFIOX_FIRST_SZ_vfiox_iommu_hw_info VFIOX_PINNED(25, vfiox_iommu_hw_info, max_pasid_log2)

/* vfiox_out_check() of struct @type, at its pinned first published size. */
#define VFIOX_OUT_CHECK(dst, type) \
	vfiox_out_check((dst), VFIOX_FIRST_SZ_##type, #type)

/* vfiox_copy_out() of struct @type, at its pinned first published size. */
#define VFIOX_COPY_OUT(dst, src, type) \
	vfiox_copy_out((dst), (src), sizeof(struct type), \
		       VFIOX_FIRST_SZ_##type, #type)

/*
 * A list call filling @max elements of the caller's @elem_sz with elements
 * of this libvfiox's @native_sz: vfiox_array_begin() checks @elem_sz against
 * @min_sz (-EINVAL, logged) and sets *@buf to @out when the sizes agree, else
 * to a scratch array (-ENOMEM); vfiox_array_end() copies the first @n (at most
 * @max) of them into @out, frees the scratch array and returns @n.
 */
int vfiox_array_begin(void *out, size_t max, size_t elem_sz, size_t native_sz,
		      size_t min_sz, const char *type, void **buf);
int vfiox_array_end(void *out, size_t max, size_t elem_sz, size_t native_sz,
		    void *buf, int n);
#define VFIOX_ARRAY_BEGIN(out, max, elem_sz, type, buf) \
	vfiox_array_begin((out), (max), (elem_sz), sizeof(struct type), \
			  VFIOX_FIRST_SZ_##type, #type, (buf))
#define VFIOX_ARRAY_END(out, max, elem_sz, type, buf, n) \
	vfiox_array_end((out), (max), (elem_sz), sizeof(struct type), (buf), (n))

/* 0 for NULL options, else vfiox_opts_check() of struct @type. */
#define VFIOX_OPTS_CHECK(opts, type) \
	((opts) ? vfiox_opts_check((opts), sizeof(struct type), #type) : 0)

/* True when an opts struct of size @sz holds @field. */
#define VFIOX_OPTS_HAS(opts, field) \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) + \
	 sizeof((opts)->field))

/* Logging: each .c file defines LOG_PREFIX before including this. */
__attribute__((format(printf, 2, 3)))
void vfiox_log(enum vfiox_log_level level, const char *fmt, ...);

#define pr_err(fmt, ...) \
	vfiox_log(VFIOX_LOG_ERR, LOG_PREFIX ": " fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) \
	vfiox_log(VFIOX_LOG_WARN, LOG_PREFIX ": " fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) \
	vfiox_log(VFIOX_LOG_INFO, LOG_PREFIX ": " fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) \
	vfiox_log(VFIOX_LOG_DEBUG, LOG_PREFIX ": " fmt, ##__VA_ARGS__)

/* strerror for a negative errno, thread-safe. */
const char *vfiox_errstr(int neg_errno, char *buf, size_t len);
#define ERRSTR(e) vfiox_errstr((e), (char[64]){0}, 64)

#endif
