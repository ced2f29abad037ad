// SPDX-License-Identifier: MIT
/* Kernel uevents: the parser, the monitor's sender check, and its receive
 * loop on a real netlink socket. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include "fake_kernel.h"

/* A message as the kernel sends it: the literal's NULs are the separators. */
#define MSG(lit) (lit), sizeof(lit)

static const char bind_msg[] =
	"bind@/devices/pci0000:00/0000:00:04.0\0"
	"ACTION=bind\0DEVPATH=/devices/pci0000:00/0000:00:04.0\0"
	"SUBSYSTEM=pci\0DRIVER=vfio-pci\0PCI_CLASS=10802\0"
	"PCI_SLOT_NAME=0000:00:04.0\0SEQNUM=2715";

static int setup(void **state)
{
	(void)state;
	fk_reset();
	fk_log_capture();
	return 0;
}

static void bind_parses(void **state)
{
	struct vfiox_uevent ev;

	(void)state;
	assert_int_equal(vfiox_uevent_parse(MSG(bind_msg), &ev), 0);
	assert_int_equal(ev.action, VFIOX_UEVENT_BIND);
	assert_string_equal(ev.action_name, "bind");
	assert_string_equal(ev.devpath, "/devices/pci0000:00/0000:00:04.0");
	assert_string_equal(ev.subsystem, "pci");
	assert_string_equal(ev.driver, "vfio-pci");
	assert_string_equal(ev.pci_slot, "0000:00:04.0");
	assert_string_equal(ev.devname, "");
	assert_int_equal(ev.seqnum, 2715);
}

static void vfio_group_node_parses(void **state)
{
	static const char add[] =
		"add@/devices/virtual/vfio/12\0ACTION=add\0"
		"DEVPATH=/devices/virtual/vfio/12\0SUBSYSTEM=vfio\0MAJOR=243\0"
		"MINOR=1\0DEVNAME=vfio/12\0DEVMODE=0600\0SEQNUM=3000";
	static const char odd[] =
		"frobnicate@/devices/x\0ACTION=frobnicate\0DEVPATH=/devices/x\0SEQNUM=1";
	struct vfiox_uevent ev;

	(void)state;
	assert_int_equal(vfiox_uevent_parse(MSG(add), &ev), 0);
	assert_int_equal(ev.action, VFIOX_UEVENT_ADD);
	assert_string_equal(ev.subsystem, "vfio");
	assert_string_equal(ev.devname, "vfio/12");
	/* An action this libvfiox does not know is kept, not dropped. */
	assert_int_equal(vfiox_uevent_parse(MSG(odd), &ev), 0);
	assert_int_equal(ev.action, VFIOX_UEVENT_OTHER);
	assert_string_equal(ev.action_name, "frobnicate");
}

static void malformed_messages_are_rejected(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		const char *why;
	} bad[] = {
		{ MSG("add@/x\0ACTION=add\0DEVPATH=/x"), "" },	/* control: fine */
		{ "add@/x\0ACTION=add\0DEVPATH=/x", 26, "does not end with NUL" },
		{ MSG("add@/x\0ACTION=add\0DEVPATH"), "has no KEY=" },
		{ MSG("add@/x\0=add\0DEVPATH=/x"), "has no KEY=" },
		{ MSG("libudev\0ACTION=add\0DEVPATH=/x"), "not action@devpath" },
		{ MSG("add@/x\0ACTION=remove\0DEVPATH=/x"), "disagrees" },
		{ MSG("add@/x\0ACTION=add\0DEVPATH=/y"), "disagrees" },
		{ MSG("add@/x\0DEVPATH=/x"), "disagrees" },
		{ MSG("add@/x\0ACTION=add\0DEVPATH=/x\0SEQNUM=12a"), "not a number" },
		{ MSG("add@/x\0ACTION=add\0DEVPATH=/x\0SEQNUM="), "not a number" },
		{ MSG("add@/x\0ACTION=add\0DEVPATH=/x\0SUBSYSTEM=abcdefghijklmnopqrstuvwxyz0123456789"),
		  "does not fit" },
		{ "", 0, "does not end with NUL" },			/* truncated to nothing */
		{ MSG("add@/x"), "disagrees" },				/* header only */
	};
	struct vfiox_uevent ev;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fk_log_capture();
		if (!bad[i].why[0]) {
			assert_int_equal(vfiox_uevent_parse(bad[i].text, bad[i].len, &ev), 0);
			continue;
		}
		if (vfiox_uevent_parse(bad[i].text, bad[i].len, &ev) != -EPROTO)
			fail_msg("case %zu accepted", i);
		if (!fk_log_has(bad[i].why))
			fail_msg("case %zu: log lacks '%s'", i, bad[i].why);
	}
}

