#!/usr/bin/env bats
# Pseudo-NMI stall reports, on the debug kernel (make guest-debug), whose
# per-CPU NMI API is exported to modules: with irqchip.gicv3_pseudo_nmi=1
# the driver takes the stall PPI as an NMI, so a CPU stuck with interrupts
# off for good reports its own stack before the host acts; without it the
# driver falls back to a normal interrupt, which such a CPU never takes.
# Each case boots its own VM (their kernel command lines differ, and each
# ends paused by the host).  Platforms: arm64-dt-debug only.

load lib/common

teardown() { vm_teardown; }

setup_file() { require_platform arm64-dt-debug "the kernel that exports the per-CPU NMI API" guest-debug; }

# hard_lockup [vm-run args]: interrupts off on CPU 1 for 120 s, action
# backtrace; the host pauses the VM when its grace period (10 s) runs out.
# Quiet: nothing printed on CPU 1 just before (see vsd_test.c's stall_fn()).
# hard_lockup UNTIL [vm-run options]: CPU 1 stuck with interrupts off for
# 120 s (or what STALL, a guest command, makes stuck); once UNTIL (guest
# shell) returns, CPU 0 copies the kernel log to the output.
hard_lockup() {
	local until=$1
	shift
	vm_start --smp 2 "${VIRT_ARGS[@]}" -q -global -q vcpu-stall-detector.grace-ms=10000 \
		-q -action -q watchdog=pause "$@" -- "$GUEST_LIB
		$LOAD || exit 1
		dmesg | grep -o 'stall NMI\|stall interrupt'
		grep -qx 'pr/.*' /proc/[0-9]*/comm && echo 'console thread'
		echo backtrace > $DEV/stall_action
		echo READY
		${STALL:-echo '1 120000 quiet' > /sys/module/vsd_test/parameters/stall}
		$until
		awk '/vcpu_stall_detector/ { print \"irqs\", \$3 }' /proc/interrupts
		echo LOG
		dmesg
		echo END
		sleep 300"
	wait_output READY 120 >/dev/null
	wait_event WATCHDOG 60 >/dev/null
}

@test "nmi: two CPUs stuck on each other both report by NMI; nothing waits for either" {
	# CPU 1 holds a lock, interrupts off, for 120 s; CPU 2 spins on it from
	# half a timeout on.  The first report must not wait for CPU 2 (no
	# synchronous call to it): both stacks reach the log from CPU 0.
	STALL="echo '1 2 120000 $((TIMEOUT * 500))' > /sys/module/vsd_test/parameters/pair" \
		hard_lockup "wait_until 60 'both NMI reports' sh -c '[ \$(dmesg | grep -c \"pair_fn\") -ge 2 ]'" \
		--smp 3 -a irqchip.gicv3_pseudo_nmi=1 -q -global -q vcpu-stall-detector.grace-ms=20000
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line "stall NMI"
	assert_line END
	assert_output --partial "vCPU stall detector: CPU 1 stalled (NMI); it may still be stuck; its stack at the NMI:"
	assert_output --partial "vCPU stall detector: CPU 2 stalled (NMI); it may still be stuck; its stack at the NMI:"
	# CPU 0's own, asked for without waiting for the stuck two.
	assert_output --partial "vCPU stall detector: backtrace of CPU 0"
	[ "$(count_events VCPU_STALL)" -ge 2 ] || fail "fewer than 2 VCPU_STALL"
}

