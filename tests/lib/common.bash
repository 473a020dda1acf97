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
VM_PREFIX=()
DEV_ARGS=(-q -global -q "vcpu-stall-detector.timeout-sec=$TIMEOUT"
	-q -global -q "vcpu-stall-detector.clock-frequency=$FREQ")
# Counts that fall at CLOCK_FREQ_HZ in virtual time, so the guest sees its
# banks count down and reload (in guest time an idle vCPU's count barely
# moves); host.bats covers the guest-time clock.
VIRT_ARGS=("${DEV_ARGS[@]}" -q -global -q vcpu-stall-detector.clock=virtual)

# Guest-side snippets.
LOAD='modprobe vcpu_stall_detector && modprobe vsd_test'
BANKS='cat /sys/module/vsd_test/parameters/banks'
# Bank snapshots every 0.5 s for 1.5x the timeout: every CPU reloads in it.
SAMPLE="for i in \$(seq $((3 * TIMEOUT))); do $BANKS; sleep 0.5; done"

# A test may run several VMs: each keeps its QMP socket, event log,
# console, stdout and stderr in its own directory, $VMDIR (by default
# $BATS_TEST_TMPDIR).  VM_PREFIX, an array, wraps vm-run (e.g. taskset).
vmdir() { echo "${VMDIR:-$BATS_TEST_TMPDIR}"; }

# vm_start [vm-run options] -- CMD: boot a VM in the background.
vm_start() {
	local d
	d=$(vmdir)
	mkdir -p "$d"
	"${VM_PREFIX[@]}" "$VM_RUN" --qmp "$d/qmp.sock" --events "$d/events" \
		--console "$d/console" "$@" >"$d/out" 2>"$d/err" &
	VM_PID=$!
	echo "$VM_PID" >"$d/vm.pid"
}

# vm_wait: wait for the VM started last; sets VM_STATUS.
vm_wait() {
	VM_STATUS=0
	wait "$VM_PID" || VM_STATUS=$?
	rm -f "$(vmdir)/vm.pid"
}

qmp() { python3 "$QMP_PY" cmd "$(vmdir)/qmp.sock" "$@"; }

# qom_banks: every bank's status as the host sees it (QOM, JSON array).
qom_banks() { qmp qom-get '{"path": "/machine/stall-detector", "property": "banks"}'; }

# banks_state: the host's [enabled, load] of every bank.
banks_state() { qom_banks | jq -c '[.[] | [.enabled, .load]]'; }

# wait_event NAME TIMEOUT [KEY=VALUE...]: print the first matching event.
wait_event() { python3 "$QMP_PY" wait "$(vmdir)/events" "$@"; }

# count_events NAME: how many NAME events the VM emitted so far.
count_events() {
	local n
	n=$(grep -c "\"event\": \"$1\"" "$(vmdir)/events" 2>/dev/null) || true
	echo "${n:-0}"
}

# wait_output PATTERN TIMEOUT: wait until the guest printed a matching line;
# prints the host time (s, float) at which it was seen.
wait_output() {
	local deadline=$((SECONDS + $2))
	while [ $SECONDS -lt $deadline ]; do
		if grep -q -- "$1" "$(vmdir)/out" 2>/dev/null; then
			date +%s.%N
			return 0
		fi
		sleep 0.05
	done
	echo "guest printed no '$1' within $2 s" >&2
	return 1
}

# wait_migration TIMEOUT: wait until the source's migration completed.
wait_migration() {
	local deadline=$((SECONDS + $1)) st
	while [ $SECONDS -lt $deadline ]; do
		st=$(qmp query-migrate | jq -r '.status // "none"')
		case $st in
		completed) return 0 ;;
		failed | cancelled) echo "migration $st" >&2; return 1 ;;
		esac
		sleep 0.2
	done
	echo "migration not completed within $1 s" >&2
	return 1
}

vm_teardown() {
	local f d
	while IFS= read -r f; do
		d=${f%/vm.pid}
		VMDIR=$d qmp quit >/dev/null 2>&1 || kill "$(cat "$f")" 2>/dev/null || true
		wait "$(cat "$f")" 2>/dev/null || true
	done < <(find "$BATS_TEST_TMPDIR" -name vm.pid 2>/dev/null)
	# make check-debug: every VM's kernel log must be clean.
	if [ "${VSD_SPLAT_CHECK:-0}" = 1 ]; then
		while IFS= read -r d; do
			refute_splat "$d/console"
		done < <(find "$BATS_TEST_TMPDIR" -name console -printf '%h\n' 2>/dev/null)
	fi
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
