#!/usr/bin/env bats
# The udev rules (tools/udev) with Debian's real systemd-udevd in the guest:
# site defaults applied when the driver binds, stalls and pauses logged to
# syslog, the site's stall hook run outside udev's event, the device tagged
# for systemd.  The guest has no systemd: the hook runs detached there, and
# the systemd path (a transient unit by systemd-run) is checked with a
# stand-in systemd-run that records how it was called.  The guest's cases
# share one arm64 VM (tests/lib/session.bash); its agent stops the udevd
# and syslogd a case started.  Platforms: every one.

load lib/common

teardown() { vm_teardown; }
teardown_file() { session_end; }

UDEV_VM=("${STD_VM[@]}" -f "$VSD_ROOT/tools/udev")
SYSPATH=$DEV_SYSPATH

# udevd kills a rule's program after this many seconds; the stall hook
# takes HOOK_SECS, longer.
EVENT_TIMEOUT=6
HOOK_SECS=10

# Guest snippet: install the rules as the README says, with CONF as the
# site's config, a stall hook that takes HOOK_SECS, start syslogd and
# udevd.
install_rules() { # CONF
	cat <<EOT
mkdir -p /usr/lib/udev/rules.d /usr/libexec/vcpu-stall /etc/vcpu-stall
cp udev/60-vcpu-stall-detector.rules /usr/lib/udev/rules.d/
cp udev/vcpu-stall-udev /usr/libexec/vcpu-stall/
chmod 0755 /usr/libexec/vcpu-stall/vcpu-stall-udev
printf '$1' > /etc/vcpu-stall/vcpu-stall.conf
cat > /tmp/hook <<'EOF'
#!/bin/sh
echo "hook \$VCPU_STALL_EVENT \$VCPU_STALL_CPU" >> /tmp/hook.log
sleep $HOOK_SECS
echo "hook done \$VCPU_STALL_EVENT \$VCPU_STALL_CPU" >> /tmp/hook.log
EOF
chmod 0755 /tmp/hook
syslogd -O /tmp/messages
/usr/lib/systemd/systemd-udevd --daemon --event-timeout=$EVENT_TIMEOUT 2>/dev/null || exit 1
EOT
}

# A stand-in for systemd-run: records its arguments, then runs the command
# with the --setenv variables, detached, as the unit would.
# shellcheck disable=SC2016 # a script for the guest, expanded there
SYSTEMD_RUN_STUB='#!/bin/sh
echo "systemd-run $*" >> /tmp/systemd-run.log
while [ $# -gt 0 ]; do
	case $1 in
	--setenv=*) export "${1#--setenv=}" ;;
	-*) ;;
	*) break ;;
	esac
	shift
done
setsid "$@" </dev/null >/dev/null 2>&1 &'

@test "udev: bind applies the site defaults (a bad one logged and skipped); a stall is logged and runs a long hook outside the event" {
	session "${UDEV_VM[@]}"
	gx "
		$(install_rules 'TIMEOUT_SEC=6\nCLOCK_FREQ_HZ=abc\nACTION = "notify"\nSTALL_HOOK=/tmp/hook\n')
		modprobe vcpu_stall_detector && modprobe vsd_test || exit 1
		udevadm settle
		echo \"knobs \$(cat $DEV/timeout_sec) \$(cat $DEV/clock_freq_hz) \$(cat $DEV/stall_action)\"
		udevadm info $SYSPATH | grep -E '^(G|E: TAGS|E: CURRENT_TAGS)'
		echo '1 7000' > /sys/module/vsd_test/parameters/stall
		wait_until 60 'the stall hook' grep -q 'hook stall' /tmp/hook.log
		# The event is over while the hook runs on.
		udevadm settle --timeout=4; echo \"settled rc=\$? done=\$(grep -c 'hook done' /tmp/hook.log)\"
		echo 1 > $DEV/paused; echo 0 > $DEV/paused
		udevadm settle
		wait_until 30 'the resume in syslog' grep -q 'vcpu-stall: resumed' /tmp/messages
		# Past udevd's event timeout, the hook finishes.
		wait_until $((HOOK_SECS + 30)) 'the hook to finish' grep -q 'hook done' /tmp/hook.log
		wait_until 10 'its end in syslog' grep -q 'stall hook /tmp/hook done' /tmp/messages
		cat /tmp/hook.log
		grep vcpu-stall /tmp/messages" 150
	assert_success
	assert_line "settled rc=0 done=0"
	assert_line "hook done stall 1"
	assert_line --regexp 'vcpu-stall: stall hook /tmp/hook started detached$'
	assert_line --regexp 'vcpu-stall: stall hook /tmp/hook done$'
	# The rule set what the config says, and skipped the bad clock.
	assert_line "knobs 6 $FREQ notify"
	assert_line --regexp '^E: (CURRENT_)?TAGS=.*:systemd:'
	assert_line "hook stall 1"
	assert_line --regexp 'vcpu-stall: set timeout_sec to 6$'
	assert_line --regexp 'vcpu-stall: set stall_action to notify$'
	assert_line --regexp 'vcpu-stall: .*CLOCK_FREQ_HZ=abc is not 1 to 1000000: skipped$'
	assert_line --regexp 'daemon.crit vcpu-stall: CPU 1 stalled$'
	assert_line --regexp 'vcpu-stall: paused by sysfs \(request\)$'
	assert_line --regexp 'vcpu-stall: resumed \(request\)$'
	# The host saw the stall, the guest's notify reload beat its grace.
	[ "$(count_events VCPU_STALL)" -eq 1 ] || fail "no VCPU_STALL"
	[ "$(count_events WATCHDOG)" -eq 0 ] || fail "the host acted"
}

