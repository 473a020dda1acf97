#!/usr/bin/env python3
"""Check that the YNL spec's range checks (literals: ynl-gen-c takes no
names there) equal the limits the spec defines as constants, which become
the uapi header's VCPU_STALL_*_MIN/MAX."""
import sys

import yaml

spec = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
const = {d["name"]: d["value"] for d in spec["definitions"] if d["type"] == "const"}
attrs = {a["name"]: a for s in spec["attribute-sets"] for a in s["attributes"]}
limits = {"timeout-sec": ("timeout-min", "timeout-max"),
          "clock-hz": ("clock-hz-min", "clock-hz-max")}
bad = 0
for attr, (lo, hi) in limits.items():
    c = attrs[attr]["checks"]
    if (c["min"], c["max"]) != (const[lo], const[hi]):
        print(f"{attr}: checks {c['min']}..{c['max']}, but {lo}..{hi} is {const[lo]}..{const[hi]}")
        bad = 1
sys.exit(bad)
