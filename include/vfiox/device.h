/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_DEVICE_H
#define VFIOX_DEVICE_H

#include <vfiox/version.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vfiox/group.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A device opened from a group. Region and IRQ info is read once at open.
 * Closing a device unmaps every region mapped through libvfiox, disables
 * every IRQ index enabled through libvfiox and closes the eventfds libvfiox
 * created. Owned by its group.
 *
 * Threads (docs/threads.md): region read/write, region mmap/munmap, reset,
 * IRQ mask/unmask and the info queries may come from several threads at
 * once; IRQ enable, set-eventfds and disable of one device are one thread at
 * a time, and so are its PCI command register updates (vfiox/pci.h) and
 * SVM calls (vfiox/svm.h); vfiox_device_close() only once no other call on
 * the device runs.
 * The release (below) may happen during any of them: they then return
 * -ENODEV, never reach another file.
 */
struct vfiox_device;

/*
 * The device request: when its device is unbound from vfio-pci or
 * unplugged, the kernel asks userspace to give it back and waits until
 * every reference is gone. libvfiox listens for it on a thread of its own
 * (one per container, started with the first device that can be asked)
 * and calls the device's handler there. The handler should stop using the
 * device and close it with vfiox_device_close(); if it does, no other
 * thread may close the device, its group or its container (that close
 * would reach a device the handler freed): decide in your own state who
 * closes. Until the device is closed, vfio-pci repeats the request about
 * every 10 seconds, so a handler may run more than once. Without a handler,
 * libvfiox releases the device itself: its regions' mappings become
 * inaccessible (PROT_NONE, so stray accesses fault), its fd number is
 * given a dead file (the number stays the device's, so no other open() can
 * reuse it while a thread still uses it), and every later call on it
 * returns -ENODEV until it is closed.
 */
typedef void (*vfiox_req_fn)(struct vfiox_device *d, void *arg);

/**
 * struct vfiox_device_opts - how to open a device.
 * @sz: sizeof(struct vfiox_device_opts); options rules in vfiox.h
 * @vf_token: VF token UUID string ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx") for
 *            SR-IOV PFs/VFs bound to vfio-pci, or NULL
 * @req_fn: called on libvfiox's thread when the kernel asks for the device
 *          back, or NULL for the default release (see above)
 * @req_arg: passed to @req_fn
 */
struct vfiox_device_opts {
	size_t sz;
	const char *vf_token;
	vfiox_req_fn req_fn;
	void *req_arg;
};

/**
 * struct vfiox_device_info - VFIO_DEVICE_GET_INFO.
 * @sz: sizeof(struct vfiox_device_info); first published size: up to
 *      @num_irqs (output rules in vfiox.h)
 * @flags: VFIO_DEVICE_FLAGS_*
 * @num_regions: number of region indexes
 * @num_irqs: number of IRQ indexes
 */
struct vfiox_device_info {
	size_t sz;
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
};

/**
 * struct vfiox_sparse_area - an mmap-able window of a region.
 *
 * A value, like the kernel's struct vfio_region_sparse_mmap_area: its layout
 * is frozen and it never grows, so vfiox_region_info.sparse can be indexed.
 */
struct vfiox_sparse_area {
	uint64_t offset;
	uint64_t size;
};

/**
 * struct vfiox_region_info - VFIO_DEVICE_GET_REGION_INFO with its caps.
 * @sz: sizeof(struct vfiox_region_info); first published size: up to
 *      @msix_mappable (output rules in vfiox.h)
 * @index: region index
 * @flags: VFIO_REGION_INFO_FLAG_*
 * @size: region size in bytes (0: region absent)
 * @offset: offset of the region in the device fd
 * @nr_sparse: number of sparse mmap areas (cap 1); 0 means the whole region
 *             is mmap-able if VFIO_REGION_INFO_FLAG_MMAP is set
 * @sparse: the areas; points into the device, valid until it is closed
 * @has_type: cap 2 present; @type and @subtype are valid
 * @type: VFIO_REGION_TYPE_* (cap 2)
 * @subtype: VFIO_REGION_SUBTYPE_* of @type (cap 2)
 * @msix_mappable: cap 3 present: the MSI-X table may be mmapped
 */
struct vfiox_region_info {
	size_t sz;
	uint32_t index;
	uint32_t flags;
	uint64_t size;
	uint64_t offset;
	uint32_t nr_sparse;
	const struct vfiox_sparse_area *sparse;
	bool has_type;
	uint32_t type;
	uint32_t subtype;
	bool msix_mappable;
};

/**
 * struct vfiox_irq_info - VFIO_DEVICE_GET_IRQ_INFO.
 * @sz: sizeof(struct vfiox_irq_info); first published size: up to @count
 *      (output rules in vfiox.h)
 * @index: IRQ index (VFIO_PCI_INTX_IRQ_INDEX, ...)
 * @flags: VFIO_IRQ_INFO_*
 * @count: number of vectors
 */
