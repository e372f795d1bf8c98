#!/usr/bin/env bash
# saatja's main job in one command, on a fresh Debian 12 as root: install
# the packages, build, and pass a sample message through a sample
# configuration, printing what would be sent.
set -eu
SAATJA_TOP=$(cd "$(dirname "$0")/.." && pwd)
export SAATJA_TOP
. "$SAATJA_TOP/tests/lib/setup.sh"

saatja_install_packages
build=$SAATJA_TOP/.build/default
saatja_build "$build" --enable-werror
sendmail=$build/sendmail/sendmail

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -e 's/^password = .*/password = "demo password; not real"/' \
	"$SAATJA_TOP/conf/saatja.ini.example" >"$work/saatja.ini"
chmod 600 "$work/saatja.ini"

echo "== a cron job's mail, as cron hands it to sendmail:"
echo "   sendmail -FCronDaemon -i -B8BITMIME -oem root --dry-run"
echo
printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@%s> /usr/local/bin/backup\n\nbackup finished: 42 files\n' \
	"$(hostname)" |
	"$sendmail" -C "$work/saatja.ini" -FCronDaemon -i -B8BITMIME -oem root --dry-run
