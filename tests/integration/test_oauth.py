# SPDX-License-Identifier: MIT
"""OAuth2 accounts against the real Postfix + Dovecot of
tests/server/mailserver.sh and its token service (oauthserver.py):
sendmail --authorize by the device flow and the browser flow (loopback
redirect, or the final address pasted), sends with XOAUTH2 and
OAUTHBEARER checked in Postfix's log (sasl_method=), no refresh while the
token is valid, 20 concurrent senders and one refresh, strict rotation,
a revoked grant, a token from password_command, a queue run across an
expiry, kill -9 during a refresh, and no token in any output.

Each test uses its own client_id, so the service's counters are its own
even while other test runs share the server."""
import json
import os
import random
import re
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

import mailserver
from mailserver import CA, SUBMISSION
from saatja_test import (Config, SkipTest, sendmail, sendmail_argv, eq, contains,
                         run_tests)

OAUTH = int(os.environ.get("SAATJA_TEST_OAUTH_PORT", SUBMISSION + 1))
CONTROL = int(os.environ.get("SAATJA_TEST_OAUTH_CONTROL_PORT", SUBMISSION + 2))
SERVICE = "https://localhost:%d" % OAUTH
MAILLOG = os.path.join(mailserver.STATE, "maillog")


def tls():
    """The client side of TLS toward the token service (the test CA exists
    once the server has started, so not at import: test_oauth_app.py
    imports this module)."""
    return ssl.create_default_context(cafile=CA)


def ctl(path, **args):
    """A control request to the token service; its JSON answer."""
    method = "GET" if path in ("stats",) or (path == "device" and "client" in args) else "POST"
    url = "http://127.0.0.1:%d/control/%s?%s" % (CONTROL, path, urllib.parse.urlencode(args))
    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as r:
        return json.load(r)


def stats(client):
    return ctl("stats", client=client)


def new_client(secret=False):
    return "saatja-test-%s%s" % (uuid.uuid4().hex[:12], "-secret" if secret else "")


class Account:
    """An OAuth2 account on the test server with its own client_id, queue,
    log and token file."""

    def __init__(self, address="oauth@firma.test", auth="xoauth2", flow="device",
                 extra="", saatja="", client=None):
        mailserver.server()
        self.address = address
        self.client = client or new_client()
        self.work = tempfile.mkdtemp(prefix="saatja-oauth-")
        self.log = os.path.join(self.work, "saatja.log")
        self.token_file = os.path.join(self.work, "queue", "oauth", address)
        urls = "oauth_token_url = %s/token\n" % SERVICE
        if flow == "device":
            urls += "oauth_device_url = %s/devicecode\n" % SERVICE
        else:
            urls += "oauth_auth_url = %s/authorize\n" % SERVICE
        self.cfg = Config("""\
[saatja]
queue = %s/queue
log = %s
%s
[%s]
host = 127.0.0.1
port = %d
tls = starttls
ca_file = %s
auth = %s
oauth_client_id = %s
%s%s
oauth_scope = mail
%s""" % (self.work, self.log, saatja, address, SUBMISSION, CA, auth, self.client,
         "oauth_client_secret = test-client-secret\n" if self.client.endswith("-secret") else "",
         urls, extra))
        ctl("set", client=self.client, user=address)

    def run(self, args, stdin=b"", **kw):
        r = sendmail(list(args), stdin, self.cfg, **kw)
        no_secrets(r.out.decode("utf-8", "replace") + r.err)
        return r

    def send(self, token, mailer_args=()):
        return self.run(["-t"] + list(mailer_args), message(self.address, token))

    def stored(self):
        """The token file as a dict (raises when it is not whole)."""
        with open(self.token_file, encoding="ascii") as f:
            text = f.read()
        eq(text.endswith("\n"), True, "token file ends with a line end: %r" % text[-20:])
        d = dict(line.split(" ", 1) for line in text.splitlines())
        for key in ("account", "refresh_token", "access_token", "expires"):
            eq(key in d, True, "token file has %s: %r" % (key, sorted(d)))
        return d

    def make_stale(self):
        """Rewrites the file so that its access token has under 60 s left."""
        d = self.stored()
        d["expires"] = str(int(time.time()) + 10)
        with open(self.token_file + ".t", "w") as f:
            f.write("".join("%s %s\n" % kv for kv in d.items()))
        os.chmod(self.token_file + ".t", 0o600)
        os.rename(self.token_file + ".t", self.token_file)


