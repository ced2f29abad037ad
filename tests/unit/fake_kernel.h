/* SPDX-License-Identifier: MIT */
/*
 * A scripted stand-in for the kernel behind libvfiox's syscall seam. Tests
 * describe containers, groups, devices and sysfs files in `fk`, can fail the
 * Nth seam call with any errno, and count every fd and mapping still open.
 */
#ifndef FAKE_KERNEL_H
#define FAKE_KERNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/vfio.h>

#include "../../lib/internal.h"
#include "../../lib/uapi_ext.h"
#include "../../lib/uapi_iommufd.h"

#define FK_MAX_GROUPS 4
#define FK_MAX_DEVS 4
#define FK_MAX_REGIONS 10
#define FK_MAX_IRQS 5
#define FK_MAX_FDS 128
#define FK_MAX_FILES 24
#define FK_REGION_SHIFT 40

struct fk_region {
	int info_errno;		/* non-zero: GET_REGION_INFO fails so */
	uint32_t flags;
	uint64_t size;
	uint8_t caps[512];	/* chain as the kernel appends it after the info */
	uint32_t caps_len;
	uint32_t cap_offset;	/* 0: sizeof(struct vfio_region_info) */
	uint8_t data[4096];	/* backing for the first 4 KiB */
};

struct fk_irq {
	int info_errno;		/* non-zero: GET_IRQ_INFO fails so */
	uint32_t flags;
	uint32_t count;
};

/* The fixed part of struct vfio_irq_set (whose data[] cannot be embedded). */
struct fk_irq_set_hdr {
	uint32_t argsz, flags, index, start, count;
};

/*
 * Migration as a v2 driver (mtty) does it, but stricter than the VFIO
 * core: a SET must be one arc, so a test sees every step libvfiox took.
 */
#define FK_MIG_MAX 64
struct fk_mig {
	uint64_t flags;		/* VFIO_DEVICE_FEATURE_MIGRATION; 0: cannot */
	uint32_t state;		/* enum vfio_device_mig_state */
	uint32_t steps[16];	/* every state set, in order */
	int nr_steps;
	uint32_t fail_into;	/* a SET into this state (if non-zero) fails */
	int fail_errno;		/* ... with this errno */
	bool fail_to_error;	/* ... and leaves the device in ERROR */
	bool no_data_size;	/* MIG_DATA_SIZE answers ENOTTY */
	uint8_t data[FK_MIG_MAX];	/* the state STOP_COPY saves */
	uint32_t len;
	uint8_t loaded[FK_MIG_MAX];	/* written while RESUMING */
	uint32_t loaded_len;
	/* The resuming data fd: each write takes at most write_max bytes
	 * (0: all), and after take_max bytes in all (0: no limit) a write
	 * takes none (returns 0). */
	uint32_t write_max, take_max;
	uint32_t reset_to;	/* the state a reset leaves (0: RUNNING) */
	uint64_t dirty_bytes;	/* PRECOPY_INFO's dirty estimate */
	bool precopy_v2;	/* MIG_PRECOPY_INFOv2 was set */
	bool reinit;		/* with v2: report PRECOPY_INFO_REINIT, once */
};

/* Is @from -> @to one of the arcs the uAPI lists for a driver with @flags? */
bool fk_mig_arc(uint32_t from, uint32_t to, uint64_t flags);

struct fk_device {
	char name[64];
	char token[64];		/* the VF token it requires, "" for none */
	char got_token[64];	/* the token it was last given */
	bool sriov_pf;		/* takes VFIO_DEVICE_FEATURE_PCI_VF_TOKEN */
	int svm_errno;		/* non-zero: SVM bind fails so (the IOMMU refused) */
	uint32_t pasid;		/* the bond's PASID, 0 for none */
	int binds, unbinds;	/* SVM ioctls that succeeded */
	uint32_t last_unbind_flags;
	uint8_t vf_token[16];	/* the token it was set, as the kernel keeps it */
	uint32_t flags;
	uint32_t nr_regions;
	struct fk_region regions[FK_MAX_REGIONS];
	uint32_t nr_irqs;
	struct fk_irq irqs[FK_MAX_IRQS];
	int resets;
	/* Its fdinfo's vfio-device-syspath (with fk.fdinfo); "": the default
	 * /sys/devices/fake/NAME. */
	char syspath[512];
	struct fk_irq_set_hdr last_set;	/* header of the last SET_IRQS */
	int32_t last_fds[8];
	struct fk_mig mig;
	/* iommufd: its IOMMU's last IOVA, which narrows the IOAS while it is
	 * attached (0: the machine's ranges as they are). */
	uint64_t aperture_last;
	/* iommufd: its IOMMU reports no PASID for it (GET_HW_INFO width 0,
	 * a PASID attach EOPNOTSUPP); it has no PRI (an attach to a
	 * fault-capable HWPT fails ENODEV, as VT-d's); its PASIDs attached. */
	bool no_pasid, no_pri;
	uint32_t att_pasids[8];
	uint32_t att_pts[8];	/* the HWPT each is attached to */
	int nr_att_pasids;
};

