#!/usr/bin/env bash
# Debian's edk2 build for QEMU's arm64 virt machine (qemu-efi-aarch64, the
# version trixie carries, found at run time), unpacked into the cache: the
# firmware of the ACPI platform (tests/lib/platforms.bash), which boots the
# test kernel through UEFI with QEMU's ACPI tables instead of its DT.
# Writes build/firmware.env.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

build=${VSD_BUILD:-$VSD_ROOT/build}
suite=${VSD_FIRMWARE_SUITE:-trixie}
# Only read: the cached tree itself, no copy of it.
root=$("$VSD_ROOT/scripts/fetch-debs.sh" --suite "$suite" --arch arm64 - qemu-efi-aarch64)
# QEMU_EFI.fd is the image for -bios (AAVMF_CODE.fd is padded for pflash).
fw=$root/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
[ -r "$fw" ] || die "qemu-efi-aarch64 ($suite) has no ${fw#"$root"}"
mkdir -p "$build"
printf 'VSD_FIRMWARE=%s\n' "$fw" >"$build/firmware.env.tmp"
mv "$build/firmware.env.tmp" "$build/firmware.env"
