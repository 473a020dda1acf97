#!/usr/bin/env python3
"""A scripted stand-in for two QEMUs and their guest agents (standard
library only), for vsd-migrate's failure paths that a real QEMU will not
produce on demand (a monitor that goes away mid-recovery, a reply that is
not JSON).

  fakeqemu.py DIR SCENARIO

serves DIR/src-qmp.sock, DIR/src-qga.sock, DIR/dst-qmp.sock and
DIR/dst-qga.sock until killed, logging each command received to DIR/log
("src-qmp migrate", ...).  Everyone answers as a healthy pair would (the
source runs, the destination waits with -incoming defer, stallctl in the
guest succeeds and reports the detector resumed), except:

  source-gone      the migration fails, then the source's monitor closes
                   the connection at migrate_cancel
  source-garbage   the migration fails, then the source's monitor answers
                   query-migrate with a line that is not JSON
  dest-gone        the migration completes, then the destination's
                   monitor closes the connection at query-status
  agent-garbage    the guest agent's stallctl status prints no JSON
  listening        the destination was started with -incoming URI:
                   migrate-incoming is refused as QEMU refuses it
"""
import base64
import json
import os
import socket
import sys
import threading

STATUS_JSON = '{"pause": {"paused": false, "source": null, "remaining_ms": null}}\n'


class Closed(Exception):
    """The fake drops the connection here."""


def qmp_reply(name, cmd, scenario, state):
    """The answer to CMD: a dict, a raw line (str), or Closed."""
    if cmd == "qmp_capabilities":
        return {"return": {}}
    if name == "src-qmp":
        if cmd == "query-status":
            return {"return": {"running": True, "status": "running"}}
        if cmd == "migrate":
            state["migrating"] = True
            return {"return": {}}
        if cmd == "query-migrate":
            if state.get("cancelled") and scenario == "source-garbage":
                return "this is not JSON"
            if not state.get("migrating"):
                return {"return": {}}
            ok = scenario in ("dest-gone", "agent-garbage", "listening")
            return {"return": {"status": "completed" if ok else "failed"}}
        if cmd == "migrate_cancel":
            if scenario == "source-gone":
                raise Closed()
            state["cancelled"] = True
            return {"return": {}}
        if cmd == "cont":
            return {"return": {}}
    if name == "dst-qmp":
        if cmd == "query-status":
            if state.get("dst-asked") and scenario == "dest-gone":
                raise Closed()
            state["dst-asked"] = True
            return {"return": {"running": False, "status": "inmigrate"}}
        if cmd == "migrate-incoming":
            if scenario == "listening":
                return {"error": {"class": "GenericError",
                                  "desc": "The incoming migration has already been started"}}
            return {"return": {}}
        if cmd == "cont":
            return {"return": {}}
    return {"error": {"class": "CommandNotFound", "desc": f"The command {cmd} has not been found"}}


def qga_reply(msg, scenario, state):
    cmd, args = msg.get("execute"), msg.get("arguments", {})
    if cmd == "guest-sync-delimited":
        return {"return": args.get("id")}
    if cmd == "guest-ping":
        return {"return": {}}
    if cmd == "guest-exec":
        state["argv"] = args.get("arg", [])
        return {"return": {"pid": 42}}
    if cmd == "guest-exec-status":
        out = STATUS_JSON if state.get("argv", [])[:1] == ["status"] else ""
        if out and scenario == "agent-garbage":
            out = "stallctl: something else\n"
        return {"return": {"exited": True, "exitcode": 0,
                           "out-data": base64.b64encode(out.encode()).decode()}}
    return {"error": {"class": "CommandNotFound", "desc": f"The command {cmd} has not been found"}}


def serve(conn, name, scenario, log, lock):
    state = {}
    f = conn.makefile("rwb")
    if name.endswith("qmp"):
        f.write(b'{"QMP": {"version": {}, "capabilities": []}}\n')
        f.flush()
    try:
        for line in f:
            line = line.lstrip(b"\xff").strip()
            if not line:
                continue
            msg = json.loads(line)
            cmd = msg.get("execute")
            with lock:
                log.write(f"{name} {cmd}\n")
                log.flush()
            with lock:
                shared = STATE.setdefault(name[:3], {})
                if name.endswith("qmp"):
                    reply = qmp_reply(name, cmd, scenario, shared)
                else:
                    reply = qga_reply(msg, scenario, state)
            if isinstance(reply, str):
                f.write(reply.encode() + b"\n")
            else:
                f.write(json.dumps(reply).encode() + b"\n")
            f.flush()
    except (Closed, OSError, ValueError):
        pass
    finally:
        f.close()
        conn.close()


STATE = {}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    d, scenario = sys.argv[1], sys.argv[2]
    lock = threading.Lock()
    log = open(os.path.join(d, "log"), "a", encoding="utf-8")
    socks = []
    for name in ("src-qmp", "src-qga", "dst-qmp", "dst-qga"):
        path = os.path.join(d, f"{name}.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.listen(4)
        socks.append((name, s))

    def accept(name, s):
        while True:
            conn, _ = s.accept()
            threading.Thread(target=serve, args=(conn, name, scenario, log, lock),
                             daemon=True).start()

    for name, s in socks:
        threading.Thread(target=accept, args=(name, s), daemon=True).start()
    print("READY", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
