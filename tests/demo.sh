#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# saatja's main job in one command, on a fresh Debian 12 as root: install
# the packages, build, start a local submission server (Postfix with
# Dovecot SASL on 127.0.0.1:2587, STARTTLS, a private CA), and send a
# cron job's mail through it as cron would, showing the SMTP dialogue and
# the message as the server received it. Nothing leaves this machine.
set -eu
SAATJA_TOP=$(cd "$(dirname "$0")/.." && pwd)
export SAATJA_TOP
. "$SAATJA_TOP/tests/lib/setup.sh"

build=$SAATJA_TOP/.build/default
mkdir -p "$build"
log=$build/demo-build.log
echo "== installing the packages that are missing (log: $log)"
saatja_install_packages >"$log" 2>&1 || { cat "$log"; exit 1; }
echo "== building saatja in $build"
saatja_build "$build" --enable-werror >>"$log" 2>&1 ||
	{ tail -40 "$log"; echo "the build failed; the whole log is $log" >&2; exit 1; }
sendmail=$build/sendmail/sendmail

echo "== starting the local submission server"
"$SAATJA_TOP/tests/server/mailserver.sh" start >>"$log" 2>&1 ||
	{ tail -20 "$log"; exit 1; }
eval "$("$SAATJA_TOP/tests/server/mailserver.sh" env)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/saatja.ini" <<INI
[saatja]
default = arved@firma.test
queue = $work/queue

[aliases]
root = it@firma.test

[arved@firma.test]
host = 127.0.0.1
port = $SAATJA_TEST_SUBMISSION_PORT
ca_file = $SAATJA_TEST_CA
password = arved-secret-1
INI
chmod 600 "$work/saatja.ini"

token=demo-$$-$(date +%s)
echo "== a cron job's mail, as cron hands it over:"
echo "   sendmail -FCronDaemon -i -B8BITMIME -oem root -v"
echo
rc=0
printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@%s> /usr/local/bin/backup\nX-Demo: %s\n\nbackup finished: 42 files\n' \
	"$(hostname)" "$token" |
	"$sendmail" -C "$work/saatja.ini" -FCronDaemon -i -B8BITMIME -oem root -v || rc=$?
echo
echo "== exit status $rc; what the server received:"
for i in $(seq 50); do
	file=$(grep -l "X-Demo: $token" "$SAATJA_TEST_MAILDIR"/*.eml 2>/dev/null | head -1) || true
	[ -n "$file" ] && break
	sleep 0.1
done
[ -n "$file" ] || { echo "the message did not arrive" >&2; exit 1; }
cat "${file%.eml}.env"
echo
cat "$file"
echo
echo "== the test server (Postfix and Dovecot) is still running; stop it with:"
echo "   tests/server/mailserver.sh stop"
