#!/usr/bin/env bash
# Cross-build kernel/ and the test helper against one kernel's headers.
# Usage: build-modules.sh KROOT OUTDIR [extra make args, e.g. W=1 C=2]
# KROOT is what fetch-kernel.sh printed.  Sources are copied to OUTDIR so
# the clone stays clean and several kernels can be built side by side.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

kroot=$1 out=$2
shift 2
mkdir -p "$out"
rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
	"$VSD_ROOT/kernel" "$VSD_ROOT/uapi" "$out/"
mkdir -p "$out/tests"
rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
	"$VSD_ROOT/tests/modules" "$out/tests/"
kmake=(make -s -C "$kroot/build" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- "$@")
for m in kernel tests/modules; do
	"${kmake[@]}" M="$out/$m" modules
done
