# SPDX-License-Identifier: MIT
"""sendmail --setup ADDRESS, in the test world (tests/lib/testnet.py):
real names (smtp.gmail.com, autoconfig.auto.test, the ISPDB) resolved by
a loopback dnsmasq to the real test Postfix and an HTTPS server that the
test CA vouches for. Each discovery path, their order, the confirmation
of an answer outside the domain, the no-terminal case, the rewrite that
keeps comments and mode, and every bad answer; each written account then
sends a real message through Postfix."""
import os
import pty
import select
import stat
import subprocess
import tempfile
import time
import uuid

import mailserver
import testnet
from saatja_test import SkipTest, SRCDIR, contains, eq, run_tests, sendmail_argv

PASSWORDS = testnet.USERS


def password(address):
    if address not in PASSWORDS:
        raise SkipTest("%s is not a user of tests/server/users" % address)
    return PASSWORDS[address]


class Setup:
    """One --setup run in a fresh folder: .code, .text (stdout), .err,
    .path (the config file), .ini (its text afterwards, or None)."""

    def __init__(self, address, *flags, stdin=None, text=None, mode=0o600,
                 config=None, env=None):
        self.dir = tempfile.mkdtemp(prefix="saatja-setup-")
        self.path = config or os.path.join(self.dir, "saatja.ini")
        if text is not None:
            with open(self.path, "w") as f:
                f.write(text)
            os.chmod(self.path, mode)
        args = [f for f in flags if f != "--no-password"] + ["--setup", address]
        if stdin is None and "--dry-run" not in flags and "--no-password" not in flags:
            stdin = password(address) + "\n"
        if stdin is not None:
            args.append("--password-stdin")
        r = testnet.sendmail(args, stdin=(stdin or "").encode(), config=self.path,
                             env=env, timeout=150)
        self.code, self.text, self.err = r.code, r.out.decode("utf-8", "replace"), r.err
        self.ini = open(self.path).read() if os.path.exists(self.path) else None
        self.all = self.text + self.err

    def written(self, *lines):
        assert self.ini is not None, "no config written: %s" % self.all
        for line in lines:
            contains(self.ini, line + "\n")

    def leftovers(self):
        return [n for n in os.listdir(os.path.dirname(self.path)) if n.startswith(".")]


def sends(s, address):
    """A real message through the account that --setup wrote."""
    token = "setup-" + uuid.uuid4().hex
    msg = "From: %s\nTo: %s\nSubject: %s\n\n%s\n" % (address, address, token, token)
    r = testnet.sendmail(["-i", address], stdin=msg.encode(), config=s.path)
    eq(r.code, 0, "sending through the written account: " + r.err)
    got = mailserver.arrived(token)
    eq(got.sender, address)


def found(address, *want_lines, sends_mail=True):
    s = Setup(address)
    eq(s.code, 0, s.all)
    s.written(*want_lines)
    contains(s.ini, "password = %s" % password(address))
    eq(stat.S_IMODE(os.stat(s.path).st_mode), 0o600, "a new user file is 0600")
    contains(s.text, "All steps passed")
    contains(s.text, "Wrote this section into %s" % s.path)
    assert password(address) not in s.text + s.err, "the password was printed"
    eq(s.leftovers(), [], "no temporary file left")
    if sends_mail:
        sends(s, address)
    return s


def saatjas(request):
    """A request of the HTTPS server's log that saatja's helper made: the
    server is shared with test_testnet.py, whose curl may run meanwhile."""
    return (request.get("user_agent") or "").startswith("saatja/")


# ---- each way of finding the server ----------------------------------

def test_preset_by_domain_gmail():
    s = found("saatja.test.user@gmail.com", "[saatja.test.user@gmail.com]", "provider = gmail")
    contains(s.text, "gmail.com is gmail")
    contains(s.text, "an app password")
    # The preset answered: nothing else was asked of the DNS.
    contains(s.ini, "; found by sendmail --setup: the preset for the domain (gmail)")


