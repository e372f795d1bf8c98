# SPDX-License-Identifier: MIT
"""Real clients from Debian calling the built sendmail the way they do in
the field: PHP mail() with and without -f, PHPMailer's isSendmail(),
Symfony Mailer's SendmailTransport in -bs mode (two messages on one
transport) and in -t mode, mutt in batch mode, s-nail (no From at all),
and git send-email --sendmail-cmd.

With the Postfix of tests/server/mailserver.sh running, each test asserts
on what Postfix captured (envelope sender, recipients, From, no Bcc);
without it, on what saatja queued (delivery = queue). A client that is
not installed is skipped with its Debian package name (tests/lib/setup.sh
installs them all)."""
import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid

from saatja_test import (Config, VALGRIND, sendmail_argv, eq, contains, run_tests, SkipTest, parse_headers,
                         header, queue_files, SENDMAIL, SRCDIR)
from test_bs import MAILDIR, CA

import mailserver

WORK = tempfile.mkdtemp(prefix="saatja-clients-")


def server_state():
    """None when the test Postfix runs, else why it does not."""
    try:
        mailserver.server()
        return None
    except SkipTest as e:
        return str(e)


NO_SERVER = server_state()


def make_config():
    """Accounts arved@ and info@firma.test: delivered to the test Postfix
    when it runs, else queued in a private queue."""
    users = mailserver.USERS
    queue = tempfile.mkdtemp(prefix="saatja-clients-queue-", dir=WORK)
    text = "[saatja]\ndefault = arved@firma.test\ndelivery = %s\nqueue = %s\nlog = %s\n" % (
        "queue" if NO_SERVER else "interactive", queue, os.path.join(WORK, "saatja.log"))
    for a in ("arved@firma.test", "info@firma.test"):
        text += ('\n[%s]\nhost = 127.0.0.1\nport = %d\ntls = starttls\n%s'
                 'password = "%s"\n' % (a, mailserver.SUBMISSION,
                                         "" if NO_SERVER else "ca_file = %s\n" % CA, users[a]))
    cfg = Config(text)
    cfg.queue = queue
    return cfg


CFG = make_config()

# A wrapper for clients that take a program, not a command line.
WRAPPER = os.path.join(WORK, "sendmail")
with open(WRAPPER, "w", encoding="utf-8") as f:
    f.write('#!/bin/sh\nexec %s -C "%s" "$@"\n'
            % (" ".join('"%s"' % a for a in sendmail_argv()), CFG.path))
os.chmod(WRAPPER, 0o755)
# Under valgrind, the wrapper: PHP's -d cannot take a value holding "=".
COMMAND = WRAPPER if VALGRIND else "%s -C %s" % (SENDMAIL, CFG.path)


class Arrived:
    """One message as it left saatja: envelope and header fields."""

    def __init__(self, sender, rcpts, fields, body):
        self.sender, self.rcpts, self.fields, self.body = sender, sorted(rcpts), fields, body

    def header(self, name):
        return header(self.fields, name)


def arrived(token, count=1, copies=1, wait=30):
    """The messages whose Subject holds token, once count of them are
    there with copies recipients in all (Postfix delivers one copy per
    recipient, each in its own time)."""
    deadline = time.time() + wait
    while True:
        found = from_postfix(token) if not NO_SERVER else from_queue(token)
        if count and len(found) >= count and sum(len(m.rcpts) for m in found) >= copies:
            break
        if len(found) > count or time.time() > deadline:
            break
        time.sleep(0.1)
    eq(len(found), count, "messages with %s (%s)" % (
        token, "captured by the test Postfix" if not NO_SERVER else "queued"))
    return found


def from_postfix(token):
    """Captured copies (one per recipient) grouped into messages. The
    capture directory holds every test run's mail: mailserver looks at
    recent files' headers only."""
    by_qid = {}
    for env, data in mailserver.delivered_by_token(token):
        head, _, body = data.partition(b"\n\n")
        if token.encode() not in head:
            continue
        fields = [f for f in parse_headers(head.replace(b"\n", b"\r\n") + b"\r\n\r\n")
                  if f[0].lower() != "received"]
        m = by_qid.setdefault(env["queue_id"], Arrived(env["from"].strip("<>"), [], fields, body))
        m.rcpts = sorted(m.rcpts + [t.strip("<>") for t in env["to"]])
    return list(by_qid.values())


def from_queue(token):
    return [Arrived(env["account"], env["rcpt"], fields, body.replace(b"\r\n", b"\n"))
            for env, fields, body in queue_files(CFG.queue).values()
            if token in " ".join(v for _, v in fields)]


def need(program, package):
    if shutil.which(program) is None:
        raise SkipTest("%s is not installed (Debian package %s)" % (program, package))


