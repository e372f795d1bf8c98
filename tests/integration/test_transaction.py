# SPDX-License-Identifier: MIT
"""The mail transaction (sendmail(8), DELIVERY AND THE QUEUE): RCPTs
pipelined at most 100 at a time, a server's 452 4.5.3 (too many recipients)
split into further transactions of the same session with each recipient
given the message once, max_rcpt, one notice for recipients refused for
good, and CHUNKING (BDAT) when the server offers it, DATA when it does
not."""
import glob
import os
import re
import time
import uuid

import mailserver
from faults import FaultServer
from saatja_test import sendmail, eq, contains, run_tests

FAULTS = FaultServer()


def addresses(n, token):
    return ["r%05d-%s@example.test" % (i, token) for i in range(n)]


def fault_envelopes(token):
    """[(from, [to...])] of each message the fault server saved with token."""
    out = []
    for path in sorted(glob.glob(os.path.join(FAULTS.maildir, "*.eml"))):
        with open(path, "rb") as f:
            if token.encode() not in f.read():
                continue
        with open(path[:-4] + ".env", encoding="utf-8") as f:
            lines = f.read().splitlines()
        out.append(([l[5:] for l in lines if l.startswith("from=")][0],
                     [l[4:-1] for l in lines if l.startswith("to=<")]))
    return out


def message(token, to="list@example.test"):
    return ("From: arved@firma.test\nTo: %s\nSubject: transaction %s\n\n"
            ".a line that starts with a dot\nbody %s\n" % (to, token, token))


def longest_rcpt_run(trace):
    """The most RCPT commands the client wrote before reading a reply."""
    run = best = 0
    for line in trace.splitlines():
        if line.startswith(">>> RCPT TO:"):
            run += 1
            best = max(best, run)
        elif line.startswith("<<< "):
            run = 0
    return best


