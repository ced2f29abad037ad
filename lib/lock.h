/* SPDX-License-Identifier: MIT */
/*
 * The DMA lock: a futex mutex whose uncontended lock and unlock are one
 * atomic instruction each, inlined. Every map and unmap takes it, and in the
 * test bed (QEMU TCG) the two calls into libc per pthread lock and unlock,
 * with their returns, cost more than the rest of the lock (hot.h). Waiters
 * sleep in the kernel as with a pthread mutex; it is not recursive. The
 * futex calls are not VFIO calls and, like the pthread mutex's own, do
 * not go through the syscall seam (sys.h).
 *
 * state: 0 free, 1 held, 2 held and someone may be waiting. The acquire
 * and release orderings are what thread sanitizers see as the lock.
 */
#ifndef VFIOX_LOCK_H
#define VFIOX_LOCK_H

#include <stdbool.h>

struct vfiox_lock {
	int state;
};

#define VFIOX_LOCK_INIT { 0 }

void vfiox_lock_wait(struct vfiox_lock *l, int seen);
void vfiox_lock_wake(struct vfiox_lock *l);

static inline void vfiox_lock(struct vfiox_lock *l)
{
	int seen = 0;

	if (!__atomic_compare_exchange_n(&l->state, &seen, 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		vfiox_lock_wait(l, seen);
}

static inline void vfiox_unlock(struct vfiox_lock *l)
{
	if (__atomic_exchange_n(&l->state, 0, __ATOMIC_RELEASE) == 2)
		vfiox_lock_wake(l);
}

#endif
