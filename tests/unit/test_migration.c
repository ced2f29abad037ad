// SPDX-License-Identifier: MIT
/*
 * Device migration against the fake kernel, whose devices accept only one
 * arc per SET: every path libvfiox walks is visible, step by step.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"

#define ALL (VFIOX_MIG_FLAG_STOP_COPY | VFIOX_MIG_FLAG_P2P | VFIOX_MIG_FLAG_PRE_COPY)
#define STREAM FK_MIG_MAGIC "uart bytes: hello"

enum { E = VFIOX_MIG_ERROR, S = VFIOX_MIG_STOP, R = VFIOX_MIG_RUNNING,
       SC = VFIOX_MIG_STOP_COPY, RS = VFIOX_MIG_RESUMING, RP = VFIOX_MIG_RUNNING_P2P,
       PC = VFIOX_MIG_PRE_COPY, PP = VFIOX_MIG_PRE_COPY_P2P };

FK_GROUP7_FIXTURE

static struct fk_mig *mig;	/* the fake device's migration state */

/* Device 0 of group 7 can migrate with @flags, is in @state, is open. */
static struct vfiox_device *migratable(uint64_t flags, uint32_t state)
{
	struct vfiox_device *d;

	mig = &fk.groups[0].devs[0].mig;
	mig->flags = flags;
	mig->state = state;
	memcpy(mig->data, STREAM, sizeof(STREAM) - 1);
	mig->len = sizeof(STREAM) - 1;
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &d), 0);
	return d;
}

static void flags_and_state_are_the_kernels(void **state)
{
	struct vfiox_device *d = migratable(ALL, R);
	enum vfiox_mig_state st = VFIOX_MIG_ERROR;
	uint64_t flags = 0, size = 0;

	(void)state;
	assert_int_equal(vfiox_mig_flags(d, &flags), 0);
	assert_int_equal(flags, ALL);
	assert_int_equal(vfiox_mig_get_state(d, &st), 0);
	assert_int_equal(st, VFIOX_MIG_RUNNING);
	assert_int_equal(vfiox_mig_data_size(d, &size), 0);
	assert_int_equal(size, sizeof(STREAM) - 1);
	assert_string_equal(vfiox_mig_state_name(VFIOX_MIG_PRE_COPY_P2P), "PRE_COPY_P2P");
	assert_string_equal(vfiox_mig_state_name((enum vfiox_mig_state)8), "?");
	mig->no_data_size = true;
	assert_int_equal(vfiox_mig_data_size(d, &size), -ENOTSUP);
	assert_int_equal(vfiox_mig_flags(NULL, &flags), -EINVAL);
}

/* The flags are read once; a state change then costs its arcs and one
 * read of the state (RUNNING -> STOP_COPY with P2P: 3 arcs). */
static void flags_are_read_once(void **state)
{
	struct vfiox_device *d = migratable(ALL, R);
	unsigned long before;
	uint64_t flags;
	int fd;

	(void)state;
	assert_int_equal(vfiox_mig_flags(d, &flags), 0);
	mig->flags = 0;		/* the kernel never does this: not asked again */
	before = fk.calls;
	assert_int_equal(vfiox_mig_flags(d, &flags), 0);
	assert_int_equal(flags, ALL);
	assert_int_equal(fk.calls, before);
	mig->flags = ALL;
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_STOP_COPY, &fd), 0);
	assert_int_equal(fk.calls - before, 1 + 3);
	fake_sys.close(fd);
}

static void device_that_cannot_migrate_is_enotsup(void **state)
{
	struct vfiox_device *d = migratable(0, 0);
	enum vfiox_mig_state st;
	uint64_t flags;
	int fd = 5;

	(void)state;
	assert_int_equal(vfiox_mig_flags(d, &flags), -ENOTSUP);
	assert_true(fk_log_has("cannot migrate"));
	assert_int_equal(vfiox_mig_get_state(d, &st), -ENOTSUP);
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_STOP, &fd), -ENOTSUP);
	assert_int_equal(fd, -1);
}

struct walk { uint32_t from, to; uint32_t steps[5]; };

