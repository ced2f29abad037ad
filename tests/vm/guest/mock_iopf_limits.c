// SPDX-License-Identifier: MIT
/*
 * The two exits of type1's I/O page fault mode (the series' 0014) that no
 * ordinary request reaches, on the mock-iommu machine:
 *   1. the retry limit: a fault whose map must be tried again 16 times is
 *      answered "success" with nothing mapped, so the device asks again.
 *      The mock's "nowait N" fails the next N maps that may not reclaim
 *      (each then reclaims and tries again): 15 still map the page, 16
 *      hit the limit. A write request for a page shared copy-on-write
 *      with a child breaks the sharing in its first try, which the
 *      mapping's notifier sees as an invalidation racing the fault: that
 *      try is lost to the race, so 15 refused maps then reach the limit;
 *   2. the invalidation that may not block: process_mrelease() reaps a
 *      killed child's mm the way the OOM reaper does. The child, killed
 *      while held in the mock's "hold", keeps its mm until then. When the
 *      notifier's lock is free the reaper unmaps the child's faulted
 *      pages; when a fault holds it (stalled where it maps) the notifier
 *      refuses, process_mrelease() fails with EAGAIN and nothing is
 *      unmapped, and once the fault goes on, the child's exit unmaps its
 *      pages and later faults (on the parent's mapping: the lock and
 *      the container are not wedged) are served.
 */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "vmtest.h"
#include "mock.h"
#include "../../../lib/uapi_ext.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_mrelease
#define SYS_process_mrelease 448
#endif

#define PG 4096ULL
#define NPAGES 8
#define CHILD_PAGES 4
#define CHILD_IOVA (1ULL << 40)

static int64_t mapped_pa(int dom, uint64_t iova)
{
	int64_t pa;

	mock_mapped(dom, iova, PG, &pa);
	return pa;
}

/* Lines of the mock's events containing @needle. */
static int events_with(const char *needle)
{
	char line[256];
	FILE *f = fopen(MOCK "events", "r");
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return n;
}

/* Waits up to 10 s for an event containing @needle: 1 or 0. */
static int wait_event(const char *needle)
{
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		if (events_with(needle))
			return 1;
		usleep(10000);
	}
	printf("  no event '%s'\n", needle);
	return 0;
}

/* A write request for page @n after @refused maps fail: its answer. */
static const char *refused_request(const char *edu, uint64_t iova, int n,
				   int refused)
{
	char knob[32];

	snprintf(knob, sizeof(knob), "nowait %d", refused);
	if (mock_write(MOCK "refuse", knob))
		return NULL;
	return mock_fault(edu, MOCK_RID, iova + (uint64_t)n * PG, "w", 20 + n);
}

