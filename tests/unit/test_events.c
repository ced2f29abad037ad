// SPDX-License-Identifier: MIT
/*
 * Event sources against the fake kernel: P2P records, revocation messages
 * fed through the same handler the socket uses, spoofed and malformed
 * messages, the watch ioctl, and the receive loop on real netlink sockets.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <poll.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "fake_kernel.h"
#include "../../lib/uapi_ext.h"

#define DEV "0000:00:03.0"
#define FAMILY 0x21
#define SOCK_FD 77

static struct vfiox_container *c;
static struct vfiox_group *g;
static struct vfiox_device *d;
static struct vfiox_events *ev;
static struct vfiox_event got;
static int calls;

static void on_event(const struct vfiox_event *e, void *arg)
{
	(void)arg;
	got = *e;
	calls++;
}

static int setup(void **state)
{
	(void)state;
	fk_reset();
	fk_log_capture();
	fk.private_exts[0] = VFIOX_EVENTS;
	calls = 0;
	memset(&got, 0, sizeof(got));
	if (fk_open_group7(&c, &g) || vfiox_device_open(g, DEV, NULL, &d))
		return -1;
	return vfiox_events_new(FAMILY, SOCK_FD, on_event, NULL, &ev);
}

static int teardown(void **state)
{
	(void)state;
	vfiox_events_close(ev);
	assert_true(fk_close_clean(c));
	return 0;
}

struct msg_spec {
	uint32_t sender;
	int family;
	uint8_t cmd;
	const char *device;
	uint64_t iova, size, cookie;
	bool no_iova;
};

/* Handle a message built from @s; returns what dispatch would count. */
static void feed(const struct msg_spec *s)
{
	struct sockaddr_nl src = { .nl_family = AF_NETLINK, .nl_pid = s->sender };
	struct nl_msg *m = nlmsg_alloc();

	assert_non_null(m);
	assert_non_null(genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ,
				    s->family ? s->family : FAMILY, 0, 0,
				    s->cmd ? s->cmd : VFIOX_EVENT_DMA_REVOKED, 1));
	if (s->device)
		assert_int_equal(nla_put_string(m, VFIOX_EVENT_ATTR_DEVICE, s->device), 0);
	if (!s->no_iova)
		assert_int_equal(nla_put_u64(m, VFIOX_EVENT_ATTR_IOVA, s->iova), 0);
	assert_int_equal(nla_put_u64(m, VFIOX_EVENT_ATTR_SIZE, s->size), 0);
	assert_int_equal(nla_put_u32(m, VFIOX_EVENT_ATTR_OWNER_UID, 1000), 0);
	assert_int_equal(nla_put_u32(m, VFIOX_EVENT_ATTR_OWNER_PID, 4321), 0);
	if (s->cookie)
		assert_int_equal(nla_put_u64(m, VFIOX_EVENT_ATTR_COOKIE, s->cookie), 0);
	nlmsg_set_src(m, &src);
	vfiox_events_handle_msg(ev, m);
	nlmsg_free(m);
}

static uint64_t p2p_map_watched(void)
{
	uint64_t iova;

	assert_int_equal(vfiox_events_watch(ev, c), 0);
	assert_int_equal(vfiox_p2p_map(c, d, 0, 0x1000, 0x2000, NULL, &iova), 0);
	return iova;
}

static void revocation_drops_the_mapping_and_frees_its_iova(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	struct vfiox_p2p_mapping list[2];
	uint64_t iova = p2p_map_watched(), out;
	int maps_before = fk.nr_maps;
	void *bar;

	(void)state;
	assert_int_equal(vfiox_region_mmap(d, 0, &bar), 0);
	feed(&(struct msg_spec){ .device = DEV, .iova = iova, .size = 0x2000,
				 .cookie = fk.watch_cookie });
	assert_int_equal(calls, 1);
	assert_int_equal(got.type, VFIOX_EVENT_TYPE_DMA_REVOKED);
	assert_string_equal(got.device, DEV);
	assert_int_equal(got.iova, iova);
	assert_int_equal(got.len, 0x2000);
	assert_int_equal(got.owner_uid, 1000);
	assert_int_equal(got.owner_pid, 4321);
	assert_ptr_equal(got.container, c);
	assert_true(got.dropped_mapping);
	assert_int_equal(fk_log_level("revoked its P2P mapping"), VFIOX_LOG_INFO);
	/* Gone from libvfiox's table without a kernel call. */
	assert_int_equal(fk.nr_maps, maps_before);
	assert_int_equal(vfiox_dma_translate(c, (char *)bar + 0x1000, &out), -ENOENT);
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 0);
	assert_int_equal(st.mapped_bytes, 0);
	assert_int_equal(vfiox_p2p_list(c, list, 2), 1);
	assert_int_equal(list[0].flags, VFIOX_P2P_REVOKED);
	assert_int_equal(list[0].iova, iova);
	assert_int_equal(list[0].offset, 0x1000);
	/* The IOVA is free again: a fixed map there succeeds and the revoked
	 * record, now history, leaves the list. */
	fk.nr_maps = 0;		/* the real kernel removed it */
	assert_int_equal(vfiox_p2p_map_fixed(c, d, 0, 0, 0x1000, iova, NULL), 0);
	assert_int_equal(vfiox_p2p_list(c, list, 2), 1);
	assert_int_equal(list[0].flags, 0);
	assert_int_equal(list[0].offset, 0);
}

