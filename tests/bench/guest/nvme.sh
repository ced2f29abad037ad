#!/bin/sh
# SPDX-License-Identifier: MIT
# The NVMe comparison, in one boot on one controller: the kernel's nvme
# driver (O_DIRECT 4 KiB random reads at QD 32 through io_uring), then
# nvme-io on libvfiox with the same load, polled and on MSI-X with pool
# buffers, and polled with every buffer mapped per I/O. The host running
# the emulator is shared, so its load moves every figure: the four runs
# take turns, round after round, and each figure is the median of its
# rounds, each ratio the median of the rounds' own ratios (both sides of a
# ratio ran within seconds of each other). Prints one key=value line per
# figure (tests/bench/run collects them).
# Usage: nvme.sh BDF   (VFIOX_BENCH_ROUNDS, default 5, of VFIOX_BENCH_SECONDS,
# default 4, per run)
bdf=$1
secs=${VFIOX_BENCH_SECONDS:-4}
rounds=${VFIOX_BENCH_ROUNDS:-5}
dev=/sys/bus/pci/devices/$bdf

# $1: the driver to move $bdf to.
rebind() {
	echo "$bdf" > "$dev/driver/unbind"
	echo "$1" > "$dev/driver_override"
	echo "$bdf" > /sys/bus/pci/drivers_probe
	[ "$(basename "$(readlink "$dev/driver")")" = "$1" ]
}

# The kernel driver's IOPS (integer), the controller bound to nvme meanwhile.
kernel_iops() {
	rebind nvme || { echo "nvme_bench: $bdf did not bind to nvme" >&2; return 1; }
	disk=
	for _ in $(seq 1 300); do
		for d in "$dev"/nvme/nvme*/nvme*n1; do
			[ -e "$d" ] && disk=${d##*/}
		done
		[ -n "$disk" ] && [ -b "/dev/$disk" ] && break
		sleep 0.1
	done
	out=$(nvme-kernel-randread "/dev/$disk" "$secs" 32) || return 1
	echo "# $out" >&2
	rebind vfio-pci || { echo "nvme_bench: $bdf did not go back to vfio-pci" >&2; return 1; }
	echo "$out" | sed -n 's/.* \([0-9]*\) IOPS$/\1/p'
}

# nvme-io's options; prints its IOPS (integer).
userspace_iops() {
	out=$(nvme-io "$bdf" rand read --bs 4096 --qd 32 --seconds "$secs" "$@") || return 1
	echo "$out" | grep "^nvme-io: read:" | sed 's/^/# /' >&2
	echo "$out" | sed -n 's/^nvme-io: read: .* \([0-9]*\) IOPS.*/\1/p'
}

# Median of the numbers on standard input.
median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

: > /tmp/nvme-bench
for r in $(seq 1 "$rounds"); do
	k=$(kernel_iops) || exit 1
	p=$(userspace_iops --poll) || exit 1
	i=$(userspace_iops --irq) || exit 1
	m=$(userspace_iops --poll --per-io-map) || exit 1
	echo "# round $r: kernel $k polled $p irq $i per-I/O map $m" >&2
	echo "$k $p $i $m" >> /tmp/nvme-bench
done
col() { awk -v c="$1" '{ print $c }' /tmp/nvme-bench | median; }
ratio() { awk -v c="$1" '{ printf "%.3f\n", $c / $1 }' /tmp/nvme-bench | median; }
echo "nvme_kernel_iops=$(col 1)"
echo "nvme_polled_iops=$(col 2)"
echo "nvme_irq_iops=$(col 3)"
echo "nvme_per_io_map_iops=$(col 4)"
echo "nvme_polled_vs_kernel_ratio=$(ratio 2)"
echo "nvme_irq_vs_kernel_ratio=$(ratio 3)"
echo "nvme_per_io_map_vs_kernel_ratio=$(ratio 4)"
awk '{ printf "%.2f\n", $2 / $1 }' /tmp/nvme-bench | sort -n |
	awk '{ v[NR] = $1 } END { print "nvme_polled_vs_kernel_ratio_min=" v[1]; print "nvme_polled_vs_kernel_ratio_max=" v[NR] }'
