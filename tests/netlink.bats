#!/usr/bin/env bats
# The vcpu-stall generic netlink family, driven by the kernel's own YNL CLI
# with our spec (uapi/netlink/vcpu-stall.yaml) in real arm64 VMs: cases
# share one (tests/lib/session.bash) but the large dump's 64-vCPU VM.
# Platforms: every one.

load lib/common

teardown() { vm_teardown; }
teardown_file() { session_end; }


@test "netlink: cpu-get for one CPU and a dump of all, config-get and config-set" {
	session "${STD_VM[@]}"
	gx "
		modprobe vcpu_stall_detector || exit 1
		echo 0 > /sys/devices/system/cpu/cpu3/online
		sleep $((TIMEOUT + 1))
		$YNL --do cpu-get --json '{\"id\": 2}' || exit 1
		$YNL --dump cpu-get || exit 1
		$YNL --do config-get || exit 1
		$YNL --do config-set --json '{\"timeout-sec\": 6, \"clock-hz\": 100, \"action\": \"notify\"}' || exit 1
		$YNL --do config-get"
	assert_success
	all=$output
	one=$(sed -n 1p <<<"$all")
	run jq -c '[.id, .online, .enabled, .pets >= 2, .stalls, .count <= 40, ."last-pet-ns" < 3000000000]' <<<"$one"
	assert_output '[2,1,1,true,0,true,true]'
	dump=$(sed -n 2p <<<"$all")
	run jq -c '[.[] | [.id, .online, .enabled]]' <<<"$dump"
	assert_output '[[0,1,1],[1,1,1],[2,1,1],[3,0,0]]'
	run jq -c '[.[] | has("max-lateness-ns")] | all' <<<"$dump"
	assert_output true
	run cat <<<"$all"
	assert_line '{"timeout-sec": 4, "clock-hz": 10, "action": "panic"}'
	assert_line '{"timeout-sec": 6, "clock-hz": 100, "action": "notify"}'
}

@test "netlink: a dump larger than one message lists every CPU exactly once" {
	# 64 possible CPUs, 2 brought up: the dump covers every possible CPU,
	# about 40 fit in one message, and booting 64 vCPUs under TCG is slow.
	run "$VM_RUN" --smp 64 --append maxcpus=2 "${VIRT_ARGS[@]}" -- "
		modprobe vcpu_stall_detector || exit 1
		$YNL --dbg-small-recv 4000 --dump cpu-get 2>/tmp/dbg || exit 1
		echo \"recvs \$(grep -c 'Recv: read' /tmp/dbg)\" >&2"
	assert_success
	# ynl's debug output counts the reads: more than one part came back.
	assert_line --regexp '^recvs ([3-9]|[1-9][0-9]+)$'
	run jq -c '[.[].id] == [range(64)] and ([.[] | select(.online == 1)] | length) == 2' \
		<<<"$(head -n 1 <<<"$output")"
	assert_output true
}

@test "netlink: bad requests get an extack error and change nothing" {
	session "${STD_VM[@]}"
	gx "
		modprobe vcpu_stall_detector || exit 1
		set_cfg() { $YNL --do config-set --json \"\$1\"; echo \"rc=\$?\"; }
		set_cfg '{\"timeout-sec\": 0}'
		set_cfg '{\"timeout-sec\": 3601}'
		set_cfg '{\"clock-hz\": 1000001}'
		set_cfg '{}'
		$YNL --do cpu-get --json '{\"id\": 7}'; echo \"rc=\$?\"
		$YNL --do cpu-get; echo \"rc=\$?\"
		$YNL --do config-get"
	assert_success
	refute_line rc=0
	assert_output --partial "integer out of range"
	assert_output --partial "nothing to set"
	assert_output --partial "no such CPU"
	assert_output --partial "CPU id missing"
	assert_line '{"timeout-sec": 4, "clock-hz": 10, "action": "panic"}'
}

@test "netlink: config-set needs CAP_NET_ADMIN; reading does not" {
	session "${STD_VM[@]}"
	gx "
		modprobe vcpu_stall_detector || exit 1
		su user -s /bin/sh -c \"$YNL --do config-set --json '{\\\"timeout-sec\\\": 5}'\"
		echo \"rc=\$?\"
		su user -s /bin/sh -c \"$YNL --do config-get\""
	assert_success
	assert_line rc=1
	assert_output --partial "Operation not permitted"
	assert_line '{"timeout-sec": 4, "clock-hz": 10, "action": "panic"}'
}

@test "netlink: the events group carries config, CPU offline/online and stall" {
	session "${STD_VM[@]}"
	gx "
		modprobe vcpu_stall_detector && modprobe vsd_test || exit 1
		python3 -c \"$YNL_NTF_UNTIL\" stall-ntf 120 > /tmp/ntf &
		# Python under TCG takes seconds to start: wait for the membership.
		wait_nl \$! 16 'the events subscriber' || exit 1
		echo notify > $DEV/stall_action
		echo 0 > /sys/devices/system/cpu/cpu1/online
		echo 1 > /sys/devices/system/cpu/cpu1/online
		echo '1 $(((TIMEOUT + 1) * 1000))' > /sys/module/vsd_test/parameters/stall
		wait
		cat /tmp/ntf"
	assert_success
	run jq -c '.[] | [.name, .msg]' <<<"$output"
	assert_line '["config-ntf",{"timeout-sec":4,"clock-hz":10,"action":"notify"}]'
	assert_line '["cpu-offline-ntf",{"id":1}]'
	assert_line '["cpu-online-ntf",{"id":1}]'
	assert_line '["stall-ntf",{"id":1}]'
}

@test "netlink: one detector for every network namespace: seen, heard and changed (by the VM's root) from any" {
	session "${STD_VM[@]}"
	gx "
		modprobe vcpu_stall_detector || exit 1
		unshare -n python3 -c \"$YNL_NTF_UNTIL\" config-ntf 60 > /tmp/ntf-ns &
		wait_nl \$! 16 'the subscriber in a network namespace of its own' || exit 1
		echo 5 > $DEV/timeout_sec
		wait
		echo \"NTF \$(cat /tmp/ntf-ns)\"
		unshare -n $YNL --do config-set --json '{\"timeout-sec\": 6}' && echo 'set from a netns'
		unshare -U -r -n $YNL --do config-set --json '{\"timeout-sec\": 7}'
		echo \"userns rc=\$?\"
		unshare -n $YNL --do config-get"
	assert_success
	local ntf
	ntf=$(sed -n 's/^NTF //p' <<<"$output" | jq -c '.[] | [.name, .msg]')
	[ "$ntf" = '["config-ntf",{"timeout-sec":5,"clock-hz":10,"action":"panic"}]' ] ||
		fail "the other namespace heard: $ntf"
	assert_line 'set from a netns'
	# Root of a user namespace is not the VM's root: no change.
	assert_line 'userns rc=1'
	assert_output --partial "Operation not permitted"
	assert_line '{"timeout-sec": 6, "clock-hz": 10, "action": "panic"}'
}
