// SPDX-License-Identifier: MIT
/*
 * The DMA lock (lib/lock.h): a waiter marks the lock contended and sleeps,
 * the unlock wakes it, and under real contention no increment is lost.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "../../lib/lock.h"

struct shared {
	struct vfiox_lock lock;
	long counter;
	int rounds;
};

static void *add_rounds(void *arg)
{
	struct shared *s = arg;
	int i;

	for (i = 0; i < s->rounds; i++) {
		vfiox_lock(&s->lock);
		s->counter++;
		vfiox_unlock(&s->lock);
	}
	return NULL;
}

static int state_of(struct vfiox_lock *l)
{
	return __atomic_load_n(&l->state, __ATOMIC_ACQUIRE);
}

static void uncontended_lock_and_unlock_leave_it_free(void **state)
{
	struct vfiox_lock l = VFIOX_LOCK_INIT;

	(void)state;
	vfiox_lock(&l);
	assert_int_equal(state_of(&l), 1);
	vfiox_unlock(&l);
	assert_int_equal(state_of(&l), 0);
}

/* Wait at most about 5 s for @l to reach @want; the test must not hang. */
static int wait_for_state(struct vfiox_lock *l, int want)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < 5000 && state_of(l) != want; i++)
		nanosleep(&ms, NULL);
	return state_of(l);
}

/* A lost wake-up fails the test instead of hanging it. */
static int join_within_5s(pthread_t t)
{
	struct timespec at;

	clock_gettime(CLOCK_REALTIME, &at);
	at.tv_sec += 5;
	return pthread_timedjoin_np(t, NULL, &at);
}

static void a_waiter_sleeps_until_the_unlock_wakes_it(void **state)
{
	struct shared s = { VFIOX_LOCK_INIT, 0, 1 };
	pthread_t t;

	(void)state;
	vfiox_lock(&s.lock);
	assert_int_equal(pthread_create(&t, NULL, add_rounds, &s), 0);
	/* The waiter marks the lock contended before it sleeps. */
	assert_int_equal(wait_for_state(&s.lock, 2), 2);
	assert_int_equal(s.counter, 0);
	vfiox_unlock(&s.lock);
	assert_int_equal(join_within_5s(t), 0);
	assert_int_equal(s.counter, 1);
	assert_int_equal(state_of(&s.lock), 0);
}

static void four_threads_lose_no_increment(void **state)
{
	struct shared s = { VFIOX_LOCK_INIT, 0, 200000 };
	pthread_t t[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, add_rounds, &s), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(s.counter, 4L * s.rounds);
	assert_int_equal(state_of(&s.lock), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uncontended_lock_and_unlock_leave_it_free),
		cmocka_unit_test(a_waiter_sleeps_until_the_unlock_wakes_it),
		cmocka_unit_test(four_threads_lose_no_increment),
	};

	return cmocka_run_group_tests_name("lock", tests, NULL, NULL);
}