struct vfiox_irq_info {
	size_t sz;
	uint32_t index;
	uint32_t flags;
	uint32_t count;
};

/**
 * vfiox_device_open() - get a device fd from @g by name (a PCI address for
 * vfio-pci) and read its device, region and IRQ info.
 * @g: the group the device is in
 * @name: the device's name in its group: its PCI address for vfio-pci
 * @opts: NULL or options (VF token)
 * @out: receives the device
 * Return: 0; -EINVAL for a bad name or token; -E2BIG for options this
 * libvfiox does not know (see vfiox.h); -EEXIST if already open; the
 * kernel's errno otherwise.
 */
VFIOX_API int vfiox_device_open(struct vfiox_group *g, const char *name,
				const struct vfiox_device_opts *opts,
				struct vfiox_device **out);

/**
 * vfiox_device_adopt() - take over a device fd libvfiox did not open.
 * @g: the group the device is in (opened or adopted)
 * @fd: the device's fd, e.g. got by a management process with
 *      VFIO_GROUP_GET_DEVICE_FD and received over a Unix socket
 * @name: the device's name in its group (its PCI address for vfio-pci, its
 *        UUID for an mdev): for the log, sysfs lookups and to refuse a
 *        second open
 * @opts: NULL or options; a VF token is refused (-EINVAL): it is given when
 *        the fd is got
 * @out: receives the device
 *
 * Checks that @fd is the device @name of @g where the kernel can tell:
 * /proc/self/fdinfo of a device fd names the device's sysfs path
 * (vfio-device-syspath, printed since Linux 6.18), whose last component
 * must be @name and whose iommu_group link must be @g's group (-EINVAL,
 * logged, otherwise). Not checked, the caller vouching for it: on a kernel that
 * prints no such line or without /proc (logged at debug level), and the
 * group where /sys cannot be read. A fd that is not a device fd at all
 * fails the info read (-ENOTTY). Then reads the device, region and IRQ
 * info as vfiox_device_open() does, and listens for the device request
 * the same way: a request eventfd the sender had set is replaced by
 * libvfiox's, and on a failure after that the request IRQ is left
 * disabled, not given back.
 *
 * The device's group: a device fd of the iommufd backend
 * (/dev/vfio/devices/vfioN) belongs to no group; it will get a call of its
 * own with that backend, and this one stays as it is.
 *
 * Ownership: on success @fd belongs to the device and vfiox_device_close()
 * closes it. On failure nothing was closed: @fd is still the caller's.
 * There is no call that hands an fd back without closing it.
 *
 * Return: 0; -EINVAL (bad arguments or name, or @fd is another device, or
 * one of another group); -E2BIG for options this libvfiox does not know;
 * -EEXIST if @name is already open in @g, or @fd is already one of the
 * container's fds; the kernel's errno otherwise (-ENOTTY: not a VFIO
 * device).
 */
VFIOX_API int vfiox_device_adopt(struct vfiox_group *g, int fd, const char *name,
				 const struct vfiox_device_opts *opts,
				 struct vfiox_device **out);

/**
 * vfiox_device_close() - close @d: unmap every region mapped through
 * libvfiox, disable every IRQ index enabled through it, close the eventfds
 * it created and the device fd.
 * @d: device, may be NULL
 */
VFIOX_API void vfiox_device_close(struct vfiox_device *d);

/**
 * vfiox_device_released() - 1 once libvfiox gave the device back, else 0.
 * @d: device
 */
VFIOX_API int vfiox_device_released(const struct vfiox_device *d);

/**
 * vfiox_device_fd() - the device fd (still owned by the device).
 * @d: device
 * Return: the fd; -ENODEV once the device was released, -EINVAL for NULL.
 */
VFIOX_API int vfiox_device_fd(const struct vfiox_device *d);

/**
 * vfiox_device_name() - the name it was opened with.
 * @d: device
 */
VFIOX_API const char *vfiox_device_name(const struct vfiox_device *d);

/**
 * vfiox_device_info() - copy out the device info read at open.
 * @d: device
 * @info: receives it; the caller sets @info->sz
 * Return: 0, or -EINVAL for bad arguments.
 */
VFIOX_API int vfiox_device_info(const struct vfiox_device *d,
				struct vfiox_device_info *info);

/**
 * vfiox_device_region_info() - copy out a region's info read at open.
 * @d: device
 * @index: region index, below @num_regions of vfiox_device_info()
 * @info: receives it; the caller sets @info->sz
 * Return: 0, or -EINVAL for an index past num_regions.
 */
VFIOX_API int vfiox_device_region_info(const struct vfiox_device *d,
				       uint32_t index,
				       struct vfiox_region_info *info);

