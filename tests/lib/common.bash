# shellcheck shell=bash
# shellcheck disable=SC2034 # variables for the test files that load this
# Shared helpers for the bats suites.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

VSD_ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
VM_RUN=$VSD_ROOT/tests/vm-run
QMP_PY=$VSD_ROOT/tests/lib/qmp.py

# The device's timeout in the tests: short, so stalls are caught quickly.
TIMEOUT=4
FREQ=10
DEV_ARGS=(-q -global -q "vcpu-stall-detector.timeout-sec=$TIMEOUT"
	-q -global -q "vcpu-stall-detector.clock-frequency=$FREQ")

# Guest-side snippets.
LOAD='modprobe vcpu_stall_detector && modprobe vsd_test'
BANKS='cat /sys/module/vsd_test/parameters/banks'
# Bank snapshots every 0.5 s for 1.5x the timeout: every CPU reloads in it.
SAMPLE="for i in \$(seq $((3 * TIMEOUT))); do $BANKS; sleep 0.5; done"

# vm_start [vm-run options] -- CMD: boot a VM in the background; its QMP
# socket, event log, console, stdout and stderr land in $BATS_TEST_TMPDIR.
vm_start() {
	local t=$BATS_TEST_TMPDIR
	"$VM_RUN" --qmp "$t/qmp.sock" --events "$t/events" --console "$t/console" \
		"$@" >"$t/out" 2>"$t/err" &
	VM_PID=$!
}

# vm_wait: wait for the background VM; sets VM_STATUS.
vm_wait() {
	VM_STATUS=0
	wait "$VM_PID" || VM_STATUS=$?
	VM_PID=
}

qmp() { python3 "$QMP_PY" cmd "$BATS_TEST_TMPDIR/qmp.sock" "$@"; }

# wait_event NAME TIMEOUT [KEY=VALUE...]: print the first matching event.
wait_event() { python3 "$QMP_PY" wait "$BATS_TEST_TMPDIR/events" "$@"; }

# count_events NAME: how many NAME events the VM emitted so far.
count_events() {
	local n
	n=$(grep -c "\"event\": \"$1\"" "$BATS_TEST_TMPDIR/events" 2>/dev/null) || true
	echo "${n:-0}"
}

# wait_output PATTERN TIMEOUT: wait until the guest printed a matching line;
# prints the host time (s, float) at which it was seen.
wait_output() {
	local deadline=$((SECONDS + $2))
	while [ $SECONDS -lt $deadline ]; do
		if grep -q -- "$1" "$BATS_TEST_TMPDIR/out" 2>/dev/null; then
			date +%s.%N
			return 0
		fi
		sleep 0.05
	done
	echo "guest printed no '$1' within $2 s" >&2
	return 1
}

vm_teardown() {
	if [ -n "${VM_PID:-}" ]; then
		qmp quit >/dev/null 2>&1 || kill "$VM_PID" 2>/dev/null || true
		wait "$VM_PID" 2>/dev/null || true
	fi
	# Leave the evidence for a failing test in the TAP output.
	if [ -n "${BATS_TEST_COMPLETED:-}" ]; then
		return 0
	fi
	local f
	for f in out err events; do
		[ -s "$BATS_TEST_TMPDIR/$f" ] && { echo "# --- $f"; tail -n 20 "$BATS_TEST_TMPDIR/$f"; } >&3
	done
	[ -s "$BATS_TEST_TMPDIR/console" ] && { echo "# --- console"; tail -n 40 "$BATS_TEST_TMPDIR/console"; } >&3
	return 0
}

# check_banks SNAPSHOTS CPUS: every snapshot shows banks 0..CPUS-1 enabled,
# not expired, loaded with FREQ*TIMEOUT and counting within (0, load].
check_banks() {
	awk -v cpus="$2" -v load=$((FREQ * TIMEOUT)) -v freq="$FREQ" '
		NF == 5 && $1 < cpus {
			seen[$1]++
			if ($2 != 1 || $3 != load || $4 < 1 || $4 > load || $5 != freq) {
				printf "bad bank: %s\n", $0; bad = 1
			}
			if (seen[$1] > 1 && $4 > last[$1]) reloads[$1]++
			last[$1] = $4
		}
		END {
			for (c = 0; c < cpus; c++)
				if (!reloads[c]) { printf "cpu %d never reloaded\n", c; bad = 1 }
			exit bad
		}' <<<"$1"
}
