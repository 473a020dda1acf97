#!/usr/bin/env bats
# The migration helper (tools/migrate/vsd-migrate) end to end: Debian's
# qemu-guest-agent in the guest over virtio-serial, a real migration between
# two QEMU processes; its failure path; and the guest-side hook scripts
# (tools/hooks).  Each case boots its own VMs: migration is host-side.  The
# recovery steps' failures that no real QEMU produces on demand (a monitor
# gone mid-recovery, a reply that is not JSON) are played by
# tests/lib/fakeqemu.py.  Platforms: every one.

load lib/common

teardown() { vm_teardown; }

MIGRATE=$VSD_ROOT/tools/migrate/vsd-migrate
QGA_START=$VSD_ROOT/tests/guest/qga-start
BANKS='{"path": "/machine/stall-detector", "property": "banks"}'

# start_pair: a source running the detector and qemu-ga, a destination
# waiting on unix:$t/mig.sock (or on DEST_URI; with DEST_URI=defer, for
# migrate-incoming).
start_pair() {
	t=$BATS_TEST_TMPDIR
	VMDIR=$t/src vm_start --smp 2 "${VIRT_ARGS[@]}" --qga "$t/src-qga.sock" -f "$QGA_START" -- "
		modprobe vcpu_stall_detector || exit 1
		./qga-start || exit 1
		echo READY; sleep 600"
	VMDIR=$t/dst vm_start --smp 2 "${VIRT_ARGS[@]}" --qga "$t/dst-qga.sock" -f "$QGA_START" \
		--incoming "${DEST_URI:-unix:$t/mig.sock}" -- true
	VMDIR=$t/src wait_output READY 90 >/dev/null
	local uri=${DEST_URI:-unix:$t/mig.sock}
	if [ "$uri" = defer ]; then
		VMDIR=$t/dst poll_until 60 "the destination's monitor" test -S "$t/dst/qmp.sock"
	else
		VMDIR=$t/dst wait_listening "${uri#unix:}" 60
	fi
}

# fake_pair SCENARIO: tests/lib/fakeqemu.py's sockets in $t/fake.
fake_pair() {
	t=$BATS_TEST_TMPDIR
	mkdir -p "$t/fake"
	python3 "$VSD_ROOT/tests/lib/fakeqemu.py" "$t/fake" "$1" >"$t/fake/out" 2>&1 &
	FAKE_PID=$!
	local _
	for _ in $(seq 100); do
		grep -q READY "$t/fake/out" && return 0
		kill -0 "$FAKE_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$t/fake/out" >&2
	fail "fakeqemu.py $1 did not start"
}
# fake_migrate: vsd-migrate against the fake pair, which then ends.
fake_migrate() {
	local f=$t/fake
	run "$MIGRATE" --qmp "$f/src-qmp.sock" --qga "$f/src-qga.sock" \
		--dest-qmp "$f/dst-qmp.sock" --dest-qga "$f/dst-qga.sock" \
		--uri "unix:$f/mig.sock" --pause-for 3m --timeout 10
	kill "$FAKE_PID" 2>/dev/null || true
	wait "$FAKE_PID" 2>/dev/null || true
	rm -rf "$f"
}

# The destination waits with -incoming defer: vsd-migrate tells it where to
# listen.  (One started with -incoming URI refuses that, as the failure
# case below shows, and the migration goes on as here.)
@test "vsd-migrate: pause by the guest agent, migrate (-incoming defer: migrate-incoming), resume on the destination, no stall" {
	DEST_URI=defer start_pair
	run "$MIGRATE" --qmp "$t/src/qmp.sock" --qga "$t/src-qga.sock" \
		--dest-qmp "$t/dst/qmp.sock" --dest-qga "$t/dst-qga.sock" \
		--uri "unix:$t/mig.sock" --pause-for 3m --timeout 60
	assert_success
	assert_line "vsd-migrate: check: source running, guest agent answering, destination waiting: ok"
	assert_line "vsd-migrate: destination: started with -incoming defer: listening on unix:$t/mig.sock (migrate-incoming)"
	assert_line "vsd-migrate: pause: detector paused for at most 180000ms: ok"
	assert_line "vsd-migrate: migrate: completed"
	assert_line "vsd-migrate: destination: running"
	assert_line "vsd-migrate: resume: detector resumed on the destination: ok"
	assert_line "vsd-migrate: done"
	# The guest runs on the destination, every bank petted.
	first=$(VMDIR=$t/dst qmp qom-get "$BANKS")
	sleep $((TIMEOUT + 1))
	second=$(VMDIR=$t/dst qmp qom-get "$BANKS")
	run jq -n --argjson a "$first" --argjson b "$second" \
		'[range(2) as $i | $b[$i].enabled and ($b[$i].pets > $a[$i].pets)] | all'
	assert_output true
	[ "$(VMDIR=$t/src count_events VCPU_STALL)" -eq 0 ] || fail "stall on the source"
	[ "$(VMDIR=$t/dst count_events VCPU_STALL)" -eq 0 ] || fail "stall on the destination"
}

