// SPDX-License-Identifier: MIT
/*
 * Event sources: the kernel-patches/ series' generic netlink family, read
 * with libnl. The socket calls are libnl's own and do not pass through the
 * syscall seam; the container ioctl that names the socket does. Message
 * handling is split from the socket so the unit tests can feed messages.
 */
#define LOG_PREFIX "events"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfiox-config.h"
#include "internal.h"
#include "uapi_ext.h"

#if VFIOX_HAVE_LIBNL
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "nl.h"

struct watch {
	struct watch *next;
	struct vfiox_container *c;
	uint64_t cookie;
};

struct vfiox_events {
	struct nl_sock *sk;		/* NULL for a source fed by hand */
	int fd;
	int family;
	vfiox_event_fn fn;
	void *arg;
	pthread_mutex_t recv_lock;	/* one reader of the socket at a time */
	pthread_mutex_t lock;		/* the fields below */
	struct watch *watches;
	uint64_t next_cookie;
	int dropped;
	int delivered;			/* by the current dispatch */
};

int vfiox_events_new(int family, int fd, vfiox_event_fn fn, void *arg,
		     struct vfiox_events **out)
{
	struct vfiox_events *ev;

	if (!fn || !out)
		return -EINVAL;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	ev->fd = fd;
	ev->family = family;
	ev->fn = fn;
	ev->arg = arg;
	ev->next_cookie = 1;
	pthread_mutex_init(&ev->recv_lock, NULL);
	pthread_mutex_init(&ev->lock, NULL);
	*out = ev;
	return 0;
}

static struct vfiox_container *watched(struct vfiox_events *ev, uint64_t cookie)
{
	struct watch *w;

	for (w = ev->watches; w; w = w->next)
		if (w->cookie == cookie)
			return w->c;
	return NULL;
}

static void drop(struct vfiox_events *ev, const char *why, uint32_t portid)
{
	pthread_mutex_lock(&ev->lock);
	ev->dropped++;
	pthread_mutex_unlock(&ev->lock);
	pr_warn("ignored a message (sender port id %u): %s", portid, why);
}

static const struct nla_policy revoked_policy[VFIOX_EVENT_ATTR_MAX + 1] = {
	[VFIOX_EVENT_ATTR_DEVICE] = { .type = NLA_NUL_STRING, .maxlen = 63 },
	[VFIOX_EVENT_ATTR_IOVA] = { .type = NLA_U64 },
	[VFIOX_EVENT_ATTR_SIZE] = { .type = NLA_U64 },
	[VFIOX_EVENT_ATTR_OWNER_UID] = { .type = NLA_U32 },
	[VFIOX_EVENT_ATTR_OWNER_PID] = { .type = NLA_U32 },
	[VFIOX_EVENT_ATTR_COOKIE] = { .type = NLA_U64 },
};

/* A revocation: parsed, applied to the watched container, delivered. */
static int on_revoked(struct vfiox_events *ev, struct nlattr **a)
{
	struct vfiox_event e = { .type = VFIOX_EVENT_TYPE_DMA_REVOKED };

	nla_strlcpy(e.device, a[VFIOX_EVENT_ATTR_DEVICE], sizeof(e.device));
	e.iova = nla_get_u64(a[VFIOX_EVENT_ATTR_IOVA]);
	e.len = nla_get_u64(a[VFIOX_EVENT_ATTR_SIZE]);
	if (a[VFIOX_EVENT_ATTR_OWNER_UID])
		e.owner_uid = nla_get_u32(a[VFIOX_EVENT_ATTR_OWNER_UID]);
	if (a[VFIOX_EVENT_ATTR_OWNER_PID])
		e.owner_pid = nla_get_u32(a[VFIOX_EVENT_ATTR_OWNER_PID]);
	pthread_mutex_lock(&ev->lock);
	if (a[VFIOX_EVENT_ATTR_COOKIE])
		e.container = watched(ev, nla_get_u64(a[VFIOX_EVENT_ATTR_COOKIE]));
	if (e.container)
		e.dropped_mapping = vfiox_p2p_revoke(e.container, e.device,
						     e.iova, e.len) > 0;
	ev->delivered++;
	pthread_mutex_unlock(&ev->lock);
	ev->fn(&e, ev->arg);
	return 0;
}

