#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/deb/run.sh - builds saatja's Debian package and tests it, as root,
# in a fresh Debian 12 root: an MTA in place (exim4), then
# README's "Install on Debian/Ubuntu" steps literally (make deb, apt install
# ./saatja_*.deb, edit /etc/saatja.ini, sendmail --check), the modes, mail(1)
# and PHP's mail() as an unprivileged user delivered to the test Postfix on
# loopback (tests/server/mailserver.sh, started and stopped here if it does
# not run yet), the queue timer or cron line, apt purge, and exim4 again.
# lintian checks the package on the way.
#
# The minbase root comes from the cache that .ci/run uses too
# (tests/lib/minbase.sh).
# The root lives in ${SAATJA_DEB_TMP:-/var/tmp}/saatja-deb.XXXXXX with /proc,
# /dev, /dev/pts and the archive cache mounted into it; all of it is
# unmounted, every process in it killed and the root deleted on exit, also
# on failure or interrupt. Works nested, inside a chroot that has /proc
# and /dev mounted.
#
# Environment: SAATJA_DEB_MIRROR (default http://deb.debian.org/debian),
# SAATJA_DEB_BUILD (build directory, default $top/.build/deb),
# SAATJA_TEST_STATE / _SUBMISSION_PORT / _SMTPS_PORT as for mailserver.sh.
# Output: a "PASS: ..." or "FAIL: ..." line a check, then "N passed, N
# failed". Exit 0 when all passed.
set -u
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
SAATJA_MIRROR=${SAATJA_DEB_MIRROR:-${SAATJA_MIRROR:-http://deb.debian.org/debian}}
. "$top/tests/lib/minbase.sh"
archives=$SAATJA_CACHE/apt-archives
mirror=$SAATJA_MIRROR
build=${SAATJA_DEB_BUILD:-$top/.build/deb}
t0=$(date +%s)

passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { # check NAME COMMAND...: PASS or FAIL by the command's status
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}
finish() {
	echo "deb test: $(($(date +%s) - t0)) s"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
}
step() { echo "== $* ($(($(date +%s) - t0)) s)"; }

[ "$(id -u)" = 0 ] || { fail "must run as root"; finish; }
for t in debootstrap dpkg-buildpackage dh lintian flock; do
	command -v "$t" >/dev/null || { fail "$t is missing (tests/lib/setup.sh installs it)"; finish; }
done

# ------------------------------------------------------------- the root ----
R=
mounts=()
started_server=
cleanup() {
	set +e
	if [ -n "$started_server" ]; then
		"$top/tests/server/mailserver.sh" stop >/dev/null 2>&1
		started_server=
	fi
	[ -n "$R" ] || return
	# Every process whose root is in $R (a daemon a maintainer script
	# started despite policy-rc.d, a mail still being sent).
	local p left=1 i
	for i in 1 2 3 4 5; do
		left=0
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] || continue
			left=1
			kill -9 "${p#/proc/}" 2>/dev/null
		done
		[ "$left" = 0 ] && break
		sleep 0.2
	done
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		umount "${mounts[i]}" || umount -l "${mounts[i]}"
	done
	if grep -q " $R/" /proc/mounts; then
		echo "tests/deb: still mounted under $R, not deleting it:" >&2
		grep " $R/" /proc/mounts >&2
	else
		rm -rf "$R"
	fi
	R=
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mnt() { # mnt ARGS... TARGET: mount, and remember it for cleanup
	mount "$@" && mounts+=("${!#}")
}

# in_root CMD...: run a shell command line as root in the root.
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root LC_ALL=C DEBIAN_FRONTEND=noninteractive /bin/sh -c "$*"; }
# as_user CMD...: the same as the unprivileged user "tester".
as_user() { chroot "$R" /usr/bin/setpriv --reuid=tester --regid=tester --init-groups \
	/usr/bin/env -i PATH=/usr/bin:/bin HOME=/home/tester LC_ALL=C /bin/sh -c "$*"; }

# ------------------------------------------------------------ the build ----
step "make deb"
[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi >/dev/null 2>&1)
rm -rf "$build"
mkdir -p "$build"
# The unit tests run in tests/run-all.sh already: not again in the package.
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-nocheck parallel=2}
if (cd "$build" && "$top/configure" -q && make -s deb) >"$build.log" 2>&1 &&
	deb=$(ls "$build"/saatja_*.deb 2>/dev/null) && [ -f "$deb" ]; then
	pass "make deb builds $(basename "$deb")"