/*
 * The kernel's own combination transitions with every optional state (its
 * vfio_mig_get_next_state() comment), each as the states set in order, and
 * the single arcs.
 */
static const struct walk kernel_walks[] = {
	{ PC, SC, { PP, SC } }, { PC, RP, { R, RP } }, { PC, S, { R, RP, S } },
	{ PC, RS, { R, RP, S, RS } }, { PP, R, { RP, R } }, { PP, S, { RP, S } },
	{ PP, RS, { RP, S, RS } }, { RS, RP, { S, RP } }, { RS, PP, { S, RP, PP } },
	{ RS, R, { S, RP, R } }, { RS, PC, { S, RP, R, PC } }, { RS, SC, { S, SC } },
	{ R, PP, { RP, PP } }, { R, S, { RP, S } }, { R, RS, { RP, S, RS } },
	{ R, SC, { RP, S, SC } }, { RP, PC, { R, PC } }, { RP, RS, { S, RS } },
	{ RP, SC, { S, SC } }, { S, PP, { RP, PP } }, { S, R, { RP, R } },
	{ S, PC, { RP, R, PC } }, { SC, RS, { S, RS } }, { SC, RP, { S, RP } },
	{ SC, R, { S, RP, R } }, { R, PC, { PC } }, { PP, SC, { SC } },
	{ S, SC, { SC } }, { S, RS, { RS } }, { RS, S, { S } },
};

/* Without the optional states, and with only one of them. */
static const struct { uint64_t flags; struct walk w; } reduced_walks[] = {
	{ VFIOX_MIG_FLAG_STOP_COPY, { R, SC, { S, SC } } },
	{ VFIOX_MIG_FLAG_STOP_COPY, { RS, R, { S, R } } },
	{ VFIOX_MIG_FLAG_STOP_COPY, { SC, RS, { S, RS } } },
	{ VFIOX_MIG_FLAG_STOP_COPY | VFIOX_MIG_FLAG_PRE_COPY, { PC, SC, { SC } } },
	{ VFIOX_MIG_FLAG_STOP_COPY | VFIOX_MIG_FLAG_PRE_COPY, { PC, S, { R, S } } },
	{ VFIOX_MIG_FLAG_STOP_COPY | VFIOX_MIG_FLAG_PRE_COPY, { S, PC, { R, PC } } },
	{ VFIOX_MIG_FLAG_STOP_COPY | VFIOX_MIG_FLAG_P2P, { SC, R, { S, RP, R } } },
};

/* The device again, now with @flags: libvfiox reads a device's flags once,
 * as the kernel never changes them. */
static struct vfiox_device *reopened(struct vfiox_device *d, uint64_t flags)
{
	vfiox_device_close(d);
	mig->flags = flags;
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &d), 0);
	return d;
}

static void check_walk(struct vfiox_device **dp, uint64_t flags, const struct walk *w)
{
	int fd = -2, n = 0, ret;
	struct vfiox_device *d;
	uint32_t prev;
	bool opens;

	if (mig->flags != flags)
		*dp = reopened(*dp, flags);
	d = *dp;
	mig->state = w->from;
	mig->nr_steps = 0;
	mig->loaded_len = 4;
	memcpy(mig->loaded, FK_MIG_MAGIC, 4);	/* a RESUMING stream to load */
	ret = vfiox_mig_set_state(d, (enum vfiox_mig_state)w->to, &fd);
	while (n < 5 && w->steps[n])
		n++;
	if (ret || mig->nr_steps != n || memcmp(mig->steps, w->steps, n * 4))
		fail_msg("%s -> %s: returned %d after %d steps (wanted %d)",
			 vfiox_mig_state_name(w->from), vfiox_mig_state_name(w->to),
			 ret, mig->nr_steps, n);
	/* A data fd exactly when the last arc opens a session (uAPI list). */
	prev = n > 1 ? w->steps[n - 2] : w->from;
	opens = (prev == S && (w->to == SC || w->to == RS)) ||
		(prev == R && w->to == PC) || (prev == RP && w->to == PP);
	if ((fd >= 0) != opens)
		fail_msg("%s -> %s: data fd %d", vfiox_mig_state_name(w->from),
			 vfiox_mig_state_name(w->to), fd);
	if (fd >= 0)
		fake_sys.close(fd);
}