static void retry_limit(const char *edu, int dom, uint8_t *buf, uint64_t iova)
{
	const char *answer;
	int go[2];
	pid_t pid;

	CHECK(mock_answered(refused_request(edu, iova, 0, 15), "success") &&
	      mapped_pa(dom, iova) >= 0,
	      "15 refused maps: the 16th try did not map the page");
	CHECK(events_with("without reclaim refused") == 15,
	      "%d maps refused, not 15", events_with("without reclaim refused"));

	answer = refused_request(edu, iova, 1, 16);
	printf("  16 refused maps: answered %s, %s\n", answer ? answer : "nothing",
	       mapped_pa(dom, iova + PG) == -1 ? "nothing mapped" : "mapped");
	CHECK(mock_answered(answer, "success"),
	      "the fault at the retry limit was not answered success");
	CHECK(events_with("without reclaim refused") == 16,
	      "%d maps refused, not 16", events_with("without reclaim refused"));
	CHECK(mapped_pa(dom, iova + PG) == -1, "the fault at the retry limit mapped a page");
	CHECK(mock_answered(mock_fault(edu, MOCK_RID, iova + PG, "w", 30), "success") &&
	      mapped_pa(dom, iova + PG) >= 0, "the request asked again was not mapped");

	/* Page 2 is shared copy-on-write while the child waits. */
	buf[2 * PG] = 1;
	if (pipe(go)) {
		CHECK(0, "pipe");
		return;
	}
	pid = fork();
	if (pid == 0) {
		char ch;

		close(go[1]);
		while (read(go[0], &ch, 1) > 0)
			;
		_exit(0);
	}
	close(go[0]);
	CHECK(pid > 0, "fork: %s", strerror(errno));
	answer = refused_request(edu, iova, 2, 15);
	printf("  copy-on-write break + 15 refused maps: answered %s, %s\n",
	       answer ? answer : "nothing",
	       mapped_pa(dom, iova + 2 * PG) == -1 ? "nothing mapped" : "mapped");
	CHECK(mock_answered(answer, "success"),
	      "the fault racing a copy-on-write break was not answered success");
	CHECK(events_with("without reclaim refused") == 15,
	      "%d maps refused, not 15", events_with("without reclaim refused"));
	CHECK(mapped_pa(dom, iova + 2 * PG) == -1,
	      "the copy-on-write break did not cost a try: 15 refused maps, and mapped");
	CHECK(mock_answered(mock_fault(edu, MOCK_RID, iova + 2 * PG, "w", 31), "success"),
	      "the request asked again was not served");
	close(go[1]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/*
 * A child mapping CHILD_PAGES of its own for faults at CHILD_IOVA, through
 * the inherited container fd: it reports 0 or the errno on @up, then on a
 * byte from @go it enters the mock's "hold" (where it is killed).
 */
static pid_t child(struct vfiox_container *c, int *up_fd, int *go_fd)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
			 VFIOX_DMA_MAP_FLAG_IOPF,
		.iova = CHILD_IOVA, .size = CHILD_PAGES * PG,
	};
	int up[2], go[2], err = 0;
	uint8_t *buf;
	pid_t pid;
	char ch;

	if (pipe(up) || pipe(go))
		return -1;
	pid = fork();
	if (pid) {
		close(up[1]);
		close(go[0]);
		*up_fd = up[0];
		*go_fd = go[1];
		return pid;
	}
	buf = mmap(NULL, CHILD_PAGES * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		err = errno;
	} else {
		memset(buf, 1, CHILD_PAGES * PG);
		m.vaddr = (uintptr_t)buf;
		if (ioctl(vfiox_container_fd(c), VFIO_IOMMU_MAP_DMA, &m))
			err = errno;
	}
	if (write(up[1], &err, sizeof(err)) != sizeof(err) || err ||
	    read(go[0], &ch, 1) != 1)
		_exit(2);
	mock_write(MOCK "hold", "1");
	_exit(0);
}

/* Starts a child, faults its page 0 in, and holds it: its pidfd or -1. */
static int held_child(const char *edu, struct vfiox_container *c, int dom,
		      pid_t *pid)
{
	int up, go, err = -1, pidfd;
	char needle[32];

	*pid = child(c, &up, &go);
	if (*pid < 0 || read(up, &err, sizeof(err)) != sizeof(err) || err) {
		CHECK(0, "the child's IOPF map: %s", strerror(err));
		return -1;
	}
	close(up);
	CHECK(mock_answered(mock_fault(edu, MOCK_RID, CHILD_IOVA, "w", 40), "success") &&
	      mapped_pa(dom, CHILD_IOVA) >= 0, "the child's page 0 did not fault in");
	pidfd = (int)syscall(SYS_pidfd_open, *pid, 0);
	CHECK(pidfd >= 0, "pidfd_open: %s", strerror(errno));
	CHECK_RET(mock_write(MOCK "refuse", "stall 1"), 0);
	if (write(go, "g", 1) != 1)
		CHECK(0, "the child did not take the go");
	close(go);
	snprintf(needle, sizeof(needle), "hold %d", (int)*pid);
	CHECK(wait_event(needle), "the child did not reach the hold");
	return pidfd;
}

/* Releases the hold, reaps the child killed there, removes its mapping. */
static void end_child(struct vfiox_container *c, int dom, pid_t pid, int pidfd)
{
	int status = 0;

	CHECK_RET(mock_write(MOCK "refuse", "stall 0"), 0);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "the child was not killed in the hold");
	close(pidfd);
	CHECK(mock_mapped(dom, CHILD_IOVA, CHILD_PAGES * PG, NULL) == 0,
	      "%ld of the dead child's pages stay mapped",
	      mock_mapped(dom, CHILD_IOVA, CHILD_PAGES * PG, NULL));
	CHECK(vt_raw_unmap(c, CHILD_IOVA, CHILD_PAGES * PG) == CHILD_PAGES * PG,
	      "the dead child's mapping could not be removed");
}

