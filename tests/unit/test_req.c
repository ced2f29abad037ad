// SPDX-License-Identifier: MIT
/*
 * Device requests against the fake kernel: the request IRQ is enabled at
 * open and the container's request thread polls it (through the seam); a
 * request the kernel signals makes the thread release the device
 * (mappings kept inaccessible, the fd number handed a dead file, later
 * calls -ENODEV, close without kernel calls), even at the fd limit, as
 * the dead file was made when the thread started; a caller's handler runs
 * instead and may close the device or the whole container.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "fake_kernel.h"

FK_GROUP7_FIXTURE

/* Wait (up to 10 s) until @done(@arg) holds: the request thread's work. */
static bool wait_until(bool (*done)(void *arg), void *arg)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < 10000 && !done(arg); i++)
		nanosleep(&ms, NULL);
	return done(arg);
}

/* Released, and the thread is through with it (its number is dead). */
static bool released_fully(void *arg)
{
	struct vfiox_device *d = arg;

	return vfiox_device_released(d) == 1 && !fk_is_device_fd(d->fd);
}

static void open_enables_the_request_irq(void **state)
{
	struct fk_device *fd = &fk.groups[0].devs[0];
	struct vfiox_device *d;

	(void)state;
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &d), 0);
	assert_int_equal(fd->last_set.index, VFIO_PCI_REQ_IRQ_INDEX);
	assert_int_equal(fd->last_set.count, 1);
	assert_int_equal(fd->last_set.flags,
			 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
	assert_int_equal(fd->last_fds[0], d->req_fd);
	/* container, group, device, request eventfd, the thread's wake-up
	 * and the dead file it puts over released devices */
	assert_int_equal(fk_open_fds(), 6);
}

static void no_request_irq_no_eventfd_no_thread(void **state)
{
	struct vfiox_device *d;

	(void)state;
	fk.groups[0].devs[0].nr_irqs = VFIO_PCI_REQ_IRQ_INDEX;
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &d), 0);
	assert_int_equal(fk_open_fds(), 3);
	assert_null(c->req);
}

static void a_signalled_request_releases_the_device(void **state)
{
	struct vfiox_device *d;
	unsigned long calls;
	int number;
	uint8_t b;
	void *bar;

	(void)state;
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &d), 0);
	assert_int_equal(vfiox_region_mmap(d, 0, &bar), 0);
	number = d->fd;
	fk_signal(d->req_fd);
	assert_true(wait_until(released_fully, d));
	assert_int_equal(fk_log_level("asks for the device back"), VFIOX_LOG_INFO);
	assert_int_equal(fk.dup2_calls, 1);
	/* The number is not free: no other open can get it while callers
	 * may still use it; it now holds a dead file. */
	assert_int_equal(fk_open_fds(), 6);
	assert_int_equal(d->fd, number);
	assert_int_equal(fk.live_mmaps, 1);	/* replaced in place, not unmapped */
	assert_int_equal(vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, 0, &b, 1),
			 -ENODEV);
	assert_true(fk_log_has("was given back to the kernel"));
	assert_int_equal(vfiox_device_reset(d), -ENODEV);
	assert_int_equal(vfiox_device_fd(d), -ENODEV);
	assert_int_equal(vfiox_region_mmap(d, 1, &bar), -ENODEV);
	assert_int_equal(vfiox_irq_unmask(d, VFIO_PCI_INTX_IRQ_INDEX, 0), -ENODEV);
	fk_fail_nth("ioctl", 0, 0);	/* count ioctls only, fail none */
	calls = fk.calls;
	vfiox_device_close(d);
	assert_int_equal(fk.calls - calls, 0);	/* its IRQs went with its fd */
	assert_int_equal(fk.live_mmaps, 0);
	assert_int_equal(fk_open_fds(), 4);	/* the dead number closed too */
}

/* At the fd limit the release needs no new file: the device is let go. */
static void release_at_the_fd_limit_lets_go(void **state)
{
	struct vfiox_device *d;

	(void)state;
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &d), 0);
	fk_fail_nth("eventfd", 1, EMFILE);
	fk_signal(d->req_fd);
	assert_true(wait_until(released_fully, d));
	assert_false(fk_log_has("cannot let go of the device file"));
	fk_fail_nth("eventfd", 0, 0);
	vfiox_device_close(d);
}

static void release_failing_dup2_keeps_the_device_file(void **state)
{
	struct vfiox_device *d;

	(void)state;
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &d), 0);
	fk_fail_nth("dup2", 1, EBADF);
	vfiox_req_handle(d);
	assert_int_equal(vfiox_device_released(d), 1);
	assert_true(fk_log_has("cannot let go of the device file"));
	assert_true(fk_is_device_fd(d->fd));	/* closed by vfiox_device_close() */
	fk_fail_nth("dup2", 0, 0);
	vfiox_device_close(d);
}