SEEN_TOKENS = set()


def no_secrets(text):
    """No access or refresh token, device code or client secret in text."""
    for pat in (r"\bat-[A-Za-z0-9_-]{10,}", r"\brt-[A-Za-z0-9_-]{10,}",
                r"\bdc-[A-Za-z0-9_-]{10,}", r"\bac-[A-Za-z0-9_-]{10,}",
                "test-client-secret"):
        if re.search(pat, text):
            raise AssertionError("a secret in the output: %r" % text[-600:])


def message(sender, token):
    return ("From: %s\nTo: bob@example.test\nSubject: oauth %s\n\nhello %s\n"
            % (sender, token, token))


def concurrent_senders(cfg, address, prefix, n=20):
    """n senders of address at once, each a message with its own token;
    waits for all and checks that each exited 0 with no secret in what it
    said. The tokens."""
    tokens = ["%s%02d-%s" % (prefix, i, uuid.uuid4().hex) for i in range(n)]
    procs = []
    for t in tokens:
        p = subprocess.Popen(sendmail_argv() + ["-C", cfg.path, "-t"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        p.stdin.write(message(address, t).encode())
        p.stdin.close()
        procs.append(p)
    for p in procs:
        p.wait(timeout=120)
        err = p.stderr.read().decode()
        no_secrets(err)
        eq(p.returncode, 0, "a concurrent sender's exit status: %s" % err)
    return tokens


def sasl_methods(log_text):
    """The SASL method of each Postfix queue ID that the saatja log names."""
    qids = re.findall(r"queued as (\w+)", log_text)
    out = []
    deadline = time.time() + 10
    for qid in qids:
        while True:
            with open(MAILLOG, encoding="utf-8", errors="replace") as f:
                m = re.search(r"%s: client=.*sasl_method=(\w+)" % qid, f.read())
            if m or time.time() > deadline:
                break
            time.sleep(0.1)
        out.append(m.group(1) if m else None)
    return out


def read_log(acct):
    with open(acct.log, encoding="utf-8", errors="replace") as f:
        return f.read()


def start_authorize(acct, stdin=subprocess.DEVNULL):
    argv = sendmail_argv() + ["-C", acct.cfg.path, "--authorize", acct.address]
    return subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def finish(p, shown):
    # Not communicate(): it reads the pipe past what readline() buffered.
    if p.stdin:
        p.stdin.close()
    out = p.stdout.read()
    err = p.stderr.read()
    p.wait(timeout=60)
    text = shown + out.decode() + err.decode()
    no_secrets(text)
    return p.returncode, text


def read_until(p, pattern, limit=30):
    """stdout lines of p up to the one matching pattern; (text, match)."""
    text = ""
    deadline = time.time() + limit
    while time.time() < deadline:
        line = p.stdout.readline().decode()
        if not line:
            break
        text += line
        m = re.search(pattern, text)
        if m:
            return text, m
    raise AssertionError("no %r in the output of --authorize: %r" % (pattern, text))


def authorize_device(acct, action="approve"):
    """--authorize by the device flow; the user enters the code shown."""
    p = start_authorize(acct)
    shown, m = read_until(p, r"enter the code:\s*\n\s+(\S+)\n")
    ctl("device", user_code=m.group(1), action=action, user=acct.address)
    return finish(p, shown)


def authorized(acct):
    code, text = authorize_device(acct)
    eq(code, 0, "--authorize exit status: %s" % text)
    return text


def browser_url(p):
    shown, m = read_until(p, r"paste the address.*\(it starts with (\S+)\) here:\n")
    url = re.search(r"\n\s+(https://\S+)\n", shown).group(1)
    return shown, url


# --------------------------------------------------------------- --authorize

def test_authorize_by_device_flow_shows_url_and_code_and_stores_tokens():
    acct = Account()
    text = authorized(acct)
    contains(text, "%s/device" % SERVICE, "the verification URL")
    contains(text, "10 minutes", "how long the code lasts")
    contains(text, "Signed in", "the success line")
    contains(text, acct.token_file, "where the token is")
    eq(oct(os.stat(acct.token_file).st_mode & 0o777), "0o600", "token file mode")
    d = acct.stored()
    eq(d["account"], acct.address, "account in the token file")
    eq(int(d["expires"]) > time.time() + 3000, True, "expiry from expires_in")


def test_authorize_by_device_flow_in_estonian():
    # The l10n twins of sendmail and of the helper (which prints the
    # device flow's sentences), with the build tree's catalogs; as
    # test_i18n.py runs them.
    l10n = os.environ.get("SAATJA_L10N_SENDMAIL", "")
    helper = os.environ.get("SAATJA_L10N_OAUTH_HELPER", "")
    if not (os.path.exists(l10n) and os.path.exists(helper)):
        raise SkipTest("tests/l10n/sendmail or tests/l10n/saatja-oauth is not built")
    if not os.path.exists(os.path.join(os.path.dirname(l10n), "locale", "et",
                                       "LC_MESSAGES", "saatja.mo")):
        raise SkipTest("no Estonian catalog (built without NLS?)")
    acct = Account()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LC_") and k not in ("LANG", "LANGUAGE")}
    env.update(LC_ALL="C.UTF-8", LANGUAGE="et", SAATJA_OAUTH_HELPER=helper)
    p = subprocess.Popen([l10n, "-C", acct.cfg.path, "--authorize", acct.address],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    shown, m = read_until(p, r"ja sisestage kood:\s*\n\s+(\S+)\n")
    ctl("device", user_code=m.group(1), action="approve", user=acct.address)
    code, text = finish(p, shown)
    eq(code, 0, "--authorize exit status: %s" % text)
    contains(text, "Konto %s volitamiseks avage see leht brauseris (mis tahes seadmes):\n"
             "    %s/device" % (acct.address, SERVICE))
    contains(text, "Kood kehtib 10 minutit. Ootan, kuni logite sisse...\n")
    contains(text, "Sisse logitud. Konto %s luba on salvestatud faili %s; edaspidi "
             "uuendab saatja seda ise.\n" % (acct.address, acct.token_file))
    for english in ("open this page", "Waiting for you", "Signed in"):
        eq(english in text, False, "no English %r: %s" % (english, text))
    eq(acct.stored()["account"], acct.address, "the token is stored")


def test_sends_with_xoauth2_and_no_refresh_while_token_is_valid():
    acct = Account()
    authorized(acct)
    for i in range(2):
        r = acct.send("xo%d-%s" % (i, uuid.uuid4().hex))
        eq(r.code, 0, "exit status; stderr: %s" % r.err)
    eq(sasl_methods(read_log(acct)), ["XOAUTH2", "XOAUTH2"], "Postfix's sasl_method")
    s = stats(acct.client)
    eq((s["refresh"], s["introspect_active"]), (0, 2), "refreshes, accepted tokens")


def test_verbose_dialogue_hides_the_token():
    acct = Account()
    authorized(acct)
    r = acct.send(uuid.uuid4().hex, ["-v"])
    eq(r.code, 0, "exit status; stderr: %s" % r.err)
    contains(r.err, "AUTH XOAUTH2 ********", "the AUTH line in -v")


def test_authorize_by_browser_flow_with_loopback_redirect_then_oauthbearer():
    acct = Account(address="oauthbearer@firma.test", auth="oauthbearer", flow="browser",
                   client=new_client(secret=True))
    p = start_authorize(acct)
    shown, url = browser_url(p)
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    eq((q["code_challenge_method"], len(q["code_challenge"]), q["login_hint"]),
       ("S256", 43, acct.address), "PKCE and login_hint in the authorization URL")
    eq(q["redirect_uri"].startswith("http://127.0.0.1:"), True, "loopback redirect")
    # The browser follows the service's redirect back to saatja.
    with urllib.request.urlopen(url, context=tls(), timeout=20) as r:
        contains(r.read().decode(), "You can close this page", "the page the browser shows")
    code, text = finish(p, shown)
    eq(code, 0, "--authorize exit status: %s" % text)
    token = uuid.uuid4().hex
    r = acct.send(token)
    eq(r.code, 0, "exit status; stderr: %s" % r.err)
    eq(sasl_methods(read_log(acct)), ["OAUTHBEARER"], "Postfix's sasl_method")
    eq(len(mailserver.delivered_by_token(token, wait=20)), 1, "delivered")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def test_authorize_by_browser_flow_with_the_final_address_pasted():
    acct = Account(flow="browser")
    p = start_authorize(acct, stdin=subprocess.PIPE)
    shown, url = browser_url(p)
    # Another device's browser ends on http://127.0.0.1:PORT/?code=...,
    # which does not load there; the user pastes it.
    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=tls()))
    try:
        opener.open(url, timeout=20)
        raise AssertionError("no redirect from /authorize")
    except urllib.error.HTTPError as e:
        final = e.headers["Location"]
    p.stdin.write(final.encode() + b"\n")
    p.stdin.flush()
    code, text = finish(p, shown)
    eq(code, 0, "--authorize exit status: %s" % text)
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 0, "exit status; stderr: %s" % r.err)


