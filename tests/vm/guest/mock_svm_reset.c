// SPDX-License-Identifier: MIT
/*
 * Resets of a device with a live SVM bond, on the mock-iommu machine. The
 * device is a virtio-rng with an ATS capability and FLR behind a PCIe root
 * port (tests/vm/machines/mock-iommu.conf), so a reset runs the IOMMU
 * core's reset fence, pci_dev_reset_iommu_prepare(): it moves the bond's
 * PASID to the mock's blocked domain, which drains the page requests in
 * flight, and _done() puts it back.
 *   1. a page request under the bond's PASID on an mmap of the device's own
 *      BAR is served: the page-fault worker took vfio-pci's memory_lock;
 *   2. VFIO_DEVICE_RESET: the mock shows the PASID detached (the fence)
 *      and attached again, and the bond serves page requests after it.
 *      Before the fix, the reset drained page requests with memory_lock
 *      held for write while a worker could wait for it (step 1), a
 *      deadlock that lockdep reports here even when the timing misses;
 *   3. page requests on the BAR mmap raced by resets for 3 s, each reset
 *      and page request bounded by a watchdog (a deadlock fails the test
 *      instead of hanging it until the VM's timeout);
 *   4. closing the device with the bond live resets it with its PASID
 *      attached (fenced, put back) before the bond is dropped.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmtest.h"
#include "mock.h"

/* Where mock-iommu.conf puts the device: the only bus behind a port. */
#define ATS_DEVICE "0000:01:00.0"
#define WATCHDOG_S 60

static atomic_long progress;

/* Fails the test, loudly, when the resets and page requests stop moving. */
static void *watchdog(void *arg)
{
	long seen = -1;

	(void)arg;
	for (;;) {
		sleep(WATCHDOG_S);
		if (atomic_load(&progress) == seen) {
			/*
			 * The kernel log too: a thread stuck in the kernel
			 * keeps this process, and its output, from ending.
			 */
			vt_write_file("/dev/kmsg",
				      "mock_svm_reset: no reset or page request returned in 60 s: deadlock\n");
			printf("  FAILED: no reset or page request returned in %d s: deadlock\n",
			       WATCHDOG_S);
			printf("  mock_svm_reset: failed\n");
			fflush(stdout);
			_exit(1);
		}
		seen = atomic_load(&progress);
	}
	return NULL;
}

static int region(int fd, uint32_t index, struct vfio_region_info *ri)
{
	*ri = (struct vfio_region_info){ .argsz = sizeof(*ri), .index = index };
	return ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, ri) ? -errno : 0;
}

/* Memory space on, bus mastering off: the mock must see no DMA. */
static void memory_on(int fd)
{
	struct vfio_region_info cfg;
	uint16_t cmd = 0;

	CHECK_RET(region(fd, VFIO_PCI_CONFIG_REGION_INDEX, &cfg), 0);
	CHECK(pread(fd, &cmd, 2, (off_t)cfg.offset + 4) == 2, "command read");
	cmd = (uint16_t)((cmd | 0x2) & ~0x4);
	CHECK(pwrite(fd, &cmd, 2, (off_t)cfg.offset + 4) == 2, "command write");
}

/* The largest mmap-able memory BAR, mapped; NULL if none. */
static char *map_bar(int fd, size_t *len)
{
	struct vfio_region_info ri, best = { .size = 0 };
	uint32_t i;
	void *p;

	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; i++)
		if (!region(fd, i, &ri) && (ri.flags & VFIO_REGION_INFO_FLAG_MMAP) &&
		    ri.size >= 4096 && ri.size > best.size)
			best = ri;
	if (!best.size)
		return NULL;
	*len = best.size;
	p = mmap(NULL, best.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)best.offset);
	return p == MAP_FAILED ? NULL : p;
}

static void reset_fences_pasid(int fd, const char *bdf, uint32_t pasid)
{
	char detach[96], attach[96];
	int anon = 0;

	vt_write_file(MOCK "events", "clear");
	snprintf(detach, sizeof(detach), "pasid-detach %s pasid %u", bdf, pasid);
	snprintf(attach, sizeof(attach), "pasid-attach %s pasid %u", bdf, pasid);
	CHECK(ioctl(fd, VFIO_DEVICE_RESET) == 0, "VFIO_DEVICE_RESET: %s", strerror(errno));
	atomic_fetch_add(&progress, 1);
	CHECK(mock_count_events(detach) == 1, "the reset did not fence PASID %u", pasid);
	CHECK(mock_count_events(attach) == 1, "the reset did not put PASID %u back", pasid);
	CHECK(pasid_attached(bdf, pasid) == 1, "PASID %u is gone after the reset", pasid);
	CHECK(mock_answered(mock_fault(bdf, pasid, (uintptr_t)&anon, "w", 2), "success"),
	      "the bond serves no page request after the reset");
}

