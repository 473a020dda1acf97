#!/usr/bin/env bats
# Reboot, kexec and crash dumps: what the driver leaves running for the
# next kernel, and what a panic does to the host's action (the on_panic
# module parameter).  Each case boots its own VM (their command lines
# differ).  The crash kernel, loaded with kexec-tools' kexec from Debian's
# archive, is the same kernel with a small initramfs, built in the guest
# from its busybox, whose init says it is up, idles past a timeout and
# powers off.  Platforms: arm64-dt.

load lib/common

teardown() { vm_teardown; }

# kexec and the libraries it links (Debian's is built with Xen support), as
# a tarball for the guest to unpack in /tmp/kx.
setup_file() {
	local root
	root=$("$VSD_ROOT/scripts/fetch-debs.sh" "$BATS_FILE_TMPDIR/kexec-tools" kexec-tools)
	[ -x "$root/usr/sbin/kexec" ] || {
		echo "# kexec-tools has no usr/sbin/kexec" >&3
		return 1
	}
	export KEXEC_TAR=$BATS_FILE_TMPDIR/kexec.tar
	tar -C "$root" -cf "$KEXEC_TAR" usr/sbin/kexec usr/lib/aarch64-linux-gnu
}

# The guest's kexec, from the tarball.
# shellcheck disable=SC2016 # guest code
KEXEC='mkdir -p /tmp/kx && tar -C /tmp/kx -xf kexec.tar || exit 1
	kexec() { LD_LIBRARY_PATH=/tmp/kx/usr/lib/aarch64-linux-gnu /tmp/kx/usr/sbin/kexec "$@"; }' 

# The next kernel's initramfs, /tmp/next.cpio: its init logs NEXT UP (at
# KERN_CRIT, whatever the console's level), idles $1 s, logs NEXT DONE and
# powers the VM off.
next_initramfs() {
	cat <<-EOF
		mkdir -p /tmp/next/bin /tmp/next/proc /tmp/next/dev
		cp /bin/busybox /tmp/next/bin/
		printf '%s\n' '#!/bin/busybox sh' \\
			'/bin/busybox mount -t devtmpfs devtmpfs /dev' \\
			'echo "<2>NEXT UP" >/dev/kmsg' \\
			'/bin/busybox sleep $1' \\
			'echo "<2>NEXT DONE" >/dev/kmsg' \\
			'/bin/busybox poweroff -f' >/tmp/next/init
		chmod 0755 /tmp/next/init
		(cd /tmp/next && find . | cpio -o -H newc >/tmp/next.cpio 2>/dev/null) || exit 1
	EOF
}

