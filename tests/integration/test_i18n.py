# SPDX-License-Identifier: MIT
"""Messages in the caller's language (po/, gettext): with LANGUAGE=et the
caller reads Estonian (--check, config errors, the sender rule, usage);
without it, English. What scripts and logs read stays English and byte
for byte the same: --dry-run output, log lines, the mailq table, and the
SMTP replies of -bs.

The installed sendmail looks for catalogs only in $(localedir), and no
environment variable may choose the catalogs of a program that can run
set-group-ID; so this runs tests/l10n/sendmail, the same program built
with LOCALEDIR in the build tree, where make check copies po/*.gmo."""
import os
import re
import shutil
import tempfile
import subprocess

import mailserver
from saatja_test import (Config, SRCDIR, BASIC_INI, SkipTest, eq, contains,
                         run_tests, Run)

L10N = os.environ.get("SAATJA_L10N_SENDMAIL") or os.path.join(
    SRCDIR, "tests", "l10n", "sendmail")
OK, FAIL = "\u2713", "\u2717"


def sendmail(args, cfg=None, stdin=b"", estonian=True):
    """Runs the l10n sendmail in C.UTF-8, with LANGUAGE=et or without."""
    if not os.path.exists(L10N):
        raise SkipTest("tests/l10n/sendmail is not built")
    catalog = os.path.join(os.path.dirname(L10N), "locale", "et", "LC_MESSAGES", "saatja.mo")
    if not os.path.exists(catalog):
        raise SkipTest("no Estonian catalog (built without NLS?)")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LC_") and k not in ("LANG", "LANGUAGE")}
    env["LC_ALL"] = "C.UTF-8"
    env["TZ"] = "UTC"
    if estonian:
        env["LANGUAGE"] = "et"
    argv = [L10N] + (["-C", cfg.path] if cfg else []) + list(args)
    r = Run(subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, timeout=60))
    r.text = r.out.decode("utf-8")
    return r


def log_lines(cfg):
    """The log file's lines without the time stamp and process ID."""
    with open(cfg.log, encoding="utf-8") as f:
        return [re.sub(r"^\S+ \S+ saatja\[\d+\]: ", "", line) for line in f]


def test_check_speaks_estonian():
    r = sendmail(["--check"], mailserver.config())
    eq(r.code, 0, r.text + r.err)
    contains(r.text, "Kontrollin kontot arved@firma.test; ühtegi kirja ei saadeta.")
    contains(r.text, OK + " seaded   ")
    contains(r.text, "(õigused 0600: teised seda lugeda ei saa)")
    contains(r.text, OK + " ühendus  ")
    contains(r.text, OK + " saatja   server lubab selle kasutajanimega saata saatjana arved@firma.test")
    contains(r.text, "Kõik sammud õnnestusid: kirjad aadressilt arved@firma.test saavad välja minna.")
    assert "Checking" not in r.text, r.text


def test_check_in_english_without_language():
    r = sendmail(["--check"], mailserver.config(), estonian=False)
    eq(r.code, 0, r.text + r.err)
    contains(r.text, "Checking arved@firma.test; no message will be sent.")
    contains(r.text, OK + " config   ")
    contains(r.text, "All steps passed: mail from arved@firma.test can go out.")


def test_refused_password_hint_in_estonian():
    r = sendmail(["--check"], mailserver.config(password="not-the-password"))
    eq(r.code, 77, r.text + r.err)
    contains(r.text, FAIL + " AUTH     server ei võtnud kasutajanime arved@firma.test parooli vastu")
    contains(r.text, "vihje: kontrollige jaotise [arved@firma.test] rida password =; "
             "Gmail ja mail.ee nõuavad postkasti parooli asemel rakenduse parooli, Outlook OAuth2-t")
    contains(r.err, "konto arved@firma.test kontroll ebaõnnestus sammul AUTH")


def test_check_details_from_the_connection_in_estonian():
    """The details that come from the network and TLS code are Estonian
    in --check too (delivery keeps them English for the log and queue)."""
    from saatja_test import closed_port
    port = closed_port()
    r = sendmail(["--check"], mailserver.config(port=port))
    eq(r.code, 74, r.text + r.err)
    contains(r.text, "serveri 127.0.0.1 pordiga %d ei saa ühendust" % port)
    contains(r.text, "kas port on õige (587 koos tls = starttls, 465 koos tls = tls)?")
    r = sendmail(["--check"], mailserver.config(port=mailserver.SUBMISSION, tls="tls"))
    eq(r.code, 78, r.text + r.err)
    contains(r.text, "see tervitab lihttekstina")


def test_failed_delivery_says_what_became_of_the_message_in_estonian():
    """The reason itself stays English (it is the log's and the queue's
    too); what it means and what to do is in the caller's language."""
    cfg = mailserver.config(password="not-the-password")
    msg = b"From: arved@firma.test\nTo: bob@example.test\nSubject: x\n\nx\n"
    r = sendmail(["-t"], cfg, msg)
    eq(r.code, 77, r.err)
    contains(r.err, "sendmail: kirja ei saadetud: kiri ")
    contains(r.err, "on hoiul ebaõnnestunud kirjade seas")
    contains(r.err, "Põhjus: the server 127.0.0.1")
    r = sendmail(["-t"], cfg, msg, estonian=False)
    eq(r.code, 77, r.err)
    contains(r.err, "sendmail: not sent: message ")
    contains(r.err, "is kept in the failed area")


