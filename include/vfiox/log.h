/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_LOG_H
#define VFIOX_LOG_H

#include <vfiox/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef VFIOX_API
#define VFIOX_API __attribute__((visibility("default")))
#endif

/*
 * Errors say why a call failed; warnings, that something is wrong although
 * the call went on (a kernel that disagrees with libvfiox, lost events);
 * information, a routine lifecycle event a caller may want to see (the
 * kernel took a device back, dropped a closed container's mappings, revoked
 * a P2P mapping); debug, what libvfiox skipped and why.
 */
enum vfiox_log_level {
	VFIOX_LOG_ERR = 0,
	VFIOX_LOG_WARN = 1,
	VFIOX_LOG_INFO = 2,
	VFIOX_LOG_DEBUG = 3,
};

/**
 * typedef vfiox_log_fn - receives one formatted message, without newline.
 * @level: severity of the message
 * @msg: the message, valid only during the call
 * @user: the pointer given to vfiox_set_log()
 */
typedef void (*vfiox_log_fn)(enum vfiox_log_level level, const char *msg,
			     void *user);

/**
 * vfiox_set_log() - route libvfiox diagnostics.
 * @fn: callback, or NULL for the default (stderr)
 * @max_level: messages above this level are dropped
 * @user: passed back to @fn
 *
 * The default writes warnings and errors to stderr and nothing else. This is
 * the library's only global state; set it before other threads use libvfiox.
 * @fn may be called from any thread, libvfiox's request thread included
 * (docs/threads.md).
 */
VFIOX_API void vfiox_set_log(vfiox_log_fn fn, enum vfiox_log_level max_level,
			     void *user);

#ifdef __cplusplus
}
#endif
#endif