/* vfiox_p2p_revocable() is 0/1 whatever level the kernel answers. */
static void revocable_is_one_for_any_positive_answer(void **state)
{
	(void)state;
	assert_int_equal(vfiox_p2p_revocable(c), 0);
	fk.private_exts[1] = VFIOX_DMA_DEVMEM_LIFETIME;
	assert_int_equal(vfiox_p2p_revocable(c), 1);
	fk.private_ext_answer = 3;
	assert_int_equal(vfiox_container_check_extension(c, VFIOX_DMA_DEVMEM_LIFETIME), 3);
	assert_int_equal(vfiox_p2p_revocable(c), 1);
}

static void spoofed_sender_is_dropped(void **state)
{
	uint64_t iova = p2p_map_watched(), out;
	void *bar;

	(void)state;
	assert_int_equal(vfiox_region_mmap(d, 0, &bar), 0);
	feed(&(struct msg_spec){ .sender = 31337, .device = DEV, .iova = iova,
				 .size = 0x2000, .cookie = fk.watch_cookie });
	assert_int_equal(calls, 0);
	assert_int_equal(vfiox_events_dropped(ev), 1);
	assert_true(fk_log_has("not sent by the kernel"));
	assert_int_equal(vfiox_dma_translate(c, (char *)bar + 0x1000, &out), 0);
	assert_int_equal(out, iova);
}

static void malformed_messages_are_dropped(void **state)
{
	uint64_t iova = p2p_map_watched();
	struct vfiox_p2p_mapping m;

	(void)state;
	feed(&(struct msg_spec){ .device = DEV, .no_iova = true, .size = 0x2000,
				 .cookie = fk.watch_cookie });
	feed(&(struct msg_spec){ .family = FAMILY + 1, .device = DEV, .iova = iova,
				 .size = 0x2000, .cookie = fk.watch_cookie });
	feed(&(struct msg_spec){ .iova = iova, .size = 0x2000,
				 .cookie = fk.watch_cookie });
	assert_int_equal(calls, 0);
	assert_int_equal(vfiox_events_dropped(ev), 3);
	/* An event type this libvfiox does not know is skipped, not dropped. */
	feed(&(struct msg_spec){ .cmd = 99, .device = DEV, .iova = iova,
				 .size = 0x2000, .cookie = fk.watch_cookie });
	assert_int_equal(calls, 0);
	assert_int_equal(vfiox_events_dropped(ev), 3);
	assert_int_equal(vfiox_p2p_list(c, &m, 1), 1);
	assert_int_equal(m.flags, 0);
}

static void late_event_spares_a_newer_mapping(void **state)
{
	uint64_t iova = p2p_map_watched();
	struct vfiox_p2p_mapping m;

	(void)state;
	/* Another device's release, or a different size: not this mapping. */
	feed(&(struct msg_spec){ .device = "0000:00:09.0", .iova = iova,
				 .size = 0x2000, .cookie = fk.watch_cookie });
	feed(&(struct msg_spec){ .device = DEV, .iova = iova, .size = 0x1000,
				 .cookie = fk.watch_cookie });
	assert_int_equal(calls, 2);
	assert_false(got.dropped_mapping);
	assert_int_equal(vfiox_p2p_list(c, &m, 1), 1);
	assert_int_equal(m.flags, 0);
	/* No cookie (an admin-group event): reported, nothing dropped. */
	feed(&(struct msg_spec){ .device = DEV, .iova = iova, .size = 0x2000 });
	assert_int_equal(calls, 3);
	assert_null(got.container);
	assert_false(got.dropped_mapping);
	assert_int_equal(vfiox_p2p_unmap(c, iova, 0x2000), 0);
}

