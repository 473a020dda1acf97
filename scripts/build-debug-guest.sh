#!/usr/bin/env bash
# The debug guest: the debug kernel (build-debug-kernel.sh), our modules
# built against it, and the test guest's tree (build-guest.sh's, which must
# exist) with those modules, on a read-only disk.  Writes
# build/guest-debug.env, which tests/vm-run uses when VSD_GUEST_ENV points
# at it.
# Usage: build-debug-guest.sh [SUITE]
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

build=${VSD_BUILD:-$VSD_ROOT/build}
[ -r "$build/guest.env" ] || die "$build/guest.env missing: run 'make guest' first"

kroot=$("$VSD_ROOT/scripts/build-debug-kernel.sh" "${1:-bookworm-backports}")
kver=$(cat "$kroot/KVER")
mods=$build/modules-debug-$kver
build_modules_w1 "$kroot" "$mods"

# The tree: the test guest's initramfs (its parts, unpacked) with these
# modules, on a read-only erofs disk; the initramfs only mounts it under a
# tmpfs overlay (tests/guest/init-overlay).  Under KASAN, unpacking the whole
# tree into tmpfs took 14 s of every boot; from the disk the guest reads
# only what it runs.
parts=$(sed -n 's/^VSD_INITRAMFS_PARTS=//p' "$build/guest.env" | tr -d '"')
[ -n "$parts" ] || die "$build/guest.env lists no initramfs parts: run 'make guest' again"
root=$build/rootfs-debug
rm -rf "$root"
mkdir -p "$root"
for p in $parts; do
	[ -r "$p" ] || die "initramfs part $p missing: run 'make guest' again"
	# Later parts win, as when the kernel unpacks them in turn.
	(cd "$root" && cpio -idmu --quiet --no-absolute-filenames) <"$p"
done
mkdir -p "$root/lib/modules/$kver/extra"
cp "$mods"/kernel/*.ko "$mods"/tests/modules/*.ko "$root/lib/modules/$kver/extra/"
touch "$root/lib/modules/$kver/"modules.{order,builtin,builtin.modinfo}
depmod -b "$root" "$kver"
rm -f "$build/rootfs-debug.erofs.tmp"
mkfs.erofs --quiet --all-root -T 0 "$build/rootfs-debug.erofs.tmp" "$root" >/dev/null
mv "$build/rootfs-debug.erofs.tmp" "$build/rootfs-debug.erofs"

stub=$build/initramfs-debug
rm -rf "$stub"
mkdir -p "$stub/bin"
cp "$root/bin/busybox" "$stub/bin/"
install -m 0755 "$VSD_ROOT/tests/guest/init-overlay" "$stub/init"
(cd "$stub" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner 0:0 --quiet) >"$build/initramfs-debug.cpio.tmp"
mv "$build/initramfs-debug.cpio.tmp" "$build/initramfs-debug.cpio"
rm -rf "$root" "$stub"

cat >"$build/guest-debug.env" <<EOT
VSD_KERNEL=$kroot/Image
VSD_KVER=$kver
VSD_INITRAMFS=$build/initramfs-debug.cpio
VSD_ROOTFS=$build/rootfs-debug.erofs
VSD_MODULES=$mods
EOT
log "debug guest ready: kernel $kver"
