#!/usr/bin/env bash
# Fetch and unpack Debian's QEMU source package (suite $VSD_QSUITE, the
# current version found at run time).  dpkg-source applies Debian's patches.
# Prints the unpacked tree's path.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

apt_private_init
ver=$(apt_private_cache madison qemu |
	awk -v s="$VSD_QSUITE/main Sources" 'index($0, s) { print $3; exit }')
[ -n "$ver" ] || die "no qemu source package in $VSD_QSUITE"

dir=$VSD_CACHE/qemu/src-${ver//[:~]/_}
if [ ! -e "$dir/.unpacked" ]; then
	log "fetching qemu $ver source from $VSD_QSUITE"
	tmp=$VSD_CACHE/qemu/dl.$$
	rm -rf "$tmp" "$dir"
	mkdir -p "$tmp"
	(cd "$tmp" && apt_private source -qq --download-only "qemu=$ver" >/dev/null)
	dsc=$(find "$tmp" -maxdepth 1 -name '*.dsc' -print -quit)
	[ -n "$dsc" ] || die "qemu source download failed"
	dpkg-source --no-check -x "$dsc" "$dir.tmp" >/dev/null
	mv "$dir.tmp" "$dir"
	rm -rf "$tmp"
	touch "$dir/.unpacked"
fi
printf '%s\n' "$dir"
