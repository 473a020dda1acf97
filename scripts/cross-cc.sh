#!/usr/bin/env bash
# Cross-build one C program for the arm64 guest against Debian bookworm's
# arm64 libc (the guest's), with the project's warnings and the uapi
# headers, and print the binary's path (cached by what goes in).
# Usage: cross-cc.sh SOURCE.c [extra gcc flags]
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

[ $# -ge 1 ] || { echo "usage: cross-cc.sh SOURCE.c [gcc flags]" >&2; exit 2; }
srcfile=$1
shift
cc=aarch64-linux-gnu-gcc
command -v "$cc" >/dev/null || die "no $cc: apt-get install gcc-aarch64-linux-gnu"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cross-cc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
sysroot=$("$VSD_ROOT/scripts/fetch-debs.sh" --arch arm64 - libc6-dev)

flags=(-std=c11 -O2 -g -Wall -Wextra -Werror --sysroot="$sysroot"
	-I"$VSD_ROOT/uapi" "$@")
hash=$(content_hash "$0" "$srcfile" "$VSD_ROOT/uapi" "sysroot $sysroot" \
	"${flags[*]}" "$("$cc" --version | head -n 1)")
name=$(basename "$srcfile" .c)
out=$VSD_CACHE/guest-tools/$hash
if [ ! -x "$out/$name" ]; then
	mkdir -p "$out.tmp.$$"
	"$cc" "${flags[@]}" -o "$out.tmp.$$/$name" "$srcfile" ||
		die "$srcfile did not build"
	mv -T "$out.tmp.$$" "$out" 2>/dev/null || rm -rf "$out.tmp.$$"
fi
printf '%s\n' "$out/$name"
