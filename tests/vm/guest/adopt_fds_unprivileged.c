// SPDX-License-Identifier: MIT
/*
 * A root helper opens the VFIO nodes and passes the fds over a socketpair
 * to a child that cannot open them (uid nobody, an empty /dev/vfio); the
 * child adopts them with libvfiox, maps a buffer, has edu DMA into it and
 * closes. Twice: first the container and group unattached (the child
 * attaches, sets the IOMMU and gets the device itself), then all three
 * fds with the group attached and the IOMMU set by the helper. Before
 * the right adopts, the wrong ones: the group fd under another number,
 * refused, and the device fd under another name: refused from Linux 6.18
 * on, whose fdinfo names the device; before, taken on the caller's word as
 * documented. Which of the two is due follows from the kernel's version,
 * not from what fdinfo shows, so that a kernel that should name the
 * device and does not fails the test instead of skipping the check.
 */
#include <grp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "vmtest.h"

#define NOBODY 65534
#define LEN 4096		/* each buffer: one page */
#define COPY 2048		/* QEMU's edu refuses a DMA of its whole 4 KiB buffer */
#define EDU_BUF 0x40000		/* edu's internal DMA buffer */

struct handover {
	int group_nr;
	int nr_fds;		/* container, group[, device] */
	char name[32];
};

static int send_fds(int sock, const struct handover *h, const int *fds)
{
	char ctl[CMSG_SPACE(3 * sizeof(int))] = { 0 };
	struct iovec iov = { (void *)h, sizeof(*h) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = CMSG_SPACE(h->nr_fds * sizeof(int)),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(h->nr_fds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, h->nr_fds * sizeof(int));
	return sendmsg(sock, &msg, 0) == sizeof(*h) ? 0 : -errno;
}

static int recv_fds(int sock, struct handover *h, int *fds)
{
	char ctl[CMSG_SPACE(3 * sizeof(int))];
	struct iovec iov = { h, sizeof(*h) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *cm;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != sizeof(*h))
		return -EIO;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(h->nr_fds * sizeof(int)))
		return -EPROTO;
	memcpy(fds, CMSG_DATA(cm), h->nr_fds * sizeof(int));
	return 0;
}

