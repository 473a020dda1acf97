# shellcheck shell=bash
# shellcheck disable=SC2034 # variables for the test files that load this
# Shared helpers for the bats suites.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

VSD_ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
VM_RUN=$VSD_ROOT/tests/vm-run
QMP_PY=$VSD_ROOT/tests/lib/qmp.py
# The platform under test (tests/lib/platforms.bash): a splat fails a
# test where the platform says so, unless VSD_SPLAT_CHECK says otherwise.
# shellcheck source=platforms.bash
. "$VSD_ROOT/tests/lib/platforms.bash"
: "${VSD_PLATFORM:=arm64-dt}"
platform_load "$VSD_PLATFORM" || exit 1
: "${VSD_SPLAT_CHECK:=$PLATFORM_SPLAT_CHECK}"
# The host's deadlines (wait_line, wait_event, poll_until) times this.
: "${VSD_TIME_SCALE:=$PLATFORM_TIME_SCALE}"
# shellcheck source=session.bash
. "$VSD_ROOT/tests/lib/session.bash"

# The device's timeout in the tests: short, so stalls are caught quickly.
TIMEOUT=4
FREQ=10
VM_PREFIX=()
DEV_ARGS=(-q -global -q "vcpu-stall-detector.timeout-sec=$TIMEOUT"
	-q -global -q "vcpu-stall-detector.clock-frequency=$FREQ")
# Counts that fall at CLOCK_FREQ_HZ in virtual time, so the guest sees its
# banks count down and reload (in guest time an idle vCPU's count barely
# moves); host.bats covers the guest-time clock.
VIRT_ARGS=("${DEV_ARGS[@]}" -q -global -q vcpu-stall-detector.clock=virtual)

# The shared VM (tests/lib/session.bash) most cases run in: 4 vCPUs,
# virtual-time counts, a grace period that outlasts a stall of timeout + 1 s
# (the guest recovers and reloads first), and if it runs out all the same
# the host pauses the VM (the next case then boots a fresh one).
LONG_GRACE=(-q -global -q vcpu-stall-detector.grace-ms=10000)
STD_VM=(--smp 4 "${VIRT_ARGS[@]}" "${LONG_GRACE[@]}" -q -action -q watchdog=pause)
# The device's platform device, named by the firmware that describes it.
DEV_NAME=$PLATFORM_DEV_NAME
DEV=/sys/bus/platform/drivers/vcpu_stall_detector/$DEV_NAME
DEV_SYSPATH=/sys/devices/platform/$DEV_NAME

# Guest-side snippets.
LOAD='modprobe vcpu_stall_detector && modprobe vsd_test'
# The kernel's YNL CLI in the guest, with our spec.
YNL_SPEC=/usr/local/share/ynl/specs/vcpu-stall.yaml
YNL="ynl --spec $YNL_SPEC --output-json"
# Python in the guest with ynl's library: f, our family (no double quotes
# inside, so that it goes into a guest script in either kind of quotes).
YNL_PY="
import json, sys, time
sys.path.insert(0, '/usr/local/lib/ynl')
from lib import YnlFamily
f = YnlFamily('$YNL_SPEC')"
# python3 -c "$YNL_NTF_UNTIL" NAME SECONDS (in the guest): subscribe to our
# family's events, and once notification NAME has come (or SECONDS have
# passed without it) print every one received, as ynl --subscribe
# --output-json does.  ynl's own --sleep would be a guess at when the last
# event arrives.
YNL_NTF_UNTIL="$YNL_PY
f.ntf_subscribe('events')
end = time.monotonic() + float(sys.argv[2])
def got():
    q = f.async_msg_queue
    return list(q.queue) if hasattr(q, 'queue') else list(q)
while not any(m['name'] == sys.argv[1] for m in got()) and time.monotonic() < end:
    time.sleep(0.1)
    f.check_ntf()
print(json.dumps(got()))"
BANKS='cat /sys/module/vsd_test/parameters/banks'
# Bank snapshots every 0.5 s for 1.5x the timeout: every CPU reloads in it.
SAMPLE="for i in \$(seq $((3 * TIMEOUT))); do $BANKS; sleep 0.5; done"

