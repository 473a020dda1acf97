"""Run one test VM (tests/vm-run) and watch it from the host.

A VM's console (kernel log), stdout and QMP event log are files that grow
while it runs.  Watcher threads poll them every millisecond and stamp each
new line with the host's CLOCK_REALTIME on arrival, the clock QMP stamps
its events with, so guest and host times can be put on one axis.
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import qmp  # noqa: E402  (tests/lib/qmp.py)

VM_RUN = os.path.join(ROOT, "tests", "vm-run")
PRINTK = re.compile(r"^\[\s*(\d+\.\d+)\]\s?(.*)$")


class Tail(threading.Thread):
    """Lines of a growing file, each with the host time it was first seen."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.lines = []  # (arrival, text)
        self.lock = threading.Lock()
        self.stopping = False

    def run(self):
        buf = b""
        pos = 0
        while True:
            stop = self.stopping
            try:
                with open(self.path, "rb") as f:
                    f.seek(pos)
                    chunk = f.read()
            except FileNotFoundError:
                chunk = b""
            now = time.time()
            if chunk:
                pos += len(chunk)
                buf += chunk
                *done, buf = buf.split(b"\n")
                with self.lock:
                    self.lines += [(now, ln.decode(errors="replace").rstrip("\r"))
                                   for ln in done]
            if stop:
                return
            time.sleep(0.001)

    def snapshot(self):
        with self.lock:
            return list(self.lines)

    def wait_for(self, pattern, timeout, start=0):
        """First line from index START matching PATTERN: (index, arrival, text)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.snapshot()
            for i in range(start, len(lines)):
                if rx.search(lines[i][1]):
                    return i, lines[i][0], lines[i][1]
            time.sleep(0.01)
        raise TimeoutError(f"no line matching {pattern!r} in {self.path} within {timeout:g} s")


class VM:
    """A VM booted with tests/vm-run, its files kept in DIRECTORY."""

    def __init__(self, directory, cmd, smp=4, mem=512, qemu_args=(), append="",
                 files=(), timeout=3600, prefix=(), accel=None):
        os.makedirs(directory, exist_ok=True)
        self.dir = directory
        self.sock = os.path.join(directory, "qmp.sock")
        self.events_path = os.path.join(directory, "events")
        self.pidfile = os.path.join(directory, "qemu.pid")
        for p in (self.events_path, self.pidfile):
            if os.path.exists(p):
                os.unlink(p)
        argv = [*prefix, VM_RUN, "--smp", str(smp), "--mem", str(mem),
                "--timeout", str(timeout), "--qmp", self.sock,
                "--events", self.events_path,
                "--console", os.path.join(directory, "console"),
                "-q", "-pidfile", "-q", self.pidfile]
        if accel:
            argv += ["--accel", accel]
        for a in qemu_args:
            argv += ["-q", a]
        if append:
            argv += ["-a", append]
        for f in files:
            argv += ["-f", f]
        argv += ["--", cmd]
        self.out = Tail(os.path.join(directory, "out"))
        self.console = Tail(os.path.join(directory, "console"))
        with open(os.path.join(directory, "out"), "wb"), \
                open(os.path.join(directory, "console"), "wb"):
            pass
        self.proc = subprocess.Popen(
            argv, stdout=open(os.path.join(directory, "out"), "wb"),
            stderr=open(os.path.join(directory, "err"), "wb"),
            start_new_session=True)
        self.out.start()
        self.console.start()

    def qemu_pid(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(self.pidfile) as f:
                    return int(f.read())
            except (FileNotFoundError, ValueError):
                time.sleep(0.05)
        raise TimeoutError("QEMU wrote no pid file")

    def qmp(self, cmd, args=None):
        s, f = qmp.connect(self.sock)
        try:
            return qmp.execute(f, cmd, args)
        finally:
            s.close()

    def banks(self):
        """Every bank's QOM status, with the host time it was read."""
        t = time.time()
        return t, self.qmp("qom-get", {"path": "/machine/stall-detector",
                                       "property": "banks"})

    def events(self, name=None):
        evs = []
        try:
            with open(self.events_path, encoding="utf-8") as f:
                for line in f:
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        continue
                    if name is None or ev.get("event") == name:
                        ts = ev["timestamp"]
                        ev["time"] = ts["seconds"] + ts["microseconds"] / 1e6
                        evs.append(ev)
        except FileNotFoundError:
            pass
        return evs

    def wait(self, timeout):
        """Wait for the VM to end; its exit status (vm-run's)."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TimeoutError(f"VM in {self.dir} still running after {timeout} s")
        self.out.stopping = self.console.stopping = True
        self.out.join()
        self.console.join()
        # Raw data: every line with the host time it arrived.
        for tail in (self.out, self.console):
            with open(tail.path + ".stamped", "w", encoding="utf-8") as f:
                for t, text in tail.snapshot():
                    f.write(f"{t:.6f}\t{text}\n")
        return rc

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.out.stopping = self.console.stopping = True


def printk_lines(console_lines):
    """(arrival, guest printk seconds, text) for every timestamped line."""
    res = []
    for arrival, text in console_lines:
        m = PRINTK.match(text)
        if m:
            res.append((arrival, float(m.group(1)), m.group(2)))
    return res


def console_offset(plines):
    """Host realtime minus guest printk time, from the line that reached
    the host soonest: every line arrives at or after its printk time plus
    the true offset, so the minimum is the tightest estimate."""
    # Boot lines printed before the console existed arrive late in a burst;
    # the minimum ignores them by construction.
    return min(a - g for a, g, _ in plines)
