// SPDX-License-Identifier: MIT
/*
 * SVM binds that succeed, on the mock-iommu machine (the series' modules
 * on the debug kernel, the test-only mock IOMMU owning the devices and
 * giving them PASIDs; kernel-patches/test/mock-iommu):
 *   1. the kernel flags edu as bindable although its config space has no
 *      PASID capability, says that it reports that flag (VFIOX_SVM
 *      answers 2: a clear flag is an answer, review S8), and
 *      vfiox_svm_support() believes the kernel; when
 *      the IOMMU refuses (the mock's "refuse" knob: the SVA domain's
 *      allocation, then the PASID attach), the bind returns its errno,
 *      leaves nothing attached, and the next bind succeeds;
 *   2. edu's and ivshmem's groups in one container share type1's IOMMU
 *      domain (the mock says so), yet vfiox_svm_bind() on edu gives a
 *      PASID the mock shows attached to edu alone: a PASID does not escape
 *      to the other devices of the domain (issue 19, finding 1); binding
 *      again gives the same PASID; ivshmem then gets a bond of its own
 *      with the process's one PASID;
 *   3. page requests under the PASID are served from this process's page
 *      tables: a write request faults an untouched page in (mincore sees
 *      it), one outside every mapping and a write to a read-only page are
 *      answered "invalid";
 *   4. unbind with FLUSHED and with CLEAN detach the PASID (the mock shows
 *      it), a second unbind gets -ENOENT, from the library and the kernel,
 *      and a page request under the unbound PASID no longer reaches a
 *      handler (the mock refuses to report it);
 *   5. a forked child binds its own mm under another PASID, which the
 *      parent cannot unbind while the child lives (-ENOENT); when it exits
 *      the IOMMU hears of its mm's release (the mock's notifier), and its
 *      bond stays until the parent's next bind drops it;
 *   6. a device holds 32 live bonds: 31 children and this process bind,
 *      the 33rd process gets -ENOSPC; page requests racing unbinds and
 *      binds for 3 s are answered or refused, never reach a freed
 *      handle (the debug kernel checks after the test);
 *   7. closing a device with a live bond detaches the PASID;
 *   8. an NVMe controller whose group holds a second controller: the
 *      library and the kernel both refuse with -EXDEV.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "vmtest.h"
#include "mock.h"
#include "../../../lib/uapi_ext.h"

static int resident(void *page)
{
	unsigned char vec = 0;

	if (mincore(page, 4096, &vec))
		return -errno;
	return vec & 1;
}

static void page_requests(const char *edu, uint32_t pasid)
{
	long psz = sysconf(_SC_PAGESIZE);
	char *rw = mmap(NULL, psz, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *ro = mmap(NULL, psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *gone = mmap(NULL, psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const char *answer;

	CHECK(rw != MAP_FAILED && ro != MAP_FAILED && gone != MAP_FAILED, "mmap");
	if (rw == MAP_FAILED || ro == MAP_FAILED || gone == MAP_FAILED)
		return;
	munmap(gone, psz);
	CHECK(resident(rw) == 0, "the untouched page is already resident");
	answer = mock_fault(edu, pasid, (uintptr_t)rw, "w", 1);
	CHECK(answer && !strcmp(answer, "success"), "write request: %s", answer);
	CHECK(resident(rw) == 1, "the write request did not fault the page in");
	answer = mock_fault(edu, pasid, (uintptr_t)gone, "r", 2);
	CHECK(answer && !strcmp(answer, "invalid"), "unmapped address: %s", answer);
	answer = mock_fault(edu, pasid, (uintptr_t)ro, "w", 3);
	CHECK(answer && !strcmp(answer, "invalid"), "write to read-only: %s", answer);
	answer = mock_fault(edu, pasid, (uintptr_t)ro, "r", 4);
	CHECK(answer && !strcmp(answer, "success"), "read of read-only: %s", answer);
	munmap(rw, psz);
	munmap(ro, psz);
}

static int raw_svm(struct vfiox_device *d, unsigned long req, uint32_t flags,
		   uint32_t *pasid)
{
	struct vfiox_device_svm s = { .argsz = sizeof(s), .flags = flags,
				      .pasid = *pasid };

	if (ioctl(vfiox_device_fd(d), req, &s))
		return -errno;
	*pasid = s.pasid;
	return 0;
}

/* What a child reports when its bind failed: this bit and the errno. */
#define BIND_FAILED 0x80000000u