# shellcheck source=/dev/null
. "$PLATFORM_GUEST_ENV"
KERNEL_FILE=${VSD_KERNEL##*/}
# No kaslr-seed in the DT: the test guests boot with nokaslr, so the kernel
# leaves the seed in place, and kexec refuses a DT whose seed is not wiped.
KX_VM=(-m 768 -q -machine -q dtb-randomness=off "${VIRT_ARGS[@]}")
# The next kernel's command line: the serial console, one CPU for a crash
# kernel (as kdump-tools boots it).
NEXT_APPEND="console=$PLATFORM_CONSOLE panic=-1 ${VSD_APPEND-$PLATFORM_APPEND}"

# wait_console PATTERN TIMEOUT WHAT: until the console has PATTERN; fails
# at once when the VM ended without it or the host's watchdog acted (the
# VM then prints nothing more).
wait_console() {
	local deadline=$((SECONDS + $2))
	until grep -q -- "$1" "$(vmdir)/console" 2>/dev/null; do
		vm_alive "$(vmdir)" || {
			grep -q -- "$1" "$(vmdir)/console" && return 0
			fail "the VM ended before $3"
		}
		[ "$(count_events WATCHDOG)" -eq 0 ] || fail "the host acted before $3"
		[ $SECONDS -lt "$deadline" ] || fail "no $3 within $2 s"
		sleep 0.1
	done
}

@test "reboot: shutdown leaves every bank disabled for the next kernel or the firmware" {
	# QEMU resets the board on a reboot, which would hide what the guest
	# left: here a reboot stops the VM instead, its banks as the guest
	# left them.  kexec -e takes the same path (device_shutdown()).
	vm_start --smp 2 "${VIRT_ARGS[@]}" -q -action -q reboot=shutdown \
		-q -action -q shutdown=pause -- "$GUEST_LIB
		$LOAD || exit 1
		echo READY
		reboot -f"
	wait_event SHUTDOWN 120 >/dev/null
	run banks_state
	assert_output '[[false,40],[false,40]]'
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "a stall on the way down"
}

# crash_boot DIR: in VMDIR=DIR, boot, load a crash kernel, panic; return
# once the crash kernel printed its first line (earlycon), or 1 when it
# died before (see the README: a kexec'd kernel under TCG does, at times).
crash_boot() {
	VMDIR=$1
	vm_start --smp 1 -a crashkernel=160M "${KX_VM[@]}" -q -action -q watchdog=pause \
		-f "$KEXEC_TAR" -f "$VSD_KERNEL" -- "$GUEST_LIB
		$LOAD || exit 1
		$KEXEC
		$(next_initramfs $((3 * TIMEOUT)))
		kexec -p ./$KERNEL_FILE --initrd=/tmp/next.cpio \
			--append='$NEXT_APPEND nr_cpus=1 reset_devices earlycon=pl011,0x9000000' || exit 1
		# As a kdump setup is to: the notifiers before the crash kernel.
		echo Y > /sys/module/kernel/parameters/crash_kexec_post_notifiers || exit 1
		echo \"on_panic \$(cat /sys/module/vcpu_stall_detector/parameters/on_panic)\"
		echo c >/proc/sysrq-trigger"
	wait_console 'Starting crashdump kernel' 120 'the panic'
	local deadline=$((SECONDS + 60))
	until [ "$(grep -c 'Booting Linux on physical CPU' "$VMDIR/console" 2>/dev/null)" -ge 2 ]; do
		if [ $SECONDS -ge "$deadline" ] || ! vm_alive "$VMDIR"; then
			return 1
		fi
		sleep 0.1
	done
}

@test "panic with a crash kernel loaded: the banks stop, the host lets the dump finish" {
	if ! crash_boot "$BATS_TEST_TMPDIR/1"; then
		echo "# the crash kernel died before its first line; once more" >&3
		VMDIR=$BATS_TEST_TMPDIR/1 qmp quit >/dev/null 2>&1 || true
		crash_boot "$BATS_TEST_TMPDIR/2" || fail "the crash kernel died before its first line twice"
	fi
	wait_console 'NEXT UP' 120 'the crash kernel'
	wait_console 'NEXT DONE' 120 'the crash kernel to idle past a timeout'
	vm_wait
	run cat "$VMDIR/console"
	assert_output --partial "vCPU stall detector: stopped for the panic (on_panic=auto)"
	[ "$(count_events VCPU_STALL)" -eq 0 ] || fail "a bank ran into the dump"
	[ "$(count_events WATCHDOG)" -eq 0 ] || fail "the host acted during the dump"
	grep -qx 'on_panic auto' "$VMDIR/out" || fail "on_panic is not auto by default"
}

@test "panic without a crash kernel: the guest hangs in panic, the host acts" {
	vm_start --smp 2 -a panic=0 "${VIRT_ARGS[@]}" -q -action -q watchdog=pause -- "$GUEST_LIB
		$LOAD || exit 1
		echo c >/proc/sysrq-trigger"
	wait_event WATCHDOG 60 >/dev/null
	run cat "$BATS_TEST_TMPDIR/console"
	assert_output --partial "Kernel panic"
	refute_output --partial "stopped for the panic"
}
