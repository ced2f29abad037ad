// SPDX-License-Identifier: MIT
/*
 * Concurrency stress against the fake kernel, run under TSan by the sanitize
 * suite:
 * - tests/stress.h: 4 threads, 256 buffers each, 200 rounds of
 *   map/translate/reverse/unmap with the books checked between rounds;
 * - a device released by the request thread while three threads use it
 *   (region access and mmap, IRQ set-up, DMA): every call returns success or
 *   -ENODEV, never another error or a call on someone else's fd.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sched.h>
#include <time.h>
#include <cmocka.h>

#include "fake_kernel.h"
#include "../stress.h"

static void threads_map_translate_unmap_and_agree(void **state)
{
	static struct stress s = { .threads = 4, .bufs = 256, .rounds = 200 };
	size_t len = (size_t)s.threads * s.bufs * STRESS_PAGE;
	struct vfiox_group *g;

	(void)state;
	fk_reset();
	fk_log_capture();
	assert_int_equal(fk_open_group7(&s.c, &g), 0);
	s.mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(s.mem != MAP_FAILED);
	if (stress_run(&s))
		fail_msg("%s", s.err);
	assert_true(vfiox_dma_unmap_all(s.c) >= 0);
	assert_int_equal(fk.nr_maps, 0);
	assert_true(fk_close_clean(s.c));
	munmap(s.mem, len);
}

struct user {
	struct vfiox_device *d;
	struct vfiox_container *c;
	uint8_t *buf;		/* one page for the DMA user */
	bool stop;		/* atomic */
	int bad;		/* atomic: the first unexpected result, or 0 */
	const char *what;
	unsigned long calls;	/* atomic: calls made, to see they overlap */
};

static void check(struct user *u, const char *what, int ret)
{
	int none = 0;

	__atomic_add_fetch(&u->calls, 1, __ATOMIC_RELAXED);
	if (ret && ret != -ENODEV &&
	    __atomic_compare_exchange_n(&u->bad, &none, ret, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		u->what = what;
}

static bool stopped(struct user *u)
{
	return __atomic_load_n(&u->stop, __ATOMIC_ACQUIRE);
}

static void *use_regions(void *arg)
{
	struct user *u = arg;
	uint8_t b = 0;
	void *bar;
	int ret;

	while (!stopped(u)) {
		check(u, "region read", vfiox_region_read(u->d, VFIO_PCI_CONFIG_REGION_INDEX,
							  0, &b, 1));
		check(u, "region write", vfiox_region_write(u->d, VFIO_PCI_CONFIG_REGION_INDEX,
							    4, &b, 1));
		ret = vfiox_region_mmap(u->d, 0, &bar);
		check(u, "region mmap", ret);
		if (!ret)	/* mapped, then maybe replaced: ours to unmap */
			check(u, "region munmap", vfiox_region_munmap(u->d, 0));
	}
	return NULL;
}

static void *use_irqs(void *arg)
{
	struct user *u = arg;
	int efd;

	while (!stopped(u)) {
		check(u, "irq enable",
		      vfiox_irq_enable(u->d, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &efd));
		check(u, "irq unmask", vfiox_irq_unmask(u->d, VFIO_PCI_INTX_IRQ_INDEX, 0));
		check(u, "irq disable", vfiox_irq_disable(u->d, VFIO_PCI_INTX_IRQ_INDEX));
	}
	return NULL;
}

/* DMA belongs to the container: a released device must not disturb it. */
static void *use_dma(void *arg)
{
	struct user *u = arg;
	uint64_t iova;
	int ret;

	while (!stopped(u)) {
		ret = vfiox_dma_map(u->c, u->buf, STRESS_PAGE, NULL, &iova);
		check(u, "dma map", ret == -ENODEV ? -EIO : ret);
		if (!ret)
			check(u, "dma unmap", vfiox_dma_unmap_iova(u->c, iova, STRESS_PAGE));
	}
	return NULL;
}

static void release_while_threads_use_the_device(void **state)
{
	void *(*const fn[])(void *) = { use_regions, use_irqs, use_dma };
	struct timespec pause = { 0, 0 };
	struct vfiox_container *c;
	struct vfiox_group *g;
	pthread_t tid[3];
	int round, t;

	(void)state;
	fk_reset();
	fk_log_capture();
	assert_int_equal(fk_open_group7(&c, &g), 0);
	for (round = 0; round < 40; round++) {
		struct user u = { .c = c };

		u.buf = mmap(NULL, STRESS_PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(u.buf != MAP_FAILED);
		assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &u.d), 0);
		for (t = 0; t < 3; t++)
			assert_int_equal(pthread_create(&tid[t], NULL, fn[t], &u), 0);
		/* Release once all three are busy, at a different point of
		 * their loops each round. */
		while (__atomic_load_n(&u.calls, __ATOMIC_RELAXED) < 30)
			sched_yield();
		pause.tv_nsec = 20000L * round;
		nanosleep(&pause, NULL);
		fk_signal(u.d->req_fd);
		assert_true(fk_released_fully(u.d));
		nanosleep(&pause, NULL);	/* let them run on the dead device */
		__atomic_store_n(&u.stop, true, __ATOMIC_RELEASE);
		for (t = 0; t < 3; t++)
			pthread_join(tid[t], NULL);
		if (u.bad)
			fail_msg("round %d: %s returned %d", round, u.what, u.bad);
		vfiox_device_close(u.d);
		assert_int_equal(fk.live_mmaps, 0);
		assert_int_equal(fk.nr_maps, 0);
		/* container, group, the request thread's wake-up and dead file */
		assert_int_equal(fk_open_fds(), 4);
		munmap(u.buf, STRESS_PAGE);
	}
	assert_true(fk_close_clean(c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(threads_map_translate_unmap_and_agree),
		cmocka_unit_test(release_while_threads_use_the_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