def test_seed_providers_by_preset():
    for address, preset in (("arved@mail.ee", "mail.ee"), ("arved@elisa.ee", "elisa"),
                            ("arved@outlook.com", "outlook"), ("arved@online.ee", "online.ee")):
        s = found(address, "provider = %s" % preset, sends_mail=False)
        contains(s.text, "is %s" % preset)


def test_mx_microsoft_365_company_domain_gets_outlook():
    s = found("arved@firma-ms.test", "provider = outlook")
    contains(s.text, "firma-ms-test.mail.protection.outlook.com: the mail of firma-ms.test is at outlook")
    contains(s.ini, "the domain's MX record (MX firma-ms-test.mail.protection.outlook.com)")


def test_mx_google_workspace_company_domain_gets_gmail():
    s = found("arved@firma-g.test", "provider = gmail")
    contains(s.text, "aspmx.l.google.com: the mail of firma-g.test is at gmail")


def test_mx_of_an_estonian_host_gets_its_preset():
    s = found("arved@firma-zone.test", "provider = zone", sends_mail=False)
    contains(s.text, "mx.zone.eu: the mail of firma-zone.test is at zone")


def test_mx_of_the_other_estonian_hosts_gets_their_presets():
    for domain, preset, host in (("firma-vm.test", "veebimajutus", "mail.veebimajutus.ee port 465"),
                                 ("firma-telia.test", "telia", "csmtp.telia.ee port 587"),
                                 ("firma-elisa.test", "elisa", "smtp.elisa.ee port 587")):
        s = Setup("arved@" + domain, "--dry-run")
        eq(s.code, 0, s.all)
        contains(s.text, "the mail of %s is at %s" % (domain, preset))
        contains(s.text, "server   " + host)
        contains(s.text, "provider = %s\n" % preset)


def test_srv_submissions_before_submission():
    mark = testnet.dns_mark()
    s = found("arved@srv.test", "host = smtp.srv.test", "port = 465", "tls = tls")
    qs = [q for q in testnet.dns_queries(mark) if q[1].endswith("srv.test")]
    names = [n for t, n in qs]
    assert ("MX", "srv.test") in qs, qs
    assert names.index("_submissions._tcp.srv.test") > names.index("srv.test"), qs
    assert "_submission._tcp.srv.test" not in names, \
        "_submission asked although _submissions answered: %s" % qs
    contains(s.text, "_submissions._tcp.srv.test: smtp.srv.test port 465")


def test_srv_submission_587():
    found("arved@srv587.test", "host = smtp.srv587.test", "port = 587", "tls = starttls")


def test_srv_target_outside_the_domain_needs_confirmation():
    s = Setup("arved@srv-out.test")
    assert s.code != 0, s.all
    contains(s.all, "mail.elsewhere.test is outside srv-out.test")
    contains(s.err, "was not confirmed")
    contains(s.err, "--yes")
    eq(s.ini, None, "nothing written without confirmation")
    s = Setup("arved@srv-out.test", "--yes")
    eq(s.code, 0, s.all)
    s.written("host = mail.elsewhere.test", "port = 465")


def test_srv_dot_means_no_service_and_no_guessing():
    mark = testnet.dns_mark()
    s = Setup("arved@srv-dot.test", "--dry-run")
    eq(s.code, 69, s.all)
    contains(s.text, "offers no such service")
    probed = [n for t, n in testnet.dns_queries(mark) if n == "smtp.srv-dot.test"]
    eq(probed, [], "smtp.srv-dot.test probed although SRV said no service")


def test_autoconfig_of_the_provider():
    mark = testnet.https_mark()
    found("arved@auto.test", "host = smtp.auto.test", "port = 465", "tls = tls")
    paths = [r["path"] for r in testnet.https_requests(mark, host="autoconfig.auto.test")
             if saatjas(r)]
    eq(paths, ["/mail/config-v1.1.xml?emailaddress=arved%40auto.test"])


