#!/usr/bin/env bats
# The device described by ACPI: Debian's kernel booted through UEFI
# (Debian's edk2) with QEMU's ACPI tables, where no DT reaches the kernel.
# The detector, control-plane and pause suites also run on this platform;
# this file checks what only ACPI has: the DSDT's description and the
# driver's probe from it.  Platforms: arm64-acpi only.

load lib/common

teardown() { vm_teardown; }

setup_file() {
	require_platform arm64-acpi "UEFI firmware and ACPI tables" guest || return 1
	[ -r "$PLATFORM_FIRMWARE_ENV" ] || {
		echo "# $PLATFORM_FIRMWARE_ENV missing: run 'make firmware' first" >&3
		return 1
	}
	command -v iasl >/dev/null || {
		echo "# iasl (acpica-tools) missing: run 'make setup' first" >&3
		return 1
	}
}

PDEV=/sys/bus/platform/devices/$DEV_NAME

@test "acpi: no DT reaches the kernel; the driver binds to the DSDT's PRP0001 device by its modalias" {
	run "$VM_RUN" "${STD_VM[@]}" -- "
		[ -e /sys/firmware/devicetree/base ] && echo 'a DT'
		[ -r /sys/firmware/acpi/tables/DSDT ] && echo 'a DSDT'
		echo \"hid \$(cat $PDEV/firmware_node/hid)\"
		echo \"modalias \$(cat $PDEV/modalias)\"
		modprobe \$(cat $PDEV/modalias) || exit 1
		[ -e $DEV ] && echo bound
		echo \"timeout \$(cat $DEV/timeout_sec)\"
		awk '/vcpu_stall_detector/ { print \"irq\", \$(NF - 2), \$(NF - 1) }' /proc/interrupts"
	assert_success
	refute_line 'a DT'
	assert_line 'a DSDT'
	assert_line 'hid PRP0001'
	# Linux makes a DT-style alias of a PRP0001 device's _DSD compatible.
	assert_line --regexp '^modalias of:Nvsd0T.*Cqemu,vcpu-stall-detector$'
	assert_line bound
	assert_line "timeout $TIMEOUT"
	# The PPI (INTID 31) as the DSDT describes it: level-triggered.
	assert_line 'irq 31 Level'
}

@test "acpi: the DSDT describes the device's window, its level-high PPI and its properties" {
	run "$VM_RUN" --smp 3 "${DEV_ARGS[@]}" -- 'base64 /sys/firmware/acpi/tables/DSDT'
	assert_success
	base64 -d <<<"$output" >"$BATS_TEST_TMPDIR/dsdt.dat"
	iasl -d "$BATS_TEST_TMPDIR/dsdt.dat" >/dev/null 2>&1
	# The device's scope, from its name to the next device.
	run awk '/Device \(VSD0\)/ { on = 1 } on && /Device \(/ && !/VSD0/ { exit } on' \
		"$BATS_TEST_TMPDIR/dsdt.dsl"
	assert_success
	assert_output --partial 'Name (_HID, "PRP0001")'
	# Three banks of the 16-byte register set fill one 4 KiB page.
	assert_output --regexp 'Memory32Fixed \(ReadWrite,[[:space:]]+0x0B000000,[^)]*0x00001000,'
	assert_output --regexp 'Interrupt \(ResourceConsumer, Level, ActiveHigh, Exclusive, ,, \)[[:space:]]+\{[[:space:]]+0x0000001F,'
	assert_output --partial 'ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301")'
	assert_output --regexp '"compatible",[[:space:]]+"qemu,vcpu-stall-detector"'
	assert_output --regexp '"clock-frequency",[[:space:]]+0x0*A[[:space:]]'
	assert_output --regexp '"timeout-sec",[[:space:]]+0x0*4[[:space:]]'
}
