#!/usr/bin/env bash
# Build sparse from the newest Debian source (sid): kernels from 6.19 on
# check for __typeof_unqual__ support, which bookworm's 0.6.4 lacks, and
# turn C=2 off without it.  Cached by version.  Prints the binary's path.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

apt_private_init
ver=$(apt_private_cache madison sparse |
	awk '/sid\/main Sources/ { print $3; exit }')
[ -n "$ver" ] || die "no sparse source in sid"
dir=$VSD_CACHE/sparse/${ver//[:~]/_}
if [ ! -x "$dir/sparse" ]; then
	log "building sparse $ver"
	rm -rf "$dir.build"
	mkdir -p "$dir.build"
	(cd "$dir.build" && apt_private source --download-only -qq "sparse=$ver" >/dev/null &&
		dpkg-source -x --no-check -- *.dsc src >/dev/null) ||
		die "cannot fetch the sparse source"
	make -s -C "$dir.build/src" -j"$(nproc)" CC=gcc sparse >"$dir.build/make.log" 2>&1 ||
		die "sparse did not build: $(tail -n 5 "$dir.build/make.log")"
	mkdir -p "$dir"
	install -m 0755 "$dir.build/src/sparse" "$dir/sparse"
	rm -rf "$dir.build"
fi
printf '%s\n' "$dir/sparse"
