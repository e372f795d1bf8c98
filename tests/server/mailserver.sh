#!/bin/bash
# SPDX-License-Identifier: MIT
# mailserver.sh - a private Postfix + Dovecot(SASL) submission server on
# loopback, for saatja's integration tests.
#
#   tests/server/mailserver.sh start|stop|restart|status|env
#
# Everything lives under ${SAATJA_TEST_STATE:-/tmp/saatja-test-server}: its own
# Postfix config_directory, queue_directory and data_directory, its own Dovecot
# config and base_dir, a private CA, and the captured mail. /etc/postfix/main.cf
# is neither read nor written (a "No configuration" install has none).
#
# Ports (loopback only):
#   ${SAATJA_TEST_SUBMISSION_PORT:-2587}  STARTTLS required, then AUTH
#   ${SAATJA_TEST_SMTPS_PORT:-2465}       implicit TLS (wrapper mode), then AUTH
#   ${SAATJA_TEST_OAUTH_PORT:-SUBMISSION+1}  the OAuth2 token service (HTTPS,
#                                         oauthserver.py), for XOAUTH2 and
#                                         OAUTHBEARER accounts
#   ${SAATJA_TEST_OAUTH_CONTROL_PORT:-SUBMISSION+2}  its introspection (asked by
#                                         Dovecot) and test controls, plain HTTP
#
# Every accepted message, whatever the recipient domain, is delivered by a
# pipe(8) service "capture" into $STATE/mail/ as one pair of files per
# recipient (see README.md):
#   <id>.env  lines "queue_id=...", "from=<sender>", "to=<recipient>"
#   <id>.eml  the message as Postfix delivered it (LF line ends; Postfix's own
#             Received: header on top, nothing else added)
# The .env file is renamed into place before the .eml file, so whoever sees an
# .eml can read its .env.
#
# Must run as root (Postfix and Dovecot masters need it).

set -eu
umask 022

HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${SAATJA_TEST_STATE:-/tmp/saatja-test-server}
SUBMISSION_PORT=${SAATJA_TEST_SUBMISSION_PORT:-2587}
SMTPS_PORT=${SAATJA_TEST_SMTPS_PORT:-2465}
OAUTH_PORT=${SAATJA_TEST_OAUTH_PORT:-$((SUBMISSION_PORT + 1))}
OAUTH_CONTROL_PORT=${SAATJA_TEST_OAUTH_CONTROL_PORT:-$((SUBMISSION_PORT + 2))}
USERS_FILE=${SAATJA_TEST_USERS:-$HERE/users}
case $USERS_FILE in /*) ;; *) USERS_FILE=$PWD/$USERS_FILE;; esac

PF_CONF=$STATE/postfix          # postfix config_directory (main.cf, master.cf)
PF_QUEUE=$STATE/queue           # queue_directory
PF_DATA=$STATE/data             # data_directory
DC_DIR=$STATE/dovecot           # dovecot.conf, passwd
DC_CONF=$DC_DIR/dovecot.conf
DC_BASE=$DC_DIR/run             # dovecot base_dir (sockets, master.pid)
AUTH_SOCKET=$DC_BASE/auth-postfix
TLS_DIR=$STATE/tls
CA=$STATE/ca.pem
MAILDIR=$STATE/mail
MAILLOG=$STATE/maillog
DOVECOT_LOG=$STATE/dovecot.log
CAPTURE=$STATE/bin/capture
OAUTH_SERVER=$STATE/bin/oauthserver.py
OAUTH_PID=$STATE/oauth.pid
OAUTH_LOG=$STATE/oauth.log

# The test world (testnet.py: DNS, HTTPS autoconfig, Postfix on the standard
# ports of 127.0.0.25 ...): SAATJA_TEST_WORLD=1 enables it for this state,
# =0 disables it; unset keeps what the state had.
WORLD_FLAG=$STATE/world.enabled
TESTNET=$HERE/testnet.py
world_enabled() {
	case ${SAATJA_TEST_WORLD:-} in 1) return 0;; 0) return 1;; esac
	[ -e "$WORLD_FLAG" ]
}

prog=${0##*/}
die() { echo "$prog: error: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }

need_root() {
	[ "$(id -u)" = 0 ] || die "must run as root (Postfix and Dovecot masters need it)"
}

need_tools() {
	local t
	for t in postfix postconf dovecot certtool openssl flock python3; do
		command -v "$t" >/dev/null 2>&1 ||
			die "'$t' not found; install: apt-get install postfix dovecot-core gnutls-bin openssl util-linux"
	done
	# postfix lives in /usr/sbin, which a non-login root shell may lack.
}

check_ports() {
	local p
	for p in "$SUBMISSION_PORT" "$SMTPS_PORT" "$OAUTH_PORT" "$OAUTH_CONTROL_PORT"; do
		case $p in ''|*[!0-9]*) die "port '$p' is not a number";; esac
		[ "$p" -ge 1 ] && [ "$p" -le 65535 ] || die "port $p out of range"
	done
	[ "$(printf '%s\n' "$SUBMISSION_PORT" "$SMTPS_PORT" "$OAUTH_PORT" "$OAUTH_CONTROL_PORT" | sort -u | wc -l)" = 4 ] ||
		die "the ports must differ: submission $SUBMISSION_PORT, smtps $SMTPS_PORT, oauth $OAUTH_PORT, oauth control $OAUTH_CONTROL_PORT"
}

