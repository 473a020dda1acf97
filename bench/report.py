#!/usr/bin/env python3
"""Turn bench.py's raw JSON in DIR into DIR/summary.md and DIR/*.png.

  report.py DIR

Only the parts whose JSON is present are reported.  Plots need gnuplot
(gnuplot-nox); without it the summary says so and has no images.
"""
import json
import os
import shutil
import subprocess
import sys


def load(d, part):
    p = os.path.join(d, f"{part}.json")
    if not os.path.exists(p):
        return None
    with open(p, encoding="utf-8") as f:
        return json.load(f)


def f2(v, unit=""):
    return "–" if v is None else f"{v:.2f}{unit}"


def ms(v):
    return "–" if v is None else f"{v * 1000:.0f} ms"


def gnuplot(d, name, script):
    if not shutil.which("gnuplot"):
        return None
    png = f"{name}.png"
    head = (f"set terminal pngcairo size 800,480 noenhanced\n"
            f"set output '{png}'\nset grid\nset key inside left top\n")
    with open(os.path.join(d, f"{name}.gp"), "w", encoding="utf-8") as f:
        f.write(head + script)
    subprocess.run(["gnuplot", f"{name}.gp"], cwd=d, check=True)
    return png


def write_dat(d, name, rows):
    with open(os.path.join(d, name), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(" ".join(str(x) for x in r) + "\n")


def latency_section(d, lat):
    out = ["## 1. Detection latency",
           "",
           f"Stalls induced with interrupts off on vCPUs 1-3 of a {lat['vcpus']}-vCPU guest "
           f"({lat['freq_hz']} Hz), at a random phase against the pets. "
           "Latency is the host's VCPU_STALL event (QMP timestamp) minus the stall's start "
           "(the guest's printk timestamp of its first line with interrupts off, put on the "
           "host's clock through the console offset, see *Skew*). "
           "With pets every timeout/2 and a count of one timeout, a stall is caught between "
           "0.5 and 1.0 timeout after it begins (uniform: mean 0.75), plus up to one count "
           "period: that is the physical bound the device can reach. With clock=guest-time "
           "(the default) the count falls by the CPU time the stalled vCPU's thread gets: "
           "under TCG a vCPU spinning with an interrupt pending but masked keeps returning "
           "to QEMU's main loop for it and gets less than a full host core, so its count "
           "falls slower than wall time and latency runs past the bound; on KVM it would "
           "spin in guest mode at full speed. The clock=virtual row counts wall time: the "
           "device's logic without that effect.",
           "",
           "| timeout | stalls | missed | latency p50 | p90 | max | normalized min | p50 | max |",
           "|---|---|---|---|---|---|---|---|---|"]
    cdf = []
    for r in lat["runs"]:
        n, s = r["normalized"], r["latency_s"]
        label = f"{r['timeout_s']} s {r['clock']}"
        out.append(f"| {label} | {s['n'] + r['missed']} | {r['missed']} | "
                   f"{ms(s.get('p50'))} | {ms(s.get('p90'))} | {ms(s.get('max'))} | "
                   f"{f2(n.get('min'))} | {f2(n.get('p50'))} | {f2(n.get('max'))} |")
        vals = sorted(x["normalized"] for x in r["stalls"]
                      if x["duration_ms"] == r["stall_ms"] and "normalized" in x)
        rows = [(v, (i + 1) / len(vals)) for i, v in enumerate(vals)]
        name = f"latency-{r['timeout_s']}-{r['clock']}.dat"
        write_dat(d, name, rows)
        cdf.append((name, label))
    out += ["", "### The guest's own detectors on the same stalls", "",
            "Seconds from the stall's start to the first report of each detector "
            "(– : none). `vsd` is this driver's own message, printed by the stalled "
            "CPU when its interrupts come back (the IRQ path); the host knew at the "
            "latency above.", "",
            "| timeout | stall | host event | vsd (guest) | softlockup | hardlockup | RCU |",
            "|---|---|---|---|---|---|---|"]
    for r in lat["runs"]:
        shown = [x for x in r["stalls"] if x["duration_ms"] != r["stall_ms"]]
        shown += [x for x in r["stalls"] if x["duration_ms"] == r["stall_ms"]][:2]
        for x in shown:
            out.append(f"| {r['timeout_s']} s {r['clock']} | {x['duration_ms'] / 1000:g} s | "
                       f"{f2(x['detected_s'], ' s')} | {f2(x['guest_vsd_s'], ' s')} | "
                       f"{f2(x['guest_softlockup_s'], ' s')} | "
                       f"{f2(x['guest_hardlockup_s'], ' s')} | {f2(x['guest_rcu_s'], ' s')} |")
    counts = {}
    for r in lat["runs"]:
        for x in r["stalls"]:
            if x["duration_ms"] == r["stall_ms"]:
                for k in ("softlockup", "hardlockup", "rcu"):
                    counts[k] = counts.get(k, 0) + (x[f"guest_{k}_s"] is not None)
    total = sum(1 for r in lat["runs"] for x in r["stalls"] if x["duration_ms"] == r["stall_ms"])
    out += ["", f"Over all {total} short stalls (1.5 timeouts + 1 s), the guest's detectors "
            f"reported: softlockup {counts.get('softlockup', 0)}, hardlockup "
            f"{counts.get('hardlockup', 0)}, RCU {counts.get('rcu', 0)}."]
    app = {r["append"] for r in lat["runs"] if r["append"]}
    if app:
        out.append(f"Kernel command line for the long stalls: `{' '.join(sorted(app))}` "
                   "(smoke run: lowered thresholds).")
    sk = [r["console_skew_s"] for r in lat["runs"]]
    worst = max((s["max"] for s in sk if s["n"]), default=None)
    p50 = max((s["p50"] for s in sk if s["n"]), default=None)
    out += ["", "**Skew.** The host reads the console file every millisecond and stamps "
            "each line as it arrives; the offset between the guest's printk clock and the "
            "host's is the smallest (arrival - printk) over all lines of the run (a line "
            "can only arrive late). The stall start lines themselves arrived "
            f"{ms(p50)} (median) and at most {ms(worst)} after their mapped start, so a "
            "latency measured from their arrival instead would be that much shorter. "
            "The offset's own error is the console's fastest delivery (under 1 ms poll "
            "plus one serial write)."]
    png = gnuplot(d, "latency",
                  "set title 'Detection latency / timeout (CDF)'\n"
                  "set xlabel '(event - stall start) / timeout'\nset ylabel 'fraction of stalls'\n"
                  "set xrange [0:1.5]\nset yrange [0:1.05]\nset arrow from 0.5,0 to 0.5,1.05 nohead dt 2\n"
                  "set arrow from 1,0 to 1,1.05 nohead dt 2\n"
                  "plot " + ", ".join(f"'{f}' using 1:2 with steps lw 2 title 'timeout {t}'"
                                      for f, t in cdf) + "\n")
    if png:
        out += ["", f"![latency]({png})"]
    return out


def false_section(d, fs):
    out = ["## 2. False stalls", "",
           f"Stall events in a {fs['window_s']} s window per run, {fs['vcpus']} vCPUs, "
           f"timeout {fs['timeout_s']} s, no stall induced: every event is false. "
           "guest-load: a CPU hog on every vCPU and CPUs 1-3 offlined and onlined in turn. "
           "host-contention: QEMU pinned to one host core beside a CPU hog. "
           "sigstop: QEMU stopped with SIGSTOP for 1-3 timeouts, every 2-6 s. "
           "The two clocks ran side by side, in two VMs at the same time under the same "
           "conditions (guest-load: each VM pinned to a host core of its own; "
           "host-contention: both on core 0 beside the hog; sigstop: the same seeded "
           "schedule of stops). "
           "The guest's columns count its own reports in the same window.", "",
           "| scenario | clock | window | VCPU_STALL | per hour | guest softlockup | hardlockup | RCU | vsd | notes |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    rows = {}
    for r in fs["runs"]:
        g = r["guest_reports"]
        notes = []
        if r["hotplug_cycles"]:
            notes.append(f"{r['hotplug_cycles']} hotplug cycles")
        if r["sigstops"]:
            notes.append(f"{r['sigstops']} stops")
        out.append(f"| {r['scenario']} | {r['clock']} | {r['window_s']:.0f} s | "
                   f"{r['stall_events']} | {r['events_per_hour']:.0f} | {g['softlockup']} | "
                   f"{g['hardlockup']} | {g['rcu']} | {g['vsd']} | {', '.join(notes)} |")
        row = rows.setdefault(r["scenario"], {"guest": 0})
        row[r["clock"]] = r["stall_events"]
        row["guest"] += g["softlockup"] + g["hardlockup"] + g["rcu"]
    # Zero-height bars do not show: the counts go in the labels too.
    write_dat(d, "false.dat", [
        (f'"{s}\\n{v.get("guest-time", 0)} / {v.get("virtual", 0)} / {v["guest"]}"',
         v.get("guest-time", 0), v.get("virtual", 0), v["guest"])
        for s, v in rows.items()])
    png = gnuplot(d, "false",
                  "set title 'False stall events per configuration'\n"
                  "set style data histograms\nset style histogram clustered gap 1\n"
                  "set style fill solid 0.8 border -1\nset ylabel 'events in the window'\n"
                  "set yrange [0:*]\n"
                  "set xlabel 'scenario: guest-time / virtual / guest kernel warnings' offset 0,-1.5\n"
                  "set bmargin 5\nset offsets 0, 0, graph 0.3, 0\n"
                  "plot 'false.dat' using 2:xtic(1) title 'VCPU_STALL, clock=guest-time', "
                  "'' using 3 title 'VCPU_STALL, clock=virtual', "
                  "'' using 4 title 'guest softlockup+hardlockup+RCU (both VMs)'\n")
    if png:
        out += ["", f"![false stalls]({png})"]
    return out


def overhead_section(d, ov):
    p = ov["pet_ns"]
    idle = sum(ov["idle_timer_irqs_per_cpu_s_without"]) / len(ov["idle_timer_irqs_per_cpu_s_without"])
    out = ["## 3. Overhead", "",
           f"Idle {ov['vcpus']}-vCPU guest, {ov['window_s']} s per phase. Pets are counted by "
           "the device (QOM `banks`); timer interrupts from the guest's /proc/interrupts "
           f"(arch_timer); without the module an idle vCPU takes {idle:.1f} timer interrupts/s.",
           "",
           "| timeout | minimum pets/s (2/timeout) | pets per vCPU per s (min–max) | "
           "timer irqs per CPU per s | added wakeups per CPU per s |",
           "|---|---|---|---|---|"]
    for ph in ov["phases"]:
        pr = ph["pets_per_vcpu_s"]
        t = ph["timer_irqs_per_cpu_s"]
        out.append(f"| {ph['timeout_s']} s | {ph['minimum_pets_per_s']:.2f} | "
                   f"{min(pr):.2f}–{max(pr):.2f} | {sum(t) / len(t):.1f} | "
                   f"{ph['added_wakeups_per_cpu_s']:+.1f} |")
    out += ["", f"Cost of one pet (vsd_pet, the hrtimer callback: one MMIO write and the "
            f"timer's forward), measured in the guest with ftrace's function_graph over "
            f"{p['n']} pets: median {p['p50']:.0f} ns, p90 {p['p90']:.0f} ns, max "
            f"{p['max']:.0f} ns. Under TCG this is emulated time and includes the MMIO "
            "exit to QEMU's device model and the tracer's own overhead; on KVM the MMIO "
            "write is one exit to the VMM."]
    return out


def scale_section(d, sc):
    out = ["## 4. Control-plane scale", "",
           f"Reading every CPU's status in the guest, median of {sc['reps']} runs "
           "(these VMs run all vCPUs on one TCG thread, tcg,thread=single, so that "
           "hundreds of them boot on a 2-core host): "
           "`stallctl status --json` (exec, dump, JSON), the CPU_GET dump on a raw generic "
           "netlink socket (bytes and messages received), and reading the same values "
           "from sysfs (one file per value).", "",
           "| vCPUs | stallctl | netlink dump | netlink bytes (msgs) | sysfs | sysfs files | boot | boot+run |",
           "|---|---|---|---|---|---|---|---|"]
    rows = []
    for r in sc["rows"]:
        boot = "–" if r.get("boot_s") is None else f"{r['boot_s']:.0f} s"
        if "error" in r:
            out.append(f"| {r['cpus']} | {r['error']} (boot budget {r['budget_s']} s; "
                       f"{r['console_lines']} console lines) | | | | | {boot} | |")
            continue
        s, n, y = r["stallctl"], r["netlink"], r["sysfs"]
        out.append(f"| {r['cpus']} | {s['median_ms']:.1f} ms | {n['median_ms']:.2f} ms | "
                   f"{n['bytes']} ({n['messages']}) | {y['median_ms']:.2f} ms | {y['files']} | "
                   f"{boot} | {r['vm_seconds']:.0f} s |")
        rows.append((r["cpus"], s["median_ms"], n["median_ms"], y["median_ms"]))
    write_dat(d, "scale.dat", rows)
    png = gnuplot(d, "scale",
                  "set title 'Reading every CPU status'\nset logscale xy\n"
                  "set xlabel 'vCPUs'\nset ylabel 'ms (median)'\n"
                  "plot 'scale.dat' using 1:2 with linespoints lw 2 title 'stallctl status --json', "
                  "'' using 1:3 with linespoints lw 2 title 'netlink dump', "
                  "'' using 1:4 with linespoints lw 2 title 'sysfs files'\n")
    if png:
        out += ["", f"![scale]({png})"]
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    lines = ["# vcpu-stall benchmarks", ""]
    meta = None
    sections = []
    for part, fn in (("latency", latency_section), ("false", false_section),
                     ("overhead", overhead_section), ("scale", scale_section)):
        res = load(d, part)
        if res is None:
            continue
        meta = meta or res["meta"]
        sections += [""] + fn(d, res)
    if meta is None:
        sys.exit(f"report.py: no results in {d}")
    lines.append(f"Run {meta['date']}{' (smoke: one short iteration each)' if meta['smoke'] else ''}; "
                 f"host: {meta['host_cpus']} CPUs, Linux {meta['uname']}; guest: Debian "
                 f"{meta['guest_kernel']} under qemu-system-aarch64 TCG (MTTCG), our device. "
                 "Raw data: the *.json files next to this one; `make bench` reproduces it.")
    if not shutil.which("gnuplot"):
        lines.append("(gnuplot was not installed: no plots.)")
    with open(os.path.join(d, "summary.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines + sections) + "\n")


if __name__ == "__main__":
    main()
