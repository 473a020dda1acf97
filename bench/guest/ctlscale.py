#!/usr/bin/env python3
"""Guest side of the control-plane benchmark (runs inside the test VM).

  ctlscale.py FAMILY VERSION CPU_GET_CMD REPS

Times three ways of reading every CPU's status, REPS times each, and prints
one line "SCALE <json>":
  stallctl   `stallctl status --json` (exec, netlink dump, formatting)
  netlink    the CPU_GET dump over a raw generic netlink socket: latency,
             bytes and messages received
  sysfs      reading every file under <dev>/cpus/cpu*/ (same data)
The family's name, version and command number come from the uapi header
(the host passes them), so this file defines none of them.
"""
import glob
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import time

NLMSG_HDR = struct.Struct("=IHHII")
GENL_HDR = struct.Struct("=BBH")
NLA_HDR = struct.Struct("=HH")
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NETLINK_GENERIC = 16  # not in every Python build's socket module
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2


def nla(atype, payload):
    n = NLA_HDR.size + len(payload)
    return NLA_HDR.pack(n, atype) + payload + b"\0" * (-n % 4)


def request(sock, seq, family, flags, cmd, version, attrs=b""):
    body = GENL_HDR.pack(cmd, version, 0) + attrs
    sock.send(NLMSG_HDR.pack(NLMSG_HDR.size + len(body), family,
                             NLM_F_REQUEST | flags, seq, 0) + body)


def messages(sock):
    """Yield (type, payload, size) until DONE or the reply to a do."""
    while True:
        buf = sock.recv(1 << 20)
        off = 0
        while off < len(buf):
            length, mtype, _, _, _ = NLMSG_HDR.unpack_from(buf, off)
            payload = buf[off + NLMSG_HDR.size:off + length]
            if mtype == NLMSG_ERROR:
                err = struct.unpack_from("=i", payload)[0]
                if err:
                    raise OSError(-err, os.strerror(-err))
                return
            if mtype == NLMSG_DONE:
                return
            yield mtype, payload, length
            off += (length + 3) & ~3


def family_id(sock, name):
    request(sock, 1, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1,
            nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"))
    fid = None
    for _, payload, _ in messages(sock):
        off = GENL_HDR.size
        while off < len(payload):
            alen, atype = NLA_HDR.unpack_from(payload, off)
            if atype == CTRL_ATTR_FAMILY_ID:
                fid = struct.unpack_from("=H", payload, off + NLA_HDR.size)[0]
            off += (alen + 3) & ~3
    if fid is None:
        sys.exit(f"ctlscale: no generic netlink family {name}")
    return fid


def netlink_dump(fid, version, cmd):
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    t0 = time.perf_counter()
    request(sock, 2, fid, NLM_F_DUMP, cmd, version)
    nbytes = nmsgs = 0
    for _, _, size in messages(sock):
        nbytes += size
        nmsgs += 1
    t = time.perf_counter() - t0
    sock.close()
    return t, nbytes, nmsgs


def sysfs_read(files):
    t0 = time.perf_counter()
    nbytes = 0
    for f in files:
        with open(f, "rb") as fh:
            nbytes += len(fh.read())
    return time.perf_counter() - t0, nbytes


def stallctl():
    t0 = time.perf_counter()
    out = subprocess.run(["stallctl", "status", "--json"], check=True,
                         stdout=subprocess.PIPE).stdout
    t = time.perf_counter() - t0
    return t, len(out), len(json.loads(out)["cpus"])


def summary(samples):
    return {"median_ms": statistics.median(samples) * 1e3,
            "min_ms": min(samples) * 1e3, "max_ms": max(samples) * 1e3}


def main():
    name, version, cmd, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    dev = glob.glob("/sys/bus/platform/drivers/vcpu_stall_detector/*/cpus")
    if not dev:
        sys.exit("ctlscale: no vcpu_stall_detector device bound")
    files = sorted(f for f in glob.glob(dev[0] + "/cpu*/*") if os.path.isfile(f))
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    fid = family_id(sock, name)
    sock.close()

    runs = {"stallctl": [], "netlink": [], "sysfs": []}
    for _ in range(reps):
        t, out_bytes, cpus = stallctl()
        runs["stallctl"].append(t)
        t, nl_bytes, nl_msgs = netlink_dump(fid, version, cmd)
        runs["netlink"].append(t)
        t, sysfs_bytes = sysfs_read(files)
        runs["sysfs"].append(t)
    res = {
        "cpus": os.cpu_count(), "reported_cpus": cpus, "reps": reps,
        "stallctl": dict(summary(runs["stallctl"]), output_bytes=out_bytes),
        "netlink": dict(summary(runs["netlink"]), bytes=nl_bytes, messages=nl_msgs),
        "sysfs": dict(summary(runs["sysfs"]), bytes=sysfs_bytes, files=len(files)),
    }
    print("SCALE " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