# Unix socket paths are limited to 108 bytes; Postfix's are under $PF_QUEUE.
check_state_path() {
	case $STATE in /*) ;; *) die "SAATJA_TEST_STATE must be an absolute path (got '$STATE')";; esac
	case $STATE in *[[:space:]]*|*,*|*'$'*) die "SAATJA_TEST_STATE must not contain spaces, ',' or '\$' (Postfix config syntax)";; esac
	[ ${#STATE} -le 60 ] || die "SAATJA_TEST_STATE is too long for unix socket paths (max 60 chars): $STATE"
}

# ---------------------------------------------------------------- lock ----
# start/stop/restart serialise on a lock file, so parallel test runs that all
# call "start" do not race each other.
take_lock() {
	mkdir -p "$STATE"
	chmod 755 "$STATE"
	exec 9>"$STATE/.lock"
	flock -w 180 9 || die "could not lock $STATE/.lock within 180 s (another start/stop hung?)"
}

# ---------------------------------------------------------------- TLS -----
make_certs() {
	if [ -s "$CA" ] && [ -s "$TLS_DIR/server.pem" ] && [ -s "$TLS_DIR/server-key.pem" ]; then
		return 0
	fi
	note "creating private CA and server certificate in $TLS_DIR"
	rm -rf "$TLS_DIR"
	mkdir -p "$TLS_DIR"
	chmod 755 "$TLS_DIR"
	cat >"$TLS_DIR/ca.tmpl" <<-'EOF'
		cn = "saatja test CA"
		organization = "saatja tests"
		serial = 1
		expiration_days = 3650
		ca
		cert_signing_key
		crl_signing_key
	EOF
	cat >"$TLS_DIR/server.tmpl" <<-'EOF'
		cn = "localhost"
		organization = "saatja tests"
		serial = 2
		expiration_days = 3650
		dns_name = "localhost"
		ip_address = "127.0.0.1"
		tls_www_server
		signing_key
		encryption_key
	EOF
	certtool --generate-privkey --key-type=rsa --bits=2048 --outfile "$TLS_DIR/ca-key.pem" 2>/dev/null
	certtool --generate-self-signed --load-privkey "$TLS_DIR/ca-key.pem" \
		--template "$TLS_DIR/ca.tmpl" --outfile "$TLS_DIR/ca.pem" 2>/dev/null
	certtool --generate-privkey --key-type=rsa --bits=2048 --outfile "$TLS_DIR/server-key.pem" 2>/dev/null
	certtool --generate-certificate --load-privkey "$TLS_DIR/server-key.pem" \
		--load-ca-certificate "$TLS_DIR/ca.pem" --load-ca-privkey "$TLS_DIR/ca-key.pem" \
		--template "$TLS_DIR/server.tmpl" --outfile "$TLS_DIR/server.pem" 2>/dev/null
	chmod 600 "$TLS_DIR/ca-key.pem" "$TLS_DIR/server-key.pem"
	chmod 644 "$TLS_DIR/ca.pem" "$TLS_DIR/server.pem"
	cp "$TLS_DIR/ca.pem" "$CA.tmp" && mv "$CA.tmp" "$CA"
}

# -------------------------------------------------------------- configs ---
# Each config file is written to FILE.new and only replaced when different;
# CHANGED=1 records that a running server must be restarted to pick it up.
CHANGED=0
install_file() { # install_file MODE FILE  (content on stdin)
	local mode=$1 f=$2
	cat >"$f.new"
	chmod "$mode" "$f.new"
	if [ -f "$f" ] && cmp -s "$f" "$f.new"; then
		rm -f "$f.new"
	else
		mv "$f.new" "$f"
		CHANGED=1
	fi
}

# Reads $USERS_FILE (ADDRESS<TAB>PASSWORD) and calls "$1 ADDRESS PASSWORD".
each_user() {
	local cb=$1 line addr pw n=0 tab=$'\t'
	[ -r "$USERS_FILE" ] || die "users file $USERS_FILE not readable"
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in ''|'#'*) continue;; esac
		case $line in *"$tab"*) ;; *) die "$USERS_FILE: line without TAB: $line";; esac
		addr=${line%%"$tab"*}
		pw=${line#*"$tab"}
		case $addr in
		*@*) ;;
		*) die "$USERS_FILE: '$addr' is not an address";;
		esac
		case $addr in *[[:space:]:]*) die "$USERS_FILE: address '$addr' has a space or ':'";; esac
		[ -n "$pw" ] || die "$USERS_FILE: empty password for $addr"
		"$cb" "$addr" "$pw"
		n=$((n + 1))
	done <"$USERS_FILE"
	[ "$n" -gt 0 ] || die "$USERS_FILE holds no users"
}

passwd_line() {
	# Dovecot passwd-file splits fields on ':'. A password that holds ':' (or
	# starts/ends with white space) is stored base64-encoded ({PLAIN.b64});
	# all others plainly as {PLAIN}, so the file is easy to read.
	case $2 in
	*:*|[[:space:]]*|*[[:space:]]) printf '%s:{PLAIN.b64}%s::::::\n' "$1" "$(printf '%s' "$2" | base64 -w0)";;
	*) printf '%s:{PLAIN}%s::::::\n' "$1" "$2";;
	esac
}
login_map_line() { printf '%s %s\n' "$1" "$1"; }

write_configs() {
	mkdir -p "$PF_CONF" "$PF_QUEUE" "$PF_DATA" "$DC_DIR" "$DC_BASE" "$DC_DIR/state" \
		"$STATE/bin" "$MAILDIR"
	chmod 755 "$PF_CONF" "$DC_DIR" "$STATE/bin"
	# The capture pipe runs as nobody and writes here.
	chown nobody:nogroup "$MAILDIR"
	chmod 755 "$MAILDIR"
	chown postfix "$PF_DATA"
	chmod 700 "$PF_DATA"
	# Postfix wants its queue_directory root-owned; postfix-script creates the
	# subdirectories with the right owners on start.
	chown root:root "$PF_QUEUE"
	chmod 755 "$PF_QUEUE"

	# ---- capture script (run by pipe(8) as nobody) ----
	install_file 755 "$CAPTURE" <<-'EOF'
		#!/bin/sh
		# Postfix pipe(8) delivery for the saatja test server.
		# argv: MAILDIR QUEUE_ID SENDER RECIPIENT...; message on stdin.
		# Writes MAILDIR/<id>.env (queue_id=, from=<>, to=<> a recipient)
		# then MAILDIR/<id>.eml.
		# Exit 75 (EX_TEMPFAIL) on any failure so Postfix retries.
		set -u
		umask 022
		dir=$1 qid=$2 from=$3
		shift 3
		id=$(date +%Y%m%dT%H%M%S.%N)-$qid-$$
		tmp=$dir/.tmp-$id
		trap 'rm -f "$tmp.eml" "$tmp.env"; exit 75' HUP INT TERM
		cat >"$tmp.eml" || { rm -f "$tmp.eml"; exit 75; }
		{ printf 'queue_id=%s\nfrom=<%s>\n' "$qid" "$from" &&
		  printf 'to=<%s>\n' "$@"; } >"$tmp.env" &&
		mv "$tmp.env" "$dir/$id.env" &&
		mv "$tmp.eml" "$dir/$id.eml" || { rm -f "$tmp.eml" "$tmp.env" "$dir/$id.env"; exit 75; }
		exit 0
	EOF

	# ---- Postfix ----
	install_file 644 "$PF_CONF/main.cf" <<-EOF
			# Generated by tests/server/mailserver.sh; edits are overwritten.
			# Loosely based on /usr/share/postfix/main.cf.debian.
			compatibility_level = 3.6
			config_directory = $PF_CONF
			queue_directory = $PF_QUEUE
			data_directory = $PF_DATA
			biff = no
			readme_directory = no
			inet_interfaces = 127.0.0.1
			inet_protocols = ipv4
			myhostname = mx.saatja.test
			mydomain = saatja.test
			myorigin = \$myhostname
			mynetworks = 127.0.0.0/8
			smtpd_banner = \$myhostname ESMTP saatja-test-postfix
			smtpd_peername_lookup = no

			# Logging to a file through postlogd(8); no syslog needed.
			maillog_file = $MAILLOG
			maillog_file_prefixes = $STATE

			# Nothing is local; every accepted message goes to the capture pipe.
			mydestination =
			relay_domains =
			local_recipient_maps =
			alias_maps =
			alias_database =
			default_transport = capture
			relay_transport = capture
			local_transport = capture
			capture_destination_recipient_limit = 1
			# bulk.test: one delivery for up to 1000 recipients (one .env
			# with a to= line each), for tests with thousands of them.
			transport_maps = inline:{ { bulk.test = capture_bulk: } }
			capture_bulk_destination_recipient_limit = 1000
			message_size_limit = 104857600
			mailbox_size_limit = 0

			# Do not add or remove headers or rewrite addresses: the test must see
			# what the client sent (see TEST-SERVER-NOTES.md).
			message_drop_headers = content-length
			local_header_rewrite_clients =
			remote_header_rewrite_domain =
			always_add_missing_headers = no
			undisclosed_recipients_header =
			append_dot_mydomain = no
			append_at_myorigin = no
			swap_bangpath = no
			allow_percent_hack = no
			canonical_maps =
			sender_canonical_maps =
			recipient_canonical_maps =
			masquerade_domains =
			virtual_alias_maps =
			recipient_delimiter =
			header_checks =
			body_checks =
			disable_mime_output_conversion = yes
			enable_long_queue_ids = yes

			# TLS (both ports): server certificate from the private CA.
			smtpd_tls_chain_files = $TLS_DIR/server-key.pem, $TLS_DIR/server.pem
			smtpd_tls_security_level = encrypt
			smtpd_tls_auth_only = yes
			smtpd_tls_protocols = >=TLSv1.2
			smtpd_tls_mandatory_protocols = >=TLSv1.2
			smtpd_tls_loglevel = 1
			smtpd_tls_received_header = no

			# SASL through Dovecot; the login must own the envelope sender.
			smtpd_sasl_auth_enable = yes
			smtpd_sasl_type = dovecot
			smtpd_sasl_path = $AUTH_SOCKET
			smtpd_sasl_security_options = noanonymous
			smtpd_sasl_authenticated_header = no
			smtpd_sender_login_maps = texthash:$PF_CONF/sender_login
			smtpd_sender_restrictions = reject_sender_login_mismatch
			smtpd_relay_restrictions = permit_sasl_authenticated, reject
			# One address that does not exist, so that tests can see a
			# permanent refusal of every recipient from a real server.
			smtpd_recipient_restrictions = check_recipient_access inline:{ { nobody-here@example.test = 550 5.1.1 No such user here } }
		EOF

	local world=
	if world_enabled; then
		world=$(/usr/bin/python3 "$TESTNET" master-cf 9>&-) || die "testnet.py master-cf failed"
	fi
	# Only our two listeners (and the world's); no chroot (the chroot would need copies of
	# /etc files in the queue directory), no port 25, no local delivery.
	install_file 644 "$PF_CONF/master.cf" <<-EOF
		# Generated by tests/server/mailserver.sh; edits are overwritten.
		# service type  private unpriv  chroot  wakeup  maxproc command + args
		127.0.0.1:$SUBMISSION_PORT inet n - n - - smtpd
		  -o syslog_name=postfix/submission
		127.0.0.1:$SMTPS_PORT inet n - n - - smtpd
		  -o syslog_name=postfix/smtps
		  -o smtpd_tls_wrappermode=yes
		pickup    unix  n       -       n       60      1       pickup
		cleanup   unix  n       -       n       -       0       cleanup
		qmgr      unix  n       -       n       300     1       qmgr
		tlsmgr    unix  -       -       n       1000?   1       tlsmgr
		rewrite   unix  -       -       n       -       -       trivial-rewrite
		bounce    unix  -       -       n       -       0       bounce
		defer     unix  -       -       n       -       0       bounce
		trace     unix  -       -       n       -       0       bounce
		verify    unix  -       -       n       -       1       verify
		flush     unix  n       -       n       1000?   0       flush
		proxymap  unix  -       -       n       -       -       proxymap
		proxywrite unix -       -       n       -       1       proxymap
		showq     unix  n       -       n       -       -       showq
		error     unix  -       -       n       -       -       error
		retry     unix  -       -       n       -       -       error
		discard   unix  -       -       n       -       -       discard
		anvil     unix  -       -       n       -       1       anvil
		scache    unix  -       -       n       -       1       scache
		postlog   unix-dgram n  -       n       -       1       postlogd
		# No pipe flags: nothing (Delivered-To, Return-Path, From_) is added.
		# null_sender= : the null sender is passed as "" (not MAILER-DAEMON).
		capture   unix  -       n       n       -       -       pipe
		  user=nobody null_sender= argv=$CAPTURE $MAILDIR \${queue_id} \${sender} \${recipient}
		capture_bulk unix -     n       n       -       -       pipe
		  user=nobody null_sender= argv=$CAPTURE $MAILDIR \${queue_id} \${sender} \${recipient}
		$world
	EOF

	# (install_file must not run in a pipeline: it sets CHANGED.)
	local users
	users=$(each_user login_map_line)
	install_file 644 "$PF_CONF/sender_login" <<<"$users"

	# ---- Dovecot (SASL only) ----
	users=$(each_user passwd_line)
	install_file 640 "$DC_DIR/passwd" <<<"$users"
	chgrp dovecot "$DC_DIR/passwd"

	install_file 644 "$DC_CONF" <<-EOF
		# Generated by tests/server/mailserver.sh; edits are overwritten.
		# Dovecot as a SASL server for Postfix only: no IMAP/POP3 listeners.
		instance_name = saatja-test
		base_dir = $DC_BASE
		state_dir = $DC_DIR/state
		protocols =
		listen = 127.0.0.1
		ssl = no
		log_path = $DOVECOT_LOG
		# Postfix only offers AUTH after TLS; Dovecot sees a local socket.
		disable_plaintext_auth = no
		auth_mechanisms = plain login xoauth2 oauthbearer
		# Tests try wrong passwords on purpose; do not slow them down.
		auth_failure_delay = 0
		auth_verbose = yes
		auth_cache_size = 0
		passdb {
		  driver = passwd-file
		  mechanisms = plain login
		  args = scheme=PLAIN username_format=%u $DC_DIR/passwd
		}
		# Bearer tokens: Dovecot asks the token service (oauthserver.py) on
		# every AUTH whether the token is active and whose it is.
		passdb {
		  driver = oauth2
		  mechanisms = xoauth2 oauthbearer
		  args = $DC_DIR/oauth2.conf
		}
		userdb {
		  driver = static
		  args = uid=nobody gid=nogroup home=/nonexistent
		}
		service auth {
		  unix_listener ${AUTH_SOCKET##*/} {
		    mode = 0666
		  }
		}
		# No auth penalty: after a few refused logins from 127.0.0.1 Dovecot
		# would hold every later AUTH for up to 15 s (Postfix gives up
		# after 10 s with 454), and the tests refuse tokens on purpose.
		service anvil {
		  unix_listener anvil-auth-penalty {
		    mode = 0
		  }
		}
	EOF

	install_file 644 "$DC_DIR/oauth2.conf" <<-EOF
		# Generated by tests/server/mailserver.sh; edits are overwritten.
		introspection_mode = post
		introspection_url = http://127.0.0.1:$OAUTH_CONTROL_PORT/introspect
		force_introspection = yes
		username_attribute = username
		active_attribute = active
		active_value = true
	EOF

	install_file 644 "$STATE/ports" <<-EOF
		SUBMISSION_PORT=$SUBMISSION_PORT
		SMTPS_PORT=$SMTPS_PORT
		OAUTH_PORT=$OAUTH_PORT
		OAUTH_CONTROL_PORT=$OAUTH_CONTROL_PORT
		USERS_FILE=$USERS_FILE
	EOF

	# The token service restarts when its program changed.
	local before=$CHANGED
	CHANGED=0
	install_file 755 "$OAUTH_SERVER" <"$HERE/oauthserver.py"
	OAUTH_CHANGED=$CHANGED
	CHANGED=$before
}