def test_autoconfig_well_known():
    s = found("arved@wellknown.test", "host = smtp.wellknown.test", "port = 587")
    contains(s.ini, "https://wellknown.test/.well-known/autoconfig/mail/config-v1.1.xml")


def test_ispdb_for_the_domain():
    s = found("arved@ispdb.test", "host = smtp.ispdb.test")
    contains(s.ini, "Thunderbird's ISPDB")


def test_ispdb_for_the_mx_domain():
    mark = testnet.https_mark()
    found("arved@mxispdb.test", "host = smtp.hoster.test", "port = 587")
    paths = [r["path"] for r in testnet.https_requests(mark, host="autoconfig.thunderbird.net")
             if saatjas(r) and r["path"] in ("/v1.1/mxispdb.test", "/v1.1/hoster.test")]
    eq(paths, ["/v1.1/mxispdb.test", "/v1.1/hoster.test"], "the ISPDB for the domain, then the MX's")


def test_guess_smtp_on_465():
    found("arved@guess.test", "host = smtp.guess.test", "port = 465", "tls = tls")


def test_guess_mail_when_there_is_no_smtp():
    found("arved@guessmail.test", "host = mail.guessmail.test", "port = 465")


def test_order_preset_mx_srv_autoconfig_guess():
    mark, hmark = testnet.dns_mark(), testnet.https_mark()
    Setup("arved@guess.test", "--dry-run")
    qs = [n for t, n in testnet.dns_queries(mark) if n.endswith("guess.test")]
    first = [qs.index(n) for n in ("guess.test", "_submissions._tcp.guess.test",
                                   "_submission._tcp.guess.test", "autoconfig.guess.test",
                                   "smtp.guess.test")]
    eq(first, sorted(first), "MX, SRV, autoconfig, then the guess: %s" % qs)


# ---- asking, confirming, writing ---------------------------------------

def test_dry_run_writes_nothing_and_asks_nothing():
    s = Setup("arved@srv.test", "--dry-run")
    eq(s.code, 0, s.all)
    contains(s.text, "--dry-run: nothing was changed")
    contains(s.text, "password = ********")
    eq(s.ini, None)


def test_no_terminal_and_no_password_names_what_is_needed():
    s = Setup("arved@srv.test", "--no-password")
    eq(s.code, 64, s.all)
    contains(s.err, "needs the password of arved@srv.test")
    contains(s.err, "--password-stdin")
    eq(s.ini, None)


def test_wrong_password_writes_nothing():
    s = Setup("arved@srv.test", stdin="wrong-password\n")
    eq(s.code, 77, s.all)
    contains(s.text, "AUTH")
    contains(s.err, "was left as it was")
    eq(s.ini, None)
    eq(s.leftovers(), [], "no temporary file left")


EXISTING = """; saatja.ini of firma: comments must survive
[saatja]
default = arved@firma.test   ; the old account

; the old account, kept
[arved@firma.test]
host = 127.0.0.1
port = %d
password = arved-secret-1
""" % mailserver.SUBMISSION


def test_rewrite_keeps_comments_other_sections_and_mode():
    s = Setup("arved@srv.test", text=EXISTING, mode=0o640)
    eq(s.code, 0, s.all)
    assert s.ini.startswith(EXISTING), "the old text changed:\n" + s.ini
    s.written("[arved@srv.test]", "host = smtp.srv.test")
    eq(stat.S_IMODE(os.stat(s.path).st_mode), 0o640, "mode kept")
    eq(s.leftovers(), [])


def test_a_file_with_no_account_yet_is_filled():
    text = "; firma's saatja.ini\n[saatja]\ndefault = arved@srv.test\n"
    s = Setup("arved@srv.test", text=text)
    eq(s.code, 0, s.all)
    assert s.ini.startswith(text), s.ini
    s.written("host = smtp.srv.test")


