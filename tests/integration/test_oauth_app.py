# SPDX-License-Identifier: MIT
"""OAuth2 for servers that nobody signs into, against the real Postfix +
Dovecot of tests/server/mailserver.sh and its token service
(oauthserver.py): Microsoft's client credentials with a client secret and
with a certificate-signed assertion (RFC 7523), and a Google service
account's JWT bearer grant. Delivery with nobody signing in, one token
request for 20 concurrent senders and for a 50-message queue run across an
expiry, the token accepted only for the application's mailbox, the
refusals (each says what to do and keeps the message, exit 77), a token
service that is down (exit 75), --authorize and --check, no secret or key
in -v, logs or ps, and key files that others can read.

The keys and certificates are made by openssl at test time; none is
committed. Each test uses its own client_id, so the service's counters are
its own."""
import json
import os
import re
import subprocess
import tempfile
import time
import uuid

import mailserver
from mailserver import CA, SUBMISSION
from saatja_test import Config, sendmail, sendmail_argv, eq, contains, run_tests
from test_oauth import (SERVICE, ctl, stats, new_client, message, sasl_methods,
                        concurrent_senders,
                        no_secrets)

MAILBOX = "arved-app@firma.test"
SHOP = "pood@firma.test"
SECRET = "app-secret-" + uuid.uuid4().hex
SA_DOMAIN = "@saatja-test.iam.gserviceaccount.com"
KEYS = tempfile.mkdtemp(prefix="saatja-oauth-keys-")


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


def certificate(name, days=365):
    """A self-signed RSA certificate and its key (0600); their paths."""
    key = os.path.join(KEYS, name + ".key")
    cert = os.path.join(KEYS, name + ".pem")
    if not os.path.exists(cert):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                "-out", cert, "-days", str(days), "-subj", "/CN=saatja test " + name)
        os.chmod(key, 0o600)
    return cert, key


def key_body(path):
    """The base64 lines of a PEM key: what must never be shown."""
    with open(path) as f:
        return [line for line in f.read().splitlines() if not line.startswith("-----")]


def service_account_key(client, token_uri=SERVICE + "/token"):
    """A Google service account key file for client (0600) and the
    public key the token service checks its signatures with."""
    pem = os.path.join(KEYS, client + ".key")
    pub = os.path.join(KEYS, client + ".pub")
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", pem)
    openssl("pkey", "-in", pem, "-pubout", "-out", pub)
    with open(pem) as f:
        private = f.read()
    path = os.path.join(KEYS, client + ".json")
    with open(path, "w") as f:
        json.dump({"type": "service_account", "project_id": "saatja-test",
                   "private_key_id": uuid.uuid4().hex, "private_key": private,
                   "client_email": client + SA_DOMAIN, "client_id": "1234567890",
                   "token_uri": token_uri}, f)
    os.chmod(path, 0o600)
    return path, pub, pem


