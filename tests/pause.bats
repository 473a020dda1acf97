#!/usr/bin/env bats
# Pause and resume in the driver: sysfs and netlink requests, deadlines,
# CPU hotplug, module removal and a request storm (system sleep: sleep.bats).  Cases
# share one arm64 VM (tests/lib/session.bash); the host's view of each bank
# comes from QMP.  Platforms: every one.

load lib/common

teardown() { vm_teardown; }
teardown_file() { session_end; }

STALL=/sys/module/vsd_test/parameters/stall
# python3 -c "$PAUSE_AND_GET" MS: a netlink pause of MS ms and, at once, a
# pause-get, whose reply it prints as ynl --output-json does.
PAUSE_AND_GET="$YNL_PY
f.do('pause', {'duration-ms': int(sys.argv[1])})
print(json.dumps(f.do('pause-get', {})))"

@test "pause: 3x the timeout without a stall, then resume reloads every CPU" {
	session "${STD_VM[@]}"
	gx_start "
		modprobe vcpu_stall_detector || exit 1
		uevent env > /tmp/uevents &
		wait_nl \$! 15 'the uevent listener' || exit 1
		cd $DEV
		echo 1 > paused || exit 1
		echo \"paused \$(cat paused) \$(cat pause_source) \$(cat pause_remaining_ms) \$(cat cpus/cpu*/enabled | tr -d '\n')\"
		p0=\$(cat cpus/cpu0/pets) p1=\$(cat cpus/cpu1/pets)
		echo 1 > paused || exit 1
		echo PAUSED
		sleep $((3 * TIMEOUT))
		echo \"pets moved \$((\$(cat cpus/cpu0/pets) - p0)) \$((\$(cat cpus/cpu1/pets) - p1))\"
		echo 0 > paused && echo 0 > paused || exit 1
		echo \"resumed \$(cat paused) \$(cat pause_source) \$(cat cpus/cpu*/enabled | tr -d '\n')\"
		echo RESUMED
		sleep $((TIMEOUT + 1))
		echo \"pets after \$((\$(cat cpus/cpu0/pets) - p0)) \$((\$(cat cpus/cpu1/pets) - p1))\"
		grep -E '^VCPU_STALL_(EVENT|REASON|SOURCE)=' /tmp/uevents | tr '\n' ' '; echo
		echo DONE"
	wait_output PAUSED 60 >/dev/null
	# The host sees every bank disabled.
	run banks_state
	assert_output '[[false,40],[false,40],[false,40],[false,40]]'
	wait_output RESUMED $((4 * TIMEOUT + 30)) >/dev/null
	run banks_state
	assert_output '[[true,40],[true,40],[true,40],[true,40]]'
	gx_wait 60
	assert_success
	assert_line "paused 1 sysfs 0 0000"
	assert_line "pets moved 0 0"
	assert_line "resumed 0 none 1111"
	assert_line --regexp '^pets after [1-9][0-9]* [1-9][0-9]*$'
	# One event per change: the repeated writes were idempotent.
	assert_line "VCPU_STALL_EVENT=paused VCPU_STALL_REASON=request VCPU_STALL_SOURCE=sysfs VCPU_STALL_EVENT=resumed VCPU_STALL_REASON=request "
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "stall while paused"
}

@test "who ends a pause: any privileged caller, through either interface; nobody else" {
	session "${STD_VM[@]}"
	# One pause request at a time, the VM's: whoever may pause (root for
	# sysfs, CAP_NET_ADMIN for netlink) may end it, whichever interface
	# made it.  An unprivileged caller can do neither.
	gx "
		modprobe vcpu_stall_detector || exit 1
		cd $DEV
		echo 1 > paused || exit 1
		su user -s /bin/sh -c 'stallctl resume' >/dev/null 2>&1; echo \"user netlink resume rc=\$?\"
		su user -s /bin/sh -c 'echo 0 > $DEV/paused' 2>/dev/null; echo \"user sysfs resume rc=\$?\"
		echo \"still \$(cat paused) \$(cat pause_source)\"
		stallctl resume || exit 1
		echo \"netlink ended sysfs's: \$(cat paused) \$(cat pause_source)\"
		stallctl pause || exit 1
		echo \"netlink paused: \$(cat paused) \$(cat pause_source)\"
		echo 0 > paused || exit 1
		echo \"sysfs ended netlink's: \$(cat paused) \$(cat pause_source)\""
	assert_success
	assert_line "user netlink resume rc=1"
	assert_line "user sysfs resume rc=1"
	assert_line "still 1 sysfs"
	assert_line "netlink ended sysfs's: 0 none"
	assert_line "netlink paused: 1 netlink"
	assert_line "sysfs ended netlink's: 0 none"
}

