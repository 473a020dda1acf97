# shellcheck shell=bash
# shellcheck disable=SC2034 # output, status and lines are bats' own
# The shared VM of a suite (a "session"): booted by the first case that asks
# for it, reused by every later case that asks for the same vm-run options,
# booted anew when the options differ, the VM died or stopped running (a
# watchdog action), or the guest could not be put back after a case.
# tests/guest/agent runs the cases in the guest and resets it between them
# (stray processes killed, CPUs online, modules unloaded, /tmp emptied).
#
#   session [vm-run options]   make sure the shared VM runs with these
#   gx SCRIPT [TIMEOUT]        run SCRIPT there, like bats' run: $output
#                              (stdout and stderr), $status, $lines
#   gx_start SCRIPT            start it; wait_output, wait_event, qmp...
#   gx_wait [TIMEOUT]          then wait for its end, or
#   gx_end                     end it now (it waits for the host: sleep)
#   case_out, case_console, case_events, count_events
#                              what this test's cases printed, logged, emitted
#
# Each VM keeps its logs in $BATS_FILE_TMPDIR/session/vm.N; a failing test
# shows the part of them that its cases wrote.

AGENT=$VSD_ROOT/tests/guest/agent
SESSION_DIR=$BATS_FILE_TMPDIR/session
# The whole session VM's limit (vm-run --timeout) and a case's default.
SESSION_TIMEOUT=3600
CASE_TIMEOUT=300

session_current() {
	[ -e "$SESSION_DIR/current/args" ] || return 1
	readlink -f "$SESSION_DIR/current"
}

# vm_alive [DIR]: the VM of DIR (default $VMDIR) still runs.
vm_alive() {
	local d=${1:-$(vmdir)} pid
	[ -r "$d/vm.pid" ] && [ ! -e "$d/vm.status" ] || return 1
	read -r pid <"$d/vm.pid" && kill -0 "$pid" 2>/dev/null
}

# vm_running [DIR]: the VM of DIR runs and is not stopped (QMP).
vm_running() {
	local d=${1:-$(vmdir)}
	vm_alive "$d" && VMDIR=$d qmp query-status 2>/dev/null | grep -q '"running": true'
}

# vm_gone_report [DIR]: why a VM is gone, for a failure message.
vm_gone_report() {
	local d=${1:-$(vmdir)} f
	printf 'the VM is gone (vm-run exit status %s)\n' "$(cat "$d/vm.status" 2>/dev/null || echo '?')"
	for f in err console events; do
		[ -s "$d/$f" ] || continue
		printf -- '--- last lines of %s:\n' "$f"
		tail -n 15 "$d/$f"
	done
}

session() {
	local want d
	want=$(printf '%q ' "$@")
	if d=$(session_current) && [ "$(cat "$d/args")" = "$want" ] &&
		[ ! -e "$d/dirty" ] && vm_running "$d"; then
		VMDIR=$d
		return 0
	fi
	session_stop
	local n
	mkdir -p "$SESSION_DIR"
	n=$(($(cat "$SESSION_DIR/boots" 2>/dev/null || echo 0) + 1))
	echo "$n" >"$SESSION_DIR/boots"
	d=$SESSION_DIR/vm.$n
	mkdir -p "$d"
	printf '%s' "$want" >"$d/args"
	ln -sfn "vm.$n" "$SESSION_DIR/current"
	VMDIR=$d
	# A VM that outlives this test must hold none of bats' pipes (bats
	# waits for them to close): vm_start's subshell closes every fd past
	# stderr.  It ends with bats-exec-file (the test's parent), should
	# teardown_file never run.
	VM_CLOSE_FDS=1 VM_OWNER=$PPID vm_start "$@" --ctl "$d/ctl" -f "$AGENT" \
		--timeout "$SESSION_TIMEOUT" -- 'exec sh ./agent'
	CASE_OUT=0 wait_line '^@@vsd-ready$' 300 "the shared VM's agent to start" >/dev/null
}

# session_stop: end the shared VM, through its agent when it still runs
# (init then scans for leaks); the kernel log's splats, kmemleak's among
# them, are noted for teardown_file (session_end).
session_stop() {
	local d
	d=$(session_current) || return 0
	rm -f "$SESSION_DIR/current"
	if vm_running "$d" && [ ! -e "$d/dirty" ]; then
		printf 'quit\n' 1<>"$d/ctl.in"
		local i=0
		while vm_alive "$d" && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
	fi
	vm_alive "$d" && { VMDIR=$d qmp quit >/dev/null 2>&1 || kill "$(cat "$d/vm.pid")" 2>/dev/null; }
	wait "$(cat "$d/vm.pid")" 2>/dev/null || true
	if [ "${VSD_SPLAT_CHECK:-0}" = 1 ] && [ -e "$d/console" ]; then
		grep -E -f "$SPLAT_PATTERNS" "$d/console" | head -n 20 |
			sed "s|^|${d##*/}: |" >>"$SESSION_DIR/splats" || true
	fi
}

