#!/usr/bin/env bash
# Generate, from the YNL spec uapi/netlink/vcpu-stall.yaml, what the kernel's
# ynl-gen-c makes of it: the uapi header and the kernel's policy and op
# tables.  With --check, compare instead and fail on any difference.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

check=${1:-}
lsrc=$("$VSD_ROOT/scripts/fetch-linux-source.sh")
spec=$VSD_ROOT/uapi/netlink/vcpu-stall.yaml
# ynl-gen-c.py reads its schemas relative to the spec.
cp "$spec" "$lsrc/Documentation/netlink/specs/vcpu-stall.yaml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gen() { # MODE OUT [--header|--source]
	(cd "$lsrc" && /usr/bin/python3 tools/net/ynl/ynl-gen-c.py \
		--spec Documentation/netlink/specs/vcpu-stall.yaml \
		--mode "$1" "$3" -o "$tmp/$2")
}
gen uapi vcpu_stall_detector.h --header
gen kernel vsd_nl_gen.h --header
gen kernel vsd_nl_gen.c --source

status=0
for pair in "vcpu_stall_detector.h:uapi/linux" "vsd_nl_gen.h:kernel" "vsd_nl_gen.c:kernel"; do
	f=${pair%%:*} dir=$VSD_ROOT/${pair#*:}
	if [ "$check" = --check ]; then
		diff -u "$dir/$f" "$tmp/$f" || status=1
	else
		cp "$tmp/$f" "$dir/$f"
	fi
done
exit $status
