#!/bin/sh
# SPDX-License-Identifier: MIT
# The NVMe comparison, in one boot on one controller: the kernel's nvme
# driver (O_DIRECT 4 KiB random reads at QD 32 through io_uring), then
# nvme-io on libvfiox with the same load, polled and on MSI-X with pool
# buffers, and polled with every buffer mapped per I/O. Prints one
# key=value line per figure (tests/bench/run collects them).
# Usage: nvme.sh BDF   (VFIOX_BENCH_SECONDS per run, default 10)
bdf=$1
secs=${VFIOX_BENCH_SECONDS:-10}
dev=/sys/bus/pci/devices/$bdf

# $1: the driver to move $bdf to.
rebind() {
	echo "$bdf" > "$dev/driver/unbind"
	echo "$1" > "$dev/driver_override"
	echo "$bdf" > /sys/bus/pci/drivers_probe
	[ "$(basename "$(readlink "$dev/driver")")" = "$1" ]
}

rebind nvme || { echo "nvme_bench: $bdf did not bind to nvme"; exit 1; }
disk=
for i in $(seq 1 300); do
	for d in "$dev"/nvme/nvme*/nvme*n1; do
		[ -e "$d" ] && disk=${d##*/}
	done
	[ -n "$disk" ] && [ -b "/dev/$disk" ] && break
	sleep 0.1
done
[ -b "/dev/$disk" ] || { echo "nvme_bench: no block device for $bdf"; exit 1; }
kernel=$(nvme-kernel-randread "/dev/$disk" "$secs" 32) || exit 1
echo "$kernel"
rebind vfio-pci || { echo "nvme_bench: $bdf did not go back to vfio-pci"; exit 1; }

# nvme-io's options; prints its IOPS (integer).
userspace() {
	out=$(nvme-io "$bdf" rand read --bs 4096 --qd 32 --seconds "$secs" "$@") || return 1
	echo "$out" | sed 's/^/# /' >&2
	echo "$out" | sed -n 's/^nvme-io: read: .* \([0-9]*\) IOPS.*/\1/p'
}
k=$(echo "$kernel" | sed -n 's/.* \([0-9]*\) IOPS$/\1/p')
p=$(userspace --poll) || exit 1
i=$(userspace --irq) || exit 1
m=$(userspace --poll --per-io-map) || exit 1
echo "nvme_kernel_iops=$k"
echo "nvme_polled_iops=$p"
echo "nvme_irq_iops=$i"
echo "nvme_per_io_map_iops=$m"
awk -v k="$k" -v p="$p" -v i="$i" -v m="$m" 'BEGIN {
	printf "nvme_polled_vs_kernel_ratio=%.2f\n", p / k
	printf "nvme_irq_vs_kernel_ratio=%.2f\n", i / k
	printf "nvme_per_io_map_vs_kernel_ratio=%.2f\n", m / k }'