# session_end: teardown_file's part: stop the VM, fail on any splat that
# no case's own check saw (kmemleak's report comes at the VM's end).
session_end() {
	session_stop
	if [ -s "$SESSION_DIR/splats" ]; then
		echo "kernel splats in the shared VMs' logs:" >&2
		cat "$SESSION_DIR/splats" >&2
		return 1
	fi
}

# wait_line PATTERN TIMEOUT WHAT: wait until the VM's output since
# CASE_OUT has a line matching PATTERN (grep -E); print the line.  Fails at
# once, saying why, when the VM is gone or the running case (CASE_ID)
# ended without it; on timeout names WHAT.
wait_line() {
	local d deadline hit ended
	d=$(vmdir)
	deadline=$((SECONDS + $2 * VSD_TIME_SCALE))
	while :; do
		# What ended the wait (the case, the VM) is looked at before the
		# output, so that output written just before the end counts.
		ended=
		[ -n "${CASE_ID:-}" ] && tail -c +$((CASE_OUT + 1)) "$d/out" |
			grep -q "^@@vsd-end $CASE_ID " && ended=case
		vm_alive "$d" || ended=${ended:-vm}
		# A stopped VM (a watchdog action, a QMP stop) prints nothing more.
		[ -z "$ended" ] && [ "$(case_events | grep -o '"event": "\(STOP\|RESUME\)"' | tail -n 1)" = '"event": "STOP"' ] &&
			ended=stopped
		hit=$(tail -c +$((${CASE_OUT:-0} + 1)) "$d/out" 2>/dev/null | grep -m 1 -E -- "$1") && {
			printf '%s\n' "$hit"
			return 0
		}
		if [ "$ended" = case ]; then
			echo "waiting for $3: the guest's command ended without it; it printed:" >&2
			case_out | tail -n 20 >&2
			return 1
		fi
		if [ "$ended" = stopped ]; then
			echo "waiting for $3: the VM stopped; its last events:" >&2
			case_events | tail -n 5 >&2
			return 1
		fi
		if [ "$ended" = vm ]; then
			echo "waiting for $3:" >&2
			vm_gone_report "$d" >&2
			return 1
		fi
		if [ $SECONDS -ge "$deadline" ]; then
			echo "timed out after $(($2 * VSD_TIME_SCALE)) s waiting for $3" >&2
			return 1
		fi
		sleep 0.05
	done
}

# The parts of the VM's logs this test's cases wrote (the whole logs of a
# VM of its own).
case_out() {
	tail -c +$((${CASE_OUT:-0} + 1)) "$(vmdir)/out" | grep -v '^@@vsd-'
}
case_console() { tail -c +$((${CASE_CON:-0} + 1)) "$(vmdir)/console"; }
case_events() { tail -n +$((${CASE_EV:-0} + 1)) "$(vmdir)/events" 2>/dev/null; }

gx_start() {
	local d
	d=$(session_current) || fail "gx_start: no shared VM (call session first)"
	VMDIR=$d
	[ -z "${CASE_ID:-}" ] || fail "gx_start: case $CASE_ID still runs"
	CASE_ID=$(($(cat "$SESSION_DIR/cases" 2>/dev/null || echo 0) + 1))
	echo "$CASE_ID" >"$SESSION_DIR/cases"
	# This test's logs start here (its first case, if it runs several).
	if [ -z "${CASE_OUT:-}" ]; then
		CASE_OUT=$(stat -c %s "$d/out")
		CASE_CON=$(stat -c %s "$d/console")
		CASE_EV=$(wc -l <"$d/events")
		echo "$d $CASE_OUT $CASE_CON $CASE_EV" >"$BATS_TEST_TMPDIR/case"
	fi
	CASE_OFF=$(stat -c %s "$d/out")
	printf 'run %s %s\n' "$CASE_ID" "$(printf '%s\n%s\n' "$GUEST_LIB" "$1" | base64 -w 0)" 1<>"$d/ctl.in"
}

