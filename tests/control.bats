#!/usr/bin/env bats
# The guest's control plane without the CLI: sysfs knobs and status, stall
# actions, uevents.  Cases share one arm64 VM (tests/lib/session.bash).
# Platforms: every one (the device's sysfs path comes from common.bash).

load lib/common

teardown() { vm_teardown; }
teardown_file() { session_end; }

@test "sysfs: knobs start from the DT, take valid values, refuse bad ones unchanged" {
	session "${STD_VM[@]}"
	gx_start "
		modprobe vcpu_stall_detector || exit 1
		cd $DEV || exit 1
		echo \"start \$(cat timeout_sec) \$(cat clock_freq_hz) \$(cat stall_action)\"
		echo 6 > timeout_sec && echo 100 > clock_freq_hz && echo notify > stall_action
		echo \"set \$(cat timeout_sec) \$(cat clock_freq_hz) \$(cat stall_action)\"
		for v in 0 3601 abc -1 ''; do echo \"\$v\" > timeout_sec && echo \"accepted timeout '\$v'\"; done
		for v in 0 1000001 50000000; do echo \"\$v\" > clock_freq_hz && echo \"accepted clock \$v\"; done
		for v in reboot PANIC ''; do echo \"\$v\" > stall_action && echo \"accepted action '\$v'\"; done
		echo \"after \$(cat timeout_sec) \$(cat clock_freq_hz) \$(cat stall_action)\"
		echo \"uid \$(su user -s /bin/sh -c 'id -u')\"
		su user -s /bin/sh -c \"echo 5 > $DEV/timeout_sec\" && echo 'accepted unprivileged'
		echo \"final \$(cat timeout_sec)\"; hold DONE"
	wait_output DONE 90 >/dev/null
	# The host sees the new values in every bank.
	banks=$(qom_banks)
	gx_end
	assert_line "start $TIMEOUT $FREQ panic"
	assert_line "set 6 100 notify"
	assert_line "after 6 100 notify"
	assert_line "final 6"
	assert_line "uid 1000"
	refute_output --partial accepted
	run jq -c '[.[] | [.enabled, .load, ."clock-frequency"]]' <<<"$banks"
	assert_output '[[true,600,100],[true,600,100],[true,600,100],[true,600,100]]'
}

@test "sysfs: per-CPU status, one value per file, pets rising" {
	session "${STD_VM[@]}"
	gx "
		modprobe vcpu_stall_detector || exit 1
		echo 1 > /sys/devices/system/cpu/cpu3/online
		echo 0 > /sys/devices/system/cpu/cpu3/online
		sleep $((TIMEOUT + 1))
		cd $DEV/cpus
		for c in cpu*; do echo \"\$c \$(cat \$c/online) \$(cat \$c/enabled) \$(cat \$c/pets) \$(cat \$c/stalls) \$(cat \$c/count)\"; done"
	assert_success
	assert_line --regexp '^cpu0 1 1 [2-9] 0 [0-9]+$'
	assert_line --regexp '^cpu2 1 1 [2-9] 0 [0-9]+$'
	assert_line --regexp '^cpu3 0 0 [0-9]+ 0 [0-9]+$'
}

@test "notify: a stall is reported by event and uevent, the guest carries on" {
	session "${STD_VM[@]}"
	gx "
		modprobe vcpu_stall_detector && modprobe vsd_test || exit 1
		uevent env > /tmp/uevents &
		wait_nl \$! 15 'the uevent listener' || exit 1
		echo notify > $DEV/stall_action
		echo '1 $(((TIMEOUT + 1) * 1000))' > /sys/module/vsd_test/parameters/stall
		wait_until 60 'the stall counted' grep -qx 1 $DEV/cpus/cpu1/stalls
		wait_until 30 'the stall uevent' grep -qx VCPU_STALL_CPU=1 /tmp/uevents
		echo \"stalls \$(cat $DEV/cpus/cpu1/stalls)\"
		grep -E '^VCPU_STALL_(EVENT|CPU)=' /tmp/uevents
		echo DONE"
	assert_success
	assert_line "stalls 1"
	assert_line VCPU_STALL_EVENT=config
	assert_line VCPU_STALL_EVENT=stall
	assert_line VCPU_STALL_CPU=1
	# The host saw the stall, but the guest's reload beat the grace period.
	[ "$(count_events VCPU_STALL)" -eq 1 ] || fail "no VCPU_STALL"
	[ "$(count_events WATCHDOG)" -eq 0 ] || fail "the host acted"
	case_console | grep -q 'vCPU stall detector: CPU 1 stalled'
}

@test "backtrace: a stall logs the stalled CPU's and every other CPU's backtrace" {
	session "${STD_VM[@]}"
	gx "
		modprobe vcpu_stall_detector && modprobe vsd_test || exit 1
		echo backtrace > $DEV/stall_action
		echo '1 $(((TIMEOUT + 1) * 1000))' > /sys/module/vsd_test/parameters/stall
		# Each backtrace goes to the serial console from its CPU: on 4
		# CPUs under TCG that takes a while after the stall's end.
		wait_until 60 'the stall counted' grep -qx 1 $DEV/cpus/cpu1/stalls
		wait_until 60 'the other CPUs backtraces' sh -c \
			'[ \$(dmesg | grep -c \"stall detector: backtrace of CPU\") -ge 3 ]'
		cat $DEV/cpus/cpu1/stalls"
	assert_success
	assert_output 1
	[ "$(count_events WATCHDOG)" -eq 0 ] || fail "the host acted"
	run case_console
	assert_output --partial "vCPU stall detector: CPU 1 stalled"
	assert_output --partial "stall_fn"
	for c in 0 2 3; do
		assert_output --partial "vCPU stall detector: backtrace of CPU $c"
	done
	# The stalled CPU's own stack came from its interrupt: not asked twice.
	refute_output --partial "vCPU stall detector: backtrace of CPU 1"
	refute_output --partial "Kernel panic"
}

