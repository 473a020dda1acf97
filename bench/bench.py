#!/usr/bin/env python3
"""vcpu-stall benchmarks in real arm64 VMs (tests/vm-run, TCG).

  bench.py [--smoke] [--out DIR] [--only PART,...]

Parts (README.md, "Benchmarks", says what each measures and how):
  latency   detection latency of induced stalls, against the guest's own
            soft/hard lockup and RCU stall detectors
  false     stall events under guest load, host contention and SIGSTOP,
            for clock=guest-time and clock=virtual
  overhead  pets per vCPU per second, the cost of one pet, idle wakeups
  scale     stallctl status / netlink dump / sysfs against the vCPU count

Writes DIR/<part>.json (raw), then bench/report.py makes summary.md and
the plots.  --smoke runs one short iteration of each (make check), and
overlaps what it can (SMOKE_STAGES): its figures check that the scripts
work, never how fast anything is; a full run measures each part alone.
Environment: BENCH_WINDOW (seconds per false-stall run, default 600).
Benchmarks report: they fail only if a measurement could not be made.
"""
import argparse
import concurrent.futures
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

from vmlog import ROOT, VM, console_offset, printk_lines

FREQ = 10
UAPI = os.path.join(ROOT, "uapi", "linux", "vcpu_stall_detector.h")
DEV = "/sys/bus/platform/drivers/vcpu_stall_detector/*/timeout_sec"
# Loads the driver and the test helper; $D is then the device's directory.
LOAD = ("modprobe vcpu_stall_detector && modprobe vsd_test || exit 1\n"
        f"D=$(dirname {DEV})")
STALL = "/sys/module/vsd_test/parameters/stall"
# The guest kernel's own detectors, as their reports begin (6.12).
GUEST_DETECTORS = {
    "softlockup": re.compile(r"soft lockup - CPU#(\d+) stuck"),
    "hardlockup": re.compile(r"Watchdog detected hard LOCKUP on cpu (\d+)"),
    "rcu": re.compile(r"rcu: INFO: \S+ (?:self-)?detected stalls?"),
    "vsd": re.compile(r"vCPU stall detector: CPU (\d+) stalled"),
}
STALL_START = re.compile(r"vsd_test: CPU (\d+): interrupts off for (\d+) ms")


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def dev_args(timeout, clock="guest-time"):
    """QEMU arguments for the device: TIMEOUT s at FREQ Hz, CLOCK; the host
    takes no action, so a run survives its stalls."""
    return ["-global", f"vcpu-stall-detector.timeout-sec={timeout}",
            "-global", f"vcpu-stall-detector.clock-frequency={FREQ}",
            "-global", f"vcpu-stall-detector.clock={clock}",
            "-action", "watchdog=none"]


def guest_sleep(ms_expr):
    """Shell: sleep for the milliseconds ms_expr evaluates to."""
    return (f"ms=$(({ms_expr})); "
            "sleep $((ms / 1000)).$(printf %03d $((ms % 1000)))")


