// SPDX-License-Identifier: MIT
/*
 * Device migration (vfiox/migration.h): the device features of the VFIO
 * migration protocol v2, a walk along the arcs of its state machine, and
 * the data fds' reads and writes.
 *
 * The kernel would take a combined transition (RUNNING -> STOP_COPY) in
 * one call, but a failure then leaves the device somewhere on a path the
 * caller did not see. libvfiox plans the path itself, from the arcs the
 * uAPI requires each driver to implement (include/uapi/linux/vfio.h, "FSM
 * arcs"), and sets one state per arc.
 */
#define LOG_PREFIX "migration"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Linux 6.2+ numbers, for older uAPI headers (they never change). */
#ifndef VFIO_MIGRATION_PRE_COPY
#define VFIO_MIGRATION_PRE_COPY (1 << 2)
#endif
#ifndef VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE 9
struct vfio_device_feature_mig_data_size {
	__aligned_u64 stop_copy_length;
};
#endif
#ifndef VFIO_MIG_GET_PRECOPY_INFO
struct vfio_precopy_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 initial_bytes;
	__aligned_u64 dirty_bytes;
};
#define VFIO_MIG_GET_PRECOPY_INFO _IO(VFIO_TYPE, VFIO_BASE + 21)
#endif
/* Linux 7.2: the precopy info's flags become valid once asked for. */
#ifndef VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2
#define VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2 12
#endif
#ifndef VFIO_PRECOPY_INFO_REINIT
#define VFIO_PRECOPY_INFO_REINIT (1 << 0)
#endif
_Static_assert(VFIOX_MIG_PRECOPY_REINIT == VFIO_PRECOPY_INFO_REINIT,
	       "the public flag is the kernel's bit");

#define NR_STATES 8
#define MAX_PATH NR_STATES

static const char *const state_names[NR_STATES] = {
	[VFIOX_MIG_ERROR] = "ERROR",
	[VFIOX_MIG_STOP] = "STOP",
	[VFIOX_MIG_RUNNING] = "RUNNING",
	[VFIOX_MIG_STOP_COPY] = "STOP_COPY",
	[VFIOX_MIG_RESUMING] = "RESUMING",
	[VFIOX_MIG_RUNNING_P2P] = "RUNNING_P2P",
	[VFIOX_MIG_PRE_COPY] = "PRE_COPY",
	[VFIOX_MIG_PRE_COPY_P2P] = "PRE_COPY_P2P",
};

VFIOX_API const char *vfiox_mig_state_name(enum vfiox_mig_state state)
{
	return (unsigned int)state < NR_STATES ? state_names[state] : "?";
}

#define NAME(s) vfiox_mig_state_name(s)

/* The largest payload: the state's (8 bytes), or the data size's. */
#define MAX_PAYLOAD 16
_Static_assert(sizeof(struct vfio_device_feature_mig_state) <= MAX_PAYLOAD &&
	       sizeof(struct vfio_device_feature_migration) <= MAX_PAYLOAD &&
	       sizeof(struct vfio_device_feature_mig_data_size) <= MAX_PAYLOAD,
	       "a migration feature's payload outgrew feature()'s buffer");

