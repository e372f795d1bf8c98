# SPDX-License-Identifier: MIT
"""sendmail --check [ADDR] (sendmail(8), --check): every step on a line of
its own with ✓ or ✗, a hint at the first failure, exit 0 only when all steps
pass, never a message sent and never a password shown. Against the test
Postfix (tests/server/mailserver.sh) for what a real server does, and the
fault server for provider replies and broken servers."""
import base64
import re
import os
import pty
import subprocess

import mailserver
from faults import FaultServer
from saatja_test import closed_port, Config, sendmail_argv, sendmail, eq, contains, run_tests

FAULTS = FaultServer()
FAULT_PASSWORD = "fault-secret-1"
GMAIL_535 = ("535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
             "535 5.7.8  https://support.google.com/mail/?p=BadCredentials")
OK, FAIL = "\u2713", "\u2717"
STEPS = ["config", "DNS", "connect", "TLS", "AUTH", "sender", "QUIT"]


def secrets():
    """Every password a test uses, and the base64 that AUTH would carry."""
    out = set()
    for user, password in list(mailserver.USERS.items()) + [
            ("arved@firma.test", FAULT_PASSWORD), ("firma@gmail.com", FAULT_PASSWORD)]:
        out.add(password)
        out.add(base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode())
        out.add(base64.b64encode(password.encode()).decode())
    return out


def check(cfg, *args):
    r = sendmail(["--check"] + list(args), b"", cfg)
    r.text = r.out.decode("utf-8")
    for secret in secrets():
        if secret in r.text or secret in r.err:
            raise AssertionError("a password or its base64 was shown:\n" + r.text + r.err)
    return r


def marks(r):
    """[(mark, step)] for every step line."""
    return [tuple(line.split()[:2]) for line in r.text.splitlines()
            if line[:1] in (OK, FAIL)]


def failed_at(r, step, code):
    eq(r.code, code, "exit status\n" + r.text + r.err)
    got = marks(r)
    eq(got[-1], (FAIL, step), "the failing step\n" + r.text)
    eq([m for m, _ in got[:-1]], [OK] * (len(got) - 1), "steps before it pass")
    contains(r.text, "hint: ", "a hint follows the failure")


def fault(script, account="arved@firma.test", extra="", password=FAULT_PASSWORD):
    FAULTS.script(script)
    return FAULTS.config(account=account, extra=extra, password=password)


def test_every_step_passes_against_postfix_with_starttls():
    r = check(mailserver.config())
    eq(r.code, 0, r.text + r.err)
    eq(marks(r), [(OK, s) for s in STEPS])
    contains(r.text, "(mode 0600: not readable by others)")
    contains(r.text, "no preset, 127.0.0.1 port %d, tls = starttls" % mailserver.SUBMISSION)
    contains(r.text, "mail from arved@firma.test and local senders (cron, scripts) "
             "goes out as arved@firma.test")
    contains(r.text, "127.0.0.1 is an address")
    contains(r.text, "TLSv1.")
    contains(r.text, "after STARTTLS")
    contains(r.text, 'certificate "CN=localhost,O=saatja tests"')
    contains(r.text, 'issued by "CN=saatja test CA,O=saatja tests", expires 20')
    contains(r.text, "verified: trusted issuer (ca_file =)")
    contains(r.text, "logged in as arved@firma.test with PLAIN")
    contains(r.text, "the server accepts arved@firma.test as the sender for this login")
    eq(r.err, "")


def test_every_step_passes_against_postfix_with_implicit_tls():
    r = check(mailserver.config(port=mailserver.SMTPS, tls="tls"))
    eq(r.code, 0, r.text + r.err)
    eq(marks(r), [(OK, s) for s in STEPS])
    contains(r.text, "from the first byte (tls = tls)")


def test_check_names_an_account_that_is_not_the_default():
    cfg = mailserver.config(extra="""
[info@firma.test]
host = 127.0.0.1
port = %d
ca_file = %s
password = "%s"
""" % (mailserver.SUBMISSION, mailserver.CA, mailserver.USERS["info@firma.test"]),
        saatja="default = arved@firma.test")
    r = check(cfg, "INFO@firma.test")
    eq(r.code, 0, r.text + r.err)
    contains(r.text, "logged in as info@firma.test")
    contains(r.text, "mail from info@firma.test goes out as info@firma.test; local senders "
             "(cron, scripts) go out as arved@firma.test, the default account")


