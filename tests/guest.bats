#!/usr/bin/env bats
# What the guest image carries besides busybox and our modules (see
# scripts/build-guest.sh): glibc and the libraries our tools link against,
# python3 with PyYAML and jsonschema, the kernel's YNL CLI with our spec.
# The cases share one arm64 VM (tests/lib/session.bash).  Platforms: every
# one (LIBDIR is the guest's multiarch directory).

load lib/common

teardown() { vm_teardown; }
teardown_file() { session_end; }

GUEST_VM=(--smp 2 "${DEV_ARGS[@]}")

LIBDIR=/lib/aarch64-linux-gnu

@test "dynamically linked arm64 programs run: glibc and the tools' libraries resolve" {
	session "${GUEST_VM[@]}"
	gx "
		$LIBDIR/libc.so.6 | head -n 1 || exit 1
		for l in libnl-genl-3.so.200 libudev.so.1 libsmartcols.so.1; do
			/lib/ld-linux-aarch64.so.1 --list $LIBDIR/\$l || exit 1
		done
		python3 -c 'print(\"python3 runs\")'"
	assert_success
	assert_line --regexp '^GNU C Library \(Debian GLIBC .*\) stable release'
	assert_line --regexp "^[[:space:]]+libnl-3.so.200 => $LIBDIR/libnl-3.so.200 "
	assert_line --regexp "^[[:space:]]+libc.so.6 => $LIBDIR/libc.so.6 "
	assert_line 'python3 runs'
	refute_output --partial 'not found'
}

@test "stallctl, when the image has it, finds every library it needs" {
	session "${GUEST_VM[@]}"
	gx '
		[ -x /usr/bin/stallctl ] || exit 77
		/lib/ld-linux-aarch64.so.1 --list /usr/bin/stallctl'
	[ "$status" -ne 77 ] || skip "no stallctl in the image"
	assert_success
	refute_output --partial 'not found'
}

@test "python3 imports yaml and jsonschema, and they work" {
	session "${GUEST_VM[@]}"
	gx "python3 -c '
import yaml, jsonschema
doc = yaml.safe_load(\"timeout-sec: 4\")
jsonschema.validate(doc, {\"type\": \"object\", \"properties\": {\"timeout-sec\": {\"type\": \"integer\"}}})
try:
    jsonschema.validate({\"timeout-sec\": \"x\"}, {\"properties\": {\"timeout-sec\": {\"type\": \"integer\"}}})
except jsonschema.ValidationError:
    print(\"invalid refused\")
print(doc)'"
	assert_success
	assert_line 'invalid refused'
	assert_line "{'timeout-sec': 4}"
}

@test "ynl: our spec validates against its schema, lists our ops and talks to the driver" {
	session "${GUEST_VM[@]}"
	gx "
		modprobe vcpu_stall_detector || exit 1
		ynl --spec $YNL_SPEC --list-ops || exit 1
		ynl --spec $YNL_SPEC --do config-get --output-json"
	assert_success
	assert_line --regexp '^cpu-get +\[ (do, dump|dump, do) \]$' # modes: a set
	assert_line --regexp '^config-get +\[ do \]$'
	assert_line --regexp '^config-set +\[ do \]$'
	assert_output --partial "\"timeout-sec\": $TIMEOUT"
	assert_output --partial "\"clock-hz\": $FREQ"
}