struct fk_group {
	int nr;
	bool viable;
	int open_errno;		/* non-zero: opening the node fails */
	bool attached;
	int container;		/* the container fd it was attached with */
	int nr_devs;
	struct fk_device devs[FK_MAX_DEVS];
};

struct fk_file {
	char path[256];
	char content[8192];	/* room for an fdinfo over 4 KiB */
	char link[256];		/* non-empty: a symlink to this target */
	int write_errno;	/* non-zero: writes fail so; else they replace content */
};

enum fk_fd_kind { FK_FD_FREE, FK_FD_CONTAINER, FK_FD_GROUP, FK_FD_DEVICE,
		  FK_FD_EVENT, FK_FD_FILE, FK_FD_MIG_SAVE, FK_FD_MIG_LOAD,
		  FK_FD_IOMMUFD, FK_FD_DMABUF, FK_FD_FAULT };
/* A stream the fake's mig data fds take while RESUMING: this header first. */
#define FK_MIG_MAGIC "FKMG"

struct fk_fd {
	enum fk_fd_kind kind;
	void *obj;
	uint64_t count;		/* an eventfd's counter */
	int iommu;		/* a container's IOMMU type, 0 while unset */
	/* A device cdev's state (fake_iommufd.c); FK_CDEV_NONE for a device
	 * fd got from its group. */
	enum { FK_CDEV_NONE, FK_CDEV_OPEN, FK_CDEV_BOUND, FK_CDEV_ATTACHED } cdev;
	uint32_t ioas;		/* an iommufd's IOAS (0: none yet) */
	uint32_t devid;		/* a bound cdev's id in its iommufd */
	uint32_t pt;		/* an attached cdev's IOAS or HWPT */
};

/* An iommufd object other than the IOAS (fake_iommufd.c). */
struct fk_obj {
	uint32_t id;
	enum { FK_OBJ_FREE, FK_OBJ_HWPT, FK_OBJ_FAULT } kind;
	uint32_t fault;		/* a HWPT's fault queue (0: none) */
	uint32_t flags;		/* a HWPT's IOMMU_HWPT_* flags */
	uint64_t last;		/* a HWPT's aperture end, narrowing the IOAS (0: none) */
};
#define FK_MAX_OBJS 32
#define FK_MAX_FAULTS 64

#define FK_MAX_MAPS 4096
#define FK_MAX_DMABUFS 16

/* A dma-buf vfio-pci exported (fake_dmabuf.c); it outlives its fds. */
struct fk_dmabuf {
	struct fk_device *dev;
	uint32_t index;
	uint64_t offset, len;
	bool revoked;		/* its device was closed or reset */
	uint32_t open_flags;
};

struct fk_map {
	uint64_t iova, size, vaddr;
	uint32_t flags;
	bool invalid;		/* vaddr invalidated (VFIO_UPDATE_VADDR) */
	/* While tracking dirty pages: type1's dma->bitmap, one bit a page
	 * and 64 more (the kernel's stale bits live there). */
	uint64_t *bitmap;
	/* IOMMU_IOAS_MAP_FILE of this dma-buf, and whether it was revoked
	 * under the mapping (which then stays, as iommufd keeps it). */
	struct fk_dmabuf *dmabuf;
	bool revoked;
};

