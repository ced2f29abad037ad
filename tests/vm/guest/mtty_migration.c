// SPDX-License-Identifier: MIT
/*
 * Device migration with the kernel's mtty sample (an mdev with migration
 * since Linux 6.7): two mtty devices, opened by UUID in two containers as
 * two VMMs would; bytes written to the source's UART are read from the
 * destination after STOP_COPY -> RESUMING -> RUNNING. Illegal arcs and
 * garbage written into RESUMING get clear errors, and both devices stay
 * usable: a second migration carries the bytes again, and a third through
 * PRE_COPY.
 *
 * Debian's kernels do not build the samples: there this test says so and
 * proves it (no mtty module, no mtty parent); the debug kernel has it
 * (CONFIG_SAMPLE_VFIO_MDEV_MTTY=m, docs/test-kernel.md) and must run it.
 */
#include <sys/utsname.h>

#include "vmtest.h"

#define MTTY_TYPE "/sys/class/mdev_bus/mtty/mdev_supported_types/mtty-1"
#define SRC_UUID "4b5c7a1e-2f3d-4c8e-9a6b-0d1e2f3a4b5c"
#define DST_UUID "4b5c7a1e-2f3d-4c8e-9a6b-0d1e2f3a4b5d"
#define UART_TX 0		/* mtty's BAR 0 is a 16550: THR/RBR at 0 */
#define UART_LSR 5
#define LSR_DR 0x01		/* data ready */
#define BAR0 VFIO_PCI_BAR0_REGION_INDEX

struct vmm {
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
};

static int vmm_open(struct vmm *v, const char *uuid)
{
	int ret = vfiox_container_open(NULL, &v->c);

	if (ret)
		return ret;
	ret = vfiox_group_open_mdev(v->c, uuid, &v->g);
	if (!ret)
		ret = vfiox_device_open(v->g, uuid, NULL, &v->d);
	return ret;
}

static void uart_send(struct vfiox_device *d, const char *s)
{
	for (; *s; s++)
		CHECK_RET(vfiox_region_write(d, BAR0, UART_TX, s, 1), 0);
}

/* Every byte the UART holds, up to @max - 1, as a string. */
static void uart_drain(struct vfiox_device *d, char *buf, size_t max)
{
	uint8_t lsr = 0;
	size_t n = 0;

	while (n < max - 1 && !vfiox_region_read(d, BAR0, UART_LSR, &lsr, 1) &&
	       (lsr & LSR_DR))
		if (vfiox_region_read(d, BAR0, UART_TX, &buf[n++], 1))
			break;
	buf[n] = '\0';
}

/* Save @src with STOP_COPY, load it into @dst, both back to RUNNING. */
static void migrate(struct vmm *src, struct vmm *dst)
{
	uint8_t stream[4096];
	uint64_t estimate = 0;
	ssize_t n, len = 0;
	int sfd = -1, dfd = -1;

	CHECK_RET(vfiox_mig_data_size(src->d, &estimate), 0);
	CHECK_RET(vfiox_mig_set_state(src->d, VFIOX_MIG_STOP_COPY, &sfd), 0);
	CHECK(sfd >= 0, "no data fd from STOP_COPY");
	while (sfd >= 0 && (n = vfiox_mig_read(src->d, sfd, stream + len,
					       sizeof(stream) - (size_t)len)) > 0)
		len += n;
	printf("  saved %zd bytes (the kernel's estimate: %llu)\n", len,
	       (unsigned long long)estimate);
	CHECK(len > 0 && (uint64_t)len == estimate, "stream of %zd bytes", len);
	CHECK_RET(vfiox_mig_set_state(dst->d, VFIOX_MIG_RESUMING, &dfd), 0);
	CHECK_RET(vfiox_mig_write(dst->d, dfd, stream, (size_t)len), (int)len);
	CHECK_RET(vfiox_mig_set_state(dst->d, VFIOX_MIG_RUNNING, NULL), 0);
	CHECK_RET(vfiox_mig_set_state(src->d, VFIOX_MIG_RUNNING, NULL), 0);
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
}

/*
 * The same through PRE_COPY: the session opens while the source runs and
 * goes on, on the same fd, into STOP_COPY (no new fd there). @late is sent
 * to the running source after the initial data was read: it must travel
 * too.
 */
