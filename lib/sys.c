// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hot.h"
#include "sys.h"

static int real_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int real_close(int fd)
{
	return close(fd) ? -errno : 0;
}

/* Every map and unmap comes through here: it sits with them (hot.h). */
static VFIOX_HOT int real_ioctl(int fd, unsigned long req, void *arg)
{
	int ret = ioctl(fd, req, arg);

	return ret < 0 ? -errno : ret;
}

static int real_mmap(void **out, void *addr, size_t len, int prot, int flags,
		     int fd, off_t off)
{
	void *p = mmap(addr, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

static int real_munmap(void *addr, size_t len)
{
	return munmap(addr, len) ? -errno : 0;
}

static int real_madvise(void *addr, size_t len, int advice)
{
	return madvise(addr, len, advice) ? -errno : 0;
}

static ssize_t real_pread(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n;

	do
		n = pread(fd, buf, len, off);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static ssize_t real_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n;

	do
		n = pwrite(fd, buf, len, off);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static int real_eventfd(unsigned int initval, int flags)
{
	int fd = eventfd(initval, flags | EFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static ssize_t real_read(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static ssize_t real_write(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* EINTR is a wake-up like any other: the caller polls again. */
static int real_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	int ret = poll(fds, n, timeout_ms);

	return ret < 0 ? -errno : ret;
}

static int real_dup2(int oldfd, int newfd)
{
	int ret = dup3(oldfd, newfd, O_CLOEXEC);

	return ret < 0 ? -errno : ret;
}

static ssize_t real_readlink(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len);

	return n < 0 ? -errno : n;
}

static int real_fd_rdev(int fd, dev_t *rdev)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	*rdev = S_ISCHR(st.st_mode) ? st.st_rdev : 0;
	return 0;
}

static int real_list_dir(const char *path, vfiox_dir_cb cb, void *arg)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	int ret = 0;

	if (!dir)
		return -errno;
	while (!ret && (de = readdir(dir))) {
		if (de->d_name[0] != '.')
			ret = cb(arg, de->d_name);
	}
	closedir(dir);
	return ret;
}

const struct vfiox_sys vfiox_sys_real = {
	.open = real_open,
	.close = real_close,
	.ioctl = real_ioctl,
	.mmap = real_mmap,
	.munmap = real_munmap,
	.madvise = real_madvise,
	.pread = real_pread,
	.pwrite = real_pwrite,
	.eventfd = real_eventfd,
	.read = real_read,
	.write = real_write,
	.poll = real_poll,
	.dup2 = real_dup2,
	.readlink = real_readlink,
	.list_dir = real_list_dir,
	.fd_rdev = real_fd_rdev,
};

ssize_t vfiox_sys_read_file(const struct vfiox_sys *sys, const char *path,
			    char *buf, size_t len)
{
	size_t used = 0;
	ssize_t n;
	int fd;

	if (len == 0)
		return -EINVAL;
	fd = sys->open(path, O_RDONLY);
	if (fd < 0)
		return fd;
	do {
		n = sys->pread(fd, buf + used, len - 1 - used, (off_t)used);
		if (n > 0)
			used += (size_t)n;
	} while (n > 0 && used < len - 1);
	sys->close(fd);
	if (n < 0)
		return n;
	if (used == len - 1)
		return -EFBIG;
	buf[used] = '\0';
	return (ssize_t)used;
}

int vfiox_sys_link_name(const struct vfiox_sys *sys, const char *path,
			char *buf, size_t len)
{
	char target[4096];
	const char *base;
	ssize_t n;

	n = sys->readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return (int)n;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

int vfiox_sys_write_file(const struct vfiox_sys *sys, const char *path,
			 const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd = sys->open(path, O_WRONLY);

	if (fd < 0)
		return fd;
	n = sys->pwrite(fd, text, len, 0);
	sys->close(fd);
	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EIO;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vfiox_wait_fd(int fd, int timeout_ms, int (*dispatch)(void *ctx), void *ctx)
{
	int64_t end = now_ms() + timeout_ms;

	for (;;) {
		int64_t left = timeout_ms < 0 ? -1 : end - now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ret;

		if (timeout_ms >= 0 && left < 0)
			left = 0;
		ret = poll(&p, 1, (int)left);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret > 0) {
			ret = dispatch(ctx);
			if (ret)
				return ret;
		}
		if (timeout_ms >= 0 && now_ms() >= end)
			return -ETIMEDOUT;
	}
}