def test_pasted_address_of_another_attempt_is_refused_and_asked_again():
    acct = Account(flow="browser")
    p = start_authorize(acct, stdin=subprocess.PIPE)
    shown, url = browser_url(p)
    port = re.search(r"http://127\.0\.0\.1:(\d+)/", shown).group(1)
    p.stdin.write(("http://127.0.0.1:%s/?code=ac-forged&state=other\n" % port).encode())
    p.stdin.flush()
    again, _ = read_until(p, r"Paste it again")
    contains(again, "another sign-in attempt", "why the address was refused")
    with urllib.request.urlopen(url, context=tls(), timeout=20):
        pass
    code, text = finish(p, shown + again)
    eq(code, 0, "--authorize exit status: %s" % text)


def test_authorize_refusals_say_what_to_do_and_exit_77():
    acct = Account()
    code, text = authorize_device(acct, action="deny")
    eq(code, 77, "declined: exit status: %s" % text)
    contains(text, "was declined", "declined")
    contains(text, "sendmail --authorize %s" % acct.address, "what to run")
    eq(os.path.exists(acct.token_file), False, "no token file after a refusal")

    acct = Account(flow="browser")
    ctl("set", client=acct.client, deny_authorize="access_denied")
    p = start_authorize(acct)
    shown, url = browser_url(p)
    with urllib.request.urlopen(url, context=tls(), timeout=20):
        pass
    code, text = finish(p, shown)
    eq(code, 77, "browser declined: exit status: %s" % text)
    contains(text, "access_denied", "the service's code")

    acct = Account(client="someone-else")
    r = acct.run(["--authorize", acct.address])
    eq(r.code, 77, "unknown client: exit status: %s" % r.err)
    contains(r.err, "does not accept the application", "invalid_client")

    acct = Account()
    ctl("set", client=acct.client, device_ttl=2)
    r = acct.run(["--authorize", acct.address], timeout=30)
    eq(r.code, 77, "expired code: exit status: %s" % r.err)
    contains(r.err, "expired", "expired_token")


