// SPDX-License-Identifier: MIT
/*
 * Driving and reading the test-only mock IOMMU (kernel-patches/test/
 * mock-iommu) through its debugfs files, for the mock_* guest tests.
 */
#ifndef VFIOX_VMTEST_MOCK_H
#define VFIOX_VMTEST_MOCK_H

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "vmtest.h"

/* A page request without a PASID, for mock_fault(). */
#define MOCK_RID (-1)

#define MOCK "/sys/kernel/debug/vfiox-mock-iommu/"

/* Whether the mock's file @name has a line containing @needle. */
static int mock_has(const char *name, const char *needle)
{
	char line[256];
	FILE *f = fopen(name, "r");
	int found = 0;

	if (!f) {
		printf("  cannot read %s: %s\n", name, strerror(errno));
		return -1;
	}
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* The number the last line of the mock's file @name matching @fmt gives. */
static int last_number(const char *name, const char *fmt)
{
	char line[256];
	FILE *f = fopen(name, "r");
	int found = -1, n;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &n) == 1)
			found = n;
	fclose(f);
	return found;
}

/* The paging domain the mock last attached @bdf to, or -1. */
static int domain_of(const char *bdf)
{
	char fmt[64];

	snprintf(fmt, sizeof(fmt), "attach %s domain %%d", bdf);
	return last_number(MOCK "events", fmt);
}

/* The domain the mock shows @pasid of @bdf attached to, or -1. */
static int pasid_domain(const char *bdf, uint32_t pasid)
{
	char fmt[64];

	snprintf(fmt, sizeof(fmt), "%s %u domain %%d", bdf, pasid);
	return last_number(MOCK "pasids", fmt);
}

static int pasid_attached(const char *bdf, uint32_t pasid)
{
	char needle[64];

	snprintf(needle, sizeof(needle), "%s %u domain", bdf, pasid);
	return mock_has(MOCK "pasids", needle);
}

/* Lines of the mock's event log that contain @needle; -1 if unreadable. */
static int mock_count_events(const char *needle)
{
	char line[256];
	FILE *f = fopen(MOCK "events", "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* Writes @text to the mock's file @name: 0 or -errno. */
static int mock_write(const char *name, const char *text)
{
	int fd = open(name, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Sends a page request from @bdf under @pasid (MOCK_RID: none) and returns
 * the mock's answer ("success", "invalid", "failure") or NULL.
 */
static const char *mock_fault(const char *bdf, int64_t pasid, uint64_t addr,
			      const char *perm, unsigned int grpid)
{
	static const char *const answers[] = { "success", "invalid", "failure" };
	char req[128], needle[96], tag[16];
	unsigned int i, tries;
	int err;

	if (pasid == MOCK_RID)
		snprintf(tag, sizeof(tag), "-");
	else
		snprintf(tag, sizeof(tag), "%u", (unsigned int)pasid);
	err = mock_write(MOCK "events", "clear");
	if (err) {
		printf("  cannot clear the mock's events: %s\n", strerror(-err));
		return NULL;
	}
	snprintf(req, sizeof(req), "%s %s %llx %s %u", bdf, tag,
		 (unsigned long long)addr, perm, grpid);
	err = mock_write(MOCK "fault", req);
	if (err) {
		printf("  page request '%s' not taken: %s\n", req, strerror(-err));
		return NULL;
	}
	/*
	 * A response to a request without a PASID says PASID 0. Type1 answers
	 * from a workqueue of its own, after the write returned: wait 10 s.
	 */
	for (tries = 0; tries < 1000; tries++) {
		for (i = 0; i < 3; i++) {
			snprintf(needle, sizeof(needle),
				 "response %s pasid %u grpid %u %s", bdf,
				 pasid == MOCK_RID ? 0 : (unsigned int)pasid,
				 grpid, answers[i]);
			if (mock_has(MOCK "events", needle) == 1)
				return answers[i];
		}
		usleep(10000);
	}
	return NULL;
}

/*
 * Walks the mock's mappings of domain @dom within [@iova, +@len): returns
 * how many pages are mapped there; *@pa gets the physical address @iova
 * maps to (-1: none).
 */
static long mock_mapped(int dom, uint64_t iova, uint64_t len, int64_t *pa)
{
	unsigned long long first, last, base;
	char line[160], prot[8];
	FILE *f = fopen(MOCK "mappings", "r");
	long pages = 0;
	int d;

	if (pa)
		*pa = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "domain %d %llx-%llx pa %llx %7s", &d, &first,
			   &last, &base, prot) != 5 || d != dom)
			continue;
		if (pa && iova >= first && iova <= last)
			*pa = (int64_t)(base + (iova - first));
		if (last >= iova && first < iova + len) {
			uint64_t lo = first > iova ? first : iova;
			uint64_t hi = last < iova + len - 1 ? last : iova + len - 1;

			pages += (long)((hi - lo + 1) / 4096);
		}
	}
	fclose(f);
	return pages;
}

static int mock_answered(const char *answer, const char *want)
{
	return answer && !strcmp(answer, want);
}

#endif
