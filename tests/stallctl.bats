#!/usr/bin/env bats
# stallctl (tools/stallctl): its unit tests and usage errors on the host,
# then the real thing in arm64 VMs against the driver's netlink family:
# the guest's cases share one VM (tests/lib/session.bash), but the case
# without the device.  Platforms: every one.
#
# The VMs run the image's /usr/bin/stallctl (make guest).  To try a binary
# without rebuilding the image, point STALLCTL_BIN at it (e.g. the path
# scripts/build-stallctl.sh prints): it is copied into the guest and run
# from there instead.

load lib/common

teardown() { vm_teardown; }
teardown_file() { session_end; }

# nlshim.so, cross-built against the guest's glibc (the sysroot from
# fetch-debs.sh's cache) once per version of its source and compiler.
setup_file() {
	local cc=${CROSS_COMPILE:-aarch64-linux-gnu-}gcc key so sysroot
	key=$( { cat "$VSD_ROOT/tests/lib/nlshim.c"; "$cc" --version; } | sha256sum | cut -c1-16)
	so=${VSD_CACHE:-$HOME/.cache/vcpu-stall}/nlshim/$key.so
	if [ ! -e "$so" ]; then
		sysroot=$("$VSD_ROOT/scripts/fetch-debs.sh" --arch arm64 "$BATS_FILE_TMPDIR/sysroot" libc6-dev) &&
			rm -rf "$BATS_FILE_TMPDIR/sysroot" && mkdir -p "${so%/*}" &&
			"$cc" --sysroot="$sysroot" -std=c11 -Wall -Wextra -Werror -O2 -shared -fPIC \
				-o "$so.$$" "$VSD_ROOT/tests/lib/nlshim.c" && mv "$so.$$" "$so" || return 1
	fi
	cp "$so" "$NLSHIM_SO"
}

SRC=$VSD_ROOT/tools/stallctl
HEADER=$VSD_ROOT/uapi/linux/vcpu_stall_detector.h
SYSPATH=$DEV_SYSPATH
NO_MODULE='stallctl: the vcpu_stall_detector module is not loaded'
NO_DEVICE='no platform device is compatible with "qemu,vcpu-stall-detector"'

if [ -n "${STALLCTL_BIN:-}" ]; then
	SC_ARGS=(-f "$STALLCTL_BIN")
	SC=/vsd/files/stallctl
else
	SC_ARGS=()
	SC=/usr/bin/stallctl
fi
# tests/lib/nlshim.c for the guest (setup_file): holds stallctl before a
# request (so a case can unload the module mid-command) or fails its
# receives as the kernel or libnl would.
NLSHIM_SO=$BATS_FILE_TMPDIR/nlshim.so
NLSHIM=/vsd/files/nlshim.so
# The shared VM, with the binary to try if there is one.
SC_VM=("${STD_VM[@]}" "${SC_ARGS[@]}" -f "$NLSHIM_SO")
# Guest snippet: fail clearly when the guest has no stallctl.
HAVE_SC="[ -x $SC ] || { echo 'no $SC in the guest: run make guest'; exit 99; }"
# Guest snippet: run a command, then print its exit status.
rc() { echo "$* 2>&1; echo \"rc=\$?\""; }

# The host build, made once per file (O= keeps the tree clean).
host_stallctl() {
	make -s -C "$SRC" O="$BATS_FILE_TMPDIR/host" >&2 || return 1
	HOST_SC=$BATS_FILE_TMPDIR/host/stallctl
}

# A macro's value from the uapi header.
uapi() {
	gcc -E -dM -I"$VSD_ROOT/uapi" -include linux/vcpu_stall_detector.h \
		-x c /dev/null | awk -v m="$1" '$2 == m { print $3 }'
}

# The uapi's action names, lower-cased: "panic backtrace notify".
uapi_actions() {
	sed -n 's/^[[:space:]]*VCPU_STALL_ACTION_\([A-Z_]*\),\{0,1\}$/\1/p' "$HEADER" |
		tr 'A-Z_' 'a-z-' | xargs
}

# --- host ----------------------------------------------------------------

@test "stallctl: unit tests under ASan/UBSan" {
	run make -s -C "$SRC" check O="$BATS_TEST_TMPDIR/check"
	assert_success
	assert_line --regexp '^[0-9]+ passed, 0 failed$'
	refute_line --partial 'not ok'
}

