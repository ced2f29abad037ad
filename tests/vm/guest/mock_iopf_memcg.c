// SPDX-License-Identifier: MIT
/*
 * The I/O page fault mode against a memory cgroup's limit, on the
 * mock-iommu machine (issue 19, "Limits"): a child in a cgroup limited to
 * 16 MiB maps 64 MiB for page faults through the container fd it
 * inherited, and waits. Page requests for its pages fill the cgroup; the
 * ones that cannot get a page are answered "invalid" (the cgroup's OOM
 * killer may end the child, after which every request is invalid), and
 * none hangs. Once the child is gone none of its pages stays mapped in the
 * IOMMU, its mapping can still be removed, and the container goes on
 * serving the parent's mapping. The debug kernel checks for splats and
 * kmemleak reports after the test.
 */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "vmtest.h"
#include "mock.h"
#include "../../../lib/uapi_ext.h"

#define PG 4096ULL
#define CG "/sys/fs/cgroup"
#define CHILD_CG CG "/vfiox-iopf"
#define CHILD_LEN (64ULL << 20)
#define CHILD_IOVA (1ULL << 40)
#define REQUESTS 8192		/* 32 MiB of requests against 16 MiB */

/* A memory cgroup limited to 16 MiB: 0, or -1 if this kernel has none. */
static int make_cgroup(void)
{
	if (access(CG "/cgroup.controllers", F_OK) &&
	    mount("none", CG, "cgroup2", 0, NULL)) {
		printf("  mount cgroup2: %s\n", strerror(errno));
		return -1;
	}
	vt_write_file(CG "/cgroup.subtree_control", "+memory");
	if (mkdir(CHILD_CG, 0755) && errno != EEXIST) {
		printf("  mkdir %s: %s\n", CHILD_CG, strerror(errno));
		return -1;
	}
	vt_write_file(CHILD_CG "/memory.max", "16M");
	return access(CHILD_CG "/memory.max", F_OK);
}

/*
 * The child: joins the cgroup, maps CHILD_LEN for page faults at
 * CHILD_IOVA, reports 0 or the errno through @up, and waits for @go to
 * close.
 */
static void child(struct vfiox_container *c, int up, int go)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
			 VFIOX_DMA_MAP_FLAG_IOPF,
		.iova = CHILD_IOVA, .size = CHILD_LEN,
	};
	void *buf;
	int err = 0;
	char ch;

	vt_write_file(CHILD_CG "/cgroup.procs", "0");
	buf = mmap(NULL, CHILD_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	m.vaddr = (uintptr_t)buf;
	if (buf == MAP_FAILED || ioctl(vfiox_container_fd(c), VFIO_IOMMU_MAP_DMA, &m))
		err = errno;
	if (write(up, &err, sizeof(err)) != sizeof(err))
		_exit(2);
	while (read(go, &ch, 1) > 0)
		;
	_exit(0);
}

/* Requests for the child's pages; returns how many were refused. */
static int fill_child(const char *edu)
{
	char req[128];
	int i, refused = 0;
	const char *answer;

	for (i = 0; i < REQUESTS; i++) {
		if (i % 256 == 255) {	/* sampled with its answer */
			answer = mock_fault(edu, MOCK_RID, CHILD_IOVA + i * PG, "w", 1);
			CHECK(answer != NULL, "request %d got no answer", i);
			refused += answer && strcmp(answer, "success");
			continue;
		}
		snprintf(req, sizeof(req), "%s - %llx w %d", edu,
			 (unsigned long long)(CHILD_IOVA + i * PG), i % 512);
		mock_write(MOCK "fault", req);
	}
	return refused;
}

int main(void)
{
	const char *edu_bdf = vt_env("VFIOX_EDU");
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *edu;
	uint8_t *mine = mmap(NULL, PG, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int up[2], go[2], err = -1, status = 0, dom, refused;
	uint64_t iova;
	pid_t pid;

	vt_init();
	CHECK_RET(make_cgroup(), 0);
	CHECK_RET(vt_open(edu_bdf, &c, &g, &edu), 0);
	if (vt_failures || mine == MAP_FAILED || pipe(up) || pipe(go))
		return vt_done("mock_iopf_memcg");
	CHECK_RET(vfiox_container_enable_iopf(c), 0);
	CHECK_RET(vfiox_dma_map(c, mine, PG, NULL, &iova), 0);
	dom = domain_of(edu_bdf);
	pid = fork();
	if (pid == 0) {
		close(up[0]);
		close(go[1]);
		child(c, up[1], go[0]);
	}
	close(up[1]);
	close(go[0]);
	CHECK(read(up[0], &err, sizeof(err)) == sizeof(err) && err == 0,
	      "the child's IOPF map: %s", strerror(err));
	if (!vt_failures) {
		refused = fill_child(edu_bdf);
		printf("  %d of %d sampled requests refused; the child %s\n", refused,
		       REQUESTS / 256, kill(pid, 0) ? "was killed" : "lives");
		CHECK(refused > 0, "32 MiB of requests fit a 16 MiB cgroup");
		CHECK(mock_mapped(dom, CHILD_IOVA, CHILD_LEN, NULL) <= (16 << 20) / (long)PG,
		      "%ld pages mapped for a 16 MiB cgroup",
		      mock_mapped(dom, CHILD_IOVA, CHILD_LEN, NULL));
	}
	close(go[1]);
	waitpid(pid, &status, 0);
	printf("  the child ended: %s\n", WIFSIGNALED(status) ?
	       strsignal(WTERMSIG(status)) : "exited");
	CHECK(mock_mapped(dom, CHILD_IOVA, CHILD_LEN, NULL) == 0,
	      "%ld of the dead child's pages stay mapped", mock_mapped(dom, CHILD_IOVA, CHILD_LEN, NULL));
	CHECK(vt_raw_unmap(c, CHILD_IOVA, CHILD_LEN) == CHILD_LEN,
	      "the dead child's mapping could not be removed");
	CHECK(mock_answered(mock_fault(edu_bdf, MOCK_RID, iova, "w", 2), "success"),
	      "the container stopped serving the parent's mapping");
	vfiox_container_close(c);
	rmdir(CHILD_CG);
	return vt_done("mock_iopf_memcg");
}