def test_check_sends_no_message():
    r = check(fault({}))
    eq(r.code, 0, r.text + r.err)
    eq(FAULTS.commands("MAIL FROM"), ["MAIL FROM:<arved@firma.test>"])
    eq(len(FAULTS.commands("RSET")), 1, "RSET ends the transaction")
    eq(FAULTS.commands("RCPT"), [], "no recipient")
    eq(FAULTS.commands("DATA"), [], "no message")
    eq(FAULTS.messages(), [], "nothing saved by the server")


def test_gmail_wrong_password_points_to_app_passwords():
    r = check(fault({"auth": GMAIL_535}, account="firma@gmail.com",
                    extra="provider = gmail\n"))
    failed_at(r, "AUTH", 77)
    contains(r.text, "preset gmail (verified), 127.0.0.1 port %d" % FAULTS.port)
    contains(r.text, "the server refused the password for firma@gmail.com")
    contains(r.text, "535 5.7.8 Username and Password not accepted")
    contains(r.text, "gmail wants an app password")
    contains(r.text, "make one at https://myaccount.google.com/apppasswords")
    contains(r.text, "pasted with its spaces (like qkzf qhwd emvc qzgg) is fine")
    eq(FAULTS.commands("MAIL"), [], "no MAIL after a refused login")
    eq(FAULTS.commands("DATA"), [])


def test_microsoft_basic_auth_refusal_shows_the_oauth2_lines():
    for reply in ("535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
                  "550 5.7.30 Basic authentication is not supported for Client Submission"):
        r = check(fault({"auth": reply}, account="mari@outlook.com",
                        extra="provider = outlook\n"))
        failed_at(r, "AUTH", 77)
        contains(r.text, "it needs OAuth2")
        for line in ("auth = xoauth2", "oauth = microsoft", "oauth_client_id = "):
            assert re.search(r"\n {10,}%s" % re.escape(line), r.text), \
                "the line to add on a line of its own: %s\n%s" % (line, r.text)
        contains(r.text, "sendmail --authorize mari@outlook.com")
        contains(r.text, "Outlook.com/Hotmail/Live accounts need OAuth2")
        eq("wants an app password" in r.text, False, "no app password for Outlook: " + r.text)


def test_zone_refusal_asks_for_the_mailbox_password():
    r = check(fault({"auth": "535 5.7.8 Error: authentication failed"},
                    extra="provider = zone\n"))
    failed_at(r, "AUTH", 77)
    contains(r.text, "zone uses your mailbox password (no app password)")


def test_online_ee_refusal_asks_for_the_separate_smtp_password():
    r = check(fault({"auth": "535 5.7.8 Error: authentication failed"},
                    account="kasutaja@hot.ee", extra="provider = online.ee\n"))
    failed_at(r, "AUTH", 77)
    contains(r.text, "online.ee wants the separate SMTP password")


def test_online_ee_preset_is_said_to_be_unverified():
    r = check(fault({}, account="kasutaja@hot.ee", extra="provider = online.ee\n"))
    eq(r.code, 0, r.text + r.err)
    contains(r.text, "preset online.ee (NOT verified)")
    contains(r.text, "note: the online.ee preset's server smtp.online.ee is not verified")
    contains(r.text, "smtp.onmine.ee")


def test_refused_connection_suggests_port_465():
    port = closed_port()
    r = check(mailserver.config(port=port))
    failed_at(r, "connect", 74)
    contains(r.text, "127.0.0.1 does not answer on port %d" % port)
    contains(r.text, "Connection refused")
    contains(r.text, "your network may block port %d; try port 465 with tls = tls" % port)


def test_refused_connection_with_tls_suggests_port_587():
    port = closed_port()
    r = check(mailserver.config(port=port, tls="tls"))
    failed_at(r, "connect", 74)
    contains(r.text, "your network may block port %d; try port 587 with tls = starttls" % port)