/* No way back to the nodes: an empty /dev/vfio, then uid and gid nobody. */
static int drop_privileges(void)
{
	struct rlimit lim = { 64 << 20, 64 << 20 };	/* type1 pins against it */

	if (setrlimit(RLIMIT_MEMLOCK, &lim) || unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("none", "/dev/vfio", "tmpfs", 0, "mode=0755") ||
	    setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -errno;
	return 0;
}

/* Does this kernel's fdinfo of @fd name the VFIO device: 1 or 0; -1 when
 * fdinfo cannot be read at all. */
static int fdinfo_names_device(int fd)
{
	char path[64], text[1024];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	if (f < 0)
		return -1;
	n = read(f, text, sizeof(text) - 1);
	close(f);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	return strstr(text, "vfio-device-syspath: ") != NULL;
}

/* Linux 6.18 added vfio-device-syspath to a device fd's fdinfo. */
static bool kernel_names_devices(const char *release)
{
	int major = 0, minor = 0;

	sscanf(release, "%d.%d", &major, &minor);
	return major > 6 || (major == 6 && minor >= 18);
}

/* A wrong group number is refused, and the fd left as it came. */
static void wrong_group_nr_is_refused(struct vfiox_container *c, const struct handover *h,
				      int gfd)
{
	struct vfiox_group *g = NULL;

	vt_log_clear();
	CHECK_RET(vfiox_group_adopt(c, gfd, h->group_nr + 1, &g), -EINVAL);
	CHECK(vt_log_has("is not the node of group") || vt_log_has("there is no such VFIO group"),
	      "a wrong group number was not named");
	CHECK(fcntl(gfd, F_GETFD) >= 0, "the refused group fd was closed");
}

/* From 6.18, fdinfo names the device: another name is refused. */
static void wrong_device_name_is_refused(struct vfiox_group *g, int dfd)
{
	struct vfiox_device *d = NULL;

	vt_log_clear();
	CHECK_RET(vfiox_device_adopt(g, dfd, "0000:00:1f.0", NULL, &d), -EINVAL);
	CHECK(vt_log_has("not 0000:00:1f.0"), "the wrong device name was not named");
	CHECK(fcntl(dfd, F_GETFD) >= 0, "the refused device fd was closed");
	printf("  a device fd adopted under another name: refused (fdinfo)\n");
}

/*
 * Before 6.18 there is nothing to check the name against: as documented,
 * it is the caller's word, said at debug level. A copy of the fd is
 * adopted so that closing it leaves the real one to adopt.
 */
static void wrong_device_name_is_the_callers_word(struct vfiox_group *g, int dfd)
{
	struct vfiox_device *d = NULL;
	int copy = fcntl(dfd, F_DUPFD_CLOEXEC, 0);

	CHECK(copy >= 0, "dup: %m");
	vt_log_clear();
	vfiox_set_log(vt_log_cb, VFIOX_LOG_DEBUG, NULL);
	CHECK_RET(vfiox_device_adopt(g, copy, "0000:00:1f.0", NULL, &d), 0);
	vfiox_set_log(vt_log_cb, VFIOX_LOG_INFO, NULL);
	CHECK(vt_log_has("names no VFIO device (an older kernel): the caller vouches"),
	      "taking the name on the caller's word was not logged");
	vfiox_device_close(d);
	CHECK(fcntl(dfd, F_GETFD) >= 0, "closing the copy closed the device fd");
	printf("  a device fd adopted under another name: taken on the caller's word\n");
}

static void wrong_device_name(struct vfiox_group *g, int dfd)
{
	int names = fdinfo_names_device(dfd);
	struct utsname u;

	uname(&u);
	CHECK(names >= 0, "cannot read the device fd's fdinfo: %m");
	if (kernel_names_devices(u.release)) {
		CHECK(names == 1, "Linux %s: fdinfo names no device", u.release);
		wrong_device_name_is_refused(g, dfd);
	} else {
		CHECK(names == 0, "Linux %s: fdinfo names the device, before 6.18",
		      u.release);
		if (names == 0)
			wrong_device_name_is_the_callers_word(g, dfd);
	}
}

/* The child: adopt, map, DMA, close; exit status = failures. */
static int child(int sock)
{
	struct vfiox_container *c = NULL;
	struct vfiox_device *d = NULL;
	struct vfiox_group *g = NULL;
	struct handover h;
	struct vt_edu e;
	char path[64];
	uint8_t *src, *dst;
	uint64_t src_iova, dst_iova;
	int fds[3], i;

	CHECK_RET(drop_privileges(), 0);
	CHECK_RET(recv_fds(sock, &h, fds), 0);
	if (vt_failures)
		return vt_failures;
	snprintf(path, sizeof(path), "/dev/vfio/%d", h.group_nr);
	CHECK(open("/dev/vfio/vfio", O_RDWR) < 0 && open(path, O_RDWR) < 0,
	      "the child could open the VFIO nodes itself");
	CHECK(getuid() == NOBODY && geteuid() == NOBODY, "uid %d", (int)getuid());
	CHECK_RET(vfiox_container_adopt(fds[0], NULL, &c), 0);
	if (!c)
		return vt_failures;
	wrong_group_nr_is_refused(c, &h, fds[1]);
	CHECK_RET(vfiox_group_adopt(c, fds[1], h.group_nr, &g), 0);
	if (h.nr_fds == 3 && g)
		wrong_device_name(g, fds[2]);
	if (h.nr_fds == 3)
		CHECK_RET(vfiox_device_adopt(g, fds[2], h.name, NULL, &d), 0);
	else if (g)
		CHECK_RET(vfiox_device_open(g, h.name, NULL, &d), 0);
	if (!d) {
		vfiox_container_close(c);
		return vt_failures;
	}
	src = mmap(NULL, 2 * LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = src + LEN;
	for (i = 0; i < LEN; i++)
		src[i] = (uint8_t)(i * 7 + h.nr_fds);
	CHECK_RET(vfiox_dma_map(c, src, LEN, NULL, &src_iova), 0);
	CHECK_RET(vfiox_dma_map(c, dst, LEN, NULL, &dst_iova), 0);
	CHECK_RET(vt_edu_setup(d, &e), 0);
	if (!vt_failures) {
		CHECK_RET(vt_edu_dma(&e, src_iova, EDU_BUF, COPY, 0), 0);
		CHECK_RET(vt_edu_dma(&e, EDU_BUF, dst_iova, COPY, VT_EDU_TO_RAM), 0);
		CHECK(!memcmp(src, dst, COPY), "edu's DMA did not copy the buffer");
	}
	vfiox_container_close(c);
	/* Closed: the fds libvfiox adopted are gone. */
	for (i = 0; i < h.nr_fds; i++)
		CHECK(fcntl(fds[i], F_GETFD) < 0, "fd %d still open", fds[i]);
	printf("  child (%d fds handed over, uid %d): %s\n", h.nr_fds,
	       (int)getuid(), vt_failures ? "failed" : "adopted, mapped, DMAed, closed");
	return vt_failures;
}

static int group_of(const char *bdf)
{
	char path[128], link[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -1;
	link[n] = '\0';
	return atoi(strrchr(link, '/') + 1);
}

/* The root helper: open what the child may not, send it, close its copies. */
static void hand_over(const char *bdf, int nr_fds)
{
	struct handover h = { .group_nr = group_of(bdf), .nr_fds = nr_fds };
	int sv[2], fds[3] = { -1, -1, -1 }, status = -1, i, type = VFIO_TYPE1v2_IOMMU;
	char path[64];
	pid_t pid;

	snprintf(h.name, sizeof(h.name), "%s", bdf);
	snprintf(path, sizeof(path), "/dev/vfio/%d", h.group_nr);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair: %m");
	fds[0] = open("/dev/vfio/vfio", O_RDWR);
	fds[1] = open(path, O_RDWR);
	CHECK(fds[0] >= 0 && fds[1] >= 0, "open %s: %m", path);
	if (nr_fds == 3) {
		CHECK(ioctl(fds[1], VFIO_GROUP_SET_CONTAINER, &fds[0]) == 0, "attach: %m");
		CHECK(ioctl(fds[0], VFIO_SET_IOMMU, type) == 0, "set IOMMU: %m");
		fds[2] = ioctl(fds[1], VFIO_GROUP_GET_DEVICE_FD, bdf);
		CHECK(fds[2] >= 0, "device fd: %m");
	}
	if (vt_failures)
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		for (i = 0; i < nr_fds; i++)
			close(fds[i]);	/* it gets them only through the socket */
		_exit(child(sv[1]) ? 1 : 0);
	}
	close(sv[1]);
	CHECK_RET(send_fds(sv[0], &h, fds), 0);
	for (i = 0; i < nr_fds; i++)
		close(fds[i]);
	close(sv[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "child status 0x%x", status);
	/* Every copy closed: the group is free for the next open. */
	fds[1] = open(path, O_RDWR);
	CHECK(fds[1] >= 0, "group %d not released after the child closed: %m",
	      h.group_nr);
	close(fds[1]);
}

int main(void)
{
	const char *edu = vt_env("VFIOX_EDU");

	vt_init();
	hand_over(edu, 2);
	hand_over(edu, 3);
	return vt_done("adopt_fds_unprivileged");
}
