# SPDX-License-Identifier: MIT
"""The exact command lines and messages that real clients hand to
sendmail. Most run through --dry-run and assert the account, the envelope
and the headers that would leave the machine. The system mailers (cron,
cronie, logwatch, mdadm, fail2ban, unattended-upgrades, systemd-cron) are
delivered through the test Postfix of tests/server/mailserver.sh, and
assert on what arrived: envelope sender = the account, recipients through
[aliases], and the From header (display name kept, account's address)."""
import base64
import email.charset
import email.message
import email.mime.text
import email.utils
import quopri
import socket
import uuid

from saatja_test import (Config, sendmail, eq, contains, header, body,
                         run_tests)

import mailserver

CFG = Config()
HOST = socket.gethostname()
_server_cfg = []


def dry(args, message):
    r = sendmail(["--dry-run"] + list(args), message, CFG)
    eq(r.code, 0, "exit status; stderr: %s" % r.err)
    env, msg = r.dry()
    return r, env, msg


def deliver(args, message, copies=1):
    """Runs sendmail args on message, a (token, text) pair whose text
    holds the unique token, against the test Postfix with root aliased to
    it@firma.test; returns the message that arrived (mailserver.Arrived)."""
    if not _server_cfg:
        _server_cfg.append(mailserver.config(extra="\n[aliases]\nroot = it@firma.test\n"))
    token, text = message
    r = sendmail(args, text, _server_cfg[0])
    eq(r.code, 0, "exit status; stderr: %s" % r.err)
    eq(r.err, "", "nothing on stderr")
    return mailserver.arrived(token, copies)


def tokened(template, *args):
    """(token, template % (args..., token)): the message a program writes,
    with a unique token where it writes its own variable text."""
    token = uuid.uuid4().hex
    return token, template % (args + (token,))


def test_php_mail_crlf_headers_lf_body_with_f():
    # PHP mail(): sendmail_path = "sendmail -t -i", 5th parameter -f;
    # PHP >= 8 joins additional headers with CRLF, the body keeps LF.
    msg = ("To: klient@example.ee\r\nSubject: Arve 42\r\n"
           "From: Firma <arved@firma.ee>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=UTF-8\r\n\r\n"
           "Tere!\nArve on lisatud.\n.\nlõpp\n")
    r, env, m = dry(["-t", "-i", "-farved@firma.ee"], msg)
    eq(env["account"], "arved@firma.ee")
    eq(env["mail-from"], "arved@firma.ee")
    eq(env["rcpt-to"], ["klient@example.ee"])
    f = r.headers()
    eq(header(f, "From"), ["Firma <arved@firma.ee>"], "From unchanged")
    eq(body(m), "Tere!\r\nArve on lisatud.\r\n.\r\nlõpp\r\n".encode(), "body")
    eq(len(header(f, "Date")), 1, "Date added")
    contains(header(f, "Message-ID")[0], "@firma.ee>", "Message-ID domain")


def test_php_mail_as_www_data_without_from():
    msg = "To: klient@example.ee\nSubject: Kontaktivorm\n\nsisu\n"
    r, env, _ = dry(["-t", "-i"], msg)
    eq(env["account"], "arved@firma.ee", "default account for a local sender")
    froms = header(r.headers(), "From")
    eq(len(froms), 1, "From added")
    contains(froms[0], "<arved@firma.ee>", "added From shows the account")


def test_php_mail_with_foreign_f_overridden():
    msg = "To: klient@example.ee\nSubject: x\nFrom: arved@firma.ee\n\nx\n"
    r, env, _ = dry(["-t", "-i", "-fbounce@elsewhere.com"], msg)
    eq(env["mail-from"], "arved@firma.ee", "-f overridden by the account")
    eq(r.out.count(b"bounce@elsewhere.com"), 0, "-f never sent")


def test_phpmailer_issendmail():
    msg = ("Date: Thu, 26 Nov 2026 10:00:00 +0200\nTo: Klient <klient@example.ee>\n"
           "From: Info <info@firma.ee>\nSubject: Tellimus\n"
           "Message-ID: <abc@firma.ee>\nX-Mailer: PHPMailer 6.8.0\n"
           "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nTellimus\n")
    r, env, _ = dry(["-oi", "-finfo@firma.ee", "-t"], msg)
    eq(env["account"], "info@firma.ee", "From picks the info account")
    f = r.headers()
    eq(header(f, "Date"), ["Thu, 26 Nov 2026 10:00:00 +0200"], "Date kept")
    eq(header(f, "Message-ID"), ["<abc@firma.ee>"], "Message-ID kept")


