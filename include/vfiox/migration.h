/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_MIGRATION_H
#define VFIOX_MIGRATION_H

#include <vfiox/version.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <vfiox/device.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Device migration (VFIO migration protocol v2): a device that can migrate
 * (mlx5, hisi_acc, virtio-pci VFs, the mtty sample) moves through the
 * kernel's state machine. Saving: RUNNING -> STOP -> STOP_COPY hands out a
 * data fd from which the device's state is read until end of stream;
 * resuming: STOP -> RESUMING hands out a data fd into which that stream is
 * written, and leaving RESUMING (for STOP, then RUNNING) loads it. The
 * kernel moves only along its arcs; vfiox_mig_set_state() walks them one
 * at a time on the shortest legal path, so a failure names the arc that
 * failed and the state the device was left in.
 *
 * Data fds belong to the caller: close() them when the transfer is done
 * (closing one ends nothing in the device; the state change does), and
 * before vfiox_device_close(). A data fd can be poll()ed, and set
 * O_NONBLOCK for an event loop: vfiox_mig_read() and vfiox_mig_write() then
 * return -EAGAIN (or a short count) instead of waiting.
 *
 * The uAPI's rules for the VMM: in STOP, STOP_COPY and RESUMING the device
 * must not be touched through its regions (vfiox_region_read/write, mmaps)
 * or its IRQs; a failed arc leaves the device where the kernel says, which
 * vfiox_mig_get_state() reads (the log names it too), and the VMM decides
 * from there (vfiox_mig_reset() out of ERROR).
 *
 * Not provided: device DMA dirty logging (VFIO_DEVICE_FEATURE_DMA_LOGGING_*,
 * used by mlx5-class devices when the IOMMU cannot track dirty pages; use
 * vfiox/dma.h's type1 tracking, which reports every pinned page dirty), and
 * an ordering of several devices. vfiox_mig_set_state() walks one device:
 * with P2P between devices, move every device to RUNNING_P2P (or
 * PRE_COPY_P2P) first, and only then each to STOP (STOP_COPY), so that no
 * device is stopped while another may still DMA into it.
 *
 * Threads: the migration calls of one device are one thread at a time;
 * vfiox_mig_read() and vfiox_mig_write() touch no device state and may run
 * on a migration thread of their own, each data fd on one thread.
 */

/* The kernel's enum vfio_device_mig_state: the same numbers. */
enum vfiox_mig_state {
	VFIOX_MIG_ERROR = 0,
	VFIOX_MIG_STOP = 1,
	VFIOX_MIG_RUNNING = 2,
	VFIOX_MIG_STOP_COPY = 3,
	VFIOX_MIG_RESUMING = 4,
	VFIOX_MIG_RUNNING_P2P = 5,
	VFIOX_MIG_PRE_COPY = 6,
	VFIOX_MIG_PRE_COPY_P2P = 7,
};

/* What VFIO_DEVICE_FEATURE_MIGRATION reports (the kernel's flag bits). */
#define VFIOX_MIG_FLAG_STOP_COPY	(1u << 0)	/* STOP, STOP_COPY, RESUMING */
#define VFIOX_MIG_FLAG_P2P		(1u << 1)	/* RUNNING_P2P */
#define VFIOX_MIG_FLAG_PRE_COPY		(1u << 2)	/* PRE_COPY (and _P2P) */

/* vfiox_mig_precopy_info.flags: the kernel's VFIO_PRECOPY_INFO_REINIT. */
#define VFIOX_MIG_PRECOPY_REINIT	(1u << 0)

/**
 * struct vfiox_mig_precopy_info - VFIO_MIG_GET_PRECOPY_INFO: how much
 * PRE_COPY data the device has for now (estimates, in bytes).
 * @sz: set by the caller to sizeof(struct vfiox_mig_precopy_info); first
 *      published size: up to @flags (output rules in vfiox.h)
 * @initial_bytes: initial data still to read; leave PRE_COPY for STOP_COPY
 *                 once it is 0, the uAPI recommends
 * @dirty_bytes: device state changed since it was read
 * @flags: VFIOX_MIG_PRECOPY_REINIT: new initial data is on the stream (the
 *         device was reconfigured); reported only after
 *         vfiox_mig_precopy_reinit_enable(), 0 before
 */
struct vfiox_mig_precopy_info {
	size_t sz;
	uint64_t initial_bytes;
	uint64_t dirty_bytes;
	uint32_t flags;
};

/**
 * vfiox_mig_state_name() - "RUNNING", "STOP_COPY", ...; "?" for a number
 * no kernel has defined.
 * @state: a state
 */
VFIOX_API const char *vfiox_mig_state_name(enum vfiox_mig_state state);

/**
 * vfiox_mig_flags() - VFIO_DEVICE_FEATURE_MIGRATION: can @d migrate, and
 * which optional states does it have.
 * @d: device
 * @flags: receives VFIOX_MIG_FLAG_*; STOP_COPY is always among them
 * Return: 0; -ENOTSUP if the device (or the kernel) cannot migrate; the
 * kernel's errno otherwise.
 */
VFIOX_API int vfiox_mig_flags(struct vfiox_device *d, uint64_t *flags);

/**
 * vfiox_mig_get_state() - the device's migration state now.
 * @d: device
 * @state: receives it
 * Return: 0, -ENOTSUP (no migration), -EPROTO for a state this libvfiox
 * does not know (@state unchanged), or the kernel's errno.
 */
VFIOX_API int vfiox_mig_get_state(struct vfiox_device *d,
				  enum vfiox_mig_state *state);

/**
 * vfiox_mig_set_state() - move @d to @target along the kernel's arcs.
 * @d: device
 * @target: the state to reach; ERROR cannot be asked for
 * @data_fd: NULL, or receives the data fd that the walk opened (on the arcs
 *           into STOP_COPY, RESUMING, PRE_COPY and PRE_COPY_P2P that start
 *           a data transfer), else -1; the caller closes it. With NULL, an
 *           opened data fd is closed at once.
 *
 * Reads the current state (and once per device its flags, which the kernel
 * never changes), then sets one state per arc on the shortest path the
 * kernel's uAPI allows (a state of the saving group, PRE_COPY, PRE_COPY_P2P
 * or STOP_COPY, is passed through only on the way from one of them to
 * another). STOP_COPY -> PRE_COPY(_P2P) is not
 * allowed; from ERROR only vfiox_mig_reset() leads out. When an arc
 * fails, the log names it and the state the kernel reports afterwards (the
 * device may be in ERROR; then vfiox_mig_reset() it); vfiox_mig_get_state()
 * tells the caller the same. A RESUMING target needs @data_fd: the stream
 * is written into it.
 *
 * Return: 0; -EINVAL for a target the device does not have, ERROR, or an
 * arc the uAPI forbids (logged with the state names, before any change),
 * or RESUMING with a NULL @data_fd;
 * from ERROR, -EINVAL until vfiox_mig_reset();
 * -ENOTSUP if the device cannot migrate; -EPROTO if the kernel reports a
 * state this libvfiox does not know; the kernel's errno of the failed arc
 * otherwise.
 */
VFIOX_API int vfiox_mig_set_state(struct vfiox_device *d,
				  enum vfiox_mig_state target, int *data_fd);

/**
 * vfiox_mig_reset() - VFIO_DEVICE_RESET of a device that can migrate: the
 * uAPI's way out of ERROR, and out of RESUMING without loading a stream.
 * @d: device
 *
 * The reset is asked of the kernel also when the device does not advertise
 * VFIO_DEVICE_FLAGS_RESET: the mtty sample implements it for migration
 * without advertising it (vfiox_device_reset() refuses such a device),
 * while a vfio-pci variant without a function reset answers -EINVAL.
 * Return: 0 once the device is RUNNING; -ENOTSUP if it cannot migrate;
 * -EIO if the reset left it in another state (logged); -ENODEV if the
 * device was released; the kernel's errno otherwise.
 */
VFIOX_API int vfiox_mig_reset(struct vfiox_device *d);

/**
 * vfiox_mig_data_size() - VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: the kernel's
 * estimate of the bytes STOP_COPY would produce now.
 * @d: device
 * @bytes: receives it
 * Return: 0; -ENOTSUP if the kernel or device cannot tell; the kernel's
 * errno otherwise.
 */
VFIOX_API int vfiox_mig_data_size(struct vfiox_device *d, uint64_t *bytes);

/**
 * vfiox_mig_precopy_info() - VFIO_MIG_GET_PRECOPY_INFO on a PRE_COPY data
 * fd: the estimates a VMM decides from when to leave PRE_COPY.
 * @d: device (for the log)
 * @data_fd: the data fd vfiox_mig_set_state() opened into PRE_COPY or
 *           PRE_COPY_P2P
 * @info: receives the estimates; the caller sets @info->sz
 * Return: 0; -EINVAL for bad arguments, or when the device is not in
 * PRE_COPY(_P2P) (the kernel's answer, logged); the kernel's errno
 * otherwise (-ENOTTY: not a saving data fd).
 */
VFIOX_API int vfiox_mig_precopy_info(struct vfiox_device *d, int data_fd,
				     struct vfiox_mig_precopy_info *info);

/**
 * vfiox_mig_precopy_reinit_enable() - VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2
 * (Linux 7.2): ask the device to report VFIOX_MIG_PRECOPY_REINIT in
 * vfiox_mig_precopy_info() from now on, until it is closed.
 * @d: device
 * Return: 0; -ENOTSUP on a kernel or driver without it; -EINVAL if the
 * device has no PRE_COPY; the kernel's errno otherwise. All logged.
 */
VFIOX_API int vfiox_mig_precopy_reinit_enable(struct vfiox_device *d);

/**
 * vfiox_mig_read() - read up to @len bytes of @d's saved state from a
 * saving data fd (STOP_COPY or PRE_COPY).
 * @d: device (for the log)
 * @data_fd: from vfiox_mig_set_state()
 * @buf: receives the bytes
 * @len: room in @buf
 * Return: bytes read, 0 at the end of the stream; -ENOMSG in PRE_COPY when
 * no more data is ready for now (-EAGAIN on a non-blocking fd); an
 * interrupted read is retried; the kernel's errno otherwise.
 */
VFIOX_API ssize_t vfiox_mig_read(struct vfiox_device *d, int data_fd,
				 void *buf, size_t len);

/**
 * vfiox_mig_write() - write @len bytes of a saved stream into the RESUMING
 * data fd of @d, retrying short and interrupted writes.
 * @d: device (for the log)
 * @data_fd: from vfiox_mig_set_state(d, VFIOX_MIG_RESUMING, ...)
 * @buf: the bytes, in the order they were read
 * @len: how many
 *
 * As write(2), progress is never lost: when the kernel stops taking bytes
 * after some were written, the count written is returned (less than @len)
 * and the caller goes on from there; the next call, with the rest, returns
 * the reason. On a blocking fd everything is written or an error stops it;
 * on an O_NONBLOCK fd a full pipe stops it early (poll() for POLLOUT).
 *
 * Return: @len when all was written; fewer bytes when the kernel stopped
 * after those (logged, except for -EAGAIN); nothing written: -EAGAIN
 * (non-blocking fd full, not logged as an error), -EIO if the device takes
 * no more, or the kernel's errno when the device refuses the bytes (a
 * stream from an incompatible device, garbage: logged with the byte).
 */
VFIOX_API ssize_t vfiox_mig_write(struct vfiox_device *d, int data_fd,
				  const void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