def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    k = (len(v) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def describe(values):
    if not values:
        return {"n": 0}
    return {"n": len(values), "min": min(values), "p50": pct(values, 50),
            "p90": pct(values, 90), "max": max(values),
            "mean": statistics.fmean(values)}


def detector_reports(plines, offset):
    """Every report of a GUEST_DETECTORS pattern: (name, cpu|None, host time)."""
    res = []
    for _, g, text in plines:
        for name, rx in GUEST_DETECTORS.items():
            m = rx.search(text)
            if m:
                cpu = int(m.group(1)) if m.groups() else None
                res.append((name, cpu, g + offset))
    return res


# ---------------------------------------------------------------- latency

def bench_latency(args, out):
    n = 2 if args.smoke else 20
    longs = 1 if args.smoke else 3
    # Each timeout on the default clock, the long stalls with the longest;
    # and one on clock=virtual, which counts wall time whether or not the
    # stalled vCPU's thread runs: the device's logic without the clock.
    plan = [(1, "guest-time", 0), (2, "guest-time", 0), (5, "guest-time", longs),
            (2, "virtual", 0)]
    # The smoke run takes two at a time (two stalled vCPUs, one host core
    # each on 2 cores, the other vCPUs idle), the longest first, and leaves
    # out the 2 s run on the default clock: the 1 s run beside it ends in
    # time for the virtual one.
    if args.smoke:
        plan = [plan[2], plan[0], plan[3]]
    with concurrent.futures.ThreadPoolExecutor(2 if args.smoke else 1) as pool:
        runs = list(pool.map(lambda p: latency_run(args, out, *p, n), plan))
    return {"freq_hz": FREQ, "vcpus": 4, "runs": runs}


def latency_run(args, out, timeout, clock, longs, n):
    # Long enough to be caught: 1.5 timeouts and a second.  The smoke run's
    # two stalled vCPUs and the overhead guest share 2 host cores, and a
    # vCPU thread given half a core counts guest time at half speed: there
    # a guest-time stall lasts 3 timeouts and a second.
    stall_ms = timeout * (3000 if args.smoke and clock == "guest-time" else 1500) + 1000
    settle = stall_ms // 1000 + timeout + 1
    # The guest's detectors at their defaults, except in the smoke run,
    # where a long stall must not take 25 s.
    long_ms, append = 25000, ""
    if args.smoke:
        long_ms = 8000
        if longs:
            append = "watchdog_thresh=2 rcupdate.rcu_cpu_stall_timeout=3"
    cmd = f"""
{LOAD}
echo notify > $D/stall_action
sleep {timeout}
echo BENCH_READY
i=0
while [ $i -lt {n} ]; do
	{guest_sleep(f"RANDOM % ({timeout} * 500)")}
	echo "$((1 + i % 3)) {stall_ms}" > {STALL}
	sleep {settle}
	i=$((i + 1))
done
i=0
while [ $i -lt {longs} ]; do
	echo "$((1 + i % 3)) {long_ms}" > {STALL}
	sleep {long_ms // 1000 + 15}
	i=$((i + 1))
done
cat $D/cpus/cpu*/stalls | tr '\\n' ' '; echo
echo BENCH_END
"""
    log(f"latency: timeout {timeout} s, clock={clock}, {n} stalls + {longs} of {long_ms} ms")
    budget = 120 + n * (settle + timeout) + longs * (long_ms // 1000 + 20)
    vm = VM(os.path.join(out, "vm", f"latency-{timeout}-{clock}"), cmd, smp=4,
            qemu_args=dev_args(timeout, clock), append=append, timeout=budget)
    rc = vm.wait(budget + 30)
    if rc != 0:
        raise RuntimeError(f"latency VM (timeout {timeout}, {clock}) exited {rc}: see {vm.dir}")
    plines = printk_lines(vm.console.snapshot())
    offset = console_offset(plines)
    events = vm.events("VCPU_STALL")
    reports = detector_reports(plines, offset)
    starts = [(a, g + offset, m) for a, g, text in plines
              for m in [STALL_START.search(text)] if m]
    stalls = []
    for i, (arrival, start, m) in enumerate(starts):
        cpu, ms = int(m.group(1)), int(m.group(2))
        # A report belongs to this stall until the next one begins.
        end = starts[i + 1][1] if i + 1 < len(starts) else start + ms / 1000 + 60
        ev = next((e for e in events if e["data"]["cpu-index"] == cpu
                   and start - 0.5 <= e["time"] < end), None)
        s = {"cpu": cpu, "duration_ms": ms, "start": start,
             "console_skew_s": arrival - start,
             "detected_s": ev["time"] - start if ev else None,
             "detected_vs_arrival_s": ev["time"] - arrival if ev else None}
        if ev:
            s["normalized"] = s["detected_s"] / timeout
        for name in GUEST_DETECTORS:
            hit = next((h for nm, c, h in reports if nm == name
                        and (c is None or c == cpu) and start <= h < end), None)
            s[f"guest_{name}_s"] = hit - start if hit is not None else None
        stalls.append(s)
    if len(stalls) != n + longs:
        raise RuntimeError(f"expected {n + longs} stalls in the console, found {len(stalls)}")
    short = [s for s in stalls if s["duration_ms"] == stall_ms]
    missed = [s for s in short if s["detected_s"] is None]
    return {
        "timeout_s": timeout, "clock": clock, "stall_ms": stall_ms, "long_stall_ms": long_ms,
        "append": append, "console_offset_s": offset,
        "stall_events": len(events), "missed": len(missed),
        "normalized": describe([s["normalized"] for s in short if "normalized" in s]),
        "latency_s": describe([s["detected_s"] for s in short if s["detected_s"] is not None]),
        "console_skew_s": describe([s["console_skew_s"] for s in stalls]),
        "stalls": stalls,
    }


# ---------------------------------------------------------------- false

FALSE_TIMEOUT = 2
HOG = "while :; do :; done"


def bench_false(args, out):
    window = 15 if args.smoke else int(os.environ.get("BENCH_WINDOW", "600"))
    runs = []
    for scenario in ("guest-load", "host-contention", "sigstop"):
        runs += false_pair(out, scenario, window)
    return {"timeout_s": FALSE_TIMEOUT, "freq_hz": FREQ, "vcpus": 4,
            "window_s": window, "runs": runs}


def sigstop_loop(vm, t0, window, stops):
    """Stop QEMU for 1-3 timeouts every 2-6 s until the window's end; the
    schedule is seeded, so both clocks get the same one."""
    pid = vm.qemu_pid()
    rng = random.Random(1)
    while time.time() < t0 + window - 2 * 3 * FALSE_TIMEOUT:
        time.sleep(rng.uniform(2, 6))
        length = rng.uniform(1, 3) * FALSE_TIMEOUT
        os.kill(pid, signal.SIGSTOP)
        time.sleep(length)
        os.kill(pid, signal.SIGCONT)
        stops.append(length)


def false_pair(out, scenario, window):
    """Both clocks side by side, in two VMs under the same conditions at
    the same time: guest-load pins each VM to a host core of its own,
    host-contention pins both to core 0 beside a host CPU hog."""
    load = ""
    if scenario == "guest-load":
        # A hog on every vCPU and CPUs 1-3 going offline and online in turn.
        load = f"""
for c in 0 1 2 3; do taskset -c $c sh -c '{HOG}' & done
( n=0; while :; do for c in 1 2 3; do
	echo 0 > /sys/devices/system/cpu/cpu$c/online; sleep 0.2
	echo 1 > /sys/devices/system/cpu/cpu$c/online; sleep 0.2
	n=$((n + 1)); echo $n > /tmp/hotplugs
done; done ) &"""
    cmd = f"""
{LOAD}
echo notify > $D/stall_action
sleep {FALSE_TIMEOUT}
{load}
echo BENCH_READY
sleep {window}
echo BENCH_END
echo "HOTPLUGS $(cat /tmp/hotplugs 2>/dev/null || echo 0)"
"""
    clocks = ("guest-time", "virtual")
    log(f"false stalls: {scenario}, both clocks, {window} s")
    hog = None
    if scenario == "host-contention":
        hog = subprocess.Popen(["taskset", "-c", "0", "sh", "-c", HOG])
    budget = window + 300
    vms, stops, threads, t0, t1 = {}, {c: [] for c in clocks}, [], {}, {}
    try:
        for i, clock in enumerate(clocks):
            prefix = ()
            if scenario == "guest-load":
                prefix = ("taskset", "-c", str(i))
            elif scenario == "host-contention":
                prefix = ("taskset", "-c", "0")
            vms[clock] = VM(os.path.join(out, "vm", f"false-{scenario}-{clock}"), cmd,
                            smp=4, qemu_args=dev_args(FALSE_TIMEOUT, clock),
                            timeout=budget, prefix=prefix)
        for clock, vm in vms.items():
            _, t0[clock], _ = vm.out.wait_for("^BENCH_READY", 300)
        if scenario == "sigstop":
            for clock, vm in vms.items():
                th = threading.Thread(target=sigstop_loop,
                                      args=(vm, t0[clock], window, stops[clock]))
                th.start()
                threads.append(th)
        for clock, vm in vms.items():
            _, t1[clock], _ = vm.out.wait_for("^BENCH_END", window + 120)
        for th in threads:
            th.join()
        rcs = {clock: vm.wait(budget) for clock, vm in vms.items()}
    finally:
        if hog:
            hog.kill()
            hog.wait()
        for vm in vms.values():
            if vm.proc.poll() is None:
                vm.kill()
    runs = []
    for clock, vm in vms.items():
        if rcs[clock] != 0:
            raise RuntimeError(f"false-stall VM ({scenario}, {clock}) exited "
                               f"{rcs[clock]}: see {vm.dir}")
        runs.append(false_result(vm, scenario, clock, t0[clock], t1[clock], stops[clock]))
    return runs


def false_result(vm, scenario, clock, t0, t1, stops):
    plines = printk_lines(vm.console.snapshot())
    offset = console_offset(plines)
    guest = {name: 0 for name in GUEST_DETECTORS}
    for name, _, h in detector_reports(plines, offset):
        if t0 <= h <= t1:
            guest[name] += 1
    hotplugs = 0
    for _, text in vm.out.snapshot():
        if text.startswith("HOTPLUGS "):
            hotplugs = int(text.split()[1])
    events = [e for e in vm.events("VCPU_STALL") if t0 <= e["time"] <= t1]
    return {"scenario": scenario, "clock": clock, "window_s": t1 - t0,
            "stall_events": len(events),
            "events_per_hour": len(events) * 3600 / (t1 - t0),
            "guest_reports": guest, "hotplug_cycles": hotplugs,
            "sigstops": len(stops), "sigstop_s": describe(stops)}


# ---------------------------------------------------------------- overhead

def bench_overhead(args, out):
    window = 5 if args.smoke else 60
    timeouts = [1, 2, 5]
    tr = "/sys/kernel/tracing"
    phases = "\n".join(f"""
echo {t} > $D/timeout_sec; sleep 1
echo "PHASE {t}"; snap on{t}; sleep {window}; snap on{t}_end; echo "PHASE_END {t}"
""" for t in timeouts)
    cmd = f"""
snap() {{ echo "SNAP $1"; grep -E 'arch_timer|vcpu' /proc/interrupts; echo "SNAP_END"; }}
sleep 2
snap off; sleep {window}; snap off_end
{LOAD}
{phases}
echo {timeouts[0]} > $D/timeout_sec
mount -t tracefs nodev {tr} 2>/dev/null
echo vsd_pet > {tr}/set_graph_function && echo 1 > {tr}/max_graph_depth &&
	echo function_graph > {tr}/current_tracer || exit 1
sleep {window}
echo 0 > {tr}/tracing_on
echo TRACE; grep -F 'vsd_pet' {tr}/trace; echo TRACE_END
echo nop > {tr}/current_tracer
"""
    log(f"overhead: idle guest, {window} s per phase")
    budget = 120 + (len(timeouts) + 2) * (window + 5)
    vm = VM(os.path.join(out, "vm", "overhead"), cmd, smp=4,
            qemu_args=dev_args(timeouts[0]), timeout=budget)
    pets = {}
    start = 0
    for t in timeouts:
        start, _, _ = vm.out.wait_for(f"^PHASE {t}$", budget, start)
        b0 = vm.banks()
        start, _, _ = vm.out.wait_for(f"^PHASE_END {t}$", budget, start)
        b1 = vm.banks()
        dt = b1[0] - b0[0]
        pets[t] = [(b["pets"] - a["pets"]) / dt for a, b in zip(b0[1], b1[1])]
    rc = vm.wait(budget)
    if rc != 0:
        raise RuntimeError(f"overhead VM exited {rc}: see {vm.dir}")
    lines = [t for _, t in vm.out.snapshot()]
    snaps, cur = {}, None
    for ln in lines:
        if ln.startswith("SNAP "):
            cur = ln.split()[1]
            snaps[cur] = {}
        elif ln == "SNAP_END":
            cur = None
        elif cur:
            f = ln.split()
            name = "arch_timer" if "arch_timer" in ln else "vcpu_stall"
            snaps[cur][name] = [int(x) for x in f[1:5]]
    durations = []
    for ln in lines[lines.index("TRACE") + 1:lines.index("TRACE_END")]:
        m = re.search(r"([\d.]+) us\s+\|\s+vsd_pet", ln)
        if m:
            durations.append(float(m.group(1)) * 1000)
    if not durations:
        raise RuntimeError("function_graph recorded no vsd_pet")

    def rate(a, b, irq="arch_timer"):
        return [(y - x) / window for x, y in zip(snaps[a][irq], snaps[b][irq])]
    idle_off = rate("off", "off_end")
    res = {"window_s": window, "vcpus": 4, "freq_hz": FREQ,
           "idle_timer_irqs_per_cpu_s_without": idle_off,
           "pet_ns": describe(durations), "phases": []}
    for t in timeouts:
        on = rate(f"on{t}", f"on{t}_end")
        res["phases"].append({
            "timeout_s": t, "minimum_pets_per_s": 2 / t,
            "pets_per_vcpu_s": pets[t],
            "timer_irqs_per_cpu_s": on,
            "added_wakeups_per_cpu_s": statistics.fmean(on) - statistics.fmean(idle_off),
            "stall_irqs": sum(snaps[f"on{t}_end"].get("vcpu_stall", [0])),
        })
    return res


# ---------------------------------------------------------------- scale

def uapi_value(name):
    with open(UAPI, encoding="utf-8") as f:
        text = f.read()
    m = re.search(rf"\b{name}\b\s*=?\s*(\"[^\"]*\"|\d+)", text)
    if m:
        return m.group(1).strip('"')
    # An enum member without an explicit value: count from the last one.
    body = text[:text.index(name)]
    first = list(re.finditer(r"(\w+) = (\d+),", body))[-1]
    members = re.findall(r"^\s*(VCPU_STALL_\w+),?$", body[first.end():], re.M)
    return str(int(first.group(2)) + 1 + len(members))


def bench_scale(args, out):
    # 512 is left out: 256 already takes minutes to boot under TCG here.
    counts = [1, 8] if args.smoke else [1, 8, 64, 256]
    reps = 3 if args.smoke else 20
    fam = [uapi_value("VCPU_STALL_FAMILY_NAME"), uapi_value("VCPU_STALL_FAMILY_VERSION"),
           uapi_value("VCPU_STALL_CMD_CPU_GET")]
    script = os.path.join(ROOT, "bench", "guest", "ctlscale.py")
    rows = []
    for n in counts:
        log(f"scale: {n} vCPUs")
        rows.append(scale_row(n, reps, fam, script, out))
    return {"reps": reps, "rows": rows}


def scale_row(n, reps, fam, script, out):
    """One VM of N vCPUs.  A VM that does not boot and finish within its
    budget is a result too (how far it got), not a failed benchmark."""
    mem = 512 + 4 * n
    budget = 600 + 4 * n + n * n // 64
    cmd = (f"{LOAD}\npython3 /vsd/files/ctlscale.py {' '.join(fam)} {reps}\n")
    t0 = time.time()
    # One TCG thread for all vCPUs: hundreds of vCPU threads on a 2-core
    # host take minutes to boot, and this part measures the guest's control
    # plane, not the device's clock.
    # Without the guest's soft lockup and RCU stall detectors: one thread
    # taking turns over hundreds of vCPUs starves each of them for longer
    # than their thresholds, and the storm of backtraces on the serial
    # console is then most of the boot time.
    vm = VM(os.path.join(out, "vm", f"scale-{n}"), cmd, smp=n, mem=mem,
            qemu_args=dev_args(8, "virtual"), files=[script], timeout=budget,
            accel="tcg,thread=single",
            append="nowatchdog rcupdate.rcu_cpu_stall_suppress=1")
    try:
        rc = vm.wait(budget + 30)
    except TimeoutError:
        rc = None
    console = vm.console.snapshot()
    init = next((t for t, text in console if "Run /init" in text), None)
    boot_s = None if init is None else init - t0
    line = next((t for _, t in vm.out.snapshot() if t.startswith("SCALE ")), None)
    if rc != 0 or not line:
        why = (f"no result within {budget} s" if rc is None else
               f"VM exited {rc}" if rc else "no SCALE line")
        last = console[-1][1] if console else "(no console output)"
        log(f"scale: {n} vCPUs: {why}; last console line: {last}")
        return {"cpus": n, "error": why, "boot_s": boot_s, "budget_s": budget,
                "console_lines": len(console), "last_console_line": last}
    row = json.loads(line[6:])
    row["vm_seconds"] = time.time() - t0
    row["boot_s"] = boot_s
    if row["cpus"] != n or row["reported_cpus"] != n:
        raise RuntimeError(f"scale VM: asked {n} vCPUs, saw {row['cpus']}/{row['reported_cpus']}")
    return row


PARTS = {"latency": bench_latency, "false": bench_false,
         "overhead": bench_overhead, "scale": bench_scale}
# The smoke run's stages, each one's parts side by side: the latency runs
# (two stalled vCPUs at a time) beside the idle guest whose timer interrupts
# overhead counts, then the scale VMs, then the false-stall pairs, which
# load or pin both host cores and so run by themselves.
SMOKE_STAGES = [("latency", "overhead"), ("scale",), ("false",)]


def run_part(args, meta, p):
    """Run part P, write its JSON; False if it could not be measured."""
    t0 = time.monotonic()
    try:
        res = PARTS[p](args, args.out)
    except (RuntimeError, TimeoutError, OSError) as e:
        log(f"{p}: FAILED: {e}")
        return False
    res["meta"] = dict(meta, seconds=time.monotonic() - t0)
    with open(os.path.join(args.out, f"{p}.json"), "w", encoding="utf-8") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    log(f"{p}: done in {time.monotonic() - t0:.0f} s")
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="one short iteration of each")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results",
                                                  time.strftime("%Y-%m-%d")))
    ap.add_argument("--only", default=",".join(PARTS),
                    help="comma-separated parts (default: all)")
    args = ap.parse_args()
    parts = args.only.split(",")
    bad = [p for p in parts if p not in PARTS]
    if bad:
        ap.error(f"unknown part(s): {', '.join(bad)}; parts: {', '.join(PARTS)}")
    os.makedirs(args.out, exist_ok=True)
    # A full run boots the guest as its users do; the smoke run, as the
    # tests do (tests/lib/platforms.bash: without the CPU vulnerability
    # workarounds, which are slow under TCG).
    if not args.smoke:
        os.environ.setdefault("VSD_APPEND", "")
    # (None: the platform's parameters.)
    meta = {"guest_append": os.environ.get("VSD_APPEND"),
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "smoke": args.smoke,
            "host_cpus": os.cpu_count(), "uname": os.uname().release,
            "guest_kernel": os.environ.get("VSD_KVER", "")}
    with open(os.path.join(ROOT, "build", "guest.env"), encoding="utf-8") as f:
        for ln in f:
            if ln.startswith("VSD_KVER="):
                meta["guest_kernel"] = ln.strip().split("=", 1)[1]
    stages = SMOKE_STAGES if args.smoke else [(p,) for p in PARTS]
    failed = []
    for stage in stages:
        todo = [p for p in stage if p in parts]
        with concurrent.futures.ThreadPoolExecutor(max(len(todo), 1)) as pool:
            ok = list(pool.map(lambda p: run_part(args, meta, p), todo))
        failed += [p for p, good in zip(todo, ok) if not good]
    if len(failed) < len(parts):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "report.py"), args.out],
                       check=True)
    if failed:
        log(f"could not measure: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
