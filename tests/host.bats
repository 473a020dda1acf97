#!/usr/bin/env bats
# What the host does to a VM: the clock a count falls by, stopping QEMU,
# migrating it.  Each case boots its own VMs: what it tests happens on the
# host.  Overcommitting it (host contention, a timing) is in timing.bats.
# Platforms: every one.

load lib/common

teardown() { vm_teardown; }

# qemu_clock [QEMU args...]: the clock a device in a stopped VM reports.
qemu_clock() {
	. "$PLATFORM_QEMU_ENV"
	"$VSD_QEMU" -machine virt,gic-version=3,vcpu-stall-detector=on \
		-cpu cortex-a72 -smp 2 -nodefaults -display none -S \
		-qmp "unix:$BATS_TEST_TMPDIR/c.sock,server=on,wait=off" "$@" &
	local pid=$! r
	r=$(python3 "$QMP_PY" cmd "$BATS_TEST_TMPDIR/c.sock" qom-get \
		'{"path": "/machine/stall-detector", "property": "clock"}') || true
	python3 "$QMP_PY" cmd "$BATS_TEST_TMPDIR/c.sock" quit >/dev/null 2>&1 || true
	wait "$pid" || true
	echo "$r"
}

@test "clock: guest-time by default with a thread per vCPU, virtual otherwise" {
	run qemu_clock -accel tcg,thread=multi
	assert_output '"guest-time"'
	run qemu_clock -accel tcg,thread=single
	assert_output '"virtual"'
	run qemu_clock -accel tcg,thread=multi -global vcpu-stall-detector.clock=virtual
	assert_output '"virtual"'
}

@test "clock: guest-time with shared vCPU threads fails, naming clock=virtual" {
	. "$PLATFORM_QEMU_ENV"
	run "$VSD_QEMU" -machine virt,vcpu-stall-detector=on -cpu cortex-a72 -smp 2 \
		-accel tcg,thread=single -nodefaults -display none -S \
		-global vcpu-stall-detector.clock=guest-time
	assert_failure
	assert_output --partial "clock=guest-time needs a thread per vCPU"
	assert_output --partial "clock=virtual"
	run "$VSD_QEMU" -machine virt,vcpu-stall-detector=on -cpu cortex-a72 \
		-nodefaults -display none -S -global vcpu-stall-detector.clock=wall
	assert_failure
	assert_output --partial "clock must be guest-time or virtual, not 'wall'"
}

# stop_qemu CLOCK: SIGSTOP QEMU for 3x the timeout; print the stall count.
stop_qemu() {
	vm_start --smp 2 "${DEV_ARGS[@]}" -q -global -q "vcpu-stall-detector.clock=$1" \
		-q -pidfile -q "$BATS_TEST_TMPDIR/qemu.pid" -- \
		"$LOAD || exit 1; echo LOADED; sleep 60"
	wait_output LOADED 60 >/dev/null
	sleep 1
	kill -STOP "$(cat "$BATS_TEST_TMPDIR/qemu.pid")"
	sleep $((3 * TIMEOUT))
	kill -CONT "$(cat "$BATS_TEST_TMPDIR/qemu.pid")"
	sleep $((3 * TIMEOUT))
	count_events VCPU_STALL
}

@test "guest-time: QEMU stopped (SIGSTOP) for 3x the timeout raises no stall" {
	run stop_qemu guest-time
	assert_output 0
}

@test "virtual: the same SIGSTOP raises false stalls (why guest-time is the default)" {
	run stop_qemu virtual
	echo "# clock=virtual: $output false VCPU_STALL events after SIGSTOP/SIGCONT" >&3
	[ "$output" -ge 1 ]
}

@test "live migration: no stall during or after, the destination pets, a later stall is caught there" {
	local t=$BATS_TEST_TMPDIR
	VMDIR=$t/src vm_start --smp 2 "${DEV_ARGS[@]}" -- "
		$LOAD || exit 1; echo LOADED; sleep 40
		echo STALL; echo '1 600000' > /sys/module/vsd_test/parameters/stall
		sleep 600"
	VMDIR=$t/dst vm_start --smp 2 "${DEV_ARGS[@]}" --incoming "unix:$t/mig.sock" -- true
	VMDIR=$t/src wait_output LOADED 60 >/dev/null
	VMDIR=$t/dst wait_listening "$t/mig.sock" 60
	VMDIR=$t/src qmp migrate "{\"uri\": \"unix:$t/mig.sock\"}"
	VMDIR=$t/src wait_migration 60
	start=$SECONDS
	VMDIR=$t/dst run qmp query-status
	assert_output --partial '"running": true'
	first=$(VMDIR=$t/dst qom_banks)
	# 3x the timeout after the migration completed (never a negative sleep).
	local left=$((3 * TIMEOUT - (SECONDS - start)))
	[ "$left" -le 0 ] || sleep "$left"
	second=$(VMDIR=$t/dst qom_banks)
	[ "$(VMDIR=$t/src count_events VCPU_STALL)" -eq 0 ] || fail "stall on the source"
	[ "$(VMDIR=$t/dst count_events VCPU_STALL)" -eq 0 ] || fail "stall on the destination"
	run jq -n --argjson a "$first" --argjson b "$second" \
		'[range(2) as $i | $b[$i].enabled and ($b[$i].pets - $a[$i].pets >= 2)] | all'
	assert_output true
	# The guest goes on running on the destination, and its stall is caught there.
	VMDIR=$t/dst wait_output STALL 60 >/dev/null
	VMDIR=$t/dst wait_event VCPU_STALL 30 cpu-index=1 >/dev/null
}

@test "migrating a stopped VM carries the exact device state, an expired bank stays expired" {
	local t=$BATS_TEST_TMPDIR
	VMDIR=$t/src vm_start --smp 2 "${DEV_ARGS[@]}" -q -action -q watchdog=none -- "
		$LOAD || exit 1; sleep 1
		echo '1 600000' > /sys/module/vsd_test/parameters/stall; sleep 600"
	VMDIR=$t/dst vm_start --smp 2 "${DEV_ARGS[@]}" -q -action -q watchdog=none \
		--incoming "unix:$t/mig.sock" -- true
	VMDIR=$t/src wait_event VCPU_STALL 60 cpu-index=1 >/dev/null
	VMDIR=$t/dst wait_listening "$t/mig.sock" 60
	VMDIR=$t/src qmp stop >/dev/null
	VMDIR=$t/src qmp migrate "{\"uri\": \"unix:$t/mig.sock\"}"
	VMDIR=$t/src wait_migration 60
	src=$(VMDIR=$t/src qom_banks | jq -S .)
	dst=$(VMDIR=$t/dst qom_banks | jq -S .)
	assert_equal "$dst" "$src"
	run jq -c '[.[] | [.cpu, .enabled, .expired]]' <<<"$dst"
	assert_output '[[0,true,false],[1,true,true]]'
	run jq '.[0].pets > 0 and .[1].stalls == 1' <<<"$dst"
	assert_output true
	VMDIR=$t/dst run qmp query-status
	assert_output --partial '"running": false'
}
