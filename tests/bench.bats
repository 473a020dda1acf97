#!/usr/bin/env bats
# make bench's smoke run: one short iteration of every benchmark, so the
# scripts keep working.  It checks that each measurement was made and is
# sane, never how fast anything is.

load lib/common

setup_file() {
	export BENCH_OUT=$BATS_FILE_TMPDIR/results
	python3 "$VSD_ROOT/bench/bench.py" --smoke --out "$BENCH_OUT" \
		>"$BATS_FILE_TMPDIR/bench.log" 2>&1 || {
		tail -n 30 "$BATS_FILE_TMPDIR/bench.log" >&3
		return 1
	}
}

@test "bench: every induced stall is caught within the physical bound" {
	run jq -r '.runs[] | "\(.timeout_s) \(.missed) \(.normalized.n) \(.normalized.min) \(.normalized.max) \(.clock)"' \
		"$BENCH_OUT/latency.json"
	assert_success
	# Timeouts of 1 and 5 s on the default clock, and one on clock=virtual.
	assert_equal "$(grep -c ' guest-time$' <<<"$output")" 2
	assert_equal "$(grep -c ' virtual$' <<<"$output")" 1
	# None missed, none caught before half a timeout (a pet can be at most
	# half a timeout old when the stall begins), give or take the console's
	# skew.  On clock=virtual (wall time) each is caught within a timeout
	# and a count period; on guest-time the stalled vCPU's thread gets less
	# than a core under TCG (less again beside the smoke run's other
	# guests), so its count falls slower: caught while the stall lasted.
	run jq -r '.runs[] | "\(.timeout_s) \(.missed) \(.normalized.n) \(.normalized.min) \(.normalized.max) \(.clock) \(.stall_ms / 1000 / .timeout_s)"' \
		"$BENCH_OUT/latency.json"
	assert_success
	awk '$2 != 0 || $3 < 2 || $4 < 0.4 || ($6 == "virtual" && $5 > 1.5) || $5 > $7 {
		print "bad run: " $0; bad = 1 } END { exit bad }' <<<"$output"
}

@test "bench: the guest's own detectors report the long stall, with their delay" {
	run jq -r '[.runs[].stalls[] | select(.duration_ms == 8000)] | length' "$BENCH_OUT/latency.json"
	assert_output 1
	run jq -r '.runs[].stalls[] | select(.duration_ms == 8000) | .detected_s != null and .guest_rcu_s != null' \
		"$BENCH_OUT/latency.json"
	assert_output true
}

@test "bench: false-stall runs cover both clocks under every scenario" {
	run jq -r '.runs[] | "\(.scenario) \(.clock) \(.window_s > 10)"' "$BENCH_OUT/false.json"
	assert_equal "${#lines[@]}" 6
	for s in guest-load host-contention sigstop; do
		for c in guest-time virtual; do assert_line "$s $c true"; done
	done
	# guest-time never accuses a vCPU QEMU did not run.
	run jq -r '.runs[] | select(.scenario == "sigstop" and .clock == "guest-time") | .stall_events' \
		"$BENCH_OUT/false.json"
	assert_output 0
	run jq -r '.runs[] | select(.scenario == "guest-load") | .hotplug_cycles > 0' "$BENCH_OUT/false.json"
	assert_output $'true\ntrue'
}

@test "bench: overhead pets at least the minimum rate and costs a measured time" {
	run jq -r '.phases[] | [.minimum_pets_per_s, (.pets_per_vcpu_s | min)] | @tsv' \
		"$BENCH_OUT/overhead.json"
	assert_equal "${#lines[@]}" 3
	awk '$2 < 0.8 * $1 { print "too few pets: " $0; bad = 1 } END { exit bad }' <<<"$output"
	run jq -r '.pet_ns.n > 0 and .pet_ns.p50 > 0' "$BENCH_OUT/overhead.json"
	assert_output true
}

@test "bench: control-plane scale reads every CPU three ways" {
	run jq -r '.rows[] | "\(.cpus) \(.reported_cpus) \(.netlink.messages) \(.sysfs.files > 0) \(.boot_s > 0)"' \
		"$BENCH_OUT/scale.json"
	assert_line "1 1 1 true true"
	assert_line "8 8 8 true true"
}

@test "bench: the report has every section and its plots" {
	run cat "$BENCH_OUT/summary.md"
	for h in "1. Detection latency" "2. False stalls" "3. Overhead" "4. Control-plane scale"; do
		assert_output --partial "## $h"
	done
	for p in latency false scale; do
		run file "$BENCH_OUT/$p.png"
		assert_output --partial "PNG image data"
	done
}
