#!/usr/bin/env bats
# The guest driver and the QEMU device together, in real arm64 VMs, with
# the device counting virtual time (host.bats covers guest time).  Cases
# that leave the VM running share one (tests/lib/session.bash), traced and
# logging guest errors; those that end it (a watchdog action, a panic) or
# need other device properties boot their own.  The detection latency, a timing,
# is in timing.bats.  Platforms: every one.

load lib/common

teardown() { vm_teardown; }
teardown_file() { session_end; }

# QEMU's log takes both the trace (its log backend) and the guest errors:
# one file, named by -D (-trace file= would rename it for both).
QLOG=$BATS_FILE_TMPDIR/qemu.log
DET_VM=("${STD_VM[@]}" -q -trace -q vcpu_stall_write -q -trace -q vcpu_stall_expired
	-q -trace -q vcpu_stall_ack -q -d -q guest_errors -q -D -q "$QLOG")
# since_start FILE OFFSET: what FILE (the trace, QEMU's log) got past OFFSET.
since_start() { tail -c +$((${2:-0} + 1)) "$1"; }
size() { stat -c %s "$1" 2>/dev/null || echo 0; }

@test "firmware properties reach the driver; one out of range gets its default and a warning" {
	session_stop
	# QEMU describes the device with its own properties, in the DT or in
	# the DSDT's _DSD: timeout-sec 4000 is above the binding's maximum
	# (the device counts it).  The driver probes all the same.
	run "$VM_RUN" --smp 2 -q -global -q vcpu-stall-detector.clock-frequency=1000 \
		-q -global -q vcpu-stall-detector.timeout-sec=4000 -- "
		$LOAD || exit 1; $BANKS
		dmesg | grep -o 'timeout-sec .*'"
	assert_success
	assert_line --regexp '^0 1 8000 [0-9]+ 1000$'
	assert_line --regexp '^1 1 8000 [0-9]+ 1000$'
	assert_line "timeout-sec 4000 out of range (1..3600), using 8"
}

@test "a stall with -action watchdog=poweroff ends the VM" {
	session_stop
	vm_start --smp 2 "${VIRT_ARGS[@]}" -q -action -q watchdog=poweroff -- "
		$LOAD || exit 1; sleep 1
		echo '1 10000' > /sys/module/vsd_test/parameters/stall
		echo STALLING
		sleep 60"
	# From the stall's start: the boot's length (UEFI, a loaded host) is
	# no part of what is measured.
	wait_output STALLING 120 >/dev/null
	wait_event VCPU_STALL $((TIMEOUT + 10)) cpu-index=1 >/dev/null
	wait_event WATCHDOG 10 action=poweroff >/dev/null
	vm_wait
	# QEMU exits at once (poweroff does not wait for the guest).
	[ "$VM_STATUS" -eq 125 ] || fail "vm-run exited $VM_STATUS, wanted 125 (no status)"
	refute grep -q 'interrupts back on' "$BATS_TEST_TMPDIR/console"
}

@test "the PPI: a vCPU that comes back after its timeout panics the guest" {
	session_stop
	vm_start --smp 2 "${VIRT_ARGS[@]}" -q -action -q watchdog=none -- "
		$LOAD || exit 1; sleep 1
		echo '1 $(((TIMEOUT + 2) * 1000))' > /sys/module/vsd_test/parameters/stall
		echo STALLING
		sleep 60"
	# From the stall's start: the boot's length (UEFI, a loaded host) is
	# no part of what is measured.
	wait_output STALLING 120 >/dev/null
	wait_event VCPU_STALL $((TIMEOUT + 10)) cpu-index=1 >/dev/null
	vm_wait
	[ "$VM_STATUS" -eq 125 ] || fail "vm-run exited $VM_STATUS, wanted 125 (guest panic)"
	run cat "$BATS_TEST_TMPDIR/console"
	assert_output --partial "Kernel panic - not syncing: vCPU stall detector: CPU 1 stalled"
}

@test "level PPI: a stall report outlives the CPU's own reload; one interrupt per stall" {
	session "${DET_VM[@]}"
	local off
	off=$(size "$QLOG")
	# CPU 1 spins with interrupts off past its timeout.  When it turns
	# them back on, the timer's PPI (INTID 27) and ours (31) are both
	# pending at one priority and the GIC takes the lower INTID first: the
	# pet reloads before the stall interrupt runs.  The device holds the
	# report until the handler acknowledges it; a storm would show as more
	# than one interrupt.
	gx "
		$LOAD || exit 1
		echo notify > $DEV/stall_action
		echo '1 $(((TIMEOUT + 1) * 1000))' > /sys/module/vsd_test/parameters/stall
		wait_until 60 'the stall counted' grep -qx 1 $DEV/cpus/cpu1/stalls
		awk '/vcpu_stall_detector/ { print \"irqs\", \$3 }' /proc/interrupts"
	assert_success
	assert_line "irqs 1"
	# Host side, in order: the expiry, CPU 1's reload, its acknowledge.
	run sh -c "tail -c +$((off + 1)) '$QLOG' | grep -o 'vcpu_stall_[a-z]* cpu 1 \(reg 0x04\|count\|stall report ack\)' | uniq"
	assert_output "$(printf '%s\n' 'vcpu_stall_write cpu 1 reg 0x04' 'vcpu_stall_expired cpu 1 count' \
		'vcpu_stall_write cpu 1 reg 0x04' 'vcpu_stall_ack cpu 1 stall report ack' 'vcpu_stall_write cpu 1 reg 0x04')"
}

