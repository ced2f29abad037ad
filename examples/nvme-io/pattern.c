// SPDX-License-Identifier: MIT
/*
 * nvme-io: the data `verify` writes. Every 8-byte word of an LBA is a
 * function of the seed, the LBA and the word's place in it, so any block
 * can be checked on its own, in any order, on the device or (with
 * --check-image) in the disk image file an emulator wrote, and a block
 * written to the wrong LBA, a stale block and a torn one all differ.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvme.h"

/* A well-mixed 64-bit value from @x (the splitmix64 finaliser's shape). */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	x ^= x >> 33;
	return x;
}

static uint64_t word_of(uint64_t seed, uint64_t lba, uint64_t i)
{
	return mix(seed ^ mix(lba + 1) ^ (i << 48 | i));
}

void pattern_fill(void *buf, uint64_t lba, unsigned int nlb,
		  unsigned int lba_size, uint64_t seed)
{
	uint64_t *w = buf;
	unsigned int b, i, words = lba_size / 8;

	for (b = 0; b < nlb; b++)
		for (i = 0; i < words; i++)
			*w++ = word_of(seed, lba + b, i);
}

/*
 * Return: the number of the @nlb LBAs in @buf that differ from the
 * pattern; *@first_bad receives the first of them.
 */
unsigned int pattern_check(const void *buf, uint64_t lba, unsigned int nlb,
			   unsigned int lba_size, uint64_t seed,
			   uint64_t *first_bad)
{
	const uint64_t *w = buf;
	unsigned int b, i, words = lba_size / 8, bad = 0;

	for (b = 0; b < nlb; b++, w += words) {
		for (i = 0; i < words; i++)
			if (w[i] != word_of(seed, lba + b, i))
				break;
		if (i < words && !bad++)
			*first_bad = lba + b;
	}
	return bad;
}

/*
 * Checks LBAs [@start, @start + @count) of a raw disk image; @count 0
 * checks to the end of the file.
 * Return: the number of mismatched LBAs; -ENODATA when the image ends
 * before the range does (or holds none of it), another negative errno
 * when it cannot be read.
 */
int pattern_check_image(const char *path, uint64_t start, uint64_t count,
			unsigned int lba_size, uint64_t seed)
{
	uint64_t lba, at, first = 0, bad = 0, end = count ? start + count : UINT64_MAX;
	void *buf = malloc(lba_size);
	int fd = open(path, O_RDONLY);
	ssize_t got = 0;

	if (fd < 0 || !buf) {
		fprintf(stderr, "nvme-io: %s: %s\n", path, strerror(fd < 0 ? errno : ENOMEM));
		free(buf);
		return fd < 0 ? -errno : -ENOMEM;
	}
	for (lba = start; lba < end; lba++) {
		got = pread(fd, buf, lba_size, (off_t)(lba * lba_size));
		if (got != (ssize_t)lba_size)
			break;
		if (pattern_check(buf, lba, 1, lba_size, seed, &at) && !bad++)
			first = lba;
	}
	close(fd);
	free(buf);
	if (lba == start) {
		fprintf(stderr, "nvme-io: %s has no LBA %llu to check\n", path,
			(unsigned long long)start);
		return -ENODATA;
	}
	if (count && lba < end) {
		fprintf(stderr, "nvme-io: %s ends at LBA %llu, before LBA %llu\n",
			path, (unsigned long long)lba, (unsigned long long)end);
		return -ENODATA;
	}
	printf("nvme-io: %s: %llu LBAs checked from LBA %llu, %llu mismatches",
	       path, (unsigned long long)(lba - start), (unsigned long long)start,
	       (unsigned long long)bad);
	if (bad)
		printf(" (first at LBA %llu)", (unsigned long long)first);
	printf("\n");
	return bad > 0x7fffffff ? 0x7fffffff : (int)bad;
}
