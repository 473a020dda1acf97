#!/usr/bin/env bash
# The debug guest: the debug kernel (build-debug-kernel.sh), our modules
# built against it, and the test initramfs (build-guest.sh's, which must
# exist) with those modules appended.  Writes build/guest-debug.env, which
# tests/vm-run uses when VSD_GUEST_ENV points at it.
# Usage: build-debug-guest.sh [SUITE]
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

build=${VSD_BUILD:-$VSD_ROOT/build}
[ -r "$build/guest.env" ] || die "$build/guest.env missing: run 'make guest' first"
base=$(sed -n 's/^VSD_INITRAMFS=//p' "$build/guest.env")

kroot=$("$VSD_ROOT/scripts/build-debug-kernel.sh" "${1:-bookworm-backports}")
kver=$(cat "$kroot/KVER")
mods=$build/modules-debug-$kver
"$VSD_ROOT/scripts/build-modules.sh" "$kroot" "$mods"

# Under usr/: the image is merged-/usr, and an archive entry of another
# type (a lib/ directory) would replace the /lib symlink as it unpacks.
root=$build/initramfs-debug
rm -rf "$root"
mkdir -p "$root/usr/lib/modules/$kver/extra"
ln -s usr/lib "$root/lib"
cp "$mods"/kernel/*.ko "$mods"/tests/modules/*.ko "$root/usr/lib/modules/$kver/extra/"
touch "$root/usr/lib/modules/$kver/"modules.{order,builtin,builtin.modinfo}
depmod -b "$root" "$kver"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner 0:0 --quiet) >"$build/debug-modules.cpio"
# The kernel unpacks concatenated archives one after the other.
cat "$base" "$build/debug-modules.cpio" >"$build/initramfs-debug.cpio.tmp"
mv "$build/initramfs-debug.cpio.tmp" "$build/initramfs-debug.cpio"
rm -rf "$root" "$build/debug-modules.cpio"

cat >"$build/guest-debug.env" <<EOT
VSD_KERNEL=$kroot/Image
VSD_KVER=$kver
VSD_INITRAMFS=$build/initramfs-debug.cpio
VSD_MODULES=$mods
EOT
log "debug guest ready: kernel $kver"
