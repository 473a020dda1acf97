#!/usr/bin/env bash
# Assemble what the test VM boots: Debian's arm64 kernel, our modules built
# against it, and the initramfs: busybox, glibc and the libraries our tools
# link against (bookworm's, through fetch-debs.sh), our modules, stallctl,
# then python3 (with PyYAML and jsonschema) and the kernel's YNL CLI (ynl),
# and systemd-udevd and qemu-ga, from cached cpios of their own.  Writes build/guest.env for tests/vm-run.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

build=${VSD_BUILD:-$VSD_ROOT/build}
kroot=$("$VSD_ROOT/scripts/fetch-kernel.sh" "$VSD_KSUITE")
kver=$(cat "$kroot/KVER")
mkdir -p "$build"

"$VSD_ROOT/scripts/build-modules.sh" "$kroot" "$build/modules-$kver"

# busybox-static for arm64, the current version in bookworm.
apt_private_init
bbver=$(apt_private_cache madison busybox-static:arm64 |
	awk '/bookworm\/main arm64/ { print $3; exit }')
[ -n "$bbver" ] || die "no arm64 busybox-static in bookworm"
bbdir=$VSD_CACHE/guest/busybox-${bbver//[:~]/_}
if [ ! -x "$bbdir/bin/busybox" ]; then
	log "fetching busybox-static $bbver (arm64)"
	rm -rf "$bbdir.dl"
	mkdir -p "$bbdir.dl"
	(cd "$bbdir.dl" && apt_private download -qq "busybox-static:arm64=$bbver" >/dev/null)
	dpkg -x "$bbdir.dl"/*.deb "$bbdir.dl/root"
	mkdir -p "$bbdir/bin"
	cp "$bbdir.dl/root/bin/busybox" "$bbdir/bin/"
	rm -rf "$bbdir.dl"
fi

# Debian bookworm arm64 packages: what dynamically linked tools need, and
# python3 for ynl.  Their trees are merged /usr (/bin is /usr/bin); busybox
# and its applet links live there too.
GUEST_LIBS=(libc6 libnl-3-200 libnl-genl-3-200 libudev1 libsmartcols1 libjson-c5)
PYTHON_PKGS=(python3 python3-yaml python3-jsonschema)
# The real systemd-udevd (and udevadm) for the udev rules' tests, the QEMU
# guest agent for the migration helper's; systemd itself stays out.
SYSTEM_PKGS=(udev qemu-guest-agent)
SYSTEM_EXCLUDES=(systemd systemd-standalone-sysusers adduser)
# What the guest does without: documentation, locales, glibc's iconv modules.
trim() { # ROOT
	rm -rf "$1"/usr/share/{doc,doc-base,man,info,lintian,locale,bug} \
		"$1"/usr/lib/*-linux-gnu/gconv
}
cpio_of() { # ROOT OUT [LIST]: LIST, or else all of ROOT, as a newc cpio
	(cd "$1" && if [ -n "${3:-}" ]; then cat "$3"; else find . -print0 | LC_ALL=C sort -z; fi |
		cpio --null -o -H newc --owner 0:0 --quiet) >"$2.tmp"
	mv "$2.tmp" "$2"
}

root=$build/initramfs
rm -rf "$root"
mkdir -p "$root"
"$VSD_ROOT/scripts/fetch-debs.sh" "$root" "${GUEST_LIBS[@]}" >/dev/null
trim "$root"
mkdir -p "$root/bin" "$root/lib/modules/$kver/extra" "$root/root" "$root/etc"
cp "$bbdir/bin/busybox" "$root/bin/"
install -m 0755 "$VSD_ROOT/tests/guest/init" "$root/init"
cp "$build/modules-$kver"/kernel/*.ko "$build/modules-$kver"/tests/modules/*.ko \
	"$root/lib/modules/$kver/extra/"
cp "$kroot/lib/modules/$kver/modules.order" "$kroot/lib/modules/$kver/modules.builtin" \
	"$kroot/lib/modules/$kver/modules.builtin.modinfo" \
	"$root/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$root" "$kver"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$root/etc/passwd"
# An ordinary user, uid 1000, for the unprivileged-caller tests.
echo 'user:x:1000:1000:user:/tmp:/bin/sh' >>"$root/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"

# stallctl, cross-built by its own script (once there is one).
if [ -e "$VSD_ROOT/scripts/build-stallctl.sh" ]; then
	stallctl=$("$VSD_ROOT/scripts/build-stallctl.sh")
	install -m 0755 "$stallctl" "$root/usr/bin/stallctl"
else
	log "no scripts/build-stallctl.sh: the guest has no stallctl"
fi
cpio_of "$root" "$build/base.cpio"

# python3 and ynl (about 50 MB, half a second more to boot under TCG): what
# the python packages add to the base tree, the YNL CLI (tools/net/ynl) in
# /usr/local/lib/ynl and its schemas and specs (Documentation/netlink, with
# ours) in /usr/local/share/ynl, keeping the layout ynl relies on: a spec's
# schema is ../PROTOCOL.yaml.  Cached by what goes in.
lsrc=$("$VSD_ROOT/scripts/fetch-linux-source.sh")
spec=$VSD_ROOT/uapi/netlink/vcpu-stall.yaml
pyroot=$build/python
rm -rf "$pyroot"
mkdir -p "$pyroot"
debs=$("$VSD_ROOT/scripts/fetch-debs.sh" "$pyroot" "${PYTHON_PKGS[@]}")
pycpio=$VSD_CACHE/guest/python-$(content_hash "$0" "$debs" "$lsrc/tools/net/ynl" \
	"$lsrc/Documentation/netlink" "$spec" "$(printf '%s\n' "${GUEST_LIBS[@]}")").cpio
if [ ! -e "$pycpio" ]; then
	log "building the python/ynl cpio"
	trim "$pyroot"
	ynl=$pyroot/usr/local/lib/ynl share=$pyroot/usr/local/share/ynl
	mkdir -p "$ynl" "$share" "$pyroot/usr/local/bin"
	cp -r "$lsrc/tools/net/ynl/cli.py" "$lsrc/tools/net/ynl/lib" "$ynl/"
	rm -f "$ynl"/lib/*.[ch] "$ynl/lib/Makefile"
	cp -r "$lsrc/Documentation/netlink/." "$share/"
	cp "$spec" "$share/specs/vcpu-stall.yaml"
	printf '#!/bin/sh\nexec python3 /usr/local/lib/ynl/cli.py "$@"\n' >"$pyroot/usr/local/bin/ynl"
	chmod 0755 "$pyroot/usr/local/bin/ynl"
	# Debian compiles modules in maintainer scripts, which never ran: do it
	# here with the host's python of the same bytecode, or python in the
	# guest compiles (under TCG, slowly) whatever it imports at every boot.
	pyver=$(basename "$(find "$pyroot/usr/lib" -maxdepth 1 -name 'python3.*' -print -quit)")
	magic() { grep -m1 '^MAGIC_NUMBER = ' "$1/importlib/_bootstrap_external.py" 2>/dev/null; }
	if [ -x "/usr/bin/$pyver" ] && [ -n "$(magic "/usr/lib/$pyver")" ] &&
		[ "$(magic "/usr/lib/$pyver")" = "$(magic "$pyroot/usr/lib/$pyver")" ]; then
		"/usr/bin/$pyver" -m compileall -q -j0 --invalidation-mode unchecked-hash \
			-s "$pyroot" -p / -x '/(test|tests|idlelib|turtledemo)/' \
			"$pyroot/usr/lib/$pyver" "$pyroot/usr/lib/python3/dist-packages" "$ynl" >/dev/null
	else
		log "no host $pyver with the guest's bytecode: not precompiling"
	fi
	# Only what the base image lacks.
	comm -23 <(cd "$pyroot" && find . | LC_ALL=C sort) <(cd "$root" && find . | LC_ALL=C sort) |
		tr '\n' '\0' >"$build/python.list"
	mkdir -p "${pycpio%/*}"
	cpio_of "$pyroot" "$pycpio" "$build/python.list"
	rm -f "$build/python.list"
fi
rm -rf "$pyroot"

# udev and qemu-ga: what their packages add to the base tree, with what
# their maintainer scripts would have done (udev's runtime directory and
# config, the agent's state directory).  Cached by what goes in.
sysroot=$build/system
rm -rf "$sysroot"
mkdir -p "$sysroot"
excl=()
for p in "${SYSTEM_EXCLUDES[@]}"; do excl+=(--exclude "$p"); done
debs=$("$VSD_ROOT/scripts/fetch-debs.sh" "${excl[@]}" "$sysroot" "${SYSTEM_PKGS[@]}")
syscpio=$VSD_CACHE/guest/system-$(content_hash "$0" "$debs" \
	"$(printf '%s\n' "${GUEST_LIBS[@]}")").cpio
if [ ! -e "$syscpio" ]; then
	log "building the udev/qemu-ga cpio"
	trim "$sysroot"
	# The hardware database is for real hardware: the VM needs none.
	rm -rf "$sysroot"/usr/lib/udev/hwdb.d "$sysroot"/usr/lib/udev/hwdb.bin
	mkdir -p "$sysroot/run/udev" "$sysroot/etc/udev/rules.d" \
		"$sysroot/var/run" "$sysroot/var/log" "$sysroot/var/lib/qemu-ga"
	comm -23 <(cd "$sysroot" && find . | LC_ALL=C sort) <(cd "$root" && find . | LC_ALL=C sort) |
		tr '\n' '\0' >"$build/system.list"
	mkdir -p "${syscpio%/*}"
	cpio_of "$sysroot" "$syscpio" "$build/system.list"
	rm -f "$build/system.list"
fi
rm -rf "$sysroot"

# The kernel unpacks concatenated archives one after the other; the debug
# guest unpacks the same parts onto its disk (build-debug-guest.sh).
parts=("$build/base.cpio" "$pycpio" "$syscpio")
cat "${parts[@]}" >"$build/initramfs.cpio.tmp"
mv "$build/initramfs.cpio.tmp" "$build/initramfs.cpio"

cat >"$build/guest.env" <<EOT
VSD_KERNEL=$kroot/boot/vmlinuz-$kver
VSD_KVER=$kver
VSD_INITRAMFS=$build/initramfs.cpio
VSD_MODULES=$build/modules-$kver
VSD_INITRAMFS_PARTS="${parts[*]}"
EOT
log "guest ready: kernel $kver"