def run(argv, stdin=b"", env=None, cwd=None):
    e = dict(os.environ, HOME=WORK, TMPDIR=tempfile.gettempdir())
    e.update(env or {})
    r = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=e, cwd=cwd, timeout=120)
    if r.returncode != 0:
        raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s" % (
            argv[0], r.returncode, r.stdout.decode(errors="replace")[-2000:],
            r.stderr.decode(errors="replace")[-2000:]))
    return r


def php(code, sendmail_path=COMMAND + " -t -i"):
    need("php", "php-cli")
    script = os.path.join(WORK, "t%s.php" % uuid.uuid4().hex)
    with open(script, "w", encoding="utf-8") as f:
        f.write("<?php\n" + code)
    return run(["php", "-d", "sendmail_path=" + sendmail_path, "-d", "display_errors=stderr",
                script])


def no_bcc(m):
    eq(m.header("Bcc"), [], "Bcc never leaves the machine")


def test_php_mail_without_f_parameter():
    token = uuid.uuid4().hex
    r = php('var_export(mail("klient@example.test", "php %s", "Tere!\\n", '
            '"From: Arved <arved@firma.test>"));' % token)
    eq(r.stdout, b"true")
    [m] = arrived(token)
    eq((m.sender, m.rcpts), ("arved@firma.test", ["klient@example.test"]))
    eq(m.header("From"), ["Arved <arved@firma.test>"])


def test_php_mail_with_f_parameter_and_no_from_header():
    token = uuid.uuid4().hex
    r = php('var_export(mail("klient@example.test", "php -f %s", "Tere!\\n", "", '
            '"-finfo@firma.test"));' % token)
    eq(r.stdout, b"true")
    [m] = arrived(token)
    eq((m.sender, m.rcpts), ("info@firma.test", ["klient@example.test"]),
       "-f chose the account when there is no From")
    contains(m.header("From")[0], "info@firma.test")


def test_php_mail_with_bcc_header():
    token = uuid.uuid4().hex
    r = php('var_export(mail("klient@example.test", "php bcc %s", "x\\n", '
            '["From" => "arved@firma.test", "Bcc" => "peidus@example.test"]));' % token)
    eq(r.stdout, b"true")
    [m] = arrived(token, copies=2)
    eq(m.rcpts, ["klient@example.test", "peidus@example.test"])
    no_bcc(m)


def test_phpmailer_is_sendmail():
    need("php", "php-cli")
    if not os.path.exists("/usr/share/php/libphp-phpmailer/autoload.php"):
        raise SkipTest("PHPMailer is not installed (Debian package libphp-phpmailer)")
    token = uuid.uuid4().hex
    r = php("""require "/usr/share/php/libphp-phpmailer/autoload.php";
$m = new PHPMailer\\PHPMailer\\PHPMailer(true);
$m->isSendmail();
$m->setFrom("arved@firma.test", "Arved Arvutaja");
$m->addAddress("klient@example.test", "Klient");
$m->addBCC("peidus@example.test");
$m->Subject = "phpmailer %s";
$m->Body = "Arve on lisatud.\\n.\\nRida punktiga.";
$m->send();
echo "sent";
""" % token, sendmail_path=COMMAND)
    eq(r.stdout, b"sent")
    [m] = arrived(token, copies=2)
    eq((m.sender, m.rcpts), ("arved@firma.test", ["klient@example.test", "peidus@example.test"]))
    eq(m.header("From"), ["Arved Arvutaja <arved@firma.test>"])
    no_bcc(m)
    contains(m.body, b"\n.\n", "a lone dot in the body survives (PHPMailer passes -oi)")


SYMFONY = """require "/usr/share/php/Symfony/Component/Mailer/autoload.php";
require "/usr/share/php/Symfony/Component/Mime/autoload.php";
use Symfony\\Component\\Mailer\\Mailer;
use Symfony\\Component\\Mailer\\Transport\\SendmailTransport;
use Symfony\\Component\\Mime\\Email;
$t = new SendmailTransport(%s);
$mailer = new Mailer($t);
"""


def symfony(command, body):
    need("php", "php-cli")
    if not os.path.exists("/usr/share/php/Symfony/Component/Mailer/autoload.php"):
        raise SkipTest("Symfony Mailer is not installed (Debian package php-symfony-mailer)")
    return php(SYMFONY % ("'%s'" % command) + body)


def test_symfony_mailer_bs_two_messages_on_one_transport():
    token = uuid.uuid4().hex
    r = symfony(COMMAND + " -bs", """
$mailer->send((new Email())->from("Arved <arved@firma.test>")->to("klient@example.test")
    ->subject("symfony one %(t)s")->text("esimene\\n.\\n..kaks punkti"));
$mailer->send((new Email())->from("info@firma.test")->to("teine@example.test")
    ->bcc("peidus@example.test")->subject("symfony two %(t)s")->text("teine"));
unset($mailer, $t);	// the transport says QUIT as it goes
echo "sent";
""" % {"t": token})
    eq(r.stdout, b"sent")
    eq(r.stderr, b"", "nothing on stderr")
    found = {m.header("Subject")[0].split()[1]: m for m in arrived(token, 2, copies=3)}
    one, two = found["one"], found["two"]
    eq((one.sender, one.rcpts), ("arved@firma.test", ["klient@example.test"]))
    eq(one.header("From"), ["Arved <arved@firma.test>"])
    contains(one.body, b"esimene\n.\n..kaks punkti", "dots survive stuffing both ways")
    eq((two.sender, two.rcpts), ("info@firma.test", ["peidus@example.test", "teine@example.test"]))
    no_bcc(two)


