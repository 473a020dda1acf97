#!/usr/bin/env bash
# Unpack Debian packages and everything they need into a tree, without
# installing anything: a guest's root files or a cross-compiler's sysroot.
#
#   fetch-debs.sh [--suite SUITE] [--arch ARCH] [--exclude PKG]... OUTDIR PKG...
#
# SUITE defaults to bookworm, ARCH to arm64.  The closure of PKG... over
# Depends and Pre-Depends is resolved from SUITE's Packages index for ARCH
# in the private apt lists (common.sh; nothing else: a -backports suite
# alone will not do), ignoring version constraints, which a single suite
# satisfies:
#   - of alternatives "a | b", one already chosen wins, else the first that
#     exists (is a package or is provided by one);
#   - a virtual package resolves to its first provider;
#   - excluded packages are left out with what only they pull in: the
#     --exclude PKGs and, by default, what only maintainer scripts and
#     package management use (DEFAULT_EXCLUDES below) unless named as a
#     PKG.  An alternative group whose choice is excluded is dropped.
# Each package is fetched at the exact version the index gives
# (apt-get download -t SUITE PKG:ARCH=VERSION) and unpacked with dpkg -x.
# No maintainer script runs.  The tree is then laid out as a bookworm
# system is: merged /usr (/bin, /sbin, /lib are symlinks into /usr), and
# every absolute symlink is made relative, so the tree works wherever it
# lies (e.g. as gcc --sysroot).
#
# The tree is cached in $VSD_CACHE/debs/HASH/root, HASH being that of the
# resolved PKG:ARCH=VERSION list (and of this script), so a new version in
# the index makes a new tree; HASH/packages lists them.  OUTDIR (created if missing, best empty or a previous output) gets
# a copy, merged over what it holds.  The cached root's path is printed on
# stdout: a caller that only reads the tree may use it instead of OUTDIR,
# and OUTDIR - skips the copy.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

# Needed only by maintainer scripts and package management.
DEFAULT_EXCLUDES=(debconf debconf-2.0 cdebconf perl-base dpkg install-info
	init-system-helpers sensible-utils)

usage() {
	sed -n '5p' "$0" | sed 's/^# *//' >&2
	exit 2
}

suite=bookworm arch=arm64
excludes=("${DEFAULT_EXCLUDES[@]}")
while [ $# -gt 0 ]; do
	case $1 in
	--suite) [ $# -ge 2 ] || usage; suite=$2; shift 2 ;;
	--arch) [ $# -ge 2 ] || usage; arch=$2; shift 2 ;;
	--exclude) [ $# -ge 2 ] || usage; excludes+=("$2"); shift 2 ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-) break ;; # OUTDIR -
	-*) die "unknown option '$1'" ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || usage
out=$1
shift
pkgs=("$@")

apt_private_init
# The index apt keeps for deb [arch=...] MIRROR SUITE main (apt-helper
# reads it whatever its compression).
index=$(find "$APT_DIR/lists" -maxdepth 1 \
	-name "*_dists_${suite}_main_binary-${arch}_Packages*" -print -quit)
[ -n "$index" ] || die "no $arch Packages index for $suite in $APT_DIR/lists"

