// SPDX-License-Identifier: MIT
/*
 * One netlink message as the event source receives it: the input is the
 * message (header, generic netlink header, attributes), its length field
 * made to match what arrived, as the socket layer guarantees. The first
 * byte says whether it claims to come from the kernel (port 0) and to
 * belong to the vfiox family. A container of the fake kernel is watched
 * with cookie 1, so a revocation can reach its DMA table.
 */
#include <stdlib.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "fake_kernel.h"
#include "fuzz.h"

#define FAMILY 0x1d

static int events_seen;

static void on_event(const struct vfiox_event *e, void *arg)
{
	(void)arg;
	events_seen += fuzz_touch(e, sizeof(*e)) != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_nl src = { .nl_family = AF_NETLINK };
	struct vfiox_container *c;
	struct vfiox_events *ev;
	struct vfiox_group *g;
	struct nlmsghdr *nlh;
	struct nl_msg *msg;
	uint8_t flags;

	if (size < 1 + sizeof(*nlh) || size > 65536)
		return 0;
	fk_reset();
	fk.private_exts[0] = VFIOX_EVENTS;
	fuzz_init();
	flags = data[0];
	nlh = malloc(size - 1);
	if (!nlh)
		return 0;
	memcpy(nlh, data + 1, size - 1);
	nlh->nlmsg_len = (uint32_t)(size - 1);
	if (flags & 1)
		nlh->nlmsg_type = FAMILY;
	msg = nlmsg_convert(nlh);
	free(nlh);
	if (!msg)
		return 0;
	src.nl_pid = flags & 2 ? 4242 : 0;
	nlmsg_set_src(msg, &src);
	if (fk_container_open(&c))
		abort();
	if (vfiox_group_open(c, 7, &g) ||
	    vfiox_events_new(FAMILY, -1, on_event, NULL, &ev) ||
	    vfiox_events_watch(ev, c) != 0)
		abort();
	vfiox_events_handle_msg(ev, msg);
	vfiox_events_close(ev);
	nlmsg_free(msg);
	if (!fk_close_clean(c))
		abort();
	return 0;
}