def test_an_error_elsewhere_in_the_file_names_the_file_not_a_temporary_one():
    text = "[saatja]\nfrobnicate = yes\n"
    s = Setup("arved@srv.test", text=text)
    eq(s.code, 78, s.all)
    contains(s.err, s.path + ": [saatja] frobnicate")
    contains(s.err, "fix this first")
    eq(s.ini, text)
    eq(s.leftovers(), [], "no temporary file left")


def test_existing_section_replaced_only_when_asked():
    old = EXISTING + "\n[arved@srv.test]\nhost = old.srv.test\npassword = x\n; trailer\n"
    s = Setup("arved@srv.test", text=old)
    eq(s.code, 78, s.all)
    contains(s.err, "already has [arved@srv.test]")
    eq(s.ini, old, "untouched")
    s = Setup("arved@srv.test", "--yes", text=old)
    eq(s.code, 0, s.all)
    assert "old.srv.test" not in s.ini, s.ini
    assert s.ini.startswith(EXISTING), s.ini
    s.written("host = smtp.srv.test")


def test_broken_config_is_named_and_left_alone():
    text = "[saatja]\nnonsense\n"
    s = Setup("arved@srv.test", text=text)
    eq(s.code, 78, s.all)
    contains(s.err, "fix this first")
    eq(s.ini, text)


def on_terminal(args, answers, timeout=90):
    """Runs sendmail in the world on a new terminal (its controlling
    one), answering each prompt (a substring) with its answer; returns
    (exit code, everything the terminal showed)."""
    argv = testnet.argv(sendmail_argv() + args)
    pid, fd = pty.fork()
    if pid == 0:
        env = dict(os.environ, TMPDIR=tempfile.gettempdir())
        os.execvpe(argv[0], argv, env)
    shown, pending = b"", list(answers)
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
            if pending and pending[0][0].encode() in shown:
                os.write(fd, pending.pop(0)[1].encode() + b"\n")
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        os.kill(pid, 9)
        _, status = os.waitpid(pid, 0)
        shown += b"\n[killed: still running after %d s]" % timeout
    os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode("utf-8", "replace")


def test_terminal_asks_the_password_without_echo_and_confirms_outside():
    d = tempfile.mkdtemp(prefix="saatja-setup-")
    path = os.path.join(d, "saatja.ini")
    pw = password("arved@srv-out.test")
    code, shown = on_terminal(["-C", path, "--setup", "arved@srv-out.test"],
                              [("[y/N]", "y"), ("Password for arved@srv-out.test", pw)])
    eq(code, 0, shown)
    assert pw not in shown, "the password was echoed:\n" + shown
    contains(shown, "Use mail.elsewhere.test port 465")
    contains(open(path).read(), "host = mail.elsewhere.test")


def test_terminal_no_to_the_outside_answer_writes_nothing():
    d = tempfile.mkdtemp(prefix="saatja-setup-")
    path = os.path.join(d, "saatja.ini")
    code, shown = on_terminal(["-C", path, "--setup", "arved@srv-out.test"], [("[y/N]", "n")])
    eq(code, 69, shown)
    assert not os.path.exists(path)


def test_terminal_outlook_asks_password_or_oauth2():
    d = tempfile.mkdtemp(prefix="saatja-setup-")
    path = os.path.join(d, "saatja.ini")
    pw = password("arved@firma-ms.test")
    code, shown = on_terminal(["-C", path, "--setup", "arved@firma-ms.test"],
                              [("instead of a password?", "n"),
                               ("Password for arved@firma-ms.test", pw)])
    eq(code, 0, shown)
    contains(shown, "Sign in with OAuth2")
    contains(shown, "outlook wants OAuth2")
    contains(open(path).read(), "provider = outlook\n")


def test_a_user_without_c_is_told_to_name_a_file():
    # The program itself, not valgrind's wrapper: nobody may not write
    # valgrind's logs.
    r = testnet.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
                    + sendmail_argv()[-1:] + ["--setup", "arved@srv.test"])
    eq(r.returncode, 78, r.stderr)
    contains(r.stderr.decode(), "only root may write the system configuration")
    contains(r.stderr.decode(), "-C ~/.config/saatja/saatja.ini")


