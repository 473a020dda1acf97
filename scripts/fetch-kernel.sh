#!/usr/bin/env bash
# Fetch Debian's arm64 kernel (image and modules) and its headers, with the
# amd64 linux-kbuild that runs on this host, from one suite; unpack them and
# make the headers usable from where they are.  Usage: fetch-kernel.sh
# [SUITE] [--headers-only].  Prints the unpacked root; $root/KVER holds the
# kernel release and $root/build is the kbuild tree.  VSD_KFLAVOUR picks
# Debian's flavour: arm64 (default) or rt-arm64 (PREEMPT_RT).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

suite=${1:-$VSD_KSUITE}
what=${2:-}
flavour=${VSD_KFLAVOUR:-arm64}
apt_private_init

# The metapackage's version in that suite names the ABI package.
dep_of() { # META -> concrete package name
	apt_private_cache show "$1:arm64" 2>/dev/null | awk -v want="$mver" '
		/^Version:/ { v = $2 }
		/^Depends:/ && v == want {
			n = split($0, d, /[ ,]+/)
			for (i = 2; i <= n; i++)
				if (d[i] ~ /^linux-(image|headers)-[0-9]/) { print d[i]; exit }
		}'
}
mver=$(apt_private_cache madison "linux-headers-$flavour" |
	awk -v s="$suite/main arm64" 'index($0, s) { print $3; exit }')
[ -n "$mver" ] || die "no $flavour kernel in $suite"
hdr=$(dep_of "linux-headers-$flavour")
[ -n "$hdr" ] || die "cannot resolve linux-headers-$flavour $mver"
kver=${hdr#linux-headers-}
abi=${kver%-"$flavour"}
root=$VSD_CACHE/kernel/$kver-${mver//[:~]/_}
[ "$what" = --headers-only ] || want_image=1

if [ -e "$root/.done" ] && { [ -z "${want_image:-}" ] || [ -e "$root/.image" ]; }; then
	printf '%s\n' "$root"
	exit 0
fi

kbuild_ver=$(apt_private_cache show "$hdr:arm64" | awk -v want="$mver" '
	/^Version:/ { v = $2 }
	/^Depends:/ && v == want { if (match($0, /linux-kbuild-[^ ,]+/)) print substr($0, RSTART, RLENGTH); exit }')
common=$(apt_private_cache show "$hdr:arm64" | awk -v want="$mver" '
	/^Version:/ { v = $2 }
	/^Depends:/ && v == want { if (match($0, /linux-headers-[^ ,]+-common[^ ,]*/)) print substr($0, RSTART, RLENGTH); exit }')
pkgs=("$hdr:arm64=$mver" "${kbuild_ver:-linux-kbuild-${abi%%+*}}:amd64")
[ -n "$common" ] && pkgs+=("$common")
[ -n "${want_image:-}" ] && pkgs+=("linux-image-$kver:arm64=$mver")

log "fetching ${pkgs[*]} from $suite"
dl=$root.dl
rm -rf "$dl"
mkdir -p "$dl" "$root"
(cd "$dl" && apt_private download -qq -t "$suite" "${pkgs[@]}" >/dev/null) ||
	die "download of ${pkgs[*]} failed"
for d in "$dl"/*.deb; do
	dpkg -x "$d" "$root"
done
rm -rf "$dl"

# The headers refer to themselves and to kbuild by absolute /usr paths.
build=$root/usr/src/linux-headers-$kver
grep -rlZ --include=Makefile '/usr/src/' "$build" "$root"/usr/src/*-common* 2>/dev/null |
	xargs -0r sed -i "s|/usr/src/|$root/usr/src/|g"
find "$root/usr/src" -maxdepth 2 -type l -print0 | while IFS= read -r -d '' l; do
	t=$(readlink "$l")
	case $t in
	/*) ln -sfn "$root$t" "$l" ;;
	esac
done
ln -sfn "$build" "$root/build"
echo "$kver" >"$root/KVER"
touch "$root/.done"
[ -n "${want_image:-}" ] && touch "$root/.image"
printf '%s\n' "$root"