@test "stallctl: help, version and usage errors (exit 2)" {
	host_stallctl
	run "$HOST_SC" --help
	assert_success
	assert_line --partial "stallctl config [--timeout <sec>]"
	assert_line --regexp "^ -t, --timeout <sec> .* $(uapi VCPU_STALL_TIMEOUT_MIN) to $(uapi VCPU_STALL_TIMEOUT_MAX) seconds$"
	assert_line --partial "what a stall does: panic, backtrace or notify"
	run "$HOST_SC" --version
	assert_success
	assert_output --regexp "^stallctl from vcpu-stall .* \(netlink family vcpu-stall, version $(uapi VCPU_STALL_FAMILY_VERSION)\)$"

	run "$HOST_SC" frob
	assert_failure 2
	assert_output "stallctl: unknown command 'frob'
Try 'stallctl --help' for more information."
	run "$HOST_SC" status --frob
	assert_failure 2
	assert_line "stallctl: unrecognized option '--frob'"
	run "$HOST_SC" config extra
	assert_failure 2
	assert_line "stallctl: unexpected argument 'extra'"
	run "$HOST_SC" status --json --raw
	assert_failure 2
}

@test "stallctl: bad option values exit 2 before any netlink socket is opened" {
	command -v strace >/dev/null || skip "no strace"
	host_stallctl
	tmax=$(uapi VCPU_STALL_TIMEOUT_MAX) cmax=$(uapi VCPU_STALL_CLOCK_HZ_MAX)
	check() { # MESSAGE ARGS...
		local want=$1
		shift
		run strace -f -qq -e trace=socket -o "$BATS_TEST_TMPDIR/trace" "$HOST_SC" "$@"
		assert_failure 2
		assert_output "$want"
		run grep -c AF_NETLINK "$BATS_TEST_TMPDIR/trace"
		assert_output 0
	}
	check "stallctl: invalid timeout '0': must be 1 to $tmax seconds" config --timeout 0
	check "stallctl: invalid timeout '$((tmax + 1))': must be 1 to $tmax seconds" config -t $((tmax + 1))
	check "stallctl: invalid timeout '5s': not a whole number" config --timeout 5s
	check "stallctl: invalid timeout '-1': not a whole number" config --timeout=-1
	check "stallctl: invalid clock '0': must be 1 to $cmax Hz" config --clock 0
	check "stallctl: invalid clock '$((cmax + 1))': must be 1 to $cmax Hz" config -c $((cmax + 1))
	check "stallctl: unknown action 'reboot': expected panic, backtrace or notify" config --action reboot
	check "stallctl: unknown action 'PANIC': expected panic, backtrace or notify" config -a PANIC
	check "stallctl: invalid CPU number 'one': not a whole number" status --cpu one
	check "stallctl: unknown column: FOO" status -o CPU,FOO
	local dur="a whole number with a unit (ms, s, m, h), e.g. 90s or 5m"
	check "stallctl: invalid duration '0': must be more than 0 and at most 24h 0m 0s" pause --for 0
	check "stallctl: invalid duration '25h': must be more than 0 and at most 24h 0m 0s" pause --for 25h
	check "stallctl: invalid duration '$(($(uapi VCPU_STALL_PAUSE_MAX_MS) + 1))ms': must be more than 0 and at most 24h 0m 0s" \
		pause --for "$(($(uapi VCPU_STALL_PAUSE_MAX_MS) + 1))ms"
	check "stallctl: invalid duration '5x': $dur" pause --for 5x
	check "stallctl: invalid duration '1.5m': $dur" pause -f 1.5m
	check "stallctl: invalid duration '-5s': $dur" pause --for=-5s
	check "stallctl: unexpected argument 'now'
Try 'stallctl --help' for more information." resume now
	# A good value does reach for the kernel.
	run strace -f -qq -e trace=socket -o "$BATS_TEST_TMPDIR/trace" "$HOST_SC" config --timeout 5
	run grep -c AF_NETLINK "$BATS_TEST_TMPDIR/trace"
	assert_output 1
}

@test "stallctl: on a host without the module, every command says so (exit 1)" {
	host_stallctl
	[ ! -d /sys/module/vcpu_stall_detector ] || skip "the module is loaded here"
	for cmd in status config pause resume monitor; do
		run "$HOST_SC" "$cmd"
		assert_failure 1
		assert_line "$NO_MODULE"
	done
}

