#!/usr/bin/env bats
# The DT binding, its example, and the DT our QEMU writes for the guest.

load lib/common

setup_file() {
	export SCHEMA=$BATS_FILE_TMPDIR/schema.json
	dt-mk-schema -j -o "$SCHEMA" "$VSD_ROOT/dts/bindings/"
}

BINDING=misc/qemu,vcpu-stall-detector.yaml

# validate DTB: dt-validate output for our node (it always exits 0).
validate() {
	dt-validate -M -s "$SCHEMA" -l qemu,vcpu-stall-detector "$1" 2>&1
}

@test "dt: the binding passes dt-doc-validate" {
	run dt-doc-validate -u "$VSD_ROOT/dts/bindings" "$VSD_ROOT/dts/bindings/$BINDING"
	assert_success
	assert_output ""
}

@test "dt: the example compiles with dtc and validates" {
	cpp -P -nostdinc -undef -x assembler-with-cpp "$VSD_ROOT/dts/example.dts" |
		dtc -q -I dts -O dtb -o "$BATS_TEST_TMPDIR/ex.dtb" -
	run validate "$BATS_TEST_TMPDIR/ex.dtb"
	assert_output --partial "vmwdt@b000000: matched on schema(s)"
	refute_output --partial "From schema"
}

@test "dt: the validator rejects a bad node (the check can fail)" {
	cpp -P -nostdinc -undef -x assembler-with-cpp "$VSD_ROOT/dts/example.dts" |
		sed 's/timeout-sec = <8>;/timeout-sec = <0>;/' |
		dtc -q -I dts -O dtb -o "$BATS_TEST_TMPDIR/bad.dtb" -
	run validate "$BATS_TEST_TMPDIR/bad.dtb"
	assert_output --partial "0 is less than the minimum of 1"
}

@test "dt: the DT QEMU generates (-machine dumpdtb) validates" {
	. "$PLATFORM_QEMU_ENV"
	run "$VSD_QEMU" -machine "virt,gic-version=3,vcpu-stall-detector=on,dumpdtb=$BATS_TEST_TMPDIR/virt.dtb" \
		-cpu cortex-a72 -smp 4 -nodefaults -display none \
		-global vcpu-stall-detector.timeout-sec=5
	assert_success
	run validate "$BATS_TEST_TMPDIR/virt.dtb"
	assert_output --partial "vmwdt@b000000: matched on schema(s)"
	refute_output --partial "From schema"
	run dtc -q -I dtb -O dts "$BATS_TEST_TMPDIR/virt.dtb"
	assert_output --partial 'compatible = "qemu,vcpu-stall-detector";'
	assert_output --partial 'timeout-sec = <0x05>;'
	assert_output --partial 'clock-frequency = <0x0a>;'
	# PPI 15, level high (what KVM enforces); reg covers the 4 banks in one page.
	assert_output --partial 'interrupts = <0x01 0x0f 0x04>;'
	assert_output --partial 'reg = <0x00 0xb000000 0x00 0x1000>;'
}

@test "dt: without vcpu-stall-detector=on there is no node" {
	. "$PLATFORM_QEMU_ENV"
	"$VSD_QEMU" -machine "virt,gic-version=3,dumpdtb=$BATS_TEST_TMPDIR/plain.dtb" \
		-cpu cortex-a72 -nodefaults -display none
	run dtc -q -I dtb -O dts "$BATS_TEST_TMPDIR/plain.dtb"
	refute_output --partial vcpu-stall-detector
}
