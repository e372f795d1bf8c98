"""The exact command lines and messages that real clients hand to
sendmail, run through --dry-run: each asserts the account, the envelope
and the headers that would leave the machine."""
from saatja_test import (Config, sendmail, eq, contains, header, body,
                         run_tests)

CFG = Config()
HOST = __import__("socket").gethostname()


def dry(args, message):
    r = sendmail(["--dry-run"] + list(args), message, CFG)
    eq(r.code, 0, "exit status; stderr: %s" % r.err)
    env, msg = r.dry()
    return r, env, msg


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
    # cron(8) on Debian: sendmail -FCronDaemon -i -B8BITMIME -oem root
    msg = ("From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@%s> /usr/local/bin/backup\n"
           "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
           "Content-Transfer-Encoding: 8bit\nX-Cron-Env: <SHELL=/bin/sh>\n\n"
           "backup ok ✓\n" % HOST)
    r, env, _ = dry(["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"], msg)
    eq(env["account"], "arved@firma.ee")
    eq(env["rcpt-to"], ["it@firma.ee"], "root mapped through [aliases]")
    eq(header(r.headers(), "From"), ["Cron Daemon <arved@firma.ee>"],
       "display name kept, address replaced")
    eq(header(r.headers(), "Reply-To"), [], "no Reply-To for a local sender")


def test_cronie():
    msg = ("From: \"(Cron Daemon)\" <root>\nTo: root\nSubject: Cron <root@%s> job\n\nout\n" % HOST)
    r, env, _ = dry(["-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "root"], msg)
    eq(env["account"], "arved@firma.ee")
    eq(env["rcpt-to"], ["it@firma.ee"])
    eq(header(r.headers(), "From"), ["\"(Cron Daemon)\" <arved@firma.ee>"])


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


def test_logwatch_and_mdadm_without_i():
    msg = ("To: root\nFrom: Logwatch\nSubject: Logwatch for %s\n\n"
           "report\n.\nnot part of the message\n" % HOST)
    r, env, m = dry(["-t"], msg)
    eq(env["rcpt-to"], ["it@firma.ee"])
    eq(body(m), b"report\r\n", "a lone dot ends the message without -i")
    eq(header(r.headers(), "From"), ["Logwatch <arved@firma.ee>"])
    msg = ("From: mdadm monitoring <root>\nTo: root\nSubject: Fail event on /dev/md0\n\n"
           "This is an automatically generated mail message from mdadm\n")
    r, env, _ = dry(["-t"], msg)
    eq(header(r.headers(), "From"), ["mdadm monitoring <arved@firma.ee>"])


def test_fail2ban():
    msg = ("Subject: [Fail2Ban] sshd: banned 10.0.0.1\nDate: Thu, 26 Nov 2026 10:00:00 +0200\n"
           "From: Fail2Ban <fail2ban>\nTo: root\n\nbanned\n")
    r, env, _ = dry(["-f", "fail2ban", "root"], msg)
    eq(env["account"], "arved@firma.ee")
    eq(env["rcpt-to"], ["it@firma.ee"])
    eq(header(r.headers(), "From"), ["Fail2Ban <arved@firma.ee>"])


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