def test_config_readable_by_others_in_estonian():
    cfg = Config(BASIC_INI, mode=0o644)
    r = sendmail(["--dry-run", "-t"], cfg, b"To: a@b.ee\n\nx\n")
    eq(r.code, 78, r.err)
    contains(r.err, "failis on paroolid ja seda saab lugeda iga selle masina "
             "kasutaja; käivitage: chmod 640 " + cfg.path)
    r = sendmail(["--dry-run", "-t"], cfg, b"To: a@b.ee\n\nx\n", estonian=False)
    contains(r.err, "the file holds passwords and every user of this machine can read it")


def test_usage_error_in_estonian():
    r = sendmail(["-Z"])
    eq(r.code, 64, r.err)
    eq(r.err, "sendmail: tundmatu võti -Z (vt sendmail --help)\n")


def test_foreign_sender_refused_in_estonian_logged_in_english():
    msg = b"From: someone@elsewhere.example\nTo: a@b.ee\nSubject: x\n\nx\n"
    logged = []
    cfg = mailserver.config()
    for estonian in (True, False):
        open(cfg.log, "w").close()
        r = sendmail(["-t"], cfg, msg, estonian=estonian)
        eq(r.code, 77, r.err)
        logged.append(log_lines(cfg))
        if estonian:
            contains(r.err, "saatjal someone@elsewhere.example pole failis")
            contains(r.err, "saatja e-post peab olema identne kasutajanimega")
    eq(logged[0], logged[1], "the log line does not change with LANGUAGE")
    contains(logged[0][0], "refused: the sender someone@elsewhere.example has no account")


def test_dry_run_and_log_identical_in_estonian():
    msg = (b"From: root\nTo: a@b.ee\nSubject: t\n"
           b"Date: Thu, 26 Nov 2026 14:02:11 +0200\nMessage-ID: <x@firma.test>\n\nbody\n")
    outs, logs = [], []
    cfg = mailserver.config()
    for estonian in (True, False):
        open(cfg.log, "w").close()
        r = sendmail(["--dry-run", "-t", "-f", "other@firma.test"], cfg, msg,
                     estonian=estonian)
        eq(r.code, 0, r.err)
        outs.append(r.out)
        logs.append(log_lines(cfg))
    eq(outs[0], outs[1], "--dry-run output with LANGUAGE=et and without")
    eq(logs[0], logs[1], "log lines with LANGUAGE=et and without")
    assert logs[0], "the dry run logs its decisions"
    contains(logs[0][0], "dry-run: sender other@firma.test asked with -f was replaced")


def test_mailq_and_smtp_replies_stay_english():
    cfg = mailserver.config()
    r = sendmail(["-bp"], cfg)
    eq((r.code, r.text), (0, "Mail queue is empty\n"))
    session = (b"EHLO x\r\nMAIL FROM:<someone@elsewhere.example>\r\nRCPT TO:<a@b.ee>\r\n"
               b"DATA\r\nFrom: someone@elsewhere.example\r\n\r\nx\r\n.\r\nQUIT\r\n")
    r = sendmail(["-bs"], cfg, session)
    contains(r.text, "550 5.7.1 the sender someone@elsewhere.example has no account")
    contains(r.text, "221 2.0.0 Bye")


def test_estonian_catalog_is_complete():
    if not shutil.which("msgfmt"):
        raise SkipTest("msgfmt is not installed")
    p = subprocess.run(["msgfmt", "-c", "--statistics", "-o", "/dev/null",
                        os.path.join(SRCDIR, "po", "et.po")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = p.stdout.decode()
    eq(p.returncode, 0, text)
    assert re.fullmatch(r"\d+ translated messages?\.\n", text), \
        "untranslated or fuzzy messages in po/et.po: " + text


def test_every_message_in_the_code_is_in_the_catalog():
    """Extracts the messages from the sources as po/Makefile does and
    merges them into a copy of et.po: a message added to the code and not
    to et.po shows up as untranslated."""
    if not (shutil.which("xgettext") and shutil.which("msgmerge")):
        raise SkipTest("gettext tools are not installed")
    work = tempfile.mkdtemp(prefix="saatja-po-")
    opts = []
    with open(os.path.join(SRCDIR, "po", "Makevars")) as f:
        text = f.read().replace("\\\n", " ")
    for line in text.splitlines():
        if line.startswith("XGETTEXT_OPTIONS"):
            opts = line.split("=", 1)[1].split()
    files = []
    with open(os.path.join(SRCDIR, "po", "POTFILES.in")) as f:
        files = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    pot = os.path.join(work, "saatja.pot")
    p = subprocess.run(["xgettext", "-D", SRCDIR, "-o", pot, "--language=C"] + opts + files,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    eq(p.returncode, 0, p.stdout.decode())
    merged = os.path.join(work, "et.po")
    p = subprocess.run(["msgmerge", "--quiet", "--no-fuzzy-matching", "-o", merged,
                        os.path.join(SRCDIR, "po", "et.po"), pot],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    eq(p.returncode, 0, p.stdout.decode())
    p = subprocess.run(["msgfmt", "--statistics", "-o", "/dev/null", merged],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = p.stdout.decode()
    if not re.fullmatch(r"\d+ translated messages?\.\n", text):
        p = subprocess.run(["msgattrib", "--untranslated", "--no-obsolete", "--no-wrap", merged],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        missing = re.findall(r'^msgid "(.+)"$', p.stdout.decode(), re.M)
        raise AssertionError("po/et.po lacks messages of the code (%s): %s"
                             % (text.strip(), missing))


run_tests()