def test_452_after_n_recipients_splits_the_message():
    for limit in (1, 99, 100, 101):
        token = uuid.uuid4().hex
        rcpts = addresses(250, token)
        FAULTS.script({"rcpt_limit": limit})
        cfg = FAULTS.config()
        r = sendmail(["-v"] + rcpts, message(token), cfg, timeout=120)
        eq((r.code, r.err.count("sendmail: ")), (0, 0),
           "N=%d: exit 0, no warning; stderr tail: %s" % (limit, r.err[-500:]))
        got = fault_envelopes(token)
        given = [a for _, to in got for a in to]
        eq(sorted(given), sorted(rcpts), "N=%d: every recipient exactly once" % limit)
        eq(max(len(to) for _, to in got), limit, "N=%d: transactions as large as allowed" % limit)
        eq(len(got), -(-250 // limit), "N=%d: transactions" % limit)
        eq(FAULTS.sessions(), 1, "N=%d: all in one session" % limit)
        assert longest_rcpt_run(r.err) <= 100, "N=%d: more than 100 RCPTs in flight" % limit
        eq(sendmail(["-bp"], b"", cfg).out, b"Mail queue is empty\n")


def test_pipelined_rcpts_are_capped_at_100():
    token = uuid.uuid4().hex
    FAULTS.script({})
    cfg = FAULTS.config()
    r = sendmail(["-v"] + addresses(350, token), message(token), cfg, timeout=120)
    eq(r.code, 0, r.err[-500:])
    eq(longest_rcpt_run(r.err), 100, "RCPTs written before a reply is read")
    got = fault_envelopes(token)
    eq((len(got), len(got[0][1])), (1, 350), "one transaction of 350")


def test_max_rcpt_splits_in_advance():
    token = uuid.uuid4().hex
    FAULTS.script({})
    cfg = FAULTS.config(extra="max_rcpt = 3\n")
    rcpts = addresses(7, token)
    r = sendmail(rcpts, message(token), cfg)
    eq((r.code, r.err), (0, ""))
    got = fault_envelopes(token)
    eq([len(to) for _, to in got], [3, 3, 1], "transactions of max_rcpt")
    eq(sorted(a for _, to in got for a in to), sorted(rcpts))
    # A reply line, not any "452" (the token is random hex).
    eq([l for l in FAULTS.transcript().splitlines() if l.startswith("S: 452")], [],
       "no server refusal was needed")


def test_a_transaction_refused_midway_defers_only_the_rest():
    # Two recipients a transaction (learned from the 452), and the third
    # MAIL refused for now: four recipients got the message, one waits.
    token = uuid.uuid4().hex
    FAULTS.script({"rcpt_limit": 2,
                   "mail": [None, None, "452 4.3.1 Insufficient system storage"]})
    cfg = FAULTS.config()
    rcpts = addresses(5, token)
    r = sendmail(rcpts, message(token), cfg)
    eq(r.code, 0, r.err)
    contains(r.err, "will retry")
    given = [a for _, to in fault_envelopes(token) for a in to]
    eq(sorted(given), rcpts[:4], "two transactions went through")
    q = sendmail(["-bp", "--json"], b"", cfg).out.decode()
    contains(q, rcpts[4], "the last recipient waits")
    assert rcpts[0] not in q, "the others are settled: %s" % q
    # The retry gives the message to the last one only.
    FAULTS.script({})
    eq(sendmail(["-q"], b"", cfg).code, 0)
    given = [a for _, to in fault_envelopes(token) for a in to]
    eq(sorted(given), rcpts, "each recipient exactly once, over two attempts")


def test_refused_recipients_get_one_notice():
    token = uuid.uuid4().hex
    FAULTS.script({"rcpt": {"1": "550 5.1.1 <b>: Recipient address rejected: User unknown",
                            "2": "550 5.1.1 <c>: Recipient address rejected: User unknown"}})
    cfg = FAULTS.config()
    rcpts = ["a-%s@example.test" % token, "b-%s@example.test" % token,
             "c-%s@example.test" % token]
    r = sendmail(rcpts, message(token), cfg)
    eq(r.code, 0, r.err)
    contains(r.err, "was refused by the server")
    deadline = time.time() + 10
    while time.time() < deadline:
        notices = [m for m in FAULTS.messages(token) if b"Subject: Undelivered Mail" in m]
        if notices:
            break
        time.sleep(0.1)
    eq(len(notices), 1, "one notice for both refused recipients")
    text = notices[0].decode()
    contains(text, "To: arved@firma.test")
    contains(text, rcpts[1])
    contains(text, rcpts[2])
    contains(text, "User unknown")
    assert "\n    %s\n" % rcpts[0] not in text, "the delivered one is not listed"
    eq(sendmail(["-bp"], b"", cfg).out, b"Mail queue is empty\n")


def test_notice_about_a_notice_never_happens():
    # Every recipient but the first refused, the account's own address
    # (where the notice goes) refused too: one message, no second notice.
    token = uuid.uuid4().hex
    FAULTS.script({"rcpt": {"1": "550 5.1.1 User unknown",
                            "default": None},
                   "sessions": [None, {"rcpt": "550 5.1.1 User unknown"}]})
    cfg = FAULTS.config()
    r = sendmail(["a-%s@example.test" % token, "b-%s@example.test" % token],
                 message(token), cfg)
    eq(r.code, 0, r.err)
    time.sleep(1)
    eq(FAULTS.sessions(), 2, "the message, then its notice; nothing about the notice")
    failed = [m for m in sendmail(["-bp", "--json"], b"", cfg).out.decode().splitlines()
              if '"queue_name": "failed"' in m]
    eq(len(failed), 1, "the refused notice waits in the failed area, no notice about it")


def test_no_chunking_means_data_with_dot_stuffing():
    token = uuid.uuid4().hex
    FAULTS.script({})
    cfg = FAULTS.config()
    r = sendmail(["-t"], message(token), cfg)
    eq((r.code, r.err), (0, ""))
    cmds = FAULTS.commands("")
    assert not any(c.startswith("BDAT") for c in cmds), cmds
    contains(FAULTS.commands("DATA"), "DATA")
    got = FAULTS.messages(token)
    eq(len(got), 1)
    contains(got[0].decode(), "\r\n.a line that starts with a dot\r\n", "unstuffed by the server")


def test_chunking_sends_the_message_in_one_flight():
    token = uuid.uuid4().hex
    cfg = mailserver.config()
    body = "From: arved@firma.test\nTo: a@example.test, b@example.test\nSubject: %s\n\n" \
           ".dot first\n..two dots\nno newline at the end" % token
    r = sendmail(["-v", "-t"], body, cfg)
    eq(r.code, 0, r.err)
    lines = r.err.splitlines()
    start = [i for i, l in enumerate(lines) if l.startswith(">>> MAIL FROM:")][0]
    m = re.match(r">>> BDAT (\d+) LAST$", lines[start + 3])
    assert m and lines[start + 1].startswith(">>> RCPT") and \
        lines[start + 2].startswith(">>> RCPT"), lines[start:start + 5]
    assert lines[start + 4].startswith(">>> ("), "the message follows before any reply"
    assert not any(l == ">>> DATA" for l in lines)
    contains(lines[start + 8], " %s bytes queued as" % m.group(1),
             "Postfix counted the octets BDAT announced")
    # One copy per recipient, each delivered in its own time.
    got = mailserver.delivered_copies(token, 2)
    eml = got[0][1]
    assert eml.endswith(b"\n\n.dot first\n..two dots\nno newline at the end\n"), eml[-80:]


def test_20000_recipients_through_postfix_arrive_once_each():
    # Postfix's default smtpd_recipient_limit is 1000: 20 transactions.
    # bulk.test recipients are captured 1000 to a delivery (mailserver.sh).
    token = uuid.uuid4().hex
    rcpts = ["r%05d-%s@bulk.test" % (i, token) for i in range(20000)]
    cfg = mailserver.config()
    start = time.time()
    r = sendmail(rcpts, message(token), cfg, timeout=1800)
    took = time.time() - start
    eq((r.code, r.err), (0, ""), "exit 0, no warning")
    with open(cfg.log) as f:
        log = f.read()
    eq(len([l for l in log.splitlines() if "status=sent" in l]), 1, "one message, sent")
    pattern = re.compile(r"^to=<(r\d{5}-%s@bulk\.test)>$" % token, re.M)
    deadline = time.time() + 600
    while True:
        counts, queue_ids, files = {}, set(), []
        for entry in os.scandir(mailserver.MAILDIR):
            if entry.name.startswith(".") or not entry.name.endswith(".env"):
                continue
            try:
                with open(entry.path, encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                continue
            found = pattern.findall(text)
            if found:
                files.append(entry.path)
                queue_ids.add(re.search(r"^queue_id=(\S+)", text, re.M).group(1))
                for a in found:
                    counts[a] = counts.get(a, 0) + 1
        if sum(counts.values()) >= 20000 or time.time() > deadline:
            break
        time.sleep(1)
    print("# 20000 recipients: sendmail %.1f s, all captured after %.1f s, "
          "%d transactions, %d deliveries" % (took, time.time() - start,
                                               len(queue_ids), sum(counts.values())))
    for path in files:
        for p in (path, path[:-4] + ".eml"):
            try:
                os.remove(p)
            except OSError:
                pass
    eq(len(counts), 20000, "every recipient got the message")
    eq([a for a, n in counts.items() if n != 1], [], "none twice")
    eq(len(queue_ids), 20, "transactions of Postfix's 1000")


if __name__ == "__main__":
    run_tests()