static void every_transition_walks_the_kernels_arcs(void **state)
{
	struct vfiox_device *d = migratable(ALL, R);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(kernel_walks) / sizeof(kernel_walks[0]); i++)
		check_walk(&d, ALL, &kernel_walks[i]);
	for (i = 0; i < sizeof(reduced_walks) / sizeof(reduced_walks[0]); i++)
		check_walk(&d, reduced_walks[i].flags, &reduced_walks[i].w);
}

static bool is_saving(uint32_t s)
{
	return s == SC || s == PC || s == PP;
}

/* The fewest arcs of the uAPI's list from @from to @to that pass through
 * no saving state unless both ends are saving ones; -1 if none. */
static int fewest_arcs(uint32_t from, uint32_t to, uint64_t flags)
{
	int dist[8], queue[8], head = 0, tail = 0, s, t;

	for (s = 0; s < 8; s++)
		dist[s] = -1;
	dist[from] = 0;
	queue[tail++] = (int)from;
	while (head < tail) {
		s = queue[head++];
		if (s != (int)from && is_saving((uint32_t)s) && !(is_saving(from) && is_saving(to)))
			continue;
		for (t = 1; t < 8; t++) {
			if (dist[t] < 0 && fk_mig_arc((uint32_t)s, (uint32_t)t, flags)) {
				dist[t] = dist[s] + 1;
				queue[tail++] = t;
			}
		}
	}
	return dist[to];
}

/*
 * Every pair of states of every flag set, not only the kernel comment's
 * examples: each arc is one the fake (the uAPI's list) takes, no saving
 * state is passed through on the way between non-saving ones, the walk
 * is as short as the list allows, and the data fd comes exactly when the
 * last arc opens a session.
 */
static void every_pair_of_every_flag_set_walks_a_shortest_legal_path(void **state)
{
	static const uint64_t sets[] = {
		VFIOX_MIG_FLAG_STOP_COPY,
		VFIOX_MIG_FLAG_STOP_COPY | VFIOX_MIG_FLAG_P2P,
		VFIOX_MIG_FLAG_STOP_COPY | VFIOX_MIG_FLAG_PRE_COPY,
		ALL,
	};
	struct vfiox_device *d = migratable(ALL, R);
	uint32_t from, to, prev;
	int fd, i, want, walks = 0;
	size_t f;

	(void)state;
	for (f = 0; f < sizeof(sets) / sizeof(sets[0]); f++) {
		d = reopened(d, sets[f]);
		for (from = S; from <= PP; from++) {
			for (to = S; to <= PP; to++) {
				want = fewest_arcs(from, to, sets[f]);
				if (from == to || want < 0 || (from == SC && (to == PC || to == PP)))
					continue;
				mig->state = from;
				mig->nr_steps = 0;
				mig->loaded_len = 4;
				memcpy(mig->loaded, FK_MIG_MAGIC, 4);
				fd = -2;
				if (vfiox_mig_set_state(d, (enum vfiox_mig_state)to, &fd) ||
				    mig->state != to || mig->nr_steps != want)
					fail_msg("flags 0x%llx, %s -> %s: %d steps, the list allows %d",
						 (unsigned long long)sets[f], vfiox_mig_state_name(from),
						 vfiox_mig_state_name(to), mig->nr_steps, want);
				for (i = 0; i + 1 < mig->nr_steps; i++)
					if (is_saving(mig->steps[i]) && !(is_saving(from) && is_saving(to)))
						fail_msg("%s -> %s passes through %s",
							 vfiox_mig_state_name(from), vfiox_mig_state_name(to),
							 vfiox_mig_state_name(mig->steps[i]));
				prev = want > 1 ? mig->steps[want - 2] : from;
				if ((fd >= 0) != ((prev == S && (to == SC || to == RS)) ||
						  (prev == R && to == PC) || (prev == RP && to == PP)))
					fail_msg("%s -> %s: data fd %d", vfiox_mig_state_name(from),
						 vfiox_mig_state_name(to), fd);
				if (fd >= 0)
					fake_sys.close(fd);
				walks++;
			}
		}
	}
	/* 4 states (3 walks from each) + P2P's 5 + PRE_COPY's 5 + all 7, less
	 * the forbidden STOP_COPY -> PRE_COPY(_P2P). */
	assert_int_equal(walks, 12 + 20 + 20 + 42 - 1 - 2);
}

