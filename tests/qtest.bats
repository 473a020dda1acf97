#!/usr/bin/env bats
# The device's qtest suite (QEMU's libqtest, built in the patched tree): one
# bats test per qtest case, so a failure names the case.

load lib/common

setup() {
	. "$VSD_ROOT/build/qemu.env"
	export QTEST_QEMU_BINARY=$VSD_QEMU
}

qtest_case() {
	run "$VSD_QTEST" --tap -p "/aarch64/vcpu-stall-detector/$1"
	assert_success
	assert_line --regexp "^ok 1 /aarch64/vcpu-stall-detector/$1\$"
}

@test "qtest: reset values"                        { qtest_case reset-values; }
@test "qtest: register semantics and countdown"    { qtest_case registers; }
@test "qtest: PPI exactly at zero, VCPU_STALL, grace, action" { qtest_case expiry; }
@test "qtest: reload, disable and reset clear the state" { qtest_case clear; }
@test "qtest: banks are isolated"                  { qtest_case isolation; }
@test "qtest: stray accesses are logged and harmless" { qtest_case stray; }
@test "qtest: QOM status properties"               { qtest_case qom-status; }
@test "qtest: VMState round trip through migration" { qtest_case migration; }
@test "qtest: 10,000 random accesses keep every invariant" { qtest_case fuzz; }
