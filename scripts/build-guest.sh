#!/usr/bin/env bash
# Assemble what the test VM boots: Debian's arm64 kernel, our modules built
# against it, and a busybox initramfs.  Writes build/guest.env for tests/vm-run.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

build=${VSD_BUILD:-$VSD_ROOT/build}
kroot=$("$VSD_ROOT/scripts/fetch-kernel.sh" "$VSD_KSUITE")
kver=$(cat "$kroot/KVER")
mkdir -p "$build"

"$VSD_ROOT/scripts/build-modules.sh" "$kroot" "$build/modules-$kver"

# busybox-static for arm64, the current version in bookworm.
apt_private_init
bbver=$(apt_private_cache madison busybox-static:arm64 |
	awk '/bookworm\/main arm64/ { print $3; exit }')
[ -n "$bbver" ] || die "no arm64 busybox-static in bookworm"
bbdir=$VSD_CACHE/guest/busybox-${bbver//[:~]/_}
if [ ! -x "$bbdir/bin/busybox" ]; then
	log "fetching busybox-static $bbver (arm64)"
	rm -rf "$bbdir.dl"
	mkdir -p "$bbdir.dl"
	(cd "$bbdir.dl" && apt_private download -qq "busybox-static:arm64=$bbver" >/dev/null)
	dpkg -x "$bbdir.dl"/*.deb "$bbdir.dl/root"
	mkdir -p "$bbdir/bin"
	cp "$bbdir.dl/root/bin/busybox" "$bbdir/bin/"
	rm -rf "$bbdir.dl"
fi

root=$build/initramfs
rm -rf "$root"
mkdir -p "$root/bin" "$root/lib/modules/$kver/extra" "$root/root" "$root/etc"
cp "$bbdir/bin/busybox" "$root/bin/"
install -m 0755 "$VSD_ROOT/tests/guest/init" "$root/init"
cp "$build/modules-$kver"/kernel/*.ko "$build/modules-$kver"/tests/modules/*.ko \
	"$root/lib/modules/$kver/extra/"
cp "$kroot/lib/modules/$kver/modules.order" "$kroot/lib/modules/$kver/modules.builtin" \
	"$kroot/lib/modules/$kver/modules.builtin.modinfo" \
	"$root/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$root" "$kver"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner 0:0 --quiet) >"$build/initramfs.cpio"

cat >"$build/guest.env" <<EOT
VSD_KERNEL=$kroot/boot/vmlinuz-$kver
VSD_KVER=$kver
VSD_INITRAMFS=$build/initramfs.cpio
VSD_MODULES=$build/modules-$kver
EOT
log "guest ready: kernel $kver"
