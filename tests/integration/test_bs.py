# SPDX-License-Identifier: MIT
"""sendmail -bs (sendmail(8), -bs): SMTP on standard input and output, as
Symfony Mailer, Laravel and Nextcloud speak it. The protocol tests queue
into a private queue (delivery = queue) and look at what was queued; the
end-to-end tests deliver through the real Postfix of
tests/server/mailserver.sh."""
import os
import select
import subprocess
import tempfile
import threading
import time
import uuid

from saatja_test import (Config, sendmail_argv, BASIC_INI, eq, contains, run_tests, SkipTest,
                         sendmail, parse_headers, header, queue_files, SENDMAIL, SRCDIR)

import mailserver
from mailserver import CA, MAILDIR


def queue_config(extra_settings="", ini=BASIC_INI):
    """A config queueing into a private, empty queue (cfg.queue)."""
    queue = tempfile.mkdtemp(prefix="saatja-bs-queue-")
    text = ini.replace("[saatja]\n", "[saatja]\ndelivery = queue\nqueue = %s\nlog = %s\n%s"
                       % (queue, os.path.join(queue, "saatja.log"), extra_settings), 1)
    cfg = Config(text)
    cfg.queue = queue
    return cfg


class Session:
    """A running sendmail -bs and the client side of its SMTP session."""

    def __init__(self, cfg, args=()):
        e = dict(os.environ)
        e.setdefault("TMPDIR", tempfile.gettempdir())
        self.p = subprocess.Popen(sendmail_argv() + ["-C", cfg.path, "-bs"] + list(args),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=e)
        self.pending = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def send_behind(self, data):
        """Sends data from a thread, for more than the pipes can hold
        while the replies are read."""
        t = threading.Thread(target=self.send, args=(data,))
        t.start()
        return t

    def line(self, timeout=30):
        deadline = time.time() + timeout
        while b"\n" not in self.pending:
            left = deadline - time.time()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]:
                raise AssertionError("no reply within %ds; got %r" % (timeout, self.pending))
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError("sendmail closed stdout; pending %r, stderr %r"
                                     % (self.pending, self.p.stderr.read()))
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        if not line.endswith(b"\r"):
            raise AssertionError("reply line without CRLF: %r" % line)
        return line[:-1].decode("ascii")

    def reply(self):
        """(code, [text lines]) of one possibly multi-line reply."""
        lines = []
        while True:
            line = self.line()
            lines.append(line[4:])
            if len(line) < 4 or line[3] != "-":
                return int(line[:3]), lines

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.reply()

    def finish(self, timeout=60):
        """Closes stdin; returns (exit code, rest of stdout, stderr)."""
        self.p.stdin.close()
        out = self.pending + self.p.stdout.read()
        err = self.p.stderr.read()
        self.p.wait(timeout)
        return self.p.returncode, out, err

    def ehlo(self):
        code, _ = self.reply()
        eq(code, 220, "greeting")
        code, lines = self.cmd("EHLO client.test")
        eq(code, 250, "EHLO")
        return lines


def expect(got, code, enhanced=None, what=""):
    eq(got[0], code, "%s: %r" % (what, got))
    if enhanced:
        contains(got[1][0], enhanced, what)


def message(token, sender="arved@firma.ee", to="klient@example.ee", extra="", body="hello\r\n"):
    return ("From: %s\r\nTo: %s\r\n%sSubject: bs %s\r\n\r\n%s"
            % (sender, to, extra, token, body))


def transaction(s, rcpts, msg, sender="arved@firma.ee"):
    """MAIL, RCPT..., DATA, the message, "."; returns the final reply."""
    expect(s.cmd("MAIL FROM:<%s>" % sender), 250, "2.1.0", "MAIL")
    for r in rcpts:
        expect(s.cmd("RCPT TO:<%s>" % r), 250, "2.1.5", "RCPT")
    expect(s.cmd("DATA"), 354, None, "DATA")
    s.send(msg + ".\r\n")
    return s.reply()


def quit_clean(s):
    expect(s.cmd("QUIT"), 221, "2.0.0", "QUIT")
    code, out, err = s.finish()
    eq(code, 0, "exit status after QUIT; stderr %r" % err)
    eq(out, b"", "nothing after 221")
    eq(err, b"", "nothing on stderr")