/* Every received message lands here; libnl is told to do nothing else. */
int vfiox_events_handle_msg(struct vfiox_events *ev, struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	uint32_t portid = nlmsg_get_src(msg)->nl_pid;
	struct nlattr *a[VFIOX_EVENT_ATTR_MAX + 1];
	struct genlmsghdr *gh;

	/* Any process may send to our port; only the kernel is believed. */
	if (portid) {
		drop(ev, "not sent by the kernel", portid);
		return NL_SKIP;
	}
	if (nlh->nlmsg_type != ev->family ||
	    genlmsg_parse(nlh, 0, a, VFIOX_EVENT_ATTR_MAX, (struct nla_policy *)revoked_policy)) {
		drop(ev, "not a well-formed vfiox event", portid);
		return NL_SKIP;
	}
	gh = nlmsg_data(nlh);
	if (gh->cmd != VFIOX_EVENT_DMA_REVOKED) {
		pr_debug("skipped event type %u, unknown to this libvfiox", gh->cmd);
		return NL_SKIP;
	}
	if (!a[VFIOX_EVENT_ATTR_DEVICE] || !a[VFIOX_EVENT_ATTR_IOVA] ||
	    !a[VFIOX_EVENT_ATTR_SIZE]) {
		drop(ev, "revocation without device, IOVA or size", portid);
		return NL_SKIP;
	}
	on_revoked(ev, a);
	return NL_SKIP;
}

static int msg_in(struct nl_msg *msg, void *arg)
{
	return vfiox_events_handle_msg(arg, msg);
}

void vfiox_events_own_socket(struct vfiox_events *ev, struct nl_sock *sk)
{
	ev->sk = sk;
	nl_socket_modify_cb(sk, NL_CB_MSG_IN, NL_CB_CUSTOM, msg_in, ev);
}

static int join_admin(struct nl_sock *sk)
{
	int grp = genl_ctrl_resolve_grp(sk, VFIOX_GENL_NAME,
					VFIOX_GENL_MCGRP_ADMIN);
	int ret = grp < 0 ? grp : nl_socket_add_membership(sk, grp);

	if (ret < 0)
		pr_err("cannot join the '%s' group of every container's events: %s%s",
		       VFIOX_GENL_MCGRP_ADMIN, nl_geterror(ret),
		       ret == -NLE_PERM ? " (needs CAP_NET_ADMIN)" : "");
	return ret < 0 ? vfiox_nl_errno(ret) : 0;
}

static int connect_socket(const struct vfiox_events_opts *opts,
			  struct nl_sock **out, int *family)
{
	struct nl_sock *sk = nl_socket_alloc();
	int ret;

	if (!sk)
		return -ENOMEM;
	ret = genl_connect(sk);
	if (ret < 0) {
		pr_err("cannot open a generic netlink socket: %s", nl_geterror(ret));
		goto err;
	}
	*family = ret = genl_ctrl_resolve(sk, VFIOX_GENL_NAME);
	if (ret < 0) {
		pr_err("the kernel has no '%s' generic netlink family: stock vfio_iommu_type1, events need kernel-patches/ (%s)",
		       VFIOX_GENL_NAME, nl_geterror(ret));
		ret = -NLE_OBJ_NOTFOUND;
		goto err;
	}
	if (VFIOX_OPTS_HAS(opts, admin) && opts->admin) {
		ret = join_admin(sk);
		if (ret)
			goto err_errno;
	}
	/* Events are unsolicited: no sequence numbers to check. */
	nl_socket_disable_seq_check(sk);
	ret = nl_socket_set_nonblocking(sk);
	if (ret < 0)
		goto err;
	*out = sk;
	return 0;
err:
	ret = vfiox_nl_errno(ret);
err_errno:
	nl_socket_free(sk);
	return ret;
}