/* A live update cannot carry a P2P mapping: refused before invalidating. */
static void live_update_refuses_a_p2p_mapping_first(void **state)
{
	int i;

	(void)state;
	fk.extensions |= 1u << VFIO_UPDATE_VADDR;
	p2p_map_watched();
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), -EBUSY);
	assert_true(fk_log_has("belongs to a P2P mapping, which cannot be handed over"));
	for (i = 0; i < fk.nr_maps; i++)
		assert_false(fk.maps[i].invalid);
}

static void p2p_unmap_checks_the_record(void **state)
{
	uint64_t iova = p2p_map_watched();
	unsigned long calls_before;

	(void)state;
	assert_int_equal(vfiox_p2p_unmap(c, iova + 0x1000, 0x1000), -ENOENT);
	assert_int_equal(vfiox_p2p_unmap(c, iova, 0x1000), -EINVAL);
	assert_true(fk_log_has("is 0x2000 bytes, not 0x1000"));
	feed(&(struct msg_spec){ .device = DEV, .iova = iova, .size = 0x2000,
				 .cookie = fk.watch_cookie });
	fk.nr_maps = 0;		/* the real kernel removed it */
	calls_before = fk.calls;
	/* Revoked: it only leaves the list, the kernel is not asked. */
	assert_int_equal(vfiox_p2p_unmap(c, iova, 0x2000), 0);
	assert_int_equal(fk.calls, calls_before);
	assert_int_equal(vfiox_p2p_list(c, NULL, 0), 0);
	assert_int_equal(vfiox_p2p_unmap(c, iova, 0x2000), -ENOENT);
}

static void dma_unmap_of_a_p2p_mapping_ends_the_record(void **state)
{
	uint64_t iova = p2p_map_watched();

	(void)state;
	assert_int_equal(vfiox_p2p_list(c, NULL, 0), 1);
	assert_int_equal(vfiox_dma_unmap_iova(c, iova, 0x2000), 0);
	assert_int_equal(vfiox_p2p_list(c, NULL, 0), 0);
	assert_int_equal(vfiox_p2p_list(NULL, NULL, 0), -EINVAL);
	assert_int_equal(vfiox_p2p_list(c, NULL, 1), -EINVAL);
}

/* Revoke the P2P mapping at @iova (0x2000 bytes) as the kernel would. */
static void revoke(uint64_t iova)
{
	feed(&(struct msg_spec){ .device = DEV, .iova = iova, .size = 0x2000,
				 .cookie = fk.watch_cookie });
	assert_true(got.dropped_mapping);
	fk.nr_maps = 0;		/* the real kernel removed it */
}

static char buf[2 * 4096] __attribute__((aligned(4096)));

static void a_plain_map_over_a_revoked_p2p_mapping_ends_its_record(void **state)
{
	uint64_t iova = p2p_map_watched();

	(void)state;
	revoke(iova);
	/* Next to it: the record stays. */
	assert_int_equal(vfiox_dma_map_fixed(c, buf, 0x1000, iova + 0x2000, NULL), 0);
	assert_int_equal(vfiox_p2p_list(c, NULL, 0), 1);
	/* On its second page: the IOVA is reused, the record is history. */
	assert_int_equal(vfiox_dma_map_fixed(c, buf + 0x1000, 0x1000, iova + 0x1000,
					     NULL), 0);
	assert_int_equal(vfiox_p2p_list(c, NULL, 0), 0);
	assert_int_equal(vfiox_p2p_unmap(c, iova, 0x2000), -ENOENT);
	assert_int_equal(vfiox_dma_unmap_all(c), 2);
}

static void unmap_all_and_last_detach_end_the_p2p_records(void **state)
{
	struct vfiox_p2p_mapping m;
	uint64_t revoked = p2p_map_watched(), live;

	(void)state;
	revoke(revoked);
	live = revoked + 0x4000;	/* an IOVA of its own keeps the record */
	assert_int_equal(vfiox_p2p_map_fixed(c, d, 0, 0x1000, 0x2000, live, NULL), 0);
	assert_int_equal(vfiox_p2p_list(c, NULL, 0), 2);
	/* Unmapping every DMA entry ends the live record only. */
	assert_int_equal(vfiox_dma_unmap_all(c), 1);
	assert_int_equal(vfiox_p2p_list(c, &m, 1), 1);
	assert_int_equal(m.flags, VFIOX_P2P_REVOKED);
	assert_int_equal(m.iova, revoked);
	/* The last group leaving ends the rest, revoked or live. */
	assert_int_equal(vfiox_p2p_map_fixed(c, d, 0, 0x1000, 0x2000, live, NULL), 0);
	assert_int_equal(vfiox_p2p_list(c, NULL, 0), 2);
	vfiox_device_close(d);
	vfiox_group_close(g);
	assert_int_equal(vfiox_p2p_list(c, NULL, 0), 0);
}