def queued_id(reply):
    eq(reply[0], 250, "final reply %r" % (reply,))
    text = reply[1][0]
    contains(text, "2.0.0 Ok: queued as ", "the 250 names the queue ID")
    return text.rsplit(" ", 1)[1]


def test_greeting_names_host_and_saatja():
    s = Session(queue_config())
    code, lines = s.reply()
    eq(code, 220)
    contains(lines[0], "saatja")
    contains(lines[0], "ESMTP")
    quit_clean(s)
    s = Session(queue_config("helo = web1.firma.ee\n"))
    code, lines = s.reply()
    eq(lines[0].split(" ")[0], "web1.firma.ee", "helo = names the greeting")
    code, lines = s.cmd("EHLO client.test")
    eq(lines[0].split(" ")[0], "web1.firma.ee", "...and the EHLO reply")
    quit_clean(s)


def test_ehlo_advertises_pipelining_8bitmime_size_enhancedstatuscodes():
    s = Session(queue_config())
    keywords = [line.split(" ")[0].upper() for line in s.ehlo()[1:]]
    for k in ("PIPELINING", "8BITMIME", "SIZE", "ENHANCEDSTATUSCODES"):
        contains(keywords, k, "EHLO keyword")
    eq("AUTH" in keywords, False, "no AUTH: the caller is local")
    eq("STARTTLS" in keywords, False, "no STARTTLS on a pipe")
    size = [line for line in s.cmd("EHLO again")[1] if line.startswith("SIZE")]
    eq(int(size[0].split()[1]) >= 100 * 1024 * 1024, True, "SIZE is a large number")
    quit_clean(s)


def test_helo_answers_250_and_a_message_follows():
    cfg = queue_config()
    s = Session(cfg)
    s.reply()
    expect(s.cmd("HELO client.test"), 250)
    qid = queued_id(transaction(s, ["klient@example.ee"], message("helo")))
    quit_clean(s)
    eq(list(queue_files(cfg.queue)), [qid])


def test_two_messages_in_one_session():
    cfg = queue_config()
    s = Session(cfg)
    s.ehlo()
    a = queued_id(transaction(s, ["a@example.ee"], message("one", to="a@example.ee")))
    b = queued_id(transaction(s, ["b@example.ee", "c@example.ee"],
                              message("two", to="b@example.ee", extra="Cc: c@example.ee\r\n")))
    quit_clean(s)
    q = queue_files(cfg.queue)
    eq(sorted(q), sorted([a, b]), "both queued, distinct IDs")
    eq(q[a][0]["rcpt"], ["a@example.ee"])
    eq(q[b][0]["rcpt"], ["b@example.ee", "c@example.ee"])
    eq(header(q[b][1], "Subject"), ["bs two"])
    eq(q[a][0]["account"], "arved@firma.ee")


def test_pipelined_transaction_in_one_write_answered_in_order():
    cfg = queue_config()
    s = Session(cfg)
    s.reply()
    s.send("EHLO client.test\r\nMAIL FROM:<arved@firma.ee>\r\nRCPT TO:<a@example.ee>\r\n"
           "RCPT TO:<b@example.ee>\r\nDATA\r\n" + message("pipelined") + ".\r\n"
           "MAIL FROM:<arved@firma.ee>\r\nRCPT TO:<c@example.ee>\r\nDATA\r\n"
           + message("second") + ".\r\nQUIT\r\n")
    codes = [s.reply()[0] for _ in range(11)]
    eq(codes, [250, 250, 250, 250, 354, 250, 250, 250, 354, 250, 221], "replies in order")
    code, out, err = s.finish()
    eq(code, 0, err)
    eq(len(queue_files(cfg.queue)), 2)


def test_dot_unstuffing():
    cfg = queue_config()
    s = Session(cfg)
    s.ehlo()
    body = "..\r\n..leading dot\r\n...two\r\nmid.dle .\r\n. space\r\nend\r\n"
    qid = queued_id(transaction(s, ["a@example.ee"], message("dots", body=body)))
    quit_clean(s)
    eq(queue_files(cfg.queue)[qid][2], b".\r\n.leading dot\r\n..two\r\nmid.dle .\r\n space\r\nend\r\n")


