// SPDX-License-Identifier: MIT
/*
 * Open and close a container, its group and a device 10,000 times against
 * the real kernel: the process's open fds and its RSS must come back to
 * where they were after a warm-up (RSS within 64 KiB: a leak of 8 bytes per
 * round would already be 80 KiB).
 */
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "vmtest.h"

#define ROUNDS 10000
#define WARMUP 200

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1;	/* the directory's own fd */
}

static long rss_kib(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = -1;
	if (f)
		fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int round_trip(const char *bdf)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	int ret = vt_open(bdf, &c, &g, &d);

	if (!ret)
		vfiox_container_close(c);
	return ret;
}

int main(void)
{
	const char *bdf = vt_env("VFIOX_EDU");
	struct timespec t0, t1;
	int i, fds, ret = 0;
	long rss;

	vt_init();
	for (i = 0; i < WARMUP && !ret; i++)
		ret = round_trip(bdf);
	fds = open_fds();
	rss = rss_kib();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < ROUNDS && !ret; i++)
		ret = round_trip(bdf);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(ret == 0, "round %d failed: %s", i, strerror(-ret));
	printf("  %d rounds in %.1f s; fds %d -> %d, RSS %ld -> %ld KiB\n", i,
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       fds, open_fds(), rss, rss_kib());
	CHECK(open_fds() == fds, "fds %d -> %d", fds, open_fds());
	CHECK(rss_kib() <= rss + 64, "RSS %ld -> %ld KiB", rss, rss_kib());
	return vt_done("open_close_10k");
}