@test "udev: coldplug (udevd started after the driver bound) applies the defaults too; no config changes nothing" {
	session "${UDEV_VM[@]}"
	gx "
		modprobe vcpu_stall_detector || exit 1
		$(install_rules 'TIMEOUT_SEC=5\n')
		udevadm trigger --action=add $SYSPATH
		udevadm settle
		echo \"knobs \$(cat $DEV/timeout_sec) \$(cat $DEV/stall_action)\"
		rm /etc/vcpu-stall/vcpu-stall.conf
		udevadm trigger --action=add $SYSPATH
		udevadm settle
		echo \"unchanged \$(cat $DEV/timeout_sec) \$(cat $DEV/stall_action)\""
	assert_success
	assert_line "knobs 5 panic"
	assert_line "unchanged 5 panic"
}

@test "udev: where systemd runs, the stall hook gets a transient unit (systemd-run --no-block) with the event's environment" {
	session "${UDEV_VM[@]}"
	gx "
		$(install_rules 'STALL_HOOK=/tmp/hook\n')
		mkdir -p /tmp/bin
		cat > /tmp/bin/systemd-run <<'EOF'
$SYSTEMD_RUN_STUB
EOF
		chmod 0755 /tmp/bin/systemd-run
		# What sd_booted() looks for: taken away again below.
		mkdir -p /run/systemd/system
		PATH=/tmp/bin:\$PATH VCPU_STALL_EVENT=stall VCPU_STALL_CPU=3 \\
			/usr/libexec/vcpu-stall/vcpu-stall-udev event $SYSPATH
		echo \"event rc=\$?\"
		rmdir /run/systemd/system /run/systemd 2>/dev/null
		wait_until 30 'the hook' grep -q 'hook stall 3' /tmp/hook.log
		wait_until 10 'the start in syslog' grep -q 'stall hook /tmp/hook started' /tmp/messages
		cat /tmp/systemd-run.log /tmp/hook.log
		grep vcpu-stall /tmp/messages"
	assert_success
	assert_line "event rc=0"
	assert_line --regexp '^systemd-run --no-block --quiet --collect --unit=vcpu-stall-hook-cpu3-[0-9]+ --description=vCPU stall hook \(CPU 3\) --setenv=VCPU_STALL_EVENT=stall --setenv=VCPU_STALL_CPU=3 /usr/libexec/vcpu-stall/vcpu-stall-udev hook /tmp/hook$'
	assert_line "hook stall 3"
	assert_line --regexp 'vcpu-stall: stall hook /tmp/hook started in unit vcpu-stall-hook-cpu3-[0-9]+$'
}

@test "udev: the helper refuses bad usage (exit 2) and shellcheck is clean" {
	run "$VSD_ROOT/tools/udev/vcpu-stall-udev"
	assert_failure 2
	run "$VSD_ROOT/tools/udev/vcpu-stall-udev" frob /nonexistent
	assert_failure 2
	assert_output "vcpu-stall-udev: unknown command 'frob'"
	run shellcheck -s sh "$VSD_ROOT/tools/udev/vcpu-stall-udev"
	assert_success
}