/* Whether @pid has exited (a zombie counts), without reaping it. */
static bool exited(pid_t pid)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) || si.si_pid != 0;
}

static void reaper_unmaps(const char *edu, struct vfiox_container *c, int dom)
{
	int pidfd;
	pid_t pid;

	pidfd = held_child(edu, c, dom, &pid);
	if (pidfd < 0)
		return;
	kill(pid, SIGKILL);
	CHECK(syscall(SYS_process_mrelease, pidfd, 0) == 0,
	      "process_mrelease: %s", strerror(errno));
	printf("  process_mrelease of the held child: %d pages left mapped\n",
	       (int)mock_mapped(dom, CHILD_IOVA, CHILD_PAGES * PG, NULL));
	/*
	 * The child is still held (it has not exited: kill(pid, 0) would
	 * succeed for a zombie too): only the reaper can have unmapped.
	 */
	CHECK(!exited(pid) && mapped_pa(dom, CHILD_IOVA) == -1,
	      "the reaper's invalidation left the child's page mapped");
	end_child(c, dom, pid, pidfd);
}

static void reaper_refused(const char *edu, struct vfiox_container *c, int dom,
			   uint64_t iova)
{
	char req[96], needle[64];
	int pidfd, ret;
	pid_t pid;

	pidfd = held_child(edu, c, dom, &pid);
	if (pidfd < 0)
		return;
	/* A fault on the child's page 1 stalls holding the notifier's lock */
	snprintf(req, sizeof(req), "%s - %llx w 41", edu, CHILD_IOVA + PG);
	CHECK_RET(mock_write(MOCK "fault", req), 0);
	snprintf(needle, sizeof(needle), "map domain %d %#llx stalls", dom, CHILD_IOVA + PG);
	CHECK(wait_event(needle), "the fault did not stall where it maps");
	kill(pid, SIGKILL);
	ret = (int)syscall(SYS_process_mrelease, pidfd, 0);
	CHECK(ret == -1 && errno == EAGAIN,
	      "process_mrelease against a held notifier lock: %d (%s), not EAGAIN",
	      ret, strerror(errno));
	printf("  process_mrelease against the stalled fault: %s, %d pages left mapped\n",
	       ret ? strerror(errno) : "0",
	       (int)mock_mapped(dom, CHILD_IOVA, CHILD_PAGES * PG, NULL));
	CHECK(mapped_pa(dom, CHILD_IOVA) >= 0,
	      "the refused invalidation unmapped the child's page 0");
	end_child(c, dom, pid, pidfd);
	snprintf(needle, sizeof(needle), "response %s pasid 0 grpid 41 ", edu);
	CHECK(events_with(needle) == 1, "the stalled fault was answered %d times",
	      events_with(needle));
	CHECK(mock_answered(mock_fault(edu, MOCK_RID, iova + 3 * PG, "w", 42), "success") &&
	      mapped_pa(dom, iova + 3 * PG) >= 0,
	      "no fault served after the refused invalidation");
}

int main(void)
{
	const char *edu_bdf = vt_env("VFIOX_EDU");
	uint8_t *buf = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *edu;
	uint64_t iova;
	int dom;

	vt_init();
	CHECK_RET(vt_open(edu_bdf, &c, &g, &edu), 0);
	if (vt_failures || buf == MAP_FAILED)
		return vt_done("mock_iopf_limits");
	memset(buf, 0, NPAGES * PG);
	CHECK_RET(vfiox_container_enable_iopf(c), 0);
	CHECK_RET(vfiox_dma_map(c, buf, NPAGES * PG, NULL, &iova), 0);
	dom = domain_of(edu_bdf);
	if (!vt_failures) {
		retry_limit(edu_bdf, dom, buf, iova);
		reaper_unmaps(edu_bdf, c, dom);
		reaper_refused(edu_bdf, c, dom, iova);
		CHECK_RET(vfiox_dma_unmap_iova(c, iova, NPAGES * PG), 0);
	}
	/* Knobs left set by a failed check must not fail the next test */
	mock_write(MOCK "refuse", "stall 0");
	mock_write(MOCK "refuse", "nowait 0");
	vfiox_container_close(c);
	CHECK(mock_has(MOCK "mappings", "domain") == 0, "mappings left after the close");
	return vt_done("mock_iopf_limits");
}
