#!/usr/bin/env bats
# Static checks: kernel style and warnings on every kernel we build for,
# QEMU style on the device, shell style on the scripts.

bats_require_minimum_version 1.5.0
load lib/common

setup_file() {
	export CHECKPATCH KROOT_612 KROOT_61 KROOT_NEW SPARSE
	KROOT_612=$("$VSD_ROOT/scripts/fetch-kernel.sh" bookworm-backports --headers-only)
	KROOT_61=$("$VSD_ROOT/scripts/fetch-kernel.sh" bookworm --headers-only)
	# The newest series (sid's linux-source, 7.x), prepared with our gcc.
	KROOT_NEW=$("$VSD_ROOT/scripts/prepare-ktree.sh" sid)
	# The newest series' checkpatch: it knows the newest idioms.
	CHECKPATCH=$KROOT_NEW/src/scripts/checkpatch.pl
	SPARSE=$("$VSD_ROOT/scripts/build-sparse.sh")
}

# build_clean KROOT [make args]: build every module, print the compiler's
# and sparse's findings (nothing when clean).
build_clean() {
	local kroot=$1
	shift
	"$VSD_ROOT/scripts/build-modules.sh" "$kroot" "$BATS_TEST_TMPDIR/b" "$@" 2>&1 |
		grep -E 'warning|error|: note:|sparse|WARNING|ERROR' | grep -v 'Skipping BTF' || true
}

