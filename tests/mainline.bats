#!/usr/bin/env bats
# Mainline's guest driver (drivers/misc/vcpu_stall_detector.c, built from
# Debian's linux-source of the test guest's series) against our device, as
# it is and with our fix (kernel/upstream/): both probe and keep the guest
# alive; a stall gets the QMP event, and the host acts once the stall
# outlasts the grace period.  As it is, mainline requests the stall PPI but
# never enables it on any CPU, so a vCPU that comes back from a stall does
# not panic the guest; patched, it does.  Each case boots its own VM (one
# ends in a panic).  Platforms: arm64-dt.

load lib/common

teardown() { vm_teardown; }

setup_file() {
	local kroot
	kroot=$("$VSD_ROOT/scripts/fetch-kernel.sh") &&
		MAINLINE=$("$VSD_ROOT/scripts/build-mainline-driver.sh" "${VSD_KSUITE:-bookworm-backports}" "$kroot") || {
		echo "# cannot build mainline's driver" >&3
		return 1
	}
	export MAINLINE
}

STALL=/sys/module/vsd_test/parameters/stall
# mainline VARIANT CMD: boot with that build of mainline's driver loaded
# (and vsd_test, ours), CMD after; the host pauses the VM when a grace
# period of 10 s runs out.
mainline() {
	vm_start --smp 2 "${VIRT_ARGS[@]}" "${LONG_GRACE[@]}" -q -action -q watchdog=pause \
		-f "$MAINLINE/$1/vcpu_stall_detector.ko" -- "$GUEST_LIB
		insmod /vsd/files/vcpu_stall_detector.ko || exit 1
		modprobe vsd_test || exit 1
		[ -e $DEV ] || { echo 'mainline did not bind the device'; exit 1; }
		echo PROBED
		$2"
}

@test "mainline as it is: alive for 3x the timeout; a stall gets the event, no guest panic; a long one the host's action" {
	# Keeping the guest alive is an absence over time: 3 timeouts of it.
	mainline unpatched "
		sleep $((3 * TIMEOUT))
		echo ALIVE
		echo '1 $(((TIMEOUT + 2) * 1000))' > $STALL
		wait_until 30 'CPU 1 back' sh -c 'dmesg | grep -q \"CPU 1: interrupts back on\"'
		echo SURVIVED
		echo '1 60000' > $STALL
		# Only a bound on the guest's life: the host waits for its
		# WATCHDOG event, which ends the wait as soon as it comes.
		sleep 120"
	wait_output SURVIVED 120 >/dev/null
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line PROBED
	assert_line ALIVE
	# No event before the stall, one for it (CPU 1).
	[ "$(grep -c '"VCPU_STALL"' "$BATS_TEST_TMPDIR/events")" -eq 1 ] ||
		fail "wanted exactly the induced stall's VCPU_STALL"
	wait_event VCPU_STALL 5 cpu-index=1 >/dev/null
	# The long stall outlasts the grace period: the host acts.
	wait_event WATCHDOG 60 action=pause >/dev/null
	refute grep -q 'Kernel panic' "$BATS_TEST_TMPDIR/console"
}

@test "mainline with the fix: alive for 3x the timeout; a vCPU back from a stall panics the guest through the PPI" {
	mainline patched "
		sleep $((3 * TIMEOUT))
		echo ALIVE
		echo '1 $(((TIMEOUT + 2) * 1000))' > $STALL
		# Only a bound: the panic ends the VM (vm_wait) well before; a
		# guest that does not panic ends here, exit 0, and fails.
		sleep 60"
	wait_event VCPU_STALL 60 cpu-index=1 >/dev/null
	vm_wait
	[ "$VM_STATUS" -eq 125 ] || fail "vm-run exited $VM_STATUS, wanted 125 (guest panic)"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line PROBED
	assert_line ALIVE
	run cat "$BATS_TEST_TMPDIR/console"
	assert_output --partial "Kernel panic - not syncing: vCPU stall detector"
	# Before the host's grace period ran out.
	[ "$(count_events WATCHDOG)" -eq 0 ] || fail "the host acted first"
}
