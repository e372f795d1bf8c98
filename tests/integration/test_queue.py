# SPDX-License-Identifier: MIT
"""The durable queue (sendmail(8), DELIVERY AND THE QUEUE): temporary
failures wait and are retried, permanent ones go to the failed area with a
notice, delivery modes, sendmail -q / -q --due / -qI, mailq, max_per_hour,
one connection per account, and no message delivered twice by concurrent
runs."""
import json
import os
import subprocess
import tempfile
import time
import uuid

import mailserver
from faults import FaultServer
from saatja_test import (Config, closed_port, VALGRIND, sendmail_argv, sendmail, eq,
                         contains, mailq_json, run_tests)

FAULTS = FaultServer()


def message(token, to="bob@example.test", sender="arved@firma.test"):
    return "From: %s\nTo: %s\nSubject: queue test %s\n\nbody %s\n" % (
        sender, to, token, token)


def set_port(cfg, old, new):
    with open(cfg.path) as f:
        text = f.read()
    with open(cfg.path, "w") as f:
        f.write(text.replace("port = %d\n" % old, "port = %d\n" % new))


def test_server_down_queues_then_q_delivers_once():
    down = closed_port()
    cfg = mailserver.config(port=down)
    token = uuid.uuid4().hex
    r = sendmail(["-t"], message(token), cfg)
    eq(r.code, 0, "accepted and queued; stderr: %s" % r.err)
    contains(r.err, "will retry")
    contains(r.err, "Connection refused")
    q = mailq_json(cfg)
    eq(len(q), 1, "one message queued")
    eq(q[0]["queue_name"], "deferred")
    contains(q[0]["reason"], "Connection refused")
    table = sendmail(["-bp"], b"", cfg).out.decode()
    contains(table, "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------")
    contains(table, q[0]["queue_id"] + " ")
    contains(table, "(cannot connect to 127.0.0.1")
    contains(table, "-- 1 Kbytes in 1 Request.")
    set_port(cfg, down, mailserver.SUBMISSION)
    r = sendmail(["-q"], b"", cfg)
    eq(r.code, 0, r.err)
    eq(sendmail(["-bp"], b"", cfg).out, b"Mail queue is empty\n")
    got = mailserver.delivered_by_token(token, wait=10)
    eq(len(got), 1, "delivered exactly once")
    eq(got[0][0]["from"], "<arved@firma.test>")


def test_due_waits_for_the_retry_time_q_does_not():
    down = closed_port()
    cfg = mailserver.config(port=down)
    token = uuid.uuid4().hex
    eq(sendmail(["-t"], message(token), cfg).code, 0)
    set_port(cfg, down, mailserver.SUBMISSION)
    eq(sendmail(["-q", "--due"], b"", cfg).code, 0)
    eq(len(mailq_json(cfg)), 1, "--due leaves a message whose retry time has not come")
    eq(mailserver.delivered_by_token(token), [], "nothing sent by --due")
    eq(sendmail(["-q"], b"", cfg).code, 0)
    eq(mailq_json(cfg), [], "-q sends it whatever its retry time")
    eq(len(mailserver.delivered_by_token(token, wait=10)), 1)


def test_queue_mode_never_connects_until_q():
    cfg = FAULTS.config()
    FAULTS.script({})
    token = uuid.uuid4().hex
    r = sendmail(["-odq", "-t"], message(token), cfg)
    eq(r.code, 0, r.err)
    eq(r.err, "", "nothing said for a queued message")
    eq(FAULTS.sessions(), 0, "no connection in queue mode")
    eq(len(mailq_json(cfg)), 1)
    eq(sendmail(["-q"], b"", cfg).code, 0)
    eq(mailq_json(cfg), [])
    eq(len(FAULTS.messages(token)), 1, "delivered by the queue run")


def test_background_returns_before_the_network():
    cfg = FAULTS.config()
    FAULTS.script({"greeting": {"stall": 2, "reply": "220 slow.test ESMTP"}})
    token = uuid.uuid4().hex
    start = time.time()
    r = sendmail(["-odb", "-t"], message(token), cfg)
    took = time.time() - start
    eq(r.code, 0, r.err)
    # Under valgrind, its own start-up and leak check take that long.
    assert took < 1.5 or VALGRIND, "the caller waited %.2f s for a 2 s greeting" % took
    deadline = time.time() + 15
    while not FAULTS.messages(token) and time.time() < deadline:
        time.sleep(0.2)
    eq(len(FAULTS.messages(token)), 1, "the background child delivered it")
    eq(mailq_json(cfg), [], "and removed it from the queue")