/* The device feature @feature, with @len bytes of payload in and out. */
static int feature(struct vfiox_device *d, uint32_t flags, void *payload,
		   size_t len)
{
	uint64_t buf[(sizeof(struct vfio_device_feature) + MAX_PAYLOAD + 7) / 8] = { 0 };
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;
	int ret;

	if (len > MAX_PAYLOAD)
		return -E2BIG;	/* a caller in this file; the asserts keep it out */
	f->argsz = (uint32_t)(sizeof(*f) + len);
	f->flags = flags;
	if (len)
		memcpy(f->data, payload, len);
	ret = d->group->container->env.sys->ioctl(d->fd, VFIO_DEVICE_FEATURE, f);
	if (ret < 0 && vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	if (ret >= 0 && len)
		memcpy(payload, f->data, len);
	return ret < 0 ? ret : 0;
}

/* The VFIO core answers ENOTTY for a device without migration ops. */
static int no_migration(struct vfiox_device *d, const char *what, int ret)
{
	if (ret == -ENOTTY) {
		pr_err("%s: %s: the device (or its driver) cannot migrate", d->name, what);
		return -ENOTSUP;
	}
	pr_err("%s: %s: %s", d->name, what, ERRSTR(ret));
	return ret;
}

/* The flags never change: one ioctl less on every later call, which on
 * the way into STOP_COPY is the VM's blackout. */
static int get_flags(struct vfiox_device *d, uint64_t *flags)
{
	struct vfio_device_feature_migration mig = { 0 };
	int ret;

	if (d->mig_flags_read) {
		*flags = d->mig_flags;
		return 0;
	}
	ret = feature(d, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION,
		      &mig, sizeof(mig));
	if (ret)
		return no_migration(d, "VFIO_DEVICE_FEATURE_MIGRATION", ret);
	d->mig_flags = mig.flags;
	d->mig_flags_read = true;
	*flags = mig.flags;
	return 0;
}

static int get_state(struct vfiox_device *d, enum vfiox_mig_state *state)
{
	struct vfio_device_feature_mig_state mig = { .data_fd = -1 };
	int ret = feature(d, VFIO_DEVICE_FEATURE_GET |
			  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &mig, sizeof(mig));

	if (ret)
		return no_migration(d, "VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE (get)", ret);
	/* The uAPI says new states may come: never index a table with one */
	if (mig.device_state >= NR_STATES) {
		pr_err("%s: the kernel reports migration state %u, which this libvfiox "
		       "does not know", d->name, mig.device_state);
		return -EPROTO;
	}
	*state = (enum vfiox_mig_state)mig.device_state;
	return 0;
}

/* Every call's first check: a device that is still ours, an output. */
static int check_call(struct vfiox_device *d, const void *out, const char *call)
{
	if (!d || !out) {
		pr_err("%s: NULL device or output pointer", call);
		return -EINVAL;
	}
	return vfiox_device_gone(d) ? vfiox_device_check_live(d) : 0;
}

VFIOX_API int vfiox_mig_flags(struct vfiox_device *d, uint64_t *flags)
{
	int ret = check_call(d, flags, "vfiox_mig_flags");

	return ret ? ret : get_flags(d, flags);
}

VFIOX_API int vfiox_mig_get_state(struct vfiox_device *d,
				  enum vfiox_mig_state *state)
{
	int ret = check_call(d, state, "vfiox_mig_get_state");

	return ret ? ret : get_state(d, state);
}

static bool has_state(enum vfiox_mig_state s, uint64_t flags)
{
	bool p2p = flags & VFIO_MIGRATION_P2P, pre = flags & VFIO_MIGRATION_PRE_COPY;

	switch (s) {
	case VFIOX_MIG_STOP:
	case VFIOX_MIG_RUNNING:
	case VFIOX_MIG_STOP_COPY:
	case VFIOX_MIG_RESUMING:
		return true;
	case VFIOX_MIG_RUNNING_P2P:
		return p2p;
	case VFIOX_MIG_PRE_COPY:
		return pre;
	case VFIOX_MIG_PRE_COPY_P2P:
		return p2p && pre;
	default:
		return false;
	}
}

/* The states one arc away from @s that a driver with @flags implements. */
static int arcs_from(enum vfiox_mig_state s, uint64_t flags,
		     enum vfiox_mig_state out[3])
{
	bool p2p = flags & VFIO_MIGRATION_P2P, pre = flags & VFIO_MIGRATION_PRE_COPY;
	int n = 0;

	switch (s) {
	case VFIOX_MIG_STOP:
		out[n++] = p2p ? VFIOX_MIG_RUNNING_P2P : VFIOX_MIG_RUNNING;
		out[n++] = VFIOX_MIG_STOP_COPY;
		out[n++] = VFIOX_MIG_RESUMING;
		break;
	case VFIOX_MIG_RUNNING:
		out[n++] = p2p ? VFIOX_MIG_RUNNING_P2P : VFIOX_MIG_STOP;
		if (pre)
			out[n++] = VFIOX_MIG_PRE_COPY;
		break;
	case VFIOX_MIG_RUNNING_P2P:
		out[n++] = VFIOX_MIG_STOP;
		out[n++] = VFIOX_MIG_RUNNING;
		if (pre)
			out[n++] = VFIOX_MIG_PRE_COPY_P2P;
		break;
	case VFIOX_MIG_PRE_COPY:
		out[n++] = VFIOX_MIG_RUNNING;
		out[n++] = p2p ? VFIOX_MIG_PRE_COPY_P2P : VFIOX_MIG_STOP_COPY;
		break;
	case VFIOX_MIG_PRE_COPY_P2P:
		out[n++] = VFIOX_MIG_PRE_COPY;
		out[n++] = VFIOX_MIG_RUNNING_P2P;
		out[n++] = VFIOX_MIG_STOP_COPY;
		break;
	case VFIOX_MIG_STOP_COPY:
	case VFIOX_MIG_RESUMING:
		out[n++] = VFIOX_MIG_STOP;
		break;
	default:		/* ERROR: only a reset leads out */
		break;
	}
	return n;
}

static bool saving(enum vfiox_mig_state s)
{
	return s == VFIOX_MIG_STOP_COPY || s == VFIOX_MIG_PRE_COPY ||
	       s == VFIOX_MIG_PRE_COPY_P2P;
}

/*
 * The shortest path from @from to @to (breadth first), as the states to
 * set in order, @from excluded. A saving state may be passed through only
 * between two saving states (the uAPI's rule: a transfer session is not
 * opened and closed on the way). Returns its length, or -EINVAL.
 */
static int plan(enum vfiox_mig_state from, enum vfiox_mig_state to,
		uint64_t flags, enum vfiox_mig_state path[MAX_PATH])
{
	bool through_saving = saving(from) && saving(to);
	int prev[NR_STATES], queue[NR_STATES], head = 0, tail = 0, n, i, s;
	enum vfiox_mig_state next[3];

	for (i = 0; i < NR_STATES; i++)
		prev[i] = -1;
	prev[from] = from;
	queue[tail++] = from;
	while (head < tail && prev[to] < 0) {
		s = queue[head++];
		if (s != (int)from && saving((enum vfiox_mig_state)s) && !through_saving)
			continue;
		n = arcs_from((enum vfiox_mig_state)s, flags, next);
		for (i = 0; i < n; i++) {
			if (prev[next[i]] >= 0)
				continue;
			prev[next[i]] = s;
			queue[tail++] = next[i];
		}
	}
	if (prev[to] < 0)
		return -EINVAL;
	for (n = 0, s = to; s != (int)from; s = prev[s])
		n++;
	for (i = n - 1, s = to; s != (int)from; s = prev[s], i--)
		path[i] = (enum vfiox_mig_state)s;
	return n;
}

/* One arc: set @next; *@fd gets the data fd it opened, or -1. */
static int set_one(struct vfiox_device *d, enum vfiox_mig_state next, int *fd)
{
	struct vfio_device_feature_mig_state mig = {
		.device_state = next,
		.data_fd = -1,
	};
	int ret = feature(d, VFIO_DEVICE_FEATURE_SET |
			  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &mig, sizeof(mig));

	*fd = ret ? -1 : mig.data_fd;
	return ret;
}

/* The refusals the uAPI spells out, before any change; 0 if none. */
static int check_target(struct vfiox_device *d, enum vfiox_mig_state cur,
			enum vfiox_mig_state to, uint64_t flags)
{
	if (to == VFIOX_MIG_ERROR) {
		pr_err("%s: ERROR cannot be asked for: the kernel enters it when an "
		       "arc fails", d->name);
		return -EINVAL;
	}
	if (!has_state(to, flags)) {
		pr_err("%s: no migration state %s (%u) on this device (flags 0x%llx)",
		       d->name, NAME(to), (unsigned int)to, (unsigned long long)flags);
		return -EINVAL;
	}
	if (cur == VFIOX_MIG_ERROR) {
		pr_err("%s: the device is in ERROR: reset it (vfiox_mig_reset) "
		       "before moving it to %s", d->name, NAME(to));
		return -EINVAL;
	}
	if (cur == VFIOX_MIG_STOP_COPY &&
	    (to == VFIOX_MIG_PRE_COPY || to == VFIOX_MIG_PRE_COPY_P2P)) {
		pr_err("%s: STOP_COPY -> %s is not allowed by the VFIO uAPI", d->name,
		       NAME(to));
		return -EINVAL;
	}
	return 0;
}

/* An arc failed: say which, and where the kernel left the device. */
static void explain_failure(struct vfiox_device *d, enum vfiox_mig_state from,
			    enum vfiox_mig_state to, enum vfiox_mig_state target,
			    int err)
{
	enum vfiox_mig_state now = VFIOX_MIG_ERROR;

	if (get_state(d, &now))
		pr_err("%s: migration arc %s -> %s (towards %s) failed: %s; its "
		       "state is unknown", d->name, NAME(from), NAME(to),
		       NAME(target), ERRSTR(err));
	else
		pr_err("%s: migration arc %s -> %s (towards %s) failed: %s; the "
		       "device is in %s%s", d->name, NAME(from), NAME(to),
		       NAME(target), ERRSTR(err), NAME(now),
		       now == VFIOX_MIG_ERROR ? ": reset it (vfiox_mig_reset)" : "");
}

static int walk(struct vfiox_device *d, enum vfiox_mig_state cur,
		const enum vfiox_mig_state *path, int n,
		enum vfiox_mig_state target, int *data_fd)
{
	const struct vfiox_sys *sys = d->group->container->env.sys;
	int i, fd = -1, opened, ret;

	for (i = 0; i < n; i++) {
		ret = set_one(d, path[i], &opened);
		if (ret) {
			explain_failure(d, cur, path[i], target, ret);
			if (fd >= 0)
				sys->close(fd);
			return ret;
		}
		pr_debug("%s: migration state %s -> %s%s", d->name, NAME(cur),
			 NAME(path[i]), opened >= 0 ? " (data fd)" : "");
		cur = path[i];
		if (opened >= 0) {
			if (fd >= 0)
				sys->close(fd);	/* never on a planned path */
			fd = opened;
		}
	}
	*data_fd = fd;
	return 0;
}

VFIOX_API int vfiox_mig_set_state(struct vfiox_device *d,
				  enum vfiox_mig_state target, int *data_fd)
{
	enum vfiox_mig_state cur = VFIOX_MIG_ERROR, path[MAX_PATH];
	uint64_t flags = 0;
	int fd = -1, n, ret;

	if (data_fd)
		*data_fd = -1;
	ret = check_call(d, d, "vfiox_mig_set_state");
	if (ret)
		return ret;
	/* Its fd closed, a RESUMING device could only load nothing. */
	if (target == VFIOX_MIG_RESUMING && !data_fd) {
		pr_err("%s: RESUMING without a data_fd pointer: the stream could not "
		       "be written", d->name);
		return -EINVAL;
	}
	ret = get_flags(d, &flags);
	if (!ret)
		ret = get_state(d, &cur);
	if (ret)
		return ret;
	if (cur == target && target != VFIOX_MIG_ERROR)
		return 0;
	ret = check_target(d, cur, target, flags);
	if (ret)
		return ret;
	n = plan(cur, target, flags, path);
	if (n < 0) {
		pr_err("%s: no migration path from %s to %s", d->name, NAME(cur),
		       NAME(target));
		return n;
	}
	ret = walk(d, cur, path, n, target, &fd);
	if (ret)
		return ret;
	if (data_fd)
		*data_fd = fd;
	else if (fd >= 0)
		d->group->container->env.sys->close(fd);
	return 0;
}

/*
 * The uAPI's way out of ERROR, and out of RESUMING without loading: the
 * migration drivers implement VFIO_DEVICE_RESET for it even where the
 * device advertises no function reset (mtty), so this does not check
 * VFIO_DEVICE_FLAGS_RESET as vfiox_device_reset() does; the kernel says
 * whether it has one (vfio-pci variants without reset_works: EINVAL).
 */
VFIOX_API int vfiox_mig_reset(struct vfiox_device *d)
{
	enum vfiox_mig_state now = VFIOX_MIG_ERROR;
	uint64_t flags;
	int ret = check_call(d, d, "vfiox_mig_reset");

	if (!ret)
		ret = get_flags(d, &flags);
	if (ret)
		return ret;
	ret = d->group->container->env.sys->ioctl(d->fd, VFIO_DEVICE_RESET, NULL);
	vfiox_dmabuf_revoke_all(d, "reset");
	if (ret < 0 && vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	if (ret < 0) {
		pr_err("%s: VFIO_DEVICE_RESET: %s", d->name, ERRSTR(ret));
		return ret;
	}
	ret = get_state(d, &now);
	if (!ret && now != VFIOX_MIG_RUNNING) {
		pr_err("%s: after VFIO_DEVICE_RESET the device is in %s, not RUNNING",
		       d->name, NAME(now));
		return -EIO;
	}
	return ret;
}

VFIOX_API int vfiox_mig_data_size(struct vfiox_device *d, uint64_t *bytes)
{
	struct vfio_device_feature_mig_data_size size = { 0 };
	int ret = check_call(d, bytes, "vfiox_mig_data_size");

	if (ret)
		return ret;
	ret = feature(d, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
		      &size, sizeof(size));
	if (ret)
		return no_migration(d, "VFIO_DEVICE_FEATURE_MIG_DATA_SIZE", ret);
	*bytes = size.stop_copy_length;
	return 0;
}

VFIOX_API int vfiox_mig_precopy_reinit_enable(struct vfiox_device *d)
{
	int ret = check_call(d, d, "vfiox_mig_precopy_reinit_enable");

	if (ret)
		return ret;
	ret = feature(d, VFIO_DEVICE_FEATURE_SET |
		      VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2, NULL, 0);
	if (ret == -ENOTTY || ret == -EOPNOTSUPP) {
		pr_err("%s: VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2: the kernel (before "
		       "7.2) or the driver does not report re-initialisation", d->name);
		return -ENOTSUP;
	}
	if (ret == -EINVAL)
		pr_err("%s: VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2: the device has no "
		       "PRE_COPY", d->name);
	else if (ret)
		pr_err("%s: VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2: %s", d->name,
		       ERRSTR(ret));
	return ret;
}

VFIOX_API int vfiox_mig_precopy_info(struct vfiox_device *d, int data_fd,
				     struct vfiox_mig_precopy_info *info)
{
	struct vfio_precopy_info pi = { .argsz = sizeof(pi) };
	struct vfiox_mig_precopy_info out = { .sz = sizeof(out) };
	int ret = check_call(d, info, "vfiox_mig_precopy_info");

	if (ret)
		return ret;
	if (data_fd < 0) {
		pr_err("%s: vfiox_mig_precopy_info: bad data fd %d", d->name, data_fd);
		return -EINVAL;
	}
	/* Before the ioctl: it moves the device on (a REINIT is reported once). */
	ret = VFIOX_OUT_CHECK(info, vfiox_mig_precopy_info);
	if (ret)
		return ret;
	ret = d->group->container->env.sys->ioctl(data_fd, VFIO_MIG_GET_PRECOPY_INFO, &pi);
	if (ret == -EINVAL)
		pr_err("%s: VFIO_MIG_GET_PRECOPY_INFO (fd %d): the device is not in "
		       "PRE_COPY or PRE_COPY_P2P", d->name, data_fd);
	else if (ret < 0)
		pr_err("%s: VFIO_MIG_GET_PRECOPY_INFO (fd %d): %s", d->name, data_fd,
		       ERRSTR(ret));
	if (ret < 0)
		return ret;
	out.initial_bytes = pi.initial_bytes;
	out.dirty_bytes = pi.dirty_bytes;
	out.flags = pi.flags & VFIO_PRECOPY_INFO_REINIT;
	return VFIOX_COPY_OUT(info, &out, vfiox_mig_precopy_info);
}

VFIOX_API ssize_t vfiox_mig_read(struct vfiox_device *d, int data_fd,
				 void *buf, size_t len)
{
	ssize_t n;

	if (!d || data_fd < 0 || (!buf && len)) {
		pr_err("vfiox_mig_read: no device, data fd or buffer");
		return -EINVAL;
	}
	do
		n = d->group->container->env.sys->read(data_fd, buf, len);
	while (n == -EINTR);
	if (n == -ENOMSG || n == -EAGAIN)
		pr_debug("%s: no pre-copy data ready for now", d->name);
	else if (n < 0)
		pr_err("%s: reading migration data (fd %d): %s", d->name, data_fd,
		       ERRSTR((int)n));
	return n;
}

/* A write stopped at byte @done of @len with @err (0: it took none). */
static void log_write_stop(struct vfiox_device *d, size_t done, size_t len, int err)
{
	if (err == -EAGAIN)
		pr_debug("%s: the data fd takes no more for now, at byte %zu of %zu",
			 d->name, done, len);
	else if (err)
		pr_err("%s: the device refused migration data at byte %zu of %zu: %s",
		       d->name, done, len, ERRSTR(err));
	else
		pr_err("%s: the device took no more migration data after %zu of %zu "
		       "bytes", d->name, done, len);
}

VFIOX_API ssize_t vfiox_mig_write(struct vfiox_device *d, int data_fd,
				  const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t done = 0;
	ssize_t n;

	if (!d || data_fd < 0 || (!buf && len) || len > SSIZE_MAX) {
		pr_err("vfiox_mig_write: no device, data fd or buffer, or too long");
		return -EINVAL;
	}
	while (done < len) {
		n = d->group->container->env.sys->write(data_fd, p + done, len - done);
		if (n == -EINTR)
			continue;
		if (n <= 0) {
			log_write_stop(d, done, len, (int)n);
			/* What the device took is never lost: the caller
			 * resumes from there (and learns the errno then). */
			return done ? (ssize_t)done : n ? n : -EIO;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}