static void huge_messages_are_rejected(void **state)
{
	char *huge = calloc(1, VFIOX_UEVENT_MAX + 1);
	struct vfiox_uevent ev;

	(void)state;
	assert_non_null(huge);
	assert_int_equal(vfiox_uevent_parse(huge, VFIOX_UEVENT_MAX + 1, &ev), -EMSGSIZE);
	assert_true(fk_log_has("over the"));
	free(huge);
}

/* NULL with a length: rejected before any arithmetic on it (clang's
 * UBSan reports "applying non-zero offset to null pointer" otherwise). */
static void a_null_buffer_is_rejected(void **state)
{
	struct vfiox_uevent ev;
	volatile size_t len = 16;	/* not folded at compile time */

	(void)state;
	assert_int_equal(vfiox_uevent_parse(NULL, len, &ev), -EINVAL);
	assert_int_equal(vfiox_uevent_parse(MSG(bind_msg), NULL), -EINVAL);
}

static int delivered;

static void count(const struct vfiox_uevent *ev, void *arg)
{
	(void)ev;
	(void)arg;
	delivered++;
}

/* Any process can send to our port: only port 0 (the kernel) is believed. */
static void only_the_kernel_is_believed(void **state)
{
	struct vfiox_uevent_monitor *m;

	(void)state;
	assert_int_equal(vfiox_uevent_open(&m), 0);
	delivered = 0;
	assert_int_equal(vfiox_uevent_handle(m, MSG(bind_msg), 4242, count, NULL), 0);
	assert_true(fk_log_has("not the kernel"));
	assert_int_equal(vfiox_uevent_handle(m, MSG("junk"), 0, count, NULL), 0);
	assert_int_equal(vfiox_uevent_dropped(m), 2);
	assert_int_equal(vfiox_uevent_handle(m, MSG(bind_msg), 0, count, NULL), 1);
	assert_int_equal(delivered, 1);
	assert_int_equal(vfiox_uevent_dispatch(m, NULL, NULL), -EINVAL);
	assert_int_equal(vfiox_uevent_wait(m, 0, count, NULL), -ETIMEDOUT);
	vfiox_uevent_close(m);
}

/*
 * A uevent sent to the monitor's port by another process (here: another
 * socket of ours) goes through the real receive loop and is dropped as
 * spoofed. Unicast on NETLINK_KOBJECT_UEVENT needs CAP_NET_ADMIN: skipped
 * without it.
 */
static int spoof(int to_fd)
{
	struct sockaddr_nl me = { .nl_family = AF_NETLINK }, to;
	socklen_t len = sizeof(to);
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	ssize_t n = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&me, sizeof(me)) &&
	    !getsockname(to_fd, (struct sockaddr *)&to, &len)) {
		to.nl_groups = 0;
		n = sendto(fd, bind_msg, sizeof(bind_msg), 0, (struct sockaddr *)&to,
			   sizeof(to));
	}
	if (fd >= 0)
		close(fd);
	return n == (ssize_t)sizeof(bind_msg) ? 0 : -1;
}

static void the_socket_loop_drops_what_others_send(void **state)
{
	struct vfiox_uevent_monitor *m;
	struct pollfd p = { .events = POLLIN };
	int before;

	(void)state;
	assert_int_equal(vfiox_uevent_open(&m), 0);
	p.fd = vfiox_uevent_fd(m);
	if (spoof(p.fd)) {
		vfiox_uevent_close(m);
		skip();
	}
	delivered = 0;
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_true(vfiox_uevent_dispatch(m, count, NULL) >= 0);
	assert_true(vfiox_uevent_dropped(m) >= 1);	/* and the kernel's own, if any, delivered */
	assert_true(fk_log_has("not the kernel"));
	before = vfiox_uevent_dropped(m);
	assert_int_equal(spoof(p.fd), 0);
	/* wait() dispatches it, delivers nothing, and times out. */
	assert_int_equal(vfiox_uevent_wait(m, 200, count, NULL), -ETIMEDOUT);
	assert_true(vfiox_uevent_dropped(m) > before);
	vfiox_uevent_close(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(bind_parses, setup),
		cmocka_unit_test_setup(vfio_group_node_parses, setup),
		cmocka_unit_test_setup(malformed_messages_are_rejected, setup),
		cmocka_unit_test_setup(huge_messages_are_rejected, setup),
		cmocka_unit_test_setup(a_null_buffer_is_rejected, setup),
		cmocka_unit_test_setup(only_the_kernel_is_believed, setup),
		cmocka_unit_test_setup(the_socket_loop_drops_what_others_send, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