else
	tail -40 "$build.log"
	fail "make deb"
	finish
fi

step "lintian"
lintian --info --display-info --fail-on error,warning "$build"/saatja_*.changes >"$build/lintian.out" 2>&1
lrc=$?
cat "$build/lintian.out"
check "lintian: no error or warning" [ "$lrc" = 0 ]

# ------------------------------------------------------------- the root ----
step "unpack the minbase root"
R=$(mktemp -d "${SAATJA_DEB_TMP:-/var/tmp}/saatja-deb.XXXXXX")
saatja_minbase_unpack "$R" || { fail "a minbase root from $saatja_minbase_tarball"; finish; }
mkdir -p "$archives/partial"
mnt -t proc proc "$R/proc" && mnt --bind /dev "$R/dev" && mnt --bind /dev/pts "$R/dev/pts" &&
	mnt --bind "$archives" "$R/var/cache/apt/archives" ||
	{ fail "mount /proc, /dev and the archive cache into the root"; finish; }
cat /etc/resolv.conf >"$R/etc/resolv.conf"
# No daemon may start in the root (exim4 would listen on the host's port 25).
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"
echo "deb $mirror bookworm main" >"$R/etc/apt/sources.list"
echo 'Acquire::Languages "none";' >"$R/etc/apt/apt.conf.d/99saatja-test"
# apt downloads as its own user, _apt, into the shared archive cache.
chroot "$R" chown _apt:root /var/cache/apt/archives/partial

# The test Postfix on the shared loopback, and its CA for the root.
# Stopped again on exit only if this script started it.
"$top/tests/server/mailserver.sh" status >/dev/null 2>&1 || started_server=1
"$top/tests/server/mailserver.sh" start >"$build/mailserver.out" 2>&1 ||
	{ cat "$build/mailserver.out"; fail "start tests/server/mailserver.sh"; finish; }
eval "$("$top/tests/server/mailserver.sh" env)"
install -D -m 644 "$SAATJA_TEST_CA" "$R/etc/ssl/saatja-test-ca.pem"

# ca-certificates too, as on any server that fetches over HTTPS: it is a
# Recommends of libcurl3-gnutls (the OAuth2 helper's), and what its
# postinst generates (/etc/ssl/certs) belongs to no package, so it must be
# there before the listing that the purge is compared with.
step "an MTA first: exim4-daemon-light, cron, mdadm, bsd-mailx, php-cli, ca-certificates"
if in_root "apt-get -q update && apt-get install -y -q --no-install-recommends \
		exim4-daemon-light cron mdadm bsd-mailx php-cli ca-certificates" >"$build/apt-exim.out" 2>&1 &&
	in_root "dpkg -s exim4-daemon-light" 2>/dev/null | grep -q '^Status: install ok installed'; then
	pass "exim4-daemon-light installed in a fresh bookworm minbase root"
else
	tail -30 "$build/apt-exim.out"
	fail "install exim4-daemon-light in the root"
	finish
fi
in_root "useradd -m -s /bin/sh tester"
cp "$deb" "$R/root/"

# All files of the root but the package system's state, caches and logs.
listing() {
	(cd "$R" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./sys \
		-o -path ./run -o -path ./tmp -o -path ./var/tmp -o -path ./var/cache/apt \
		-o -path ./var/lib/apt -o -path ./var/lib/dpkg -o -path ./var/log \
		-o -path ./var/cache/debconf -o -path ./var/cache/ldconfig \) -prune -o -print) | sort
}
listing >"$build/files-before"

# --------------------------------------------------- README, literally ----
step "apt install ./saatja_*.deb"
in_root "cd /root && apt install -y ./$(basename "$deb")" </dev/null >"$build/apt-saatja.out" 2>&1
arc=$?
sed -n '/^The following packages will be REMOVED/,/^[0-9]* upgraded/p' "$build/apt-saatja.out"
installed() { in_root "dpkg -s $1" 2>/dev/null | grep -q '^Status: install ok installed'; }
if [ "$arc" = 0 ] && installed saatja && ! installed exim4-daemon-light; then
	pass "apt install ./saatja_*.deb replaces exim4-daemon-light"
else
	tail -30 "$build/apt-saatja.out"
	fail "apt install ./saatja_*.deb"
	finish