def test_debian_cron():
    # cron(8) on Debian (cron 3.0pl1, do_command.c): sendmail -FCronDaemon
    # -i -B8BITMIME -oem MAILTO, and this header.
    m = deliver(["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"], tokened(
        "From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@%s> /usr/local/bin/backup %s\n"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: 8bit\nX-Cron-Env: <SHELL=/bin/sh>\n"
        "X-Cron-Env: <HOME=/root>\n\nbackup ok ✓\n", HOST))
    eq(m.sender, "arved@firma.test", "envelope sender is the account")
    eq(m.rcpts, ["it@firma.test"], "root mapped through [aliases]")
    eq(m.header("From"), ["Cron Daemon <arved@firma.test>"],
       "display name kept, address replaced")
    eq(m.header("Reply-To"), [], "no Reply-To for a local sender")
    eq(m.body, "backup ok ✓\n".encode(), "8-bit body intact")


def test_cronie():
    # cronie (do_command.c): sendmail -FCronDaemon -i -odi -oem -oi -t -f root
    m = deliver(["-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "root"], tokened(
        "From: \"(Cron Daemon)\" <root>\nTo: root\nSubject: Cron <root@%s> job %s\n\nout\n",
        HOST))
    eq(m.sender, "arved@firma.test")
    eq(m.rcpts, ["it@firma.test"])
    eq(m.header("From"), ["\"(Cron Daemon)\" <arved@firma.test>"])


def test_logwatch_without_i():
    # logwatch: "sendmail -t" (its mailer default), From: Logwatch; without
    # -i a lone dot ends the message.
    m = deliver(["-t"], tokened(
        "To: root\nFrom: Logwatch\nSubject: Logwatch for %s (Linux)\n"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=\"UTF-8\"\n\n"
        "report %s\n.\nnot part of the message\n", HOST))
    eq(m.sender, "arved@firma.test")
    eq(m.rcpts, ["it@firma.test"])
    eq(m.header("From"), ["Logwatch <arved@firma.test>"])
    eq(m.body.count(b"\n"), 1, "a lone dot ended the message: %r" % m.body)


def test_mdadm_monitor():
    # mdadm --monitor (Monitor.c): "sendmail -t", From: mdadm monitoring <root>
    m = deliver(["-t"], tokened(
        "From: mdadm monitoring <root>\nTo: root\nSubject: Fail event on /dev/md0:%s\n\n"
        "This is an automatically generated mail message from mdadm %s\n", HOST))
    eq((m.sender, m.rcpts), ("arved@firma.test", ["it@firma.test"]))
    eq(m.header("From"), ["mdadm monitoring <arved@firma.test>"])


def test_fail2ban():
    # fail2ban action.d/sendmail-common.conf: sendmail -f "<sender>" "<dest>"
    m = deliver(["-f", "fail2ban", "root"], tokened(
        "Subject: [Fail2Ban] sshd: banned 10.0.0.1 from %s\n"
        "Date: Thu, 26 Nov 2026 10:00:00 +0200\nFrom: Fail2Ban <fail2ban>\nTo: root\n\n"
        "Hi,\n\nThe IP 10.0.0.1 has just been banned by Fail2Ban (%s).\n", HOST))
    eq(m.sender, "arved@firma.test")
    eq(m.rcpts, ["it@firma.test"])
    eq(m.header("From"), ["Fail2Ban <arved@firma.test>"])
    eq(m.header("Date"), ["Thu, 26 Nov 2026 10:00:00 +0200"], "Date kept")


def test_unattended_upgrades():
    # unattended-upgrades 2.9 (/usr/bin/unattended-upgrade,
    # _send_mail_using_sendmail): From is Unattended-Upgrade::Sender
    # (default "root"), To is Unattended-Upgrade::Mail, the body UTF-8
    # quoted-printable, all written as text to "/usr/sbin/sendmail -oi -t".
    token = uuid.uuid4().hex
    text = ("Unattended upgrade result: All upgrades installed\n\n"
            "Packages that were upgraded:\n libssl3 openssl %s\n\n"
            "Unattended-upgrades log:\nPaigaldatud: õun äöü\n" % token)
    msg = email.message.Message()
    msg["Subject"] = "unattended-upgrades result for %s: SUCCESS" % HOST
    msg["From"] = "root"
    msg["To"] = "root"
    msg["Auto-Submitted"] = "auto-generated"
    charset = email.charset.Charset("utf-8")
    charset.body_encoding = email.charset.QP
    msg.set_payload(text, charset)
    m = deliver(["-oi", "-t"], (token, msg.as_string()))
    eq(m.sender, "arved@firma.test")
    eq(m.rcpts, ["it@firma.test"])
    eq(m.header("From"), ["root <arved@firma.test>"],
       "a local sender without a display name lends its local part")
    eq(m.header("Subject"), ["unattended-upgrades result for %s: SUCCESS" % HOST])
    eq(m.header("Auto-Submitted"), ["auto-generated"])
    eq(quopri.decodestring(m.body).decode("utf-8"), text, "the report, decoded")