# ------------------------------------------------------ token service -----
OAUTH_CHANGED=0
oauth_pid() { sed -n '1{s/[^0-9]//g;p;}' "$OAUTH_PID" 2>/dev/null || true; }
oauth_running() { pid_alive "$(oauth_pid)"; }
oauth_answers() { # [CONTROL_PORT]
	(
		exec 3<>"/dev/tcp/127.0.0.1/${1:-$OAUTH_CONTROL_PORT}" || exit 1
		printf 'GET /control/stats?client=probe HTTP/1.0\r\n\r\n' >&3
		IFS= read -r -t 5 line <&3 || exit 1
		case $line in 'HTTP/1.'?' 200'*) exit 0;; *) exit 1;; esac
	) 2>/dev/null
}
oauth_stop() {
	local pid
	pid=$(oauth_pid)
	if pid_alive "$pid"; then
		kill "$pid" 2>/dev/null || true
		wait_pid_exit "$pid" 10 || { kill -9 "$pid" 2>/dev/null || true; wait_pid_exit "$pid" 5 || true; }
	fi
	rm -f "$OAUTH_PID"
}
oauth_start() {
	local p n
	for p in "$OAUTH_PORT" "$OAUTH_CONTROL_PORT"; do
		n=50
		while port_in_use "$p" && [ "$n" -gt 0 ]; do n=$((n - 1)); sleep 0.1; done
		port_in_use "$p" && die "127.0.0.1:$p is already in use by another program (set SAATJA_TEST_OAUTH_PORT / SAATJA_TEST_OAUTH_CONTROL_PORT)"
	done
	rm -f "$OAUTH_PID"
	setsid python3 "$OAUTH_SERVER" --https-port "$OAUTH_PORT" --http-port "$OAUTH_CONTROL_PORT" \
		--cert "$TLS_DIR/server.pem" --key "$TLS_DIR/server-key.pem" --pidfile "$OAUTH_PID" \
		9>&- </dev/null >>"$OAUTH_LOG" 2>&1 &
	n=100
	until [ -s "$OAUTH_PID" ] && oauth_answers; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || { tail -n 20 "$OAUTH_LOG" >&2; die "the token service did not answer on 127.0.0.1:$OAUTH_CONTROL_PORT within 10 s"; }
		sleep 0.1
	done
}
oauth_ensure() {
	[ "$OAUTH_CHANGED" = 0 ] || oauth_stop
	oauth_running && oauth_answers && return 0
	oauth_stop
	oauth_start
}