@test "backtrace: two CPUs stuck on each other are both reported; rmmod during the stall returns" {
	session "${STD_VM[@]}"
	# CPU 1 holds a lock with interrupts off for 2 timeouts + 2 s, CPU 2
	# spins on it from timeout + 1 s on: both counts run out, both recover.
	# rmmod starts once both are out; it waits for them to recover (every
	# CPU runs its removal callback), reports their stalls, returns.
	gx "
		modprobe vcpu_stall_detector && modprobe vsd_test || exit 1
		echo backtrace > $DEV/stall_action
		echo '1 2 $(((2 * TIMEOUT + 2) * 1000)) $(((TIMEOUT + 1) * 1000))' > /sys/module/vsd_test/parameters/pair
		# Both banks read expired (enabled, count out: status bits 0 and 1).
		wait_until 60 'both counts out' sh -c \
			'awk \"\\\$1 < 3 && \\\$2 % 4 == 3 { n++ } END { exit n != 2 }\" /sys/module/vsd_test/parameters/banks'
		rmmod vcpu_stall_detector; echo \"rmmod \$?\"
		wait_until 60 'the other CPUs backtraces' sh -c \
			'dmesg | grep -q \"stall detector: backtrace of CPU 3\"'
		echo ALIVE"
	assert_success
	assert_line "rmmod 0"
	assert_line ALIVE
	[ "$(count_events WATCHDOG)" -eq 0 ] || fail "the host acted"
	run case_console
	assert_output --partial "vCPU stall detector: CPU 1 stalled"
	assert_output --partial "vCPU stall detector: CPU 2 stalled"
	assert_output --partial "pair_fn"
	assert_output --partial "vCPU stall detector: backtrace of CPU 0"
	assert_output --partial "vCPU stall detector: backtrace of CPU 3"
	refute_output --partial "Kernel panic"
}

# The configuration race's rounds: 30 timeouts and 10 actions (fewer on the
# debug kernel: tests/run).  An even count of actions ends on backtrace.
RACE_TIMEOUTS=${VSD_RACE_TIMEOUTS:-30}
RACE_ACTIONS=$((RACE_TIMEOUTS / 3 / 2 * 2))

@test "config: sysfs and netlink writers of different fields at once lose nothing" {
	session "${STD_VM[@]}"
	# Two writers rewrite the clock with its own value all along; one
	# changes the timeout through sysfs, one the action through netlink,
	# each reading its field back.  A merge outside the configuration lock
	# writes a stale copy of the others' fields back (the old driver lost
	# a few of 30 timeouts here every run).
	gx "
		modprobe vcpu_stall_detector || exit 1
		cd $DEV || exit 1
		rm -f /tmp/stop
		echo 20 > clock_freq_hz
		( while [ ! -e /tmp/stop ]; do echo 20 > clock_freq_hz; done ) &
		( while [ ! -e /tmp/stop ]; do echo 20 > clock_freq_hz; done ) &
		( for i in \$(seq $RACE_TIMEOUTS); do t=\$((5 + i % 3)); echo \$t > timeout_sec
			[ \"\$(cat timeout_sec)\" = \$t ] || echo \"LOST timeout \$i\"; done ) &
		w=\$!
		for i in \$(seq $RACE_ACTIONS); do
			a=notify; [ \$((i % 2)) = 0 ] && a=backtrace
			stallctl config --action \$a >/dev/null || echo \"stallctl failed \$i\"
			[ \"\$(cat stall_action)\" = \$a ] || echo \"LOST action \$i\"
		done
		wait \$w
		touch /tmp/stop
		wait
		echo \"final \$(cat timeout_sec) \$(cat clock_freq_hz) \$(cat stall_action)\""
	assert_success
	refute_output --partial LOST
	refute_output --partial failed
	assert_line "final 5 20 backtrace"
}

@test "config changes race CPU hotplug: every online bank ends with the last value" {
	session "${STD_VM[@]}"
	gx_start "
		modprobe vcpu_stall_detector || exit 1
		( for i in \$(seq 40); do for c in 1 2 3; do
			echo 0 > /sys/devices/system/cpu/cpu\$c/online
			echo 1 > /sys/devices/system/cpu/cpu\$c/online; done; done ) &
		hp=\$!
		for t in \$(seq 2 9) \$(seq 2 9) 7; do echo \$t > $DEV/timeout_sec || exit 1; done
		wait \$hp
		hold DONE"
	wait_output DONE 200 >/dev/null
	run banks_state
	assert_output '[[true,70],[true,70],[true,70],[true,70]]'
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "stall during the storm"
	gx_end
}
