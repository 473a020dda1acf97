# vcpu-stall: guest driver, QEMU device, tools and their tests.
# `make check` sets everything up on Debian 12 (as root) and runs every test;
# `make demo` shows the detector at work in a VM.  See README.md.
SHELL := /bin/bash
BUILD := build

.PHONY: all setup qemu guest check check-static check-vm demo clean

all: qemu guest

setup:
	@scripts/setup-host.sh

qemu: setup
	@mkdir -p $(BUILD)
	@q=$$(scripts/build-qemu.sh) && \
		printf 'VSD_QEMU=%s\nVSD_QTEST=%s\n' "$$q/qemu-system-aarch64" \
		"$$q/vcpu-stall-detector-test" > $(BUILD)/qemu.env

guest: setup
	@scripts/build-guest.sh

# Every test: static checks (style, warnings, DT) then the VM suite.
check: all
	@tests/run

check-static: all
	@tests/run static

check-vm: all
	@tests/run vm

demo: all
	@tests/demo

clean:
	rm -rf $(BUILD)
