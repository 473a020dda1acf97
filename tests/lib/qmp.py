#!/usr/bin/env python3
"""Minimal QMP client for the tests (standard library only).

  qmp.py cmd SOCK COMMAND [JSON-ARGS] [--pid=PID]
                                        run one command, print its return;
                                        exit 1 at once if process PID (the
                                        VM) is gone before QEMU answers
  qmp.py events SOCK FILE [--cont]      log every event to FILE as JSON lines
                                        (after 'cont' if asked) until QEMU exits
  qmp.py wait FILE EVENT [TIMEOUT] [KEY=VALUE...] [--from=N] [--pid=PID]
                                        wait until FILE (from its line N on)
                                        has EVENT whose data matches, print
                                        it; exit 1 on timeout, or at once
                                        when process PID (the VM) is gone

A socket that exists but refuses connections belongs to a QEMU that is
gone: the client gives up at once instead of retrying until its timeout.
"""
import errno
import json
import os
import socket
import sys
import time


def connect(path, timeout=30.0, pid=None):
    deadline = time.monotonic() + timeout
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            break
        except OSError as e:
            s.close()
            if e.errno == errno.ECONNREFUSED:
                sys.exit(f"qmp.py: {path} refuses connections: QEMU is gone")
            if pid is not None and not alive(pid):
                sys.exit(f"qmp.py: cannot connect to {path}: the VM (process {pid}) is gone")
            if time.monotonic() > deadline:
                sys.exit(f"qmp.py: cannot connect to {path} within {timeout:g} s: {e.strerror}")
            time.sleep(0.05)
    f = s.makefile("rw", encoding="utf-8")
    greeting = f.readline()
    if not greeting:
        sys.exit(f"qmp.py: {path}: QEMU closed the connection before its greeting")
    json.loads(greeting)
    execute(f, "qmp_capabilities", events=None)
    return s, f


def execute(f, cmd, args=None, events=None):
    msg = {"execute": cmd}
    if args:
        msg["arguments"] = args
    f.write(json.dumps(msg) + "\n")
    f.flush()
    while True:
        line = f.readline()
        if not line:
            sys.exit(f"qmp.py: QEMU closed the connection during {cmd}")
        r = json.loads(line)
        if "event" in r:
            if events is not None:
                events(r)
            continue
        if "error" in r:
            sys.exit(f"qmp.py: {cmd}: {r['error'].get('desc', r['error'])}")
        return r.get("return")


def cmd_cmd(argv):
    pid = next((int(a[6:]) for a in argv if a.startswith("--pid=")), None)
    argv = [a for a in argv if not a.startswith("--pid=")]
    _, f = connect(argv[0], pid=pid)
    args = json.loads(argv[2]) if len(argv) > 2 else None
    print(json.dumps(execute(f, argv[1], args)))


def cmd_events(argv):
    path, out = argv[0], argv[1]
    s, f = connect(path)
    with open(out, "a", encoding="utf-8") as log:
        def write(ev):
            log.write(json.dumps(ev) + "\n")
            log.flush()
        if "--cont" in argv:
            execute(f, "cont", events=write)
        for line in f:
            ev = json.loads(line)
            if "event" in ev:
                write(ev)


def matches(ev, name, conds):
    if ev.get("event") != name:
        return False
    data = ev.get("data", {})
    return all(str(data.get(k)) == v for k, v in conds)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def cmd_wait(argv):
    opts = {a.split("=", 1)[0]: int(a.split("=", 1)[1]) for a in argv if a.startswith("--")}
    argv = [a for a in argv if not a.startswith("--")]
    path, name = argv[0], argv[1]
    timeout = float(argv[2]) if len(argv) > 2 else 60.0
    conds = [a.split("=", 1) for a in argv[3:]]
    skip, pid = opts.get("--from", 0), opts.get("--pid")
    what = " ".join([name] + [f"{k}={v}" for k, v in conds])
    deadline = time.monotonic() + timeout
    while True:
        # Read once more after the VM is gone: its last events count.
        gone = pid is not None and not alive(pid)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as log:
                for n, line in enumerate(log):
                    if n < skip:
                        continue
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        continue
                    if matches(ev, name, conds):
                        print(json.dumps(ev))
                        return
        if gone:
            sys.exit(f"qmp.py: waiting for event {what}: the VM is gone")
        if time.monotonic() >= deadline:
            sys.exit(f"qmp.py: no event {what} within {timeout:g} s")
        time.sleep(0.1)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("cmd", "events", "wait"):
        sys.exit(__doc__)
    {"cmd": cmd_cmd, "events": cmd_events, "wait": cmd_wait}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