def test_lf_only_input():
    cfg = queue_config()
    s = Session(cfg)
    s.reply()
    s.send("EHLO client.test\nMAIL FROM:<arved@firma.ee>\nRCPT TO:<a@example.ee>\nDATA\n")
    eq([s.reply()[0] for _ in range(4)], [250, 250, 250, 354])
    s.send("From: arved@firma.ee\nTo: a@example.ee\nSubject: lf\n\n..x\nline two\n.\n")
    qid = queued_id(s.reply())
    s.send("QUIT\n")
    eq(s.reply()[0], 221)
    code, _, err = s.finish()
    eq((code, err), (0, b""))
    q = queue_files(cfg.queue)[qid]
    eq(header(q[1], "Subject"), ["lf"])
    eq(q[2], b".x\r\nline two\r\n", "LF became CRLF, dot unstuffed")


def test_rset_mid_transaction_forgets_it():
    cfg = queue_config()
    s = Session(cfg)
    s.ehlo()
    expect(s.cmd("MAIL FROM:<arved@firma.ee>"), 250)
    expect(s.cmd("RCPT TO:<old@example.ee>"), 250)
    expect(s.cmd("RSET"), 250, "2.0.0")
    expect(s.cmd("RCPT TO:<x@example.ee>"), 503, "5.5.1", "RCPT after RSET")
    expect(s.cmd("DATA"), 503, "5.5.1", "DATA after RSET")
    qid = queued_id(transaction(s, ["new@example.ee"], message("rset", to="new@example.ee")))
    quit_clean(s)
    eq(queue_files(cfg.queue)[qid][0]["rcpt"], ["new@example.ee"], "the old recipient is gone")


def test_rcpt_before_mail_is_out_of_sequence():
    s = Session(queue_config())
    s.ehlo()
    expect(s.cmd("RCPT TO:<a@example.ee>"), 503, "5.5.1")
    quit_clean(s)


def test_data_before_mail_is_out_of_sequence():
    s = Session(queue_config())
    s.ehlo()
    expect(s.cmd("DATA"), 503, "5.5.1")
    expect(s.cmd("NOOP"), 250, "2.0.0", "still in command mode")
    quit_clean(s)


def test_data_with_no_recipients_is_out_of_sequence():
    cfg = queue_config()
    s = Session(cfg)
    s.ehlo()
    expect(s.cmd("MAIL FROM:<arved@firma.ee>"), 250)
    expect(s.cmd("DATA"), 503, "5.5.1")
    expect(s.cmd("NOOP"), 250, "2.0.0", "no message is read")
    quit_clean(s)
    eq(queue_files(cfg.queue), {})


def test_mail_twice_is_out_of_sequence():
    s = Session(queue_config())
    s.ehlo()
    expect(s.cmd("MAIL FROM:<arved@firma.ee>"), 250)
    expect(s.cmd("MAIL FROM:<arved@firma.ee>"), 503, "5.5.1")
    quit_clean(s)


def test_unknown_command():
    s = Session(queue_config())
    s.ehlo()
    expect(s.cmd("XYZZY now"), 500, "5.5.1")
    expect(s.cmd("STARTTLS"), 500, "5.5.1", "no TLS on a pipe")
    expect(s.cmd(""), 500, "5.5.2", "empty line")
    quit_clean(s)


def test_over_long_line_refused_and_session_stays_in_step():
    s = Session(queue_config())
    s.ehlo()
    expect(s.cmd("NOOP " + "x" * 600), 500, "5.5.2")
    expect(s.cmd("MAIL FROM:<" + "y" * 200000 + "@firma.ee>"), 500, "5.5.2",
           "a line much longer than the input buffer")
    expect(s.cmd("NOOP"), 250, "2.0.0", "the next command is read as one")
    expect(s.cmd("NOOP " + "z" * 505), 250, "2.0.0", "510 octets are allowed")
    quit_clean(s)


def test_thousand_recipients():
    cfg = queue_config()
    s = Session(cfg)
    s.ehlo()
    rcpts = ["r%04d@example.ee" % i for i in range(1000)]
    writer = s.send_behind("MAIL FROM:<arved@firma.ee>\r\n" +
                           "".join("RCPT TO:<%s>\r\n" % r for r in rcpts) + "DATA\r\n")
    codes = [s.reply()[0] for _ in range(1002)]
    writer.join()
    eq(codes, [250] * 1001 + [354])
    s.send(message("thousand", to="undisclosed-recipients:;") + ".\r\n")
    qid = queued_id(s.reply())
    quit_clean(s)
    eq(queue_files(cfg.queue)[qid][0]["rcpt"], rcpts)


