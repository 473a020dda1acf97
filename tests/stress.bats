#!/usr/bin/env bats
# Stress: CPU hotplug against every control path at once, and module
# load/unload cycles with a monitor subscribed and the device sometimes
# paused.  No false stall, no splat; on the debug kernel (make check-debug)
# the same runs are watched by lockdep, KASAN and kmemleak.  Both cases run
# in one arm64 VM (tests/lib/session.bash).  Platforms: every one.

load lib/common

teardown() { vm_teardown; }
teardown_file() { session_end; }

# Cycles: 400 hotplug and 80 module load/unload (1,000 and 200 took 10
# minutes of a 2-core host's CPU); the debug kernel's run
# (tests/run debug), several times slower under KASAN and lockdep, does
# fewer (tests/run says how many; vm-quick does all on Debian's kernel).
HOTPLUG=${VSD_STRESS_HOTPLUG:-400}
RELOADS=${VSD_STRESS_RELOADS:-80}
# The control paths run without end beside the hotplug loop, each resting
# 50 ms between operations: a cycle (about 150 ms here) still overlaps one
# or more of each, and the loop is not starved of CPU by three busy shells
# (measured on 100 cycles: 26 instead of 40 s of host CPU, 15 instead of
# 21 s).
REST=0.05

@test "stress: 400 CPU offline/online cycles (fewer on the debug kernel) against status dumps, config changes and pause/resume" {
	echo "# stress: $HOTPLUG hotplug cycles on $VSD_PLATFORM" >&3
	session "${STD_VM[@]}"
	gx_start "
		modprobe vcpu_stall_detector || exit 1
		stop=/tmp/stop
		( n=0; while [ \$n -lt $HOTPLUG ]; do c=\$((n % 3 + 1))
			echo 0 > /sys/devices/system/cpu/cpu\$c/online || exit 1
			echo 1 > /sys/devices/system/cpu/cpu\$c/online || exit 1
			n=\$((n + 1)); done; echo \"hotplug cycles \$n\"; touch \$stop ) &
		hp=\$!
		( d=0; until [ -e \$stop ]; do stallctl status --json > /dev/null || exit 1; d=\$((d + 1)); sleep $REST; done; echo \"dumps \$d\" ) &
		st=\$!
		( k=0; until [ -e \$stop ]; do for t in 5 6 7 $TIMEOUT; do stallctl config --timeout \$t > /dev/null || exit 1; done; k=\$((k + 1)); sleep $REST; done; echo \"config rounds \$k\" ) &
		cf=\$!
		( p=0; until [ -e \$stop ]; do echo 1 > $DEV/paused; echo 0 > $DEV/paused; echo 30000 > $DEV/pause_remaining_ms; echo 0 > $DEV/paused; p=\$((p + 1)); sleep $REST; done; echo \"pause rounds \$p\" ) &
		pr=\$!
		wait \$hp && echo 'hotplug ok'; wait \$st && echo 'status ok'; wait \$cf && echo 'config ok'; wait \$pr
		echo \"final \$(cat $DEV/paused) \$(cat $DEV/timeout_sec) \$(cat $DEV/cpus/cpu*/enabled | tr -d '\n')\"
		p=\$(cat $DEV/cpus/cpu3/pets); sleep $((TIMEOUT + 1))
		echo \"pets \$((\$(cat $DEV/cpus/cpu3/pets) - p))\"
		hold DONE"
	wait_output DONE 580 >/dev/null
	run banks_state
	assert_output '[[true,40],[true,40],[true,40],[true,40]]'
	gx_end
	assert_line "hotplug cycles $HOTPLUG"
	assert_line "hotplug ok"
	assert_line "status ok"
	assert_line "config ok"
	assert_line --regexp '^dumps [1-9][0-9]*$'
	assert_line --regexp '^pause rounds [1-9][0-9]*$'
	assert_line "final 0 $TIMEOUT 1111"
	assert_line --regexp '^pets [1-9][0-9]*$'
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "false stall under stress"
	refute_splat <(case_console)
}

@test "stress: 80 module load/unload cycles (fewer on the debug kernel) with a monitor subscribed, paused in some" {
	echo "# stress: $RELOADS load/unload cycles on $VSD_PLATFORM" >&3
	session "${STD_VM[@]}"
	gx_start "
		( while [ ! -e /tmp/stop ]; do stallctl monitor > /dev/null 2>&1; sleep 0.05; done ) &
		mon=\$!
		i=0
		while [ \$i -lt $RELOADS ]; do
			modprobe vcpu_stall_detector || { echo \"load \$i failed\"; break; }
			[ \"\$(cat $DEV/paused)\" = 0 ] || { echo \"cycle \$i started paused\"; break; }
			case \$((i % 3)) in
			1) echo 1 > $DEV/paused ;;
			2) echo 50 > $DEV/pause_remaining_ms ;;
			esac
			rmmod vcpu_stall_detector || { echo \"unload \$i failed\"; break; }
			i=\$((i + 1))
		done
		echo \"cycles \$i\"
		touch /tmp/stop; wait \$mon
		modprobe vcpu_stall_detector || exit 1
		p=\$(cat $DEV/cpus/cpu1/pets); sleep $((TIMEOUT + 1))
		echo \"pets \$((\$(cat $DEV/cpus/cpu1/pets) - p)) \$(cat $DEV/paused)\"
		hold DONE"
	wait_output DONE 580 >/dev/null
	run banks_state
	assert_output '[[true,40],[true,40],[true,40],[true,40]]'
	gx_end
	assert_line "cycles $RELOADS"
	assert_line --regexp '^pets [1-9][0-9]* 0$'
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "false stall across reloads"
	refute_splat <(case_console)
}