def test_estonian_transcript():
    l10n = os.path.join(os.path.dirname(sendmail_argv()[-1]), "..", "tests", "l10n", "sendmail")
    l10n = os.environ.get("SAATJA_L10N_SENDMAIL") or os.path.normpath(l10n)
    if not os.path.exists(l10n):
        raise SkipTest("tests/l10n/sendmail is not built")
    d = tempfile.mkdtemp(prefix="saatja-setup-")
    path = os.path.join(d, "saatja.ini")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LC_") and k not in ("LANG", "LANGUAGE")}
    env.update(LC_ALL="C.UTF-8", LANGUAGE="et", TMPDIR=tempfile.gettempdir())
    r = subprocess.run(testnet.argv([l10n, "-C", path, "--password-stdin", "--setup",
                                     "arved@mail.ee"]),
                       input=(password("arved@mail.ee") + "\n").encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=120)
    text = r.stdout.decode()
    eq(r.returncode, 0, text + r.stderr.decode())
    contains(text, "Otsin aadressi arved@mail.ee serverit")
    contains(text, "Faili %s kirjutati see jaotis" % path)
    contains(open(path).read(), "; leidis sendmail --setup: domeeni eelseadistus (mail.ee)\n")


# ---- bad input and hostile answers ---------------------------------------

def test_not_an_address():
    for bad in ("arved", "arved@", "Arved <arved@firma.test>", "arved@localhost", "a@b@c.test"):
        s = Setup(bad, "--dry-run")
        eq(s.code, 64, "%r: %s" % (bad, s.all))
        contains(s.err, "is not an e-mail address")


def test_nothing_found_says_what_was_tried():
    s = Setup("arved@nothing.test", "--dry-run")
    eq(s.code, 69, s.all)
    for part in ("no submission server found for arved@nothing.test", "MX and SRV",
                 "autoconfig", "ISPDB", "smtp.nothing.test", "host, port and tls"):
        contains(s.err, part)
    eq(s.ini, None)


def test_certificate_that_does_not_verify_is_no_answer():
    s = Setup("arved@badcert.test", "--dry-run")
    eq(s.code, 69, s.all)
    contains(s.text, "smtp.badcert.test port 465")
    contains(s.text.lower(), "certificate")


def test_server_without_auth_is_no_answer():
    s = Setup("arved@noauth.test", "--dry-run")
    eq(s.code, 69, s.all)
    contains(s.text, "smtp.noauth.test port 465 (TLS from the first byte): offers no login (AUTH)")


def test_bad_autoconfig_answers_are_named_and_the_search_goes_on():
    for domain, words in (("huge.test", "over 262144 octets"), ("malformed.test", "XML"),
                          ("redirect.test", "http")):
        s = Setup("arved@" + domain, "--dry-run")
        eq(s.code, 69, s.all)
        line = [l for l in s.text.splitlines() if "autoconfig." + domain in l]
        assert line, s.text
        contains(line[0], words)
        contains(s.text, "smtp.%s port 465" % domain)


def test_missing_autoconfig_goes_on_to_the_guess():
    s = Setup("arved@missing.test")
    eq(s.code, 0, s.all)
    contains(s.text, "no such file")
    s.written("host = smtp.missing.test")


def test_dns_that_does_not_answer():
    s = Setup("arved@slowdns.test", "--dry-run")
    eq(s.code, 69, s.all)
    contains(s.text, "did not answer")
    contains(s.err, "the DNS did not answer")


def test_srv_loop_fails_and_does_not_hang():
    started = time.time()
    s = Setup("arved@srv-loop.test", "--dry-run")
    assert s.code in (69, 74), s.all
    assert time.time() - started < 90, "took %d s" % (time.time() - started)


if __name__ == "__main__":
    run_tests()