def test_authorize_needs_an_oauth_account_and_a_reachable_service():
    acct = Account()
    r = acct.run(["--authorize", "nobody@firma.test"])
    eq(r.code, 78, "unknown account: %s" % r.err)
    acct = Account(extra="oauth_device_url = https://127.0.0.1:1/devicecode\n")
    r = acct.run(["--authorize", acct.address])
    eq(r.code in (69, 74), True, "service unreachable: exit %d %s" % (r.code, r.err))
    cfg = Config("[a@firma.test]\nhost = 127.0.0.1\npassword = x\n")
    r = sendmail(["--authorize", "a@firma.test"], b"", cfg)
    eq(r.code, 78, "a password account: %s" % r.err)
    contains(r.err, "not an OAuth2 account", "why")


# ------------------------------------------------------------------ refresh

def test_twenty_concurrent_senders_after_a_refusal_cause_one_refresh():
    acct = Account()
    authorized(acct)
    first_refresh = acct.stored()["refresh_token"]
    ctl("expire", client=acct.client)        # the server stops accepting it
    ctl("set", client=acct.client, refresh_delay=0.5)
    tokens = concurrent_senders(acct.cfg, acct.address, "c")
    for t in tokens:
        eq(len(mailserver.delivered_by_token(t, wait=30)), 1, "delivered: %s" % t)
    s = stats(acct.client)
    print("# 20 concurrent senders: %d refresh(es), %d reuse(s) of a rotated refresh token"
          % (s["refresh"], s["reuse"]))
    eq((s["refresh"], s["reuse"], s["refresh_refused"]), (1, 0, 0),
       "refreshes, reuses, refused refreshes")
    eq(acct.stored()["refresh_token"] != first_refresh, True, "the rotated token is stored")

    # A second forced refresh works: the rotated refresh token was stored.
    ctl("expire", client=acct.client)
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 0, "second forced refresh: %s" % r.err)
    s = stats(acct.client)
    eq((s["refresh"], s["reuse"]), (2, 0), "refreshes, reuses after the second")