static void forbidden_and_absent_targets_change_nothing(void **state)
{
	struct vfiox_device *d = migratable(VFIOX_MIG_FLAG_STOP_COPY, R);
	int fd;

	(void)state;
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_RUNNING_P2P, &fd), -EINVAL);
	assert_true(fk_log_has("no migration state RUNNING_P2P (5) on this device"));
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_PRE_COPY, &fd), -EINVAL);
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_ERROR, &fd), -EINVAL);
	assert_true(fk_log_has("ERROR cannot be asked for"));
	assert_int_equal(vfiox_mig_set_state(d, (enum vfiox_mig_state)42, &fd), -EINVAL);
	d = reopened(d, ALL);
	mig->state = SC;
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_PRE_COPY, &fd), -EINVAL);
	assert_true(fk_log_has("STOP_COPY -> PRE_COPY is not allowed"));
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_PRE_COPY_P2P, &fd), -EINVAL);
	assert_int_equal(mig->nr_steps, 0);
	assert_int_equal(mig->state, SC);
	assert_int_equal(fd, -1);
	/* Already there: nothing to set. */
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_STOP_COPY, &fd), 0);
	assert_int_equal(mig->nr_steps, 0);
	/* ERROR is never asked for, even by a device already in it. */
	mig->state = E;
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_ERROR, &fd), -EINVAL);
	assert_int_equal(mig->nr_steps, 0);
}

/* The uAPI says new states may come: one libvfiox does not know is named. */
static void unknown_kernel_state_is_eproto(void **state)
{
	struct vfiox_device *d = migratable(ALL, 9);
	enum vfiox_mig_state st = VFIOX_MIG_RUNNING;
	int fd;

	(void)state;
	assert_int_equal(vfiox_mig_get_state(d, &st), -EPROTO);
	assert_int_equal(st, VFIOX_MIG_RUNNING);
	assert_true(fk_log_has("the kernel reports migration state 9"));
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_STOP, &fd), -EPROTO);
	assert_int_equal(mig->nr_steps, 0);
	assert_int_equal(fd, -1);
}

static void failed_arc_is_named_with_the_state_left_in(void **state)
{
	struct vfiox_device *d = migratable(ALL, R);
	enum vfiox_mig_state st;
	int fd;

	(void)state;
	mig->fail_into = S;
	mig->fail_errno = EIO;
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_STOP_COPY, &fd), -EIO);
	assert_true(fk_log_has("migration arc RUNNING_P2P -> STOP (towards STOP_COPY) failed"));
	assert_true(fk_log_has("the device is in RUNNING_P2P"));
	assert_int_equal(fd, -1);
	/* Into ERROR: named, and only a reset leads out. */
	mig->fail_to_error = true;
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_STOP, &fd), -EIO);
	assert_true(fk_log_has("the device is in ERROR: reset it (vfiox_mig_reset)"));
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_RUNNING, &fd), -EINVAL);
	assert_true(fk_log_has("is in ERROR: reset it (vfiox_mig_reset) before moving it to RUNNING"));
	mig->fail_into = 0;
	assert_int_equal(vfiox_mig_reset(d), 0);
	assert_int_equal(vfiox_mig_get_state(d, &st), 0);
	assert_int_equal(st, VFIOX_MIG_RUNNING);
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_STOP_COPY, &fd), 0);
	assert_true(fd >= 0);
	fake_sys.close(fd);
}