struct fake_kernel {
	int api_version;
	/* Type1 DMA: live mappings and the count the dma_avail cap reports. */
	int nr_maps;
	struct fk_map maps[FK_MAX_MAPS];
	uint32_t dma_avail;
	unsigned long map_calls;
	unsigned long unmap_calls;	/* VFIO_IOMMU_UNMAP_DMA ioctls */
	bool dirty;			/* dirty page tracking started */
	unsigned long dirty_gets, dirty_unmaps;	/* bitmaps asked for */
	bool fast_maps;		/* benchmarks: accept every map, track nothing */
	/* VFIOX_IOMMU_ENABLE_IOPF: the mode, and the errno it fails with */
	bool iopf;
	int iopf_errno;
	uint32_t next_pasid;	/* SVM binds hand out PASIDs from here */
	uint32_t extensions;	/* bit n: VFIO_CHECK_EXTENSION(n) answers 1 */
	unsigned int private_exts[4];	/* these VFIOX_* extensions answer 1 */
	int private_ext_answer;		/* or this, when not 0 (a later level) */
	/* VFIOX_SVM answers 1, not 2: a kernel that sets no SVM device flag */
	bool svm_flag_unreported;
	/* VFIOX_IOMMU_EVENTS_WATCH: calls, and the last fd and cookie. */
	int watch_calls;
	int watch_fd;
	uint64_t watch_cookie;
	bool allow_relaxable;	/* fk_container_open() opts */
	uint8_t iommu_info[4096];	/* vfio_iommu_type1_info + caps */
	uint32_t iommu_info_len;
	int iommu_type;		/* the last IOMMU set; 0 once no group is attached */
	/* The container is iommufd's compat one: GET_INFO without an IOAS is
	 * ENODEV, VFIO_IOMMU_DIRTY_PAGES is unknown (ENOTTY), and the IOAS
	 * with its mappings stays when the last group leaves. */
	bool iommufd_compat;
	/* iommufd (fake_iommufd.c): /dev/iommu and the device cdevs exist;
	 * the IOAS's ranges once a device is attached (before: all of it), its
	 * IOVA alignment, the devices attached, the ioctls seen. */
	bool iommufd;
	/* The kernel has no legacy container node (VFIO_CONTAINER off). */
	bool no_container;
	struct { uint64_t start, last; } ioas_ranges[4];
	uint32_t nr_ioas_ranges;
	uint64_t iova_alignment;
	int ioas_attached;
	uint32_t next_id;
	unsigned long ioas_maps, ioas_unmaps, binds;
	/* The next IOAS unmap removes this many areas, then fails (EBUSY), as
	 * the kernel's does when an access will not let go; 0: none. */
	int ioas_unmap_fail_after;
	/* vfio-pci's dma-bufs (fake_dmabuf.c): every export, the GETs and
	 * MAP_FILEs seen; the kernel lacks the export (6.1) or MAP_FILE. */
	struct fk_dmabuf dmabufs[FK_MAX_DMABUFS];
	int nr_dmabufs;
	unsigned long dmabuf_exports, ioas_map_files;
	bool no_dmabuf, no_map_file;
	/* iommufd objects (HWPTs, fault queues), the page requests queued on
	 * the fault fd and the answers written back; a kernel before 6.11
	 * (no fault queue), 6.15 (no PASID attach), 6.17 (no bind token); an
	 * IOMMU that refuses a fault-capable HWPT with this errno. */
	struct fk_obj objs[FK_MAX_OBJS];
	struct vfiox_iommu_hwpt_pgfault faults[FK_MAX_FAULTS];
	int nr_faults;
	struct vfiox_iommu_hwpt_page_response responses[FK_MAX_FAULTS];
	int nr_responses;
	bool no_fault_queue, no_pasid_attach, no_bind_token;
	bool hwpt_no_pasid;	/* the IOMMU refuses IOMMU_HWPT_ALLOC_PASID */
	/* non-zero: a HWPT allocated with IOMMU_HWPT_ALLOC_PASID has its
	 * aperture end here (AMD-Vi's v2 table), which narrows the IOAS while
	 * it lives; its alloc is EADDRINUSE when a mapping lies above. */
	uint64_t pasid_hwpt_last;
	int hwpt_fault_errno;
	int fault_read_errno;	/* non-zero: the fault fd's reads fail so */
	unsigned long pasid_attaches, pasid_detaches, rid_detaches;
	uint8_t bind_token[16];	/* the last token a bind carried */
	/* /proc/self/fdinfo/N exists, as on 7.2 (device fds name their device) */
	bool fdinfo;
	/* POSIX locks held on every fd: a "lock:" line each in its fdinfo,
	 * before what the file's driver prints, as the kernel orders them. */
	int fdinfo_locks;
	struct fk_file fdinfo_file;	/* the one read last */
	int nr_groups;
	struct fk_group groups[FK_MAX_GROUPS];
	int nr_files;
	struct fk_file files[FK_MAX_FILES];
	struct fk_fd fds[FK_MAX_FDS];
	int live_mmaps;
	int hugetlb_mmaps;
	int dup2_calls;		/* files replaced under a live fd number */
	/* Driver core (sysfs drivers_probe): the driver a device without
	 * driver_override gets, "" for none; or the override is ignored. */
	const char *probe_driver;
	bool probe_ignores_override;
	/* Failure injection: the fail_at-th seam call (1-based) fails. */
	unsigned long calls;
	unsigned long fail_at;
	int fail_errno;
	const char *injected;	/* name of the call that was failed */
	/* Filter: count only calls whose name matches (NULL: every call). */
	const char *fail_only;
};

