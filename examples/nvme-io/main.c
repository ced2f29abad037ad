// SPDX-License-Identifier: MIT
/*
 * nvme-io: a userspace NVMe driver on libvfiox, and a workload to measure
 * it. Brings the controller up (memory space and bus mastering, reset,
 * admin queues, Identify, I/O queue pairs, MSI-X when asked), runs the
 * workload the command line names and prints IOPS, MiB/s and latency
 * percentiles. Whatever happens (an NVMe error, a timeout, SIGINT or
 * SIGTERM) it deletes its I/O queues, disables the controller and exits
 * non-zero, leaving the device to the next user.
 *
 * Usage: nvme-io [BDF] [seq|rand] [read|write|verify] [options]
 *        nvme-io --check-image FILE [--lba-size N] [--start LBA] [--count N] [--seed N]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

#define MAX_QUEUES 64
#define MAX_BLOCK (2u << 20)	/* what one PRP list page can describe */

volatile sig_atomic_t nvme_stop;

struct args {
	struct workload w;
	const char *bdf;
	const char *vf_token;
	const char *image;
	unsigned int image_lba_size;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvme-io [BDF] [seq|rand] [read|write|verify] [options]\n"
		"  --bs BYTES        block size (default 4096)\n"
		"  --qd N            queue depth per queue pair (default 32)\n"
		"  --queues N        I/O queue pairs (default 1)\n"
		"  --poll | --irq    reap completions by polling (default) or on MSI-X\n"
		"  --per-io-map      heap buffers mapped per I/O instead of pool buffers\n"
		"  --start LBA       first LBA (default 0)\n"
		"  --count N         LBAs in the range (default: to the end)\n"
		"  --ios N           I/Os for read/write (default: one pass of the range)\n"
		"  --seconds N       read/write: stop after N seconds (then --ios is a cap)\n"
		"  --seed N          pattern seed for write/verify (default 1)\n"
		"  --nsid N          namespace (default 1)\n"
		"  --timeout-ms N    per-I/O timeout (default 10000)\n"
		"  --past-end        submit a range past the namespace end anyway\n"
		"  --vf-token UUID   the VF token its PF's owner set (BDF is a VF)\n"
		"  --check-image FILE [--lba-size N]  check the pattern in a disk image\n");
}

static int parse_word(struct args *a, const char *word)
{
	static const char *const ops[] = { "read", "write", "verify" };
	unsigned int i;

	for (i = 0; i < 3; i++)
		if (!strcmp(word, ops[i])) {
			a->w.op = (enum io_op)i;
			return 0;
		}
	if (!strcmp(word, "seq") || !strcmp(word, "rand")) {
		a->w.random = word[0] == 'r';
		return 0;
	}
	if (strchr(word, ':')) {
		a->bdf = word;
		return 0;
	}
	fprintf(stderr, "nvme-io: what is '%s'?\n", word);
	return -EINVAL;
}

static int parse_number(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "nvme-io: '%s' is not a number\n", s);
		return -EINVAL;
	}
	return 0;
}

static const struct option long_opts[] = {
	{ "bs", required_argument, NULL, 'b' },
	{ "qd", required_argument, NULL, 'q' },
	{ "queues", required_argument, NULL, 'Q' },
	{ "poll", no_argument, NULL, 'p' },
	{ "irq", no_argument, NULL, 'i' },
	{ "per-io-map", no_argument, NULL, 'm' },
	{ "start", required_argument, NULL, 's' },
	{ "count", required_argument, NULL, 'c' },
	{ "ios", required_argument, NULL, 'n' },
	{ "seconds", required_argument, NULL, 'T' },
	{ "seed", required_argument, NULL, 'S' },
	{ "nsid", required_argument, NULL, 'N' },
	{ "timeout-ms", required_argument, NULL, 't' },
	{ "past-end", no_argument, NULL, 'e' },
	{ "vf-token", required_argument, NULL, 'V' },
	{ "check-image", required_argument, NULL, 'C' },
	{ "lba-size", required_argument, NULL, 'L' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 }
};

static int set_option(struct args *a, int opt, uint64_t v)
{
	switch (opt) {
	case 'b': a->w.block_size = (unsigned int)v; break;
	case 'q': a->w.depth = (unsigned int)v; break;
	case 'Q': a->w.queues = (unsigned int)v; break;
	case 's': a->w.start = v; break;
	case 'c': a->w.count = v; break;
	case 'n': a->w.ios = v; break;
	case 'T': a->w.seconds = (unsigned int)v; break;
	case 'S': a->w.seed = v; break;
	case 'N': a->w.nsid = (uint32_t)v; break;
	case 't': a->w.timeout_ms = (unsigned int)v; break;
	case 'L': a->image_lba_size = (unsigned int)v; break;
	default: return -EINVAL;
	}
	return 0;
}

