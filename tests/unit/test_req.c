// SPDX-License-Identifier: MIT
/*
 * Device requests against the fake kernel: the request IRQ is enabled at
 * open; the default answer releases the device (mappings kept inaccessible,
 * fd closed, later calls -ENODEV, close without kernel calls); a caller's
 * handler runs instead and may close the device. The thread that waits for
 * the request runs on real fds only: the VM test unbind_open_device
 * covers it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"

FK_GROUP7_FIXTURE

static void open_enables_the_request_irq(void **state)
{
	struct fk_device *fd = &fk.groups[0].devs[0];
	struct vfiox_device *d;

	(void)state;
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &d), 0);
	assert_int_equal(fd->last_set.index, VFIO_PCI_REQ_IRQ_INDEX);
	assert_int_equal(fd->last_set.count, 1);
	assert_int_equal(fd->last_set.flags,
			 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
	assert_int_equal(fk_open_fds(), 4);	/* container, group, device, eventfd */
}

static void no_request_irq_no_eventfd(void **state)
{
	struct vfiox_device *d;

	(void)state;
	fk.groups[0].devs[0].nr_irqs = VFIO_PCI_REQ_IRQ_INDEX;
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &d), 0);
	assert_int_equal(fk_open_fds(), 3);
}

static void default_answer_releases_the_device(void **state)
{
	struct vfiox_device *d;
	unsigned long calls;
	uint8_t b;
	void *bar;

	(void)state;
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &d), 0);
	assert_int_equal(vfiox_region_mmap(d, 0, &bar), 0);
	vfiox_req_handle(d);
	assert_int_equal(vfiox_device_released(d), 1);
	assert_int_equal(fk_log_level("asks for the device back"), VFIOX_LOG_INFO);
	assert_int_equal(fk_open_fds(), 3);	/* the device fd is gone */
	assert_int_equal(fk.live_mmaps, 1);	/* replaced in place, not unmapped */
	assert_int_equal(vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, 0, &b, 1),
			 -ENODEV);
	assert_true(fk_log_has("was given back to the kernel"));
	assert_int_equal(vfiox_device_reset(d), -ENODEV);
	assert_int_equal(vfiox_irq_unmask(d, VFIO_PCI_INTX_IRQ_INDEX, 0), -ENODEV);
	fk.fail_only = "ioctl";		/* count ioctls only */
	calls = fk.calls;
	vfiox_device_close(d);
	assert_int_equal(fk.calls - calls, 0);	/* its IRQs went with its fd */
	assert_int_equal(fk.live_mmaps, 0);
}

static int handled;

static void close_on_request(struct vfiox_device *d, void *arg)
{
	handled += *(int *)arg;
	vfiox_device_close(d);
}

static void a_handler_runs_instead(void **state)
{
	static int one = 1;
	struct vfiox_device_opts o = {
		.sz = sizeof(o), .req_fn = close_on_request, .req_arg = &one,
	};
	struct vfiox_device *d;

	(void)state;
	handled = 0;
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", &o, &d), 0);
	vfiox_req_handle(d);
	assert_int_equal(handled, 1);
	assert_false(fk_log_has("asks for the device back"));
	assert_int_equal(fk_open_fds(), 2);	/* closed by the handler */
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(open_enables_the_request_irq),
		T(no_request_irq_no_eventfd),
		T(default_answer_releases_the_device),
		T(a_handler_runs_instead),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