# Prints "NAME ARCH VERSION" per package of the closure, sorted.
resolve() {
	/usr/lib/apt/apt-helper cat-file "$index" | awk -v roots="${pkgs[*]}" \
		-v excl="${excludes[*]}" '
	BEGIN { RS = ""; FS = "\n" }
	{
		name = ver = a = dep = pre = prov = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^Package: /) name = substr($i, 10)
			else if ($i ~ /^Version: /) ver = substr($i, 10)
			else if ($i ~ /^Architecture: /) a = substr($i, 15)
			else if ($i ~ /^Depends: /) dep = substr($i, 10)
			else if ($i ~ /^Pre-Depends: /) pre = substr($i, 14)
			else if ($i ~ /^Provides: /) prov = substr($i, 11)
		}
		if (name == "" || name in V) next
		V[name] = ver; A[name] = a
		D[name] = pre (pre != "" && dep != "" ? ", " : "") dep
		n = split(prov, p, /,/)
		for (i = 1; i <= n; i++) {
			pv = bare(p[i])
			if (!(pv in P)) P[pv] = name
			else P[pv] = P[pv] " " name
		}
	}
	# "name:any (>= 1)" -> "name"
	function bare(s) {
		sub(/\(.*/, "", s); gsub(/[ \t]/, "", s); sub(/:.*/, "", s)
		return s
	}
	# A real package for name: itself, a chosen provider, the first
	# provider; "" if none; "-" if excluded.
	function pick(name,    n, i, pp) {
		if (name in X) return "-"
		if (name in V) return name
		if (!(name in P)) return ""
		n = split(P[name], pp, / /)
		for (i = 1; i <= n; i++) if (pp[i] in S) return pp[i]
		for (i = 1; i <= n; i++) if (!(pp[i] in X)) return pp[i]
		return "-"
	}
	function satisfied(group,    n, i, alt) {
		n = split(group, alt, /\|/)
		for (i = 1; i <= n; i++) {
			if (bare(alt[i]) in S) return 1
			if (pick(bare(alt[i])) in S) return 1
		}
		return 0
	}
	function push(name) { if (!(name in S) && !(name in Q)) { Q[name] = 1; q[++tail] = name } }
	function drain(    name, n, i, g, c) {
		while (head <= tail) {
			name = q[head++]
			S[name] = 1
			n = split(D[name], g, /,/)
			for (i = 1; i <= n; i++) {
				if (g[i] ~ /\|/) { W[++nw] = g[i]; WF[nw] = name; continue }
				c = pick(bare(g[i]))
				if (c == "") printf "fetch-debs.sh: warning: %s: nothing provides %s\n", name, bare(g[i]) > "/dev/stderr"
				else if (c != "-") push(c)
			}
		}
	}
	END {
		head = 1; tail = 0
		n = split(excl, e, / /)
		for (i = 1; i <= n; i++) X[e[i]] = 1
		n = split(roots, r, / /)
		for (i = 1; i <= n; i++) delete X[r[i]]
		for (i = 1; i <= n; i++) {
			c = pick(r[i])
			if (c == "" || c == "-") { printf "fetch-debs.sh: error: no package %s\n", r[i] > "/dev/stderr"; exit 1 }
			push(c)
		}
		# Alternatives wait until everything else is in, so one already
		# chosen is preferred; then the first still unmet gets its first
		# existing alternative, and so on.
		do {
			drain()
			more = 0
			for (w = 1; w <= nw && !more; w++) {
				if (W[w] == "" || satisfied(W[w])) continue
				m = split(W[w], alt, /\|/)
				for (i = 1; i <= m; i++) {
					c = pick(bare(alt[i]))
					if (c != "") break
				}
				if (c == "") printf "fetch-debs.sh: warning: %s: nothing provides %s\n", WF[w], W[w] > "/dev/stderr"
				else if (c != "-") { push(c); more = 1 }
				W[w] = ""
			}
		} while (more)
		for (name in S) print name, A[name], V[name]
	}' | LC_ALL=C sort
}

list=$(resolve) || die "cannot resolve ${pkgs[*]} in $suite/$arch"
specs=()
while read -r name a ver; do
	if [ "$a" = all ]; then
		specs+=("$name=$ver")
	else
		specs+=("$name:$a=$ver")
	fi
done <<<"$list"

hash=$(content_hash "$0" "$(printf '%s\n' "${specs[@]}")")
dir=$VSD_CACHE/debs/$hash
if [ ! -e "$dir/.done" ]; then
	log "fetching ${#specs[@]} packages for ${pkgs[*]} ($suite, $arch)"
	tmp=$dir.tmp.$$
	rm -rf "$tmp"
	mkdir -p "$tmp/dl" "$tmp/root"
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp/dl" && apt_private download -qq -t "$suite" "${specs[@]}" >/dev/null) ||
		die "download of ${specs[*]} failed"
	for d in "$tmp"/dl/*.deb; do
		dpkg -x "$d" "$tmp/root"
	done
	rm -rf "$tmp/dl"
	# Merged /usr: first the relative symlinks that move make absolute,
	# then all absolute ones relative.
	r=$tmp/root
	top=()
	for d in bin sbin lib lib64; do
		[ -d "$r/$d" ] && top+=("$r/$d")
	done
	[ ${#top[@]} -eq 0 ] || find "${top[@]}" -type l ! -lname '/*' -print0 |
		while IFS= read -r -d '' l; do
			t=$(realpath -m -s --relative-to="$r" "$(dirname "$l")/$(readlink "$l")")
			ln -sfn "/$t" "$l"
		done
	for d in bin sbin lib lib64; do
		[ "$d" != lib64 ] || [ -d "$r/$d" ] || [ -d "$r/usr/$d" ] || continue
		mkdir -p "$r/usr/$d"
		if [ -d "$r/$d" ] && [ ! -L "$r/$d" ]; then
			cp -a "$r/$d/." "$r/usr/$d/"
			rm -rf "${r:?}/$d"
		fi
		ln -sfn "usr/$d" "$r/$d"
	done
	find "$r" -type l -lname '/*' -print0 | while IFS= read -r -d '' l; do
		t=$(readlink "$l")
		case $t in /bin/* | /sbin/* | /lib/* | /lib64/*) t=/usr$t ;; esac
		ln -sfn "$(realpath -m -s --relative-to="$(dirname "$l")" "$r$t")" "$l"
	done
	printf '%s\n' "${specs[@]}" >"$tmp/packages"
	touch "$tmp/.done"
	trap - EXIT
	mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp" # lost a race: same content
fi
if [ "$out" != - ]; then
	mkdir -p "$out"
	cp -a "$dir/root/." "$out/"
fi
printf '%s\n' "$dir/root"