/*
 * A child binds its own mm, reports the PASID (or BIND_FAILED | errno)
 * through @out, and exits when the parent closes @go.
 */
static void child_binds(struct vfiox_device *edu, int out, int go)
{
	uint32_t pasid = 0;
	int ret;
	char c;

	ret = raw_svm(edu, VFIOX_DEVICE_SVM_BIND, 0, &pasid);
	if (ret)
		pasid = BIND_FAILED | (uint32_t)-ret;
	if (write(out, &pasid, sizeof(pasid)) != sizeof(pasid))
		_exit(2);
	while (read(go, &c, 1) > 0)
		;
	_exit(0);
}

static void other_process(struct vfiox_device *edu, const char *bdf,
			  uint32_t mine)
{
	uint32_t theirs = 0, again;
	int up[2], go[2], status = 0, domain;
	char released[64];
	pid_t pid;

	if (pipe(up) || pipe(go)) {
		CHECK(0, "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(up[0]);
		close(go[1]);
		child_binds(edu, up[1], go[0]);
	}
	close(up[1]);
	close(go[0]);
	CHECK(pid > 0, "fork: %s", strerror(errno));
	if (pid > 0)
		CHECK(read(up[0], &theirs, sizeof(theirs)) == sizeof(theirs),
		      "the child said nothing");
	close(up[0]);
	printf("  child bound PASID %u\n", theirs);
	CHECK(theirs && !(theirs & BIND_FAILED) && theirs != mine,
	      "the child's PASID %#x (ours %u)", theirs, mine);
	CHECK(pasid_attached(bdf, theirs) == 1, "the child's PASID is not attached");
	domain = pasid_domain(bdf, theirs);
	/* While the child lives, its bond is its own. */
	again = theirs;
	CHECK_RET(raw_svm(edu, VFIOX_DEVICE_SVM_UNBIND,
			  VFIOX_SVM_PASID_RELEASE_CLEAN, &again), -ENOENT);
	CHECK(pasid_attached(bdf, theirs) == 1, "our unbind detached the child's PASID");
	close(go[1]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "the child failed: %#x", status);
	snprintf(released, sizeof(released), "mm-release domain %d", domain);
	CHECK(domain > 0 && mock_has(MOCK "events", released) == 1,
	      "the IOMMU was not told the child's mm went (domain %d)", domain);
	/* Gone, it still holds the PASID until the next bind or unbind. */
	CHECK(pasid_attached(bdf, theirs) == 1, "the dead child's PASID went before a bind");
	CHECK_RET(vfiox_svm_bind(edu, &again), 0);
	CHECK(again == mine, "our PASID changed: %u, was %u", again, mine);
	CHECK(pasid_attached(bdf, theirs) == 0, "the dead child's PASID stayed attached");
}

/* The IOMMU refuses once at @what; the bind fails and leaves nothing. */
static void iommu_refuses(struct vfiox_device *edu, const char *bdf,
			  const char *what, int err)
{
	char knob[32];
	uint32_t pasid = 0;

	snprintf(knob, sizeof(knob), "%s %d", what, err);
	CHECK_RET(mock_write(MOCK "refuse", knob), 0);
	vt_log_clear();
	CHECK_RET(vfiox_svm_bind(edu, &pasid), -err);
	CHECK(vt_log_has("the IOMMU refused"), "no log line for the %s refusal", what);
	CHECK_RET(vfiox_svm_support(edu), VFIOX_FEATURE_IOMMU_REFUSED);
	CHECK(mock_has(MOCK "pasids", bdf) == 0, "a refused bind left a PASID on %s", bdf);
}

/* 31 children hold bonds with ours; one more process gets -ENOSPC. */
static void bond_limit(struct vfiox_device *edu)
{
	enum { HOLDERS = 31 };
	int up[2], go[2], n = 0, i, status;
	uint32_t pasid, extra = 0;
	pid_t pids[HOLDERS + 1];

	if (pipe(up) || pipe(go)) {
		CHECK(0, "pipe: %s", strerror(errno));
		return;
	}
	for (i = 0; i <= HOLDERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(up[0]);
			close(go[1]);
			child_binds(edu, up[1], go[0]);
		}
		if (pids[i] < 0)
			break;
		pasid = 0;
		if (read(up[0], &pasid, sizeof(pasid)) != sizeof(pasid))
			pasid = BIND_FAILED;
		if (pasid && !(pasid & BIND_FAILED))
			n++;
		else
			extra = pasid;
	}
	close(up[1]);
	close(go[0]);
	close(up[0]);
	printf("  %d of %d more processes bound\n", n, HOLDERS + 1);
	CHECK(n == HOLDERS && i == HOLDERS + 1, "%d processes bound, not %d", n, HOLDERS);
	CHECK(extra == (BIND_FAILED | ENOSPC), "the 33rd bind: %#x, not ENOSPC", extra);
	close(go[1]);
	while (i-- > 0)
		waitpid(pids[i], &status, 0);
}