@test "stallctl: the man page renders cleanly and agrees with the uapi header; so does the completion" {
	run groff -man -Tutf8 -ww -z "$SRC/stallctl.8"
	assert_success
	assert_output ""
	for s in SYNOPSIS OPTIONS "EXIT STATUS" EXAMPLES; do
		grep -q "^\.SH $s\$" "$SRC/stallctl.8" || fail "no $s section"
	done
	grep -q "$(uapi VCPU_STALL_TIMEOUT_MIN) to $(uapi VCPU_STALL_TIMEOUT_MAX) seconds" "$SRC/stallctl.8" ||
		fail "the man page's timeout range is not the header's"
	grep -q "$(uapi VCPU_STALL_CLOCK_HZ_MIN) to $(uapi VCPU_STALL_CLOCK_HZ_MAX) Hz" "$SRC/stallctl.8" ||
		fail "the man page's clock range is not the header's"
	actions=$(uapi_actions)
	[ "$actions" = "panic backtrace notify" ] || fail "uapi actions: $actions"
	for a in $actions; do
		grep -q "^\.B $a\$" "$SRC/stallctl.8" || fail "the man page misses action $a"
	done

	run bash -c '. "$1"
		COMP_WORDS=(stallctl config --action ""); COMP_CWORD=3
		_stallctl; echo "${COMPREPLY[*]}"
		COMP_WORDS=(stallctl ""); COMP_CWORD=1
		_stallctl; echo "${COMPREPLY[*]}"' _ "$SRC/stallctl.bash-completion"
	assert_success
	assert_line --index 0 "$actions"
	assert_line --index 1 "status config pause resume monitor"
}

# --- in the guest --------------------------------------------------------

@test "stallctl status: every CPU, pets rising, offline CPUs; --json matches the table" {
	session "${SC_VM[@]}"
	gx "
		$HAVE_SC
		modprobe vcpu_stall_detector || exit 1
		echo 0 > /sys/devices/system/cpu/cpu3/online || exit 1
		sleep 1
		echo FIRST; $SC status || exit 1
		sleep $((TIMEOUT + 1))
		echo SECOND; $SC status --raw --noheadings || exit 1
		echo JSON; $SC status --json || exit 1
		echo ONE; $SC status --cpu 2 --json || exit 1
		echo COLS; $SC status -o cpu,STALLS,online -r || exit 1
		echo END"
	assert_success
	out=$output
	section() { sed -n "/^$1\$/,/^$2\$/p" <<<"$out" | sed '1d;$d'; }

	# The table: a header, then every possible CPU, CPU 3 offline and
	# not petting (no time since its last pet).
	first=$(section FIRST SECOND)
	assert_equal "$(head -n 1 <<<"$first" | xargs)" \
		"CPU ONLINE ENABLED PETS LAST-PET MAX-LATE COUNT STALLS"
	run awk 'NR > 1 { print $1, $2, $3, NF }' <<<"$first"
	assert_output "0 1 1 8
1 1 1 8
2 1 1 8
3 0 0 7"

	# Raw: one space between fields, empty fields empty; pets rose by
	# at least two (a pet every timeout/2) on every online CPU.
	second=$(section SECOND JSON)
	run awk -F '[ ]' '{ print $1, $2, $3, NF, ($5 == "") }' <<<"$second"
	assert_output "0 1 1 8 0
1 1 1 8 0
2 1 1 8 0
3 0 0 8 1"
	online_pets() { awk '$2 == 1 { print $1, $4 }'; }
	run join <(tail -n +2 <<<"$first" | online_pets) <(online_pets <<<"$second")
	assert_equal "$(awk '$3 - $2 >= 2 { print $1 }' <<<"$output" | xargs)" "0 1 2"

	# JSON: the same CPUs and states, pets no lower than a moment before.
	json=$(section JSON ONE)
	run jq -c '[.cpus[] | [.cpu, .online, .enabled, .stalls, (.["last-pet"] == null)]]' <<<"$json"
	assert_output '[[0,true,true,0,false],[1,true,true,0,false],[2,true,true,0,false],[3,false,false,0,true]]'
	jq -e --arg raw "$second" '
		($raw | split("\n") | map(split(" "))) as $t
		| [.cpus[] as $c | $t[$c.cpu] as $r
		   | ($r[0] | tonumber) == $c.cpu
		     and $c.pets >= ($r[3] | tonumber) and $c.pets <= ($r[3] | tonumber) + 1
		     and $c.count >= 0 and ($c["max-late"] | type) == "number"]
		| all and length == 4' <<<"$json" >/dev/null || fail "JSON and table differ: $json"

	run jq -c '[.cpus[] | .cpu]' <<<"$(section ONE COLS)"
	assert_output '[2]'
	run section COLS END
	assert_output "CPU STALLS ONLINE
0 0 1
1 0 1
2 0 1
3 0 0"
}

