# shellcheck shell=bash
# Shared settings for the build scripts: where the cache lives and how we
# reach Debian's archive for suites and architectures the host does not use.
# Sourced, never run.

VSD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VSD_CACHE=${VSD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vcpu-stall}
VSD_MIRROR=${VSD_MIRROR:-http://deb.debian.org/debian}
# The guest kernel series and the suite that carries it.
VSD_KSUITE=${VSD_KSUITE:-bookworm-backports}
VSD_KSERIES=${VSD_KSERIES:-6.12}
# The QEMU source package suite.
VSD_QSUITE=${VSD_QSUITE:-sid}
export VSD_ROOT VSD_CACHE

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# build_modules_w1 KROOT OUT: build-modules.sh with W=1, where any warning
# fails the build (the trees static.bats does not build against: the debug
# kernel's, the only one with the NMI path and fault injection, and the
# PREEMPT_RT kernel's).
build_modules_w1() {
	local kver out
	kver=$(cat "$1/KVER")
	out=$("$VSD_ROOT/scripts/build-modules.sh" "$1" "$2" W=1 2>&1) ||
		die "building the modules against $kver failed: $out"
	[ -z "$out" ] || die "W=1 warnings against $kver: $out"
}

# Hash of files' contents, directories' contents and strings: keys a cache
# entry by what produced it, wherever the clone is.
content_hash() {
	local f
	for f in "$@"; do
		if [ -d "$f" ]; then
			(cd "$f" && find . -type f ! -name '*.o' -print0 | LC_ALL=C sort -z |
				xargs -0 sha256sum)
		elif [ -f "$f" ]; then
			sha256sum <"$f"
		else
			printf '%s\n' "$f"
		fi
	done | sha256sum | cut -c1-16
}

# Private apt state: every suite we use, deb and deb-src, amd64 and arm64,
# without touching the host's sources.
APT_DIR=$VSD_CACHE/apt
apt_private_init() {
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/archives/partial" "$APT_DIR/parts"
	local s new
	# Test suites run side by side and each may get here: a file of its
	# own, renamed into place, and one update at a time.
	new=$(mktemp "$APT_DIR/sources.list.XXXXXX")
	for s in bookworm bookworm-backports trixie sid; do
		printf 'deb [arch=amd64,arm64] %s %s main\n' "$VSD_MIRROR" "$s"
		printf 'deb-src %s %s main\n' "$VSD_MIRROR" "$s"
	done >"$new"
	chmod 0644 "$new"
	mv "$new" "$APT_DIR/sources.list"
	# Refresh at most every 6 hours: versions move, but not that fast.  A
	# stamp of our own, as apt dates its lists by the archive's Release
	# file, which is often older than that right after an update.
	(
		flock 9
		if [ -z "$(find "$APT_DIR/updated" -mmin -360 2>/dev/null)" ]; then
			log "updating private apt lists"
			apt_private update -qq >/dev/null
			touch "$APT_DIR/updated"
		fi
	) 9>"$APT_DIR/update.lock"
}

apt_private() {
	apt-get -o Dir::State::Lists="$APT_DIR/lists" \
		-o Dir::Etc::SourceList="$APT_DIR/sources.list" \
		-o Dir::Etc::SourceParts="$APT_DIR/parts" \
		-o Dir::Cache::Archives="$APT_DIR/archives" \
		-o Dir::State::Status=/var/lib/dpkg/status \
		-o APT::Architectures::=amd64 -o APT::Architectures::=arm64 \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}

apt_private_cache() {
	apt-cache -o Dir::State::Lists="$APT_DIR/lists" \
		-o Dir::Etc::SourceList="$APT_DIR/sources.list" \
		-o Dir::Etc::SourceParts="$APT_DIR/parts" \
		-o APT::Architectures::=amd64 -o APT::Architectures::=arm64 "$@"
}

# qemu_tree_copy SRC TREE: TREE, a build tree of its own, a copy of SRC
# (once: a build reuses it).
qemu_tree_copy() {
	[ -e "$2/.copied" ] && return 0
	log "copying $1 to $2"
	rm -rf "$2"
	cp -a "$1" "$2"
	touch "$2/.copied"
}

# qemu_configure BUILD: configure the QEMU source above BUILD (an empty
# directory) as every build here does: qemu-system-aarch64 and the qtests,
# no GUI, Debian's libfdt; its log in BUILD/../configure.log.
qemu_configure() {
	(cd "$1" && ../configure --target-list=aarch64-softmmu \
		--python=/usr/bin/python3 --disable-docs --disable-download \
		--disable-werror --enable-fdt=system --disable-user \
		--disable-gtk --disable-sdl --disable-opengl --disable-vnc \
		--disable-spice --disable-curses --disable-xen \
		--disable-guest-agent --disable-install-blobs >"$1/../configure.log" 2>&1) ||
		{ tail -n 30 "$1/../configure.log" >&2; die "QEMU configure failed"; }
}

# patch_files PATCH...: the files the patches change, as QEMU's tree names
# them.
patch_files() {
	awk '/^\+\+\+ / { sub(/^b\//, "", $2); print $2 }' "$@"
}

# qemu_build TREE TARGET...: ninja TARGET... in TREE/build, its log in
# TREE/build.log; fails on a build error and on a warning in our files
# (QEMU builds with --disable-werror: Debian's source warns with newer
# compilers; what we add must not, on any version).
qemu_build() {
	local tree=$1
	shift
	ninja -C "$tree/build" "$@" >"$tree/build.log" 2>&1 ||
		{ grep -E -A5 'error|FAILED' "$tree/build.log" | head -n 60 >&2; die "QEMU build failed in $tree"; }
	if grep -E '(vcpu_stall|vcpu-stall)[^ ]*: warning:' "$tree/build.log" >&2; then
		die "the device's sources warn in $tree"
	fi
}
