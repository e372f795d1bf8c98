# SPDX-License-Identifier: MIT
# A fresh Debian 12 minimal root for .ci/run and tests/deb/run.sh. Sourced.
#
#   ${SAATJA_CACHE:-/var/cache/saatja}/bookworm-minbase.tar.gz
#     a gzip'd tar (numeric owners, paths relative to the root) of a
#     finished `debootstrap --variant=minbase bookworm ROOT MIRROR` root,
#     nothing added. Made when missing, under flock on the same name +
#     ".lock"; delete it to refresh.
#   ${SAATJA_CACHE:-/var/cache/saatja}/apt-archives/
#     the .deb files apt downloads inside such roots, bind-mounted as their
#     /var/cache/apt/archives so that a warm run downloads only the lists
#     (installing still happens afresh in every root).

SAATJA_CACHE=${SAATJA_CACHE:-/var/cache/saatja}
SAATJA_MIRROR=${SAATJA_MIRROR:-http://deb.debian.org/debian}
saatja_minbase_tarball=$SAATJA_CACHE/bookworm-minbase.tar.gz

# saatja_minbase_make: the cached tarball, made by debootstrap if missing.
# Non-zero (with debootstrap's last lines on stderr) when that fails.
saatja_minbase_make() {
	local d rc=0
	mkdir -p "$SAATJA_CACHE/apt-archives/partial" || return 1
	exec 8>"$saatja_minbase_tarball.lock"
	flock -w 900 8 || { echo "cannot lock $saatja_minbase_tarball.lock" >&2; exec 8>&-; return 1; }
	if [ ! -s "$saatja_minbase_tarball" ]; then
		echo "== debootstrap --variant=minbase bookworm (cached in $saatja_minbase_tarball)"
		d=$(mktemp -d /var/tmp/saatja-debootstrap.XXXXXX)
		if debootstrap --variant=minbase bookworm "$d" "$SAATJA_MIRROR" >"$d.log" 2>&1; then
			chmod 755 "$d" # mktemp's 0700 would become the root's mode
			rm -f "$d"/var/cache/apt/archives/*.deb
			tar -C "$d" --numeric-owner -czf "$saatja_minbase_tarball.tmp" . &&
				mv "$saatja_minbase_tarball.tmp" "$saatja_minbase_tarball" || rc=1
		else
			tail -20 "$d.log" >&2
			rc=1
		fi
		rm -rf --one-file-system "$d" "$d.log"
	fi
	exec 8>&-
	[ "$rc" = 0 ] && [ -s "$saatja_minbase_tarball" ]
}

# saatja_minbase_unpack DIR: a fresh root in DIR (empty), from the tarball.
saatja_minbase_unpack() {
	saatja_minbase_make || return 1
	tar -C "$1" --numeric-owner -xzf "$saatja_minbase_tarball" || return 1
	# A root that is not 0755 locks out every program that drops root
	# (Postfix's master opening its lock as postfix, exim4 reading passwd).
	chmod 755 "$1"
}
