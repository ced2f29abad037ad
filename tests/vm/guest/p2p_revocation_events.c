// SPDX-License-Identifier: MIT
/*
 * Revocation events on the real kernel. ivshmem's BAR 2 (container B) is
 * P2P-mapped into container A (edu's), A is watched by an event source,
 * and B is closed.
 *   patched: the event arrives with the device, IOVA, size and owner;
 *            libvfiox drops the mapping (IOVA free, list says revoked); a
 *            privileged admin source sees it too; a message forged by a
 *            user process is dropped; an unprivileged process can neither
 *            join the admin group nor receive anything.
 *   stock:   there is no events family: libvfiox says so.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "vmtest.h"

#define FAMILY_NAME "vfiox"
#define EVENT_DMA_REVOKED 1	/* the series' uAPI, see lib/uapi_ext.h */
#define ATTR_DEVICE 2
#define ATTR_IOVA 3
#define ATTR_SIZE 4
#define ATTR_COOKIE 7

struct seen {
	int n;
	struct vfiox_event last;
};

static void on_event(const struct vfiox_event *e, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->last = *e;
}

/* A user process sends a well-formed revocation to @portid. */
static int forge(uint32_t portid, const char *dev, uint64_t iova)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *m = nlmsg_alloc();
	int family, ret = -1;

	if (!sk || !m || genl_connect(sk))
		goto out;
	family = genl_ctrl_resolve(sk, FAMILY_NAME);
	if (family < 0 ||
	    !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0,
			 EVENT_DMA_REVOKED, 1) ||
	    nla_put_string(m, ATTR_DEVICE, dev) ||
	    nla_put_u64(m, ATTR_IOVA, iova) || nla_put_u64(m, ATTR_SIZE, 4096) ||
	    nla_put_u64(m, ATTR_COOKIE, 1))
		goto out;
	nl_socket_set_peer_port(sk, portid);
	ret = nl_send(sk, m) < 0 ? -1 : 0;
out:
	nlmsg_free(m);
	nl_socket_free(sk);
	return ret;
}

static uint32_t portid_of(int fd)
{
	struct sockaddr_nl a = { 0 };
	socklen_t len = sizeof(a);

	return getsockname(fd, (struct sockaddr *)&a, &len) ? 0 : a.nl_pid;
}

/*
 * Child as nobody: try the admin group (both raw and through libvfiox),
 * then count what arrives until the parent says B is gone.
 * Exit status: 64 if the join worked, plus messages received (<= 63).
 */
static int unprivileged_listener(int ready_fd, int go_fd)
{
	struct vfiox_events_opts o = { .sz = sizeof(o), .admin = true };
	struct nl_sock *sk = nl_socket_alloc();
	struct vfiox_events *ev;
	int grp, joined, n = 0;
	char c = 0;

	if (setgid(65534) || setuid(65534) || !sk || genl_connect(sk))
		return 127;
	grp = genl_ctrl_resolve_grp(sk, FAMILY_NAME, "admin");
	joined = grp >= 0 && !nl_socket_add_membership(sk, grp);
	if (vfiox_events_open(&o, on_event, NULL, &ev) != -EPERM)
		joined = 1;
	nl_socket_set_nonblocking(sk);
	if (write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1)
		return 126;
	for (;;) {
		unsigned char *buf = NULL;
		struct sockaddr_nl from;
		int len = nl_recv(sk, &from, &buf, NULL);

		free(buf);
		if (len <= 0)
			break;
		n++;
	}
	return (joined ? 64 : 0) | (n > 63 ? 63 : n);
}

static pid_t spawn_listener(int *ready, int *go)
{
	int p1[2], p2[2];
	pid_t pid;
	char c;

	if (pipe(p1) || pipe(p2))
		return -1;
	pid = fork();
	if (pid == 0)
		_exit(unprivileged_listener(p1[1], p2[0]));
	*ready = p1[0];
	*go = p2[1];
	if (pid > 0 && read(*ready, &c, 1) != 1)
		return -1;
	return pid;
}

