// SPDX-License-Identifier: MIT
/*
 * Kernel uevents over NETLINK_KOBJECT_UEVENT. The parser is pure; the
 * monitor reads with libnl (its socket calls do not pass through the
 * syscall seam) and hands every message to vfiox_uevent_handle(), which the
 * unit tests call directly with forged senders.
 */
#define LOG_PREFIX "uevent"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfiox-config.h"
#include "internal.h"

static const char *const action_names[] = {
	[VFIOX_UEVENT_ADD] = "add",
	[VFIOX_UEVENT_REMOVE] = "remove",
	[VFIOX_UEVENT_CHANGE] = "change",
	[VFIOX_UEVENT_MOVE] = "move",
	[VFIOX_UEVENT_ONLINE] = "online",
	[VFIOX_UEVENT_OFFLINE] = "offline",
	[VFIOX_UEVENT_BIND] = "bind",
	[VFIOX_UEVENT_UNBIND] = "unbind",
};

static enum vfiox_uevent_action action_of(const char *name)
{
	unsigned int a;

	for (a = 1; a < sizeof(action_names) / sizeof(action_names[0]); a++)
		if (!strcmp(name, action_names[a]))
			return (enum vfiox_uevent_action)a;
	return VFIOX_UEVENT_OTHER;
}

/* Copy @val into @dst of @size; -EPROTO (logged) when it does not fit. */
static int put(char *dst, size_t size, const char *key, const char *val)
{
	size_t n = strlen(val);

	if (n >= size) {
		pr_err("uevent %s of %zu bytes does not fit (%zu)", key, n, size - 1);
		return -EPROTO;
	}
	memcpy(dst, val, n + 1);
	return 0;
}

static int put_seqnum(uint64_t *out, const char *val)
{
	char *end;

	if (!*val || strspn(val, "0123456789") != strlen(val) || strlen(val) > 19) {
		pr_err("uevent SEQNUM '%.32s' is not a number", val);
		return -EPROTO;
	}
	*out = strtoull(val, &end, 10);
	return 0;
}

/* One "KEY=value" field; unknown keys are skipped. */
static int parse_field(const char *f, struct vfiox_uevent *ev,
		       char *action, size_t action_len, char *devpath,
		       size_t devpath_len)
{
	const char *eq = strchr(f, '=');
	const char *val = eq ? eq + 1 : NULL;
	size_t klen = eq ? (size_t)(eq - f) : 0;

	if (!eq || !klen) {
		pr_err("uevent field '%.32s' has no KEY=", f);
		return -EPROTO;
	}
#define KEY(k) (klen == sizeof(k) - 1 && !memcmp(f, k, klen))
	if (KEY("ACTION"))
		return put(action, action_len, "ACTION", val);
	if (KEY("DEVPATH"))
		return put(devpath, devpath_len, "DEVPATH", val);
	if (KEY("SUBSYSTEM"))
		return put(ev->subsystem, sizeof(ev->subsystem), "SUBSYSTEM", val);
	if (KEY("DRIVER"))
		return put(ev->driver, sizeof(ev->driver), "DRIVER", val);
	if (KEY("DEVNAME"))
		return put(ev->devname, sizeof(ev->devname), "DEVNAME", val);
	if (KEY("PCI_SLOT_NAME"))
		return put(ev->pci_slot, sizeof(ev->pci_slot), "PCI_SLOT_NAME", val);
	if (KEY("SEQNUM"))
		return put_seqnum(&ev->seqnum, val);
#undef KEY
	return 0;
}

/* "action@devpath": the header must agree with ACTION= and DEVPATH=. */
static int check_header(const char *hdr, const char *action, const char *devpath)
{
	const char *at = strchr(hdr, '@');

	if (!at || at == hdr) {
		pr_err("uevent header '%.32s' is not action@devpath", hdr);
		return -EPROTO;
	}
	if (!*action || strlen(action) != (size_t)(at - hdr) ||
	    memcmp(hdr, action, strlen(action)) || strcmp(at + 1, devpath)) {
		pr_err("uevent header '%.64s' disagrees with ACTION '%s' / DEVPATH '%.64s'",
		       hdr, action, devpath);
		return -EPROTO;
	}
	return 0;
}

static int uevent_parse(const void *buf, size_t len, struct vfiox_uevent *out)
{
	const char *p = buf, *end;
	char action[sizeof(out->action_name)] = "";
	char devpath[sizeof(out->devpath)] = "";
	struct vfiox_uevent ev = { 0 };
	const char *hdr;
	int ret;

	if (!buf || !out)
		return -EINVAL;
	end = p + len;		/* only now: an offset on NULL is undefined */
	if (len > VFIOX_UEVENT_MAX) {
		pr_err("uevent of %zu bytes is over the %d-byte limit", len, VFIOX_UEVENT_MAX);
		return -EMSGSIZE;
	}
	if (!len || p[len - 1]) {
		pr_err("uevent of %zu bytes does not end with NUL", len);
		return -EPROTO;
	}
	hdr = p;
	for (p += strlen(p) + 1; p < end; p += strlen(p) + 1) {
		ret = parse_field(p, &ev, action, sizeof(action), devpath, sizeof(devpath));
		if (ret)
			return ret;
	}
	ret = check_header(hdr, action, devpath);
	if (ret)
		return ret;
	memcpy(ev.action_name, action, sizeof(action));
	memcpy(ev.devpath, devpath, sizeof(devpath));
	ev.action = action_of(action);
	*out = ev;
	return 0;
}