@test "kernel: checkpatch --strict is clean" {
	cd "$VSD_ROOT"
	local files=(kernel/vsd_main.c kernel/vsd_netlink.c kernel/vsd_sysfs.c
		kernel/vsd_pause.c kernel/vsd_irq.c kernel/vsd_fault.c kernel/vsd.h
		tests/modules/vsd_test.c uapi/misc/vcpu_stall_detector.h)
	run perl "$CHECKPATCH" --strict --no-tree --terse --show-types -q -f "${files[@]}"
	assert_success
	refute_output --regexp '(ERROR|WARNING|CHECK):'
	# One clean summary per file: none was skipped.
	[ "$(grep -c '^total: 0 errors, 0 warnings, 0 checks' <<<"$output")" -eq ${#files[@]} ]
	# Version checks are the compat header's whole purpose.
	run perl "$CHECKPATCH" --strict --no-tree --terse --show-types -q \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON \
		-f kernel/vsd_compat.h kernel/vsd_family.c
	assert_success
	refute_output --regexp '(ERROR|WARNING|CHECK):'
	assert_output --partial "0 errors, 0 warnings, 0 checks"
}

@test "kernel: W=1 build against Debian's 6.12 arm64 headers has no warning" {
	run build_clean "$KROOT_612" W=1
	assert_output ""
	[ -f "$BATS_TEST_TMPDIR/b/kernel/vcpu_stall_detector.ko" ]
}

@test "kernel: W=1 build against Debian's 6.1 arm64 headers has no warning" {
	run build_clean "$KROOT_61" W=1
	assert_output ""
	[ -f "$BATS_TEST_TMPDIR/b/kernel/vcpu_stall_detector.ko" ]
}

@test "kernel: W=1 build without CONFIG_STACKTRACE (6.12 headers, the option undone) has no warning" {
	run build_clean "$KROOT_612" W=1 KCFLAGS="-include $VSD_ROOT/tests/kconfig/no-stacktrace.h"
	assert_output ""
	[ -f "$BATS_TEST_TMPDIR/b/kernel/vcpu_stall_detector.ko" ]
	# The stack trace API is out of the module, as on such a kernel.
	run nm -u "$BATS_TEST_TMPDIR/b/kernel/vcpu_stall_detector.ko"
	refute_output --partial stack_trace_save
}

@test "kernel: W=1 build against the newest series (sid's source, 7.x) has no warning" {
	run build_clean "$KROOT_NEW" W=1
	assert_output ""
	# modpost checked every symbol against that kernel's Module.symvers.
	[ -f "$BATS_TEST_TMPDIR/b/kernel/vcpu_stall_detector.ko" ]
}

# sid's sparse: 7.x turns C=2 off (with a warning) for bookworm's.  Silence
# proves nothing by itself: the build must succeed and sparse must have
# checked every source file (a wrapper counts its runs).
@test "kernel: the upstream fix applies to mainline's driver of the newest series (7.x) and it builds" {
	# 6.12's, patched and not, runs against the device in mainline.bats.
	run "$VSD_ROOT/scripts/build-mainline-driver.sh" sid "$KROOT_NEW"
	assert_success
	local dir=${lines[-1]}
	[ -s "$dir/patched/vcpu_stall_detector.ko" ] || fail "no patched module in $dir"
	[ -s "$dir/unpatched/vcpu_stall_detector.ko" ] || fail "no unpatched module in $dir"
}

@test "kernel: sparse (C=2) finds nothing on 6.1, 6.12 and 7.x" {
	local k wrap=$BATS_TEST_TMPDIR/sparse-counted n srcs
	printf '#!/bin/sh\necho "$*" >>"%s"\nexec "%s" "$@"\n' "$BATS_TEST_TMPDIR/sparse.log" "$SPARSE" >"$wrap"
	chmod +x "$wrap"
	# Every object of the module (kernel/Kbuild) and the test helper's.
	srcs=$(sed -n '/^vcpu_stall_detector-y/,/[^\\]$/p' "$VSD_ROOT/kernel/Kbuild" |
		grep -o 'vsd_[a-z_]*\.o' | sed 's/\.o$/.c/'; echo vsd_test.c)
	[ "$(wc -l <<<"$srcs")" -ge 7 ] || fail "cannot read the module's objects from kernel/Kbuild"
	for k in "$KROOT_61" "$KROOT_612" "$KROOT_NEW"; do
		rm -rf "$BATS_TEST_TMPDIR/b" "$BATS_TEST_TMPDIR/sparse.log"
		run build_clean "$k" C=2 CHECK="$wrap" CF=-Wno-decl
		assert_output ""
		[ -f "$BATS_TEST_TMPDIR/b/kernel/vcpu_stall_detector.ko" ] || fail "no module built against $k"
		for n in $srcs; do
			# Its last argument; 6.13+ builds external modules with
			# paths relative to them.
			grep -Eq "(^| |/)$n\$" "$BATS_TEST_TMPDIR/sparse.log" 2>/dev/null ||
				fail "sparse did not check $n against $k"
		done
	done
}

@test "qemu-device: QEMU's checkpatch is clean on the device's files" {
	local src files
	src=$("$VSD_ROOT/scripts/fetch-qemu.sh")
	# From files/, so paths are as in QEMU's tree (tests/ has its own rules).
	cd "$VSD_ROOT/qemu-device/files"
	mapfile -t files < <(find . -name '*.[ch]' -printf '%P\n' | sort)
	[ ${#files[@]} -ge 4 ]
	run perl "$src/scripts/checkpatch.pl" --no-tree --terse -f "${files[@]}"
	assert_success
}

@test "qemu-device: the series is git format-patch output, checkpatch clean patch by patch" {
	local src out=$BATS_TEST_TMPDIR/series p n=0
	src=$("$VSD_ROOT/scripts/fetch-qemu.sh")
	run "$VSD_ROOT/scripts/qemu-series.sh" "$out"
	assert_success
	for p in "$out"/0*.patch; do
		[[ $p == */0000-cover-letter.patch ]] && continue
		n=$((n + 1))
		grep -q '^Signed-off-by: ' "$p" || fail "${p##*/}: no Signed-off-by"
		run perl "$src/scripts/checkpatch.pl" --no-tree "$p"
		if [[ $p == *-standard-headers-import-* ]]; then
			# What every import from Linux gets: a reminder to use the
			# script, and one to update MAINTAINERS.  Nothing else.
			refute_output --partial 'ERROR:'
			run grep -c '^WARNING:' <<<"$output"
			assert_output 2
		else
			assert_success
			assert_output --partial 'total: 0 errors, 0 warnings'
		fi
	done
	# One patch per step of qemu-device/series, and a cover letter.
	[ "$n" -eq "$(grep -vc -e '^#' -e '^$' "$VSD_ROOT/qemu-device/series")" ]
	grep -q '^Subject: \[PATCH 0/' "$out/0000-cover-letter.patch"
	refute grep -q '\*\*\*' "$out/0000-cover-letter.patch"
}

@test "qemu-device: every file of files/ and every patch belongs to one step of the series" {
	cd "$VSD_ROOT/qemu-device"
	run bash -c "grep -v '^#' series | tr ' ' '\n' | grep . | sort | uniq -d"
	assert_output ""
	local f
	while read -r f; do
		grep -qw -- "$f" series || fail "files/$f is in no step of qemu-device/series"
	done < <(cd files && find . -type f -printf '%P\n')
	for f in patches/*; do
		grep -q "^${f#patches/}\( \|\$\)" series || fail "$f is in no step of qemu-device/series"
	done
}

@test "qemu-device: without per-thread CPU clocks (the meson check) the device builds, warning-free" {
	local b cmd inc=$BATS_TEST_TMPDIR/inc
	# shellcheck source=/dev/null
	. "$VSD_ROOT/build/qemu.env"
	b=$VSD_QEMU_TREE/build
	cmd=$(jq -r '.[] | select(.file | endswith("hw/watchdog/vcpu_stall_detector.c")) | .command' \
		"$b/compile_commands.json")
	[ -n "$cmd" ] || fail "no compile command for the device in $b"
	# This host has them: the check found them, and the device uses them.
	grep -qx '#define CONFIG_PTHREAD_GETCPUCLOCKID' "$b/config-host.h"
	mkdir -p "$inc"
	grep -vx '#define CONFIG_PTHREAD_GETCPUCLOCKID' "$b/config-host.h" >"$inc/config-host.h"
	# The build's own command, our config-host.h first (QEMU includes it
	# with quotes: -iquote dirs come first, in order), compiled in full:
	# some warnings (an unused static) come only from code generation.
	cd "$b"
	run bash -c "set -- $cmd; cc=\$1; shift; args=(); skip=0
		for a; do
			if [ \$skip = 1 ]; then skip=0; continue; fi
			case \$a in -o|-MF|-MQ) skip=1; continue ;; -MD) continue ;; esac
			args+=(\"\$a\")
		done
		\$cc -iquote $inc -Werror \"\${args[@]}\" -o /dev/null"
	assert_success
	assert_output ""
}

@test "qemu-device: the spec (docs/specs rst) parses without a warning" {
	run /usr/bin/python3 -c '
import sys, docutils.core
docutils.core.publish_doctree(open(sys.argv[1]).read(), source_path=sys.argv[1],
                              settings_overrides={"halt_level": 2, "report_level": 2})' \
		"$VSD_ROOT/qemu-device/files/docs/specs/vcpu-stall-detector.rst"
	assert_success
	assert_output ""
}

@test "shell: shellcheck is clean" {
	cd "$VSD_ROOT"
	run shellcheck -x scripts/*.sh tests/vm-run tests/run tests/demo .ci/run tools/udev/vcpu-stall-udev \
		tools/hooks/vcpu-stall-pre-migrate tools/hooks/vcpu-stall-post-migrate tests/guest/qga-start
	assert_success
	run shellcheck -s bash tests/lib/common.bash tests/lib/session.bash tests/lib/platforms.bash
	assert_success
	# The guest's init scripts and the shared VM's agent run under busybox sh.
	run shellcheck -s sh tests/guest/init tests/guest/init-overlay tests/guest/agent
	assert_success
}

@test "python: pyflakes is clean on the benchmarks, the test helpers and the tools" {
	cd "$VSD_ROOT"
	run pyflakes3 bench/*.py bench/guest/*.py tests/lib/*.py tools/migrate/*.py \
		tools/migrate/vsd-migrate
	assert_success
	assert_output ""
}

@test "uapi: the header and the kernel's tables are what ynl-gen-c makes of the spec" {
	# Progress lines go to stderr; any difference is on stdout.
	run --separate-stderr "$VSD_ROOT/scripts/ynl-regen.sh" --check
	assert_success
	assert_output ""
}

@test "uapi: the spec's range checks equal the header's limits" {
	run /usr/bin/python3 "$VSD_ROOT/tests/lib/spec_limits.py" \
		"$VSD_ROOT/uapi/netlink/vcpu-stall.yaml"
	assert_success
}

@test "tests/run: each suite's CPU time is reported, what it left running is killed and named" {
	[ -e /sys/fs/cgroup/cgroup.controllers ] || [ -e /sys/fs/cgroup/unified/cgroup.controllers ] ||
		fail "no cgroup v2 on this host: tests/run can neither count a suite's CPU nor sweep it"
	# (printf: bats would rewrite a test line of ours in a here-document.)
	printf '%s\n' '@test "leaves a process behind" {' \
		'	setsid sleep 321 </dev/null >/dev/null 2>&1 3>&- &' '}' \
		>"$BATS_TEST_TMPDIR/leaver.bats"
	run "$VSD_ROOT/tests/run" "$BATS_TEST_TMPDIR/leaver.bats"
	assert_success
	assert_line --regexp '^# suite leaver: [0-9]+ s, [0-9]+ s of CPU$'
	assert_line '# suite leaver left these running; killed:'
	assert_line --regexp '^#   [0-9]+ sleep 321$'
	assert_line '1 passed, 0 failed'
	poll_until 10 'the leftover sleep to be gone' sh -c "! pgrep -f '^sleep 321$'"
}