VFIOX_API int vfiox_events_open(const struct vfiox_events_opts *opts,
				vfiox_event_fn fn, void *arg,
				struct vfiox_events **out)
{
	struct nl_sock *sk;
	int family, ret;

	if (!fn || !out)
		return -EINVAL;
	ret = VFIOX_OPTS_CHECK(opts, vfiox_events_opts);
	if (ret)
		return ret;
	ret = connect_socket(opts, &sk, &family);
	if (ret)
		return ret;
	ret = vfiox_events_new(family, nl_socket_get_fd(sk), fn, arg, out);
	if (ret) {
		nl_socket_free(sk);
		return ret;
	}
	vfiox_events_own_socket(*out, sk);
	return 0;
}

static int watch_ioctl(struct vfiox_container *c, int fd, uint64_t cookie)
{
	struct vfiox_iommu_events_watch w = {
		.argsz = sizeof(w), .sock_fd = fd, .cookie = cookie,
	};

	return c->env.sys->ioctl(c->fd, VFIOX_IOMMU_EVENTS_WATCH, &w);
}

static int check_watchable(struct vfiox_events *ev, struct vfiox_container *c)
{
	int ret;

	if (c->events && c->events != ev) {
		pr_err("the container is already watched by another event source");
		return -EBUSY;
	}
	if (!c->iommu_type) {
		pr_err("watch: attach a group first, the container has no IOMMU yet");
		return -ENODEV;
	}
	ret = vfiox_container_check_extension(c, VFIOX_EVENTS);
	if (ret == 0) {
		pr_err("watch: the kernel lacks the VFIOX_EVENTS extension (stock vfio_iommu_type1)");
		return -EOPNOTSUPP;
	}
	return ret < 0 ? ret : 0;
}

VFIOX_API int vfiox_events_watch(struct vfiox_events *ev,
				 struct vfiox_container *c)
{
	struct watch *w;
	int ret;

	if (!ev || !c)
		return -EINVAL;
	pthread_mutex_lock(&ev->lock);
	ret = c->events == ev ? 1 : check_watchable(ev, c);
	if (ret)
		goto out;
	w = calloc(1, sizeof(*w));
	ret = w ? watch_ioctl(c, ev->fd, ev->next_cookie) : -ENOMEM;
	if (ret < 0) {
		pr_err("VFIOX_IOMMU_EVENTS_WATCH: %s", ERRSTR(ret));
		free(w);
		goto out;
	}
	*w = (struct watch){ ev->watches, c, ev->next_cookie++ };
	ev->watches = w;
	c->events = ev;
out:
	pthread_mutex_unlock(&ev->lock);
	return ret > 0 ? 0 : ret;
}

/* Unlink @c's watch; true if there was one. Holds ev->lock. */
static bool unlink_watch(struct vfiox_events *ev, struct vfiox_container *c)
{
	struct watch **pp, *w;

	for (pp = &ev->watches; *pp; pp = &(*pp)->next) {
		if ((*pp)->c != c)
			continue;
		w = *pp;
		*pp = w->next;
		free(w);
		c->events = NULL;
		return true;
	}
	return false;
}

VFIOX_API int vfiox_events_unwatch(struct vfiox_events *ev,
				   struct vfiox_container *c)
{
	int ret = 0;

	if (!ev || !c)
		return -EINVAL;
	pthread_mutex_lock(&ev->lock);
	if (unlink_watch(ev, c)) {
		ret = watch_ioctl(c, -1, 0);
		if (ret < 0)
			pr_warn("VFIOX_IOMMU_EVENTS_WATCH (stop): %s", ERRSTR(ret));
		ret = 0;
	} else {
		pr_err("unwatch: this source does not watch the container");
		ret = -ENOENT;
	}
	pthread_mutex_unlock(&ev->lock);
	return ret;
}

void vfiox_events_drop_watch(struct vfiox_events *ev, struct vfiox_container *c)
{
	pthread_mutex_lock(&ev->lock);
	unlink_watch(ev, c);
	pthread_mutex_unlock(&ev->lock);
}

