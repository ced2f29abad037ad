/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_EVENTS_H
#define VFIOX_EVENTS_H

#include <vfiox/version.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vfiox/container.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Kernel events about DMA mappings, over the generic netlink family of the
 * kernel-patches/ series (built on libnl). An event source is a netlink
 * socket: poll its fd, call vfiox_events_dispatch() when it is readable,
 * or block in vfiox_events_wait(). Containers are watched one by one: the
 * kernel sends a container's events only to the socket its user named, so
 * nobody learns about containers that are not theirs.
 *
 * Only messages the kernel sent (netlink port id 0) are believed; anything
 * else is counted in vfiox_events_dropped() and otherwise ignored.
 *
 * Threads (docs/threads.md): a source is used from one thread at a time; it
 * may dispatch while other threads make the watched containers' DMA calls.
 *
 * On a stock kernel there is no such family: vfiox_events_open() fails
 * with -EOPNOTSUPP. Without libnl at build time, every call here returns
 * -ENOTSUP.
 */

struct vfiox_events;

enum vfiox_event_type {
	/* A DMA mapping of device memory is gone: its device was released. */
	VFIOX_EVENT_TYPE_DMA_REVOKED = 1,
};

/**
 * struct vfiox_event - one event, valid during the callback only.
 * @type: enum vfiox_event_type
 * @device: the released device (its name, a PCI address)
 * @iova: start of the mapping the kernel removed
 * @len: its length
 * @owner_uid: the user who opened the container
 * @owner_pid: the process that opened it
 * @container: the watched container it was in; NULL for events of other
 *             containers (the admin group)
 * @dropped_mapping: libvfiox had this mapping as a P2P mapping and has
 *                   dropped it: its IOVA is free again and
 *                   vfiox_p2p_list() marks it VFIOX_P2P_REVOKED
 *
 * Only libvfiox writes it, and only appends fields: a caller built against
 * an older vfiox/events.h reads the fields it knows.
 */
struct vfiox_event {
	uint32_t type;
	char device[64];
	uint64_t iova;
	uint64_t len;
	uint32_t owner_uid;
	uint32_t owner_pid;
	struct vfiox_container *container;
	bool dropped_mapping;
};

/**
 * typedef vfiox_event_fn - receives one event, on the thread that dispatches.
 * @ev: the event, valid during the call
 * @arg: the pointer given to vfiox_events_open()
 */
typedef void (*vfiox_event_fn)(const struct vfiox_event *ev, void *arg);

/**
 * struct vfiox_events_opts - options of an event source.
 * @sz: sizeof(struct vfiox_events_opts); options rules in vfiox.h
 * @admin: also receive every container's events (the family's "admin"
 *         multicast group; needs CAP_NET_ADMIN)
 */
struct vfiox_events_opts {
	size_t sz;
	bool admin;
};

/**
 * vfiox_events_open() - open an event source that calls @fn(event, @arg).
 * @opts: NULL for the defaults, or options
 * @fn: called for every event, on the thread that dispatches
 * @arg: passed to @fn
 * @out: receives the event source
 * Return: 0; -EOPNOTSUPP when the kernel has no events family (stock
 * kernel); -EPERM when @opts->admin is set without CAP_NET_ADMIN;
 * -E2BIG for options this libvfiox does not know (see vfiox.h); -EINVAL,
 * -ENOMEM, -ENOTSUP (built without libnl).
 */
VFIOX_API int vfiox_events_open(const struct vfiox_events_opts *opts,
				vfiox_event_fn fn, void *arg,
				struct vfiox_events **out);

/**
 * vfiox_events_close() - stop watching every container and close.
 * @ev: event source, may be NULL
 */
VFIOX_API void vfiox_events_close(struct vfiox_events *ev);

/**
 * vfiox_events_watch() - receive @c's events (revoked P2P mappings are
 * then dropped from @c's DMA table as they arrive). A container is
 * watched by at most one source; closing the container stops it.
 * @ev: event source
 * @c: container, with a group attached
 * Return: 0; -EOPNOTSUPP when the kernel lacks the VFIOX_EVENTS
 * extension; -EBUSY when another source watches @c; -ENODEV when no group
 * is attached yet (the IOMMU is not set); -EINVAL.
 */
VFIOX_API int vfiox_events_watch(struct vfiox_events *ev,
				 struct vfiox_container *c);

/**
 * vfiox_events_unwatch() - stop receiving @c's events. 0, -ENOENT.
 * @ev: event source
 * @c: a container @ev watches
 */
VFIOX_API int vfiox_events_unwatch(struct vfiox_events *ev,
				   struct vfiox_container *c);

/**
 * vfiox_events_fd() - the fd to poll for POLLIN.
 * @ev: event source
 */
VFIOX_API int vfiox_events_fd(const struct vfiox_events *ev);

/**
 * vfiox_events_dispatch() - handle every queued message; never blocks.
 * @ev: event source
 * Return: the number of events delivered to the callback, or a negative
 * errno (-ENOBUFS: the socket overflowed and events were lost).
 */
VFIOX_API int vfiox_events_dispatch(struct vfiox_events *ev);

/**
 * vfiox_events_wait() - block until at least one event was delivered or
 * @timeout_ms passed (-1: no limit).
 * @ev: event source
 * @timeout_ms: the longest wait in milliseconds, -1 for no limit
 * Return: the number delivered, -ETIMEDOUT, or a negative errno.
 */
VFIOX_API int vfiox_events_wait(struct vfiox_events *ev, int timeout_ms);

/**
 * vfiox_events_dropped() - messages ignored so far: not from the kernel,
 * or malformed.
 * @ev: event source
 */
VFIOX_API int vfiox_events_dropped(const struct vfiox_events *ev);

#ifdef __cplusplus
}
#endif

#endif
