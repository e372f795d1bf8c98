# SPDX-License-Identifier: MIT
"""The transport against the real Postfix + Dovecot of
tests/server/mailserver.sh: delivery over STARTTLS (2587) and implicit TLS
(2465), AUTH PLAIN and LOGIN, envelope and recipients as Postfix captured
them, the body byte for byte, a 40 MB message with flat memory, awkward
passwords, and no password in any output."""
import base64
import glob
import os
import re
import subprocess
import tempfile
import time
import uuid

import mailserver
from mailserver import USERS, CA, SUBMISSION, SMTPS
from saatja_test import (Config, sendmail, eq, contains, run_tests, SkipTest,
                         SENDMAIL, SRCDIR)

WORK = tempfile.mkdtemp(prefix="saatja-transport-")
LOG = os.path.join(WORK, "saatja.log")


def config(account="arved@firma.test", port=SUBMISSION, tls="starttls", extra=""):
    return mailserver.config(account, port, tls, extra=extra, work=WORK)


def message(token, sender="arved@firma.test", to="bob@example.test", extra="",
            body="hello\n"):
    return ("From: %s\nTo: %s\n%sSubject: test %s\n\n%s"
            % (sender, to, extra, token, body))


def queue_id(run):
    """The Postfix queue ID from the end-of-data reply in the log."""
    m = re.findall(r"status=sent \(250 [^)]*queued as (\w+)", run.log)
    if not m:
        raise AssertionError("no 'queued as' in the log: %r\nstderr: %s" % (run.log, run.err))
    return m[-1]


delivered = mailserver.delivered_by_qid


def send(args, msg, cfg):
    open(LOG, "w").close()
    r = sendmail(list(args), msg, cfg)
    with open(LOG, encoding="utf-8", errors="replace") as f:
        r.log = f.read()
    return r


def ok_run(r):
    eq(r.code, 0, "exit status; stderr: %s" % r.err)


def split(eml):
    head, _, body = eml.partition(b"\n\n")
    return head, body


def test_starttls_delivery_envelope_and_bcc_dropped():
    token = uuid.uuid4().hex
    msg = message(token, to="To One <one@example.test>",
                  extra="Cc: two@example.test\nBcc: hidden@example.test\n")
    r = send(["-t", "-i"], msg, config())
    ok_run(r)
    contains(r.log, "tls=TLSv1.3 status=sent", "log line")
    contains(r.log, "relay=127.0.0.1[127.0.0.1]:%d" % SUBMISSION, "log relay")
    got = delivered(queue_id(r), 3)
    eq(sorted(t for env, _ in got for t in env["to"]),
       ["<hidden@example.test>", "<one@example.test>", "<two@example.test>"], "recipients")
    for env, eml in got:
        eq(env["from"], "<arved@firma.test>", "envelope sender")
        head, body = split(eml)
        contains(head.decode(), token, "our message")
        eq(re.search(rb"(?im)^bcc:", head), None, "Bcc header removed")
        eq(body, b"hello\n", "body")


def test_implicit_tls_delivery_2465():
    token = uuid.uuid4().hex
    r = send(["-t"], message(token), config(port=SMTPS, tls="tls"))
    ok_run(r)
    contains(r.log, "relay=127.0.0.1[127.0.0.1]:%d" % SMTPS, "log relay")
    env, eml = delivered(queue_id(r))[0]
    eq(env["to"], ["<bob@example.test>"], "recipient")
    contains(eml.decode(), token, "delivered")


def test_tls_mode_on_a_starttls_port_is_a_config_error():
    """The guide's "SSL" ticked for port 587: the port greets in plain
    text. Exit 78 with what to change; the message waits in the failed
    area for sendmail -qI once the config is fixed."""
    token = uuid.uuid4().hex
    cfg = config(port=SUBMISSION, tls="tls")
    r = send(["-t"], message(token), cfg)
    eq(r.code, 78, r.err)
    contains(r.err, "answers in plain text (\"220 ")
    contains(r.err, "tls = starttls")
    contains(r.log, "status=failed")
    mq = sendmail(["-bp"], b"", cfg)
    contains(mq.out.decode(), "answers in plain text")
    eq(mailserver.delivered_by_token(token, wait=0), [], "nothing delivered")


def test_auth_login():
    token = uuid.uuid4().hex
    r = send(["-t", "-v"], message(token), config(extra="auth = login\n"))
    ok_run(r)
    contains(r.err, ">>> AUTH LOGIN\n", "AUTH LOGIN used")
    eq(r.err.count(">>> ********"), 2, "user and password lines redacted")
    delivered(queue_id(r))


def test_body_byte_for_byte_dots_and_utf8():
    token = uuid.uuid4().hex
    body = ("Tere, õun ja €uro\n.\n..\n.dot at start\n. space\nend.\n"
            "line with trailing space \n\ttab\n")
    r = send(["-t", "-i"], message(token, body=body,
                                   extra="Content-Type: text/plain; charset=UTF-8\n"),
             config())
    ok_run(r)
    _, eml = delivered(queue_id(r))[0]
    eq(split(eml)[1], body.encode("utf-8"), "body as written")