class App:
    """An account whose token an application fetches by itself."""

    def __init__(self, grant="client_credentials", address=MAILBOX, client=None,
                 creds=None, saatja="", mailbox=None, token_url=True):
        mailserver.server()
        self.address = address
        self.client = client or new_client()
        self.work = tempfile.mkdtemp(prefix="saatja-oauth-app-")
        self.log = os.path.join(self.work, "saatja.log")
        self.token_file = os.path.join(self.work, "queue", "oauth", address)
        if creds is None and grant == "client_credentials":
            creds = "oauth_client_secret_file = %s\n" % self.secret_file(SECRET)
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
oauth_grant = %s
oauth_client_id = %s
%s%s""" % (self.work, self.log, saatja, address, SUBMISSION, CA, grant, self.client,
         "oauth_token_url = %s/token\n" % SERVICE if token_url else "", creds))
        ctl("set", client=self.client, mailbox=mailbox or address, secret=SECRET)

    def secret_file(self, secret, mode=0o600):
        path = os.path.join(self.work, "client-secret")
        with open(path, "w") as f:
            f.write(secret + "\n")
        os.chmod(path, mode)
        return path

    def run(self, args, stdin=b"", **kw):
        r = sendmail(list(args), stdin, self.cfg, **kw)
        no_secrets(r.out.decode("utf-8", "replace") + r.err)
        contains_no(r.out.decode("utf-8", "replace") + r.err, SECRET)
        return r

    def send(self, token, args=()):
        return self.run(["-t"] + list(args), message(self.address, token))

    def stored(self):
        with open(self.token_file, encoding="ascii") as f:
            return dict(line.split(" ", 1) for line in f.read().splitlines())

    def log_text(self):
        with open(self.log, encoding="utf-8", errors="replace") as f:
            return f.read()

    def failed(self):
        """The IDs in the failed area (the message, and the failure notice
        to the sender that could not go out either)."""
        d = os.path.join(self.work, "queue", "failed")
        return [f for f in os.listdir(d) if f.endswith(".env")] if os.path.isdir(d) else []

    def kept(self, what=""):
        eq(len(self.failed()) >= 1, True, "%sthe message waits in the failed area" % what)

    def make_stale(self):
        d = self.stored()
        d["expires"] = str(int(time.time()) + 10)
        with open(self.token_file + ".t", "w") as f:
            f.write("".join("%s %s\n" % kv for kv in d.items()))
        os.chmod(self.token_file + ".t", 0o600)
        os.rename(self.token_file + ".t", self.token_file)


def contains_no(text, secret):
    if secret in text:
        raise AssertionError("the secret %r in the output: %r" % (secret, text[-600:]))


def delivered(acct, token):
    eq(len(mailserver.delivered_by_token(token, wait=20)), 1, "delivered: %s" % token)


def cert_creds(name="app", days=365):
    cert, key = certificate(name, days)
    return cert, key, "oauth_client_certificate = %s\noauth_client_key = %s\n" % (cert, key)


def test_client_credentials_with_a_secret_deliver_with_nobody_signing_in():
    acct = App()
    for i in range(2):
        token = "cs%d-%s" % (i, uuid.uuid4().hex)
        r = acct.send(token)
        eq(r.code, 0, "exit status; stderr: %s" % r.err)
        delivered(acct, token)
    eq(sasl_methods(acct.log_text()), ["XOAUTH2", "XOAUTH2"], "Postfix's sasl_method")
    s = stats(acct.client)
    eq((s["app"], s["app_refused"], s["introspect_active"]), (1, 0, 2),
       "token requests, refusals, accepted logins")
    d = acct.stored()
    eq((d["account"], "access_token" in d, "refresh_token" in d), (MAILBOX, True, False),
       "the token file keeps the access token, no refresh token")
    eq(oct(os.stat(acct.token_file).st_mode & 0o777), "0o600", "token file mode")
    contains(acct.log_text(), "OAuth2 token fetched", "the log says a token was fetched")


def test_client_secret_from_a_command_and_its_failure():
    acct = App(creds="oauth_client_secret_command = \"printf '%%s\\n' %s\"\n" % SECRET)
    token = "sc-" + uuid.uuid4().hex
    r = acct.send(token)
    eq(r.code, 0, "exit status; stderr: %s" % r.err)
    delivered(acct, token)
    acct = App(creds="oauth_client_secret_command = pass show app; echo\n")
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 78, "an unquoted ';': %s" % r.err)
    contains(r.err, "oauth_client_secret_command holds ';' or '#'", "names the key")
    acct = App(creds="oauth_client_secret_command = false\n")
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 78, "a failing command: %s" % r.err)
    contains(r.err, "oauth_client_secret_command failed", "names the key")
    eq(stats(acct.client)["app"], 0, "no token request without the secret")


def test_client_secret_as_a_systemd_credential():
    """oauth_client_secret_file = NAME follows password_file's rules: the
    credential in $CREDENTIALS_DIRECTORY, which only the queue runner's
    service has; without it the message waits for that service."""
    creds = tempfile.mkdtemp(prefix="saatja-creds-")
    with open(os.path.join(creds, "app-secret"), "w") as f:
        f.write(SECRET + "\n")
    os.chmod(os.path.join(creds, "app-secret"), 0o400)
    acct = App(creds="oauth_client_secret_file = app-secret\n")
    token = "cred-" + uuid.uuid4().hex
    r = acct.run(["-t"], message(acct.address, token), env={"CREDENTIALS_DIRECTORY": ""})
    eq(r.code, 0, r.err)
    eq(stats(acct.client)["app"], 0, "no token request without the credential")
    contains(acct.log_text(), 'left for the queue runner: the password of %s is the systemd '
             'credential "app-secret"' % acct.address)
    r = acct.run(["-q"], env={"CREDENTIALS_DIRECTORY": creds})
    eq(r.code, 0, r.err)
    delivered(acct, token)
    eq(stats(acct.client)["app"], 1, "one token request, with the credential's secret")


def test_client_credentials_with_a_certificate_signed_assertion():
    cert, key, creds = cert_creds()
    acct = App(creds=creds)
    ctl("set", client=acct.client, cert=cert)
    for i in range(2):
        token = "cc%d-%s" % (i, uuid.uuid4().hex)
        r = acct.send(token)
        eq(r.code, 0, "exit status; stderr: %s" % r.err)
        delivered(acct, token)
        ctl("expire", client=acct.client)    # the second needs a new assertion
    s = stats(acct.client)
    # The second send's stored token was refused, so it asked again: each
    # assertion had its own jti, or the service would have refused it.
    eq((s["app"], s["app_refused"]), (2, 0), "token requests, refusals")


def test_the_application_token_is_accepted_only_for_its_mailbox():
    acct = App(address=SHOP, mailbox=MAILBOX)
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 77, "exit status; stderr: %s" % r.err)
    for what in ("New-ServicePrincipal", "Add-MailboxPermission", "SMTP.SendAsApp"):
        contains(r.err, what, "the refusal names what the administrator runs")
    acct.kept()


def test_smtp_auth_disabled_for_the_mailbox_names_set_casmailbox():
    """Exchange's 5.7.139 to an application's token: SMTP AUTH is off for
    the mailbox (a fault server plays Exchange; the token service is the
    test one, so the account trusts both CAs)."""
    from faults import FaultServer, CERTDIR
    fs = FaultServer()
    fs.script({"auth_mechanisms": "XOAUTH2",
               "auth": "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox."})
    both = os.path.join(KEYS, "both-ca.pem")
    with open(both, "w") as out:
        for ca in (CA, os.path.join(CERTDIR, "ca.pem")):
            with open(ca) as f:
                out.write(f.read())
    acct = App()
    with open(acct.cfg.path) as f:
        text = f.read()
    text = text.replace("port = %d" % SUBMISSION, "port = %d" % fs.port)
    text = text.replace("ca_file = %s" % CA, "ca_file = %s" % both)
    with open(acct.cfg.path, "w") as f:
        f.write(text)
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 77, "exit status; stderr: %s" % r.err)
    contains(r.err, "Set-CASMailbox -Identity %s -SmtpClientAuthenticationDisabled $false"
             % MAILBOX, "what the administrator runs")
    eq(len(fs.commands("AUTH XOAUTH2")) >= 1, True, "it logged in with XOAUTH2")
    acct.kept()


def test_service_account_delivers_for_the_mailbox_it_names():
    client = new_client()
    key_file, pub, pem = service_account_key(client)
    # No oauth_token_url: the key file's token_uri is where it goes.
    acct = App(grant="service_account", address=SHOP, client=client,
               creds="oauth = google\noauth_key_file = %s\n" % key_file, token_url=False)
    ctl("set", client=client, cert=pub)
    out = acct.run(["--check"]).out.decode()
    contains(out, "got a token from the token_uri of oauth_key_file", "--check: %s" % out)
    print("# --check of a service account:\n# " + out.replace("\n", "\n# "))
    token = "sa-" + uuid.uuid4().hex
    r = acct.send(token, ["-v"])
    eq(r.code, 0, "exit status; stderr: %s" % r.err)
    delivered(acct, token)
    eq(sasl_methods(acct.log_text()), ["XOAUTH2"], "Postfix's sasl_method")
    eq(stats(client)["app"], 1, "one token request: --check stored it, the send used it")
    text = r.err + acct.log_text()
    for line in key_body(pem):
        contains_no(text, line)


def test_service_account_without_domain_wide_delegation_exits_77():
    client = new_client()
    key_file, pub, _ = service_account_key(client)
    acct = App(grant="service_account", address=SHOP, client=client,
               creds="oauth_key_file = %s\n" % key_file)
    ctl("set", client=client, cert=pub, delegated="https://www.googleapis.com/auth/gmail.readonly")
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 77, "exit status; stderr: %s" % r.err)
    contains(r.err, "domain-wide delegation", "what to do")
    contains(r.err, "unauthorized_client", "Google's own word")
    acct.kept()


def test_a_key_file_that_is_not_a_service_account_key_is_refused():
    client = new_client()
    acct = App(grant="service_account", address=SHOP, client=client,
               creds="oauth_key_file = %s\n" % os.path.join(KEYS, client + ".json"))
    with open(os.path.join(KEYS, client + ".json"), "w") as f:
        json.dump({"installed": {"client_id": "x.apps.googleusercontent.com"}}, f)
    os.chmod(os.path.join(KEYS, client + ".json"), 0o600)
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 77, "exit status; stderr: %s" % r.err)
    contains(r.err, "is not a service account key", "says what the file is not")
    contains(r.err, "Add key", "says where to get the right one")


def test_refusals_of_the_application_say_what_to_do_and_exit_77():
    cases = [
        (dict(secret="another-secret"), "Certificates & secrets", "AADSTS7000215"),
        (dict(app_error="invalid_client",
              app_error_description="AADSTS7000222: The provided client secret keys for app are expired."),
         "has expired", "AADSTS7000222"),
        (dict(app_error="invalid_client",
              app_error_description="AADSTS65001: The user or administrator has not consented to use the application."),
         "Grant admin consent", "AADSTS65001"),
    ]
    for settings, advice, code in cases:
        acct = App()
        ctl("set", client=acct.client, **settings)
        r = acct.send(uuid.uuid4().hex)
        eq(r.code, 77, "%s: exit status; stderr: %s" % (code, r.err))
        contains(r.err, advice, "%s: what to do" % code)
        contains(r.err, code, "%s: the provider's own word" % code)
        acct.kept(code + ": ")


def test_a_certificate_the_application_does_not_know_exits_77():
    cert, key, creds = cert_creds("unknown")
    registered, _, _ = cert_creds()
    acct = App(creds=creds)
    ctl("set", client=acct.client, cert=registered)
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 77, "exit status; stderr: %s" % r.err)
    contains(r.err, "AADSTS700027", "the provider's own word")
    contains(r.err, "does not know the certificate", "what is wrong")
    acct.kept()


def test_twenty_concurrent_senders_cause_one_token_request():
    acct = App()
    ctl("set", client=acct.client, refresh_delay=0.5)
    tokens = concurrent_senders(acct.cfg, acct.address, "ac")
    for t in tokens:
        delivered(acct, t)
    s = stats(acct.client)
    print("# 20 concurrent senders, client credentials: %d token request(s)" % s["app"])
    eq(s["app"], 1, "token requests")


def test_queue_run_of_50_messages_across_an_expiry_asks_once():
    acct = App(saatja="delivery = queue")
    r = acct.run(["--authorize", acct.address])
    eq(r.code, 0, "--authorize: %s" % r.err)
    tokens = ["aq%02d-%s" % (i, uuid.uuid4().hex) for i in range(50)]
    for t in tokens:
        r = acct.send(t)
        eq(r.code, 0, "queued: %s" % r.err)
    acct.make_stale()        # the access token expires before the run
    r = acct.run(["-q"], timeout=180)
    eq(r.code, 0, "-q exit status: %s" % r.err)
    for t in tokens:
        delivered(acct, t)
    s = stats(acct.client)
    print("# queue run of 50 across an expiry: %d token request(s) after --authorize"
          % (s["app"] - 1))
    eq(s["app"], 2, "one request at --authorize, one for the whole run")


def test_revoked_application_keeps_the_message_and_exits_77():
    acct = App()
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 0, "before the revocation: %s" % r.err)
    ctl("revoke", client=acct.client)
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 77, "exit status; stderr: %s" % r.err)
    contains(r.err, "AADSTS7000112", "the provider's own word")
    contains(r.err, "admin consent", "what to do")
    acct.kept()


def test_token_service_down_defers_the_message():
    acct = App()
    ctl("set", client=acct.client, app_error="server_error",
        app_error_description="AADSTS90033: A transient error has occurred.")
    token = uuid.uuid4().hex
    r = acct.send(token)
    eq(r.code, 0, "the message is queued; stderr: %s" % r.err)
    contains(r.err, "will retry", "a deferral, not a refusal")
    contains(r.err, "HTTP status 503", "names what the token service said")
    eq(acct.failed(), [], "nothing in the failed area")
    r = acct.run(["-q"])
    eq(acct.failed(), [], "a queue run while it is down: nothing failed: %s" % r.err)
    ctl("set", client=acct.client, app_error="")
    r = acct.run(["-q"])
    eq(r.code, 0, "a queue run once it is back: %s" % r.err)
    eq(stats(acct.client)["app"], 1, "the token came once the service was back")
    eq(len(mailserver.delivered_by_token(token, wait=20)), 1, "delivered once it is back")


def test_secret_and_key_never_in_argv_environment_or_verbose_output():
    cert, key, creds = cert_creds()
    secrets_seen = key_body(key)
    for acct in (App(), App(creds=creds)):
        ctl("set", client=acct.client, cert=cert, refresh_delay=1.5)
        p = subprocess.Popen(sendmail_argv() + ["-C", acct.cfg.path, "-v", "-t"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        p.stdin.write(message(acct.address, uuid.uuid4().hex).encode())
        p.stdin.close()
        seen_helper = False
        deadline = time.time() + 30
        while p.poll() is None and time.time() < deadline:
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open("/proc/%s/cmdline" % pid, "rb") as f:
                        cmd = f.read().decode("utf-8", "replace")
                    with open("/proc/%s/environ" % pid, "rb") as f:
                        env = f.read().decode("utf-8", "replace")
                except OSError:
                    continue
                seen_helper |= "saatja-oauth" in cmd
                for s in [SECRET] + secrets_seen[:2]:
                    contains_no(cmd + env, s)
            time.sleep(0.05)
        p.wait(timeout=60)
        err = p.stderr.read().decode()
        eq(p.returncode, 0, "exit status: %s" % err)
        eq(seen_helper, True, "the helper was seen running (so ps was looked at)")
        contains(err, "AUTH XOAUTH2 ********", "the AUTH line in -v")
        text = err + acct.log_text()
        for s in [SECRET] + secrets_seen:
            contains_no(text, s)
        no_secrets(text)


def test_key_files_that_others_can_read_are_refused():
    cert, key = certificate("public")
    os.chmod(key, 0o644)
    acct = App(creds="oauth_client_certificate = %s\noauth_client_key = %s\n" % (cert, key))
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 78, "exit status; stderr: %s" % r.err)
    contains(r.err, "oauth_client_key", "names the key")
    contains(r.err, "chmod 600 %s" % key, "names the file and says what to do")
    acct = App()
    acct.secret_file(SECRET, 0o604)
    r = acct.send(uuid.uuid4().hex)
    eq(r.code, 78, "secret file: exit status; stderr: %s" % r.err)
    contains(r.err, "oauth_client_secret_file", "names the key")


def test_client_credentials_need_a_tenant_of_their_own():
    mailserver.server()
    base = ("[%s]\nhost = 127.0.0.1\nport = %d\nca_file = %s\noauth = microsoft\n"
            "oauth_grant = client_credentials\noauth_client_id = 00000000-1111\n"
            "oauth_client_secret = x\n" % (MAILBOX, SUBMISSION, CA))
    r = sendmail(["-t"], message(MAILBOX, "x"), Config(base + "oauth_tenant = common\n"))
    eq(r.code, 78, "common: %s" % r.err)
    contains(r.err, "oauth_tenant", "names the key")
    contains(r.err, "name no tenant", "says why")
    r = sendmail(["-t"], message(MAILBOX, "x"), Config(base))
    eq(r.code, 78, "no tenant: %s" % r.err)
    contains(r.err, "Directory (tenant) ID", "says what to give")
    # The outlook preset means the microsoft token service.
    r = sendmail(["-t"], message(MAILBOX, "x"), Config(
        base.replace("oauth = microsoft\n", "provider = outlook\n")))
    eq(r.code, 78, "provider = outlook, no tenant: %s" % r.err)
    contains(r.err, "Directory (tenant) ID", "provider = outlook: says what to give")


def test_grant_keys_that_cannot_work_are_config_errors():
    mailserver.server()
    cert, key = certificate("app")
    base = ("[%s]\nhost = 127.0.0.1\nport = %d\nca_file = %s\n"
            "oauth_client_id = saatja-test-x\noauth_token_url = %s/token\n" % (MAILBOX, SUBMISSION, CA, SERVICE))
    cases = [
        ("oauth_grant = password\n", "oauth_grant", "is not a grant"),
        ("oauth_grant = service_account\noauth_key_file = key.json\n", "oauth_key_file",
         "not an absolute path"),
        ("oauth_grant = service_account\n", "oauth_key_file", "JSON key file"),
        ("oauth_device_url = %s/devicecode\noauth_client_certificate = %s\n" % (SERVICE, cert),
         "oauth_client_certificate", "add oauth_grant = client_credentials"),
        ("oauth_grant = client_credentials\noauth_client_certificate = %s\n" % cert,
         "oauth_client_key", "needs both"),
        ("oauth_grant = client_credentials\noauth_client_secret = x\n"
         "oauth_client_secret_file = %s\n" % key, "oauth_client_secret_file", "give one of"),
        ("oauth_grant = client_credentials\noauth_client_secret_file = /nonexistent/secret\n",
         "oauth_client_secret_file", "does not exist"),
    ]
    for extra, key_name, why in cases:
        r = sendmail(["-t"], message(MAILBOX, "x"), Config(base + extra))
        eq(r.code, 78, "%r: exit status: %s" % (extra, r.err))
        contains(r.err, key_name, "%r: names the key" % extra)
        contains(r.err, why, "%r: says why" % extra)


def test_authorize_fetches_one_token_and_says_it_works():
    acct = App()
    r = acct.run(["--authorize", acct.address])
    eq(r.code, 0, "exit status: %s" % r.err)
    contains(r.out.decode(), "Nobody needs to sign in", "what it says")
    eq(stats(acct.client)["app"], 1, "one token request")
    eq("access_token" in acct.stored(), True, "the token is stored")


def test_check_shows_the_token_step_and_warns_of_the_certificate():
    cert, key, creds = cert_creds("short", days=10)
    acct = App(creds=creds)
    ctl("set", client=acct.client, cert=cert)
    r = acct.run(["--check"])
    out = r.out.decode()
    eq(r.code, 0, "exit status: %s %s" % (out, r.err))
    contains(out, "got a token from", "the token step")
    m = re.search(r"the certificate \S+ expires in (9|10) days \(\d{4}-\d\d-\d\d\): make a new one", out)
    eq(m is not None, True, "a warning 30 days ahead: %s" % out)
    print("# --check of client credentials with a 10-day certificate:\n# " +
          out.replace("\n", "\n# "))
    cert, key, creds = cert_creds()
    acct = App(creds=creds)
    ctl("set", client=acct.client, cert=cert)
    out = acct.run(["--check"]).out.decode()
    eq("make a new one" in out, False, "no warning for a year-long certificate: %s" % out)


if __name__ == "__main__":
    run_tests()