def test_delivery_key_background():
    cfg = FAULTS.config(saatja="delivery = queue\n")
    FAULTS.script({})
    eq(sendmail(["-t"], message(uuid.uuid4().hex), cfg).code, 0)
    eq(len(mailq_json(cfg)), 1, "delivery = queue in the config")
    eq(FAULTS.sessions(), 0)
    eq(sendmail(["-odi", "-t"], message(uuid.uuid4().hex), cfg).code, 0)
    eq(len(mailq_json(cfg)), 1, "-odi overrides the config")


def test_all_recipients_refused_fails_with_notice():
    cfg = mailserver.config()
    token = uuid.uuid4().hex
    r = sendmail(["-t"], message(token, to="nobody-here@example.test"), cfg)
    eq(r.code, 67, "every recipient refused; stderr: %s" % r.err)
    contains(r.err, "550 5.1.1")
    q = mailq_json(cfg)
    eq([m["queue_name"] for m in q], ["failed"], "kept in the failed area")
    contains(q[0]["reason"], "No such user")
    table = sendmail(["-bp"], b"", cfg).out.decode()
    contains(table, q[0]["queue_id"] + "!", "failed marked with !")
    notices = [p for p in mailserver.delivered_by_token(q[0]["queue_id"], wait=10)
               if b"Undelivered Mail" in p[1]]
    eq(len(notices), 1, "one notice")
    eq(notices[0][0]["to"], ["<arved@firma.test>"], "to the account's own address")
    contains(notices[0][1].decode(), "nobody-here@example.test")


def test_auth_refused_fails_and_notice_never_loops():
    cfg = mailserver.config(password="wrong-password")
    r = sendmail(["-t"], message(uuid.uuid4().hex), cfg)
    eq(r.code, 77, r.err)
    q = mailq_json(cfg)
    eq(len(q), 2, "the message and its notice, both failed: %r" % q)
    eq({m["queue_name"] for m in q}, {"failed"})
    eq(sendmail(["-q"], b"", cfg).code, 0)
    eq(len(mailq_json(cfg)), 2, "no notice about the notice")


def test_notice_goes_to_the_account_alone_not_its_cc_bcc():
    # cc/bcc copy the account's outgoing mail (cc, bcc in saatja.ini(5)); a
    # notice is mail to the account itself. Refused login: the notice waits,
    # failed too.
    cfg = mailserver.config(password="wrong-password",
                            extra="cc = kopia@example.test\nbcc = arhiiv@example.test\n")
    eq(sendmail(["-t"], message(uuid.uuid4().hex), cfg).code, 77)
    q = mailq_json(cfg)
    eq(len(q), 2, "the message and its notice: %r" % q)
    original = [m for m in q if m["recipients"][0]["address"] == "bob@example.test"]
    eq(len(original), 1, "the original: %r" % q)
    eq(sorted(r["address"] for r in original[0]["recipients"]),
       ["arhiiv@example.test", "bob@example.test", "kopia@example.test"],
       "the original has its copies")
    notice = [m for m in q if m is not original[0]][0]
    eq([r["address"] for r in notice["recipients"]], ["arved@firma.test"],
       "the notice goes to the account alone")


def test_qI_resends_a_failed_message_after_the_fix():
    cfg = mailserver.config(password="wrong-password")
    token = uuid.uuid4().hex
    eq(sendmail(["-t"], message(token), cfg).code, 77)
    ids = [m["queue_id"] for m in mailq_json(cfg) if token not in m.get("reason", "")]
    original = [m for m in mailq_json(cfg) if m["recipients"][0]["address"] == "bob@example.test"]
    eq(len(original), 1, "original in the failed area: %r" % ids)
    with open(cfg.path) as f:
        text = f.read()
    with open(cfg.path, "w") as f:
        f.write(text.replace('"wrong-password"', '"%s"' % mailserver.USERS["arved@firma.test"]))
    r = sendmail(["-qI", original[0]["queue_id"]], b"", cfg)
    eq(r.code, 0, r.err)
    eq(len(mailserver.delivered_by_token(token, wait=10)), 1)
    eq([m["queue_id"] for m in mailq_json(cfg) if m["queue_id"] == original[0]["queue_id"]], [])