# A test may run several VMs: each keeps its QMP socket, event log,
# console, stdout and stderr in its own directory, $VMDIR (by default
# $BATS_TEST_TMPDIR).  VM_PREFIX, an array, wraps vm-run (e.g. taskset).
vmdir() { echo "${VMDIR:-$BATS_TEST_TMPDIR}"; }

# require_platform NAME WHY TARGET: setup_file's check for a suite that runs
# on platform NAME only (WHY: what that one has) and needs its guest built
# (make TARGET).
require_platform() {
	[ "${VSD_PLATFORM:-}" = "$1" ] || {
		echo "# ${BATS_TEST_FILENAME##*/} runs on VSD_PLATFORM=$1 ($2)" >&3
		return 1
	}
	[ -r "$PLATFORM_GUEST_ENV" ] || {
		echo "# $PLATFORM_GUEST_ENV missing: run 'make $3' first" >&3
		return 1
	}
}

# vm_start [vm-run options] -- CMD: boot a VM in the background; vm.pid
# holds its pid while it runs, vm.status vm-run's exit status after.
vm_start() {
	local d
	d=$(vmdir)
	mkdir -p "$d"
	rm -f "$d/vm.status"
	: >"$d/events"
	{
		if [ "${VM_CLOSE_FDS:-0}" = 1 ]; then
			local fd
			for fd in "/proc/$BASHPID/fd/"*; do
				fd=${fd##*/}
				[ "$fd" -gt 2 ] && eval "exec $fd>&-"
			done 2>/dev/null
			exec </dev/null
		fi
		"${VM_PREFIX[@]}" "$VM_RUN" --qmp "$d/qmp.sock" --events "$d/events" \
			--console "$d/console" "$@" >"$d/out" 2>"$d/err" &
		local run=$! rc=0
		# A VM that outlives its test (the shared one) ends with its
		# owner, the suite's bats process, however that ends.
		if [ -n "${VM_OWNER:-}" ]; then
			while kill -0 "$run" 2>/dev/null; do
				kill -0 "$VM_OWNER" 2>/dev/null || { kill "$run" 2>/dev/null; break; }
				sleep 1
			done
		fi
		wait "$run" || rc=$?
		echo "$rc" >"$d/vm.status"
	} >/dev/null 2>&1 &
	# (Its own output goes to files: holding our stdout would keep a
	# "run" that started the VM waiting until the VM ended.)
	VM_PID=$!
	echo "$VM_PID" >"$d/vm.pid"
}

# vm_wait: wait for the VM started last; sets VM_STATUS.
vm_wait() {
	wait "$VM_PID" || true
	VM_STATUS=$(cat "$(vmdir)/vm.status" 2>/dev/null || echo 255)
	rm -f "$(vmdir)/vm.pid"
}

# qmp COMMAND [JSON-ARGS]: run a QMP command in the VM started last (or
# VMDIR's); fails at once, saying so, if that VM has ended.
qmp() {
	local d pid=
	d=$(vmdir)
	if [ -e "$d/vm.status" ]; then
		echo "qmp $1: the VM in $d has ended (vm-run status $(cat "$d/vm.status"))" >&2
		return 1
	fi
	[ -r "$d/vm.pid" ] && read -r pid <"$d/vm.pid"
	python3 "$QMP_PY" cmd "$d/qmp.sock" "$@" ${pid:+"--pid=$pid"}
}

# qom_banks: every bank's status as the host sees it (QOM, JSON array).
qom_banks() { qmp qom-get '{"path": "/machine/stall-detector", "property": "banks"}'; }

# banks_state: the host's [enabled, load] of every bank.
banks_state() { qom_banks | jq -c '[.[] | [.enabled, .load]]'; }

# wait_event NAME TIMEOUT [KEY=VALUE...]: print the first matching event
# since this test's cases began; fails at once if the VM is gone.
wait_event() {
	local d pid=
	d=$(vmdir)
	[ -r "$d/vm.pid" ] && [ ! -e "$d/vm.status" ] && read -r pid <"$d/vm.pid"
	python3 "$QMP_PY" wait "$d/events" "$1" "$(($2 * VSD_TIME_SCALE))" "${@:3}" \
		--from="${CASE_EV:-0}" ${pid:+--pid="$pid"} ||
		{ vm_alive "$d" || vm_gone_report "$d" >&2; return 1; }
}

# count_events NAME: how many NAME events the VM emitted since this
# test's cases began.
count_events() {
	local n
	n=$(case_events | grep -c "\"event\": \"$1\"") || true
	echo "${n:-0}"
}

# wait_output PATTERN TIMEOUT: wait until the guest printed a matching line
# (grep -E; since this test's cases began); prints the host time (s,
# float) at which it was seen.  Fails at once if the VM is gone or the
# case ended without it.
wait_output() {
	wait_line "$1" "$2" "the guest to print '$1'" >/dev/null || return 1
	date +%s.%N
}

# poll_until TIMEOUT WHAT CMD...: run CMD until it succeeds (0); another
# status than 1 fails at once, and so does the VM of $VMDIR going away; a
# timeout names WHAT.
poll_until() {
	local deadline=$((SECONDS + $1 * VSD_TIME_SCALE)) what=$2 rc
	shift 2
	while :; do
		rc=0
		"$@" || rc=$?
		[ "$rc" -eq 0 ] && return 0
		[ "$rc" -eq 1 ] || return 1
		vm_alive || { echo "waiting for $what:" >&2; vm_gone_report >&2; return 1; }
		[ $SECONDS -lt "$deadline" ] || { echo "timed out after $(($1 * VSD_TIME_SCALE)) s waiting for $what" >&2; return 1; }
		sleep 0.05
	done
}

# migration_done: 0 completed, 1 not yet, 2 failed or cancelled.
migration_done() {
	local st
	st=$(qmp query-migrate | jq -r '.status // "none"')
	case $st in
	completed) return 0 ;;
	failed | cancelled) echo "migration $st" >&2; return 2 ;;
	esac
	return 1
}

