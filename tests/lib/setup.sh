# Shared set-up for tests/demo.sh and tests/run-all.sh: install what a
# fresh Debian 12 lacks, and build saatja out of tree. Sourced, not run.

# Packages to build saatja, run its tests and its test servers.
SAATJA_PACKAGES="build-essential autoconf automake pkg-config gettext autopoint
	libgnutls28-dev libgsasl-dev libiniparser-dev
	python3 python3-aiosmtpd mandoc time gnutls-bin
	postfix dovecot-core msmtp gdb procps valgrind
	php-cli libphp-phpmailer php-symfony-mailer mutt s-nail
	git git-email libmailtools-perl
	clang-14 libfuzzer-14-dev
	debhelper lintian debootstrap"

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
		exit 1
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