struct storm {
	const char *bdf;
	struct vfiox_device *edu;
	uint32_t pasid;
	char *page;
	atomic_bool stop;
	int answered, refused;
};

static void *fault_storm(void *arg)
{
	struct storm *st = arg;
	char req[128];
	int err;

	snprintf(req, sizeof(req), "%s %u %llx r 7", st->bdf, st->pasid,
		 (unsigned long long)(uintptr_t)st->page);
	while (!atomic_load(&st->stop)) {
		err = mock_write(MOCK "fault", req);
		if (!err)
			st->answered++;
		else if (err == -ENOENT)
			st->refused++;
		else
			break;
	}
	return NULL;
}

/* Page requests for our PASID while it is unbound and bound again. */
static void faults_race_unbind(struct vfiox_device *edu, const char *bdf,
			       uint32_t pasid)
{
	struct storm st = { .bdf = bdf, .edu = edu, .pasid = pasid };
	uint32_t again;
	pthread_t t;
	time_t end;
	int rounds = 0;

	st.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(st.page != MAP_FAILED, "mmap");
	if (st.page == MAP_FAILED || pthread_create(&t, NULL, fault_storm, &st))
		return;
	end = time(NULL) + 3;
	while (time(NULL) < end && !vt_failures) {
		CHECK_RET(vfiox_svm_unbind(edu, pasid, VFIOX_PASID_FLUSHED), 0);
		CHECK_RET(vfiox_svm_bind(edu, &again), 0);
		CHECK(again == pasid, "the PASID changed to %u", again);
		rounds++;
	}
	atomic_store(&st.stop, true);
	pthread_join(t, NULL);
	printf("  %d unbind+bind rounds: %d requests answered, %d refused\n",
	       rounds, st.answered, st.refused);
	CHECK(st.answered > 0 && rounds > 0, "the race never ran");
	munmap(st.page, 4096);
}

static void shared_group_refused(void)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *nvme;
	struct vfiox_device_info info = { .sz = sizeof(info) };
	uint32_t pasid = 0;

	CHECK_RET(vt_open(vt_env("VFIOX_NVME"), &c, &g, &nvme), 0);
	if (vt_failures)
		return;
	CHECK_RET(vfiox_device_info(nvme, &info), 0);
	CHECK(!(info.flags & VFIOX_DEVICE_FLAGS_SVM), "the NVMe in a shared group is flagged bindable");
	CHECK_RET(vfiox_svm_support(nvme), VFIOX_FEATURE_SHARED_GROUP);
	CHECK_RET(vfiox_svm_bind(nvme, &pasid), -EXDEV);
	CHECK_RET(raw_svm(nvme, VFIOX_DEVICE_SVM_BIND, 0, &pasid), -EXDEV);
	vfiox_container_close(c);
}