@test "4 vCPUs: the module probes and every bank is enabled and reloaded" {
	session "${DET_VM[@]}"
	local off
	off=$(size "$QLOG")
	gx "
		$LOAD || exit 1
		dmesg | grep vcpu_stall_detector
		$SAMPLE"
	assert_success
	assert_output --partial "timeout $TIMEOUT s, clock $FREQ Hz, stall interrupt"
	check_banks "$output" 4
	# Host side: QEMU saw LOAD_CNT (0x04) writes from every vCPU.
	for cpu in 0 1 2 3; do
		n=$(since_start "$QLOG" "$off" | grep -c "vcpu_stall_write cpu $cpu reg 0x04 ")
		[ "$n" -ge 3 ] || fail "cpu $cpu: only $n reloads reached the device"
	done
}

@test "a healthy VM raises no stall event in 3x the timeout" {
	session "${DET_VM[@]}"
	gx "$LOAD || exit 1; sleep $((3 * TIMEOUT)); $BANKS"
	assert_success
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "false stall: $(case_events)"
	run grep -c '^[0-3] 1 40 ' <<<"$output"
	assert_output 4
}

@test "an offline CPU's bank is disabled and re-armed when it comes back" {
	session "${DET_VM[@]}"
	gx "
		$LOAD || exit 1; sleep 1
		echo 0 > /sys/devices/system/cpu/cpu2/online || exit 1
		echo OFFLINE; $BANKS
		sleep $((3 * TIMEOUT))
		echo STILL; $BANKS
		echo 1 > /sys/devices/system/cpu/cpu2/online || exit 1
		sleep 1; echo ONLINE; $SAMPLE"
	assert_success
	out=$output
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "stall event: $(case_events)"
	run sed -n '/^OFFLINE/,/^ONLINE/p' <<<"$out"
	assert_line --regexp '^2 0 40 [0-9]+ 10$'
	refute_line --regexp '^2 1 '
	run sed -n '/^ONLINE/,$p' <<<"$out"
	refute_line --regexp '^2 0 '
	assert_line --regexp '^2 1 40 [0-9]+ 10$'
	check_banks "$(sed -n '/^ONLINE/,$p' <<<"$out")" 4
}

@test "rmmod disables every bank and the module loads again" {
	session "${DET_VM[@]}"
	gx "
		$LOAD || exit 1; sleep 1
		rmmod vcpu_stall_detector || exit 1
		echo REMOVED; $BANKS
		sleep $((2 * TIMEOUT))
		modprobe vcpu_stall_detector || exit 1
		sleep 1; echo LOADED; $SAMPLE"
	assert_success
	out=$output
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "stall event: $(case_events)"
	run sed -n '/^REMOVED/,/^LOADED/p' <<<"$out"
	refute_line --regexp '^[0-3] [^0] '
	assert_line --regexp '^3 0 '
	check_banks "$(sed -n '/^LOADED/,$p' <<<"$out")" 4
}

@test "stray guest MMIO accesses are logged and change nothing" {
	session "${DET_VM[@]}"
	local off
	off=$(size "$QLOG")
	gx "
		$LOAD || exit 1; sleep 1
		echo 1 > /sys/module/vsd_test/parameters/stray || exit 1
		$SAMPLE"
	assert_success
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "stall event after stray accesses"
	check_banks "$output" 4
	run since_start "$QLOG" "$off"
	assert_output --partial "registers are 32 bits wide"
	assert_output --partial "past the last bank"
	assert_output --partial "CURRENT_CNT is read-only"
}

@test "the host reads every bank through QOM (qom-get banks), pets rising" {
	session "${DET_VM[@]}"
	gx_start "$LOAD || exit 1; hold LOADED"
	wait_output LOADED 60 >/dev/null
	first=$(qom_banks)
	sleep $((TIMEOUT + 1))
	second=$(qom_banks)
	# Nothing pending.
	run jq -c '[.[] | [.cpu, .enabled, .expired, .pending, .load, ."clock-frequency"]]' <<<"$second"
	assert_output '[[0,true,false,false,40,10],[1,true,false,false,40,10],[2,true,false,false,40,10],[3,true,false,false,40,10]]'
	# Every vCPU petted in between (at least twice in timeout + 1 s).
	run jq -n --argjson a "$first" --argjson b "$second" \
		'[range(4) as $i | $b[$i].pets - $a[$i].pets >= 2] | all'
	assert_output true
	run qmp qom-get '{"path": "/machine/stall-detector", "property": "bank2"}'
	assert_output --partial '"cpu": 2'
	gx_end
}
