#!/usr/bin/env python3
"""Minimal QMP client for the tests (standard library only).

  qmp.py cmd SOCK COMMAND [JSON-ARGS]   run one command, print its return
  qmp.py events SOCK FILE [--cont]      log every event to FILE as JSON lines
                                        (after 'cont' if asked) until QEMU exits
  qmp.py wait FILE EVENT [TIMEOUT] [KEY=VALUE...]
                                        wait until FILE has EVENT whose data
                                        matches, print it; exit 1 on timeout
"""
import json
import os
import socket
import sys
import time


def connect(path, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            break
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                sys.exit(f"qmp.py: cannot connect to {path}")
            time.sleep(0.05)
    f = s.makefile("rw", encoding="utf-8")
    json.loads(f.readline())  # greeting
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
    _, f = connect(argv[0])
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


def cmd_wait(argv):
    path, name = argv[0], argv[1]
    timeout = float(argv[2]) if len(argv) > 2 else 60.0
    conds = [a.split("=", 1) for a in argv[3:]]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as log:
                for line in log:
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        continue
                    if matches(ev, name, conds):
                        print(json.dumps(ev))
                        return
        time.sleep(0.1)
    sys.exit(f"qmp.py: no {name} event within {timeout:g} s")


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("cmd", "events", "wait"):
        sys.exit(__doc__)
    {"cmd": cmd_cmd, "events": cmd_events, "wait": cmd_wait}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