int main(void)
{
	const char *edu_bdf = vt_env("VFIOX_EDU"), *shm_bdf = vt_env("VFIOX_IVSHMEM");
	struct vfiox_container *c;
	struct vfiox_group *g, *shm_group;
	struct vfiox_device *edu, *shm;
	struct vfiox_device_info info = { .sz = sizeof(info) };
	uint32_t pasid = 0, again = 0, shm_pasid = 0;

	vt_init();
	CHECK_RET(vt_open(edu_bdf, &c, &g, &edu), 0);
	if (vt_failures)
		return vt_done("mock_svm_bind");
	CHECK_RET(vfiox_group_open_pci(c, shm_bdf, &shm_group), 0);
	CHECK_RET(vfiox_device_open(shm_group, shm_bdf, NULL, &shm), 0);
	if (vt_failures)
		return vt_done("mock_svm_bind");
	printf("  edu in domain %d, ivshmem in domain %d\n", domain_of(edu_bdf),
	       domain_of(shm_bdf));
	CHECK(domain_of(edu_bdf) > 0 && domain_of(edu_bdf) == domain_of(shm_bdf),
	      "edu and ivshmem do not share type1's domain");
	CHECK_RET(vfiox_device_info(edu, &info), 0);
	CHECK(info.flags & VFIOX_DEVICE_FLAGS_SVM, "the kernel does not flag edu as bindable");
	/* Review S8: a kernel that sets the flag says so, so a clear one counts */
	CHECK_RET(vfiox_container_check_extension(c, VFIOX_SVM), VFIOX_SVM_FLAGS_REPORTED);
	CHECK_RET(vfiox_svm_support(edu), VFIOX_FEATURE_AVAILABLE);
	iommu_refuses(edu, edu_bdf, "sva", ENOMEM);
	iommu_refuses(edu, edu_bdf, "pasid", EBUSY);
	CHECK_RET(vfiox_svm_bind(edu, &pasid), 0);
	printf("  edu bound under PASID %u\n", pasid);
	CHECK(pasid != 0, "PASID 0 is the one without a PASID");
	CHECK(pasid_attached(edu_bdf, pasid) == 1, "the mock has no PASID %u on edu", pasid);
	CHECK(pasid_attached(shm_bdf, pasid) == 0, "ivshmem, in edu's domain, got its PASID");
	CHECK_RET(vfiox_svm_bind(edu, &again), 0);
	CHECK(again == pasid, "a second bind gave PASID %u, the first %u", again, pasid);

	CHECK_RET(vfiox_svm_bind(shm, &shm_pasid), 0);
	CHECK(shm_pasid == pasid, "one process, two PASIDs: %u and %u", pasid, shm_pasid);
	CHECK(pasid_attached(shm_bdf, pasid) == 1, "ivshmem's bond is not attached");

	page_requests(edu_bdf, pasid);
	other_process(edu, edu_bdf, pasid);
	bond_limit(edu);
	faults_race_unbind(edu, edu_bdf, pasid);

	CHECK_RET(vfiox_svm_unbind(edu, pasid, VFIOX_PASID_FLUSHED), 0);
	CHECK(pasid_attached(edu_bdf, pasid) == 0, "unbind left PASID %u on edu", pasid);
	CHECK(pasid_attached(shm_bdf, pasid) == 1, "unbinding edu detached ivshmem");
	CHECK_RET(vfiox_svm_unbind(edu, pasid, VFIOX_PASID_FLUSHED), -ENOENT);
	CHECK(mock_fault(edu_bdf, pasid, (uintptr_t)&again, "r", 9) == NULL,
	      "a page request under the unbound PASID was answered");
	again = pasid;
	CHECK_RET(raw_svm(edu, VFIOX_DEVICE_SVM_UNBIND,
			  VFIOX_SVM_PASID_RELEASE_FLUSHED, &again), -ENOENT);
	CHECK_RET(vfiox_svm_unbind(shm, pasid, VFIOX_PASID_CLEAN), 0);
	CHECK(pasid_attached(shm_bdf, pasid) == 0, "unbind left PASID %u on ivshmem", pasid);

	/* A live bond, then the device closes. */
	CHECK_RET(vfiox_svm_bind(edu, &again), 0);
	CHECK(pasid_attached(edu_bdf, again) == 1, "the bind before close is not attached");
	vfiox_device_close(edu);
	CHECK(pasid_attached(edu_bdf, again) == 0, "closing edu left its PASID attached");
	vfiox_container_close(c);

	shared_group_refused();
	return vt_done("mock_svm_bind");
}
