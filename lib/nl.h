/* SPDX-License-Identifier: MIT */
/*
 * What the two netlink users, the event source (events.c) and the uevent
 * monitor (uevent.c), share about libnl. Include only with libnl.
 */
#ifndef VFIOX_NL_H
#define VFIOX_NL_H

#include <errno.h>
#include <netlink/errno.h>

/* A libnl error (negative NLE_*) as a negative errno. Inline: callers'
 * error paths then visibly never return 0. */
static inline int vfiox_nl_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_OBJ_NOTFOUND:
		return -EOPNOTSUPP;
	case NLE_AGAIN:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

#endif
