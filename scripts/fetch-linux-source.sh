#!/usr/bin/env bash
# Fetch Debian's linux-source for the guest kernel series and unpack the
# parts of it we run: scripts/checkpatch.pl with its data files, and the YNL
# tools (tools/net/ynl, Documentation/netlink).  The source tarball stays in
# the cache for later kernel builds.  Prints the unpacked root.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

apt_private_init
pkg=linux-source-$VSD_KSERIES
ver=$(apt_private_cache madison "$pkg" |
	awk -v s="$VSD_KSUITE/main" 'index($0, s) { print $3; exit }')
[ -n "$ver" ] || die "no $pkg in $VSD_KSUITE"
dir=$VSD_CACHE/linux-source/${ver//[:~]/_}
if [ ! -e "$dir/.unpacked" ]; then
	log "fetching $pkg $ver"
	rm -rf "$dir"
	mkdir -p "$dir/dl"
	(cd "$dir/dl" && apt_private download -qq "$pkg=$ver" >/dev/null)
	dpkg -x "$dir"/dl/*.deb "$dir/dl/root"
	mv "$dir"/dl/root/usr/src/linux-source-*.tar.* "$dir/"
	rm -rf "$dir/dl"
	tarball=$(find "$dir" -maxdepth 1 -name 'linux-source-*.tar.*' -print -quit)
	top=linux-source-$VSD_KSERIES
	tar -C "$dir" -xf "$tarball" --strip-components=1 --wildcards \
		"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch" \
		"$top/tools/net/ynl/*" "$top/Documentation/netlink/*"
	# ynl-gen-c.py finds the tree's root by its MAINTAINERS file.
	touch "$dir/MAINTAINERS" "$dir/.unpacked"
fi
printf '%s\n' "$dir"