def test_symfony_mailer_bs_refusal_is_an_exception():
    token = uuid.uuid4().hex
    r = symfony(COMMAND + " -bs", """
try {
    $mailer->send((new Email())->from("boss@gmail.test")->to("klient@example.test")
        ->subject("symfony foreign %s")->text("x"));
    echo "sent";
} catch (Symfony\\Component\\Mailer\\Exception\\TransportExceptionInterface $e) {
    echo "refused: ", $e->getMessage();
}
""" % token)
    contains(r.stdout.decode(), "refused:")
    contains(r.stdout.decode(), "550")
    eq(arrived(token, 0, wait=1), [], "nothing sent or queued")


def test_symfony_mailer_t_mode():
    token = uuid.uuid4().hex
    r = symfony(COMMAND + " -t -i", """
$mailer->send((new Email())->from("arved@firma.test")->to("klient@example.test")
    ->cc("koopia@example.test")->subject("symfony -t %s")->text("rida"));
echo "sent";
""" % token)
    eq(r.stdout, b"sent")
    [m] = arrived(token, copies=2)
    eq((m.sender, m.rcpts), ("arved@firma.test", ["klient@example.test", "koopia@example.test"]))


def test_mutt_batch_mode():
    need("mutt", "mutt")
    token = uuid.uuid4().hex
    muttrc = os.path.join(WORK, "muttrc")
    with open(muttrc, "w", encoding="utf-8") as f:
        f.write('set sendmail="%s"\nset from="Arved <arved@firma.test>"\nset use_from=yes\n'
                'set record=""\nset copy=no\nset charset="utf-8"\nset send_charset="utf-8"\n'
                % COMMAND)
    run(["mutt", "-n", "-F", muttrc, "-s", "mutt %s" % token, "-b", "peidus@example.test",
         "--", "klient@example.test"], stdin="Tere mutt, õ ä ö ü\n".encode())
    [m] = arrived(token, copies=2)
    eq((m.sender, m.rcpts), ("arved@firma.test", ["klient@example.test", "peidus@example.test"]))
    eq(m.header("From"), ["Arved <arved@firma.test>"])
    no_bcc(m)


def test_s_nail_without_from_uses_default_account():
    need("s-nail", "s-nail")
    token = uuid.uuid4().hex
    run(["s-nail", "-n", "-#", "-S", "mta=" + WRAPPER, "-s", "s-nail %s" % token,
         "klient@example.test"], stdin=b"cron-like output\n")
    [m] = arrived(token)
    eq((m.sender, m.rcpts), ("arved@firma.test", ["klient@example.test"]))
    contains(m.header("From")[0], "arved@firma.test", "a From was added for the account")


def test_git_send_email_sendmail_cmd():
    need("git", "git")
    if not os.path.exists(os.path.join(subprocess.run(
            ["git", "--exec-path"], stdout=subprocess.PIPE).stdout.decode().strip(),
            "git-send-email")):
        raise SkipTest("git send-email is not installed (Debian package git-email)")
    token = uuid.uuid4().hex
    repo = tempfile.mkdtemp(prefix="repo-", dir=WORK)
    git = ["git", "-C", repo, "-c", "user.name=Arved", "-c", "user.email=arved@firma.test"]
    run(git + ["init", "-q"])
    with open(os.path.join(repo, "a.txt"), "w", encoding="utf-8") as f:
        f.write(".\nfile with a dot line\n")
    run(git + ["add", "a.txt"])
    run(git + ["commit", "-q", "-m", "patch %s" % token])
    run(git + ["format-patch", "-q", "-1", "-o", repo])
    patch = glob.glob(os.path.join(repo, "0001-*.patch"))[0]
    run(git + ["send-email", "--sendmail-cmd=" + COMMAND, "--to=klient@example.test",
               "--bcc=peidus@example.test", "--from=Arved <arved@firma.test>",
               "--confirm=never", "--suppress-cc=all", "--no-validate", "--quiet", patch])
    [m] = arrived(token, copies=2)
    eq((m.sender, m.rcpts), ("arved@firma.test", ["klient@example.test", "peidus@example.test"]))
    eq(m.header("From"), ["Arved <arved@firma.test>"])
    no_bcc(m)
    contains(m.body, b"\n+.\n", "the patch's dot line arrived")


if __name__ == "__main__":
    run_tests()