VFIOX_API int vfiox_uevent_parse_sized(const void *buf, size_t len, void *out,
				       size_t out_sz)
{
	void *ev;
	int ret = VFIOX_ARRAY_BEGIN(out, 1, out_sz, vfiox_uevent, &ev);

	if (ret)
		return ret;
	ret = uevent_parse(buf, len, ev);
	VFIOX_ARRAY_END(out, 1, out_sz, vfiox_uevent, ev, ret ? 0 : 1);
	return ret;
}

#if VFIOX_HAVE_LIBNL
#include <netlink/netlink.h>
#include <linux/netlink.h>

#include "nl.h"

#define UEVENT_GROUP_KERNEL 1

struct vfiox_uevent_monitor {
	struct nl_sock *sk;
	int fd;
	int dropped;
};

/* One received message from port @sender: believed only from the kernel. */
int vfiox_uevent_handle(struct vfiox_uevent_monitor *m, const void *buf,
			size_t len, uint32_t sender, vfiox_uevent_fn fn, void *arg)
{
	struct vfiox_uevent ev;

	if (sender) {
		pr_warn("dropped a uevent from port %u: not the kernel", sender);
		m->dropped++;
		return 0;
	}
	if (uevent_parse(buf, len, &ev)) {
		m->dropped++;
		return 0;
	}
	fn(&ev, arg);
	return 1;
}

VFIOX_API int vfiox_uevent_open(struct vfiox_uevent_monitor **out)
{
	struct vfiox_uevent_monitor *m;
	int ret;

	if (!out)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->sk = nl_socket_alloc();
	ret = m->sk ? nl_connect(m->sk, NETLINK_KOBJECT_UEVENT) : -NLE_NOMEM;
	if (!ret)
		ret = nl_socket_add_membership(m->sk, UEVENT_GROUP_KERNEL);
	if (!ret)
		ret = nl_socket_set_nonblocking(m->sk);
	if (ret) {
		pr_err("uevent socket: %s", nl_geterror(ret));
		ret = vfiox_nl_errno(ret);
		vfiox_uevent_close(m);
		return ret;
	}
	nl_socket_disable_seq_check(m->sk);
	m->fd = nl_socket_get_fd(m->sk);
	*out = m;
	return 0;
}

VFIOX_API void vfiox_uevent_close(struct vfiox_uevent_monitor *m)
{
	if (!m)
		return;
	if (m->sk)
		nl_socket_free(m->sk);
	free(m);
}

VFIOX_API int vfiox_uevent_fd(const struct vfiox_uevent_monitor *m)
{
	return m ? m->fd : -EINVAL;
}

VFIOX_API int vfiox_uevent_dropped(const struct vfiox_uevent_monitor *m)
{
	return m ? m->dropped : -EINVAL;
}

VFIOX_API int vfiox_uevent_dispatch(struct vfiox_uevent_monitor *m,
				    vfiox_uevent_fn fn, void *arg)
{
	int delivered = 0;

	if (!m || !fn)
		return -EINVAL;
	for (;;) {
		struct sockaddr_nl from = { 0 };
		unsigned char *buf = NULL;
		int n = nl_recv(m->sk, &from, &buf, NULL);

		if (n == -NLE_AGAIN || n == 0)
			return delivered;
		if (n < 0) {
			if (n == -NLE_NOMEM)
				pr_warn("the uevent socket overflowed: uevents were lost");
			else
				pr_err("reading uevents: %s", nl_geterror(n));
			return n == -NLE_NOMEM ? -ENOBUFS : -EIO;
		}
		delivered += vfiox_uevent_handle(m, buf, (size_t)n, from.nl_pid, fn, arg);
		free(buf);
	}
}

struct dispatch_ctx {
	struct vfiox_uevent_monitor *m;
	vfiox_uevent_fn fn;
	void *arg;
};

static int dispatch_uevents(void *ctx)
{
	struct dispatch_ctx *d = ctx;

	return vfiox_uevent_dispatch(d->m, d->fn, d->arg);
}

VFIOX_API int vfiox_uevent_wait(struct vfiox_uevent_monitor *m, int timeout_ms,
				vfiox_uevent_fn fn, void *arg)
{
	struct dispatch_ctx ctx = { m, fn, arg };

	if (!m || !fn || timeout_ms < -1)
		return -EINVAL;
	return vfiox_wait_fd(m->fd, timeout_ms, dispatch_uevents, &ctx);
}

#else /* !VFIOX_HAVE_LIBNL */

VFIOX_API int vfiox_uevent_open(struct vfiox_uevent_monitor **out)
{
	(void)out;
	pr_err("libvfiox was built without libnl: no uevent monitor");
	return -ENOTSUP;
}

VFIOX_API void vfiox_uevent_close(struct vfiox_uevent_monitor *m)
{
	(void)m;
}

VFIOX_API int vfiox_uevent_fd(const struct vfiox_uevent_monitor *m)
{
	(void)m;
	return -ENOTSUP;
}

VFIOX_API int vfiox_uevent_dropped(const struct vfiox_uevent_monitor *m)
{
	(void)m;
	return -ENOTSUP;
}

VFIOX_API int vfiox_uevent_dispatch(struct vfiox_uevent_monitor *m,
				    vfiox_uevent_fn fn, void *arg)
{
	(void)m, (void)fn, (void)arg;
	return -ENOTSUP;
}

VFIOX_API int vfiox_uevent_wait(struct vfiox_uevent_monitor *m, int timeout_ms,
				vfiox_uevent_fn fn, void *arg)
{
	(void)m, (void)timeout_ms, (void)fn, (void)arg;
	return -ENOTSUP;
}
#endif