def test_too_many_recipients_452():
    s = Session(queue_config())
    s.ehlo()
    writer = s.send_behind("MAIL FROM:<arved@firma.ee>\r\n" +
                           "".join("RCPT TO:<r%d@example.ee>\r\n" % i for i in range(10001)))
    eq(s.reply()[0], 250)
    replies = [s.reply() for _ in range(10001)]
    writer.join()
    eq(set(r[0] for r in replies[:10000]), {250})
    expect(replies[10000], 452, "4.5.3")
    quit_clean(s)


def test_mail_parameters():
    cfg = queue_config()
    s = Session(cfg)
    s.ehlo()
    expect(s.cmd("MAIL FROM:<arved@firma.ee> FOO=bar"), 555, "5.5.4", "unknown parameter")
    expect(s.cmd("MAIL FROM:<arved@firma.ee> BODY=BINARYMIME"), 501, "5.5.4")
    expect(s.cmd("MAIL FROM:<arved@firma.ee> SIZE=99999999999999"), 552, "5.3.4")
    expect(s.cmd("MAIL FROM:<arved@firma.ee> BODY=8BITMIME SIZE=1234 SMTPUTF8"), 250)
    expect(s.cmd("RCPT TO:<a@example.ee>"), 250)
    expect(s.cmd("DATA"), 354)
    s.send(message("8bit", body="t\xe4ht\r\n") + ".\r\n")
    qid = queued_id(s.reply())
    quit_clean(s)
    eq(queue_files(cfg.queue)[qid][0].get("body-type"), "8BITMIME", "BODY= kept for the provider")


def test_recipient_forms():
    cfg = queue_config()
    s = Session(cfg)
    s.ehlo()
    expect(s.cmd("MAIL FROM: <arved@firma.ee>"), 250, None, "space after the colon")
    expect(s.cmd("RCPT TO:<>"), 501, "5.1.3", "null recipient")
    expect(s.cmd("RCPT TO:<a@example.ee> NOTIFY=NEVER"), 555, "5.5.4", "no DSN offered")
    expect(s.cmd("rcpt to:<lower@example.ee>"), 250, None, "verbs are case-blind")
    expect(s.cmd("RCPT TO:Klient <disp@example.ee>"), 250, None, "with a display name")
    expect(s.cmd("RCPT TO:bare@example.ee"), 250, None, "without brackets")
    expect(s.cmd("RCPT TO:<@relay.example:route@example.ee>"), 250, None, "source route")
    # Found by fuzz_server_cmd: RFC 5322 lets a TAB stand in a quoted local
    # part, RFC 5321 has no way to send it.
    expect(s.cmd('RCPT TO:<"tab\there"@example.ee>'), 501, "5.1.3", "TAB in the address")
    r = s.cmd("RCPT TO:<x@example.ee> ÄÖ=1")
    expect(r, 555, "5.5.4", "unknown parameter")
    contains(r[1][0], "Unsupported option: ????=1", "8-bit parameter shown as ASCII")
    expect(s.cmd("MAIL FROM:<a@b> X-ÄÖ=1"), 503, "5.5.1", "nested MAIL before its syntax")
    expect(s.cmd("DATA"), 354)
    s.send(message("forms") + ".\r\n")
    qid = queued_id(s.reply())
    quit_clean(s)
    eq(queue_files(cfg.queue)[qid][0]["rcpt"],
       ["lower@example.ee", "disp@example.ee", "bare@example.ee", "route@example.ee"])


def test_vrfy_help_noop():
    s = Session(queue_config())
    s.ehlo()
    expect(s.cmd("VRFY root"), 252)
    expect(s.cmd("HELP"), 214)
    expect(s.cmd("NOOP"), 250)
    expect(s.cmd("AUTH PLAIN AAAA"), 503, "5.5.1", "no AUTH: the caller is local")
    quit_clean(s)


