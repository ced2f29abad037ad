#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/nvme-io as a test: verify over the whole namespace at QD > 1,
# once polled on two queue pairs in random order, once on MSI-X in
# sequential order with 16 KiB blocks (PRP lists), and once more polled
# with buffers mapped per I/O: every run must read back 0 mismatches.
# The last line asks the host to check, after the VM is gone, that the
# disk image QEMU wrote holds the same pattern (tests/vm/run).
seed=23
fail() { echo "FAILED: $*"; exit 1; }

# $1: what, then nvme-io's arguments.
run() {
	what=$1
	shift
	out=$(nvme-io "$VFIOX_NVME" verify --seed $seed "$@" 2>&1)
	rc=$?
	echo "$out"
	[ "$rc" -eq 0 ] || fail "$what: nvme-io exited $rc"
	echo "$out" | grep -q "^nvme-io: verify: [1-9][0-9]* LBAs read back, 0 mismatches$" ||
		fail "$what: no clean verify line"
	echo "$out" | grep -q "^nvme-io: verify read: .* IOPS, .* MiB/s, latency us p50 .* p99 .* p99.9 " ||
		fail "$what: no figures"
}
run "polled, rand, 2 queue pairs" rand --poll --qd 16 --queues 2
run "MSI-X, seq, 16 KiB" seq --irq --qd 8 --bs 16384
run "per-I/O maps, polled" rand --poll --qd 4 --per-io-map
# Whole namespace, 512-byte LBAs (QEMU's default format).
echo "image-check: nvme0 seed $seed lba-size 512"
