#!/bin/sh
# SPDX-License-Identifier: MIT
# tools/vfiox-bind as a test: list edu, give it back to the kernel, bind
# it to vfio-pci again (its node must be there when bind returns), and move
# the SMBus with its whole group to vfio-pci and back to i801_smbus.
set -e
fail() { echo "FAILED: $*"; exit 1; }

out=$(vfiox-bind list 1234:11e8)
echo "$out"
echo "$out" | grep -q "^$VFIOX_EDU 1234:11e8 group [0-9]* *vfio-pci " ||
	fail "edu not listed on vfio-pci"
out=$(vfiox-bind unbind "$VFIOX_EDU")
echo "$out"
[ "$out" = "$VFIOX_EDU: on no driver" ] || fail "unbind said '$out'"
out=$(vfiox-bind bind "$VFIOX_EDU")
echo "$out"
group=${out##* }
[ -e "/dev/vfio/$group" ] || fail "no /dev/vfio/$group after bind"
vfiox-bind bind 0000:00:1f.3 --group
[ "$(basename "$(readlink /sys/bus/pci/devices/0000:00:1f.3/driver)")" = vfio-pci ] ||
	fail "SMBus not on vfio-pci"
out=$(vfiox-bind unbind 0000:00:1f.3)
echo "$out"
[ "$out" = "0000:00:1f.3: on i801_smbus" ] || fail "SMBus unbind said '$out'"
if vfiox-bind bind 0000:00:1f.7 2>/dev/null; then fail "a missing device was bound"; fi
echo "vfiox-bind: ok"
