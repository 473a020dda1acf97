#!/usr/bin/env bash
# Write qemu-device/ as the series a QEMU maintainer reviews: one commit
# per step of qemu-device/series on Debian's newest QEMU source, as git
# format-patch output with a cover letter.
#
#   qemu-series.sh [--build] [OUTDIR]     (OUTDIR: build/qemu-series)
#
# --build also builds qemu-system-aarch64 and the qtest after every step,
# in a tree of its own in the cache (the first build is a cold one), and
# fails on the first step that does not build or that warns in our files.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

do_build=0
if [ "${1:-}" = --build ]; then
	do_build=1
	shift
fi
out=${1:-$VSD_ROOT/build/qemu-series}
overlay=$VSD_ROOT/qemu-device
uapi=$VSD_ROOT/uapi/misc/vcpu_stall_detector.h
src=$("$VSD_ROOT/scripts/fetch-qemu.sh")

mapfile -t steps < <(grep -v '^#' "$overlay/series" | grep .)
[ ${#steps[@]} -gt 0 ] || die "qemu-device/series lists no patch"

if [ "$do_build" = 1 ]; then
	repo=$VSD_CACHE/qemu/series-${src##*/src-}
	qemu_tree_copy "$src" "$repo"
	rm -rf "$repo/.git"
else
	repo=$(mktemp -d "${TMPDIR:-/tmp}/qemu-series.XXXXXX")
	trap 'rm -rf "$repo"' EXIT
	# The files the patches change are the whole base the series needs.
	for s in "${steps[@]}"; do
		[[ ${s%% *} == *.patch ]] || continue
		patch_files "$overlay/patches/${s%% *}"
	done | sort -u | while read -r f; do
		mkdir -p "$repo/$(dirname "$f")"
		cp -p "$src/$f" "$repo/$f"
	done
fi

# Reproducible: every commit dated as our newest.
GIT_AUTHOR_DATE=$(git -C "$VSD_ROOT" log -1 --format=%cI 2>/dev/null || date -u -Iseconds)
export GIT_AUTHOR_DATE GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE
export GIT_AUTHOR_NAME="vcpu-stall developers" GIT_AUTHOR_EMAIL=vcpu-stall@localhost
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
g() { git -C "$repo" -c core.autocrlf=false -c commit.gpgsign=false "$@"; }
g init -q
g add -A
g commit -q -m "base: Debian's QEMU ${src##*/src-}"

build_step() { # NAME
	[ "$do_build" = 1 ] || return 0
	local b=$repo/build
	if [ ! -e "$b/build.ninja" ]; then
		mkdir -p "$b"
		qemu_configure "$b"
	fi
	log "$1: building"
	local targets=(qemu-system-aarch64)
	[ ! -e "$repo/tests/qtest/vcpu-stall-detector-test.c" ] ||
		targets+=(tests/qtest/vcpu-stall-detector-test)
	qemu_build "$repo" "${targets[@]}"
}

for s in "${steps[@]}"; do
	read -r p files <<<"$s"
	[ -f "$overlay/patches/$p" ] || die "series: no patches/$p"
	if [[ $p == *.patch ]]; then
		patch -s -F0 -p1 -d "$repo" --no-backup-if-mismatch <"$overlay/patches/$p" ||
			die "$p does not apply to ${src##*/}"
	fi
	for f in $files; do
		mkdir -p "$repo/$(dirname "$f")"
		if [ "$f" = "include/standard-headers/misc/${uapi##*/}" ]; then
			cp "$uapi" "$repo/$f"
		else
			[ -f "$overlay/files/$f" ] || die "series: $p adds $f, which files/ lacks"
			cp "$overlay/files/$f" "$repo/$f"
		fi
	done
	g add -A
	# Subject: line and body, up to the patch's "---".
	sed -n '1s/^Subject: \[PATCH\] //p; 2,/^---$/{/^---$/d; p}' \
		"$overlay/patches/$p" | g commit -q -s -F -
	build_step "$p"
done

rm -rf "$out"
g format-patch -q --cover-letter -o "$out" HEAD~${#steps[@]}
# The cover letter's placeholders, filled in.
cover=$out/0000-cover-letter.patch
sed -i -e 's/\*\*\* SUBJECT HERE \*\*\*/Add a vCPU stall detector device and its virt integration/' \
	-e '/\*\*\* BLURB HERE \*\*\*/{r '"$overlay/cover-letter.txt"'
d}' "$cover"
ls "$out"/*.patch
