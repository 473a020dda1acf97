#!/usr/bin/env bash
# Cross-build stallctl (tools/stallctl) for the arm64 guest and print the
# binary's path.
#
#   build-stallctl.sh
#
# The sysroot is Debian bookworm's arm64 libc6-dev and the -dev packages
# stallctl links against, unpacked by fetch-debs.sh: the same libraries the
# guest image carries.  The binary is linked dynamically and cached in
# $VSD_CACHE/stallctl/HASH/stallctl, HASH covering the sources, the uapi
# header, this script, the sysroot (its packages' versions) and the
# compiler.  Everything but the path goes to stderr.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

SYSROOT_PKGS=(libc6-dev libnl-3-dev libnl-genl-3-dev libudev-dev libsmartcols-dev libjson-c-dev)
CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}
src=$VSD_ROOT/tools/stallctl

[ $# -eq 0 ] || { sed -n '5p' "$0" | sed 's/^# *//' >&2; exit 2; }
command -v "${CROSS_COMPILE}gcc" >/dev/null ||
	die "no ${CROSS_COMPILE}gcc: apt-get install gcc-aarch64-linux-gnu"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/build-stallctl.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Only read: the cached tree itself, no copy of it.
sysroot=$("$VSD_ROOT/scripts/fetch-debs.sh" --arch arm64 - "${SYSROOT_PKGS[@]}")
[ -d "$sysroot/usr/include" ] || die "fetch-debs.sh gave no sysroot ($sysroot)"

hash=$(content_hash "$0" "$src/Makefile" "$src"/*.[ch] \
	"$VSD_ROOT/uapi/linux/vcpu_stall_detector.h" "sysroot $sysroot" \
	"$("${CROSS_COMPILE}gcc" --version | head -n 1)")
out=$VSD_CACHE/stallctl/$hash
if [ ! -x "$out/stallctl" ]; then
	log "cross-building stallctl"
	make --no-print-directory -s -C "$src" cross SYSROOT="$sysroot" \
		O="$tmp/build" CROSS_COMPILE="$CROSS_COMPILE" >&2 ||
		die "the arm64 build of stallctl failed"
	mkdir -p "$out.tmp.$$"
	install -m 0755 "$tmp/build/stallctl" "$out.tmp.$$/stallctl"
	# Lost a race to another build of the same sources: same binary.
	mv -T "$out.tmp.$$" "$out" 2>/dev/null || rm -rf "$out.tmp.$$"
fi
printf '%s\n' "$out/stallctl"
