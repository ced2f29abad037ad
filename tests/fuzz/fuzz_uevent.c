// SPDX-License-Identifier: MIT
/*
 * vfiox_uevent_parse() over arbitrary messages, and the monitor's handler
 * with the first byte choosing the kernel's port or another one.
 */
#include "fake_kernel.h"
#include "fuzz.h"

static void on_uevent(const struct vfiox_uevent *ev, void *arg)
{
	*(unsigned int *)arg += fuzz_touch(ev, sizeof(*ev));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vfiox_uevent_monitor *m;
	unsigned int sum = 0;

	fuzz_init();
	if (!m && vfiox_uevent_open(&m))
		return 0;
	if (size < 1)
		return 0;
	vfiox_uevent_handle(m, data + 1, size - 1, data[0] & 1 ? 77 : 0, on_uevent, &sum);
	return 0;
}