static void saved_stream_resumes_a_second_device(void **state)
{
	struct vfiox_device *src = migratable(ALL, R), *dst;
	struct fk_device *fdst = &fk.groups[0].devs[1];
	uint8_t buf[FK_MIG_MAX];
	int sfd, dfd, before;
	ssize_t n, got = 0;

	(void)state;
	*fdst = fk.groups[0].devs[0];
	snprintf(fdst->name, sizeof(fdst->name), "0000:00:03.1");
	fdst->mig.len = 0;
	fk.groups[0].nr_devs = 2;
	assert_int_equal(vfiox_device_open(g, "0000:00:03.1", NULL, &dst), 0);
	assert_int_equal(vfiox_mig_set_state(src, VFIOX_MIG_STOP_COPY, &sfd), 0);
	while ((n = vfiox_mig_read(src, sfd, buf + got, 5)) > 0)
		got += n;	/* in small reads, to the end of the stream */
	assert_int_equal(n, 0);
	assert_int_equal(got, sizeof(STREAM) - 1);
	assert_int_equal(vfiox_mig_set_state(dst, VFIOX_MIG_RESUMING, &dfd), 0);
	assert_int_equal(vfiox_mig_write(dst, dfd, buf, (size_t)got), got);
	assert_int_equal(vfiox_mig_set_state(dst, VFIOX_MIG_RUNNING, NULL), 0);
	assert_int_equal(fdst->mig.state, R);
	assert_memory_equal(fdst->mig.data, STREAM, sizeof(STREAM) - 1);
	fake_sys.close(sfd);
	fake_sys.close(dfd);
	/* Without a data_fd pointer the opened fd is closed at once. */
	before = fk_open_fds();
	assert_int_equal(vfiox_mig_set_state(dst, VFIOX_MIG_STOP_COPY, NULL), 0);
	assert_int_equal(fk_open_fds(), before);
}

static void garbage_into_resuming_is_refused_and_reset_recovers(void **state)
{
	uint8_t big[FK_MIG_MAX + 1] = { 0 };
	struct vfiox_device *d;
	int fd;

	(void)state;
	/* Like mtty, the device advertises no function reset. */
	fk.groups[0].devs[0].flags &= ~VFIO_DEVICE_FLAGS_RESET;
	d = migratable(ALL, S);
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_RESUMING, &fd), 0);
	assert_int_equal(vfiox_mig_write(d, fd, "junk", 4), 4);
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_RUNNING, NULL), -EINVAL);
	assert_true(fk_log_has("migration arc RESUMING -> STOP (towards RUNNING) failed"));
	assert_true(fk_log_has("the device is in RESUMING"));
	/* More than the device takes: its errno, with the byte it stopped at. */
	assert_int_equal(vfiox_mig_write(d, fd, big, sizeof(big)), -ENOSPC);
	assert_true(fk_log_has("refused migration data at byte 0 of 65"));
	fake_sys.close(fd);
	/* The migration reset goes to the kernel all the same. */
	assert_int_equal(vfiox_device_reset(d), -ENOTSUP);
	assert_int_equal(vfiox_mig_reset(d), 0);
	assert_int_equal(mig->state, R);
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_STOP_COPY, &fd), 0);
	fake_sys.close(fd);
}

static void reset_that_leaves_the_device_stopped_is_eio(void **state)
{
	struct vfiox_device *d = migratable(ALL, E);

	(void)state;
	mig->flags = 0;		/* not a migration device: refused first */
	assert_int_equal(vfiox_mig_reset(d), -ENOTSUP);
	mig->flags = ALL;
	/* The reset works, but the driver leaves the device in STOP. */
	mig->reset_to = S;
	assert_int_equal(vfiox_mig_reset(d), -EIO);
	assert_true(fk_log_has("after VFIO_DEVICE_RESET the device is in STOP, not RUNNING"));
	assert_int_equal(fk.groups[0].devs[0].resets, 1);
	mig->reset_to = 0;
	assert_int_equal(vfiox_mig_reset(d), 0);
	assert_int_equal(mig->state, R);
}

static void failed_reset_is_the_kernels_errno(void **state)
{
	struct vfiox_device *d = migratable(ALL, E);

	(void)state;
	fk_fail_nth("ioctl", 2, EINVAL);	/* the reset: no reset_works */
	assert_int_equal(vfiox_mig_reset(d), -EINVAL);
	assert_true(fk_log_has("VFIO_DEVICE_RESET: "));
	assert_int_equal(mig->state, E);
	assert_int_equal(vfiox_mig_reset(d), 0);
}