static void migrate_precopy(struct vmm *src, struct vmm *dst, const char *late)
{
	uint8_t stream[4096];
	uint64_t estimate = 0;
	struct vfiox_mig_precopy_info pi = { .sz = sizeof(pi) };
	ssize_t n, len = 0, early;
	int sfd = -1, again = -2, dfd = -1;

	CHECK_RET(vfiox_mig_data_size(src->d, &estimate), 0);
	CHECK_RET(vfiox_mig_set_state(src->d, VFIOX_MIG_PRE_COPY, &sfd), 0);
	CHECK(sfd >= 0, "no data fd from PRE_COPY");
	if (sfd < 0)
		return;
	/* The kernel's estimate of the initial data, read down to 0. */
	CHECK_RET(vfiox_mig_precopy_info(src->d, sfd, &pi), 0);
	printf("  pre-copy info: initial %llu, dirty %llu bytes\n",
	       (unsigned long long)pi.initial_bytes, (unsigned long long)pi.dirty_bytes);
	CHECK(pi.initial_bytes > 0, "no initial pre-copy data");
	while ((n = vfiox_mig_read(src->d, sfd, stream + len,
				   sizeof(stream) - (size_t)len)) > 0)
		len += n;
	early = len;
	CHECK(n == 0 || n == -ENOMSG, "pre-copy read ended with %zd", n);
	CHECK_RET(vfiox_mig_precopy_info(src->d, sfd, &pi), 0);
	CHECK(pi.initial_bytes == 0, "%llu initial bytes left after reading %zd",
	      (unsigned long long)pi.initial_bytes, early);
	uart_send(src->d, late);
	CHECK_RET(vfiox_mig_set_state(src->d, VFIOX_MIG_STOP_COPY, &again), 0);
	CHECK(again == -1, "PRE_COPY -> STOP_COPY opened fd %d", again);
	while ((n = vfiox_mig_read(src->d, sfd, stream + len,
				   sizeof(stream) - (size_t)len)) > 0)
		len += n;
	printf("  pre-copy: %zd bytes while running, %zd in all (estimate %llu)\n",
	       early, len, (unsigned long long)estimate);
	CHECK((uint64_t)len == estimate, "stream of %zd bytes", len);
	CHECK_RET(vfiox_mig_set_state(dst->d, VFIOX_MIG_RESUMING, &dfd), 0);
	CHECK_RET(vfiox_mig_write(dst->d, dfd, stream, (size_t)len), (int)len);
	CHECK_RET(vfiox_mig_set_state(dst->d, VFIOX_MIG_RUNNING, NULL), 0);
	CHECK_RET(vfiox_mig_set_state(src->d, VFIOX_MIG_RUNNING, NULL), 0);
	close(sfd);
	if (dfd >= 0)
		close(dfd);
}

static void illegal_arcs_are_refused(struct vmm *src)
{
	struct vfio_device_feature_mig_state *st;
	uint64_t buf[4] = { 0 };
	struct vfio_device_feature *f = (void *)buf;
	enum vfiox_mig_state now = VFIOX_MIG_ERROR;
	int fd = -1;

	CHECK_RET(vfiox_mig_set_state(src->d, VFIOX_MIG_STOP_COPY, &fd), 0);
	vt_log_clear();
	CHECK_RET(vfiox_mig_set_state(src->d, VFIOX_MIG_PRE_COPY, NULL), -EINVAL);
	CHECK(vt_log_has("STOP_COPY -> PRE_COPY is not allowed"), "no clear error");
	CHECK_RET(vfiox_mig_set_state(src->d, VFIOX_MIG_ERROR, NULL), -EINVAL);
	/* The kernel agrees: the same arc asked of it directly. */
	f->argsz = sizeof(*f) + sizeof(*st);
	f->flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
	st = (void *)f->data;
	st->device_state = VFIOX_MIG_PRE_COPY;
	CHECK(ioctl(vfiox_device_fd(src->d), VFIO_DEVICE_FEATURE, f) < 0 &&
	      errno == EINVAL, "the kernel took STOP_COPY -> PRE_COPY");
	CHECK_RET(vfiox_mig_get_state(src->d, &now), 0);
	CHECK(now == VFIOX_MIG_STOP_COPY, "left in %s", vfiox_mig_state_name(now));
	CHECK_RET(vfiox_mig_set_state(src->d, VFIOX_MIG_RUNNING, NULL), 0);
	if (fd >= 0)
		close(fd);
}

/*
 * The P2P states by name: RUNNING_P2P, then PRE_COPY_P2P, whose data fd
 * gives the pre-copy estimates too (with 7.2's re-init opt-in, which mtty
 * never sets), and back to RUNNING, which ends the session.
 */
static void p2p_states_are_walked(struct vmm *src)
{
	struct vfiox_mig_precopy_info pi = { .sz = sizeof(pi) };
	enum vfiox_mig_state now = VFIOX_MIG_ERROR;
	int fd = -1;

	CHECK_RET(vfiox_mig_precopy_reinit_enable(src->d), 0);
	CHECK_RET(vfiox_mig_set_state(src->d, VFIOX_MIG_RUNNING_P2P, NULL), 0);
	CHECK_RET(vfiox_mig_get_state(src->d, &now), 0);
	CHECK(now == VFIOX_MIG_RUNNING_P2P, "in %s", vfiox_mig_state_name(now));
	CHECK_RET(vfiox_mig_set_state(src->d, VFIOX_MIG_PRE_COPY_P2P, &fd), 0);
	CHECK(fd >= 0, "no data fd from RUNNING_P2P -> PRE_COPY_P2P");
	if (fd >= 0) {
		CHECK_RET(vfiox_mig_precopy_info(src->d, fd, &pi), 0);
		printf("  PRE_COPY_P2P info: initial %llu, dirty %llu, flags 0x%x\n",
		       (unsigned long long)pi.initial_bytes,
		       (unsigned long long)pi.dirty_bytes, pi.flags);
		CHECK(pi.initial_bytes > 0 && !pi.flags, "pre-copy info in PRE_COPY_P2P");
	}
	CHECK_RET(vfiox_mig_set_state(src->d, VFIOX_MIG_RUNNING, NULL), 0);
	CHECK_RET(vfiox_mig_get_state(src->d, &now), 0);
	CHECK(now == VFIOX_MIG_RUNNING, "in %s", vfiox_mig_state_name(now));
	if (fd >= 0) {
		/* Out of PRE_COPY the kernel refuses the estimate. */
		CHECK_RET(vfiox_mig_precopy_info(src->d, fd, &pi), -EINVAL);
		close(fd);
	}
}

