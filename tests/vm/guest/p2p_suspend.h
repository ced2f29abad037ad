/* SPDX-License-Identifier: MIT */
/*
 * Shared by the tests of the series' peer suspension (patches 15-16): a
 * peer (edu, container A) DMAs through A's type1 mapping of another
 * device's BAR, and the IOMMU must refuse it while that device's memory
 * does not answer. What the tests look at:
 *   - VT-d's fault log (QEMU's AMD-Vi model logs none: asserted on VT-d);
 *   - whether bytes arrive;
 *   - the test-only delays of kernel-patches/test/linux-7.2 (module
 *     parameters of vfio-pci-core), which hold a suspension window open
 *     long enough for the test to act inside it.
 */
#ifndef P2P_SUSPEND_H
#define P2P_SUSPEND_H

#include <dirent.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "vmtest.h"

#define PS_EDU_LIMIT 0xfffffffULL	/* edu's DMA engine reaches 28 bits */
#define PS_KNOBS "/sys/module/vfio_pci_core/parameters/"

/* Whether the IOMMU is VT-d (sysfs names its units dmar*). */
static inline int ps_iommu_is_vtd(void)
{
	DIR *d = opendir("/sys/class/iommu");
	struct dirent *e;
	int vtd = 0;

	while (d && (e = readdir(d)))
		vtd |= !strncmp(e->d_name, "dmar", 4);
	if (d)
		closedir(d);
	return vtd;
}

/* Kernel log lines of IOMMU faults at @iova (VT-d or AMD-Vi wording). */
static inline int ps_faults_at(uint64_t iova)
{
	char vtd[64], amd[64];

	snprintf(vtd, sizeof(vtd), "fault addr 0x%llx", (unsigned long long)iova);
	snprintf(amd, sizeof(amd), "address=0x%llx", (unsigned long long)iova);
	return vt_count_kmsg(vtd) + vt_count_kmsg(amd);
}

/* Prints the last @max kernel log lines holding @needle (diagnostics). */
static inline void ps_print_kmsg(const char *needle, int max)
{
	static char line[2048], last[8][256];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK), n = 0, i;
	ssize_t len;

	if (max > 8)
		max = 8;
	while (fd >= 0) {
		len = read(fd, line, sizeof(line) - 1);
		if (len < 0 && errno == EPIPE)
			continue;
		if (len <= 0)
			break;
		line[len] = '\0';
		if (strstr(line, needle)) {
			size_t keep = (size_t)len < sizeof(last[0]) - 1 ?
				      (size_t)len : sizeof(last[0]) - 1;

			memcpy(last[n % 8], line, keep);
			last[n++ % 8][keep] = '\0';
		}
	}
	if (fd >= 0)
		close(fd);
	for (i = n > max ? n - max : 0; i < n; i++)
		printf("  kmsg: %s", last[i % 8]);
}

/* Whether the test-only delay @knob exists (the series' test modules). */
static inline int ps_has_knob(const char *knob)
{
	char path[128];

	snprintf(path, sizeof(path), PS_KNOBS "%s", knob);
	return access(path, W_OK) == 0;
}

static inline void ps_set_knob(const char *knob, unsigned int ms)
{
	char path[128], val[16];

	snprintf(path, sizeof(path), PS_KNOBS "%s", knob);
	snprintf(val, sizeof(val), "%u", ms);
	vt_write_file(path, val);
}

/*
 * One operation on the BAR's owner run in a thread, so that the test can
 * act while it sleeps in a test-only delay: the operation returns its
 * result in @ret.
 */
struct ps_op {
	pthread_t thread;
	int (*fn)(void *arg);
	void *arg;
	int ret;
	int done;	/* set once fn returned */
};