fi
check "cron, mdadm and bsd-mailx stay installed" eval 'installed cron && installed mdadm && installed bsd-mailx'

mode() { in_root "stat -c '%a %U:%G' $1" 2>/dev/null; }
check "/usr/sbin/sendmail is 2755 root:saatja ($(mode /usr/sbin/sendmail))" \
	[ "$(mode /usr/sbin/sendmail)" = "2755 root:saatja" ]
check "/var/spool/saatja is 2770 root:saatja ($(mode /var/spool/saatja))" \
	[ "$(mode /var/spool/saatja)" = "2770 root:saatja" ]
check "/etc/saatja.ini is 640 root:saatja ($(mode /etc/saatja.ini))" \
	[ "$(mode /etc/saatja.ini)" = "640 root:saatja" ]
links_ok() {
	local l
	for l in /usr/lib/sendmail /usr/bin/mailq /usr/sbin/newaliases; do
		[ "$(in_root "readlink -f $l")" = /usr/sbin/sendmail ] || { echo "$l: $(in_root "ls -l $l")"; return 1; }
	done
}
check "/usr/lib/sendmail, /usr/bin/mailq and /usr/sbin/newaliases lead to /usr/sbin/sendmail" links_ok
check "the statoverride is registered" eval \
	'[ "$(in_root "dpkg-statoverride --list /usr/sbin/sendmail")" = "root saatja 2755 /usr/sbin/sendmail" ]'

# Edit /etc/saatja.ini (its owner and mode stay), then sendmail --check.
cat >"$R/etc/saatja.ini" <<EOF
[saatja]
default = arved@firma.test

[aliases]
root = ops@example.test

[arved@firma.test]
host = 127.0.0.1
port = $SAATJA_TEST_SUBMISSION_PORT
tls = starttls
ca_file = /etc/ssl/saatja-test-ca.pem
password = "arved-secret-1"
EOF
in_root "sendmail --check" >"$build/check.out" 2>&1
crc=$?
sed -e 's/arved-secret-1/[password]/g' "$build/check.out" | tail -15
check "sendmail --check passes against the test server" [ "$crc" = 0 ]

# ------------------------------------------ mail as an unprivileged user ----
step "mail(1) and PHP's mail() as user tester"
check "user tester cannot read /etc/saatja.ini" eval '! as_user "cat /etc/saatja.ini" >/dev/null 2>&1'
token=deb$$x$(date +%s)
as_user "echo 'from mail(1) in the package test' | mail -s 'mail $token' root" >"$build/mail.out" 2>&1
mrc=$?
as_user "php -r 'exit(mail(\"php@example.test\", \"php $token\", \"from PHP in the package test\") ? 0 : 1);'" \
	>"$build/php.out" 2>&1
