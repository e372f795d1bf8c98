#!/bin/bash
# SPDX-License-Identifier: MIT
# selftest.sh - check that the test servers themselves work (run by hand, as
# root; needs msmtp, gnutls-cli, openssl). Uses its own mailserver instance
# (state /tmp/saatja-selftest, ports 3587/3465 unless set) and stops it after.
#
#   tests/server/selftest.sh
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
export SAATJA_TEST_STATE=${SAATJA_TEST_STATE:-/tmp/saatja-selftest}
export SAATJA_TEST_SUBMISSION_PORT=${SAATJA_TEST_SUBMISSION_PORT:-3587}
export SAATJA_TEST_SMTPS_PORT=${SAATJA_TEST_SMTPS_PORT:-3465}
M=$HERE/mailserver.sh
W=$(mktemp -d /tmp/saatja-selftest-work.XXXXXX)
SP=
cleanup() { [ -n "$SP" ] && kill "$SP" 2>/dev/null; "$M" stop >/dev/null 2>&1; rm -rf "$W"; }
trap cleanup EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
expect() { local name=$1 pat=$2 out; shift 2; out=$("$@" 2>&1); echo "$out" | grep -qE "$pat" && ok "$name" || bad "$name: $out"; }

echo "# mailserver.sh"
t0=$(date +%s%N)
"$M" start || exit 1
echo "   (start took $((($(date +%s%N) - t0) / 1000000)) ms)"
eval "$("$M" env)"
send() { # port starttls user pass from rcpt file
	msmtp --host=127.0.0.1 --port="$1" --tls=on --tls-starttls="$2" --tls-trust-file="$SAATJA_TEST_CA" \
		--tls-host-override=localhost --auth=plain --user="$3" --passwordeval="printf %s '$4'" --from="$5" \
		--remove-bcc-headers=off --set-date-header=off --set-msgid-header=off --set-from-header=off \
		-- "$6" <"$7" 2>&1
}
find_tok() {
	local i f
	for i in $(seq 50); do
		f=$(grep -l "$1" "$SAATJA_TEST_MAILDIR"/*.eml 2>/dev/null | head -n1)
		[ -n "$f" ] && { echo "$f"; return; }
		sleep 0.1
	done
}
for pm in "$SAATJA_TEST_SUBMISSION_PORT on" "$SAATJA_TEST_SMTPS_PORT off"; do
	set -- $pm
	tok=tok-$RANDOM-$RANDOM
	printf 'From: info@firma.test\r\nTo: k@example.test\r\nBcc: hidden@example.test\r\nSubject: %s\r\n\r\nbody\r\n' "$tok" >"$W/m.eml"
	out=$(send "$1" "$2" info@firma.test 'p;a#s=s wõrd 2' info@firma.test k@example.test "$W/m.eml") &&
		ok "port $1 accepted" || bad "port $1: $out"
	f=$(find_tok "$tok")
	[ -n "$f" ] || { bad "port $1: not delivered"; continue; }
	env=${f%.eml}.env
	grep -qx 'from=<info@firma.test>' "$env" && grep -qx 'to=<k@example.test>' "$env" &&
		ok "port $1 envelope sidecar" || bad "sidecar: $(cat "$env")"
	grep -q '^Bcc: hidden@example.test' "$f" && ok "port $1 Bcc kept" || bad "port $1 Bcc removed"
	grep -qiE '^(Date|Message-ID):' "$f" && bad "port $1 Date/Message-ID added" || ok "port $1 no Date/Message-ID added"
done
expect "sender-login mismatch refused at RCPT" 'recipient address.*not accepted|553 5.7.1 <info@firma.test>: Sender address rejected: not owned' \
	send "$SAATJA_TEST_SUBMISSION_PORT" on arved@firma.test arved-secret-1 info@firma.test k@example.test "$W/m.eml"
expect "wrong password gets 535" '535 5.7.8' \
	send "$SAATJA_TEST_SUBMISSION_PORT" on arved@firma.test wrong arved@firma.test k@example.test "$W/m.eml"
expect "TLS 1.1 refused" 'alert|Fatal' sh -c "timeout 5 gnutls-cli --x509cafile=$SAATJA_TEST_CA --priority NORMAL:-VERS-ALL:+VERS-TLS1.1 -p $SAATJA_TEST_SMTPS_PORT localhost </dev/null"

echo "# faultserver.py"
cd "$W" || exit 1
echo '{}' >s.json
/usr/bin/python3 "$HERE/faultserver.py" --port 0 --certdir "$W/certs" --script s.json \
	--transcript t.log --maildir mail >out 2>err &
SP=$!
for i in $(seq 100); do grep -q ^PORT out && break; sleep 0.1; done
P=$(awk '/^PORT/{print $2}' out)
[ -n "$P" ] || { bad "faultserver did not start: $(cat err)"; exit 1; }
CA=$W/certs/ca.pem
printf 'Subject: x\r\n\r\nbody\r\n' >m.eml
S() { echo "$1" >s.json; : >t.log; }
ms() {
	timeout "${T:-15}" msmtp --host=127.0.0.1 --port="$P" --tls=on --tls-starttls="${ST:-on}" \
		--tls-trust-file="$CA" --tls-host-override=localhost --auth=plain --user=u@x.test \
		--passwordeval='echo pw' --from=u@x.test -- r@x.test <m.eml 2>&1
}
S '{}'; expect "good cert" '^$' ms
for m in untrusted selfsigned expired notyetvalid wrongname; do
	S "{\"cert\":\"$m\"}"; expect "cert $m refused" 'verification failed' ms
done
S '{"implicit_tls":true}'; ST=off expect "implicit TLS" '^$' ms
S '{"tls_min_version":"TLSv1.1","tls_max_version":"TLSv1.1"}'
expect "TLS 1.1 server + TLS 1.1 client" 'certificate is trusted' sh -c "timeout 5 gnutls-cli --starttls-proto=smtp --x509cafile=$CA --priority NORMAL:-VERS-ALL:+VERS-TLS1.1 -p $P localhost </dev/null"
grep -q '^-- TLS started TLSv1.1' t.log && ok "transcript says TLSv1.1" || bad "no TLSv1.1 in transcript"
expect "TLS 1.1 server + TLS>=1.2 client fails" 'alert|Fatal' sh -c "timeout 5 gnutls-cli --starttls-proto=smtp --x509cafile=$CA --priority NORMAL:-VERS-TLS1.1:-VERS-TLS1.0 -p $P localhost </dev/null"
S '{"strip_starttls":true}'; expect "strip_starttls" 'does not support TLS' ms
grep -q '^C: AUTH' t.log && bad "AUTH sent without TLS" || ok "no AUTH line in transcript"
S '{"greeting":{"stall":30}}'; T=2 expect "greeting stall (client gives up)" '^$' ms
grep -q 'greeting: stall 30' t.log && ok "stall noted" || bad "stall not noted"
S '{"ehlo":{"disconnect":true}}'; expect "disconnect" 'empty reply' ms
S '{"greeting":{"garbage":true}}'; expect "garbage" 'invalid reply' ms
S '{"ehlo":{"longline":102400}}'; expect "long line" 'invalid reply' ms
awk 'length($0) == 102407 && /^S: 250 xxx/ {f = 1} END {exit !f}' t.log && ok "long line in transcript" || bad "long line not in transcript"
S '{"auth":"535-5.7.8 Username and Password not accepted. For more information, go to\r\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials"}'
expect "multi-line 535" 'BadCredentials' ms
S '{"auth_before_tls":true,"require_auth":false}'
out=$(/usr/bin/python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', $P)); f = s.makefile('rb'); f.readline()
s.sendall(b'EHLO x\r\n')
while f.readline()[3:4] == b'-': pass
s.sendall(b'MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nRCPT TO:<c@x>\r\nDATA\r\n')
print(b' '.join(f.readline()[:3] for _ in range(4)).decode())
s.sendall(b'..stuffed\r\n.\r\nQUIT\r\n')
print(b' '.join(f.readline()[:3] for _ in range(2)).decode())")
[ "$out" = "250 250 250 354
250 221" ] && ok "pipelining" || bad "pipelining: $out"
grep -q '^D: \.stuffed$' t.log && ok "dot-unstuffing" || bad "dot-unstuffing"
[ "$fail" = 0 ] && echo "all passed" || echo "SOME FAILED"
exit $fail
