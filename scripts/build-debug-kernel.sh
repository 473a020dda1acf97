#!/usr/bin/env bash
# Build the debug arm64 guest kernel: Debian's linux-source of SUITE
# (default bookworm-backports: the 6.12 series of the test guest; sid for
# the newest, 7.x), allnoconfig plus tests/kconfig/debug.config (lockdep,
# KASAN, kmemleak, debugobjects, pseudo-NMI, with the per-CPU NMI API
# exported to modules: tests/kconfig/export-percpu-nmi.c).  Cached by the source version,
# the fragment, this script and the compiler.  Prints the root: Image,
# KVER, and build/ (the tree, modules_prepare'd, to build our modules).
# Usage: build-debug-kernel.sh [SUITE]
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

suite=${1:-bookworm-backports}
frag=$VSD_ROOT/tests/kconfig/debug.config
exports=$VSD_ROOT/tests/kconfig/export-percpu-nmi.c
cross=aarch64-linux-gnu-
tarball=$("$VSD_ROOT/scripts/fetch-linux-tarball.sh" "$suite")
dir=$VSD_CACHE/debug-kernel/$(basename "$(dirname "$tarball")")-$(content_hash \
	"$0" "$frag" "$exports" "$("${cross}gcc" --version | head -n 1)")
if [ ! -e "$dir/.built" ]; then
	log "building the debug kernel from $(basename "$tarball") (a cold build takes 10-20 minutes)"
	rm -rf "$dir"
	mkdir -p "$dir/src"
	tar -C "$dir/src" -xf "$tarball" --strip-components=1
	cat "$exports" >>"$dir/src/kernel/irq/manage.c"
	kmake=(make -s -C "$dir/src" ARCH=arm64 CROSS_COMPILE="$cross" "-j$(nproc)")
	KCONFIG_ALLCONFIG=$frag "${kmake[@]}" allnoconfig
	# Every line of the fragment must have taken: a silently dropped
	# option would leave a watcher off.
	missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | while IFS= read -r line; do
		grep -qxF "$line" "$dir/src/.config" || echo "$line"
	done)
	[ -z "$missing" ] || die "options the kernel did not take: $missing"
	# modules: no module is configured, but it writes Module.symvers.
	"${kmake[@]}" Image modules modules_prepare >"$dir/build.log" 2>&1 ||
		die "the debug kernel did not build: $(tail -n 20 "$dir/build.log")"
	"${kmake[@]}" -s kernelrelease >"$dir/KVER"
	cp "$dir/src/arch/arm64/boot/Image" "$dir/Image"
	ln -sfn src "$dir/build"
	touch "$dir/.built"
fi
printf '%s\n' "$dir"