@test "stallctl config: shows the DT's values, sets any subset, agrees with sysfs; bad values change nothing" {
	session "${SC_VM[@]}"
	gx "
		$HAVE_SC
		modprobe vcpu_stall_detector || exit 1
		$SC config || exit 1
		$SC config --timeout 6 --clock 100 --action notify || exit 1
		$SC config -a backtrace -r -n || exit 1
		$SC config -c 50 --json || exit 1
		echo \"sysfs \$(cat $DEV/timeout_sec) \$(cat $DEV/clock_freq_hz) \$(cat $DEV/stall_action)\"
		$(rc "$SC" config --timeout 0)
		$(rc "$SC" config --clock 2000000 --timeout 7)
		$(rc "$SC" config --action reboot --timeout 7)
		$SC config -o TIMEOUT,CLOCK,ACTION -r -n"
	assert_success
	out=$output
	assert_line --index 0 --regexp '^TIMEOUT +CLOCK +ACTION +DEVICE$'
	assert_line --index 1 --regexp "^ +$TIMEOUT +$FREQ +panic +$SYSPATH\$"
	assert_line --index 3 --regexp "^ +6 +100 +notify +$SYSPATH\$"
	# Partial sets keep the rest.
	assert_line --index 4 "6 100 backtrace $SYSPATH"
	json=$(sed -n '/^{/,/^}/p' <<<"$out")
	run jq -c '.config[0]' <<<"$json"
	assert_output "{\"timeout\":6,\"clock\":50,\"action\":\"backtrace\",\"device\":\"$SYSPATH\"}"
	run sed -n '/^sysfs/,$p' <<<"$out"
	assert_line --index 0 "sysfs 6 50 backtrace"
	assert_line --index 1 --partial "stallctl: invalid timeout '0': must be"
	assert_line --index 2 "rc=2"
	assert_line --index 3 --partial "stallctl: invalid clock '2000000': must be"
	assert_line --index 4 "rc=2"
	assert_line --index 5 "stallctl: unknown action 'reboot': expected panic, backtrace or notify"
	assert_line --index 6 "rc=2"
	assert_line --index 7 "6 50 backtrace"
}

@test "stallctl: the kernel's refusals come with its reason; an unprivileged change is refused (exit 1)" {
	session "${SC_VM[@]}"
	gx "
		$HAVE_SC
		modprobe vcpu_stall_detector || exit 1
		$(rc "$SC" status --cpu 99)
		$(rc "$SC" status --cpu 4294967295)
		$(rc su user -s /bin/sh -c "'$SC config --timeout 5'")
		$(rc su user -s /bin/sh -c "'$SC status -o CPU -rn'")
		$(rc su user -s /bin/sh -c "'$SC config -o TIMEOUT -rn'")"
	assert_success
	# The extended ack's message, from the kernel.
	assert_line --index 0 "stallctl: cannot get the status of CPU 99: no such CPU"
	assert_line --index 1 "rc=1"
	assert_line --index 2 "stallctl: cannot get the status of CPU 4294967295: no such CPU"
	assert_line --index 3 "rc=1"
	assert_line --index 4 "stallctl: cannot change the configuration: Operation not permitted (it takes CAP_NET_ADMIN)"
	assert_line --index 5 "rc=1"
	# Reading needs no privilege.
	assert_line --index 6 "0"
	assert_line --index 7 "1"
	assert_line --index 8 "2"
	assert_line --index 9 "3"
	assert_line --index 10 "rc=0"
	assert_line --index 11 "$TIMEOUT"
	assert_line --index 12 "rc=0"
}

