#!/usr/bin/env bats
# The device's qtest suite (QEMU's libqtest, built in the patched tree): one
# bats test per qtest case, so a failure names the case.

load lib/common

setup() {
	. "$PLATFORM_QEMU_ENV"
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
@test "qtest: a stall report outlives reloads until acknowledged; a disable or reset ends it" { qtest_case pending; }
@test "qtest: banks are isolated"                  { qtest_case isolation; }
@test "qtest: stray accesses are logged and harmless" { qtest_case stray; }
@test "qtest: QOM status properties"               { qtest_case qom-status; }
@test "qtest: VMState round trip through migration" { qtest_case migration; }
@test "qtest: 10,000 random accesses keep every invariant" { qtest_case fuzz; }
@test "qtest: a grace period ends only by a reload, a disable or a reset (random writes)" {
	qtest_case grace-invariant
	grep -m1 '^# seed ' <<<"$output" >&3
}
@test "qtest: counting is exact across rate and STATUS rewrites" { qtest_case exact-count; }
@test "qtest: vCPUs stalling together get one watchdog action" { qtest_case one-action; }
@test "qtest: -action watchdog=pause, cont: one stop, banks consistent" { qtest_case pause-cont; }
@test "qtest: migration in the grace period" { qtest_case migration-grace; }

@test "qtest: a corrupt migration stream fails to load, naming the field" {
	qtest_case migration-corrupt
	assert_output --partial "bank 0 in the migration stream: CLOCK_FREQ_HZ is 0"
	assert_output --partial "bank 1 in the migration stream: the grace period left is out of range"
	assert_output --partial "invalid clock 7 in the migration stream"
}

@test "qtest: a destination counting another clock refuses the migration" {
	qtest_case migration-clock
	assert_output --partial "the source counts clock=guest-time, this destination clock=virtual; start it with -global vcpu-stall-detector.clock=guest-time"
}

@test "qtest: a vCPU that does not exist yet counts guest time too" { qtest_case late-vcpu; }
@test "qtest: properties of an unrealized device; clock is a QAPI enum" { qtest_case properties; }

# virt_fails ARGS...: QEMU with the device on virt must refuse to start,
# exiting 1 (an error, not a crash).
virt_fails() {
	run "$VSD_QEMU" -machine virt,vcpu-stall-detector=on -cpu cortex-a72 \
		-nodefaults -display none -S "$@"
	assert_failure 1
}

@test "device: -action watchdog=inject-nmi is refused at start-up on virt" {
	virt_fails -action watchdog=inject-nmi
	assert_output --partial "-action watchdog=inject-nmi: this machine has no NMI to inject"
	virt_fails -watchdog-action inject-nmi
	assert_output --partial "no NMI to inject"
}

@test "device: a failed realize is an error, not a crash" {
	virt_fails -global vcpu-stall-detector.clock-frequency=0
	assert_output --partial "clock-frequency and timeout-sec must not be 0"
	virt_fails -global vcpu-stall-detector.clock-frequency=1000000 \
		-global vcpu-stall-detector.timeout-sec=10000
	assert_output --partial "must fit in the 32-bit LOAD_CNT register"
	virt_fails -accel tcg,thread=single -global vcpu-stall-detector.clock=guest-time
	assert_output --partial "clock=guest-time needs a thread per vCPU"
}