struct storm {
	const char *bdf;
	uint32_t pasid;
	char *bar;
	size_t len;
	atomic_bool stop;
	atomic_int served, refused;
};

static void *bar_faults(void *arg)
{
	struct storm *st = arg;
	char req[128];
	size_t off = 0;

	while (!atomic_load(&st->stop)) {
		snprintf(req, sizeof(req), "%s %u %lx r 3", st->bdf, st->pasid,
			 (unsigned long)(uintptr_t)(st->bar + off));
		if (mock_write(MOCK "fault", req))
			atomic_fetch_add(&st->refused, 1);
		else
			atomic_fetch_add(&st->served, 1);
		atomic_fetch_add(&progress, 1);
		off = (off + 4096) % st->len;
	}
	return NULL;
}

static void faults_race_resets(int fd, struct storm *st)
{
	pthread_t t;
	time_t end = time(NULL) + 3;
	int resets = 0;

	CHECK(pthread_create(&t, NULL, bar_faults, st) == 0, "thread");
	while (time(NULL) < end) {
		CHECK(ioctl(fd, VFIO_DEVICE_RESET) == 0, "VFIO_DEVICE_RESET: %s",
		      strerror(errno));
		memory_on(fd);
		atomic_fetch_add(&progress, 1);
		resets++;
	}
	atomic_store(&st->stop, true);
	pthread_join(t, NULL);
	printf("  %d resets raced %d page requests on the BAR (%d refused while fenced)\n",
	       resets, st->served + st->refused, st->refused);
	CHECK(resets > 0 && st->served > 0, "the race never ran");
}

int main(void)
{
	const char *env = getenv("VFIOX_MOCK_ATS");
	const char *bdf = env && *env ? env : ATS_DEVICE;
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	struct storm st = { .bdf = bdf };
	char path[128], methods[128] = "";
	uint32_t pasid = 0;
	pthread_t dog;
	FILE *f;
	int fd;

	vt_init();
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset_method", bdf);
	f = fopen(path, "r");
	CHECK(f && fgets(methods, sizeof(methods), f), "cannot read %s", path);
	if (f)
		fclose(f);
	CHECK(strstr(methods, "flr") != NULL, "%s has no FLR: '%s'", bdf, methods);
	CHECK_RET(vt_open(bdf, &c, &g, &d), 0);
	if (vt_failures)
		return vt_done("mock_svm_reset");
	CHECK(pthread_create(&dog, NULL, watchdog, NULL) == 0, "watchdog");
	pthread_detach(dog);
	fd = vfiox_device_fd(d);
	CHECK_RET(vfiox_svm_bind(d, &pasid), 0);
	CHECK(pasid_attached(bdf, pasid) == 1, "the mock has no PASID %u", pasid);
	st.pasid = pasid;
	st.bar = map_bar(fd, &st.len);
	CHECK(st.bar != NULL, "no mmap-able BAR");
	if (vt_failures)
		return vt_done("mock_svm_reset");
	memory_on(fd);
	CHECK(mock_answered(mock_fault(bdf, pasid, (uintptr_t)st.bar, "r", 1), "success"),
	      "a page request on the device's own BAR was not served");
	reset_fences_pasid(fd, bdf, pasid);
	memory_on(fd);
	faults_race_resets(fd, &st);
	munmap(st.bar, st.len);

	vt_write_file(MOCK "events", "clear");
	vfiox_device_close(d);
	snprintf(path, sizeof(path), "pasid-detach %s pasid %u", bdf, pasid);
	printf("  close: %d PASID detaches\n", mock_count_events(path));
	CHECK(mock_count_events(path) == 2, "close did not fence, then drop, PASID %u", pasid);
	CHECK(pasid_attached(bdf, pasid) == 0, "closing left PASID %u attached", pasid);
	vfiox_container_close(c);
	return vt_done("mock_svm_reset");
}