def test_eof_inside_data_queues_nothing_and_exits_non_zero_quietly():
    cfg = queue_config()
    s = Session(cfg)
    s.ehlo()
    expect(s.cmd("MAIL FROM:<arved@firma.ee>"), 250)
    expect(s.cmd("RCPT TO:<a@example.ee>"), 250)
    expect(s.cmd("DATA"), 354)
    s.send(message("cut short", body="half a mess"))
    code, out, err = s.finish()
    eq(code != 0, True, "non-zero exit")
    eq(out, b"", "no reply to a message that never ended")
    eq(err, b"", "quiet: the caller knows its own failure")
    eq(queue_files(cfg.queue), {}, "nothing queued")
    eq([f for f in os.listdir(os.path.join(cfg.queue, "tmp"))], [], "no leftover in tmp")


def test_eof_between_transactions_exits_zero():
    cfg = queue_config()
    s = Session(cfg)
    s.ehlo()
    qid = queued_id(transaction(s, ["a@example.ee"], message("eof")))
    code, out, err = s.finish()
    eq((code, out, err), (0, b"", b""))
    eq(list(queue_files(cfg.queue)), [qid])


def test_foreign_sender_refused_550_and_nothing_queued():
    cfg = queue_config()
    s = Session(cfg)
    s.ehlo()
    r = transaction(s, ["a@example.ee"], message("foreign", sender="Boss <boss@gmail.com>"),
                    sender="boss@gmail.com")
    expect(r, 550, "5.7.1")
    contains(r[1][0], "boss@gmail.com", "the reason names the sender")
    eq(all(32 <= ord(ch) < 127 for ch in r[1][0]), True, "printable ASCII")
    qid = queued_id(transaction(s, ["a@example.ee"], message("after refusal")))
    quit_clean(s)
    eq(list(queue_files(cfg.queue)), [qid], "only the second message was queued")


def test_unusable_message_554():
    cfg = queue_config()
    s = Session(cfg)
    s.ehlo()
    r = transaction(s, ["a@example.ee"], "From: arved@firma.ee\r\nX-Bad: a\0b\r\n\r\nx\r\n")
    expect(r, 554, "5.6.0")
    expect(s.cmd("NOOP"), 250, None, "the rest of DATA was skipped")
    quit_clean(s)
    eq(queue_files(cfg.queue), {})


def test_mail_from_chooses_the_account_when_the_message_has_no_from():
    cfg = queue_config()
    s = Session(cfg)
    s.ehlo()
    qid = queued_id(transaction(s, ["a@example.ee"], "To: a@example.ee\r\nSubject: nofrom\r\n\r\nx\r\n",
                                sender="info@firma.ee"))
    quit_clean(s)
    env, fields, _ = queue_files(cfg.queue)[qid]
    eq(env["account"], "info@firma.ee")
    contains(header(fields, "From")[0], "info@firma.ee")


def test_bcc_header_removed_bcc_recipient_kept():
    cfg = queue_config()
    s = Session(cfg)
    s.ehlo()
    qid = queued_id(transaction(s, ["a@example.ee", "hidden@example.ee"],
                                message("bcc", extra="Bcc: hidden@example.ee\r\n")))
    quit_clean(s)
    env, fields, _ = queue_files(cfg.queue)[qid]
    eq(header(fields, "Bcc"), [], "Bcc never leaves the machine")
    eq(env["rcpt"], ["a@example.ee", "hidden@example.ee"])


def test_headers_do_not_add_recipients():
    """-bs takes the envelope from RCPT only, as -t is not in effect."""
    cfg = queue_config()
    s = Session(cfg, ["-t"])
    s.ehlo()
    qid = queued_id(transaction(s, ["only@example.ee"],
                                message("envelope", extra="Cc: other@example.ee\r\n")))
    quit_clean(s)
    eq(queue_files(cfg.queue)[qid][0]["rcpt"], ["only@example.ee"])


def test_mailq_lists_what_bs_queued():
    cfg = queue_config()
    s = Session(cfg)
    s.ehlo()
    qid = queued_id(transaction(s, ["listed@example.ee"], message("mailq")))
    quit_clean(s)
    r = sendmail(["-bp"], b"", cfg)
    eq(r.code, 0, r.err)
    contains(r.out.decode(), qid)
    contains(r.out.decode(), "listed@example.ee")


