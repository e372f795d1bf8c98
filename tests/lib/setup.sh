# SPDX-License-Identifier: MIT
# Shared set-up for tests/demo.sh and tests/run-all.sh: install what a
# fresh Debian 12 lacks, and build saatja out of tree. Sourced, not run.

# Packages to build saatja, run its tests and its test servers: every one
# named, never reached through a Recommends (apt runs with
# --no-install-recommends, as on a minimal image). .ci/run proves the list
# in a fresh minbase root.
#   build:        build-essential autoconf automake autopoint gettext pkg-config
#                 and the -dev packages of GnuTLS, GNU SASL, iniparser,
#                 libcurl (gnutls flavour), json-c and expat (the OAuth2 helper)
#   trust:        ca-certificates (the system store that TLS is verified against)
#   test servers: postfix dovecot-core gnutls-bin (certtool) openssl
#                 dnsmasq-base (the test world's DNS, tests/server/testnet.py)
#                 curl (its self-test fetches autoconfig files with it)
#                 microsocks (the SOCKS5 proxies of tests/lib/socks.py)
#   tests:        python3 python3-aiosmtpd mandoc time gdb procps valgrind msmtp
#   real clients: php-cli libphp-phpmailer php-symfony-mailer mutt s-nail
#                 git git-email libmailtools-perl
#   fuzzing:      clang-14 libfuzzer-14-dev libclang-rt-14-dev (the fuzzer
#                 runtime, only a Recommends of libclang-common-14-dev)
#   Debian package: debhelper (dh, dh-autoreconf), lintian, debootstrap
#                 (tests/deb/run.sh); libcurl4-gnutls-dev, libjson-c-dev and
#                 libexpat1-dev are in its Build-Depends for saatja-oauth (the
#                 OAuth2 helper)
SAATJA_PACKAGES="build-essential autoconf automake pkg-config gettext autopoint
	libgnutls28-dev libgsasl-dev libiniparser-dev libcurl4-gnutls-dev libjson-c-dev libexpat1-dev
	ca-certificates
	python3 python3-aiosmtpd mandoc time gnutls-bin openssl
	postfix dovecot-core microsocks msmtp gdb procps valgrind dnsmasq-base curl
	iproute2 iptables util-linux
	php-cli libphp-phpmailer php-symfony-mailer mutt s-nail
	git git-email libmailtools-perl
	clang-14 libfuzzer-14-dev libclang-rt-14-dev
	debhelper lintian debootstrap"

# Installs what is missing; non-zero when something is missing and cannot
# be installed (not root, or apt-get failed).
saatja_install_packages() {
	missing=""
	for p in $SAATJA_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "saatja: these packages are missing:$missing" >&2
		echo "saatja: run this script as root (it installs them with apt-get)" >&2
		return 1
	fi
	echo "== installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# Postfix asks a question on install; the test server brings its own
	# configuration, so "No configuration" is the right answer.
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# saatja_build DIR [configure args...]: an out-of-tree build in DIR.
saatja_build() {
	dir=$1
	shift
	[ -x "$SAATJA_TOP/configure" ] || (cd "$SAATJA_TOP" && autoreconf -fi)
	mkdir -p "$dir"
	(cd "$dir" && { [ -f Makefile ] || "$SAATJA_TOP/configure" -q "$@"; } &&
		make -s -j"$(nproc)")
}
