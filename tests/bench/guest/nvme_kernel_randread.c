// SPDX-License-Identifier: MIT
/*
 * The kernel's side of the NVMe comparison: O_DIRECT 4 KiB random reads of
 * a block device at a fixed queue depth through io_uring, for a number of
 * seconds, then "nvme_kernel: N I/Os in S s: X IOPS". The ring is set up
 * with the raw system calls (the guest has no liburing), one submission
 * entry refilled per completion, so the depth stays where it was asked.
 *
 * Usage: nvme-kernel-randread DEVICE [SECONDS] [DEPTH]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define BS 4096

struct ring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int ring_setup(struct ring *r, unsigned int depth)
{
	struct io_uring_params p = { 0 };
	size_t sq_len, cq_len;
	uint8_t *sq, *cq;

	r->fd = (int)syscall(__NR_io_uring_setup, depth, &p);
	if (r->fd < 0)
		return -errno;
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP && cq_len > sq_len)
		sq_len = cq_len;
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		  r->fd, IORING_OFF_SQ_RING);
	cq = p.features & IORING_FEAT_SINGLE_MMAP ? sq :
	     mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		  r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		       IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -errno;
	r->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->cq_head = (unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Queues one read of a random block into buffer @slot. */
static void queue_read(struct ring *r, int dev, uint8_t *bufs, unsigned int slot,
		       uint64_t blocks, uint64_t *rng)
{
	unsigned int tail = *r->sq_tail, i = tail & *r->sq_mask;
	struct io_uring_sqe *e = &r->sqes[i];

	memset(e, 0, sizeof(*e));
	e->opcode = IORING_OP_READ;
	e->fd = dev;
	e->addr = (uint64_t)(uintptr_t)(bufs + (size_t)slot * BS);
	e->len = BS;
	e->off = (xorshift(rng) % blocks) * BS;
	e->user_data = slot;
	r->sq_array[i] = i;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
}

/* Reaps what completed, requeueing each slot while time is left. */
static int reap(struct ring *r, int dev, uint8_t *bufs, uint64_t blocks,
		uint64_t *rng, int refill, uint64_t *done, unsigned int *inflight)
{
	unsigned int head = *r->cq_head, queued = 0;
	struct io_uring_cqe *c;

	while (head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
		c = &r->cqes[head & *r->cq_mask];
		if (c->res != BS) {
			fprintf(stderr, "nvme_kernel: read failed: %s\n",
				strerror(c->res < 0 ? -c->res : EIO));
			return -EIO;
		}
		(*done)++;
		(*inflight)--;
		if (refill) {
			queue_read(r, dev, bufs, (unsigned int)c->user_data, blocks, rng);
			queued++;
			(*inflight)++;
		}
		head++;
	}
	__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
	return (int)queued;
}

int main(int argc, char **argv)
{
	unsigned int secs = argc > 2 ? (unsigned int)atoi(argv[2]) : 10;
	unsigned int depth = argc > 3 ? (unsigned int)atoi(argv[3]) : 32;
	uint64_t size, done = 0, rng = 0x2545f4914f6cdd1dull, t0, end;
	unsigned int i, inflight = 0;
	int dev, n, submit;
	struct ring r;
	uint8_t *bufs;

	dev = argc > 1 ? open(argv[1], O_RDONLY | O_DIRECT) : -1;
	if (dev < 0 || ioctl(dev, BLKGETSIZE64, &size) || size < BS ||
	    posix_memalign((void **)&bufs, BS, (size_t)depth * BS) ||
	    ring_setup(&r, depth)) {
		fprintf(stderr, "usage: nvme-kernel-randread DEVICE [SECONDS] [DEPTH]: %s\n",
			strerror(errno));
		return 1;
	}
	for (i = 0; i < depth; i++, inflight++)
		queue_read(&r, dev, bufs, i, size / BS, &rng);
	submit = (int)depth;
	t0 = now_ns();
	end = t0 + secs * 1000000000ull;
	while (inflight) {
		if (syscall(__NR_io_uring_enter, r.fd, submit, 1, IORING_ENTER_GETEVENTS,
			    NULL, 0) < 0 && errno != EINTR) {
			perror("nvme_kernel: io_uring_enter");
			return 1;
		}
		n = reap(&r, dev, bufs, size / BS, &rng, now_ns() < end, &done, &inflight);
		if (n < 0)
			return 1;
		submit = n;
	}
	printf("nvme_kernel: %llu I/Os in %.3f s: %.0f IOPS\n", (unsigned long long)done,
	       (double)(now_ns() - t0) / 1e9, (double)done * 1e9 / (double)(now_ns() - t0));
	return 0;
}
