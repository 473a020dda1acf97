#!/usr/bin/env bats
# The guest driver and the QEMU device together, in real arm64 VMs, with
# the device counting virtual time (host.bats covers guest time).

load lib/common

teardown() { vm_teardown; }

@test "4 vCPUs: the module probes and every bank is enabled and reloaded" {
	run "$VM_RUN" --smp 4 "${VIRT_ARGS[@]}" \
		-q -trace -q "vcpu_stall_write,file=$BATS_TEST_TMPDIR/trace" -- "
		$LOAD || exit 1
		dmesg | grep vcpu_stall_detector
		$SAMPLE"
	assert_success
	assert_output --partial "timeout $TIMEOUT s, clock $FREQ Hz, stall interrupt"
	check_banks "$output" 4
	# Host side: QEMU saw LOAD_CNT (0x04) writes from every vCPU.
	for cpu in 0 1 2 3; do
		n=$(grep -c "vcpu_stall_write cpu $cpu reg 0x04 " "$BATS_TEST_TMPDIR/trace")
		[ "$n" -ge 3 ] || fail "cpu $cpu: only $n reloads reached the device"
	done
}

@test "DT properties reach the driver: timeout-sec and clock-frequency" {
	run "$VM_RUN" --smp 2 -q -global -q vcpu-stall-detector.timeout-sec=6 \
		-q -global -q vcpu-stall-detector.clock-frequency=1000 -- "
		$LOAD || exit 1; sleep 1; $BANKS"
	assert_success
	assert_line --regexp '^0 1 6000 [0-9]+ 1000$'
	assert_line --regexp '^1 1 6000 [0-9]+ 1000$'
}

@test "a healthy VM raises no stall event in 3x the timeout" {
	vm_start --smp 4 "${VIRT_ARGS[@]}" -- "
		$LOAD || exit 1; sleep $((3 * TIMEOUT)); $BANKS"
	vm_wait
	[ "$VM_STATUS" -eq 0 ] || fail "vm-run exited $VM_STATUS"
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "false stall: $(cat "$BATS_TEST_TMPDIR/events")"
	run grep -c '^[0-3] 1 40 ' "$BATS_TEST_TMPDIR/out"
	assert_output 4
}

@test "a stall on CPU 2 is caught within timeout + 2 ticks and pauses the VM" {
	vm_start --smp 4 "${VIRT_ARGS[@]}" -q -action -q watchdog=pause -- "
		$LOAD || exit 1; sleep 1
		echo '2 8000' > /sys/module/vsd_test/parameters/stall
		echo STALLING; sleep 60"
	t0=$(wait_output STALLING 60)
	ev=$(wait_event VCPU_STALL 15)
	run jq -r '.data["cpu-index"]' <<<"$ev"
	assert_output 2
	te=$(jq -r '.timestamp.seconds + .timestamp.microseconds / 1e6' <<<"$ev")
	awk -v t0="$t0" -v te="$te" -v lim="$TIMEOUT + 2 / $FREQ" \
		'BEGIN { d = te - t0; printf "# stall caught after %.2f s\n", d; exit !(d > 0 && d <= lim + 0.3) }' >&3 ||
		fail "VCPU_STALL came $te, stall began $t0"
	# The grace period passes, then the watchdog action pauses the VM.
	wait_event WATCHDOG 10 action=pause >/dev/null
	run qmp query-status
	assert_output --partial '"running": false'
	assert_output --partial '"status": "watchdog"'
	[ "$(count_events VCPU_STALL)" -eq 1 ] || fail "other vCPUs reported stalls"
}

@test "a stall with -action watchdog=poweroff ends the VM" {
	vm_start --smp 2 "${VIRT_ARGS[@]}" -q -action -q watchdog=poweroff -- "
		$LOAD || exit 1; sleep 1
		echo '1 10000' > /sys/module/vsd_test/parameters/stall
		sleep 60"
	wait_event VCPU_STALL 30 cpu-index=1 >/dev/null
	wait_event WATCHDOG 10 action=poweroff >/dev/null
	vm_wait
	# QEMU exits at once (poweroff does not wait for the guest).
	[ "$VM_STATUS" -eq 125 ] || fail "vm-run exited $VM_STATUS, wanted 125 (no status)"
	refute grep -q 'interrupts back on' "$BATS_TEST_TMPDIR/console"
}