/* Garbage into RESUMING: refused with the device named; a reset recovers. */
static void garbage_is_refused(struct vmm *dst)
{
	uint8_t junk[24];	/* mtty checks its 24-byte header */
	enum vfiox_mig_state now = VFIOX_MIG_ERROR;
	int fd = -1, ret;

	memset(junk, 0xa5, sizeof(junk));
	CHECK_RET(vfiox_mig_set_state(dst->d, VFIOX_MIG_RESUMING, &fd), 0);
	vt_log_clear();
	ret = vfiox_mig_write(dst->d, fd, junk, sizeof(junk));
	CHECK(ret < 0 && vt_log_has("refused migration data at byte 0 of 24"),
	      "garbage header taken (%d)", ret);
	CHECK(vfiox_mig_set_state(dst->d, VFIOX_MIG_RUNNING, NULL) < 0 &&
	      vt_log_has("migration arc RESUMING -> STOP (towards RUNNING) failed"),
	      "leaving RESUMING with garbage loaded succeeded or said nothing");
	CHECK_RET(vfiox_mig_get_state(dst->d, &now), 0);
	printf("  after garbage: %s; resetting\n", vfiox_mig_state_name(now));
	/* mtty advertises no function reset: the migration reset it is. */
	CHECK_RET(vfiox_device_reset(dst->d), -ENOTSUP);
	CHECK_RET(vfiox_mig_reset(dst->d), 0);
	CHECK_RET(vfiox_mig_get_state(dst->d, &now), 0);
	CHECK(now == VFIOX_MIG_RUNNING, "after reset: %s", vfiox_mig_state_name(now));
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	struct vmm src = { 0 }, dst = { 0 };
	struct utsname u;
	uint64_t flags = 0;
	char got[64];

	vt_init();
	uname(&u);
	if (!vt_mtty_present())
		return vt_done("mtty_migration");
	vt_write_file(MTTY_TYPE "/create", SRC_UUID);
	vt_write_file(MTTY_TYPE "/create", DST_UUID);
	CHECK_RET(vmm_open(&src, SRC_UUID), 0);
	CHECK_RET(vmm_open(&dst, DST_UUID), 0);
	if (!vt_failures) {
		CHECK_RET(vfiox_mig_flags(src.d, &flags), 0);
		printf("  kernel %s, mtty migration flags 0x%llx\n", u.release,
		       (unsigned long long)flags);
		CHECK(flags == (VFIOX_MIG_FLAG_STOP_COPY | VFIOX_MIG_FLAG_P2P |
				VFIOX_MIG_FLAG_PRE_COPY), "flags 0x%llx",
		      (unsigned long long)flags);
		uart_send(src.d, "vfiox-mtty!");
		migrate(&src, &dst);
		uart_drain(dst.d, got, sizeof(got));
		CHECK(!strcmp(got, "vfiox-mtty!"), "destination UART holds '%s'", got);
		illegal_arcs_are_refused(&src);
		p2p_states_are_walked(&src);
		garbage_is_refused(&dst);
		/* Both still usable: the source's bytes, and more, go again. */
		uart_send(src.d, "+2");
		migrate(&src, &dst);
		uart_drain(dst.d, got, sizeof(got));
		CHECK(!strcmp(got, "vfiox-mtty!+2"), "second migration: '%s'", got);
		/* Through PRE_COPY: the source's bytes, and one more. */
		uart_send(src.d, "3");
		migrate_precopy(&src, &dst, "4");
		uart_drain(dst.d, got, sizeof(got));
		CHECK(!strcmp(got, "vfiox-mtty!+234"), "pre-copy migration: '%s'", got);
		uart_drain(src.d, got, sizeof(got));
		CHECK(!strcmp(got, "vfiox-mtty!+234"), "source UART holds '%s'", got);
	}
	vfiox_container_close(src.c);
	vfiox_container_close(dst.c);
	vt_write_file("/sys/bus/mdev/devices/" SRC_UUID "/remove", "1");
	vt_write_file("/sys/bus/mdev/devices/" DST_UUID "/remove", "1");
	return vt_done("mtty_migration");
}
