#!/usr/bin/env bats
# System sleep and the detector: a suspend-to-idle cycle longer than the
# timeout raises no stall, and a pause request outlives it.  Platforms:
# arm64-dt only: on the debug kernel, on a loaded host, the guest twice
# never woke from s2idle (its console suspended, so nothing says where it
# hung); alone it passed there.  Not yet investigated (issue 15's note).

load lib/common

teardown() { vm_teardown; }
teardown_file() { session_end; }

@test "system sleep: a suspend-to-idle cycle longer than the timeout raises no stall" {
	session "${STD_VM[@]}"
	gx "
		modprobe vcpu_stall_detector || exit 1
		uevent env > /tmp/uevents &
		wait_nl \$! 15 'the uevent listener' || exit 1
		# A pause request made before sleep outlives it; pause_remaining_ms
		# then counts on.
		# An alarm that goes off before the guest is asleep never wakes
		# it: entering sleep took more than 8 s once on the debug kernel
		# on a loaded host.
		echo +$((3 * TIMEOUT)) > /sys/class/rtc/rtc0/wakealarm || exit 1
		echo freeze > /sys/power/state || exit 1
		echo \"woke \$(cat $DEV/paused) \$(cat $DEV/pause_source) \$(cat $DEV/cpus/cpu*/enabled | tr -d '\n')\"
		sleep $((TIMEOUT + 1))
		echo \"pets \$(cat $DEV/cpus/cpu0/pets) \$(cat $DEV/cpus/cpu1/pets)\"
		echo 1 > $DEV/paused
		# Far enough ahead that entering sleep (slow on the debug kernel)
		# does not outlast it.
		echo +$((3 * TIMEOUT)) > /sys/class/rtc/rtc0/wakealarm; echo freeze > /sys/power/state
		echo \"kept \$(cat $DEV/paused) \$(cat $DEV/pause_source)\"
		echo 0 > $DEV/paused
		grep -E '^VCPU_STALL_(EVENT|REASON)=' /tmp/uevents | tr '\n' ' '; echo
		echo DONE" 120
	assert_success
	assert_line "woke 0 none 1111"
	assert_line --regexp '^pets [1-9][0-9]* [1-9][0-9]*$'
	assert_line "kept 1 sysfs"
	assert_line --partial "VCPU_STALL_EVENT=paused VCPU_STALL_REASON=suspend VCPU_STALL_EVENT=resumed VCPU_STALL_REASON=suspend VCPU_STALL_EVENT=paused VCPU_STALL_REASON=request "
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "false stall across sleep"
	case_console | grep -q 'PM: suspend exit'
}