def test_systemd_cron_mail_on_failure():
    # systemd-cron 1.15 (/lib/systemd-cron/mail_on_failure, run by
    # cron-failure@.service): a MIMEText of "systemctl status UNIT", From
    # "root (systemd-cron)" (MAILFROM), To the job's user or MAILTO, piped
    # to "sendmail -i -B8BITMIME MAILTO".
    token = uuid.uuid4().hex
    unit = "cron-backup-%s-root-0.service" % token
    status = ("× %s - [Cron] \"30 2 * * * root /usr/local/bin/backup\"\n"
              "     Active: failed (Result: exit-code)\n" % unit)
    msg = email.mime.text.MIMEText(_text=status)
    msg["Date"] = email.utils.formatdate()
    msg["From"] = "root" + " (systemd-cron)"
    msg["To"] = "root"
    msg["Subject"] = "[" + HOST + "] job " + unit + " failed"
    msg["Auto-Submitted"] = "auto-generated"
    m = deliver(["-i", "-B8BITMIME", "root"], (token, msg.as_bytes()))
    eq(m.sender, "arved@firma.test")
    eq(m.rcpts, ["it@firma.test"])
    eq(m.header("From"), ["systemd-cron <arved@firma.test>"],
       "the comment is the display name, as for cron")
    eq([v.replace("\r\n", "") for v in m.header("Subject")],
       ["[%s] job %s failed" % (HOST, unit)], "Subject, as Python folded it, unfolded")
    eq(base64.b64decode(m.body).decode("utf-8"), status, "the status, decoded")


def test_mutt():
    msg = ("Date: Thu, 26 Nov 2026 10:00:00 +0200\nFrom: Arved <arved@firma.ee>\n"
           "To: klient@example.ee\nCc: kolleeg@firma.ee\nBcc: salajane@example.ee\n"
           "Subject: tere\nUser-Agent: NeoMutt/20220429\n\ntere\n")
    r, env, _ = dry(["-oem", "-oi", "--", "klient@example.ee", "kolleeg@firma.ee",
                     "salajane@example.ee"], msg)
    eq(env["rcpt-to"], ["klient@example.ee", "kolleeg@firma.ee", "salajane@example.ee"])
    eq(header(r.headers(), "Bcc"), [], "Bcc header never leaves")


def test_git_send_email():
    msg = ("From: Arved <arved@firma.ee>\nTo: list@example.org\n"
           "Subject: [PATCH] fix\nDate: Thu, 26 Nov 2026 10:00:00 +0200\n"
           "Message-Id: <20261126.1-1-arved@firma.ee>\n\n---\n.\n..\n-- \n2.39.5\n")
    r, env, m = dry(["-i", "-f", "arved@firma.ee", "list@example.org"], msg)
    eq(env["rcpt-to"], ["list@example.org"])
    eq(body(m), b"---\r\n.\r\n..\r\n-- \r\n2.39.5\r\n", "dot lines kept with -i")


def test_mailx_without_from():
    msg = "To: root\nSubject: disk full\n\n/var is 95% full\n"
    r, env, _ = dry(["-i", "root"], msg)
    eq(env["account"], "arved@firma.ee")
    froms = header(r.headers(), "From")
    eq(len(froms), 1, "From added for mailx")
    contains(froms[0], "arved@firma.ee")


def test_www_data_at_this_host():
    msg = "From: www-data@%s\nTo: klient@example.ee\nSubject: x\n\nx\n" % HOST
    r, env, _ = dry(["-t", "-i"], msg)
    eq(env["account"], "arved@firma.ee", "user@thishost is local")
    eq(header(r.headers(), "From"), ["www-data <arved@firma.ee>"],
       "the local name becomes the display name")
    eq(header(r.headers(), "Reply-To"), [], "no Reply-To for a local sender")


def test_ruby_mail_gem():
    msg = ("Date: Thu, 26 Nov 2026 10:00:00 +0200\nFrom: info@firma.ee\nTo: a@example.ee\n"
           "Message-ID: <x@firma.ee>\nSubject: hi\nMime-Version: 1.0\n"
           "Content-Type: text/plain\nContent-Transfer-Encoding: 7bit\n\nhi\n")
    r, env, _ = dry(["-i", "-f", "info@firma.ee", "--", "a@example.ee"], msg)
    eq(env["account"], "info@firma.ee")


if __name__ == "__main__":
    run_tests()
