#!/usr/bin/env python3
"""Check that the YNL spec's range checks (literals: ynl-gen-c takes no
names there) equal the limits the spec defines as constants, which become
the uapi header's VCPU_STALL_*_MIN/MAX."""
import sys

import yaml

spec = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
const = {d["name"]: d["value"] for d in spec["definitions"] if d["type"] == "const"}
attrs = {a["name"]: a for s in spec["attribute-sets"] for a in s["attributes"]}
# A bound is a constant's name or, where the spec defines none, a number.
limits = {"timeout-sec": ("timeout-min", "timeout-max"),
          "clock-hz": ("clock-hz-min", "clock-hz-max"),
          "duration-ms": (1, "pause-max-ms")}
bad = 0
for attr, bounds in limits.items():
    c = attrs[attr]["checks"]
    want = tuple(const[b] if isinstance(b, str) else b for b in bounds)
    if (c["min"], c["max"]) != want:
        print(f"{attr}: checks {c['min']}..{c['max']}, but {bounds} is {want}")
        bad = 1
sys.exit(bad)