def test_stale_stored_token_is_refreshed_before_login():
    acct = Account()
    authorized(acct)
    acct.make_stale()
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 0, "exit status: %s" % r.err)
    s = stats(acct.client)
    eq((s["refresh"], s["introspect"]), (1, 1), "one refresh, one AUTH (no refused token first)")


def test_revoked_grant_keeps_the_message_and_exits_77_naming_authorize():
    acct = Account()
    authorized(acct)
    ctl("revoke", client=acct.client)
    ctl("expire", client=acct.client)
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 77, "exit status: %s" % r.err)
    contains(r.err, "sendmail --authorize %s" % acct.address, "stderr names --authorize")
    contains(r.err, "sendmail -qI", "stderr names -qI")
    failed = os.listdir(os.path.join(acct.work, "queue", "failed"))
    eq(any(f.endswith(".env") for f in failed), True, "the message is kept: %r" % failed)
    acct.stored()    # the token file is left whole


def test_signed_in_grant_traps_are_answered_where_they_happen():
    """Microsoft's 90-day inactivity expiry, Google's 7-day refresh tokens
    of a project in Testing, and a Conditional Access policy that blocks
    the device flow: each says what to do, in the provider's words."""
    cases = [
        ("", "AADSTS700082: The refresh token has expired due to inactivity.",
         ["90 days", "client credentials", "--authorize"]),
        ("oauth = google\n", "Token has been expired or revoked.",
         ["\"Testing\"", "7-day", "In production"]),
    ]
    for extra, description, advice in cases:
        acct = Account(extra=extra)
        authorized(acct)
        ctl("set", client=acct.client, app_error="invalid_grant",
            app_error_description=description)
        acct.make_stale()
        r = acct.send(uuid.uuid4().hex)
        eq(r.code, 77, "%s: exit status: %s" % (description, r.err))
        for a in advice:
            contains(r.err, a, "%s: what to do" % description)
    acct = Account()
    ctl("set", client=acct.client, app_error="invalid_grant",
        app_error_description="AADSTS53003: Access has been blocked by Conditional Access policies.")
    code, text = authorize_device(acct)
    eq(code, 77, "Conditional Access: exit status: %s" % text)
    contains(text, "oauth_grant = browser", "Conditional Access: the browser grant")
    contains(text, "oauth_grant = client_credentials", "Conditional Access: client credentials")


def test_missing_token_says_to_authorize():
    acct = Account()
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 77, "exit status: %s" % r.err)
    contains(r.err, "sendmail --authorize %s" % acct.address, "what to do")


def device_tokens(client, user):
    """Tokens straight from the service, as another program would get them."""
    def post(path, form):
        req = urllib.request.Request(SERVICE + path, urllib.parse.urlencode(form).encode())
        with urllib.request.urlopen(req, context=tls(), timeout=10) as r:
            return json.load(r)
    d = post("/devicecode", dict(client_id=client, scope="mail"))
    ctl("device", user_code=d["user_code"], user=user)
    return post("/token", dict(client_id=client, device_code=d["device_code"],
                               grant_type="urn:ietf:params:oauth:grant-type:device_code"))


def test_password_command_printing_an_access_token():
    mailserver.server()
    client = new_client()
    tokens = device_tokens(client, "oauth@firma.test")
    work = tempfile.mkdtemp(prefix="saatja-oauth-")
    with open(os.path.join(work, "token"), "w") as f:
        f.write(tokens["access_token"] + "\n")
    cfg = Config("""\
[saatja]
queue = %s/queue
log = %s/saatja.log
[oauth@firma.test]
host = 127.0.0.1
port = %d
ca_file = %s
auth = xoauth2
password_command = cat %s/token
""" % (work, work, SUBMISSION, CA, work))
    token = uuid.uuid4().hex
    r = sendmail(["-t"], message("oauth@firma.test", token), cfg)
    no_secrets(r.err)
    eq(r.code, 0, "exit status: %s" % r.err)
    with open(os.path.join(work, "saatja.log")) as f:
        eq(sasl_methods(f.read()), ["XOAUTH2"], "Postfix's sasl_method")
    ctl("expire", client=client)
    r = sendmail(["-t"], message("oauth@firma.test", uuid.uuid4().hex), cfg)
    no_secrets(r.err)
    eq(r.code, 77, "a refused token from password_command: %s" % r.err)
    contains(r.err, "password_command", "the hint names the command")