def test_gives_up_after_retry_for():
    down = closed_port()
    cfg = mailserver.config(port=down, saatja="retry_for = 1s\n")
    # Queued without an attempt: a first attempt that itself outlasts
    # retry_for (under valgrind start-up alone takes that long) would
    # rightly give up at once, with exit 69, and time this test.
    eq(sendmail(["-odq", "-t"], message(uuid.uuid4().hex), cfg).code, 0)
    time.sleep(2)
    eq(sendmail(["-q"], b"", cfg).code, 0)
    q = [m for m in mailq_json(cfg) if m["recipients"][0]["address"] == "bob@example.test"]
    eq(q[0]["queue_name"], "failed")
    contains(q[0]["reason"], "gave up")


def test_one_connection_per_account_rset_between():
    cfg = FAULTS.config()
    FAULTS.script({})
    tokens = [uuid.uuid4().hex for _ in range(3)]
    for t in tokens:
        eq(sendmail(["-odq", "-t"], message(t), cfg).code, 0)
    eq(sendmail(["-q"], b"", cfg).code, 0)
    eq(FAULTS.sessions(), 1, "one connection for three messages")
    eq(len(FAULTS.commands("MAIL FROM")), 3)
    eq(len(FAULTS.commands("RSET")), 2, "RSET between transactions")
    eq(len(FAULTS.commands("AUTH")), 1, "one login")


def test_refused_rset_defers_the_rest_never_fails_them():
    """RSET goes out in one write with the next MAIL; when the server
    refuses it, the messages left are no worse: they wait, queued."""
    cfg = FAULTS.config()
    FAULTS.script({"rset": "502 5.5.1 RSET not implemented"})
    tokens = [uuid.uuid4().hex for _ in range(3)]
    for t in tokens:
        eq(sendmail(["-odq", "-t"], message(t), cfg).code, 0)
    r = sendmail(["-q"], b"", cfg)
    eq(r.code, 0, r.err)
    eq(sum(len(FAULTS.messages(t)) for t in tokens), 1, "the first message went")
    left = mailq_json(cfg)
    eq(len(left), 2, "two wait")
    eq([m["queue_name"] for m in left], ["deferred", "deferred"], "deferred, not failed")
    contains(left[0]["reason"], "RSET")


def test_max_per_hour_excess_waits():
    cfg = FAULTS.config(extra="max_per_hour = 2\n")
    FAULTS.script({})
    for _ in range(4):
        eq(sendmail(["-odq", "-t"], message(uuid.uuid4().hex), cfg).code, 0)
    eq(sendmail(["-q"], b"", cfg).code, 0)
    eq(len(FAULTS.commands("MAIL FROM")), 2, "two sent this hour")
    q = mailq_json(cfg)
    eq(len(q), 2, "two wait")
    eq({m["queue_name"] for m in q}, {"deferred"})
    contains(q[0]["reason"], "max_per_hour")


def test_max_per_hour_without_its_rate_file_is_logged_once():
    cfg = FAULTS.config(extra="max_per_hour = 2\n")
    FAULTS.script({})
    for _ in range(3):
        eq(sendmail(["-odq", "-t"], message(uuid.uuid4().hex), cfg).code, 0)
    # A directory where the rate file goes: open() fails, even for root.
    rate = os.path.join(cfg.work, "queue", "arved@firma.test.rate")
    os.mkdir(rate)
    eq(sendmail(["-q"], b"", cfg).code, 0)
    eq(len(FAULTS.commands("MAIL FROM")), 3, "the limit is not applied")
    with open(cfg.log) as f:
        log = f.read()
    eq(log.count("max_per_hour of arved@firma.test is not applied"), 1, log)
    contains(log, "cannot open %s: " % rate)


