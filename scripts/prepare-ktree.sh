#!/usr/bin/env bash
# Prepare an arm64 kernel tree to build external modules against, from
# Debian's linux-source of SUITE (default sid: the newest series, 7.x at the
# time of writing): unpack it, configure it as Debian's arm64 kernel of that
# suite (the headers package's .config, whose kbuild binaries need a newer
# glibc than this host's) and run modules_prepare with our cross gcc, then
# take that kernel's Module.symvers so modpost checks every symbol we use.
# Cached by the versions and this script.  Prints the tree's root (a KROOT
# for build-modules.sh: it holds build/ pointing at the tree).
# Usage: prepare-ktree.sh [SUITE]
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

suite=${1:-sid}
apt_private_init
# The linux-source metapackage names the series: 7.2.13-1 -> linux-source-7.2.
meta=$(apt_private_cache madison linux-source |
	awk -v s="$suite/main" 'index($0, s) { print $3; exit }')
[ -n "$meta" ] || die "no linux-source in $suite"
series=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$meta")
pkg=linux-source-$series
ver=$(apt_private_cache madison "$pkg" |
	awk -v s="$suite/main" 'index($0, s) { print $3; exit }')
[ -n "$ver" ] || die "no $pkg in $suite"

hroot=$("$VSD_ROOT/scripts/fetch-kernel.sh" "$suite" --headers-only)
case $(cat "$hroot/KVER") in
"$series".*) ;;
*) log "note: $suite's arm64 headers are $(cat "$hroot/KVER"), its source $ver" ;;
esac

dir=$VSD_CACHE/ktree/${ver//[:~]/_}-$(content_hash "$0" "headers ${hroot##*/}")
if [ ! -e "$dir/.prepared" ]; then
	log "preparing an arm64 tree from $pkg $ver ($suite)"
	rm -rf "$dir"
	mkdir -p "$dir/dl"
	(cd "$dir/dl" && apt_private download -qq "$pkg=$ver" >/dev/null)
	dpkg -x "$dir"/dl/*.deb "$dir/dl/root"
	tarball=$(find "$dir/dl/root/usr/src" -maxdepth 1 -name 'linux-source-*.tar.*' -print -quit)
	mkdir -p "$dir/src"
	tar -C "$dir/src" -xf "$tarball" --strip-components=1
	rm -rf "$dir/dl"
	kmake=(make -s -C "$dir/src" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
		"-j$(nproc)")
	cp "$hroot/build/.config" "$dir/src/.config"
	# Options our gcc (older than Debian's) lacks fall away here.
	"${kmake[@]}" olddefconfig
	"${kmake[@]}" modules_prepare
	cp "$hroot/build/Module.symvers" "$dir/src/"
	ln -sfn src "$dir/build"
	touch "$dir/.prepared"
fi
printf '%s\n' "$dir"