def test_queue_run_of_50_messages_across_an_expiry_refreshes_once():
    acct = Account(saatja="delivery = queue")
    authorized(acct)
    tokens = ["q%02d-%s" % (i, uuid.uuid4().hex) for i in range(50)]
    for t in tokens:
        r = acct.send(t)
        eq(r.code, 0, "queued: %s" % r.err)
    acct.make_stale()        # the access token expires before the run
    r = acct.run(["-q"], timeout=120)
    eq(r.code, 0, "-q exit status: %s" % r.err)
    for t in tokens:
        eq(len(mailserver.delivered_by_token(t, wait=30)), 1, "delivered: %s" % t)
    s = stats(acct.client)
    eq(s["refresh"], 1, "one refresh for the whole run")
    methods = sasl_methods(read_log(acct))
    eq(len(methods), 50, "50 messages sent")
    eq(set(methods), {"XOAUTH2"}, "all with XOAUTH2")


def test_kill_during_a_refresh_never_leaves_a_broken_token_file():
    acct = Account()
    authorized(acct)
    ctl("set", client=acct.client, refresh_delay=0.05)
    rng = random.Random(7)
    for i in range(12):
        acct.make_stale()
        before = acct.stored()
        p = subprocess.Popen(sendmail_argv() + ["-C", acct.cfg.path, "-t"],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        p.stdin.write(message(acct.address, uuid.uuid4().hex).encode())
        p.stdin.close()
        time.sleep(rng.uniform(0.0, 0.25))
        p.send_signal(signal.SIGKILL)
        p.wait()
        time.sleep(0.3)      # the helper, if any, finishes on its own
        after = acct.stored()    # whole, never empty or half written
        eq(after["account"], before["account"], "still this account's file")
    # The file still works for the next sender, or says to sign in again
    # when a kill fell between the service's answer and the rename.
    r = acct.send(uuid.uuid4().hex)
    eq(r.code in (0, 77), True, "after the kills: %d %s" % (r.code, r.err))
    if r.code == 77:
        contains(r.err, "--authorize", "a lost grant says what to do")


def test_temporary_auth_failure_defers_without_a_refresh():
    """454 is temporary (RFC 4954): the message waits in the queue, and
    the stored token is not refreshed for it."""
    from faults import FaultServer
    faults = FaultServer()
    client = new_client()
    cfg = faults.config(account="oauth@firma.test", extra="""\
auth = xoauth2
oauth_client_id = %s
oauth_device_url = %s/devicecode
oauth_token_url = %s/token
oauth_token_file = %%s/token
""" % (client, SERVICE, SERVICE))
    with open(cfg.path) as f:
        text = f.read()
    with open(cfg.path, "w") as f:
        f.write(text.replace("%s/token\n", cfg.work + "/token\n"))
    with open(os.path.join(cfg.work, "token"), "w") as f:
        f.write("account oauth@firma.test\nrefresh_token rt-never-used-0000000000\n"
                "access_token at-still-valid-00000000000\nexpires %d\n" % (time.time() + 3600))
    faults.script({"auth_mechanisms": "XOAUTH2",
                   "auth": "454 4.7.0 Temporary authentication failure"})
    r = sendmail(["-t"], message("oauth@firma.test", uuid.uuid4().hex), cfg)
    eq(r.code, 0, "deferred, exit 0: %s" % r.err)
    contains(r.err, "will retry", "the warning")
    eq(len(faults.commands("AUTH XOAUTH2")), 1, "one AUTH, no second try")
    s = stats(client)
    eq((s["token"], s["refresh"]), (0, 0), "no refresh for a temporary failure")


# -------------------------------------------------------------------- --check

def test_check_shows_the_token_step_and_refreshes_through_the_lock():
    acct = Account()
    authorized(acct)
    r = acct.run(["--check", acct.address])
    text = r.out.decode()
    eq(r.code, 0, "--check exit status: %s%s" % (text, r.err))
    contains(text, "token", "the token step")
    contains(text, "expires in", "when it expires")
    eq(stats(acct.client)["refresh"], 1, "the check refreshed once")
    acct.stored()
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 0, "a send after the check: %s" % r.err)


def test_check_without_a_stored_token_says_to_authorize():
    acct = Account()
    r = acct.run(["--check", acct.address])
    text = r.out.decode()
    eq(r.code != 0, True, "--check fails: %s" % text)
    contains(text, "--authorize %s" % acct.address, "what to do")


if __name__ == "__main__":
    run_tests()
