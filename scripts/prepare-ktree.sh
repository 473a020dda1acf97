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
tarball=$("$VSD_ROOT/scripts/fetch-linux-tarball.sh" "$suite")
ver=$(basename "$(dirname "$tarball")")
series=$(basename "$tarball" | sed -E 's/^linux-source-([0-9]+\.[0-9]+)\..*/\1/')
hroot=$("$VSD_ROOT/scripts/fetch-kernel.sh" "$suite" --headers-only)
case $(cat "$hroot/KVER") in
"$series".*) ;;
*) log "note: $suite's arm64 headers are $(cat "$hroot/KVER"), its source $ver" ;;
esac

dir=$VSD_CACHE/ktree/$ver-$(content_hash "$0" "headers ${hroot##*/}")
if [ ! -e "$dir/.prepared" ]; then
	log "preparing an arm64 tree from linux-source-$series $ver ($suite)"
	rm -rf "$dir"
	mkdir -p "$dir/src"
	tar -C "$dir/src" -xf "$tarball" --strip-components=1
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