static int parse(struct args *a, int argc, char **argv)
{
	uint64_t v;
	int opt, ret = 0;

	*a = (struct args){ .bdf = "0000:00:04.0", .image_lba_size = 512,
			    .w = { .block_size = 4096, .depth = 32, .queues = 1,
				   .seed = 1, .nsid = 1, .timeout_ms = 10000 } };
	while (!ret && (opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'p': a->w.irq = 0; break;
		case 'i': a->w.irq = 1; break;
		case 'm': a->w.per_io_map = 1; break;
		case 'e': a->w.past_end = 1; break;
		case 'C': a->image = optarg; break;
		case 'V': a->vf_token = optarg; break;
		case 'h': usage(stdout); exit(0);
		case '?': ret = -EINVAL; break;
		default:
			ret = parse_number(optarg, &v);
			if (!ret)
				ret = set_option(a, opt, v);
		}
	}
	for (; !ret && optind < argc; optind++)
		ret = parse_word(a, argv[optind]);
	return ret;
}

/* What can be checked before the device is opened. */
static int check_args(const struct workload *w)
{
	const char *bad = NULL;

	if (!w->block_size || w->block_size % 512 || w->block_size > MAX_BLOCK)
		bad = "--bs must be a multiple of 512 up to 2 MiB";
	else if (!w->depth || w->depth > 4095)
		bad = "--qd must be 1 to 4095";
	else if (!w->queues || w->queues > MAX_QUEUES)
		bad = "--queues must be 1 to 64";
	else if (!w->timeout_ms)
		bad = "--timeout-ms must not be 0";
	if (bad)
		fprintf(stderr, "nvme-io: %s\n", bad);
	return bad ? -EINVAL : 0;
}

/* What needs the controller's and namespace's figures. */
static int check_against(const struct nvme_ctrl *n, const struct workload *w)
{
	unsigned int lba_size = 1u << n->lba_shift;
	uint64_t count = w->count ? w->count : n->nsze - (w->start < n->nsze ? w->start : n->nsze);

	if (w->block_size % lba_size) {
		fprintf(stderr, "nvme-io: --bs %u is not a multiple of the %u-byte LBA\n",
			w->block_size, lba_size);
		return -EINVAL;
	}
	if (n->max_transfer && w->block_size > n->max_transfer) {
		fprintf(stderr, "nvme-io: --bs %u is over the controller's maximum transfer of %u bytes\n",
			w->block_size, n->max_transfer);
		return -EINVAL;
	}
	if (!w->past_end && (w->start > n->nsze || count > n->nsze - w->start ||
			     count < w->block_size / lba_size)) {
		fprintf(stderr, "nvme-io: namespace %u too small: it has %llu LBAs, the range is LBA %llu + %llu in blocks of %u LBAs\n",
			w->nsid, (unsigned long long)n->nsze, (unsigned long long)w->start,
			(unsigned long long)count, w->block_size / lba_size);
		return -ERANGE;
	}
	return 0;
}

static void on_signal(int sig)
{
	nvme_stop = sig;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: a signal must wake a poll() for interrupts. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void print_setup(const struct args *a)
{
	static const char *const ops[] = { "read", "write", "verify" };

	printf("nvme-io: %s %s %s, %u bytes per I/O, %u queue pair%s at depth %u, %s, %s\n",
	       a->bdf, a->w.random ? "rand" : "seq", ops[a->w.op], a->w.block_size,
	       a->w.queues, a->w.queues > 1 ? "s" : "", a->w.depth,
	       a->w.irq ? "MSI-X" : "polled",
	       a->w.per_io_map ? "buffers mapped per I/O" : "pool buffers");
}

static int run(struct args *a)
{
	struct nvme_ctrl n;
	int ret;

	ret = nvme_open(&n, a->bdf, a->vf_token);
	if (ret)
		return ret;
	print_setup(a);
	ret = nvme_enable(&n);
	if (!ret)
		ret = nvme_identify(&n, a->w.nsid);
	if (!ret)
		ret = check_against(&n, &a->w);
	if (!ret)
		ret = nvme_create_io_queues(&n, a->w.queues, a->w.depth + 1, a->w.irq);
	if (!ret) {
		/* What a script waits for before it disturbs the I/O. */
		printf("nvme-io: %s: I/O queues created, I/O starts\n", a->bdf);
		ret = workload_run(&n, &a->w);
	}
	if (!nvme_close(&n) && (ret || nvme_stop))
		fprintf(stderr, "nvme-io: %s: I/O queues deleted, controller disabled\n", a->bdf);
	return ret;
}

int main(int argc, char **argv)
{
	struct args a;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse(&a, argc, argv)) {
		usage(stderr);
		return 2;
	}
	if (a.image)
		return pattern_check_image(a.image, a.w.start, a.w.count,
					   a.image_lba_size, a.w.seed) ? 1 : 0;
	if (check_args(&a.w))
		return 2;
	catch_signals();
	ret = run(&a);
	if (nvme_stop) {
		fprintf(stderr, "nvme-io: stopped by signal %d\n", (int)nvme_stop);
		return 128 + (int)nvme_stop;
	}
	return ret ? 1 : 0;
}
