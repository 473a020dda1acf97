#!/usr/bin/env bats
# What only PREEMPT_RT shows, on Debian's rt-arm64 kernel (make guest-rt).
# There an hrtimer not marked hard expires in the timer softirq, which runs
# in a thread a real-time task can starve; the driver's pets are hard
# (HRTIMER_MODE_REL_PINNED_HARD), so they fire from the timer interrupt
# whatever runs on the CPU.  The hotplug and load/unload stress run here
# too (tests/run rt).  Platforms: arm64-dt-rt only.

load lib/common

teardown() { vm_teardown; }
teardown_file() { session_end; }

setup_file() { require_platform arm64-dt-rt "Debian's PREEMPT_RT kernel" guest-rt; }

# HOG SECONDS CPU: a SCHED_FIFO 99 busy loop on CPU for SECONDS (guest
# python; "hog" printed once it runs there).
HOG="import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[2])})
os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(99))
print('hog', flush=True)
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    pass"

@test "PREEMPT_RT: a SCHED_FIFO 99 hog on CPU 1 for 3x the timeout raises no stall: the pets are hard-interrupt timers" {
	session "${STD_VM[@]}"
	gx "
		uname -v | grep -o PREEMPT_RT
		modprobe vcpu_stall_detector || exit 1
		# No RT throttling: nothing else runs on CPU 1 for the hog's time.
		echo -1 > /proc/sys/kernel/sched_rt_runtime_us
		before=\$(cat $DEV/cpus/cpu1/pets)
		python3 -c \"$HOG\" $((3 * TIMEOUT)) 1
		after=\$(cat $DEV/cpus/cpu1/pets)
		echo 950000 > /proc/sys/kernel/sched_rt_runtime_us
		echo pets \$((after - before)) stalls \$(cat $DEV/cpus/cpu1/stalls)"
	assert_success
	assert_line PREEMPT_RT
	assert_line hog
	# A pet every half timeout: 6 in the hog's time, one lost to the edges.
	local pets
	pets=$(awk '$1 == "pets" { print $2 }' <<<"$output")
	[ "${pets:-0}" -ge 5 ] || fail "CPU 1 was petted ${pets:-0} times under the hog"
	assert_line --regexp '^pets [0-9]+ stalls 0$'
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "the host saw a stall"
}