@test "deadline: a netlink pause with a deadline resumes by itself" {
	# The pause and the pause-get that must see it come from one python
	# (ynl's library), started before either: python takes seconds to
	# start under TCG, more than ten on a loaded host and the debug kernel,
	# and the deadline would otherwise be a guess at how many.  The resume
	# is then awaited, not timed.
	session "${STD_VM[@]}"
	gx "
		modprobe vcpu_stall_detector || exit 1
		python3 -c \"$YNL_NTF_UNTIL\" resumed-ntf 120 > /tmp/ntf &
		# Python under TCG takes seconds to start: wait for the membership.
		wait_nl \$! 16 'the events subscriber' || exit 1
		python3 -c \"$PAUSE_AND_GET\" 12000 || exit 1
		echo \"sysfs \$(cat $DEV/paused) \$(cat $DEV/pause_source) \$(cat $DEV/pause_remaining_ms)\"
		wait_until 30 'the resume at the deadline' grep -qx 0 $DEV/paused
		echo \"after \$(cat $DEV/paused) \$(cat $DEV/pause_source) \$(cat $DEV/cpus/cpu*/enabled | tr -d '\n')\"
		$YNL --do pause-get
		$YNL --do pause --json '{\"duration-ms\": 0}'; echo \"rc=\$?\"
		su user -s /bin/sh -c \"$YNL --do resume\"; echo \"rc=\$?\"
		echo \"final \$(cat $DEV/paused)\"
		wait
		echo \"NTF \$(tr -d '\n' < /tmp/ntf)\"" 150
	assert_success
	assert_line --regexp '^sysfs 1 netlink [1-9][0-9]*$'
	assert_line --regexp '^\{"paused": 1, "source": "netlink", "remaining-ms": [1-9][0-9]*\}$'
	assert_line "after 0 none 1111"
	assert_line '{"paused": 0}'
	refute_line rc=0
	assert_output --partial "integer out of range"
	assert_output --partial "Operation not permitted"
	assert_line "final 0"
	run jq -c '.[] | [.name, .msg.reason, .msg.source]' <<<"$(sed -n 's/^NTF //p' <<<"$output")"
	assert_line '["paused-ntf","request","netlink"]'
	assert_line '["resumed-ntf","deadline",null]'
}

@test "stalls: one induced while paused is not reported, one after resume is" {
	session "${STD_VM[@]}"
	gx_start "
		$LOAD || exit 1
		echo notify > $DEV/stall_action
		echo 1 > $DEV/paused
		echo '1 $(((TIMEOUT + 1) * 1000))' > $STALL
		sleep $((TIMEOUT + 2))
		echo \"paused stalls \$(cat $DEV/cpus/cpu1/stalls)\"
		echo FIRST_STALL_OVER
		echo 0 > $DEV/paused
		sleep 1
		echo '1 $(((TIMEOUT + 1) * 1000))' > $STALL
		wait_until 60 'the stall counted' grep -qx 1 $DEV/cpus/cpu1/stalls
		echo \"resumed stalls \$(cat $DEV/cpus/cpu1/stalls)\""
	wait_output FIRST_STALL_OVER 60 >/dev/null
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "the host saw a stall while paused"
	gx_wait 60
	assert_success
	assert_line "paused stalls 0"
	assert_line "resumed stalls 1"
	[ "$(count_events VCPU_STALL)" -eq 1 ] || fail "no VCPU_STALL after resume"
	[ "$(count_events WATCHDOG)" -eq 0 ] || fail "the host acted"
}