def test_concurrent_senders_and_runs_deliver_exactly_once():
    cfg = mailserver.config()
    run = uuid.uuid4().hex
    procs = []
    for i in range(50):
        p = subprocess.Popen(sendmail_argv() + ["-C", cfg.path, "-odq", "-t"],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        p.stdin.write(message("%s-%03d" % (run, i)).encode())
        p.stdin.close()
        procs.append(p)
    for p in procs:
        eq(p.wait(), 0, p.stderr.read().decode())
    eq(len(mailq_json(cfg)), 50)
    runs = [subprocess.Popen(sendmail_argv() + ["-C", cfg.path, "-q"]) for _ in range(3)]
    for p in runs:
        eq(p.wait(), 0)
    eq(mailq_json(cfg), [], "queue empty after the runs")
    got = mailserver.delivered_by_token(run, wait=60, count=50)
    subjects = {}
    for env, eml in got:
        s = eml.split(b"queue test ", 1)[1].split(b"\n", 1)[0].decode()
        subjects[s] = subjects.get(s, 0) + 1
    eq(len(subjects), 50, "every message delivered")
    eq([s for s, n in subjects.items() if n != 1], [], "none twice")


def test_a_queue_run_removes_what_killed_writers_left():
    # What a sender or runner killed mid-write leaves (sendmail/queue.c):
    # removed by the next queue run once untouched for 10 minutes (here
    # backdated), never counted by mailq; a fresh one may be a live
    # writer's and stays.
    FAULTS.script({})
    cfg = FAULTS.config()
    token = uuid.uuid4().hex
    eq(sendmail(["-odq", "-t"], message(token), cfg).code, 0)
    qdir = os.path.join(cfg.work, "queue")
    stale = [os.path.join(qdir, n) for n in (
        "tmp/0123456789.env.new", "tmp/0123456789.state.new",
        "tmp/0123456789.body.new", "00000000AA.body", "00000000AA.state",
        "failed/00000000BB.body", "failed/00000000BB.state")]
    fresh = os.path.join(qdir, "tmp", "ABCDEF0123.env.new")
    for path in stale + [fresh]:
        with open(path, "w") as f:
            f.write("saatja-queue: 1\naccount: arved@firma.test\n")
    then = time.time() - 11 * 60
    for path in stale:
        os.utime(path, (then, then))
    eq(len(mailq_json(cfg)), 1, "mailq counts the message, not the debris")
    contains(sendmail(["-bp"], b"", cfg).out.decode(), "in 1 Request.")
    eq(sendmail(["-q"], b"", cfg).code, 0)
    eq([p for p in stale if os.path.exists(p)], [], "stale debris left")
    assert os.path.exists(fresh), "a fresh temporary file was removed"
    eq(len(FAULTS.messages(token)), 1, "the message itself was delivered")
    eq(mailq_json(cfg), [], "the queue is empty")


def test_next_delivery_takes_the_backlog_along():
    # The reproduction: deferred while the port was closed, then
    # the port fixed and a second message sent; no sendmail -q.
    down = closed_port()
    cfg = mailserver.config(port=down)
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    r = sendmail(["-t"], message(first), cfg)
    eq(r.code, 0, r.err)
    contains(r.err, "will retry")
    set_port(cfg, down, mailserver.SUBMISSION)
    r = sendmail(["-t"], message(second), cfg)
    eq((r.code, r.err), (0, ""), "the second message is sent")
    eq(len(mailserver.delivered_by_token(second, wait=10)), 1)
    eq(len(mailserver.delivered_by_token(first, wait=10)), 1,
       "the deferred message went too, with no queue run")
    deadline = time.time() + 10
    while mailq_json(cfg) and time.time() < deadline:
        time.sleep(0.1)
    eq(mailq_json(cfg), [], "the queue is empty")
    with open(cfg.log) as f:
        log = f.read()
    eq(log.count("status=sent"), 2, log)


def test_backlog_never_holds_up_the_caller():
    cfg = FAULTS.config()
    FAULTS.script({"sessions": [{"greeting": "421 4.3.2 not now"}]})
    waiting = uuid.uuid4().hex
    eq(sendmail(["-t"], message(waiting), cfg).code, 0)
    eq(len(mailq_json(cfg)), 1)
    # The next session: the caller's message at once, the backlog's end
    # of data answered only after 3 s.
    FAULTS.script({"data_end": [None, {"stall": 3}]})
    mine = uuid.uuid4().hex
    start = time.time()
    r = sendmail(["-t"], message(mine), cfg)
    took = time.time() - start
    eq((r.code, r.err), (0, ""), "the caller's own message")
    eq(len(FAULTS.messages(mine)), 1)
    assert took < 2 or VALGRIND, "the caller waited %.2f s for the backlog" % took
    deadline = time.time() + 15
    while not FAULTS.messages(waiting) and time.time() < deadline:
        time.sleep(0.1)
    eq(len(FAULTS.messages(waiting)), 1, "the backlog was delivered")
    eq(FAULTS.sessions(), 1, "over the caller's session: one login")
    eq(len(FAULTS.commands("AUTH")), 1, "one login")


def test_due_run_takes_the_accounts_other_messages_along():
    down = closed_port()
    cfg = mailserver.config(port=down)
    late, due = uuid.uuid4().hex, uuid.uuid4().hex
    eq(sendmail(["-t"], message(late), cfg).code, 0)      # deferred 5 min
    eq(sendmail(["-odq", "-t"], message(due), cfg).code, 0)
    set_port(cfg, down, mailserver.SUBMISSION)
    eq(sendmail(["-q", "--due"], b"", cfg).code, 0)
    eq(mailq_json(cfg), [], "the account works: its deferred message went too")
    eq(len(mailserver.delivered_by_token(late, wait=10)), 1)
    eq(len(mailserver.delivered_by_token(due, wait=10)), 1)


def test_mailq_and_check_warn_when_nothing_will_retry():
    down = closed_port()
    cfg = FAULTS.config()
    set_port(cfg, FAULTS.port, down)
    token = uuid.uuid4().hex
    eq(sendmail(["-t"], message(token), cfg).code, 0)
    r = sendmail(["-bp"], b"", cfg)
    eq(r.code, 0, r.err)
    contains(r.out.decode(), "-- 1 Kbytes in 1 Request.", "the table is unchanged")
    eq(r.err, "sendmail: warning: 1 message waits for a retry, but nothing will retry it: "
       "no queue runner is enabled and no queue run happened in the last hour; "
       "run saatja-runner enable as root (or sendmail -q now)\n", "one line on stderr")
    r = sendmail(["-bp", "--json"], b"", cfg)
    contains(r.err, "1 message waits for a retry", "also with --json")
    r = sendmail(["--check"], b"", cfg)
    contains(r.out.decode(), "\nwarning: 1 message waits for a retry, but nothing will retry it",
             "--check says it on standard output")
    # A queue run (the timer, cron, a user's crontab) is something that retries.
    eq(sendmail(["-q"], b"", cfg).code, 0)
    eq(len(mailq_json(cfg)), 1, "still deferred: the port is closed")
    r = sendmail(["-bp"], b"", cfg)
    eq(r.err, "", "no warning once a queue run happened")
    r = sendmail(["--check"], b"", cfg)
    assert "nothing will retry" not in r.out.decode(), r.out.decode()


def test_mailq_without_a_config_lists_the_default_queue():
    home = tempfile.mkdtemp(prefix="saatja-home-")
    env = {"HOME": home, "XDG_CONFIG_HOME": "", "XDG_STATE_HOME": ""}
    user_queue = os.path.join(home, ".local", "state", "saatja")
    os.makedirs(user_queue)
    cfg = FAULTS.config(saatja="queue = %s\n" % user_queue)
    with open(cfg.path) as f:
        text = f.read()
    with open(cfg.path, "w") as f:   # the FaultServer config's own queue key goes
        f.write(text.replace("queue = %s/queue\n" % cfg.work, "", 1))
    token = uuid.uuid4().hex
    eq(sendmail(["-odq", "-t"], message(token), cfg).code, 0)
    argv = sendmail_argv() + ["-bp", "--json"]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, **env), timeout=60)
    eq(r.returncode, 0, "mailq with no config at all: %s" % r.stderr.decode())
    system = "/usr/local/var/spool/saatja"
    if not os.path.isdir(system) and not os.path.exists("/usr/local/etc/saatja.ini"):
        got = [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]
        eq(len(got), 1, "the user's default queue is listed")
    r = subprocess.run(sendmail_argv() + ["-C", os.path.join(home, "none.ini"), "-bp"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    eq(r.returncode, 78, "a config named with -C must exist")


def test_unreadable_queue_directory_is_an_error_not_an_empty_queue():
    work = tempfile.mkdtemp(prefix="saatja-test-")
    # A file where the queue directory should be: unreadable even for root.
    open(os.path.join(work, "queue"), "w").close()
    cfg = Config("[saatja]\nlog = %s/saatja.log\nqueue = %s/queue\n"
                 "[arved@firma.test]\nhost = 127.0.0.1\npassword = x\n" % (work, work))
    for args in (["-q"], ["-bp"]):
        r = sendmail(args, b"", cfg)
        eq(r.code, 74, "sendmail %s: %s" % (" ".join(args), r.err))
        contains(r.err, "cannot read the queue directory %s/queue" % work)
        eq(r.out, b"", "no 'Mail queue is empty'")


if __name__ == "__main__":
    run_tests()
