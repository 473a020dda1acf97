#!/usr/bin/env bash
# Install what building and testing need on a Debian 12 amd64 host.
# Idempotent: a stamp keyed by this file's hash skips the work next time.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

stamp=$VSD_CACHE/stamps/host-$(content_hash "$0")
[ -e "$stamp" ] && exit 0
[ "$(id -u)" = 0 ] || die "run as root: packages must be installed"

bpo=/etc/apt/sources.list.d/bookworm-backports.sources
if [ ! -e "$bpo" ]; then
	log "adding bookworm-backports (build tools only)"
	cat >"$bpo" <<EOT
Types: deb
URIs: $VSD_MIRROR
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq

pkgs=(
	# toolchains
	build-essential gcc-12-aarch64-linux-gnu gcc-aarch64-linux-gnu
	binutils-aarch64-linux-gnu bc bison flex libssl-dev libelf-dev dwarves
	kmod cpio xz-utils zstd rsync file erofs-utils
	# archive handling
	dpkg-dev devscripts
	# QEMU build
	ninja-build pkg-config python3 python3-venv libglib2.0-dev libpixman-1-dev
	libfdt-dev zlib1g-dev libslirp-dev
	# device tree
	device-tree-compiler dt-schema python3-yaml python3-jsonschema
	# tests and tooling
	bats bats-assert bats-support jq socat shellcheck sparse strace groff-base
	libnl-genl-3-dev libudev-dev libsmartcols-dev libjson-c-dev
	# ACPI: iasl disassembles the guest's DSDT (acpi.bats)
	acpica-tools
	# the device's QEMU spec (docs/specs rst) parses cleanly
	python3-docutils
	# benchmarks (make bench): plots
	gnuplot-nox
	# python checks
	pyflakes3
)
log "installing host packages"
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
log "installing meson from bookworm-backports"
apt-get install -y -qq --no-install-recommends -t bookworm-backports meson >/dev/null

mkdir -p "${stamp%/*}"
touch "$stamp"
