# shellcheck shell=bash
# shellcheck disable=SC2034 # read by the scripts that source this
# The platforms the VM suites run on, in one place.  tests/vm-run boots
# the one VSD_PLATFORM names (default arm64-dt); tests/run runs each suite
# on the platforms its SUITE_PLATFORMS entry lists.  A new platform (ACPI,
# another QEMU, x86_64) is a case here and its builds, not a copy of a
# suite.
#
#   arm64-dt        Debian's arm64 kernel, the device described by the DT
#   arm64-dt-debug  the debug kernel (lockdep, KASAN, kmemleak, pseudo-NMI
#                   exported): any kernel splat fails the test
#   arm64-dt-rt     Debian's PREEMPT_RT arm64 kernel (rt-arm64, the test
#                   guest's series): any kernel splat fails the test
#   arm64-dt-qemu-stable  as arm64-dt, on the QEMU of Debian stable
#                   (trixie) instead of the newest (sid): build/qemu.env
#                   is the newest, build/qemu-stable.env the stable one
#   arm64-acpi      Debian's arm64 kernel booted through UEFI (Debian's
#                   edk2, qemu-efi-aarch64) with QEMU's ACPI tables: edk2
#                   hands the kernel ACPI and no DT, and the device is the
#                   DSDT's PRP0001 device
#
# platform_load NAME (VSD_ROOT set): sets
#   PLATFORM_GUEST_ENV  the guest's env file (kernel, initramfs, rootfs)
#   PLATFORM_QEMU_ENV   the QEMU build's env file (VSD_QEMU, VSD_QTEST)
#   PLATFORM_FIRMWARE_ENV  the firmware's env file (VSD_FIRMWARE, QEMU's
#                       -bios), or empty: QEMU boots the kernel itself
#                       and hands it the DT
#   PLATFORM_DEV_NAME   the device's platform device name in the guest
#   PLATFORM_MACHINE    QEMU's -machine value, the device's switch last
#   PLATFORM_CPU        QEMU's -cpu
#   PLATFORM_CONSOLE    the guest kernel's console= device
#   PLATFORM_APPEND     the guest kernel's other parameters (VSD_APPEND,
#                       when set, replaces them)
#   PLATFORM_SPLAT_CHECK  1 where a kernel splat fails the test
#   PLATFORM_TIME_SCALE   what the host's waits multiply their deadlines by
#                       (a deadline only bounds a wait for a condition: a
#                       slower kernel ends it no sooner when all is well)
PLATFORMS=(arm64-dt arm64-dt-debug arm64-dt-rt arm64-dt-qemu-stable arm64-acpi)

platform_load() {
	PLATFORM_QEMU_ENV=$VSD_ROOT/build/qemu.env
	PLATFORM_FIRMWARE_ENV=
	# From the DT node's unit address: the device's window (VSD_BASE in
	# the qtest, VIRT_VCPU_STALL in the virt patch).
	PLATFORM_DEV_NAME=b000000.vmwdt
	PLATFORM_MACHINE=virt,gic-version=3,vcpu-stall-detector=
	PLATFORM_CPU=cortex-a72
	PLATFORM_CONSOLE=ttyAMA0
	# Under TCG the CPU vulnerability workarounds cost the tests 15 % of
	# the host's CPU (measured: stress's hotplug loop and its control
	# paths, 100 cycles), most of it KPTI, which KASLR forces on a
	# Cortex-A72 (every kernel entry and exit then switches the page
	# tables, and TCG flushes its TLB); none of them changes what the
	# driver or the device do.  bench.py's full run boots without this.
	PLATFORM_APPEND="mitigations=off nokaslr"
	PLATFORM_TIME_SCALE=1
	case $1 in
	arm64-dt)
		PLATFORM_GUEST_ENV=$VSD_ROOT/build/guest.env
		PLATFORM_SPLAT_CHECK=0
		;;
	arm64-dt-debug)
		PLATFORM_GUEST_ENV=$VSD_ROOT/build/guest-debug.env
		PLATFORM_SPLAT_CHECK=1
		# KASAN, lockdep and kmemleak under TCG: python and ynl take
		# tens of seconds to start on a loaded 2-core host.
		PLATFORM_TIME_SCALE=3
		;;
	arm64-dt-rt)
		PLATFORM_GUEST_ENV=$VSD_ROOT/build/guest-rt.env
		PLATFORM_SPLAT_CHECK=1
		;;
	arm64-dt-qemu-stable)
		PLATFORM_GUEST_ENV=$VSD_ROOT/build/guest.env
		PLATFORM_QEMU_ENV=$VSD_ROOT/build/qemu-stable.env
		PLATFORM_SPLAT_CHECK=0
		;;
	arm64-acpi)
		PLATFORM_GUEST_ENV=$VSD_ROOT/build/guest.env
		PLATFORM_FIRMWARE_ENV=$VSD_ROOT/build/firmware.env
		PLATFORM_MACHINE=virt,gic-version=3,acpi=on,vcpu-stall-detector=
		# The ACPI device's name: its _HID and instance.
		PLATFORM_DEV_NAME=PRP0001:00
		PLATFORM_SPLAT_CHECK=0
		;;
	*)
		echo "unknown platform '$1' (known: ${PLATFORMS[*]})" >&2
		return 1
		;;
	esac
}
