// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The library's only global state, as documented in vfiox/log.h. */
static vfiox_log_fn log_fn;
static enum vfiox_log_level log_max = VFIOX_LOG_WARN;
static void *log_user;

VFIOX_API void vfiox_set_log(vfiox_log_fn fn, enum vfiox_log_level max_level,
			     void *user)
{
	log_fn = fn;
	log_max = max_level;
	log_user = user;
}

void vfiox_log(enum vfiox_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_fn)
		log_fn(level, msg, log_user);
	else
		fprintf(stderr, "libvfiox: %s\n", msg);
}

const char *vfiox_errstr(int neg_errno, char *buf, size_t len)
{
	/* GNU strerror_r may return a static string instead of filling buf. */
	return strerror_r(-neg_errno, buf, len);
}