def test_40mb_attachment_streams_in_flat_memory():
    token = uuid.uuid4().hex
    path = os.path.join(WORK, "big.eml")
    payload = base64.encodebytes(os.urandom(30 * 1024 * 1024))
    with open(path, "wb") as f:
        f.write(message(token, extra="MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XYZ\n",
                        body="").encode())
        f.write(b"--XYZ\nContent-Type: text/plain\n\nsee attachment\n.\n"
                b"--XYZ\nContent-Type: application/octet-stream\n"
                b"Content-Transfer-Encoding: base64\n\n")
        f.write(payload)
        f.write(b"--XYZ--\n")
    cfg = config()
    timev = os.path.exists("/usr/bin/time")
    argv = ["/usr/bin/time", "-v"] if timev else []
    argv += [SENDMAIL, "-C", cfg.path, "-t", "-i"]
    open(LOG, "w").close()
    with open(path, "rb") as f:
        p = subprocess.run(argv, stdin=f, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=300)
    err = p.stderr.decode("utf-8", "replace")
    eq(p.returncode, 0, "exit status; stderr: %s" % err[-2000:])
    if timev:
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
        # ASan keeps freed blocks in quarantine: allow for it there.
        limit = 128 if os.environ.get("SAATJA_SANITIZED") == "1" else 20
        if rss > limit * 1024:
            raise AssertionError("peak RSS %d KiB for a 40 MB message" % rss)
        print("# peak RSS %d KiB for a %d byte message" % (rss, os.path.getsize(path)))
    with open(LOG) as f:
        log = f.read()
    qid = re.findall(r"queued as (\w+)", log)[-1]
    _, eml = delivered(qid, wait=120)[0]
    body = split(eml)[1]
    with open(path, "rb") as f:
        want = split(f.read())[1]
    eq(len(body), len(want), "body length")
    eq(body == want, True, "body bytes")


def test_password_with_special_characters_quoted_in_ini():
    token = uuid.uuid4().hex
    eq(USERS["info@firma.test"], "p;a#s=s wõrd 2", "the test user's password")
    r = send(["-t"], message(token, sender="info@firma.test"),
             config(account="info@firma.test"))
    ok_run(r)
    env, _ = delivered(queue_id(r))[0]
    eq(env["from"], "<info@firma.test>", "envelope sender")


def test_gmail_app_password_pasted_with_spaces():
    token = uuid.uuid4().hex
    pw = USERS["appuser@gmail.test"]
    spaced = " ".join(pw[i:i + 4] for i in range(0, 16, 4))
    mailserver.server()
    cfg = Config("""\
[saatja]
log = %s
queue = %s/queue
[appuser@gmail.test]
provider = gmail
host = 127.0.0.1
port = %d
ca_file = %s
password = %s
""" % (LOG, WORK, SUBMISSION, CA, spaced))
    r = send(["-t"], message(token, sender="appuser@gmail.test"), cfg)
    ok_run(r)
    delivered(queue_id(r))


def test_no_password_in_verbose_transcript_or_log():
    for account, auth in (("info@firma.test", "plain"), ("arved@firma.test", "login")):
        pw = USERS[account].encode("utf-8")
        secrets = [pw, base64.b64encode(pw),
                   base64.b64encode(b"\0" + account.encode() + b"\0" + pw),
                   base64.b64encode(account.encode() + b"\0" + account.encode() + b"\0" + pw)]
        xfile = os.path.join(WORK, "transcript-%s.txt" % auth)
        r = send(["-t", "-v", "-X", xfile], message(uuid.uuid4().hex, sender=account),
                 config(account=account, extra="auth = %s\n" % auth))
        ok_run(r)
        with open(xfile, "rb") as f:
            transcript = f.read()
        contains(transcript.decode(), "AUTH %s" % auth.upper(), "-X has the dialogue")
        for s in secrets:
            for where, data in (("stderr", r.err.encode()), ("-X file", transcript),
                                ("log", r.log.encode())):
                if s in data:
                    raise AssertionError("%s shows %r" % (where, s))


def test_wrong_password_is_refused_with_hint():
    mailserver.server()
    cfg = Config("""\
[saatja]
queue = %s/queue
[arved@firma.test]
host = 127.0.0.1
port = %d
ca_file = %s
password = wrong
""" % (WORK, SUBMISSION, CA))
    r = sendmail(["-t"], message("x"), cfg)
    eq(r.code, 77, "exit status; stderr: %s" % r.err)
    contains(r.err, "535", "server reply shown")
    contains(r.err, "check the password", "hint")


def test_untrusted_server_without_ca_file():
    mailserver.server()
    cfg = Config("""\
[saatja]
queue = %s/queue
[arved@firma.test]
host = localhost
port = %d
password = x
""" % (WORK, SUBMISSION))
    r = sendmail(["-t"], message("x"), cfg)
    eq(r.code, 77, "exit status; stderr: %s" % r.err)
    contains(r.err, "saatja test CA", "issuer named")


if __name__ == "__main__":
    run_tests()