static void watch_needs_the_extension(void **state)
{
	(void)state;
	fk.private_exts[0] = 0;
	assert_int_equal(vfiox_events_watch(ev, c), -EOPNOTSUPP);
	assert_true(fk_log_has("lacks the VFIOX_EVENTS extension"));
	assert_int_equal(fk.watch_calls, 0);
}

/* P2P revocation events are the series' type1 extension: an iommufd
 * container is refused by name, before any kernel call. */
static void watch_refuses_an_iommufd_container(void **state)
{
	struct vfiox_container *ic;
	struct vfiox_group *ig;
	struct vfiox_device *id;

	(void)state;
	fk_enable_iommufd();
	assert_int_equal(fk_iommufd_container_open(&ic), 0);
	assert_int_equal(vfiox_group_open(ic, 7, &ig), 0);
	assert_int_equal(vfiox_device_open(ig, "0000:00:03.0", NULL, &id), 0);
	assert_int_equal(vfiox_events_watch(ev, ic), -EOPNOTSUPP);
	assert_true(fk_log_has("legacy backend"));
	assert_int_equal(fk.watch_calls, 0);
	vfiox_container_close(ic);
}

static void watch_names_the_socket_once(void **state)
{
	struct vfiox_events *other;

	(void)state;
	assert_int_equal(vfiox_events_watch(ev, c), 0);
	assert_int_equal(fk.watch_fd, SOCK_FD);
	assert_int_not_equal(fk.watch_cookie, 0);
	assert_int_equal(vfiox_events_watch(ev, c), 0);	/* already */
	assert_int_equal(fk.watch_calls, 1);
	assert_int_equal(vfiox_events_new(FAMILY, 78, on_event, NULL, &other), 0);
	assert_int_equal(vfiox_events_watch(other, c), -EBUSY);
	assert_int_equal(vfiox_events_unwatch(other, c), -ENOENT);
	vfiox_events_close(other);
	assert_int_equal(vfiox_events_unwatch(ev, c), 0);
	assert_int_equal(fk.watch_fd, -1);
	assert_int_equal(vfiox_events_unwatch(ev, c), -ENOENT);
}

static void failed_watch_leaves_nothing(void **state)
{
	(void)state;
	fk_fail_nth("ioctl", 2, EFAULT);	/* after CHECK_EXTENSION */
	assert_int_equal(vfiox_events_watch(ev, c), -EFAULT);
	assert_true(fk_log_has("VFIOX_IOMMU_EVENTS_WATCH"));
	/* Not watched: another source may take it. */
	fk.fail_at = 0;
	assert_int_equal(vfiox_events_watch(ev, c), 0);
}

static void closing_the_container_stops_the_watch(void **state)
{
	struct vfiox_container *c2;
	struct vfiox_group *g2;

	(void)state;
	assert_int_equal(vfiox_events_watch(ev, c), 0);
	vfiox_device_close(d);
	assert_true(fk_close_clean(c));
	/* The source no longer refers to the closed container: close it
	 * (teardown) touches nothing freed, which ASan would catch. */
	assert_int_equal(fk_open_group7(&c2, &g2), 0);
	assert_int_equal(vfiox_events_unwatch(ev, c2), -ENOENT);
	c = c2;
}

/*
 * The receive loop on real generic netlink sockets: a message another
 * socket sends to the source's port is read by dispatch and wait, and
 * dropped as not the kernel's. Unicast between user sockets needs
 * CAP_NET_ADMIN: skipped without it. Without the kernel series, open
 * says so.
 */
static struct nl_sock *genl_socket(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (sk && genl_connect(sk)) {
		nl_socket_free(sk);
		return NULL;
	}
	if (sk) {
		nl_socket_disable_seq_check(sk);
		nl_socket_set_nonblocking(sk);
	}
	return sk;
}