# gx_wait [TIMEOUT]: wait for the running case's end; sets output, lines
# and status as bats' run does.  A case that outlives TIMEOUT is stopped
# and fails the test.
gx_wait() {
	local d end rc clean t=${1:-$CASE_TIMEOUT}
	d=$(vmdir)
	if ! end=$(CASE_OUT=$CASE_OFF wait_line "^@@vsd-end $CASE_ID " "$t" "case $CASE_ID to end"); then
		# A running VM's agent can end the case; a stopped or dead VM is
		# booted anew by the next case (session).
		if vm_running "$d"; then
			printf 'stop %s\n' "$CASE_ID" 1<>"$d/ctl.in"
			CASE_OUT=$CASE_OFF wait_line "^@@vsd-end $CASE_ID " 30 "case $CASE_ID to stop" >/dev/null ||
				touch "$d/dirty"
		fi
		CASE_ID=
		return 1
	fi
	read -r _ _ rc clean <<<"$end"
	[ "$clean" = 1 ] || touch "$d/dirty"
	output=$(tail -c +$((CASE_OFF + 1)) "$d/out" |
		sed -n "/^@@vsd-begin $CASE_ID\$/,/^@@vsd-end $CASE_ID /{//!p}")
	mapfile -t lines <<<"$output"
	[ -n "$output" ] || lines=()
	status=$rc
	CASE_ID=
}

gx() {
	gx_start "$1"
	gx_wait "${2:-$CASE_TIMEOUT}" ||
		fail "case did not end within $((${2:-$CASE_TIMEOUT} * VSD_TIME_SCALE)) s"
}

gx_end() {
	[ -n "${CASE_ID:-}" ] || return 0
	printf 'stop %s\n' "$CASE_ID" 1<>"$(vmdir)/ctl.in"
	gx_wait 60
}

# session_teardown: teardown's part for a test that ran cases: end a case
# the test left running, check its part of the kernel log, show its part of
# the logs if it failed.
session_teardown() {
	[ -r "$BATS_TEST_TMPDIR/case" ] || return 0
	local d
	read -r d CASE_OUT CASE_CON CASE_EV <"$BATS_TEST_TMPDIR/case"
	VMDIR=$d
	if [ -n "${CASE_ID:-}" ]; then
		gx_end >/dev/null 2>&1 || touch "$d/dirty"
	fi
	if [ "${VSD_SPLAT_CHECK:-0}" = 1 ]; then
		refute_splat <(case_console)
	fi
	[ -n "${BATS_TEST_COMPLETED:-}" ] && return 0
	{
		echo "# --- ${d##*/}/out (this test's part)"
		case_out | tail -n 25
		echo "# --- ${d##*/}/events (this test's part)"
		case_events | tail -n 10
		echo "# --- ${d##*/}/console (this test's part)"
		case_console | tail -n 25
	} | sed 's/^/# /' >&3
	return 0
}

# Guest-side helpers, put before every case's script.
#   wait_nl PID PROTO WHAT: wait until process PID has a netlink socket of
#     PROTO (15 uevents, 16 generic netlink) joined to a multicast group
#     other than nlctrl's "notify" (bit 0x8000), i.e. until a listener
#     started in the background hears what follows (in PID's network
#     namespace, whichever that is); fails naming WHAT.
#   wait_until SECONDS WHAT CMD...: until CMD succeeds; fails naming WHAT.
#   hold MARK: print MARK and wait for the host to end the case (gx_end),
#     which looks at the guest's state (QOM, events) before it is undone.
# shellcheck disable=SC2016 # guest code, expanded in the guest
GUEST_LIB='
hold() {
	echo "$1"
	exec sleep 3600
}
wait_until() {
	_t=$(($1 * 10)) _s=$1 _w=$2
	shift 2
	until "$@"; do
		[ $_t -gt 0 ] || { echo "wait_until: no $_w within $_s s" >&2; return 1; }
		sleep 0.1
		_t=$((_t - 1))
	done
}
wait_nl() {
	_n=0
	while [ $_n -lt 600 ]; do
		[ -d /proc/$1 ] || { echo "wait_nl: $3 (pid $1) exited before subscribing" >&2; return 1; }
		for _fd in /proc/$1/fd/*; do
			_l=$(readlink "$_fd" 2>/dev/null) || continue
			case $_l in socket:\[*\]) ;; *) continue ;; esac
			_i=${_l#socket:[}
			_g=$(awk -v i="${_i%]}" -v p="$2" "\$2 == p && \$NF == i { print \$4 }" /proc/$1/net/netlink)
			[ -n "$_g" ] && [ $((0x$_g & ~0x8000)) -ne 0 ] && return 0
		done
		sleep 0.1
		_n=$((_n + 1))
	done
	echo "wait_nl: $3 (pid $1) did not subscribe within 60 s" >&2
	return 1
}
'