@test "hotplug: a CPU onlined while paused stays disabled, resume arms it" {
	session "${STD_VM[@]}"
	gx_start "
		modprobe vcpu_stall_detector || exit 1
		cpu() { echo \$2 > /sys/devices/system/cpu/cpu\$1/online; }
		en() { cat $DEV/cpus/cpu*/enabled | tr -d '\n'; }
		cpu 3 0
		echo 1 > $DEV/paused
		cpu 3 1; cpu 2 0
		echo \"paused \$(en)\"
		echo 0 > $DEV/paused
		echo \"resumed \$(en)\"
		cpu 2 1
		echo \"online \$(en)\"
		hold DONE"
	wait_output DONE 60 >/dev/null
	run banks_state
	assert_output '[[true,40],[true,40],[true,40],[true,40]]'
	gx_end
	assert_line "paused 0000"
	assert_line "resumed 1101"
	assert_line "online 1111"
}

@test "removal: pause with a deadline, rmmod, insmod starts clean and unpaused" {
	session "${STD_VM[@]}"
	gx_start "
		modprobe vcpu_stall_detector || exit 1
		echo 1500 > $DEV/pause_remaining_ms
		rmmod vcpu_stall_detector || exit 1
		# The deadline passes with the module gone.
		sleep 3
		modprobe vcpu_stall_detector || exit 1
		echo \"reloaded \$(cat $DEV/paused) \$(cat $DEV/pause_source) \$(cat $DEV/cpus/cpu*/enabled | tr -d '\n')\"
		sleep $((TIMEOUT + 1))
		echo \"pets \$(cat $DEV/cpus/cpu0/pets) \$(cat $DEV/cpus/cpu1/pets)\"
		hold DONE"
	wait_output DONE 60 >/dev/null
	run banks_state
	assert_output '[[true,40],[true,40],[true,40],[true,40]]'
	gx_end
	assert_line "reloaded 0 none 1111"
	assert_line --regexp '^pets [1-9][0-9]* [1-9][0-9]*$'
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "stall across removal"
	refute_splat <(case_console)
}

# The storm: each of two writers alternates STORM times (250; fewer on the
# debug kernel: tests/run), beside STORM/16 + 1 rounds of hotplug.
STORM=${VSD_PAUSE_STORM:-250}

@test "storm: 1000 pause/resume alternations (fewer on the debug kernel) from two processes under hotplug end consistent" {
	session "${STD_VM[@]}"
	gx_start "
		modprobe vcpu_stall_detector || exit 1
		cd $DEV
		( for i in \$(seq $STORM); do echo 1 > paused; echo 0 > paused; done ) &
		a=\$!
		( for i in \$(seq $STORM); do echo 60000 > pause_remaining_ms; echo 0 > paused; done ) &
		b=\$!
		( for i in \$(seq $((STORM / 16 + 1))); do for c in 1 2 3; do
			echo 0 > /sys/devices/system/cpu/cpu\$c/online
			echo 1 > /sys/devices/system/cpu/cpu\$c/online; done; done ) &
		h=\$!
		wait \$a \$b \$h
		echo \"after storm \$(cat paused)\"
		echo 1 > paused; echo 0 > paused
		echo \"final \$(cat paused) \$(cat pause_source) \$(cat pause_remaining_ms) \$(cat cpus/cpu*/enabled | tr -d '\n')\"
		p=\$(cat cpus/cpu3/pets); sleep $((TIMEOUT + 1))
		echo \"pets \$((\$(cat cpus/cpu3/pets) - p))\"
		hold DONE"
	wait_output DONE 380 >/dev/null
	run banks_state
	assert_output '[[true,40],[true,40],[true,40],[true,40]]'
	gx_end
	assert_line --regexp '^after storm [01]$'
	assert_line "final 0 none 0 1111"
	assert_line --regexp '^pets [1-9][0-9]*$'
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "stall during the storm"
	refute_splat <(case_console)
}