@test "vsd-migrate: a recovery step that fails says so (exit 1), never a traceback" {
	local p=vsd-migrate
	fake_pair source-gone
	fake_migrate
	assert_failure 1
	assert_line "$p: migrate: failed"
	assert_line --regexp "^$p: source: migrate_cancel: .*src-qmp.sock: connection closed$"
	assert_line --regexp "^$p: source: cannot make it run: .*src-qmp.sock: "
	assert_line "$p: failed: the source may not run; its detector resumes by its deadline (180000ms)"
	refute_output --partial Traceback

	fake_pair source-garbage
	fake_migrate
	assert_failure 1
	assert_line --regexp "^$p: source: cannot make it run: .*src-qmp.sock: not JSON: "
	refute_output --partial Traceback

	fake_pair dest-gone
	fake_migrate
	assert_failure 1
	assert_line "$p: migrate: completed"
	assert_line --regexp "^$p: destination: cannot make it run: .*dst-qmp.sock: connection closed$"
	refute_output --partial Traceback

	fake_pair agent-garbage
	fake_migrate
	assert_failure 1
	assert_line --regexp "^$p: resume: failed: status: not JSON: .*; the deadline \(180000ms\) will resume the detector$"
	refute_output --partial Traceback

	# A destination that refuses migrate-incoming as one started with
	# -incoming URI does: it listens already, and the migration goes on.
	fake_pair listening
	fake_migrate
	assert_success
	assert_line "$p: destination: started with -incoming URI: listening"
	assert_line "$p: done"
}

@test "vsd-migrate: a migration that fails leaves the source running with its detector resumed" {
	DEST_URI="unix:$BATS_TEST_TMPDIR/elsewhere.sock" start_pair
	run "$MIGRATE" --qmp "$t/src/qmp.sock" --qga "$t/src-qga.sock" \
		--dest-qmp "$t/dst/qmp.sock" --dest-qga "$t/dst-qga.sock" \
		--uri "unix:$t/nobody.sock" --pause-for 3m --timeout 30
	assert_failure 1
	# QEMU's own refusal of migrate-incoming: it listens already.
	assert_line "vsd-migrate: destination: started with -incoming URI: listening"
	assert_line "vsd-migrate: pause: detector paused for at most 180000ms: ok"
	assert_line --regexp '^vsd-migrate: migrate: (failed|error .*)$'
	assert_line "vsd-migrate: source: running"
	assert_line "vsd-migrate: source: detector resumed"
	assert_line "vsd-migrate: failed: the VM runs on the source"
	VMDIR=$t/src run qmp query-status
	assert_output --partial '"running": true'
	VMDIR=$t/src run qmp qom-get "$BANKS"
	run jq -c '[.[] | .enabled]' <<<"$output"
	assert_output '[true,true]'
}

@test "vsd-migrate: usage errors exit 2, an unreachable source exits 1 having changed nothing" {
	run "$MIGRATE"
	assert_failure 2
	assert_output --partial "the following arguments are required: --qmp, --qga, --dest-qmp, --uri"
	run "$MIGRATE" --qmp a --qga b --dest-qmp c --uri x --pause-for 5x
	assert_failure 2
	assert_output --partial "invalid duration '5x'"
	run "$MIGRATE" --qmp a --qga b --dest-qmp c --uri x --pause-for 60s --timeout 120
	assert_failure 2
	assert_output --partial "--pause-for (60000 ms) must outlast --timeout (120 s)"
	run "$MIGRATE" --qmp "$BATS_TEST_TMPDIR/none.sock" --qga b --dest-qmp c --uri x
	assert_failure 1
	assert_output --partial "vsd-migrate: check: failed: cannot connect to $BATS_TEST_TMPDIR/none.sock"
	run "$MIGRATE" --help
	assert_success
	assert_line --partial "Exit status: 0 migrated"
}

@test "guest hooks: pre-migrate pauses with a deadline (stallctl or sysfs), post-migrate resumes" {
	run "$VM_RUN" --smp 2 "${VIRT_ARGS[@]}" -f "$VSD_ROOT/tools/hooks" -- "$GUEST_LIB
		modprobe vcpu_stall_detector || exit 1
		h=./hooks
		\$h/vcpu-stall-pre-migrate 90s; echo \"pre rc=\$?\"
		echo \"state \$(cat $DEV/paused) \$(cat $DEV/pause_source)\"
		\$h/vcpu-stall-post-migrate; echo \"post rc=\$?\"
		echo \"state \$(cat $DEV/paused)\"
		\$h/vcpu-stall-pre-migrate 5x; echo \"bad rc=\$?\"
		\$h/vcpu-stall-post-migrate extra; echo \"extra rc=\$?\"
		# Without stallctl: the sysfs knobs; a deadline with no post hook.
		mv /usr/bin/stallctl /tmp/
		VCPU_STALL_PAUSE_FOR=1500ms \$h/vcpu-stall-pre-migrate; echo \"sysfs rc=\$?\"
		echo \"state \$(cat $DEV/paused) \$(cat $DEV/pause_source)\"
		wait_until 10 'resume at the deadline' grep -qx 0 $DEV/paused
		echo \"deadline \$(cat $DEV/paused)\"
		rmmod vcpu_stall_detector
		\$h/vcpu-stall-post-migrate; echo \"none rc=\$?\""
	assert_success
	assert_line "vcpu-stall-pre-migrate: detector paused for at most 90s"
	assert_line "pre rc=0"
	assert_line "state 1 netlink"
	assert_line "vcpu-stall-post-migrate: detector resumed"
	assert_line "post rc=0"
	assert_line "state 0"
	assert_line "vcpu-stall-pre-migrate: invalid duration '5x': a whole number with a unit (ms, s, m, h)"
	assert_line "bad rc=2"
	assert_line "extra rc=2"
	assert_line "sysfs rc=0"
	assert_line "state 1 sysfs"
	assert_line "deadline 0"
	assert_line "vcpu-stall-post-migrate: no vCPU stall detector is bound"
	assert_line "none rc=1"
}