# -------------------------------------------------------------- probes ----
pf() { postfix -c "$PF_CONF" "$@"; }

# A zombie (an exited daemon that no init reaps, as in some containers)
# counts as gone.
pid_alive() {
	[ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
	case $(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null) in Z|X) return 1;; esac
}
postfix_pid() { sed -n '1{s/[^0-9]//g;p;}' "$PF_QUEUE/pid/master.pid" 2>/dev/null || true; }
dovecot_pid() { sed -n '1{s/[^0-9]//g;p;}' "$DC_BASE/master.pid" 2>/dev/null || true; }
postfix_running() { pid_alive "$(postfix_pid)"; }
dovecot_running() { pid_alive "$(dovecot_pid)"; }

# banner_plain PORT / banner_tls PORT: true when the port greets with 220.
# The banner is read first, then QUIT is sent (sending it before the banner
# makes Postfix log "improper command pipelining").
banner_plain() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		IFS= read -r -t 5 line <&3 || exit 1
		printf 'QUIT\r\n' >&3
		case $line in 220[\ -]*) exit 0;; *) exit 1;; esac
	) 2>/dev/null
}
banner_tls() {
	# openssl s_client -quiet keeps running after its stdin ends, so it runs
	# as a coprocess: read one line, send QUIT, and the server closes.
	local line= ok=1
	coproc TLSPROBE { exec timeout 10 openssl s_client -quiet \
		-connect "127.0.0.1:$1" -servername localhost -verify_hostname localhost \
		-CAfile "$CA" -verify_return_error 2>/dev/null; }
	if IFS= read -r -t 10 line <&"${TLSPROBE[0]}"; then
		case $line in 220[\ -]*) ok=0;; esac
		printf 'QUIT\r\n' >&"${TLSPROBE[1]}" 2>/dev/null || true
	fi
	kill "$TLSPROBE_PID" 2>/dev/null || true
	wait "$TLSPROBE_PID" 2>/dev/null || true
	return $ok
}
ports_answer() { # [SUBMISSION_PORT SMTPS_PORT], default: the configured ones
	banner_plain "${1:-$SUBMISSION_PORT}" && banner_tls "${2:-$SMTPS_PORT}"
}

