#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/nvme-io's error paths: a range past the namespace end is
# refused by nvme-io itself ("too small"), and when submitted anyway the
# controller's answer is printed by name (LBA Out of Range); SIGTERM stops
# a run cleanly; SIGKILL mid-run leaves the controller bindable (unbind,
# bind to vfio-pci again) and usable by the next run; an I/O that never
# completes ends the run with a timeout, and the next run works. Every run here after
# the first verify reads only, or writes the seed of example_nvme_io_verify,
# so the host's image check still holds.
seed=23
fail() { echo "FAILED: $*"; exit 1; }

nsze=$(nvme-io "$VFIOX_NVME" read --count 8 | sed -n 's/^nvme-io: namespace 1: \([0-9]*\) LBAs.*/\1/p')
[ -n "$nsze" ] || fail "no namespace size"
echo "namespace: $nsze LBAs"

out=$(nvme-io "$VFIOX_NVME" read --start "$nsze" --count 8 2>&1)
rc=$?
echo "$out"
[ "$rc" -ne 0 ] || fail "a range past the end was accepted"
echo "$out" | grep -q "namespace 1 too small" || fail "no 'too small' message"

out=$(nvme-io "$VFIOX_NVME" read --start "$nsze" --count 8 --past-end 2>&1)
rc=$?
echo "$out"
[ "$rc" -ne 0 ] || fail "an LBA past the end read successfully"
echo "$out" | grep -q "read of LBA $nsze (+8) on queue 1: LBA Out of Range (type 0x0, code 0x80" ||
	fail "the controller's status was not named"

# A long polled read, stopped by SIGTERM: exit 128+15, after clean-up.
nvme-io "$VFIOX_NVME" rand read --ios 100000000 --qd 8 > /tmp/term.out 2>&1 &
pid=$!
sleep 3
kill -TERM $pid
wait $pid
rc=$?
cat /tmp/term.out
[ "$rc" -eq 143 ] || fail "SIGTERM: exit $rc, wanted 143"
grep -q "stopped by signal 15" /tmp/term.out || fail "SIGTERM: not reported"
grep -q "I/O queues deleted, controller disabled" /tmp/term.out ||
	fail "SIGTERM: no clean-up message"

# The same, killed: no clean-up at all.
nvme-io "$VFIOX_NVME" rand read --ios 100000000 --qd 8 --irq > /tmp/kill.out 2>&1 &
pid=$!
sleep 3
kill -KILL $pid
wait $pid
echo "SIGKILL: exit $?"
vfiox-bind unbind "$VFIOX_NVME" || fail "unbind after SIGKILL"
vfiox-bind bind "$VFIOX_NVME" || fail "bind after SIGKILL"
out=$(nvme-io "$VFIOX_NVME" seq verify --seed $seed --count 4096 --qd 8 --irq 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq 0 ] || fail "the run after SIGKILL exited $rc"
echo "$out" | grep -q "verify: 4096 LBAs read back, 0 mismatches" || fail "run after SIGKILL"
# An I/O that never completes: bus mastering turned off behind the
# driver's back (config space through sysfs), so the controller can
# neither move data nor post completions. nvme-io must give up after its
# timeout with a clear message, and the next run (which turns bus
# mastering on again) must work.
nvme-io "$VFIOX_NVME" rand read --seconds 60 --qd 8 --timeout-ms 2000 > /tmp/hang.out 2>&1 &
pid=$!
# Only once the I/O runs: the admin commands before it have their own
# timeout (a loaded debug kernel can take longer than a fixed sleep).
waited=0
until grep -q "I/O starts" /tmp/hang.out; do
	[ $waited -lt 60 ] || fail "nvme-io did not start its I/O within 60 s"
	sleep 1
	waited=$((waited + 1))
done
sleep 1
printf '\002\000' | dd of="/sys/bus/pci/devices/$VFIOX_NVME/config" bs=2 seek=2 conv=notrunc 2>/dev/null ||
	fail "could not clear bus mastering"
wait $pid
rc=$?
cat /tmp/hang.out
[ "$rc" -eq 1 ] || fail "I/O timeout: exit $rc, wanted 1"
grep -q "I/O timeout: read of LBA [0-9]* on queue 1 got no completion within 2000 ms" /tmp/hang.out ||
	fail "no I/O timeout message"
out=$(nvme-io "$VFIOX_NVME" seq verify --seed $seed --count 4096 --qd 8 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq 0 ] || fail "the run after the I/O timeout exited $rc"
echo "error paths: ok"
