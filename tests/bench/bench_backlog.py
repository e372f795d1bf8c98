#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench_backlog.py - what the backlog flush costs the caller.

Not run by make check. Needs root (it starts tests/server/mailserver.sh).
Usage, from the top of a built tree:

    /usr/bin/python3 tests/bench/bench_backlog.py [runs] [backlog]

For `runs` rounds it sends one small message interactively (sendmail -t,
as PHP and cron do) through the test Postfix, alternating: with an empty
queue, and with `backlog` messages of the same account deferred just
before (sent while the port was closed). It prints the median and maximum
time until the caller's sendmail has exited and closed its pipes, and
checks after each round with a backlog that the backlog was delivered by
the detached child (no sendmail -q is run). Each timed run follows a
second of quiet, so that Postfix's deliveries of the round before do not
weigh on it.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SENDMAIL = os.environ.get("SAATJA_SENDMAIL", os.path.join(TOP, "sendmail", "sendmail"))
STATE = os.environ.get("SAATJA_TEST_STATE", "/tmp/saatja-test-server")
PORT = int(os.environ.get("SAATJA_TEST_SUBMISSION_PORT", "2587"))
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
BACKLOG = int(sys.argv[2]) if len(sys.argv) > 2 else 10
WORK = tempfile.mkdtemp(prefix="saatja-bench-backlog-")
SETTLE = 1.0        # seconds of quiet before each timed run
MESSAGE = b"From: arved@firma.test\nTo: bench@example.test\nSubject: backlog bench\n\nhello\n"


def config(port):
    path = os.path.join(WORK, "saatja.ini")
    with open(path, "w") as f:
        f.write("[saatja]\nlog = %s/saatja.log\nqueue = %s/queue\n"
                "[arved@firma.test]\nhost = 127.0.0.1\nport = %d\ntls = starttls\n"
                "ca_file = %s/ca.pem\npassword = arved-secret-1\n" % (WORK, WORK, port, STATE))
    os.chmod(path, 0o600)
    return path


def send(cfg):
    start = time.perf_counter()
    p = subprocess.run([SENDMAIL, "-C", cfg, "-t"], input=MESSAGE,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit("sendmail failed: %s" % p.stderr.decode())
    return took


def queued():
    d = os.path.join(WORK, "queue")
    return len([n for n in os.listdir(d) if n.endswith(".env")]) if os.path.isdir(d) else 0


def main():
    if subprocess.run([os.path.join(TOP, "tests", "server", "mailserver.sh"), "start"],
                      stdout=subprocess.DEVNULL).returncode != 0:
        sys.exit("cannot start the test server")
    closed = 1      # tcpmux: nothing listens there
    plain, with_backlog, drained = [], [], []
    send(config(PORT))      # warm up
    for _ in range(RUNS):
        time.sleep(SETTLE)  # Postfix delivers what came before
        plain.append(send(config(PORT)))
        cfg = config(closed)
        for _ in range(BACKLOG):
            send(cfg)       # deferred: connection refused
        assert queued() == BACKLOG, queued()
        cfg = config(PORT)
        time.sleep(SETTLE)
        start = time.perf_counter()
        with_backlog.append(send(cfg))
        while queued() and time.perf_counter() - start < 60:
            time.sleep(0.005)
        drained.append(time.perf_counter() - start)
        assert queued() == 0, "the backlog was not delivered"
    print("one message, sendmail -t, STARTTLS + AUTH, test Postfix, %d alternating runs:" % RUNS)
    print("  empty queue:              median %6.1f ms  max %6.1f ms" % (
        1000 * statistics.median(plain), 1000 * max(plain)))
    print("  %2d deferred waiting:      median %6.1f ms  max %6.1f ms  (caller)" % (
        BACKLOG, 1000 * statistics.median(with_backlog), 1000 * max(with_backlog)))
    print("  backlog delivered after:  median %6.1f ms  max %6.1f ms  (detached child)" % (
        1000 * statistics.median(drained), 1000 * max(drained)))


if __name__ == "__main__":
    main()