prc=$?
cat "$build/mail.out" "$build/php.out"
# delivered SUBJECT FROM TO: the captured message with that subject has
# that envelope (waits up to 60 s for it).
delivered() {
	local i f env
	for i in $(seq 1 120); do
		f=$(grep -l "^Subject: $1\$" "$SAATJA_TEST_MAILDIR"/*.eml 2>/dev/null | head -1)
		[ -n "$f" ] && break
		sleep 0.5
	done
	[ -n "$f" ] || { echo "no message with Subject: $1 in $SAATJA_TEST_MAILDIR"; return 1; }
	env=${f%.eml}.env
	grep -qx "from=<$2>" "$env" && grep -qx "to=<$3>" "$env" ||
		{ echo "envelope of $f:"; cat "$env"; return 1; }
}
check "mail -s ... root as tester: exit 0, at the server from arved@firma.test to ops@example.test" \
	eval '[ "$mrc" = 0 ] && delivered "mail $token" arved@firma.test ops@example.test'
check "php mail() as tester: true, at the server from arved@firma.test to php@example.test" \
	eval '[ "$prc" = 0 ] && delivered "php $token" arved@firma.test php@example.test'
check "mailq as tester: the queue is empty" eval '[ "$(as_user mailq 2>&1)" = "Mail queue is empty" ]'

# ------------------------------------------------------------ upgrade ----
# Installing the package again (as an upgrade does) keeps the edited
# configuration and an administrator's own statoverride.
step "apt install --reinstall, with an administrator's statoverride"
sum_before=$(md5sum <"$R/etc/saatja.ini")
in_root "dpkg-statoverride --remove /usr/sbin/sendmail &&
	dpkg-statoverride --update --add root saatja 2750 /usr/sbin/sendmail"
in_root "cd /root && apt install -y --reinstall ./$(basename "$deb")" </dev/null >"$build/apt-reinstall.out" 2>&1 ||
	{ tail -20 "$build/apt-reinstall.out"; fail "apt install --reinstall ./saatja_*.deb"; }
check "a reinstall keeps the edited /etc/saatja.ini and its mode" \
	eval '[ "$(md5sum <"$R/etc/saatja.ini")" = "$sum_before" ] && [ "$(mode /etc/saatja.ini)" = "640 root:saatja" ]'
check "a reinstall keeps the administrator's statoverride ($(mode /usr/sbin/sendmail))" \
	eval '[ "$(mode /usr/sbin/sendmail)" = "2750 root:saatja" ]'
in_root "dpkg-statoverride --remove /usr/sbin/sendmail &&
	dpkg-statoverride --update --add root saatja 2755 /usr/sbin/sendmail"

# ------------------------------------------------------ timer, cron line ----
timer_enabled() {
	if [ -x "$R/bin/systemctl" ] || [ -x "$R/usr/bin/systemctl" ]; then
		[ "$(in_root "systemctl is-enabled saatja-queue.timer")" = enabled ]
	else
		[ "$(readlink "$R/etc/systemd/system/timers.target.wants/saatja-queue.timer")" = \
			/lib/systemd/system/saatja-queue.timer ] &&
			[ -f "$R/lib/systemd/system/saatja-queue.timer" ]
	fi
}
check "saatja-queue.timer is enabled" timer_enabled
check "/etc/cron.d/saatja runs sendmail -q where systemd is not PID 1" \
	grep -q '^\*/5 .*root.*/run/systemd/system.*/usr/sbin/sendmail -q --due' "$R/etc/cron.d/saatja"

# ---------------------------------------------------------------- purge ----
step "apt purge saatja"
# The package's own files and links, from the .deb.
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' >"$build/saatja-files"
in_root "apt purge -y saatja" </dev/null >"$build/apt-purge.out" 2>&1 ||
	{ tail -20 "$build/apt-purge.out"; fail "apt purge saatja"; }
listing >"$build/files-after"
# New since before the install: only the group's backup files, and the
# files of the libraries saatja pulled in (still installed: dpkg knows
# their owner).
comm -13 "$build/files-before" "$build/files-after" | sed -e 's/^\.//' |
	grep -v -x -e /etc/group- -e /etc/gshadow- >"$build/files-new"
: >"$build/files-unowned"
if [ -s "$build/files-new" ]; then
	(tr '\n' '\0' <"$build/files-new" |
		chroot "$R" xargs -0 dpkg-query -S 2>&1 >/dev/null) |
		sed -n 's/^dpkg-query: no path found matching pattern //p' >"$build/files-unowned.raw"
	# With the merged /usr, dpkg knows a library that its package ships
	# in /lib (libexpat1's) by that name only.
	while read -r f; do
		case $f in
		/usr/lib/*|/usr/bin/*|/usr/sbin/*)
			chroot "$R" dpkg-query -S "${f#/usr}" >/dev/null 2>&1 && continue ;;
		esac
		echo "$f"
	done <"$build/files-unowned.raw" >"$build/files-unowned"
fi
left=$(while read -r f; do
	if [ -L "$R$f" ] || [ -e "$R$f" ]; then echo "$f"; fi
done <"$build/saatja-files")
check "apt purge saatja leaves no file behind" eval \
	'[ ! -s "$build/files-unowned" ] && [ -z "$left" ] || { cat "$build/files-unowned"; echo "$left"; false; }'
check "no statoverride on /usr/sbin/sendmail is left" \
	eval '[ -z "$(in_root "dpkg-statoverride --list /usr/sbin/sendmail")" ]'
check "the group saatja stays" eval 'in_root "getent group saatja" >/dev/null'

step "exim4 again"
if in_root "apt-get install -y -q --no-install-recommends exim4-daemon-light" \
		>"$build/apt-exim2.out" 2>&1 && installed exim4-daemon-light; then
	pass "exim4-daemon-light installs again: $(in_root "dpkg -S /usr/sbin/sendmail"), $(in_root "stat -L -c %a:%U:%G /usr/sbin/sendmail")"
else
	tail -20 "$build/apt-exim2.out"
	fail "install exim4-daemon-light again"
fi

cleanup
finish