static int handled;

static void close_on_request(struct vfiox_device *d, void *arg)
{
	__atomic_add_fetch(&handled, *(int *)arg, __ATOMIC_RELEASE);
	vfiox_device_close(d);
}

static bool handled_once(void *arg)
{
	(void)arg;
	return __atomic_load_n(&handled, __ATOMIC_ACQUIRE) == 1;
}

static bool only_container_group_and_thread(void *arg)
{
	(void)arg;
	return fk_open_fds() == 4;
}

static void a_handler_runs_instead(void **state)
{
	static int one = 1;
	struct vfiox_device_opts o = {
		.sz = sizeof(o), .req_fn = close_on_request, .req_arg = &one,
	};
	struct vfiox_device *d;

	(void)state;
	handled = 0;
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", &o, &d), 0);
	fk_signal(d->req_fd);
	assert_true(wait_until(handled_once, NULL));
	assert_true(wait_until(only_container_group_and_thread, NULL));
	assert_false(fk_log_has("asks for the device back"));
}

static bool no_fd_left(void *arg)
{
	(void)arg;
	return fk_open_fds() == 0;
}

static void close_container_on_request(struct vfiox_device *d, void *arg)
{
	struct vfiox_container **cp = arg;

	vfiox_container_close(*cp);
	*cp = NULL;
	(void)d;
	__atomic_store_n(&handled, 1, __ATOMIC_RELEASE);
}

/* The thread cannot join itself: it ends on its own and frees its state. */
static void a_handler_may_close_the_whole_container(void **state)
{
	struct vfiox_device_opts o = {
		.sz = sizeof(o), .req_fn = close_container_on_request,
	};
	struct vfiox_container *own;
	struct vfiox_group *og;
	struct vfiox_device *d;

	(void)state;
	vfiox_container_close(c);
	fk_reset();
	assert_int_equal(fk_open_group7(&own, &og), 0);
	o.req_arg = &own;
	handled = 0;
	assert_int_equal(vfiox_device_open(og, "0000:00:03.0", &o, &d), 0);
	fk_signal(d->req_fd);
	assert_true(wait_until(handled_once, NULL));
	/* The thread's own clean-up closes its two eventfds last. */
	assert_true(wait_until(no_fd_left, NULL));
	assert_int_equal(fk_container_open(&c), 0);	/* for the teardown */
}

static void the_thread_fails_to_start_cleanly(void **state)
{
	struct vfiox_device *d;

	(void)state;
	fk_fail_nth("eventfd", 2, ENFILE);	/* the request IRQ's, then the thread's */
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &d), -ENFILE);
	assert_true(fk_log_has("the device request thread's eventfd"));
	assert_null(c->req);
	assert_int_equal(fk_open_fds(), 2);
}

static void the_dead_file_fails_to_open_cleanly(void **state)
{
	struct vfiox_device *d;

	(void)state;
	fk_fail_nth("eventfd", 3, EMFILE);	/* request IRQ's, wake-up, dead file */
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &d), -EMFILE);
	assert_true(fk_log_has("the device request thread's eventfds"));
	assert_null(c->req);
	assert_int_equal(fk_open_fds(), 2);
}

static void a_failed_wake_up_is_logged(void **state)
{
	struct vfiox_device *d;

	(void)state;
	fk_fail_nth("write", 1, EBADF);
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &d), 0);
	assert_true(fk_log_has("waking the request thread"));
	fk.fail_at = 0;
	vfiox_device_close(d);
}

/* A failed read is retried, not fatal: the request is still served. */
static void the_thread_survives_a_failed_read(void **state)
{
	struct vfiox_device *d;

	(void)state;
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &d), 0);
	fk_fail_nth("read", 1, EINTR);
	fk_signal(d->req_fd);
	assert_true(wait_until(released_fully, d));
	vfiox_device_close(d);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(open_enables_the_request_irq),
		T(no_request_irq_no_eventfd_no_thread),
		T(a_signalled_request_releases_the_device),
		T(release_at_the_fd_limit_lets_go),
		T(release_failing_dup2_keeps_the_device_file),
		T(the_dead_file_fails_to_open_cleanly),
		T(a_handler_runs_instead),
		T(a_handler_may_close_the_whole_container),
		T(the_thread_fails_to_start_cleanly),
		T(a_failed_wake_up_is_logged),
		T(the_thread_survives_a_failed_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
