# SPDX-License-Identifier: MIT
"""Bad input gets a clear message and the right exit code, never a crash
or a hang: empty input, no header/body separator, huge header lines, NUL
bytes, 10,000 recipients, binary garbage, line breaks in arguments, and a
100 MB body with flat memory."""
import os
import random
import subprocess
import tempfile

from saatja_test import (Config, SENDMAIL, SkipTest, sendmail, eq, contains,
                         run_tests)

CFG = Config()


def dry(args, msg):
    return sendmail(["--dry-run"] + list(args), msg, CFG)


def test_empty_input():
    r = dry(["a@example.ee"], b"")
    eq(r.code, 0, r.err)
    env, m = r.dry()
    contains(m, b"From: ", "From added to an empty message")


def test_no_separator():
    r = dry(["a@example.ee"], b"Subject: only headers")
    eq(r.code, 0, r.err)
    eq(r.dry()[1].endswith(b"Subject: only headers\r\n" + r.dry()[1].split(b"Subject: only headers\r\n", 1)[1]), True)


def test_megabyte_header_line_without_space():
    r = dry(["a@example.ee"], b"X-Big: " + b"x" * (1024 * 1024) + b"\n\nbody\n")
    eq(r.code, 65)
    contains(r.err, "header")


def test_megabyte_header_line_with_spaces_folded():
    r = dry(["a@example.ee"], b"Subject: " + b"word " * 200000 + b"\n\nbody\n")
    eq(r.code, 0, r.err)
    for line in r.dry()[1].split(b"\r\n"):
        assert len(line) <= 998, "line of %d octets" % len(line)


def test_nul_in_header():
    r = dry(["a@example.ee"], b"Subject: a\x00b\n\nbody\n")
    eq(r.code, 65)
    contains(r.err, "NUL")


def test_nul_in_body_passes():
    r = dry(["a@example.ee"], b"Subject: a\n\nbin\x00ary\n")
    eq(r.code, 0, r.err)
    contains(r.dry()[1], b"bin\x00ary\r\n")


def test_ten_thousand_recipients():
    rcpts = ",".join("r%d@example.ee" % i for i in range(10000))
    r = dry(["-t"], "From: arved@firma.ee\nTo: %s\n\nx\n" % rcpts)
    eq(r.code, 0, r.err)
    eq(len(r.dry()[0]["rcpt-to"]), 10000)


def test_binary_garbage():
    rnd = random.Random(42)
    for i in range(20):
        data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 5000)))
        r = dry(["-t", "a@example.ee"], data)
        assert r.code in (0, 65, 64, 77), "exit %d for garbage %d: %s" % (r.code, i, r.err)
        if r.code:
            assert r.err.startswith("sendmail: "), r.err


def test_line_breaks_in_arguments_refused():
    for args in (["-f", "a@b\r\nBcc: x@y", "c@d"], ["-F", "N\nX-Evil: 1", "c@d"],
                 ["c@d\nRCPT TO:<x@y>"]):
        r = dry(args, "Subject: s\n\nx\n")
        eq(r.code, 64, "for %r" % args)
        eq(r.out, b"", "nothing printed")
        contains(r.err, "line break")


def test_unknown_option_never_sends():
    r = sendmail(["-Y", "a@example.ee"], "Subject: s\n\nx\n", CFG)
    eq(r.code, 64)
    contains(r.err, "-Y")


def test_unsupported_b_modes():
    for mode in ("-bd", "-bD", "-bt"):
        r = sendmail([mode], b"", CFG)
        eq(r.code, 64, mode)
        contains(r.err, mode)


def peak_rss_kib(argv, stdin):
    """Peak RSS of a command, from /usr/bin/time -v (getrusage in a parent
    can report the parent's own high-water mark)."""
    proc = subprocess.run(["/usr/bin/time", "-v"] + argv, stdin=stdin,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.decode()
    for line in err.splitlines():
        if "Maximum resident set size" in line:
            return proc.returncode, int(line.split(":")[1])
    raise AssertionError("no RSS in: " + err[-500:])


def test_hundred_megabyte_body_flat_memory():
    """The body streams through a spool file: peak RSS stays small."""
    if not os.path.exists("/usr/bin/time"):
        raise SkipTest("/usr/bin/time is not installed (Debian package time)")
    line = b"0123456789" * 7 + b"\n"
    with tempfile.TemporaryFile() as src:
        src.write(b"From: arved@firma.ee\nTo: a@example.ee\nSubject: big\n\n")
        for _ in range(100):
            src.write(line * (1024 * 1024 // len(line)))
        src.seek(0)
        code, peak = peak_rss_kib([SENDMAIL, "-C", CFG.path, "-t", "-i", "--dry-run"], src)
    eq(code, 0)
    # AddressSanitizer's shadow memory alone is some 20 MB of RSS.
    limit = 64 if os.environ.get("SAATJA_SANITIZED") == "1" else 16
    assert peak < limit * 1024, "peak RSS %d KiB for a 100 MB message" % peak
    print("# peak RSS for a 100 MB message: %d KiB" % peak)


def test_stdin_without_timeout():
    """A slow writer (cron streaming job output) is waited for."""
    p = subprocess.Popen([SENDMAIL, "-C", CFG.path, "--dry-run", "-t", "-i"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    import time
    p.stdin.write(b"From: arved@firma.ee\nTo: a@example.ee\n\nfirst\n")
    p.stdin.flush()
    time.sleep(2)
    eq(p.poll(), None, "still reading")
    p.stdin.write(b"second\n")
    out, err = p.communicate()
    eq(p.returncode, 0, err)
    contains(out, b"first\r\nsecond\r\n")


if __name__ == "__main__":
    run_tests()