@test "stallctl: module not loaded, then device not bound: exit 1, saying which" {
	session "${SC_VM[@]}"
	gx "
		$HAVE_SC
		$(rc "$SC" status)
		$(rc "$SC" config --timeout 5)
		modprobe vcpu_stall_detector || exit 1
		echo $DEV_NAME > /sys/bus/platform/drivers/vcpu_stall_detector/unbind || exit 1
		$(rc "$SC" status)
		$(rc "$SC" config)"
	assert_success
	# The device is there: no word about it.
	assert_output "$NO_MODULE
rc=1
$NO_MODULE
rc=1
stallctl: $SYSPATH is not bound to the vcpu_stall_detector driver
rc=1
stallctl: $SYSPATH is not bound to the vcpu_stall_detector driver
rc=1"
}

@test "stallctl: the module removed mid-command: 'not loaded' (exit 1); removed and loaded again: says so" {
	session "${SC_VM[@]}"
	gx "
		$HAVE_SC
		# held N CMD...: stallctl CMD, its Nth request held (nlshim.so)
		# while the module goes (and comes back if RELOAD is set).
		held() {
			n=\$1; shift
			rm -f /tmp/held /tmp/go
			modprobe vcpu_stall_detector || exit 1
			NLSHIM_HOLD_AT=\$n LD_PRELOAD=$NLSHIM $SC \"\$@\" > /tmp/sc.out 2>&1 &
			p=\$!
			wait_until 30 'stallctl to be held' test -e /tmp/held || exit 1
			rmmod vcpu_stall_detector || exit 1
			[ -z \"\${RELOAD:-}\" ] || modprobe vcpu_stall_detector || exit 1
			touch /tmp/go
			wait \$p; rc=\$?
			cat /tmp/sc.out; echo \"rc=\$rc\"
		}
		held 2 status
		held 3 status --json
		held 2 config --timeout 5
		held 2 pause --for 1m
		held 2 resume
		RELOAD=1 held 2 status"
	assert_success
	assert_output "$NO_MODULE
rc=1
$NO_MODULE
rc=1
$NO_MODULE
rc=1
$NO_MODULE
rc=1
$NO_MODULE
rc=1
stallctl: cannot get the CPUs' status: the vcpu_stall_detector module was reloaded meanwhile: try again
rc=1"
}

@test "stallctl monitor: lost events (ENOBUFS) are reported and it goes on; a failed allocation (ENOMEM) ends it (exit 1)" {
	session "${SC_VM[@]}"
	gx "
		$HAVE_SC
		modprobe vcpu_stall_detector || exit 1
		rm -f /tmp/fail
		NLSHIM_FAIL=1 LD_PRELOAD=$NLSHIM $SC monitor > /tmp/mon 2>&1 &
		m=\$!
		wait_nl \$m 16 'stallctl monitor' || exit 1
		# One receive fails with ENOBUFS: the kernel dropped events.
		echo 105 > /tmp/fail
		$SC config --timeout 5 > /dev/null || exit 1
		wait_until 10 'the monitor hearing the change' grep -q '^config ' /tmp/mon
		# From now on every receive fails with ENOMEM (the end, at once).
		echo '12 always' > /tmp/fail
		$SC config --timeout 6 > /dev/null || exit 1
		(sleep 20; kill \$m) 2>/dev/null &
		w=\$!
		wait \$m; echo \"rc=\$?\"
		kill \$w
		cat /tmp/mon"
	assert_success
	assert_line "rc=1"
	assert_line --regexp "^config +5 +$FREQ +panic"
	[ "$(grep -c '^stallctl: events were lost: the receive buffer overflowed$' <<<"$output")" -eq 1 ] ||
		fail "not one 'events were lost'"
	assert_equal "${lines[${#lines[@]} - 1]}" "stallctl: cannot receive events: Cannot allocate memory"
}

@test "stallctl monitor: config, CPU and stall events, a line each (--json: an object); ends at rmmod" {
	session "${SC_VM[@]}"
	gx "
		$HAVE_SC
		modprobe vcpu_stall_detector && modprobe vsd_test || exit 1
		$SC monitor > /tmp/text 2>&1 &
		m=\$!
		$SC monitor --json > /tmp/json 2>&1 &
		j=\$!
		wait_nl \$m 16 'stallctl monitor' && wait_nl \$j 16 'stallctl monitor --json' || exit 1
		$SC config --action notify --clock 20 > /dev/null || exit 1
		echo 0 > /sys/devices/system/cpu/cpu1/online || exit 1
		echo 1 > /sys/devices/system/cpu/cpu1/online || exit 1
		sleep 1
		echo '1 $(((TIMEOUT + 1) * 1000))' > /sys/module/vsd_test/parameters/stall
		wait_until 60 'the stall counted' grep -qx 1 $DEV/cpus/cpu1/stalls
		wait_until 30 'the monitor hearing the stall' grep -q '^stall ' /tmp/text
		wait_until 30 'the JSON monitor hearing the stall' grep -q '\"stall\"' /tmp/json
		$SC status -o CPU,STALLS -rn
		echo RMMOD
		rmmod vsd_test vcpu_stall_detector || exit 1
		wait \$m; echo \"text rc=\$?\"
		wait \$j; echo \"json rc=\$?\"
		echo TEXT; cat /tmp/text
		echo JSON; cat /tmp/json"
	assert_success
	out=$output
	assert_line "0 0"
	assert_line "1 1"
	assert_line "text rc=1"
	assert_line "json rc=1"

	text=$(sed -n '/^TEXT$/,/^JSON$/p' <<<"$out" | sed '1d;$d')
	run sed 's/ *$//' <<<"$text"
	assert_line --index 0 --regexp '^EVENT +CPU +TIMEOUT +CLOCK +ACTION +SOURCE +REASON +LEFT$'
	assert_line --index 1 --regexp "^config +$TIMEOUT +20 +notify$"
	assert_line --index 2 --regexp '^cpu-offline +1$'
	assert_line --index 3 --regexp '^cpu-online +1$'
	assert_line --index 4 --regexp '^stall +1$'
	# rmmod takes every CPU offline, then the family goes.
	for i in 5 6 7 8; do
		assert_line --index $i --regexp '^cpu-offline +[0-3]$'
	done
	assert_line --index 9 'stallctl: the vcpu_stall_detector module was unloaded'
	# Every column starts where its header does.
	awk 'NR == 1 { for (i = 1; i <= NF; i++) start[i] = index($0, $i); next }
		/^(stall|cpu-[a-z]+) / && index($0, $2) + length($2) != start[2] + length("CPU") { print; bad = 1 }
		END { exit bad }' <<<"$text" || fail "columns do not line up"

	json=$(sed -n '/^JSON$/,$p' <<<"$out" | sed '1d')
	run jq -c . <<<"$(grep '^{' <<<"$json")"
	local none='"source":null,"reason":null,"left":null'
	assert_line --index 0 "{\"event\":\"config\",\"cpu\":null,\"timeout\":$TIMEOUT,\"clock\":20,\"action\":\"notify\",$none}"
	assert_line --index 1 "{\"event\":\"cpu-offline\",\"cpu\":1,\"timeout\":null,\"clock\":null,\"action\":null,$none}"
	assert_line --index 2 "{\"event\":\"cpu-online\",\"cpu\":1,\"timeout\":null,\"clock\":null,\"action\":null,$none}"
	assert_line --index 3 "{\"event\":\"stall\",\"cpu\":1,\"timeout\":null,\"clock\":null,\"action\":null,$none}"
	# One object per line, nothing else but the closing message.
	run grep -vc '^{.*}$' <<<"$json"
	assert_output 1
}

@test "stallctl pause/resume: deadline, status (table and --json), monitor, refusals" {
	session "${SC_VM[@]}"
	gx "
		$HAVE_SC
		modprobe vcpu_stall_detector || exit 1
		$SC monitor > /tmp/text 2>&1 &
		m=\$!
		$SC monitor --json > /tmp/json 2>&1 &
		wait_nl \$m 16 'stallctl monitor' && wait_nl \$! 16 'stallctl monitor --json' || exit 1
		$SC pause --for 90s; echo \"pause rc=\$?\"
		echo TABLE; $SC status -o CPU,ENABLED
		echo JSON; $SC status --json | tr -d '\n'; echo
		$(rc "su user -s /bin/sh -c '$SC resume'")
		$(rc "su user -s /bin/sh -c '$SC pause'")
		echo \"still \$(cat $DEV/paused) \$(cat $DEV/pause_source)\"
		$SC pause; echo \"open rc=\$?\"
		echo OPEN; $SC status -o CPU
		echo BARE; $SC status -n -o CPU
		$SC resume; echo \"resume rc=\$?\"
		$SC resume; echo \"again rc=\$?\"
		echo RAW; $SC status -r -o CPU,ENABLED
		$SC pause --for 1500ms || exit 1
		wait_until 10 'resume at the deadline' grep -qx 0 $DEV/paused
		echo \"deadline \$(cat $DEV/paused)\"
		echo ENDJSON; $SC status --json | tr -d '\n'; echo
		wait_until 30 'the monitor saying resumed (deadline)' grep -q 'resumed.*deadline' /tmp/text
		wait_until 30 'the JSON monitor saying resumed (deadline)' grep -q '\"deadline\"' /tmp/json
		kill %1 %2
		echo TEXT; cat /tmp/text
		echo EVENTS; cat /tmp/json"
	assert_success
	out=$output
	assert_line "pause rc=0"
	assert_line --regexp '^paused by netlink, resumes by itself in 1m (29|30)s$'
	assert_line "paused by netlink, no deadline"
	# -n: no headings, the pause line neither.
	assert_equal "$(sed -n '/^BARE$/,/^resume rc=/p' <<<"$out" | sed 's/^ *//')" "BARE
0
1
2
3
resume rc=0"
	assert_line "still 1 netlink"
	assert_line "open rc=0"
	assert_line "resume rc=0"
	assert_line "again rc=0"
	assert_line "deadline 0"
	assert_output --partial "stallctl: cannot resume the detector: Operation not permitted (it takes CAP_NET_ADMIN)"
	assert_output --partial "stallctl: cannot pause the detector: Operation not permitted (it takes CAP_NET_ADMIN)"
	[ "$(grep -c '^rc=1$' <<<"$out")" -eq 2 ] || fail "an unprivileged request did not fail with 1"
	# Paused: every bank disabled; resumed: the raw table has no pause line.
	run sed -n '/^TABLE$/,/^JSON$/p' <<<"$out"
	assert_line --regexp '^ +0 +0$'
	assert_line --regexp '^ +1 +0$'
	run sed -n '/^RAW$/,/^deadline/p' <<<"$out"
	assert_line --index 1 "CPU ENABLED"
	assert_line --index 2 "0 1"
	run jq -c .pause <<<"$(sed -n '/^JSON$/{n;p}' <<<"$out")"
	assert_output --regexp '^\{"paused":true,"source":"netlink","remaining_ms":(89|90)[0-9]{3}\}$'
	run jq -c '[.pause, (.cpus | length)]' <<<"$(sed -n '/^ENDJSON$/{n;p}' <<<"$out")"
	assert_output '[{"paused":false,"source":null,"remaining_ms":null},4]'

	run sed -n '/^TEXT$/,/^EVENTS$/p' <<<"$out"
	assert_line --regexp '^paused +netlink +request +(89|90)[0-9]{3}$'
	assert_line --regexp '^paused +netlink +request *$'
	assert_line --regexp '^resumed +request *$'
	assert_line --regexp '^resumed +deadline *$'
	run jq -c '[.event, .source, .reason]' <<<"$(sed -n '/^EVENTS$/,$p' <<<"$out" | grep '^{')"
	assert_line --index 0 '["paused","netlink","request"]'
	assert_line --index 1 '["paused","netlink","request"]'
	assert_line --index 2 '["resumed",null,"request"]'
	assert_line --index 3 '["paused","netlink","request"]'
	assert_line --index 4 '["resumed",null,"deadline"]'
}

# Last: its VM differs from the shared one.
@test "stallctl: no device (QEMU without it): exit 1, saying so, module loaded or not" {
	session --smp 2 --no-detector "${SC_ARGS[@]}"
	gx "
		$HAVE_SC
		$(rc "$SC" status)
		modprobe vcpu_stall_detector || exit 1
		$(rc "$SC" status)
		$(rc "$SC" config)"
	assert_success
	assert_output "$NO_MODULE
stallctl: and there is no vCPU stall detector device: $NO_DEVICE
rc=1
stallctl: no vCPU stall detector device: $NO_DEVICE
rc=1
stallctl: no vCPU stall detector device: $NO_DEVICE
rc=1"
}
