#!/usr/bin/env bash
# Build qemu-system-aarch64 from Debian's QEMU source with qemu-device/
# applied.  The binary is cached under a key made of the source version and
# everything we add; the build tree is reused so a change in qemu-device/
# recompiles only what it touches.  Prints the directory holding
# qemu-system-aarch64, the device's qtest and "tree", the build tree's path.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

src=$("$VSD_ROOT/scripts/fetch-qemu.sh")
overlay=$VSD_ROOT/qemu-device
uapi=$VSD_ROOT/uapi/misc/vcpu_stall_detector.h
key=$(content_hash "${src##*/}" "$overlay" "$uapi" "$0")
out=$VSD_CACHE/qemu/bin-$key
qtest=vcpu-stall-detector-test
if [ -x "$out/qemu-system-aarch64" ] && [ -x "$out/$qtest" ]; then
	printf '%s\n' "$out"
	exit 0
fi

tree=$VSD_CACHE/qemu/tree-${src##*/src-}
qemu_tree_copy "$src" "$tree"

# Build the wanted version of every file we add or change in a staging
# directory, then copy only files whose content differs, so that mtimes of
# unchanged files stay put and ninja rebuilds the minimum.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
: >"$stage/.list"
for p in "$overlay"/patches/*.patch; do
	[ -e "$p" ] || continue
	patch_files "$p" >>"$stage/.list"
done
sort -u -o "$stage/.list" "$stage/.list"
while read -r f; do
	[ -e "$src/$f" ] || continue
	mkdir -p "$stage/$(dirname "$f")"
	cp -p "$src/$f" "$stage/$f"
done <"$stage/.list"
for p in "$overlay"/patches/*.patch; do
	[ -e "$p" ] || continue
	patch -s -F0 -p1 -d "$stage" --no-backup-if-mismatch <"$p" ||
		die "${p##*/} does not apply to ${src##*/}"
done
(cd "$overlay/files" && find . -type f -printf '%P\n') >>"$stage/.list"
cp -a "$overlay/files/." "$stage/"
# Backports: what an older QEMU needs of the series (written for the newest),
# after it, for this source's major.minor only.
qver=$(cut -d. -f1,2 "$src/VERSION")
for p in "$overlay/backports/$qver"/*.patch; do
	[ -e "$p" ] || continue
	patch -s -F0 -p1 -d "$stage" --no-backup-if-mismatch <"$p" ||
		die "${p##*/} does not apply to ${src##*/}"
done
mkdir -p "$stage/include/standard-headers/misc"
cp "$uapi" "$stage/include/standard-headers/misc/"
echo include/standard-headers/misc/vcpu_stall_detector.h >>"$stage/.list"
sort -u -o "$stage/.list" "$stage/.list"

# Files we changed last time but not now go back to Debian's version.
touch "$tree/.vsd-files"
comm -23 "$tree/.vsd-files" "$stage/.list" | while read -r f; do
	if [ -e "$src/$f" ]; then
		cp -p "$src/$f" "$tree/$f"
	else
		rm -f "$tree/$f"
	fi
done
while read -r f; do
	if ! cmp -s "$stage/$f" "$tree/$f"; then
		mkdir -p "$tree/$(dirname "$f")"
		cp "$stage/$f" "$tree/$f"
	fi
done <"$stage/.list"
cp "$stage/.list" "$tree/.vsd-files"

build=$tree/build
if [ ! -e "$build/build.ninja" ]; then
	log "configuring QEMU"
	rm -rf "$build"
	mkdir -p "$build"
	qemu_configure "$build"
fi
log "building QEMU (a cold build takes several minutes)"
qemu_build "$tree" qemu-system-aarch64 "tests/qtest/$qtest"

mkdir -p "$out.tmp"
cp "$build/qemu-system-aarch64" "$build/tests/qtest/$qtest" "$out.tmp/"
# The build tree, for checks that reuse its compile commands.
printf '%s\n' "$tree" >"$out.tmp/tree"
rm -rf "$out"
mv "$out.tmp" "$out"
printf '%s\n' "$out"
