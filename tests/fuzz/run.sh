#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh [SECONDS] - build saatja's fuzz targets with libFuzzer, ASan and
# UBSan, and run each for SECONDS (default 30) from its seed corpus.
#
# Needs clang-14, libfuzzer-14-dev, libjson-c-dev and libexpat1-dev. The
# library the targets link is saatja's own: every module of libsaatja (Makefile.am)
# and the OAuth2 helper's parsers, compiled here with the fuzzer's
# instrumentation into one archive, so that no list says which target
# needs which source. The sources include autoconf.h: the script uses the one in $SAATJA_BUILD
# (a configured build directory), else the one in the source tree, else
# runs configure in a scratch directory.
#
# Seeds under corpus/<target>/ are only read; what libFuzzer finds goes to
# a scratch directory, so the committed corpus stays small. Reports per
# target: execs/s, coverage (cov and ft of the last status line) and the
# outcome. Exits 1 on any crash, hang (over 5 s), leak or out-of-memory,
# leaving the input under the scratch directory; minimise it with
#   $OUT/fuzz_<target> -minimize_crash=1 -runs=100000 <input>
# Environment: CC (default clang-14), FUZZ_OUT (scratch directory, kept),
# FUZZ_TARGETS (default: all), FUZZ_JOBS (parallel targets, default 1).
set -u
export LC_ALL=C

secs=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CC=${CC:-clang-14}
jobs=${FUZZ_JOBS:-1}
targets=${FUZZ_TARGETS:-address message smtp_reply server_cmd config oauth_json oauth_url oauth_proto trust dns autoconfig proxy jsonw}

case $secs in
''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 64 ;;
esac
command -v "$CC" >/dev/null || {
	echo "run.sh: $CC not found: apt-get install clang-14 libfuzzer-14-dev" >&2
	exit 69
}

if [ -n "${FUZZ_OUT:-}" ]; then
	out=$FUZZ_OUT
	mkdir -p "$out"
else
	out=$(mktemp -d "${TMPDIR:-/tmp}/saatja-fuzz.XXXXXX")
fi

# autoconf.h, from a configured tree or a scratch configure.
if [ -n "${SAATJA_BUILD:-}" ] && [ -f "$SAATJA_BUILD/autoconf.h" ]; then
	confdir=$SAATJA_BUILD
elif [ -f "$top/autoconf.h" ]; then
	confdir=$top
else
	[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi) || exit 1
	confdir=$out/configured
	mkdir -p "$confdir"
	(cd "$confdir" && "$top/configure" -q) || {
		echo "run.sh: configure failed in $confdir" >&2
		exit 1
	}
fi

# Longest input per target: past the limits the parsers enforce on lines
# (998 for headers, 4096 in the config scan), short enough to stay fast.
max_len_for() {
	case $1 in
	address)	echo 4096 ;;
	message)	echo 16384 ;;
	smtp_reply)	echo 8192 ;;
	server_cmd)	echo 4096 ;;
	config)		echo 8192 ;;
	oauth_json)	echo 8192 ;;
	oauth_url)	echo 9000 ;;
	oauth_proto)	echo 8192 ;;
	autoconfig)	echo 16384 ;;
	proxy)		echo 1024 ;;
	jsonw)		echo 4096 ;;
	esac
}

libs=$(pkg-config --libs gnutls libgsasl json-c expat) || exit 1
cflags="-std=gnu11 -g -O1 -fsanitize=address,undefined
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
	-Wall -Wextra -Werror
	-I$confdir -I$top -I$top/sendmail -I$top/mailq -I$top/oauth -I/usr/include/iniparser
	-DSYSCONFDIR=\"/etc\" -DLOCALSTATEDIR=\"/var\" -DPKGLIBEXECDIR=\"/usr/libexec/saatja\"
	$(pkg-config --cflags gnutls libgsasl json-c expat)"

echo "== building in $out"
# The library: every .c of sendmail/ and mailq/ but the program's main,
# and the helper's parsers (oauth_json, oauth_url, oauth_autoconfig);
# oauth_helper.c, oauth_http.c and oauth_autoconfig_op.c are the helper's
# main, its libcurl calls and the request that fetches.
mkdir -p "$out/lib"
rm -f "$out/lib/"*.o "$out/libsaatja-fuzz.a"
for src in "$top"/sendmail/*.c "$top"/mailq/*.c "$top/oauth/oauth_json.c" "$top/oauth/oauth_url.c" \
    "$top/oauth/oauth_autoconfig.c"; do
	case $src in */sendmail/sendmail.c) continue ;; esac
	# shellcheck disable=SC2086
	"$CC" $cflags -fsanitize=fuzzer-no-link -c -o "$out/lib/$(basename "$src" .c).o" "$src" ||
		{ echo "run.sh: cannot build $src" >&2; exit 1; }
done
ar cr "$out/libsaatja-fuzz.a" "$out/lib/"*.o
for t in $targets; do
	# shellcheck disable=SC2086
	"$CC" $cflags -fsanitize=fuzzer -o "$out/fuzz_$t" "$here/fuzz_$t.c" "$out/libsaatja-fuzz.a" \
		-liniparser $libs || { echo "run.sh: cannot build fuzz_$t" >&2; exit 1; }
done

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

run_one() {
	t=$1
	mkdir -p "$out/corpus/$t" "$out/artifacts"
	"$out/fuzz_$t" -max_total_time="$secs" -max_len="$(max_len_for "$t")" \
		-timeout=5 -rss_limit_mb=512 -detect_leaks=1 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$t-" \
		"$out/corpus/$t" "$here/corpus/$t" >"$out/$t.log" 2>&1
	echo $? >"$out/$t.rc"
}

echo "== fuzzing each target for ${secs}s, $jobs at a time"
running=0
for t in $targets; do
	run_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

fail=0
printf '%-11s %9s %7s %7s  %s\n' target execs/s cov ft result
for t in $targets; do
	log=$out/$t.log
	rc=$(cat "$out/$t.rc")
	stats=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
	cov=$(echo "$stats" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$stats" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	[ -n "$eps" ] || eps=$(echo "$stats" | sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p')
	found=""
	for f in "$out/artifacts/$t-"crash-* "$out/artifacts/$t-"leak-* \
	    "$out/artifacts/$t-"timeout-* "$out/artifacts/$t-"oom-*; do
		[ -e "$f" ] && found="$found ${f##*/}"
	done
	if grep -q 'ERROR: libFuzzer: out-of-memory\|ERROR: libFuzzer: malloc' "$log"; then
		result="OOM $found"
	elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then
		result="HANG $found"
	elif grep -q 'ERROR: LeakSanitizer' "$log"; then
		result="LEAK $found"
	elif [ "$rc" != 0 ] || [ -n "$found" ]; then
		result="CRASH (exit $rc) $found"
	else
		result=ok
	fi
	[ "$result" = ok ] || fail=1
	printf '%-11s %9s %7s %7s  %s\n' "$t" "${eps:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
echo "== logs, found inputs and binaries: $out"
exit $fail