VFIOX_API void vfiox_events_close(struct vfiox_events *ev)
{
	if (!ev)
		return;
	while (ev->watches)
		vfiox_events_unwatch(ev, ev->watches->c);
	if (ev->sk)
		nl_socket_free(ev->sk);
	pthread_mutex_destroy(&ev->lock);
	pthread_mutex_destroy(&ev->recv_lock);
	free(ev);
}

VFIOX_API int vfiox_events_fd(const struct vfiox_events *ev)
{
	return ev ? ev->fd : -EINVAL;
}

VFIOX_API int vfiox_events_dropped(const struct vfiox_events *ev)
{
	int n;

	if (!ev)
		return -EINVAL;
	pthread_mutex_lock((pthread_mutex_t *)&ev->lock);
	n = ev->dropped;
	pthread_mutex_unlock((pthread_mutex_t *)&ev->lock);
	return n;
}

/* Read until the socket is empty. */
static int drain(struct vfiox_events *ev)
{
	int ret;

	do
		ret = nl_recvmsgs_default(ev->sk);
	while (ret >= 0);
	if (ret == -NLE_AGAIN)
		return 0;
	if (ret == -NLE_NOMEM) {
		pr_warn("the event socket overflowed: events were lost");
		return -ENOBUFS;
	}
	pr_err("reading events: %s", nl_geterror(ret));
	return vfiox_nl_errno(ret);
}

VFIOX_API int vfiox_events_dispatch(struct vfiox_events *ev)
{
	int ret;

	if (!ev || !ev->sk)
		return -EINVAL;
	pthread_mutex_lock(&ev->recv_lock);
	pthread_mutex_lock(&ev->lock);
	ev->delivered = 0;
	pthread_mutex_unlock(&ev->lock);
	ret = drain(ev);
	pthread_mutex_lock(&ev->lock);
	if (!ret)
		ret = ev->delivered;
	pthread_mutex_unlock(&ev->lock);
	pthread_mutex_unlock(&ev->recv_lock);
	return ret;
}

static int dispatch_events(void *ev)
{
	return vfiox_events_dispatch(ev);
}

VFIOX_API int vfiox_events_wait(struct vfiox_events *ev, int timeout_ms)
{
	if (!ev || !ev->sk || timeout_ms < -1)
		return -EINVAL;
	return vfiox_wait_fd(ev->fd, timeout_ms, dispatch_events, ev);
}

#else /* !VFIOX_HAVE_LIBNL */

VFIOX_API int vfiox_events_open(const struct vfiox_events_opts *opts,
				vfiox_event_fn fn, void *arg,
				struct vfiox_events **out)
{
	(void)opts, (void)fn, (void)arg, (void)out;
	pr_err("libvfiox was built without libnl: no event sources");
	return -ENOTSUP;
}

VFIOX_API void vfiox_events_close(struct vfiox_events *ev)
{
	(void)ev;
}

VFIOX_API int vfiox_events_watch(struct vfiox_events *ev,
				 struct vfiox_container *c)
{
	(void)ev, (void)c;
	return -ENOTSUP;
}

VFIOX_API int vfiox_events_unwatch(struct vfiox_events *ev,
				   struct vfiox_container *c)
{
	(void)ev, (void)c;
	return -ENOTSUP;
}

VFIOX_API int vfiox_events_fd(const struct vfiox_events *ev)
{
	(void)ev;
	return -ENOTSUP;
}

VFIOX_API int vfiox_events_dispatch(struct vfiox_events *ev)
{
	(void)ev;
	return -ENOTSUP;
}

VFIOX_API int vfiox_events_wait(struct vfiox_events *ev, int timeout_ms)
{
	(void)ev, (void)timeout_ms;
	return -ENOTSUP;
}

VFIOX_API int vfiox_events_dropped(const struct vfiox_events *ev)
{
	(void)ev;
	return -ENOTSUP;
}

void vfiox_events_drop_watch(struct vfiox_events *ev, struct vfiox_container *c)
{
	(void)ev, (void)c;
}

#endif