static int send_revocation(struct nl_sock *from, uint32_t to_port)
{
	struct nl_msg *msg = nlmsg_alloc();
	int ret = -1;

	if (msg && genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, FAMILY, 0, 0,
			       VFIOX_EVENT_DMA_REVOKED, 1)) {
		nla_put_string(msg, VFIOX_EVENT_ATTR_DEVICE, DEV);
		nla_put_u64(msg, VFIOX_EVENT_ATTR_IOVA, 0x100000);
		nla_put_u64(msg, VFIOX_EVENT_ATTR_SIZE, 0x1000);
		nl_socket_set_peer_port(from, to_port);
		ret = nl_send_auto(from, msg) < 0 ? -1 : 0;
	}
	nlmsg_free(msg);
	return ret;
}

static void the_socket_loop_drops_what_others_send(void **state)
{
	struct nl_sock *mine = genl_socket(), *other = genl_socket();
	struct pollfd p = { .events = POLLIN };
	struct vfiox_events *real;
	uint32_t port;

	(void)state;
	assert_non_null(mine);
	assert_non_null(other);
	assert_int_equal(vfiox_events_new(FAMILY, nl_socket_get_fd(mine), on_event, NULL,
					  &real), 0);
	vfiox_events_own_socket(real, mine);
	port = nl_socket_get_local_port(mine);
	if (send_revocation(other, port)) {
		nl_socket_free(other);
		vfiox_events_close(real);
		skip();
	}
	calls = 0;
	p.fd = vfiox_events_fd(real);
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(vfiox_events_dispatch(real), 0);	/* none delivered */
	assert_int_equal(vfiox_events_dropped(real), 1);
	assert_true(fk_log_has("not sent by the kernel"));
	/* wait() reads the next one the same way, then times out. */
	assert_int_equal(send_revocation(other, port), 0);
	assert_int_equal(vfiox_events_wait(real, 200), -ETIMEDOUT);
	assert_int_equal(vfiox_events_dropped(real), 2);
	assert_int_equal(calls, 0);
	nl_socket_free(other);
	vfiox_events_close(real);
}

static void without_the_series_open_says_so(void **state)
{
	struct vfiox_events_opts admin = { .sz = sizeof(admin), .admin = true };
	struct vfiox_events *e2;
	int ret;

	(void)state;
	ret = vfiox_events_open(&admin, on_event, NULL, &e2);
	if (ret == 0) {		/* a kernel with the series: nothing to prove here */
		vfiox_events_close(e2);
		skip();
	}
	assert_int_equal(ret, -EOPNOTSUPP);
	assert_true(fk_log_has("the kernel has no 'vfiox' generic netlink family"));
}

static void bad_arguments(void **state)
{
	struct vfiox_events *e2;

	(void)state;
	assert_int_equal(vfiox_events_new(FAMILY, 1, NULL, NULL, &e2), -EINVAL);
	assert_int_equal(vfiox_events_watch(NULL, c), -EINVAL);
	assert_int_equal(vfiox_events_watch(ev, NULL), -EINVAL);
	assert_int_equal(vfiox_events_fd(NULL), -EINVAL);
	assert_int_equal(vfiox_events_fd(ev), SOCK_FD);
	assert_int_equal(vfiox_events_dropped(NULL), -EINVAL);
	/* A source without a socket cannot be read. */
	assert_int_equal(vfiox_events_dispatch(ev), -EINVAL);
	assert_int_equal(vfiox_events_wait(ev, 0), -EINVAL);
	assert_int_equal(vfiox_events_open(NULL, NULL, NULL, &e2), -EINVAL);
	vfiox_events_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(live_update_refuses_a_p2p_mapping_first),
		T(revocation_drops_the_mapping_and_frees_its_iova),
		T(revocable_is_one_for_any_positive_answer),
		T(spoofed_sender_is_dropped),
		T(malformed_messages_are_dropped),
		T(late_event_spares_a_newer_mapping),
		T(p2p_unmap_checks_the_record),
		T(dma_unmap_of_a_p2p_mapping_ends_the_record),
		T(a_plain_map_over_a_revoked_p2p_mapping_ends_its_record),
		T(unmap_all_and_last_detach_end_the_p2p_records),
		T(watch_needs_the_extension),
		T(watch_refuses_an_iommufd_container),
		T(watch_names_the_socket_once),
		T(failed_watch_leaves_nothing),
		T(closing_the_container_stops_the_watch),
		T(the_socket_loop_drops_what_others_send),
		T(without_the_series_open_says_so),
		T(bad_arguments),
#undef T
	};

	return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
