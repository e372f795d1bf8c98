#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""oauthserver.py - a small OAuth2 token service for saatja's tests.

    oauthserver.py --https-port P --http-port Q --cert PEM --key PEM [--pidfile F]

Two listeners on 127.0.0.1, both threaded, all state in memory:

HTTPS (port P, the test CA's server certificate, TLS 1.2 or newer) is what a
client talks to:
  POST /devicecode   device authorization (RFC 8628): client_id, scope
  GET  /authorize    browser authorization (RFC 6749 4.1 + PKCE S256, RFC
                     7636): approves at once for the user named by login_hint
                     (or the client's "user" setting) and answers 302 to the
                     redirect_uri, which must be http://127.0.0.1:PORT/...
  POST /token        grant_type device_code, authorization_code, refresh_token;
                     and an application's grants, with nobody signing in:
                     client_credentials (with client_secret, or with a
                     client_assertion, RFC 7523 2.2, signed RS256 by the
                     key of the client's registered certificate: header
                     x5t = its SHA-1 thumbprint (and x5t#S256, when given,
                     its SHA-256 one), aud = this /token URL,
                     iss = sub = client_id, exp in the future and at most
                     an hour ahead, a jti never seen before), answering an
                     access token for the client's "mailbox" and no refresh
                     token; and urn:ietf:params:oauth:grant-type:jwt-bearer
                     (RFC 7523 2.1, Google's service accounts: iss =
                     CLIENT@saatja-test.iam.gserviceaccount.com, signed by
                     the client's registered "cert", aud, exp, scope among
                     the client's "delegated" scopes, sub = the mailbox the
                     token is for)
  GET  /device       a page that names the code to enter (nothing to do here:
                     the test approves through /control/device)

HTTP (port Q) is for Dovecot and the tests:
  POST /introspect   RFC 7662-like, as Dovecot's oauth2 passdb with
                     introspection_mode = post asks: token=... ->
                     {"active": "true", "username": USER} or {"active": "false"}
  GET  /control/stats?client=C        counters (JSON, see Client.stats)
  POST /control/set?client=C&KEY=V    settings: access_ttl (s), refresh_delay
                                      (s, how long a refresh takes), user,
                                      deny_authorize (an error code to send
                                      to the redirect instead of a code),
                                      device_interval (s), device_ttl (s),
                                      mailbox (the one mailbox an
                                      application's token is for), secret
                                      (the application's client secret),
                                      cert (a PEM file: the registered
                                      certificate or public key), delegated
                                      (space-separated scopes a service
                                      account may ask for), app_error and
                                      app_error_description (refuse every
                                      application grant, refresh and
                                      approved device code with them)
                                      refresh_fail (the next N refreshes
                                      answer 503, the grant unharmed)
  POST /control/expire?client=C       every access token of C stops working
  POST /control/revoke?client=C       every grant of C is revoked, and an
                                      application is disabled
  POST /control/device?user_code=X&action=approve|deny[&user=U]
  GET  /control/device?client=C       the newest pending user_code of C

Clients: any client_id that starts with "saatja-test" is registered (a
public client); one that ends with "-secret" is confidential and must send
client_secret=test-client-secret. Each test uses its own client_id, so
counters and controls of tests running at once never mix.

Refresh tokens rotate strictly: a refresh answers a new refresh token, and
the old one fails at once with invalid_grant. Presenting a rotated token
counts as a reuse ("reuse" in the stats) and revokes the whole grant, as
RFC 9700 (OAuth 2.0 security BCP) 4.14.2 recommends.
"""
import argparse
import base64
import hashlib
import json
import os
import secrets
import ssl
import subprocess
import tempfile
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLIENT_SECRET = "test-client-secret"
LOCK = threading.Lock()
CLIENTS = {}
ACCESS = {}      # access token -> dict(client, user, exp, grant)
REFRESH = {}     # refresh token -> dict(client, user, grant, state)
GRANTS = {}      # grant id -> dict(client, user, revoked)
DEVICE = {}      # device_code -> dict(client, user_code, exp, state, user, scope, last)
CODES = {}       # auth code -> dict(client, redirect, challenge, user, used, scope)


class Client:
    def __init__(self, cid):
        self.id = cid
        self.access_ttl = 3600
        self.refresh_delay = 0.0
        self.user = None
        self.deny_authorize = None
        self.device_interval = 1
        self.device_ttl = 600
        self.mailbox = None
        self.secret = CLIENT_SECRET
        self.cert = None
        self.delegated = ["https://mail.google.com/"]
        self.app_error = None
        self.app_error_description = None
        self.disabled = False
        self.refresh_fail = 0
        self.counts = dict(refresh=0, refresh_refused=0, refresh_failed=0, reuse=0, token=0,
                           introspect=0, introspect_active=0, device=0,
                           authorize=0, app=0, app_refused=0)

    def stats(self):
        d = dict(self.counts)
        d["live_refresh_tokens"] = sum(1 for r in REFRESH.values()
                                       if r["client"] == self.id and r["state"] == "live")
        return d


def client(cid):
    c = CLIENTS.get(cid)
    if c is None:
        c = CLIENTS[cid] = Client(cid)
    return c


def new_token(prefix):
    return prefix + secrets.token_urlsafe(24)


class OAuthError(Exception):
    def __init__(self, error, description, status=400):
        super().__init__(error)
        self.error, self.description, self.status = error, description, status


def check_client(form):
    if form.get("grant_type") == JWT_BEARER:
        return client(service_account_client(form))
    cid = form.get("client_id", "")
    if not cid.startswith("saatja-test"):
        raise OAuthError("invalid_client", "unknown client_id", 401)
    if form.get("grant_type") == "client_credentials":
        return client(cid)     # grant_app authenticates the application
    if cid.endswith("-secret") and form.get("client_secret") != CLIENT_SECRET:
        raise OAuthError("invalid_client", "client authentication failed", 401)
    return client(cid)


# ------------------------------------------------ an application's grants

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SA_DOMAIN = "@saatja-test.iam.gserviceaccount.com"
JTI_SEEN = set()


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def service_account_client(form):
    try:
        claims = json.loads(b64d(form.get("assertion", "").split(".")[1]))
    except (ValueError, IndexError):
        raise OAuthError("invalid_grant", "the assertion is not a JWT")
    iss = str(claims.get("iss", ""))
    if not iss.endswith(SA_DOMAIN) or not iss.startswith("saatja-test"):
        raise OAuthError("invalid_grant", "Invalid JWT Signature. (unknown iss)")
    return iss[:-len(SA_DOMAIN)]


def thumbprint(pem_file, digest=hashlib.sha1):
    der = subprocess.run(["openssl", "x509", "-in", pem_file, "-outform", "DER"],
                         capture_output=True, check=True).stdout
    return base64.urlsafe_b64encode(digest(der).digest()).rstrip(b"=").decode()


def signature_ok(pem_file, signed, sig):
    """RS256 over signed, by the key of pem_file (a certificate or a public
    key), checked by openssl."""
    with open(pem_file) as f:
        is_cert = "CERTIFICATE" in f.read()
    with tempfile.TemporaryDirectory() as d:
        pub = os.path.join(d, "pub.pem")
        if is_cert:
            with open(pub, "wb") as f:
                f.write(subprocess.run(["openssl", "x509", "-in", pem_file, "-pubkey", "-noout"],
                                       capture_output=True, check=True).stdout)
        else:
            pub = pem_file
        sig_file = os.path.join(d, "sig")
        with open(sig_file, "wb") as f:
            f.write(sig)
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", sig_file],
                           input=signed, capture_output=True)
        return r.returncode == 0


def check_jwt(jwt, c, aud, error, prefix):
    """The header and claims of jwt, signed by c's certificate, for aud,
    unexpired; else OAuthError(error)."""
    try:
        h, p, sig = jwt.split(".")
        head, claims = json.loads(b64d(h)), json.loads(b64d(p))
        sig = b64d(sig)
    except ValueError:
        raise OAuthError(error, prefix + "the assertion is not a JWT")
    if head.get("alg") != "RS256":
        raise OAuthError(error, prefix + "alg is not RS256")
    if c.cert is None or not signature_ok(c.cert, (h + "." + p).encode(), sig):
        raise OAuthError(error, prefix + "Client assertion contains an invalid signature.")
    now = time.time()
    exp = claims.get("exp")
    if claims.get("aud") != aud:
        raise OAuthError(error, prefix + "aud %r is not %r" % (claims.get("aud"), aud))
    if not isinstance(exp, int) or exp < now or exp > now + 3700:
        raise OAuthError(error, prefix + "exp is past or more than an hour ahead")
    return head, claims


def app_token(c, user, scope):
    c.counts["app"] += 1
    gid = secrets.token_hex(8)
    GRANTS[gid] = dict(client=c.id, user=user, revoked=False)
    at = new_token("at-")
    ACCESS[at] = dict(client=c.id, user=user, exp=time.time() + c.access_ttl, grant=gid)
    return dict(access_token=at, token_type="Bearer", expires_in=c.access_ttl)


def refuse_app(c, error, description):
    c.counts["app_refused"] += 1
    # server_error comes as an HTTP 503, as from a token service that is down.
    raise OAuthError(error, description, {"invalid_client": 401, "server_error": 503}.get(error, 400))


def grant_app(form, c, aud):
    if c.app_error:
        refuse_app(c, c.app_error, c.app_error_description or c.app_error)
    if c.disabled:
        refuse_app(c, "unauthorized_client", "AADSTS7000112: Application '%s' is disabled." % c.id)
    if form.get("client_assertion") is not None:
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            refuse_app(c, "invalid_request", "client_assertion_type is not jwt-bearer")
        prefix = "AADSTS700027: "
        try:
            head, claims = check_jwt(form["client_assertion"], c, aud, "invalid_client", prefix)
        except OAuthError as e:
            refuse_app(c, e.error, e.description)
        if c.cert is None or head.get("x5t") != thumbprint(c.cert) or \
                head.get("x5t#S256", thumbprint(c.cert, hashlib.sha256)) != thumbprint(c.cert, hashlib.sha256):
            refuse_app(c, "invalid_client", prefix + "The certificate with identifier used to sign the client assertion is not registered on application.")
        if claims.get("iss") != c.id or claims.get("sub") != c.id:
            refuse_app(c, "invalid_client", prefix + "iss and sub must be the client_id")
        if not claims.get("jti") or claims["jti"] in JTI_SEEN:
            refuse_app(c, "invalid_client", prefix + "The provided signed assertion was already used (jti).")
        JTI_SEEN.add(claims["jti"])
    elif form.get("client_secret") != c.secret:
        refuse_app(c, "invalid_client", "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
    if form.get("scope") != "https://outlook.office365.com/.default":
        refuse_app(c, "invalid_scope", "AADSTS1002012: The provided value for scope %r is not valid." % form.get("scope"))
    return app_token(c, c.mailbox, form.get("scope"))


def grant_jwt_bearer(form, c, aud):
    if c.app_error:
        refuse_app(c, c.app_error, c.app_error_description or c.app_error)
    if c.disabled:
        refuse_app(c, "invalid_grant", "Invalid JWT Signature.")
    try:
        head, claims = check_jwt(form.get("assertion", ""), c, aud, "invalid_grant", "")
    except OAuthError as e:
        refuse_app(c, e.error, e.description)
    scope = claims.get("scope", "")
    if not scope or any(s not in c.delegated for s in scope.split()):
        refuse_app(c, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
    if not claims.get("sub") or claims["sub"] != c.mailbox:
        refuse_app(c, "invalid_grant", "Invalid email or User ID")
    return app_token(c, claims["sub"], scope)


def issue(c, user, grant, scope):
    at = new_token("at-")
    rt = new_token("rt-")
    ACCESS[at] = dict(client=c.id, user=user, exp=time.time() + c.access_ttl, grant=grant)
    REFRESH[rt] = dict(client=c.id, user=user, grant=grant, state="live")
    return dict(access_token=at, token_type="Bearer", expires_in=c.access_ttl,
                refresh_token=rt, scope=scope)


def new_grant(c, user, scope):
    gid = secrets.token_hex(8)
    GRANTS[gid] = dict(client=c.id, user=user, revoked=False)
    return issue(c, user, gid, scope)


def grant_device(form, c):
    d = DEVICE.get(form.get("device_code", ""))
    if d is None or d["client"] != c.id:
        raise OAuthError("invalid_grant", "unknown device_code")
    now = time.time()
    if now > d["exp"]:
        raise OAuthError("expired_token", "the device code expired")
    if c.app_error and d["state"] == "approved":
        raise OAuthError(c.app_error, c.app_error_description or c.app_error)
    if d["state"] == "denied":
        raise OAuthError("access_denied", "the user declined")
    if d["state"] == "used":
        raise OAuthError("invalid_grant", "device code already used")
    if d["state"] == "pending":
        early = now - d["last"] < c.device_interval - 0.2
        d["last"] = now
        if early:
            raise OAuthError("slow_down", "polling too fast")
        raise OAuthError("authorization_pending", "waiting for the user")
    d["state"] = "used"
    return new_grant(c, d["user"], d["scope"])


def grant_code(form, c):
    code = CODES.get(form.get("code", ""))
    if code is None or code["client"] != c.id or code["used"]:
        raise OAuthError("invalid_grant", "unknown or used code")
    code["used"] = True
    if form.get("redirect_uri") != code["redirect"]:
        raise OAuthError("invalid_grant", "redirect_uri differs from the authorization request")
    verifier = form.get("code_verifier", "")
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    if not 43 <= len(verifier) <= 128 or digest.decode() != code["challenge"]:
        raise OAuthError("invalid_grant", "PKCE verification failed")
    return new_grant(c, code["user"], code["scope"])


def grant_refresh(form, c):
    if c.app_error:
        c.counts["refresh_refused"] += 1
        raise OAuthError(c.app_error, c.app_error_description or c.app_error)
    delay = c.refresh_delay
    if c.refresh_fail > 0:
        c.refresh_fail -= 1
        c.counts["refresh_failed"] += 1
        raise OAuthError("temporarily_unavailable", "the token service is down", status=503)
    rt = form.get("refresh_token", "")
    r = REFRESH.get(rt)
    if r is None or r["client"] != c.id:
        c.counts["refresh_refused"] += 1
        raise OAuthError("invalid_grant", "unknown refresh token")
    g = GRANTS[r["grant"]]
    if r["state"] == "rotated":
        c.counts["reuse"] += 1
        c.counts["refresh_refused"] += 1
        g["revoked"] = True
        raise OAuthError("invalid_grant", "refresh token already used (grant revoked)")
    if g["revoked"] or r["state"] != "live":
        c.counts["refresh_refused"] += 1
        raise OAuthError("invalid_grant", "the grant was revoked")
    r["state"] = "rotated"
    c.counts["refresh"] += 1
    out = issue(c, r["user"], r["grant"], "scope")
    out.pop("scope")
    return out, delay


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "saatja-test-oauth/1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))

    def reply(self, status, obj=None, headers=None, body=None):
        data = body if body is not None else json.dumps(obj).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body is None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, e):
        self.reply(e.status, dict(error=e.error, error_description=e.description))

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode() if n else ""
        return dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))

    def query(self):
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query,
                                           keep_blank_values=True))

    def route(self):
        return urllib.parse.urlsplit(self.path).path


class ClientSide(Handler):
    def do_GET(self):
        p = self.route()
        if p == "/authorize":
            return self.authorize(self.query())
        if p == "/device":
            return self.reply(200, body=b"Enter the code shown by the program.\n",
                              headers={"Content-Type": "text/plain"})
        self.reply(404, dict(error="not_found"))

    def do_POST(self):
        p = self.route()
        try:
            form = self.form()
            with LOCK:
                c = check_client(form)
                if p == "/devicecode":
                    return self.reply(200, self.devicecode(form, c))
                if p != "/token":
                    return self.reply(404, dict(error="not_found"))
                c.counts["token"] += 1
                gt = form.get("grant_type")
                delay = 0
                if gt == "urn:ietf:params:oauth:grant-type:device_code":
                    out = grant_device(form, c)
                elif gt == "authorization_code":
                    out = grant_code(form, c)
                elif gt == "refresh_token":
                    out, delay = grant_refresh(form, c)
                elif gt in ("client_credentials", JWT_BEARER):
                    aud = "https://localhost:%d/token" % self.server.server_address[1]
                    out = (grant_app if gt == "client_credentials" else grant_jwt_bearer)(form, c, aud)
                    delay = c.refresh_delay
                else:
                    raise OAuthError("unsupported_grant_type", "grant_type %r" % gt)
            if delay:
                # The new tokens are issued (the old refresh token is gone);
                # a client killed now has lost its grant unless it stored
                # them first - which is what the kill test looks at.
                time.sleep(delay)
            self.reply(200, out)
        except OAuthError as e:
            self.error(e)

    def devicecode(self, form, c):
        c.counts["device"] += 1
        dc = new_token("dc-")
        uc = "%04d-%04d" % (secrets.randbelow(10000), secrets.randbelow(10000))
        host = "https://localhost:%d" % self.server.server_address[1]
        DEVICE[dc] = dict(client=c.id, user_code=uc, exp=time.time() + c.device_ttl,
                          state="pending", user=None, scope=form.get("scope", ""), last=0.0)
        return dict(device_code=dc, user_code=uc, verification_uri=host + "/device",
                    expires_in=c.device_ttl, interval=c.device_interval,
                    message="To sign in, open %s/device and enter the code %s." % (host, uc))

    def authorize(self, q):
        redirect = q.get("redirect_uri", "")
        parts = urllib.parse.urlsplit(redirect)
        if parts.scheme != "http" or parts.hostname != "127.0.0.1":
            return self.reply(400, dict(error="invalid_request",
                                        error_description="redirect_uri must be http://127.0.0.1:PORT/"))
        with LOCK:
            try:
                c = check_client(dict(client_id=q.get("client_id", ""),
                                      client_secret=CLIENT_SECRET))
            except OAuthError:
                return self.reply(400, dict(error="invalid_client"))
            c.counts["authorize"] += 1
            args = {}
            if q.get("state") is not None:
                args["state"] = q["state"]
            user = q.get("login_hint") or c.user
            if c.deny_authorize:
                args["error"] = c.deny_authorize
            elif q.get("response_type") != "code" or q.get("code_challenge_method") != "S256" \
                    or len(q.get("code_challenge", "")) != 43 or not user:
                args["error"] = "invalid_request"
            else:
                code = new_token("ac-")
                CODES[code] = dict(client=c.id, redirect=redirect, challenge=q["code_challenge"],
                                   user=user, used=False, scope=q.get("scope", ""))
                args["code"] = code
        sep = "&" if parts.query else "?"
        self.reply(302, headers={"Location": redirect + sep + urllib.parse.urlencode(args)},
                   body=b"")


class ServerSide(Handler):
    # One request per connection: Dovecot's HTTP client otherwise waits
    # seconds on a kept-alive connection before it notices it is gone.
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        self.do_POST()

    def do_POST(self):
        p = self.route()
        form = self.form() if self.command == "POST" else {}
        q = self.query()
        with LOCK:
            if p == "/introspect":
                a = ACCESS.get(form.get("token", ""))
                ok = a is not None and a["exp"] > time.time() and not GRANTS[a["grant"]]["revoked"]
                if a is not None:
                    c = client(a["client"])
                    c.counts["introspect"] += 1
                    c.counts["introspect_active"] += ok
                if ok:
                    return self.reply(200, dict(active="true", username=a["user"]))
                return self.reply(200, dict(active="false"))
            c = client(q.get("client", ""))
            if p == "/control/stats":
                return self.reply(200, c.stats())
            if p == "/control/set":
                for k, v in q.items():
                    if k == "access_ttl":
                        c.access_ttl = int(v)
                    elif k == "refresh_delay":
                        c.refresh_delay = float(v)
                    elif k == "device_interval":
                        c.device_interval = int(v)
                    elif k == "device_ttl":
                        c.device_ttl = int(v)
                    elif k == "user":
                        c.user = v
                    elif k == "deny_authorize":
                        c.deny_authorize = v or None
                    elif k in ("mailbox", "secret", "cert", "app_error",
                               "app_error_description"):
                        setattr(c, k, v or None)
                    elif k == "delegated":
                        c.delegated = v.split()
                    elif k == "refresh_fail":
                        c.refresh_fail = int(v)
                return self.reply(200, dict(ok=True))
            if p == "/control/expire":
                n = 0
                for a in ACCESS.values():
                    if a["client"] == c.id and a["exp"] > 0:
                        a["exp"] = 0
                        n += 1
                return self.reply(200, dict(expired=n))
            if p == "/control/revoke":
                for g in GRANTS.values():
                    if g["client"] == c.id:
                        g["revoked"] = True
                c.disabled = True
                return self.reply(200, dict(ok=True))
            if p == "/control/device" and self.command == "GET":
                pending = [d["user_code"] for d in DEVICE.values()
                           if d["client"] == c.id and d["state"] == "pending"]
                return self.reply(200, dict(user_code=pending[-1] if pending else None))
            if p == "/control/device":
                for d in DEVICE.values():
                    if d["user_code"] == q.get("user_code"):
                        if q.get("action") == "deny":
                            d["state"] = "denied"
                        else:
                            d["state"] = "approved"
                            d["user"] = q.get("user") or client(d["client"]).user
                        return self.reply(200, dict(ok=True))
                return self.reply(404, dict(error="no such user_code"))
        self.reply(404, dict(error="not_found"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--https-port", type=int, required=True)
    ap.add_argument("--http-port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--pidfile")
    a = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(a.cert, a.key)
    https = ThreadingHTTPServer(("127.0.0.1", a.https_port), ClientSide)
    https.daemon_threads = True
    # The handshake runs in the request's thread, not in accept().
    https.socket = ctx.wrap_socket(https.socket, server_side=True,
                                   do_handshake_on_connect=False)
    http = ThreadingHTTPServer(("127.0.0.1", a.http_port), ServerSide)
    http.daemon_threads = True
    if a.pidfile:
        with open(a.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(a.pidfile + ".tmp", a.pidfile)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    https.serve_forever()


if __name__ == "__main__":
    main()
