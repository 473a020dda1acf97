"""QMP and QEMU guest agent clients for vsd-migrate (standard library only).

Both speak JSON over a unix socket.  Every failure to talk to the other
end (no connection, a closed or broken one, a timeout, a reply that is not
JSON) and every error reply is an AgentError whose text says what failed.  QMP greets and needs qmp_capabilities;
it interleaves events with replies.  The guest agent does not greet: after
connecting, guest-sync-delimited with a fresh id flushes whatever a previous
client left (its reply is preceded by a 0xff byte), so the next reply is
ours.
"""
import base64
import json
import os
import random
import socket
import time


class AgentError(Exception):
    """A command failed, or the other end did not answer."""


class _Channel:
    def __init__(self, path, timeout):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError as e:
            self.sock.close()
            raise AgentError(f"cannot connect to {path}: {e.strerror or e}") from e
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, msg):
        self.sendall(json.dumps(msg).encode() + b"\n")

    def sendall(self, data):
        try:
            self.sock.sendall(data)
        except socket.timeout as e:
            raise AgentError(f"{self.path}: cannot send: timed out") from e
        except OSError as e:
            raise AgentError(f"{self.path}: cannot send: {e.strerror or e}") from e

    def recv(self):
        """One JSON object, skipping any 0xff sync byte before it."""
        while b"\n" not in self.buf:
            try:
                data = self.sock.recv(65536)
            except socket.timeout as e:
                raise AgentError(f"{self.path}: no answer") from e
            except OSError as e:
                raise AgentError(f"{self.path}: {e.strerror or e}") from e
            if not data:
                raise AgentError(f"{self.path}: connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        line = line.lstrip(b"\xff").strip()
        if not line:
            return self.recv()
        try:
            reply = json.loads(line)
        except ValueError as e:
            raise AgentError(f"{self.path}: not JSON: {line[:80]!r}") from e
        if not isinstance(reply, dict):
            raise AgentError(f"{self.path}: not a JSON object: {line[:80]!r}")
        return reply


def _check(name, reply):
    if "error" in reply:
        err = reply["error"]
        raise AgentError(f"{name}: {err.get('desc', err)}")
    return reply.get("return")


class QMP:
    """A QEMU monitor (QMP) connection."""

    def __init__(self, path, timeout=30.0):
        self.ch = _Channel(path, timeout)
        self.ch.recv()  # the greeting
        self.execute("qmp_capabilities")

    def execute(self, cmd, **args):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.ch.send(msg)
        while True:
            reply = self.ch.recv()
            if "event" not in reply:
                return _check(cmd, reply)

    def close(self):
        self.ch.close()


class GuestAgent:
    """A QEMU guest agent (qemu-ga) connection."""

    def __init__(self, path, timeout=30.0):
        self.ch = _Channel(path, timeout)
        self.sync()

    def sync(self):
        token = random.randrange(1, 2**31)
        self.ch.sendall(b"\xff")
        self.ch.send({"execute": "guest-sync-delimited",
                      "arguments": {"id": token}})
        while True:
            reply = self.ch.recv()
            if reply.get("return") == token:
                return

    def execute(self, cmd, **args):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.ch.send(msg)
        return _check(cmd, self.ch.recv())

    def run(self, path, argv, timeout=30.0):
        """Run PATH ARGV... in the guest: (exit code, stdout, stderr)."""
        started = self.execute("guest-exec", path=path, arg=list(argv),
                               **{"capture-output": True})
        pid = started.get("pid") if isinstance(started, dict) else None
        if pid is None:
            raise AgentError(f"guest-exec {path}: no pid in its answer")
        deadline = time.monotonic() + timeout
        while True:
            st = self.execute("guest-exec-status", pid=pid)
            if not isinstance(st, dict):
                raise AgentError(f"guest-exec-status {pid}: no status in its answer")
            if st.get("exited"):
                try:
                    out = base64.b64decode(st.get("out-data", "")).decode(errors="replace")
                    err = base64.b64decode(st.get("err-data", "")).decode(errors="replace")
                except ValueError as e:
                    raise AgentError(f"{path}: its output is not base64: {e}") from e
                code = st.get("exitcode", 128 + st.get("signal", 0))
                return code, out, err
            if time.monotonic() > deadline:
                raise AgentError(f"{path} {' '.join(argv)}: still running after {timeout:g} s")
            time.sleep(0.1)

    def close(self):
        self.ch.close()


def socket_path(p):
    """A socket argument as a path (accepting unix:PATH)."""
    p = p[5:] if p.startswith("unix:") else p
    return os.path.abspath(p)