/* The state a failed arc left is the caller's to read, not only the log's. */
static void state_after_a_failed_arc_is_read_back(void **state)
{
	struct vfiox_device *d = migratable(ALL, R);
	enum vfiox_mig_state st = VFIOX_MIG_ERROR;
	int fd;

	(void)state;
	mig->fail_into = SC;
	mig->fail_errno = EIO;
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_STOP_COPY, &fd), -EIO);
	assert_int_equal(vfiox_mig_get_state(d, &st), 0);
	assert_int_equal(st, VFIOX_MIG_STOP);
	assert_true(fk_log_has("the device is in STOP"));
}

static void resuming_without_a_data_fd_pointer_is_refused(void **state)
{
	struct vfiox_device *d = migratable(ALL, S);

	(void)state;
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_RESUMING, NULL), -EINVAL);
	assert_true(fk_log_has("RESUMING without a data_fd pointer"));
	assert_int_equal(mig->nr_steps, 0);
	assert_int_equal(mig->state, S);
}

/* Each bad argument is -EINVAL with a line saying so. */
static void null_arguments_are_logged(void **state)
{
	struct vfiox_mig_precopy_info pi = { .sz = sizeof(pi) };
	enum vfiox_mig_state st;
	uint64_t v;
	int fd;

	(void)state;
	assert_int_equal(vfiox_mig_flags(NULL, &v), -EINVAL);
	assert_true(fk_log_has("vfiox_mig_flags: NULL device"));
	assert_int_equal(vfiox_mig_get_state(NULL, &st), -EINVAL);
	assert_true(fk_log_has("vfiox_mig_get_state: NULL device"));
	assert_int_equal(vfiox_mig_set_state(NULL, VFIOX_MIG_STOP, &fd), -EINVAL);
	assert_true(fk_log_has("vfiox_mig_set_state: NULL device"));
	assert_int_equal(vfiox_mig_reset(NULL), -EINVAL);
	assert_true(fk_log_has("vfiox_mig_reset: NULL device"));
	assert_int_equal(vfiox_mig_data_size(NULL, &v), -EINVAL);
	assert_true(fk_log_has("vfiox_mig_data_size: NULL device"));
	assert_int_equal(vfiox_mig_precopy_info(NULL, 3, &pi), -EINVAL);
	assert_true(fk_log_has("vfiox_mig_precopy_info: NULL device"));
	assert_int_equal(vfiox_mig_precopy_reinit_enable(NULL), -EINVAL);
	assert_true(fk_log_has("vfiox_mig_precopy_reinit_enable: NULL device"));
}

static void data_fd_errors_are_the_kernels(void **state)
{
	struct vfiox_device *d = migratable(ALL, R);
	uint8_t buf[8];
	int fd;

	(void)state;
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_STOP_COPY, &fd), 0);
	fk_fail_nth("read", 1, EIO);
	assert_int_equal(vfiox_mig_read(d, fd, buf, sizeof(buf)), -EIO);
	assert_true(fk_log_has("reading migration data"));
	fk_fail_nth("read", 0, 0);
	assert_int_equal(vfiox_mig_read(d, fd, buf, sizeof(buf)), 8);
	assert_int_equal(vfiox_mig_read(d, -1, buf, sizeof(buf)), -EINVAL);
	fake_sys.close(fd);
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_RESUMING, &fd), 0);
	fk_fail_nth("write", 1, EFAULT);
	assert_int_equal(vfiox_mig_write(d, fd, STREAM, 8), -EFAULT);
	fk_fail_nth("write", 0, 0);
	assert_int_equal(vfiox_mig_write(d, -1, STREAM, 8), -EINVAL);
	fake_sys.close(fd);
}

