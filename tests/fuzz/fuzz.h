/* SPDX-License-Identifier: MIT */
/* Shared by the libFuzzer targets: quiet logging, bounded copies. */
#ifndef VFIOX_FUZZ_H
#define VFIOX_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <vfiox.h>

static void fuzz_quiet(enum vfiox_log_level level, const char *msg, void *user)
{
	(void)level;
	(void)msg;
	(void)user;
}

/* Route the library's log lines nowhere; formatting them still runs. */
static inline void fuzz_init(void)
{
	vfiox_set_log(fuzz_quiet, VFIOX_LOG_DEBUG, NULL);
}

/* Read every byte of [p, p + len): ASan flags any that are out of bounds. */
static inline unsigned int fuzz_touch(const void *p, size_t len)
{
	const volatile uint8_t *b = p;
	unsigned int sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += b[i];
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#endif
