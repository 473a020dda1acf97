#!/usr/bin/env bash
# Build mainline's guest driver (drivers/misc/vcpu_stall_detector.c, from
# Debian's linux-source of SUITE's series) as a module against KROOT's
# headers, twice: as it is, and with our upstream fix
# (kernel/upstream/*.patch) applied.  Prints the directory holding
# unpatched/vcpu_stall_detector.ko and patched/vcpu_stall_detector.ko,
# cached by what goes in.
# Usage: build-mainline-driver.sh SUITE KROOT
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

[ $# -eq 2 ] || { echo "usage: build-mainline-driver.sh SUITE KROOT" >&2; exit 2; }
suite=$1 kroot=$2
tarball=$("$VSD_ROOT/scripts/fetch-linux-tarball.sh" "$suite")
patches=("$VSD_ROOT"/kernel/upstream/*.patch)
# (A tree from prepare-ktree.sh has no KVER: its path names it.)
kname=$(cat "$kroot/KVER" 2>/dev/null || echo "$kroot")
out=$VSD_CACHE/mainline/$(content_hash "$0" "$tarball" "$kname" "${patches[@]}")
if [ -e "$out/.done" ]; then
	printf '%s\n' "$out"
	exit 0
fi
log "building mainline's driver from $(basename "$tarball") against $kname"
rm -rf "$out"
mkdir -p "$out/src"
# Debian's tarball holds linux-source-X.Y/ (its own name).
top=$(basename "$tarball")
top=${top%.tar.*}
tar -xf "$tarball" -C "$out/src" --strip-components=1 "$top/drivers/misc/vcpu_stall_detector.c"
for v in unpatched patched; do
	mkdir -p "$out/$v/drivers/misc"
	cp "$out/src/drivers/misc/vcpu_stall_detector.c" "$out/$v/drivers/misc/"
	echo 'obj-m += vcpu_stall_detector.o' >"$out/$v/drivers/misc/Kbuild"
done
for p in "${patches[@]}"; do
	patch -s -p1 -d "$out/patched" <"$p" || die "$(basename "$p") does not apply to $(basename "$tarball")"
done
for v in unpatched patched; do
	make -s -C "$kroot/build" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
		M="$out/$v/drivers/misc" modules
	mv "$out/$v/drivers/misc/vcpu_stall_detector.ko" "$out/$v/"
	rm -rf "$out/$v/drivers"
done
rm -rf "$out/src"
touch "$out/.done"
printf '%s\n' "$out"
