/* SPDX-License-Identifier: MIT */
/*
 * The syscall seam: every kernel call libvfiox makes goes through one of
 * these. Each returns 0/positive or a negative errno, never -1 with errno,
 * so a fake kernel can stand in without touching errno. The unit tests
 * install their own table; the library itself only uses vfiox_sys_real.
 */
#ifndef VFIOX_SYS_H
#define VFIOX_SYS_H

#include <poll.h>
#include <stddef.h>
#include <sys/types.h>

typedef int (*vfiox_dir_cb)(void *arg, const char *name);

struct vfiox_sys {
	int (*open)(const char *path, int flags);
	int (*close)(int fd);
	int (*ioctl)(int fd, unsigned long req, void *arg);
	int (*mmap)(void **out, void *addr, size_t len, int prot, int flags,
		    int fd, off_t off);
	int (*munmap)(void *addr, size_t len);
	int (*madvise)(void *addr, size_t len, int advice);
	ssize_t (*pread)(int fd, void *buf, size_t len, off_t off);
	ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
	int (*eventfd)(unsigned int initval, int flags);
	/* The device request thread's calls: an eventfd's counter is read and
	 * written whole (8 bytes), and it waits in poll. */
	ssize_t (*read)(int fd, void *buf, size_t len);
	ssize_t (*write)(int fd, const void *buf, size_t len);
	int (*poll)(struct pollfd *fds, nfds_t n, int timeout_ms);
	/* Make @newfd refer to @oldfd's file (close-on-exec), dropping the file
	 * @newfd referred to, in one step: the fd number is never free. */
	int (*dup2)(int oldfd, int newfd);
	ssize_t (*readlink)(const char *path, char *buf, size_t len);
	/* The device number of the character device @fd is open on, 0 for
	 * any other file (fstat's st_rdev); 0 or a negative errno. */
	int (*fd_rdev)(int fd, dev_t *rdev);
	int (*list_dir)(const char *path, vfiox_dir_cb cb, void *arg);
};

extern const struct vfiox_sys vfiox_sys_real;

/*
 * Read a small text file (sysfs attribute) into @buf, NUL-terminated.
 * Return: bytes read, -EFBIG if it did not fit, or a negative errno.
 */
ssize_t vfiox_sys_read_file(const struct vfiox_sys *sys, const char *path,
			    char *buf, size_t len);

/* Write @text to a sysfs attribute in one write; 0 or a negative errno. */
int vfiox_sys_write_file(const struct vfiox_sys *sys, const char *path,
			 const char *text);

/*
 * Poll @fd and call @dispatch(@ctx) whenever it is readable, until dispatch
 * returns non-zero (returned) or @timeout_ms passed (-1: no limit; then
 * -ETIMEDOUT). The event sources' wait calls; not a VFIO call, so it does
 * not go through the seam.
 */
int vfiox_wait_fd(int fd, int timeout_ms, int (*dispatch)(void *ctx), void *ctx);

/* Last path component of a symlink target, e.g. a driver name. */
int vfiox_sys_link_name(const struct vfiox_sys *sys, const char *path,
			char *buf, size_t len);

#endif