static void patched_run(struct vfiox_container *a, struct vfiox_container *b,
			struct vfiox_device *shm, const char *shm_bdf,
			pid_t child, int go)
{
	struct vfiox_events_opts admin = { .sz = sizeof(admin), .admin = true };
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	struct seen seen = { 0 }, admin_seen = { 0 };
	struct vfiox_events *ev, *mon;
	struct vfiox_p2p_mapping m;
	void *ram = aligned_alloc(4096, 4096);
	uint64_t iova, out;
	int status = -1;
	uint8_t *bar2;
	char c = 0;

	CHECK_RET(vfiox_events_open(NULL, on_event, &seen, &ev), 0);
	CHECK_RET(vfiox_events_open(&admin, on_event, &admin_seen, &mon), 0);
	CHECK_RET(vfiox_events_watch(ev, a), 0);
	CHECK_RET(vfiox_region_mmap(shm, VFIO_PCI_BAR2_REGION_INDEX, (void **)&bar2), 0);
	CHECK_RET(vfiox_p2p_map(a, shm, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096, NULL, &iova), 0);

	/* A forged revocation from a user process is dropped. */
	CHECK_RET(forge(portid_of(vfiox_events_fd(ev)), shm_bdf, iova), 0);
	CHECK_RET(vfiox_events_wait(ev, 1000), -ETIMEDOUT);
	CHECK(vfiox_events_dropped(ev) == 1, "forged message dropped: %d",
	      vfiox_events_dropped(ev));
	CHECK(seen.n == 0, "no callback for the forged message");
	CHECK_RET(vfiox_dma_translate(a, bar2, &out), 0);

	vfiox_container_close(b);
	CHECK_RET(vfiox_events_wait(ev, 5000), 1);
	CHECK(seen.n == 1 && seen.last.type == VFIOX_EVENT_TYPE_DMA_REVOKED,
	      "one revocation event: %d", seen.n);
	CHECK(!strcmp(seen.last.device, shm_bdf), "device %s", seen.last.device);
	CHECK(seen.last.iova == iova && seen.last.len == 4096,
	      "IOVA 0x%llx len 0x%llx", (unsigned long long)seen.last.iova,
	      (unsigned long long)seen.last.len);
	CHECK(seen.last.owner_uid == getuid() && seen.last.owner_pid == (uint32_t)getpid(),
	      "owner %u/%u", seen.last.owner_uid, seen.last.owner_pid);
	CHECK(seen.last.container == a && seen.last.dropped_mapping,
	      "libvfiox dropped the mapping of the watched container");
	CHECK_RET(vfiox_dma_translate(a, bar2, &out), -ENOENT);
	CHECK_RET(vfiox_dma_stats(a, &st), 0);
	CHECK(st.mapped_bytes == 0, "mapped bytes %llu", (unsigned long long)st.mapped_bytes);
	CHECK_RET(vfiox_p2p_list(a, &m, 1), 1);
	CHECK(m.flags & VFIOX_P2P_REVOKED, "listed as revoked");
	/* Its IOVA is free in libvfiox and in the kernel: RAM maps there. */
	CHECK(ram != NULL, "aligned_alloc");
	if (ram) {
		CHECK_RET(vfiox_dma_map_fixed(a, ram, 4096, iova, NULL), 0);
		CHECK_RET(vfiox_p2p_list(a, NULL, 0), 0);	/* history now */
		CHECK_RET(vfiox_dma_unmap_iova(a, iova, 4096), 0);
	}

	/* The privileged monitor saw it too, without watching anything. */
	CHECK_RET(vfiox_events_wait(mon, 5000), 1);
	CHECK(admin_seen.last.container == NULL && admin_seen.last.iova == iova,
	      "admin event for IOVA 0x%llx", (unsigned long long)admin_seen.last.iova);

	if (child > 0) {
		CHECK(write(go, &c, 1) == 1, "signal the listener");
		waitpid(child, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "unprivileged listener: status 0x%x (64: joined the admin group, low bits: messages)",
		      status);
	}
	CHECK_RET(vfiox_p2p_unmap(a, iova, 4096), -ENOENT);
	free(ram);
	vfiox_events_close(mon);
	vfiox_events_close(ev);
}

int main(void)
{
	const char *mods = getenv("VFIOX_MODULES");
	int patched = mods && !strcmp(mods, "patched");
	const char *shm_bdf = vt_env("VFIOX_IVSHMEM");
	struct vfiox_container *a, *b;
	struct vfiox_device *edu, *shm;
	struct vfiox_events *ev;
	struct vfiox_group *g;
	struct seen seen = { 0 };
	int ready = -1, go = -1;
	pid_t child = -1;

	vt_init();
	/* Forked before any vfio fd or mmap exists: a child holding B's
	 * device file would keep the device from being released. */
	if (patched) {
		child = spawn_listener(&ready, &go);
		CHECK(child > 0, "fork of the unprivileged listener");
	}
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &a, &g, &edu), 0);
	CHECK_RET(vt_open(shm_bdf, &b, &g, &shm), 0);
	if (patched) {
		patched_run(a, b, shm, shm_bdf, child, go);
	} else {
		vt_log_clear();
		CHECK_RET(vfiox_events_open(NULL, on_event, &seen, &ev), -EOPNOTSUPP);
		CHECK(vt_log_has("no 'vfiox' generic netlink family"),
		      "libvfiox says the kernel lacks events");
		vfiox_container_close(b);
	}
	vfiox_container_close(a);
	return vt_done("p2p_revocation_events");
}
