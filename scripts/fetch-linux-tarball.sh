#!/usr/bin/env bash
# Fetch Debian's linux-source of SUITE's newest series (the linux-source
# metapackage names it: 7.2.13-1 -> linux-source-7.2) and print the path of
# its source tarball, cached by version.  Usage: fetch-linux-tarball.sh SUITE
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

[ $# -eq 1 ] || { echo "usage: fetch-linux-tarball.sh SUITE" >&2; exit 2; }
suite=$1
apt_private_init
meta=$(apt_private_cache madison linux-source |
	awk -v s="$suite/main" 'index($0, s) { print $3; exit }')
[ -n "$meta" ] || die "no linux-source in $suite"
series=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$meta")
pkg=linux-source-$series
ver=$(apt_private_cache madison "$pkg" |
	awk -v s="$suite/main" 'index($0, s) { print $3; exit }')
[ -n "$ver" ] || die "no $pkg in $suite"

dir=$VSD_CACHE/linux-tarball/${ver//[:~]/_}
tarball=$(find "$dir" -maxdepth 1 -name "linux-source-$series.tar.*" -print -quit 2>/dev/null || true)
if [ -z "$tarball" ]; then
	log "fetching $pkg $ver ($suite)"
	rm -rf "$dir"
	mkdir -p "$dir/dl"
	(cd "$dir/dl" && apt_private download -qq "$pkg=$ver" >/dev/null) ||
		die "download of $pkg $ver failed"
	dpkg -x "$dir"/dl/*.deb "$dir/dl/root"
	mv "$dir"/dl/root/usr/src/linux-source-*.tar.* "$dir/"
	rm -rf "$dir/dl"
	tarball=$(find "$dir" -maxdepth 1 -name "linux-source-$series.tar.*" -print -quit)
fi
printf '%s\n' "$tarball"
