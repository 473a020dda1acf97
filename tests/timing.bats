#!/usr/bin/env bats
# The tests whose figures are timings: how soon a stall is caught, and what
# host contention does.  tests/run runs this file alone, nothing beside it.
# Each case boots its own VM.  Platforms: every one.

load lib/common

teardown() {
	[ -n "${HOG:-}" ] && kill "$HOG" 2>/dev/null
	vm_teardown
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
	# The bound: the timeout and two count periods, and 0.3 s for the
	# console's and QMP's delivery.
	awk -v t0="$t0" -v te="$te" -v timeout="$TIMEOUT" -v freq="$FREQ" \
		'BEGIN { d = te - t0; lim = timeout + 2 / freq + 0.3
			printf "# stall caught after %.2f s (bound %.2f s)\n", d, lim; exit !(d > 0 && d <= lim) }' >&3 ||
		fail "VCPU_STALL came $te, stall began $t0"
	# The grace period passes, then the watchdog action pauses the VM.
	wait_event WATCHDOG 10 action=pause >/dev/null
	run qmp query-status
	assert_output --partial '"running": false'
	assert_output --partial '"status": "watchdog"'
	[ "$(count_events VCPU_STALL)" -eq 1 ] || fail "other vCPUs reported stalls"
}

@test "guest-time: 4 vCPUs on one busy host core: no false stall, a real stall still caught" {
	taskset -c 0 sh -c 'while :; do :; done' &
	HOG=$!
	VM_PREFIX=(taskset -c 0)
	vm_start --smp 4 "${DEV_ARGS[@]}" -- "
		$LOAD || exit 1; echo LOADED; sleep $((3 * TIMEOUT))
		echo STALL; echo '3 600000' > /sys/module/vsd_test/parameters/stall
		sleep 600"
	wait_output LOADED 240 >/dev/null
	wait_output STALL 120 >/dev/null
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "false stall under contention"
	wait_event VCPU_STALL 180 cpu-index=3 >/dev/null
	[ "$(count_events VCPU_STALL)" -eq 1 ] || fail "other vCPUs reported stalls"
}