/* An interrupted read or write is retried; EAGAIN is no error line. */
static void data_fd_eintr_is_retried_and_eagain_is_quiet(void **state)
{
	struct vfiox_device *d = migratable(ALL, R);
	uint8_t buf[8];
	int fd;

	(void)state;
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_STOP_COPY, &fd), 0);
	fk_fail_nth("read", 1, EINTR);
	assert_int_equal(vfiox_mig_read(d, fd, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, STREAM, 8);
	fk_fail_nth("read", 1, EAGAIN);
	assert_int_equal(vfiox_mig_read(d, fd, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(fk_log_level("no pre-copy data ready"), VFIOX_LOG_DEBUG);
	assert_false(fk_log_has("reading migration data"));
	fake_sys.close(fd);
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_RESUMING, &fd), 0);
	fk_fail_nth("write", 1, EINTR);
	assert_int_equal(vfiox_mig_write(d, fd, STREAM, 8), 8);
	assert_int_equal(mig->loaded_len, 8);
	assert_memory_equal(mig->loaded, STREAM, 8);
	fk_fail_nth("write", 0, 0);
	fake_sys.close(fd);
}

/* A short write goes on; an error after some bytes returns those. */
static void write_keeps_its_progress_on_an_error(void **state)
{
	struct vfiox_device *d = migratable(ALL, S);
	size_t len = sizeof(STREAM) - 1;
	int fd;

	(void)state;
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_RESUMING, &fd), 0);
	mig->write_max = 5;
	/* Short writes of 5: all of it, in pieces. */
	assert_int_equal(vfiox_mig_write(d, fd, STREAM, 12), 12);
	assert_int_equal(mig->loaded_len, 12);
	/* The non-blocking fd is full after 5 more: the caller learns 5. */
	fk_fail_nth("write", 2, EAGAIN);
	assert_int_equal(vfiox_mig_write(d, fd, &STREAM[12], len - 12), 5);
	assert_int_equal(mig->loaded_len, 17);
	assert_int_equal(fk_log_level("takes no more for now, at byte 5 of"), VFIOX_LOG_DEBUG);
	assert_false(fk_log_has("refused migration data"));
	/* Nothing taken at all: the errno itself. */
	fk_fail_nth("write", 1, EAGAIN);
	assert_int_equal(vfiox_mig_write(d, fd, &STREAM[17], len - 17), -EAGAIN);
	fk_fail_nth("write", 0, 0);
	/* The rest, then a device that takes no more: 0 from the kernel. */
	assert_int_equal(vfiox_mig_write(d, fd, &STREAM[17], len - 17), (ssize_t)(len - 17));
	assert_memory_equal(mig->loaded, STREAM, len);
	mig->take_max = (uint32_t)len + 3;
	assert_int_equal(vfiox_mig_write(d, fd, "abcdefgh", 8), 3);
	assert_true(fk_log_has("took no more migration data after 3 of 8 bytes"));
	assert_int_equal(vfiox_mig_write(d, fd, "defgh", 5), -EIO);
	assert_true(fk_log_has("took no more migration data after 0 of 5 bytes"));
	fake_sys.close(fd);
}

static void precopy_info_reports_the_kernels_estimates(void **state)
{
	struct vfiox_device *d = migratable(ALL, R);
	struct vfiox_mig_precopy_info pi = { .sz = sizeof(pi) };
	uint8_t buf[8];
	int fd, sfd;

	(void)state;
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_PRE_COPY, &fd), 0);
	mig->dirty_bytes = 4096;
	mig->reinit = true;
	assert_int_equal(vfiox_mig_precopy_info(d, fd, &pi), 0);
	assert_int_equal(pi.initial_bytes, sizeof(STREAM) - 1);
	assert_int_equal(pi.dirty_bytes, 4096);
	assert_int_equal(pi.flags, 0);	/* REINIT only once asked for */
	assert_int_equal(vfiox_mig_read(d, fd, buf, sizeof(buf)), 8);
	assert_int_equal(vfiox_mig_precopy_reinit_enable(d), 0);
	assert_int_equal(vfiox_mig_precopy_info(d, fd, &pi), 0);
	assert_int_equal(pi.initial_bytes, sizeof(STREAM) - 1 - 8);
	assert_int_equal(pi.flags, VFIOX_MIG_PRECOPY_REINIT);
	/* Out of PRE_COPY the kernel refuses it: said so. */
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_STOP_COPY, &sfd), 0);
	assert_int_equal(vfiox_mig_precopy_info(d, fd, &pi), -EINVAL);
	assert_true(fk_log_has("the device is not in PRE_COPY or PRE_COPY_P2P"));
	assert_int_equal(vfiox_mig_precopy_info(d, -1, &pi), -EINVAL);
	/* Not a saving data fd: the kernel's ENOTTY. */
	assert_int_equal(vfiox_mig_precopy_info(d, vfiox_device_fd(d), &pi), -ENOTTY);
	fake_sys.close(fd);
	fake_sys.close(sfd);
	/* Without PRE_COPY there is nothing to opt into. */
	mig->flags = VFIOX_MIG_FLAG_STOP_COPY;
	assert_int_equal(vfiox_mig_precopy_reinit_enable(d), -EINVAL);
	assert_true(fk_log_has("the device has no PRE_COPY"));
	mig->flags = 0;
	assert_int_equal(vfiox_mig_precopy_reinit_enable(d), -ENOTSUP);
}

