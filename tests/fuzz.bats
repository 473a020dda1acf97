#!/usr/bin/env bats
# Fuzzing from inside the guest (tests/fuzz/vsd-fuzz.c): 100,000 random and
# malformed generic netlink messages as root and as many as an
# unprivileged user, and random writes to every sysfs knob.  The kernel log
# must stay clean and the driver must work afterwards.  Both cases run in
# one arm64 VM (tests/lib/session.bash).  Platforms: every one.

load lib/common

teardown() { vm_teardown; }
teardown_file() { session_end; }
# Messages per caller: 100,000; the debug kernel's run (tests/run
# debug-quick), ten times slower under KASAN and lockdep, sends fewer.
COUNT=${VSD_FUZZ_COUNT:-100000}
# Random writes per sysfs knob: 2,000; fewer there too (2,000 took 167 s of
# the debug kernel's run, 14 s on Debian's kernel).
SYSFS_COUNT=${VSD_FUZZ_SYSFS:-2000}

setup_file() {
	export FUZZ
	FUZZ=$("$VSD_ROOT/scripts/cross-cc.sh" "$VSD_ROOT/tests/fuzz/vsd-fuzz.c")
}

@test "fuzz: 100,000 netlink messages (fewer on the debug kernel) as root and as a user, only answers, no splat" {
	echo "# fuzz: $COUNT netlink messages per caller on $VSD_PLATFORM" >&3
	session "${STD_VM[@]}" -f "$FUZZ"
	gx "
		modprobe vcpu_stall_detector || exit 1
		# The fuzzer never asks for panic; a stall it causes only notifies.
		echo notify > $DEV/stall_action
		cfg=\$(cat $DEV/timeout_sec $DEV/clock_freq_hz $DEV/stall_action | tr '\n' ' ')
		su user -s /bin/sh -c './vsd-fuzz netlink $COUNT 7'; echo \"user rc=\$?\"
		echo \"user left \$(cat $DEV/timeout_sec $DEV/clock_freq_hz $DEV/stall_action | tr '\n' ' ')paused \$(cat $DEV/paused) (was \${cfg}paused 0)\"
		./vsd-fuzz netlink $COUNT 8; echo \"root rc=\$?\"
		# Back to a known state: the driver must still take it.
		echo 0 > $DEV/paused && echo $TIMEOUT > $DEV/timeout_sec && echo $FREQ > $DEV/clock_freq_hz || exit 1
		p=\$(cat $DEV/cpus/cpu1/pets); sleep $((TIMEOUT + 1))
		echo \"pets \$((\$(cat $DEV/cpus/cpu1/pets) - p))\"
		rmmod vcpu_stall_detector && modprobe vcpu_stall_detector && echo reloaded" 880
	assert_success
	assert_line "user rc=0"
	assert_line "root rc=0"
	assert_line --regexp "^netlink user: sent $COUNT, .* \\([1-9][0-9]* denied\\), .*unanswered 0, violations 0\$"
	assert_line --regexp "^netlink root: sent $COUNT, .*unanswered 0, violations 0\$"
	# Nothing the user sent changed anything.
	assert_line "user left $TIMEOUT $FREQ notify paused 0 (was $TIMEOUT $FREQ notify paused 0)"
	assert_line --regexp '^pets [1-9][0-9]*$'
	assert_line reloaded
	refute_splat <(case_console)
}

@test "fuzz: random writes to every sysfs knob: refused ones change nothing" {
	echo "# fuzz: $SYSFS_COUNT writes per sysfs knob on $VSD_PLATFORM" >&3
	session "${STD_VM[@]}" -f "$FUZZ"
	gx "
		modprobe vcpu_stall_detector || exit 1
		echo notify > $DEV/stall_action
		./vsd-fuzz sysfs $DEV $SYSFS_COUNT 9; echo \"rc=\$?\"
		for k in timeout_sec clock_freq_hz stall_action pause_remaining_ms paused; do
			su user -s /bin/sh -c \"echo 1 > $DEV/\$k\" 2>/dev/null && echo \"user wrote \$k\"
		done
		echo 0 > $DEV/paused"
	assert_success
	assert_line rc=0
	assert_line --regexp '^sysfs: refused [1-9][0-9]*, accepted [1-9][0-9]*, violations 0$'
	refute_output --partial "user wrote"
	refute_splat <(case_console)
}
