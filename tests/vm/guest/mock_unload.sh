#!/bin/sh
# SPDX-License-Identifier: MIT
# The mock IOMMU unloads cleanly (review N5 of issue 19): while it claims a
# device the IOMMU core holds the module, so rmmod must fail; once every
# claimed device is hot-removed (vfio-pci lets them go, the mock's
# release_device runs) rmmod must succeed, mock_exit() unregisters it, and
# kmemleak finds nothing. The mock is a module (kernel-patches/build-mock),
# not built into the debug kernel. It takes the mock's devices away, so it
# must run last of the mock_ tests: its name sorts after theirs.
set -e
fail() { echo "FAILED: $*"; exit 1; }
mod=vfiox_mock_iommu
leaks=/sys/kernel/debug/kmemleak

[ -d "/sys/module/$mod" ] || fail "the mock IOMMU is not loaded"
devs=$(tr , ' ' < "/sys/module/$mod/parameters/devices")
if rmmod "$mod" 2>/dev/null; then fail "rmmod succeeded while devices were claimed"; fi
for d in $devs; do
	echo 1 > "/sys/bus/pci/devices/$d/remove"
	[ ! -e "/sys/bus/pci/devices/$d" ] || fail "$d was not removed"
done
rmmod "$mod" || fail "rmmod after removing $devs"
[ ! -d "/sys/module/$mod" ] || fail "the module is still there"
echo "removed $devs, unloaded $mod"
if [ -e "$leaks" ]; then
	# Reported only once 5 s old and unchanged across two scans
	sleep 6
	echo scan > "$leaks"
	echo scan > "$leaks"
	# debugfs files report size 0: read it to see whether it is empty
	cat "$leaks" > /tmp/unload-leaks
	if [ -s /tmp/unload-leaks ]; then
		head -n 60 /tmp/unload-leaks
		fail "kmemleak reports leaks after the unload"
	fi
	echo "kmemleak: nothing"
fi