/**
 * vfiox_device_irq_info() - copy out an IRQ index's info read at open.
 * @d: device
 * @index: IRQ index, below @num_irqs of vfiox_device_info()
 * @info: receives it; the caller sets @info->sz
 * Return: 0, or -EINVAL for an index past num_irqs.
 */
VFIOX_API int vfiox_device_irq_info(const struct vfiox_device *d,
				    uint32_t index, struct vfiox_irq_info *info);

/**
 * vfiox_region_read() - read @len bytes at @off of region @index.
 * @d: device
 * @index: region index (VFIO_PCI_BAR0_REGION_INDEX, ...)
 * @off: offset in the region
 * @buf: receives the bytes
 * @len: bytes to read
 *
 * Bounds are checked before any syscall: a range past the region's end,
 * an overflowing one, or a region without the READ flag gets -EINVAL.
 * Return: 0 when all @len bytes were read, -EIO on a short read.
 */
VFIOX_API int vfiox_region_read(struct vfiox_device *d, uint32_t index,
				uint64_t off, void *buf, size_t len);

/**
 * vfiox_region_write() - the write twin of vfiox_region_read().
 * @d: device
 * @index: region index
 * @off: offset in the region
 * @buf: the bytes to write
 * @len: bytes to write
 */
VFIOX_API int vfiox_region_write(struct vfiox_device *d, uint32_t index,
				 uint64_t off, const void *buf, size_t len);

/**
 * vfiox_region_mmap() - map region @index into the process.
 * @d: device
 * @index: region index
 * @out: receives the start of a virtual range of the region's full size
 *
 * Only the sparse areas (or the whole region without a sparse cap) are
 * backed by the device; the rest of the range is PROT_NONE, so a stray access
 * faults instead of touching something else. Mapping a region twice returns
 * the same address.
 * Return: 0, -EINVAL (index), -ENOTSUP (region not mmap-able), or the
 * kernel's errno.
 */
VFIOX_API int vfiox_region_mmap(struct vfiox_device *d, uint32_t index,
				void **out);

/**
 * vfiox_region_munmap() - undo vfiox_region_mmap(); -ENOENT if unmapped.
 * @d: device
 * @index: region index
 */
VFIOX_API int vfiox_region_munmap(struct vfiox_device *d, uint32_t index);

/**
 * vfiox_irq_enable() - create @count eventfds and make vectors
 * [@start, @start + @count) of IRQ @index signal them.
 * @d: device
 * @index: IRQ index (VFIO_PCI_MSIX_IRQ_INDEX, ...)
 * @start: first vector
 * @count: number of vectors
 * @fds: receives the eventfds; they stay owned by the device
 * Return: 0; -EINVAL if the index or range is past what the device has or
 * the index cannot signal an eventfd; the kernel's errno otherwise, with no
 * eventfd left open.
 */
VFIOX_API int vfiox_irq_enable(struct vfiox_device *d, uint32_t index,
			       uint32_t start, uint32_t count, int *fds);

/**
 * vfiox_irq_set_eventfds() - like vfiox_irq_enable() with the caller's own
 * eventfds (-1 leaves a vector unassigned). The caller keeps ownership.
 * @d: device
 * @index: IRQ index
 * @start: first vector
 * @count: number of vectors
 * @fds: @count eventfds, one per vector, or -1
 */
VFIOX_API int vfiox_irq_set_eventfds(struct vfiox_device *d, uint32_t index,
				     uint32_t start, uint32_t count,
				     const int *fds);

/**
 * vfiox_irq_disable() - tear down every vector of @index.
 * @d: device
 * @index: IRQ index
 */
VFIOX_API int vfiox_irq_disable(struct vfiox_device *d, uint32_t index);

/**
 * vfiox_irq_mask() - mask one vector of a maskable index.
 * @d: device
 * @index: IRQ index whose info has VFIO_IRQ_INFO_MASKABLE
 * @vector: the vector to mask
 */
VFIOX_API int vfiox_irq_mask(struct vfiox_device *d, uint32_t index,
			     uint32_t vector);

/**
 * vfiox_irq_unmask() - unmask one vector of a maskable index.
 * @d: device
 * @index: IRQ index whose info has VFIO_IRQ_INFO_MASKABLE
 * @vector: the vector to unmask
 */
VFIOX_API int vfiox_irq_unmask(struct vfiox_device *d, uint32_t index,
			       uint32_t vector);

/**
 * vfiox_device_reset() - VFIO_DEVICE_RESET.
 * @d: device
 * Return: 0, -ENOTSUP if the device does not advertise reset, or the
 * kernel's errno.
 */
VFIOX_API int vfiox_device_reset(struct vfiox_device *d);

#ifdef __cplusplus
}
#endif
#endif
