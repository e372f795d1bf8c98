#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs saatja's whole test suite from a fresh clone on Debian 12, as root:
# installs the packages, builds with -Werror, runs `make check` (unit and
# integration tests, which start their own mail servers), runs it again
# under AddressSanitizer and UndefinedBehaviorSanitizer, runs the
# integration tests that drive sendmail under valgrind, runs the short
# chaos soak (tests/soak/soak.py), fuzzes the
# parsers for 30 s each, builds and tests the Debian package in a fresh
# Debian 12 root (tests/deb/run.sh), then `make distcheck`. The last line is "N passed, N failed".
# Every package and server is there, so a skipped test is a failed one
# (SAATJA_NO_SKIP=1).
set -u
SAATJA_TOP=$(cd "$(dirname "$0")/.." && pwd)
export SAATJA_TOP
. "$SAATJA_TOP/tests/lib/setup.sh"

saatja_install_packages || { echo "0 passed, 1 failed"; exit 1; }
cd "$SAATJA_TOP" && autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed"; echo "0 passed, 1 failed"; exit 1; }

# Mail captured by the test server in earlier runs only slows down the
# tests' lookups (they find their mail by a unique token).
capture=${SAATJA_TEST_STATE:-/tmp/saatja-test-server}/mail
[ -d "$capture" ] && find "$capture" -type f -delete

passed=0
failed=0

# count LOG: adds the PASS and FAIL totals of a test-suite.log, and shows
# the failures.
count() {
	log=$1
	if [ ! -f "$log" ]; then
		failed=$((failed + 1))
		return
	fi
	p=$(sed -n 's/^# PASS: *//p' "$log" | head -1)
	f=0
	for k in FAIL XPASS ERROR; do
		n=$(sed -n "s/^# $k: *//p" "$log" | head -1)
		f=$((f + ${n:-0}))
	done
	passed=$((passed + ${p:-0}))
	failed=$((failed + f))
	[ "$f" = 0 ] || grep -A12 '^not ok' "$log" | head -150
}

# suite NAME DIR [configure args...]
suite() {
	name=$1 dir=$2
	shift 2
	echo "== $name"
	if ! saatja_build "$dir" "$@"; then
		echo "== $name: build failed"
		failed=$((failed + 1))
		return
	fi
	(cd "$dir" && SAATJA_NO_SKIP=1 make -s check >"$dir/check.out" 2>&1)
	grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP)' "$dir/check.out" | grep -v '^PASS' | head -50
	count "$dir/test-suite.log"
	echo "== $name: $(sed -n 's/^# TOTAL: *//p' "$dir/test-suite.log" 2>/dev/null) tests"
}

builds=${SAATJA_BUILDS:-$SAATJA_TOP/.build}
suite "build with -Werror" "$builds/default" --enable-werror
suite "sanitizers (ASan + UBSan)" "$builds/asan" --enable-werror \
	CFLAGS="-g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"

# The integration tests again with every sendmail process under valgrind
# (saatja_test.sendmail_argv): an invalid access or a definite leak in the
# process a test waits for is exit 99, and in any process, background
# deliveries included, a failed test at the end of the file. All of
# Makefile.am's integration_tests but these: test_crash (it kills
# processes at random points to find lost mail, which under valgrind would
# test valgrind), test_setgid (an installed set-group-ID program, which
# valgrind cannot run with its rights), test_install (links in a fake
# root, -bv only), test_i18n and test_man (no code that the others do not
# run; test_layers reads sources only), test_status_mail (a shell script around sendmail -t, which
# test_clients runs), test_happy_eyeballs and test_transaction (timing
# of connection races and pipelining, which valgrind's slowness changes).
echo "== valgrind"
not_under_valgrind="test_crash test_setgid test_install test_i18n test_man test_layers test_status_mail
	test_happy_eyeballs test_transaction"
valgrind_tests=""
for t in $(sed -n '/^integration_tests = /,/^$/s|.*\(tests/integration/test_[a-z0-9_]*\.py\).*|\1|p' "$SAATJA_TOP/Makefile.am"); do
	case " $(echo $not_under_valgrind) " in *" $(basename "$t" .py) "*) continue ;; esac
	valgrind_tests="$valgrind_tests $t"
done
(cd "$builds/default" && SAATJA_VALGRIND=1 SAATJA_NO_SKIP=1 make -s check TESTS="$(echo $valgrind_tests)" \
	TEST_SUITE_LOG=valgrind-suite.log >"$builds/default/valgrind.out" 2>&1)
grep -E '^(FAIL|ERROR|XPASS)' "$builds/default/valgrind.out" | head -20
count "$builds/default/valgrind-suite.log"
echo "== valgrind: $(sed -n 's/^# TOTAL: *//p' "$builds/default/valgrind-suite.log" 2>/dev/null) tests"

# The chaos soak (tests/soak/soak.py, doc/RELIABILITY.md): about 1000
# messages in every mode while senders and queue runs are killed, the
# servers refuse, stall and disconnect, Postfix stops and the queue's disk
# fills; one test, passed only when nothing accepted was lost.
echo "== chaos soak"
if /usr/bin/python3 "$SAATJA_TOP/tests/soak/soak.py" --build "$builds/default" --short \
	>"$builds/soak.out" 2>&1; then
	passed=$((passed + 1))
	tail -1 "$builds/soak.out"
else
	failed=$((failed + 1))
	tail -30 "$builds/soak.out"
fi

# The parsers under libFuzzer (clang-14): 30 s a target in CI, any crash,
# hang, leak or memory blow-up fails the run.
echo "== fuzzing"
if FUZZ_OUT="$builds/fuzz" FUZZ_JOBS=2 SAATJA_BUILD="$builds/default" \
	"$SAATJA_TOP/tests/fuzz/run.sh" "${SAATJA_FUZZ_SECONDS:-30}" >"$builds/fuzz.out" 2>&1; then
	passed=$((passed + 1))
	tail -8 "$builds/fuzz.out"
else
	failed=$((failed + 1))
	tail -30 "$builds/fuzz.out"
fi

# The Debian package, built and tested in a fresh Debian 12 root
# (tests/deb/run.sh): each of its PASS and FAIL lines counts.
echo "== Debian package"
SAATJA_DEB_BUILD="$builds/deb" "$SAATJA_TOP/tests/deb/run.sh" >"$builds/deb.out" 2>&1
drc=$?
dp=$(grep -c '^PASS: ' "$builds/deb.out")
df=$(grep -c '^FAIL: ' "$builds/deb.out")
[ "$drc" = 0 ] || [ "$df" != 0 ] || df=1
passed=$((passed + dp))
failed=$((failed + df))
if [ "$df" = 0 ]; then grep '^deb test: ' "$builds/deb.out"; else grep -v '^N:' "$builds/deb.out" | tail -40; fi

if [ "${SAATJA_SKIP_DISTCHECK:-}" != 1 ]; then
	echo "== make distcheck"
	if (cd "$builds/default" && make -s distcheck >"$builds/distcheck.out" 2>&1); then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		tail -40 "$builds/distcheck.out"
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