/*
 * A short sz is refused before VFIO_MIG_GET_PRECOPY_INFO: the ioctl moves the
 * device on (a REINIT is reported once), so a refused call must not make it.
 */
static void precopy_info_with_a_short_sz_makes_no_ioctl(void **state)
{
	struct vfiox_device *d = migratable(ALL, R);
	struct vfiox_mig_precopy_info pi = { .sz = sizeof(pi) };
	unsigned long calls;
	int fd;

	(void)state;
	assert_int_equal(vfiox_mig_set_state(d, VFIOX_MIG_PRE_COPY, &fd), 0);
	assert_int_equal(vfiox_mig_precopy_reinit_enable(d), 0);
	mig->reinit = true;
	pi.sz = 8;
	calls = fk.calls;
	assert_int_equal(vfiox_mig_precopy_info(d, fd, &pi), -EINVAL);
	assert_true(fk_log_has("sz 8 is below its first published size 28"));
	assert_int_equal(fk.calls, calls);
	pi.sz = sizeof(pi);
	assert_int_equal(vfiox_mig_precopy_info(d, fd, &pi), 0);
	assert_int_equal(pi.flags, VFIOX_MIG_PRECOPY_REINIT);
	/* The fake reports it once, as mlx5 does. */
	assert_int_equal(vfiox_mig_precopy_info(d, fd, &pi), 0);
	assert_int_equal(pi.flags, 0);
	fake_sys.close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(flags_and_state_are_the_kernels, setup, teardown),
		cmocka_unit_test_setup_teardown(device_that_cannot_migrate_is_enotsup, setup, teardown),
		cmocka_unit_test_setup_teardown(flags_are_read_once, setup, teardown),
		cmocka_unit_test_setup_teardown(every_transition_walks_the_kernels_arcs, setup, teardown),
		cmocka_unit_test_setup_teardown(every_pair_of_every_flag_set_walks_a_shortest_legal_path, setup, teardown),
		cmocka_unit_test_setup_teardown(forbidden_and_absent_targets_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_kernel_state_is_eproto, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_arc_is_named_with_the_state_left_in, setup, teardown),
		cmocka_unit_test_setup_teardown(saved_stream_resumes_a_second_device, setup, teardown),
		cmocka_unit_test_setup_teardown(garbage_into_resuming_is_refused_and_reset_recovers, setup, teardown),
		cmocka_unit_test_setup_teardown(data_fd_errors_are_the_kernels, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_that_leaves_the_device_stopped_is_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_reset_is_the_kernels_errno, setup, teardown),
		cmocka_unit_test_setup_teardown(state_after_a_failed_arc_is_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(resuming_without_a_data_fd_pointer_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(null_arguments_are_logged, setup, teardown),
		cmocka_unit_test_setup_teardown(data_fd_eintr_is_retried_and_eagain_is_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(write_keeps_its_progress_on_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(precopy_info_reports_the_kernels_estimates, setup, teardown),
		cmocka_unit_test_setup_teardown(precopy_info_with_a_short_sz_makes_no_ioctl, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