# wait_migration TIMEOUT: wait until the source's migration completed.
wait_migration() { poll_until "$1" "the migration to complete" migration_done; }

# wait_listening SOCK TIMEOUT: wait until a unix socket listens at SOCK
# (a migration destination's -incoming), failing at once if the VM of
# $VMDIR is gone.
listening() { ss -xlnH | awk -v p="$1" '$5 == p { f = 1 } END { exit !f }'; }
wait_listening() { poll_until "$2" "$1 to listen" listening "$1"; }

vm_teardown() {
	local f d
	while IFS= read -r f; do
		d=${f%/vm.pid}
		VMDIR=$d qmp quit >/dev/null 2>&1 || kill "$(cat "$f")" 2>/dev/null || true
		wait "$(cat "$f")" 2>/dev/null || true
		rm -f "$f"
	done < <(find "$BATS_TEST_TMPDIR" -name vm.pid 2>/dev/null)
	# make check-debug: every VM's kernel log must be clean.
	if [ "${VSD_SPLAT_CHECK:-0}" = 1 ]; then
		while IFS= read -r d; do
			refute_splat "$d/console"
		done < <(find "$BATS_TEST_TMPDIR" -name console -printf '%h\n' 2>/dev/null)
	fi
	session_teardown
	# Leave the evidence for a failing test in the TAP output.
	[ -n "${BATS_TEST_COMPLETED:-}" ] && return 0
	while IFS= read -r d; do
		for f in out err events console; do
			[ -s "$d/$f" ] && { echo "# --- ${d#"$BATS_TEST_TMPDIR"}/$f"; tail -n 25 "$d/$f"; } >&3
		done
	done < <(find "$BATS_TEST_TMPDIR" -name events -printf '%h\n' 2>/dev/null)
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

# What a kernel log must not hold (oopses, BUG/WARNING splats, lockdep,
# KASAN, UBSAN, debugobjects and kmemleak reports, hung tasks, RCU stalls,
# lockups): one extended regex per line, shared with tests/vm-run.
SPLAT_PATTERNS=$VSD_ROOT/tests/lib/splat.patterns

# refute_splat [CONSOLE]: fail, showing the lines, if the log has a splat.
refute_splat() {
	local log=${1:-$(vmdir)/console} hits
	hits=$(grep -E -f "$SPLAT_PATTERNS" "$log" 2>/dev/null | head -n 20) || true
	[ -z "$hits" ] || fail "kernel splat in $log:"$'\n'"$hits"
}