def test_unusable_queue_gives_451_before_data():
    cfg = queue_config()
    os.chmod(cfg.path, 0o600)
    with open(cfg.path, encoding="utf-8") as f:
        text = f.read()
    blocker = os.path.join(cfg.queue, "file")
    open(blocker, "w").close()
    with open(cfg.path, "w", encoding="utf-8") as f:
        f.write(text.replace("queue = %s\n" % cfg.queue, "queue = %s/sub\n" % blocker))
    s = Session(cfg)
    s.ehlo()
    expect(s.cmd("MAIL FROM:<arved@firma.ee>"), 250)
    expect(s.cmd("RCPT TO:<a@example.ee>"), 250)
    expect(s.cmd("DATA"), 451, "4.3.0", "nothing can be queued: try later")
    quit_clean(s)


def test_clean_session_writes_nothing_to_stderr():
    cfg = queue_config()
    s = Session(cfg)
    s.ehlo()
    transaction(s, ["a@example.ee"], message("quiet"))
    expect(s.cmd("RSET"), 250)
    quit_clean(s)


# End to end: through the real Postfix of tests/server/mailserver.sh.

def postfix_config(delivery="interactive"):
    """Accounts arved@ and info@firma.test at the test Postfix."""
    mailserver.server()
    users = mailserver.USERS
    queue = tempfile.mkdtemp(prefix="saatja-bs-queue-")
    text = "[saatja]\ndefault = arved@firma.test\ndelivery = %s\nqueue = %s\nlog = %s\n" % (
        delivery, queue, os.path.join(queue, "saatja.log"))
    for a in ("arved@firma.test", "info@firma.test"):
        text += ('\n[%s]\nhost = 127.0.0.1\nport = %d\ntls = starttls\nca_file = %s\n'
                 'password = "%s"\n' % (a, mailserver.SUBMISSION, CA, users[a]))
    cfg = Config(text)
    cfg.queue = queue
    return cfg


def delivered(token, count, wait=30):
    """[(env dict, message bytes)] of the captured copies whose Subject
    holds token, once count of them are there (count None: all that
    arrive within wait seconds)."""
    deadline = time.time() + wait
    found = []
    while True:
        found = mailserver.delivered_by_token("Subject: bs %s" % token)
        if (count is not None and len(found) >= count) or time.time() > deadline:
            break
        time.sleep(0.1)
    if count is not None:
        eq(len(found), count, "delivered copies for %s" % token)
    return found


def test_delivered_through_postfix_two_messages_one_session():
    cfg = postfix_config()
    s = Session(cfg)
    s.ehlo()
    t1, t2 = uuid.uuid4().hex, uuid.uuid4().hex
    r1 = transaction(s, ["klient@example.test", "peidus@example.test"],
                     message(t1, sender="Arved <arved@firma.test>", to="klient@example.test",
                             extra="Bcc: peidus@example.test\r\n", body="..dot\r\nrida\r\n"),
                     sender="arved@firma.test")
    queued_id(r1)
    r2 = transaction(s, ["teine@example.test"],
                     "To: teine@example.test\r\nSubject: bs %s\r\n\r\nno from\r\n" % t2,
                     sender="info@firma.test")
    queued_id(r2)
    quit_clean(s)
    copies = delivered(t1, 2)
    eq(sorted(e["to"][0] for e, _ in copies), ["<klient@example.test>", "<peidus@example.test>"])
    for env, data in copies:
        eq(env["from"], "<arved@firma.test>")
        head, _, body = data.partition(b"\n\n")
        eq(b"\nBcc:" in head or head.startswith(b"Bcc:"), False, "Bcc removed")
        contains(head.decode(), "From: Arved <arved@firma.test>")
        eq(body, b".dot\nrida\n", "unstuffed once, stuffed again on the wire")
    [(env, data)] = delivered(t2, 1)
    eq(env["from"], "<info@firma.test>", "MAIL FROM chose the account")
    contains(data.decode(), "info@firma.test")
    eq(queue_files(cfg.queue), {}, "delivered messages left the queue")


def test_foreign_sender_never_reaches_postfix():
    cfg = postfix_config()
    s = Session(cfg)
    s.ehlo()
    token = uuid.uuid4().hex
    expect(transaction(s, ["klient@example.test"],
                       message(token, sender="boss@gmail.test", to="klient@example.test"),
                       sender="boss@gmail.test"), 550, "5.7.1")
    quit_clean(s)
    eq(delivered(token, None, wait=2), [], "nothing delivered")
    eq(queue_files(cfg.queue), {})


if __name__ == "__main__":
    run_tests()
