// SPDX-License-Identifier: MIT
/* The contended halves of the DMA lock (lock.h). */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lock.h"

/*
 * Mark the lock contended and sleep until it is free, then take it still
 * marked contended: another waiter may be asleep, and only the mark makes
 * the unlocker wake it.
 */
void vfiox_lock_wait(struct vfiox_lock *l, int seen)
{
	if (seen != 2)
		seen = __atomic_exchange_n(&l->state, 2, __ATOMIC_ACQUIRE);
	while (seen) {
		/* Returns at once if the state is no longer 2; EINTR is a retry. */
		syscall(SYS_futex, &l->state, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
		seen = __atomic_exchange_n(&l->state, 2, __ATOMIC_ACQUIRE);
	}
}

void vfiox_lock_wake(struct vfiox_lock *l)
{
	syscall(SYS_futex, &l->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