static inline void *ps_op_main(void *p)
{
	struct ps_op *op = p;

	op->ret = op->fn(op->arg);
	__atomic_store_n(&op->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Whether the operation has returned yet. */
static inline int ps_op_done(struct ps_op *op)
{
	return __atomic_load_n(&op->done, __ATOMIC_SEQ_CST);
}

static inline int ps_op_start(struct ps_op *op, int (*fn)(void *), void *arg)
{
	op->fn = fn;
	op->arg = arg;
	op->ret = -EINPROGRESS;
	op->done = 0;
	return -pthread_create(&op->thread, NULL, ps_op_main, op);
}

static inline int ps_op_wait(struct ps_op *op)
{
	pthread_join(op->thread, NULL);
	return op->ret;
}

/*
 * A config space write to an open device, past libvfiox (which is not
 * asked to be used from two threads on one device here): 0 or -errno.
 */
static inline int ps_config_write(struct vfiox_device *d, uint32_t off,
				  const void *val, size_t len)
{
	struct vfiox_region_info ri = { .sz = sizeof(ri) };
	ssize_t n;

	if (vfiox_device_region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &ri))
		return -EIO;
	n = pwrite(vfiox_device_fd(d), val, len, ri.offset + off);
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

static inline int ps_config_read(struct vfiox_device *d, uint32_t off,
				 void *val, size_t len)
{
	struct vfiox_region_info ri = { .sz = sizeof(ri) };
	ssize_t n;

	if (vfiox_device_region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &ri))
		return -EIO;
	n = pread(vfiox_device_fd(d), val, len, ri.offset + off);
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

/* Sets or clears Memory Space Enable of @d by a raw config write. */
static inline int ps_set_mse(struct vfiox_device *d, int on)
{
	uint16_t cmd;
	int ret = ps_config_read(d, PCI_COMMAND, &cmd, sizeof(cmd));

	if (ret)
		return ret;
	cmd = on ? cmd | PCI_COMMAND_MEMORY : cmd & ~PCI_COMMAND_MEMORY;
	return ps_config_write(d, PCI_COMMAND, &cmd, sizeof(cmd));
}

/*
 * VT-d's fault handler logs under a rate limit (10 per 5 s, two taken per
 * fault): after 5 s without a fault, the next one is logged. Called before
 * a fault is wanted, outside any window held open by a delay.
 */
static inline void ps_fault_quiet(void)
{
	if (ps_iommu_is_vtd())
		sleep(5);
}

/*
 * Whether the IOMMU took an entry out: edu's DMA at @iova (done by @dma)
 * faulted, on VT-d. Elsewhere nothing is asserted. @expect 1: a fault is
 * wanted; 0: none is.
 */
static inline void ps_check_fault(uint64_t iova, int (*dma)(void *), void *arg,
				  int expect, const char *what)
{
	int before = ps_faults_at(iova), after;

	CHECK_RET(dma(arg), 0);
	usleep(100 * 1000);	/* the fault interrupt and its log line */
	after = ps_faults_at(iova);
	printf("  %s: %d IOMMU fault line(s) for IOVA 0x%llx\n", what,
	       after - before, (unsigned long long)iova);
	if (!ps_iommu_is_vtd())
		printf("  not VT-d: this IOMMU model logs no fault, none asserted\n");
	else if (expect)
		CHECK(after > before, "%s: edu's DMA faulted in the IOMMU", what);
	else
		CHECK(after == before, "%s: edu's DMA did not fault", what);
}

/*
 * edu reads PS_READ_LEN bytes of a peer's BAR through A's mapping at
 * @bar_iova: into its own buffer, poisoned first, then out to @ram. If the
 * read from the BAR faults, @ram receives the poison.
 */
#define PS_READ_LEN 32
#define PS_EDU_BUF 0x40000	/* edu's buffer in its DMA address space */

struct ps_reader {
	struct vt_edu edu;
	uint8_t *ram;		/* PS_READ_LEN bytes, DMA-mapped at ram_iova */
	uint64_t ram_iova, bar_iova;
};

static inline int ps_edu_read(void *arg)
{
	struct ps_reader *r = arg;
	int ret;

	memset(r->ram, 0xa5, PS_READ_LEN);
	ret = vt_edu_dma(&r->edu, r->ram_iova, PS_EDU_BUF, PS_READ_LEN, 0);
	if (!ret)
		ret = vt_edu_dma(&r->edu, r->bar_iova, PS_EDU_BUF, PS_READ_LEN, 0);
	if (!ret)
		ret = vt_edu_dma(&r->edu, PS_EDU_BUF, r->ram_iova, PS_READ_LEN,
				 VT_EDU_TO_RAM);
	return ret;
}

/*
 * Whether what edu read is what the CPU reads at @bar, the BAR's mmap (in
 * 32-bit loads, as the device's registers answer them to edu too).
 */
static inline int ps_edu_read_landed(struct ps_reader *r, const volatile void *bar)
{
	const volatile uint32_t *regs = bar;
	uint32_t got;
	int i;

	for (i = 0; i < PS_READ_LEN / 4; i++) {
		memcpy(&got, r->ram + 4 * i, 4);
		if (got != regs[i]) {
			printf("  register %d: edu read 0x%08x, the CPU 0x%08x\n", i,
			       got, regs[i]);
			return 0;
		}
	}
	return 1;
}

#endif
