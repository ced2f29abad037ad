/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_UEVENT_H
#define VFIOX_UEVENT_H

#include <vfiox/version.h>
/*
 * Kernel uevents (NETLINK_KOBJECT_UEVENT, read with libnl): device add and
 * remove, driver bind and unbind, vfio group nodes appearing. Only messages
 * sent by the kernel (sender port 0) are believed; the rest are dropped and
 * counted. Threads (docs/threads.md): a monitor is used from one thread at a
 * time; vfiox_uevent_parse() is pure and may be called from any thread.
 */
#include <stddef.h>
#include <stdint.h>
#include <vfiox/log.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vfiox_uevent_action {
	VFIOX_UEVENT_OTHER = 0,	/* an action this libvfiox does not know */
	VFIOX_UEVENT_ADD,
	VFIOX_UEVENT_REMOVE,
	VFIOX_UEVENT_CHANGE,
	VFIOX_UEVENT_MOVE,
	VFIOX_UEVENT_ONLINE,
	VFIOX_UEVENT_OFFLINE,
	VFIOX_UEVENT_BIND,
	VFIOX_UEVENT_UNBIND,
};

/**
 * struct vfiox_uevent - one parsed kernel uevent; absent keys are "".
 * @action: the action
 * @action_name: the action as the kernel spelled it
 * @devpath: DEVPATH, e.g. "/devices/pci0000:00/0000:00:04.0"
 * @subsystem: SUBSYSTEM, e.g. "pci", "vfio"
 * @driver: DRIVER (bind, unbind, and add of a bound device)
 * @devname: DEVNAME, the node under /dev, e.g. "vfio/12"
 * @pci_slot: PCI_SLOT_NAME, e.g. "0000:00:04.0"
 * @seqnum: SEQNUM
 *
 * First published size: up to @seqnum. vfiox_uevent_parse_sized() fills
 * the caller's size of it (see vfiox.h); the monitor's callback gets this
 * libvfiox's own, of which a caller reads the fields it knows.
 */
struct vfiox_uevent {
	enum vfiox_uevent_action action;
	char action_name[16];
	char devpath[256];
	char subsystem[32];
	char driver[64];
	char devname[64];
	char pci_slot[16];
	uint64_t seqnum;
};

/* The largest message accepted (the kernel's own limit is 2048 bytes). */
#define VFIOX_UEVENT_MAX 8192

/**
 * vfiox_uevent_parse_sized() - parse one message as the kernel sends it:
 * "action@devpath\0KEY=value\0...\0".
 * @buf: the message
 * @len: its length in bytes
 * @out: receives the parsed fields; written only on success
 * @out_sz: sizeof(struct vfiox_uevent) as the caller was built
 * Return: 0; -EINVAL for a NULL argument or an @out_sz below the first
 * published size; -EMSGSIZE above VFIOX_UEVENT_MAX; -EPROTO (with a log
 * line) when the last byte is not NUL, the header has no '@', a field has no
 * '=', a known value does not fit its field, SEQNUM is not a number, or
 * ACTION or DEVPATH disagree with the header.
 */
VFIOX_API int vfiox_uevent_parse_sized(const void *buf, size_t len, void *out,
				       size_t out_sz);

/* As vfiox_uevent_parse_sized(), with this header's sizeof. */
static inline int vfiox_uevent_parse(const void *buf, size_t len,
				     struct vfiox_uevent *out)
{
	return vfiox_uevent_parse_sized(buf, len, out, sizeof(*out));
}

struct vfiox_uevent_monitor;

/**
 * typedef vfiox_uevent_fn - receives one uevent, on the thread that dispatches.
 * @ev: the uevent, valid during the call
 * @arg: the pointer given to vfiox_uevent_dispatch() or vfiox_uevent_wait()
 */
typedef void (*vfiox_uevent_fn)(const struct vfiox_uevent *ev, void *arg);

/**
 * vfiox_uevent_open() - join the kernel's uevent multicast group.
 * @out: receives the monitor
 * Return: 0, -ENOTSUP without libnl, or the errno of the socket calls.
 */
VFIOX_API int vfiox_uevent_open(struct vfiox_uevent_monitor **out);

/**
 * vfiox_uevent_close() - close the monitor (NULL is fine).
 * @m: monitor, may be NULL
 */
VFIOX_API void vfiox_uevent_close(struct vfiox_uevent_monitor *m);

/**
 * vfiox_uevent_fd() - the socket, for the caller's poll loop.
 * @m: monitor
 */
VFIOX_API int vfiox_uevent_fd(const struct vfiox_uevent_monitor *m);

/**
 * vfiox_uevent_dispatch() - handle every message already queued, calling
 * @fn for each well-formed kernel message; never blocks.
 * @m: monitor
 * @fn: called for each message
 * @arg: passed to @fn
 * Return: the number delivered, or a negative errno.
 */
VFIOX_API int vfiox_uevent_dispatch(struct vfiox_uevent_monitor *m,
				    vfiox_uevent_fn fn, void *arg);

/**
 * vfiox_uevent_wait() - block until at least one message was delivered or
 * @timeout_ms passed (-1: no limit).
 * @m: monitor
 * @timeout_ms: the longest wait in milliseconds, -1 for no limit
 * @fn: called for each message
 * @arg: passed to @fn
 * Return: the number delivered, -ETIMEDOUT, or a negative errno.
 */
VFIOX_API int vfiox_uevent_wait(struct vfiox_uevent_monitor *m, int timeout_ms,
				vfiox_uevent_fn fn, void *arg);

/**
 * vfiox_uevent_dropped() - messages dropped: not from the kernel, malformed.
 * @m: monitor
 */
VFIOX_API int vfiox_uevent_dropped(const struct vfiox_uevent_monitor *m);

#ifdef __cplusplus
}
#endif
#endif