@test "the PPI: a vCPU that comes back after its timeout panics the guest" {
	vm_start --smp 2 "${VIRT_ARGS[@]}" -q -action -q watchdog=none -- "
		$LOAD || exit 1; sleep 1
		echo '1 $(((TIMEOUT + 2) * 1000))' > /sys/module/vsd_test/parameters/stall
		sleep 60"
	wait_event VCPU_STALL 30 cpu-index=1 >/dev/null
	vm_wait
	[ "$VM_STATUS" -eq 125 ] || fail "vm-run exited $VM_STATUS, wanted 125 (guest panic)"
	run cat "$BATS_TEST_TMPDIR/console"
	assert_output --partial "Kernel panic - not syncing: vCPU stall detector: CPU 1 stalled"
}

@test "an offline CPU's bank is disabled and re-armed when it comes back" {
	vm_start --smp 4 "${VIRT_ARGS[@]}" -- "
		$LOAD || exit 1; sleep 1
		echo 0 > /sys/devices/system/cpu/cpu2/online || exit 1
		echo OFFLINE; $BANKS
		sleep $((3 * TIMEOUT))
		echo STILL; $BANKS
		echo 1 > /sys/devices/system/cpu/cpu2/online || exit 1
		sleep 1; echo ONLINE; $SAMPLE"
	vm_wait
	[ "$VM_STATUS" -eq 0 ] || fail "vm-run exited $VM_STATUS"
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "stall event: $(cat "$BATS_TEST_TMPDIR/events")"
	run sed -n '/^OFFLINE/,/^ONLINE/p' "$BATS_TEST_TMPDIR/out"
	assert_line --regexp '^2 0 40 [0-9]+ 10$'
	refute_line --regexp '^2 1 '
	run sed -n '/^ONLINE/,$p' "$BATS_TEST_TMPDIR/out"
	refute_line --regexp '^2 0 '
	assert_line --regexp '^2 1 40 [0-9]+ 10$'
	check_banks "$(sed -n '/^ONLINE/,$p' "$BATS_TEST_TMPDIR/out")" 4
}

@test "rmmod disables every bank and the module loads again" {
	vm_start --smp 4 "${VIRT_ARGS[@]}" -- "
		$LOAD || exit 1; sleep 1
		rmmod vcpu_stall_detector || exit 1
		echo REMOVED; $BANKS
		sleep $((2 * TIMEOUT))
		modprobe vcpu_stall_detector || exit 1
		sleep 1; echo LOADED; $SAMPLE"
	vm_wait
	[ "$VM_STATUS" -eq 0 ] || fail "vm-run exited $VM_STATUS"
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "stall event: $(cat "$BATS_TEST_TMPDIR/events")"
	run sed -n '/^REMOVED/,/^LOADED/p' "$BATS_TEST_TMPDIR/out"
	refute_line --regexp '^[0-3] [^0] '
	assert_line --regexp '^3 0 '
	check_banks "$(sed -n '/^LOADED/,$p' "$BATS_TEST_TMPDIR/out")" 4
}

@test "stray guest MMIO accesses are logged and change nothing" {
	vm_start --smp 2 "${VIRT_ARGS[@]}" \
		-q -d -q guest_errors -q -D -q "$BATS_TEST_TMPDIR/qemu.log" -- "
		$LOAD || exit 1; sleep 1
		echo 1 > /sys/module/vsd_test/parameters/stray || exit 1
		$SAMPLE"
	vm_wait
	[ "$VM_STATUS" -eq 0 ] || fail "vm-run exited $VM_STATUS"
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "stall event after stray accesses"
	check_banks "$(cat "$BATS_TEST_TMPDIR/out")" 2
	run cat "$BATS_TEST_TMPDIR/qemu.log"
	assert_output --partial "registers are 32 bits wide"
	assert_output --partial "past the last bank"
	assert_output --partial "CURRENT_CNT is read-only"
}

@test "the host reads every bank through QOM (qom-get banks), pets rising" {
	vm_start --smp 4 "${VIRT_ARGS[@]}" -- "$LOAD || exit 1; echo LOADED; sleep 30"
	wait_output LOADED 60 >/dev/null
	first=$(qom_banks)
	sleep $((TIMEOUT + 1))
	second=$(qom_banks)
	run jq -c '[.[] | [.cpu, .enabled, .expired, .load, ."clock-frequency"]]' <<<"$second"
	assert_output '[[0,true,false,40,10],[1,true,false,40,10],[2,true,false,40,10],[3,true,false,40,10]]'
	# Every vCPU petted in between (at least twice in timeout + 1 s).
	run jq -n --argjson a "$first" --argjson b "$second" \
		'[range(4) as $i | $b[$i].pets - $a[$i].pets >= 2] | all'
	assert_output true
	run qmp qom-get '{"path": "/machine/stall-detector", "property": "bank2"}'
	assert_output --partial '"cpu": 2'
}