port_in_use() { # true if something listens on 127.0.0.1:$1
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

show_logs() {
	echo "---- last lines of $MAILLOG ----" >&2
	tail -n 40 "$MAILLOG" >&2 2>/dev/null || echo "(no maillog)" >&2
	echo "---- last lines of $DOVECOT_LOG ----" >&2
	tail -n 20 "$DOVECOT_LOG" >&2 2>/dev/null || echo "(no dovecot log)" >&2
}

wait_pid_exit() { # wait_pid_exit PID SECONDS
	local pid=$1 n=$(($2 * 10))
	while pid_alive "$pid"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# --------------------------------------------------------- start / stop ---
stop_all() {
	local pid
	pid=$(postfix_pid)
	if pid_alive "$pid"; then
		pf stop >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
		wait_pid_exit "$pid" 20 || { note "postfix master $pid did not exit; killing"; kill -9 "$pid" 2>/dev/null || true; wait_pid_exit "$pid" 5 || true; }
	fi
	pid=$(dovecot_pid)
	if pid_alive "$pid"; then
		dovecot -c "$DC_CONF" stop >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
		# The old Dovecot master must be gone before a new one starts.
		wait_pid_exit "$pid" 20 || { note "dovecot master $pid did not exit; killing"; kill -9 "$pid" 2>/dev/null || true; wait_pid_exit "$pid" 5 || true; }
	fi
	rm -f "$AUTH_SOCKET"
}

start_all() {
	local p n
	for p in "$SUBMISSION_PORT" "$SMTPS_PORT"; do
		# smtpd processes of a killed master may hold the port for a moment.
		n=50
		while port_in_use "$p" && [ "$n" -gt 0 ]; do n=$((n - 1)); sleep 0.1; done
		if port_in_use "$p"; then
			command -v ss >/dev/null 2>&1 && ss -ltnp "sport = :$p" >&2 || true
			die "127.0.0.1:$p is already in use by another program (set SAATJA_TEST_SUBMISSION_PORT / SAATJA_TEST_SMTPS_PORT)"
		fi
	done

	# 9>&-: the daemons must not inherit (and hold) the start/stop lock.
	dovecot -c "$DC_CONF" 9>&- >/dev/null 2>"$STATE/dovecot.start.err" || {
		cat "$STATE/dovecot.start.err" >&2; show_logs; die "dovecot failed to start"; }

	if ! pf check >"$STATE/postfix-check.out" 2>&1; then
		cat "$STATE/postfix-check.out" >&2; show_logs; die "postfix check failed"
	fi
	if ! pf start 9>&- >"$STATE/postfix-start.out" 2>&1; then
		cat "$STATE/postfix-start.out" >&2; show_logs; die "postfix failed to start"
	fi

	if ! wait_answer 30; then
		show_logs
		die "server did not answer with 220 on 127.0.0.1:$SUBMISSION_PORT and (TLS) :$SMTPS_PORT within 30 s"
	fi
}

# Wait up to $1 seconds for both listeners (and Dovecot's auth socket).
wait_answer() {
	local n=$(($1 * 10))
	until [ -S "$AUTH_SOCKET" ] && ports_answer; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# Running, but the generated config changed: reload rather than restart, so
# that sessions of other test runs sharing this server are not cut off.
reload_all() {
	if ! pf check >"$STATE/postfix-check.out" 2>&1; then
		cat "$STATE/postfix-check.out" >&2; show_logs; die "postfix check failed"
	fi
	dovecot -c "$DC_CONF" reload 9>&- >/dev/null 2>&1 || return 1
	pf reload 9>&- >/dev/null 2>&1 || return 1
	sleep 0.5   # let the masters act on the signal before probing
	wait_answer 10
}

cmd_start() {
	need_root; need_tools; check_ports; check_state_path
	take_lock
	make_certs
	# Is the server up and answering on the ports it was started with?
	local healthy=0 old_sub=$SUBMISSION_PORT old_smtps=$SMTPS_PORT
	if [ -r "$STATE/ports" ]; then
		old_sub=$(sed -n 's/^SUBMISSION_PORT=//p' "$STATE/ports")
		old_smtps=$(sed -n 's/^SMTPS_PORT=//p' "$STATE/ports")
	fi
	if postfix_running && dovecot_running && [ -S "$AUTH_SOCKET" ] &&
		ports_answer "$old_sub" "$old_smtps"; then
		healthy=1
	fi
	write_configs
	oauth_ensure
	if [ "$healthy" = 1 ]; then
		if [ "$CHANGED" = 0 ]; then
			note "already running ($STATE)"
			return 0
		fi
		if reload_all; then
			note "configuration changed: reloaded ($STATE)"
			return 0
		fi
		note "reload did not work; restarting"
	elif postfix_running || dovecot_running; then
		note "restarting (not all parts are running or answering)"
	fi
	stop_all
	start_all
	note "running: submission 127.0.0.1:$SUBMISSION_PORT (STARTTLS), smtps 127.0.0.1:$SMTPS_PORT (TLS); state $STATE"
}

cmd_stop() {
	need_root; check_state_path
	[ -d "$STATE" ] || { note "not running (no $STATE)"; return 0; }
	take_lock
	stop_all
	oauth_stop
	note "stopped"
}

read_ports_file() {
	# After start, the ports actually configured win over the environment.
	if [ -r "$STATE/ports" ]; then
		local v
		v=$(sed -n 's/^SUBMISSION_PORT=//p' "$STATE/ports"); [ -z "$v" ] || SUBMISSION_PORT=$v
		v=$(sed -n 's/^SMTPS_PORT=//p' "$STATE/ports"); [ -z "$v" ] || SMTPS_PORT=$v
		v=$(sed -n 's/^USERS_FILE=//p' "$STATE/ports"); [ -z "$v" ] || USERS_FILE=$v
		v=$(sed -n 's/^OAUTH_PORT=//p' "$STATE/ports"); [ -z "$v" ] || OAUTH_PORT=$v
		v=$(sed -n 's/^OAUTH_CONTROL_PORT=//p' "$STATE/ports"); [ -z "$v" ] || OAUTH_CONTROL_PORT=$v
	fi
}

cmd_status() {
	local rc=0
	read_ports_file
	if postfix_running; then echo "postfix: running (pid $(postfix_pid))"; else echo "postfix: stopped"; rc=1; fi
	if dovecot_running; then echo "dovecot: running (pid $(dovecot_pid))"; else echo "dovecot: stopped"; rc=1; fi
	if banner_plain "$SUBMISSION_PORT"; then echo "127.0.0.1:$SUBMISSION_PORT: 220"; else echo "127.0.0.1:$SUBMISSION_PORT: no answer"; rc=1; fi
	if [ -s "$CA" ] && banner_tls "$SMTPS_PORT"; then echo "127.0.0.1:$SMTPS_PORT (TLS): 220"; else echo "127.0.0.1:$SMTPS_PORT (TLS): no answer"; rc=1; fi
	if oauth_running && oauth_answers; then echo "token service: running (pid $(oauth_pid)), https 127.0.0.1:$OAUTH_PORT, control 127.0.0.1:$OAUTH_CONTROL_PORT"; else echo "token service: stopped"; rc=1; fi
	return $rc
}

cmd_env() {
	local v
	read_ports_file
	for v in "SAATJA_TEST_STATE=$STATE" "SAATJA_TEST_CA=$CA" "SAATJA_TEST_MAILDIR=$MAILDIR" \
		"SAATJA_TEST_SUBMISSION_PORT=$SUBMISSION_PORT" "SAATJA_TEST_SMTPS_PORT=$SMTPS_PORT" \
		"SAATJA_TEST_USERS=$USERS_FILE" "SAATJA_TEST_MAILLOG=$MAILLOG" \
		"SAATJA_TEST_OAUTH_PORT=$OAUTH_PORT" "SAATJA_TEST_OAUTH_CONTROL_PORT=$OAUTH_CONTROL_PORT"; do
		printf 'export %s=%q\n' "${v%%=*}" "${v#*=}"
	done
}

PATH=$PATH:/usr/sbin:/sbin
world() { /usr/bin/python3 "$TESTNET" "$@" 9>&-; }
world_start() {
	mkdir -p "$STATE"
	case ${SAATJA_TEST_WORLD:-} in 1) : >"$WORLD_FLAG";; 0) rm -f "$WORLD_FLAG";; esac
	cmd_start
	if world_enabled; then world start; elif [ -d "$STATE/world" ]; then world stop; fi
}
case ${1:-} in
start) world_start;;
stop) cmd_stop; [ ! -d "$STATE/world" ] || world stop;;
restart) cmd_stop; world_start;;
status) cmd_status && { ! world_enabled || world status; };;
env) cmd_env; ! world_enabled || world env;;
*) echo "usage: $prog start|stop|restart|status|env" >&2; exit 64;;
esac
