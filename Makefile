# vcpu-stall: guest driver, QEMU device, tools and their tests.
# `make check` sets everything up on Debian 12 (as root) and runs every test;
# `make demo` shows the detector at work in a VM.  See README.md.
SHELL := /bin/bash
BUILD := build

.PHONY: all setup qemu firmware guest guest-debug guest-rt check check-static check-vm check-debug bench demo clean

# The debug kernel's series: 6.12 (bookworm-backports, as the test guest)
# or the newest in sid (KERNEL=7.x).
KERNEL ?= 6.12
DEBUG_SUITE_6.12 := bookworm-backports
DEBUG_SUITE_7.x := sid
DEBUG_SUITE = $(or $(DEBUG_SUITE_$(KERNEL)),$(error KERNEL must be 6.12 or 7.x))

all: qemu guest firmware

setup:
	@scripts/setup-host.sh

# QEMU from one device source for two Debian suites, each version found at
# run time: the newest (sid; every VM suite) and Debian stable's (trixie;
# the qtests and a detector smoke run, platform arm64-dt-qemu-stable).
QEMU_NEWEST := sid
QEMU_STABLE := trixie

qemu: setup
	@mkdir -p $(BUILD)
	@for v in qemu:$(QEMU_NEWEST) qemu-stable:$(QEMU_STABLE); do \
		q=$$(VSD_QSUITE=$${v#*:} scripts/build-qemu.sh) && \
		printf 'VSD_QEMU=%s\nVSD_QTEST=%s\nVSD_QEMU_TREE=%s\n' "$$q/qemu-system-aarch64" \
			"$$q/vcpu-stall-detector-test" "$$(cat $$q/tree)" > $(BUILD)/$${v%%:*}.env || exit 1; \
	done

# Debian's edk2 for the ACPI platform (arm64-acpi).
firmware: setup
	@scripts/fetch-firmware.sh

guest: setup
	@scripts/build-guest.sh

guest-debug: guest
	@scripts/build-debug-guest.sh $(DEBUG_SUITE)

# Debian's PREEMPT_RT kernel of the test guest's series, our modules for it.
guest-rt: guest
	@scripts/build-rt-guest.sh

# Every test: static checks (style, warnings, DT), every VM suite and the
# benchmarks' smoke run on Debian's kernel, and on the debug kernel the
# suites that drive the driver's locking and lifetimes and the pseudo-NMI
# tests, failing on any splat; on Debian's PREEMPT_RT kernel the stress
# loops and the real-time cases; on Debian stable's QEMU the qtests and the
# detector suite; booted through UEFI with ACPI, the detector, control-plane
# and pause suites and the ACPI description.  tests/run runs them side by side.
check: all guest-debug guest-rt
	@tests/run static vm debug-quick rt qemu-stable acpi

check-static: all
	@tests/run static

check-vm: all
	@tests/run vm

# The VM suite and the pseudo-NMI tests on the debug kernel (lockdep, KASAN,
# kmemleak, debugobjects): any splat in any VM's kernel log fails.
check-debug: all guest-debug
	@tests/run debug

# Benchmarks in real VMs (about 80 minutes): raw JSON, summary.md and plots
# in bench/results/<date>/.  BENCH_ARGS=--smoke runs one short iteration.
bench: all
	@python3 bench/bench.py $(BENCH_ARGS)

demo: all
	@tests/demo

clean:
	rm -rf $(BUILD)