extern struct fake_kernel fk;
extern const struct vfiox_sys fake_sys;

/* The fd table, for the fake's own files (fake_iommufd.c). */
struct fk_fd *fk_get_fd(int fd);
int fk_new_fd(enum fk_fd_kind kind, void *obj);

/* iommufd in the fake (fake_iommufd.c): open of /dev/iommu or a device
 * cdev (1, with *@ret the fd or errno; 0: not such a path); ioctls on an
 * iommufd, and the cdev ioctls of a device fd (1 when handled); the close
 * of either. */
int fk_iommufd_open(const char *path, int *ret);
int fk_iommufd_ioctl(struct fk_fd *f, unsigned long req, void *arg);
int fk_cdev_ioctl(struct fk_fd *f, unsigned long req, void *arg, int *ret);
void fk_iommufd_drop(struct fk_fd *f);
/* Give the default machine iommufd: /dev/iommu, device 0000:00:03.0's cdev
 * vfio0 (sysfs and /dev), the ranges the legacy IOMMU has. */
void fk_enable_iommufd(void);
/* A second device in group 7, 0000:00:04.0 with cdev vfio1, whose IOMMU
 * ends at @aperture_last. */
void fk_add_iommufd_device(uint64_t aperture_last);
/* Open a container on the iommufd backend (the default roots). */
int fk_iommufd_container_open(struct vfiox_container **out);
/* A fresh default machine with iommufd (VFIOX_BACKEND unset, the log
 * captured), for a test's setup. */
void fk_iommufd_machine(void);
/* fk_iommufd_machine(), then an iommufd container, group 7 and device
 * 0000:00:03.0 open in it: 0, or the first error. */
int fk_iommufd_device_setup(struct vfiox_container **c, struct vfiox_group **g,
			    struct vfiox_device **d);
/* A test's teardown after fk_iommufd_device_setup(): closes @c; true if
 * that left nothing open and the fake iommufd holds no object. */
bool fk_iommufd_closed_clean(struct vfiox_container *c);
/* vfio-pci's dma-bufs (fake_dmabuf.c): VFIO_DEVICE_FEATURE_DMA_BUF on
 * @d; IOMMU_IOAS_MAP_FILE into IOAS @ioas; revoke @d's dma-bufs and the
 * IOAS mappings of them (its close or reset). */
struct vfiox_iommu_ioas_map_file;
int fk_dmabuf_feature(struct fk_device *d, struct vfio_device_feature *f);
int fk_dmabuf_map_file(uint32_t ioas, struct vfiox_iommu_ioas_map_file *m);
void fk_dmabuf_revoke(const struct fk_device *d);
/* The fault fd's read and write (fake_iommufd.c, under the lock); its
 * records waiting; live iommufd objects other than IOASes. */
ssize_t fk_fault_read(void *buf, size_t len);
ssize_t fk_fault_write(const void *buf, size_t len);
int fk_objects(void);
/* The live iommufd object @id other than an IOAS, or NULL. */
struct fk_obj *fk_find_obj(uint32_t id);
/* Wait up to 10 s for @d to be released by its request thread and its
 * number to hold the dead file; true once it is. */
bool fk_released_fully(struct vfiox_device *d);
/* A page request of device @devid at @addr (a group's @last one with
 * @cookie), queued for the fault fd; wait until @n answers were written
 * (false after 5 s). Thread-safe (fake_kernel.c). */