def test_unknown_host_is_a_dns_failure():
    r = check(Config("[arved@firma.test]\nhost = smtp.no-such-host.invalid\npassword = x\n"))
    failed_at(r, "DNS", 74)
    contains(r.text, "cannot find the server smtp.no-such-host.invalid: check the host name or your DNS")


def test_tls_on_the_starttls_port_is_a_mixup():
    r = check(mailserver.config(tls="tls"))
    failed_at(r, "TLS", 78)
    contains(r.text, "the server speaks plain SMTP on this port")
    contains(r.text, 'it greets in plain text ("220 ')
    contains(r.text, "use tls = starttls, usually port 587")


def test_starttls_on_the_tls_port_is_a_mixup():
    r = check(mailserver.config(port=mailserver.SMTPS, tls="starttls"))
    failed_at(r, "TLS", 78)
    contains(r.text, "the server expects TLS at once on this port")
    contains(r.text, "answered a TLS handshake")
    contains(r.text, "use tls = tls, usually port 465")


def test_tls_bytes_instead_of_a_greeting_is_a_mixup():
    r = check(fault({"greeting": {"garbage_hex": "15030300020228"}}))
    failed_at(r, "TLS", 78)
    contains(r.text, "instead of an SMTP greeting it sent TLS data")
    contains(r.text, "use tls = tls, usually port 465")


def test_untrusted_certificate_is_explained():
    r = check(fault({"cert": "untrusted"}))
    failed_at(r, "TLS", 77)
    contains(r.text, "the server's certificate is not trusted: nothing was sent")
    contains(r.text, 'issued by "CN=saatja UNTRUSTED CA"')
    eq(FAULTS.commands("AUTH"), [], "no AUTH after a failed verification")


def test_no_starttls_offered_means_no_login():
    r = check(fault({"strip_starttls": True, "auth_before_tls": True}))
    failed_at(r, "TLS", 77)
    contains(r.text, "no encrypted session with the server: nothing was sent")
    contains(r.text, "did not offer encryption")
    eq(FAULTS.commands("AUTH"), [], "no password offered in plain text")


def test_sender_login_mismatch_is_shown_at_mail_from():
    r = check(fault({"mail": "553 5.7.1 Sender address rejected: not owned by user"}))
    failed_at(r, "sender", 69)
    contains(r.text, "the server does not accept arved@firma.test as the sender for this login")
    contains(r.text, "553 5.7.1 Sender address rejected: not owned by user")
    contains(r.text, "the section name must be the mailbox's own address")
    eq(FAULTS.commands("DATA"), [])


def test_unknown_address_exits_78_naming_the_accounts():
    r = check(mailserver.config(), "nobody@firma.test")
    eq(r.code, 78, r.text + r.err)
    eq(marks(r), [(FAIL, "config")])
    contains(r.text, "has no account nobody@firma.test")
    contains(r.text, "the accounts are: arved@firma.test")
    contains(r.err, "nobody@firma.test is not an account there; the accounts are: arved@firma.test")


def test_no_default_account_exits_78_naming_the_accounts():
    cfg = Config("[a@firma.test]\nhost = 127.0.0.1\npassword = x\n"
                 "[b@firma.test]\nhost = 127.0.0.1\npassword = y\n")
    r = check(cfg)
    eq(r.code, 78, r.text + r.err)
    contains(r.text, "several accounts and no default")
    contains(r.text, "a@firma.test, b@firma.test")


def test_ascii_marks_on_a_terminal_without_utf8():
    cfg = mailserver.config(port=closed_port())
    master, slave = pty.openpty()
    env = dict(os.environ, LANG="C", LC_ALL="C")
    proc = subprocess.run(sendmail_argv() + ["-C", cfg.path, "--check"], stdout=slave,
                          stderr=subprocess.PIPE, env=env, timeout=60)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    text = out.decode("ascii")
    eq(proc.returncode, 74)
    contains(text, "ok   config")
    contains(text, "FAIL connect")


if __name__ == "__main__":
    run_tests()
