#!/usr/bin/env bash
# The PREEMPT_RT guest: Debian's rt-arm64 kernel of the test guest's series
# (VSD_KSUITE), our modules built against its headers, and the test guest's
# initramfs (build-guest.sh's, which must exist) with those modules added as
# one more part.  Writes build/guest-rt.env, which tests/vm-run uses for the
# arm64-dt-rt platform.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

build=${VSD_BUILD:-$VSD_ROOT/build}
[ -r "$build/guest.env" ] || die "$build/guest.env missing: run 'make guest' first"
parts=$(sed -n 's/^VSD_INITRAMFS_PARTS=//p' "$build/guest.env" | tr -d '"')
[ -n "$parts" ] || die "$build/guest.env lists no initramfs parts: run 'make guest' again"

kroot=$(VSD_KFLAVOUR=rt-arm64 "$VSD_ROOT/scripts/fetch-kernel.sh" "$VSD_KSUITE")
kver=$(cat "$kroot/KVER")
mods=$build/modules-$kver
build_modules_w1 "$kroot" "$mods"

# The modules' part: /lib/modules/$kver beside the base image's kernel's.
# The base tree is merged /usr (/lib a link to usr/lib): the part holds
# usr/lib/modules only, or unpacking it would put a directory where the
# link is.
root=$build/rt-modules
rm -rf "$root"
mkdir -p "$root/usr/lib/modules/$kver/extra"
ln -s usr/lib "$root/lib"
cp "$mods"/kernel/*.ko "$mods"/tests/modules/*.ko "$root/lib/modules/$kver/extra/"
cp "$kroot/lib/modules/$kver/modules.order" "$kroot/lib/modules/$kver/modules.builtin" \
	"$kroot/lib/modules/$kver/modules.builtin.modinfo" "$root/lib/modules/$kver/"
depmod -b "$root" "$kver"
(cd "$root" && find ./usr -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner 0:0 --quiet) >"$build/rt-modules.cpio.tmp"
mv "$build/rt-modules.cpio.tmp" "$build/rt-modules.cpio"
rm -rf "$root"
# shellcheck disable=SC2086 # the parts, one word each
cat $parts "$build/rt-modules.cpio" >"$build/initramfs-rt.cpio.tmp"
mv "$build/initramfs-rt.cpio.tmp" "$build/initramfs-rt.cpio"

cat >"$build/guest-rt.env" <<EOT
VSD_KERNEL=$kroot/boot/vmlinuz-$kver
VSD_KVER=$kver
VSD_INITRAMFS=$build/initramfs-rt.cpio
VSD_MODULES=$mods
EOT
log "rt guest ready: kernel $kver"