void fk_fault_push(uint32_t devid, uint64_t addr, uint32_t perm, uint32_t grpid,
		   bool last, uint32_t cookie);
bool fk_wait_responses(int n);
/* Is @fd a device fd bound and attached to an IOAS through its cdev? */
bool fk_cdev_attached(int fd);

/* A machine with one container, one viable group 7 holding 0000:00:03.0. */
void fk_reset(void);
/* Free the mappings' dirty bitmaps (fk_reset() does it first). */
void fk_free_bitmaps(void);
int fk_open_fds(void);
void fk_add_file(const char *path, const char *content);
void fk_add_link(const char *path, const char *target);
/* The file (or link) at @path, NULL if there is none. */
struct fk_file *fk_file(const char *path);

/* Build IOMMU info: fixed part then each cap in the order given. */
void fk_info_begin(uint64_t pgsizes);
void fk_info_add_iova(const struct vfio_iova_range *r, uint32_t n);
void fk_info_add_dma_avail(uint32_t avail);
void fk_info_add_migration(uint64_t pgsizes, uint64_t max_bitmap);
/* The series' reserved regions cap: @n entries, @entry_size bytes apart. */
void fk_info_add_resv(const struct vfiox_iommu_resv_region *r, uint32_t n,
		      uint32_t entry_size);
/* Raw access for malformed chains: set a cap's next field. */
void fk_info_set_next(uint32_t cap_off, uint32_t next);

/* Open a container on fake_sys with the default roots. */
int fk_container_open(struct vfiox_container **out);
/* Adopt container fd @fd (opened on fake_sys) with the default roots. */
int fk_container_adopt(int fd, struct vfiox_container **out);
/* fk_container_open() plus group 7 attached. */
int fk_open_group7(struct vfiox_container **c, struct vfiox_group **g);
/* The usual test start: a fresh default machine, the log captured, and
 * fk_open_group7(). */
/* @size bytes of anonymous memory, 2 MiB aligned, for a whole test program. */
uint8_t *fk_aligned_memory(size_t size);
int fk_fresh_group7(struct vfiox_container **c, struct vfiox_group **g);
/*
 * The usual cmocka fixture (include cmocka.h first): static c and g, a
 * setup giving fk_fresh_group7(), a teardown asserting fk_close_clean().
 */
#define FK_GROUP7_FIXTURE					\
	static struct vfiox_container *c;			\
	static struct vfiox_group *g;				\
								\
	static int setup(void **state)				\
	{							\
		(void)state;					\
		return fk_fresh_group7(&c, &g);			\
	}							\
								\
	static int teardown(void **state)			\
	{							\
		(void)state;					\
		assert_true(fk_close_clean(c));			\
		return 0;					\
	}

/*
 * With FK_GROUP7_FIXTURE: @size bytes of 2 MiB-aligned memory in mem, set
 * up once per group by group_setup(), and xlate(), the IOVA @va translates
 * to in c (UINT64_MAX: none).
 */
#define FK_MEM_FIXTURE(size)					\
	static uint8_t *mem;					\
								\
	static int group_setup(void **state)			\
	{							\
		(void)state;					\
		mem = fk_aligned_memory(size);			\
		return mem ? 0 : -1;				\
	}							\
								\
	static uint64_t xlate(const void *va)			\
	{							\
		uint64_t iova;					\
								\
		return vfiox_dma_translate(c, va, &iova) ?	\
		       UINT64_MAX : iova;			\
	}

/* The kernel detaches group @g from its container (its devices left). */
void fk_kernel_detach(struct fk_group *g);

/* Close @c; true when no fd and no mapping is left behind. */
bool fk_close_clean(struct vfiox_container *c);

/* Fail the @n-th call (1-based, counted from now; 0: none) of seam op @op;
 * thread-safe, unlike writing fk.fail_* while a request thread runs. */
void fk_fail_nth(const char *op, unsigned long n, int err);

/* Signal eventfd @fd (as the kernel signals a device request), waking
 * a poll on it; is @fd a device fd (not yet released)? Both thread-safe. */
void fk_signal(int fd);
bool fk_is_device_fd(int fd);

/* Capture log lines for assertions (thread-safe). */
void fk_log_capture(void);
bool fk_log_has(const char *needle);
/* The level of the first captured message holding @needle, or -1. */
int fk_log_level(const char *needle);

#endif
