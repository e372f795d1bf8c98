# SPDX-License-Identifier: MIT
"""Crash safety of the queue (sendmail(8), DELIVERY AND THE QUEUE): kill -9
at random moments of enqueueing and of queue runs. Afterwards every message
whose sender saw exit 0 is delivered or still queued, none is lost, none is
delivered broken, and a message is delivered twice only when the kill fell
between the server's 250 and the removal from the queue.

SAATJA_CRASH_ITERATIONS sets the number of kills of each kind (CI runs a
small count; run 200 by hand)."""
import os
import random
import signal
import subprocess
import time
import uuid

from faults import FaultServer
from saatja_test import SENDMAIL, sendmail, eq, mailq_json, run_tests

N = int(os.environ.get("SAATJA_CRASH_ITERATIONS", "40"))
FAULTS = FaultServer()
RNG = random.Random(int(os.environ.get("SAATJA_CRASH_SEED", "20261127")))


def message(token, size):
    return ("From: arved@firma.test\nTo: bob@example.test\nSubject: crash %s\n\n"
            "%s\nend %s\n" % (token, "x" * size, token)).encode()


def delivered_counts(tokens):
    counts = dict.fromkeys(tokens, 0)
    for data in FAULTS.messages():
        for t in tokens:
            if ("crash " + t).encode() in data:
                # Whole: the last line made it.
                assert ("end " + t).encode() in data, "broken message %s" % t
                counts[t] += 1
    return counts


def kill_after(proc, seconds):
    time.sleep(seconds)
    try:
        proc.send_signal(signal.SIGKILL)
    except ProcessLookupError:
        pass
    return proc.wait()


def test_kill_during_enqueue_loses_only_unconfirmed_messages():
    FAULTS.script({})
    cfg = FAULTS.config()
    confirmed, killed = [], []
    for i in range(N):
        token = uuid.uuid4().hex
        p = subprocess.Popen([SENDMAIL, "-C", cfg.path, "-odq", "-t"],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            p.stdin.write(message(token, RNG.randrange(10, 300000)))
            p.stdin.close()
        except BrokenPipeError:
            pass
        code = kill_after(p, RNG.uniform(0, 0.02))
        (confirmed if code == 0 else killed).append(token)
    eq(sendmail(["-q"], b"", cfg).code, 0)
    left = mailq_json(cfg)
    eq(left, [], "every whole message in the queue was delivered")
    counts = delivered_counts(confirmed + killed)
    lost = [t for t in confirmed if counts[t] == 0]
    eq(lost, [], "messages confirmed with exit 0 but lost")
    eq([t for t, n in counts.items() if n > 1], [], "duplicates from enqueue")
    print("# enqueue: %d kills, %d confirmed, %d killed before exit 0, "
          "%d of those still delivered whole" % (
              N, len(confirmed), len(killed),
              sum(1 for t in killed if counts[t])))


def test_kill_during_queue_runs_never_loses_a_message():
    FAULTS.script({})
    cfg = FAULTS.config()
    tokens, kills = [], 0
    for _ in range(N):
        for _ in range(3):
            t = uuid.uuid4().hex
            eq(sendmail(["-odq", "-t"], message(t, 2000), cfg).code, 0)
            tokens.append(t)
        p = subprocess.Popen([SENDMAIL, "-C", cfg.path, "-q"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kill_after(p, RNG.uniform(0, 0.03))
        kills += 1
    eq(sendmail(["-q"], b"", cfg).code, 0)
    eq(mailq_json(cfg), [], "queue empty after a clean run")
    counts = delivered_counts(tokens)
    eq([t for t in tokens if counts[t] == 0], [], "lost messages")
    dups = sum(n - 1 for n in counts.values() if n > 1)
    # A duplicate needs a kill between the server's 250 and the unlink of
    # ID.env: at most one per kill.
    assert dups <= kills, "%d duplicates for %d kills" % (dups, kills)
    print("# queue runs: %d kills over %d messages, %d duplicates "
          "(kill between the 250 and the removal)" % (kills, len(tokens), dups))


if __name__ == "__main__":
    run_tests()