@test "nmi: a CPU stuck with interrupts off reports its stack by NMI before the host acts" {
	# Until the report's last part, CPU 1's stack, is in the log.
	hard_lockup "wait_until 60 'the NMI report' sh -c 'dmesg | grep -q stall_fn'" \
		-a irqchip.gicv3_pseudo_nmi=1
	local report="vCPU stall detector: CPU 1 stalled (NMI); it may still be stuck; its stack at the NMI:"
	# CPU 0 reported it (event, uevent, these lines: the NMI kept CPU 1's
	# stack) while CPU 1 was stuck, and before the host acted.
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line "stall NMI"
	assert_line END
	assert_output --partial "$report"
	assert_output --partial "stall_fn"
	# One NMI for the stall: acknowledged, the level line fell, although
	# CPU 1 is still stuck and its count still expired.
	assert_line "irqs 1"
	# The console too: the host paused the VM, the console holds all the
	# guest printed before.  Except where consoles print from a thread
	# (nbcon, 6.15+): the scheduler may have put that thread on the stuck
	# CPU, and only the kernel's own emergency reports (RCU stall, lockups)
	# print in place; a module cannot enter that mode.
	if ! grep -qx 'console thread' "$BATS_TEST_TMPDIR/out"; then
		run cat "$BATS_TEST_TMPDIR/console"
		assert_output --partial "$report"
		assert_output --partial "stall_fn"
	fi
	# From the NMI the driver does not reload: the host saw the stall through.
	[ "$(count_events VCPU_STALL)" -ge 1 ] || fail "no VCPU_STALL"
}

@test "nmi: without pseudo-NMI the stall interrupt is normal and a hard lockup goes unreported by the guest" {
	# Nothing is to come: the log after twice the timeout, when the
	# pseudo-NMI case's report is there.
	hard_lockup "sleep $((2 * TIMEOUT))"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line "stall interrupt"
	assert_line END
	refute_output --partial "vCPU stall detector: CPU 1 stalled"
	run cat "$BATS_TEST_TMPDIR/console"
	refute_output --partial "vCPU stall detector: CPU 1 stalled"
}

@test "nmi: a CPU that cannot set up its NMI: at probe a normal interrupt for all, on hotplug a log line; teardown balanced" {
	local fail=/sys/kernel/debug/vcpu_stall_detector/fail_nmi cpu1=/sys/devices/system/cpu/cpu1/online
	vm_start --smp 2 "${VIRT_ARGS[@]}" "${LONG_GRACE[@]}" -a irqchip.gicv3_pseudo_nmi=1 -- "$GUEST_LIB
		# The first set-up fails (the probe's trial): the others' NMI
		# would leave that CPU no interrupt at all.
		modprobe vcpu_stall_detector fail_nmi=1,100,0,1 && modprobe vsd_test || exit 1
		# (How many fail depends on the race for the fault's last time.)
		dmesg -c | grep -oE 'stall NMI\$|stall interrupt\$|set-up failed on [12] CPUs: a normal interrupt instead' |
			sed 's/on [12] CPUs/on N CPUs/'
		# Which a CPU takes once it recovers from a stall.
		echo notify > $DEV/stall_action
		echo '1 $(((TIMEOUT + 1) * 1000))' > /sys/module/vsd_test/parameters/stall
		wait_until 60 'the stall counted' grep -qx 1 $DEV/cpus/cpu1/stalls
		echo stalls \$(cat $DEV/cpus/cpu1/stalls)
		rmmod vsd_test vcpu_stall_detector
		# Later, CPU 1's set-up fails as it comes online: it goes without.
		modprobe vcpu_stall_detector || exit 1
		echo 100 > $fail/probability
		echo 1 > $fail/times
		echo 0 > $cpu1 && echo 1 > $cpu1 || exit 1
		# Offline without its NMI, online with it, offline: balanced.
		echo 0 > $cpu1 && echo 1 > $cpu1 && echo 0 > $cpu1 && echo 1 > $cpu1 || exit 1
		dmesg -c | grep -o 'stall NMI\$\|stall interrupt\$\|CPU 1: no stall NMI'
		grep -c . $DEV/cpus/cpu1/pets
		rmmod vcpu_stall_detector && echo removed"
	vm_wait
	[ "$VM_STATUS" -eq 0 ] || fail "vm-run exited $VM_STATUS"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output "set-up failed on N CPUs: a normal interrupt instead
stall interrupt
stalls 1
stall NMI
CPU 1: no stall NMI
1
removed"
	# No WARNING from an unbalanced teardown (vm_teardown's splat check).
	[ "$(count_events WATCHDOG)" -eq 0 ] || fail "the host acted"
}
