// SPDX-License-Identifier: MIT
/*
 * The real syscall seam (lib/sys.c) on files every Linux has: each call
 * returns its result or a negative errno (never -1 with errno), and the
 * helpers built on the seam (sysfs read/write, link names, waiting on an
 * fd) behave on real fds as they do on the fake kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake_kernel.h"

static const struct vfiox_sys *sys = &vfiox_sys_real;

static void failures_are_negative_errnos(void **state)
{
	char buf[8];
	void *p;

	(void)state;
	assert_int_equal(sys->open("/nonexistent/libvfiox", O_RDONLY), -ENOENT);
	assert_int_equal(sys->close(-1), -EBADF);
	assert_int_equal(sys->ioctl(-1, 0, NULL), -EBADF);
	assert_int_equal(sys->mmap(&p, NULL, 4096, PROT_READ, MAP_SHARED, -1, 0), -EBADF);
	assert_int_equal(sys->munmap((void *)1, 4096), -EINVAL);
	assert_int_equal(sys->madvise((void *)1, 4096, MADV_DONTNEED), -EINVAL);
	assert_int_equal(sys->pread(-1, buf, 1, 0), -EBADF);
	assert_int_equal(sys->pwrite(-1, buf, 1, 0), -EBADF);
	assert_int_equal(sys->eventfd(0, -1), -EINVAL);
	assert_int_equal(sys->read(-1, buf, 1), -EBADF);
	assert_int_equal(sys->write(-1, buf, 1), -EBADF);
	assert_int_equal(sys->poll(NULL, 1, 0), -EFAULT);
	assert_int_equal(sys->dup2(-1, 100), -EBADF);
	assert_int_equal(sys->readlink("/nonexistent/libvfiox", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(sys->list_dir("/nonexistent/libvfiox", NULL, NULL), -ENOENT);
}

static void an_eventfd_counts_polls_and_can_be_replaced(void **state)
{
	int efd = sys->eventfd(0, EFD_NONBLOCK), dead = sys->eventfd(0, 0);
	struct pollfd p = { .events = POLLIN };
	uint64_t v = 3;

	(void)state;
	assert_true(efd >= 0 && dead >= 0);
	p.fd = efd;
	assert_int_equal(sys->poll(&p, 1, 0), 0);
	assert_int_equal(sys->write(efd, &v, sizeof(v)), sizeof(v));
	assert_int_equal(sys->poll(&p, 1, 0), 1);
	v = 0;
	assert_int_equal(sys->read(efd, &v, sizeof(v)), sizeof(v));
	assert_int_equal(v, 3);
	assert_int_equal(sys->read(efd, &v, sizeof(v)), -EAGAIN);
	/* The number now holds the other eventfd: its fd flags are close-on-exec. */
	assert_int_equal(sys->dup2(dead, efd), efd);
	assert_int_equal(fcntl(efd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(sys->ioctl(efd, VFIO_DEVICE_RESET, NULL), -ENOTTY);
	assert_int_equal(sys->close(dead), 0);
	assert_int_equal(sys->close(efd), 0);
}

static void memory_maps_and_advises(void **state)
{
	uint8_t *p;

	(void)state;
	assert_int_equal(sys->mmap((void **)&p, NULL, 8192, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 0);
	p[4096] = 1;
	assert_int_equal(sys->madvise(p, 8192, MADV_DONTNEED), 0);
	assert_int_equal(p[4096], 0);	/* private anonymous: zero again */
	assert_int_equal(sys->munmap(p, 8192), 0);
}

static char tmpdir[] = "/tmp/vfiox-sys-XXXXXX";

static int count_entries(void *arg, const char *name)
{
	(void)name;
	return ++*(int *)arg == 2 ? 7 : 0;	/* stop at the second */
}

static void files_links_and_directories(void **state)
{
	char path[128], buf[64];
	int n = 0;

	(void)state;
	assert_non_null(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/attr", tmpdir);
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0600)), 0);
	assert_int_equal(vfiox_sys_write_file(sys, path, "vfio-pci\n"), 0);
	assert_int_equal(vfiox_sys_read_file(sys, path, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "vfio-pci\n");
	assert_int_equal(vfiox_sys_read_file(sys, path, buf, 4), -EFBIG);
	snprintf(buf, sizeof(buf), "%s/driver", tmpdir);
	assert_int_equal(symlink("../../bus/pci/drivers/vfio-pci", buf), 0);
	assert_int_equal(vfiox_sys_link_name(sys, buf, path, sizeof(path)), 0);
	assert_string_equal(path, "vfio-pci");
	assert_int_equal(vfiox_sys_link_name(sys, buf, path, 4), -ENAMETOOLONG);
	assert_int_equal(sys->list_dir(tmpdir, count_entries, &n), 7);
	assert_int_equal(n, 2);
	unlink(buf);
	snprintf(path, sizeof(path), "%s/attr", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

static int ready_calls;

static int stop_at_second(void *ctx)
{
	(void)ctx;
	return ++ready_calls == 2 ? 5 : 0;
}

static void waiting_dispatches_until_told_or_timed_out(void **state)
{
	int efd = sys->eventfd(1, EFD_NONBLOCK);

	(void)state;
	ready_calls = 0;
	assert_int_equal(vfiox_wait_fd(efd, -1, stop_at_second, NULL), 5);
	assert_int_equal(ready_calls, 2);
	assert_int_equal(vfiox_wait_fd(-5, 10, stop_at_second, NULL), -ETIMEDOUT);
	sys->close(efd);
	efd = sys->eventfd(0, EFD_NONBLOCK);
	assert_int_equal(vfiox_wait_fd(efd, 5, stop_at_second, NULL), -ETIMEDOUT);
	sys->close(efd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(failures_are_negative_errnos),
		cmocka_unit_test(an_eventfd_counts_polls_and_can_be_replaced),
		cmocka_unit_test(memory_maps_and_advises),
		cmocka_unit_test(files_links_and_directories),
		cmocka_unit_test(waiting_dispatches_until_told_or_timed_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
