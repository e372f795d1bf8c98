# SPDX-License-Identifier: MIT
"""saatja-oauth's autoconfig request (oauth/oauth_autoconfig_op.h), run the
way sendmail runs it (the request on fd 3, the answer on fd 4), against an
HTTPS server that this test starts on 127.0.0.1 with a CA of its own: a
provider's config-v1.1.xml, its placeholders, a redirect to https (followed)
and to http (refused), 404, a body over the size limit with no
Content-Length, a server that stalls past the request's timeout, malformed
XML, a DOCTYPE with the billion laughs, a certificate for another name, and
a request that is not https. Each test checks the whole answer.

The keys and certificates are made by openssl at test time; none is
committed."""
import fcntl
import http.server
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import threading
import time

from saatja_test import SRCDIR, SkipTest, eq, run_tests

HELPER = os.environ.get("SAATJA_OAUTH_HELPER") or os.path.join(
    SRCDIR, "oauth", "saatja-oauth")
ADDRESS = "arved@firma.ee"
WORK = tempfile.mkdtemp(prefix="saatja-autoconfig-")
CA = os.path.join(WORK, "ca.pem")
STALL_S = 8

GOOD = b"""<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="googlemail.com">
    <domain>gmail.com</domain>
    <domain>googlemail.com</domain>
    <displayName>Google Mail</displayName>
    <displayShortName>GMail</displayShortName>
    <incomingServer type="imap">
      <hostname>imap.gmail.com</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.gmail.com</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.gmail.com</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>OAuth2</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"""

PLACEHOLDERS = b"""<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="%EMAILDOMAIN%">
    <displayName>Firma \xc3\xb5ige post</displayName>
    <outgoingServer type="smtp">
      <hostname> smtp.%EMAILDOMAIN% </hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.%EMAILDOMAIN%</hostname>
      <port>25</port>
      <socketType>TLS</socketType>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"""

MALFORMED = b"""<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="broken.example">
    <outgoingServer type="smtp">
      <hostname>smtp.broken.example</hostname>
    </emailProvider>
</clientConfig>
"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<clientConfig version="1.1">
  <emailProvider id="&lol9;">
    <outgoingServer type="smtp">
      <hostname>smtp.laughs.example</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"""


class Handler(http.server.BaseHTTPRequestHandler):
    """The provider's web server; the path picks what it does."""

    def log_message(self, *args):
        pass

    def body(self, data, status=200, length=True):
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        if length:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, where):
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        here = "localhost:%d" % self.server.server_address[1]
        try:
            if path == "/mail/config-v1.1.xml":
                self.body(GOOD)
            elif path == "/placeholders.xml":
                self.body(PLACEHOLDERS)
            elif path == "/moved":
                self.redirect("https://%s/mail/config-v1.1.xml" % here)
            elif path == "/to-http":
                self.redirect("http://%s/mail/config-v1.1.xml" % here)
            elif path == "/loop":
                self.redirect("https://%s/loop" % here)
            elif path == "/malformed.xml":
                self.body(MALFORMED)
            elif path == "/laughs.xml":
                self.body(LAUGHS)
            elif path == "/error":
                self.body(b"<html>busy</html>", status=503)
            elif path == "/huge":
                # No Content-Length: the body ends when the connection does.
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.end_headers()
                self.wfile.write(b"<clientConfig>")
                for _ in range(64):
                    self.wfile.write(b"<!-- " + b"x" * 16384 + b" -->\n")
            elif path == "/stall":
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.end_headers()
                self.wfile.write(b"<clientConfig>")
                self.wfile.flush()
                time.sleep(STALL_S)
            else:
                self.body(b"<html>not here</html>", status=404)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


_servers = {}


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


def certificate(name, dns):
    """A key and a certificate for dns, signed by the test's CA."""
    key, csr, pem = (os.path.join(WORK, name + s) for s in ("-key.pem", ".csr", ".pem"))
    ext = os.path.join(WORK, name + ".ext")
    with open(ext, "w") as f:
        f.write("subjectAltName = DNS:%s\nextendedKeyUsage = serverAuth\n" % dns)
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", key, "-subj", "/CN=%s" % dns, "-out", csr)
    openssl("x509", "-req", "-in", csr, "-CA", CA, "-CAkey", os.path.join(WORK, "ca-key.pem"),
            "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", pem)
    return pem, key


def server(name):
    """The port of the test's HTTPS server: "right" has a certificate for
    localhost, "wrong" one for another name."""
    if not _servers:
        if shutil.which("openssl") is None:
            raise SkipTest("openssl is not installed (tests/lib/setup.sh)")
        if not os.access(HELPER, os.X_OK):
            raise SkipTest("%s is not built" % HELPER)
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", os.path.join(WORK, "ca-key.pem"), "-subj",
                "/CN=saatja autoconfig test CA", "-days", "2", "-out", CA)
        for n, dns in (("right", "localhost"), ("wrong", "wrong.example")):
            pem, key = certificate(n, dns)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(pem, key)
            srv = Server(("127.0.0.1", 0), Handler)
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            _servers[n] = srv
    return _servers[name].server_address[1]


def url(path, which="right"):
    return "https://localhost:%d%s" % (server(which), path)


def helper(request):
    """Runs the helper with request ({key: value}) on fd 3; its answer
    from fd 4 as a dict, checked to be "key value" lines."""
    rq_r, rq_w = os.pipe()
    an_r, an_w = os.pipe()
    # Above 9, so that moving them to 3 and 4 clobbers neither (and bash:
    # dash takes no descriptor over 9 in a redirection).
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (rq_r, an_w)]
    os.close(rq_r)
    os.close(an_w)
    argv = ["bash", "-c", 'exec "$0" 3<&%d 4>&%d %d<&- %d>&-' % tuple(high * 2), HELPER]
    p = subprocess.Popen(argv, pass_fds=high, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for fd in high:
        os.close(fd)
    os.write(rq_w, "".join("%s %s\n" % kv for kv in request.items()).encode())
    os.close(rq_w)
    with os.fdopen(an_r, "rb") as f:
        text = f.read().decode("ascii")
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    eq(p.wait(timeout=60), 0, "the helper's exit status (stderr: %s)" % err)
    eq(text.endswith("\n"), True, "the answer ends with a line end: %r" % text)
    answer = {}
    for line in text[:-1].split("\n"):
        key, sep, value = line.partition(" ")
        eq(bool(sep and re.fullmatch(r"[a-z_][a-z_0-9.]{0,31}", key)), True,
           "a \"key value\" line: %r" % line)
        eq(key in answer, False, "%s given once" % key)
        eq(all(0x20 <= ord(c) < 0x7f for c in value), True, "printable: %r" % line)
        answer[key] = value
    return answer


def autoconfig(u, address=ADDRESS, **extra):
    request = {"op": "autoconfig", "address": address, "url": u, "ca_file": CA}
    request.update(extra)
    return helper(request)


def answer_is(got, want):
    """got has exactly the keys of want; a value of want is the text, or a
    compiled pattern that the whole value must match."""
    eq(sorted(got), sorted(want), "the answer's keys (answer: %r)" % got)
    for k, v in want.items():
        if hasattr(v, "fullmatch"):
            if not v.fullmatch(got[k]):
                raise AssertionError("%s: %r does not match %r" % (k, got[k], v.pattern))
        else:
            eq(got[k], v, k)


def test_a_providers_file_gives_its_smtp_servers_in_order():
    u = url("/mail/config-v1.1.xml?emailaddress=%s" % ADDRESS)
    answer_is(autoconfig(u), {
        "result": "ok", "url": u, "provider": "googlemail.com",
        "display_name": "Google Mail", "servers": "2", "skipped": "0",
        "host.1": "smtp.gmail.com", "port.1": "465", "socket.1": "SSL",
        "auth.1": "OAuth2,password-cleartext", "username.1": ADDRESS,
        "host.2": "smtp.gmail.com", "port.2": "587", "socket.2": "STARTTLS",
        "auth.2": "OAuth2", "username.2": ADDRESS})


def test_placeholders_take_the_address_and_a_bad_server_is_skipped():
    u = url("/placeholders.xml")
    answer_is(autoconfig(u), {
        "result": "ok", "url": u, "provider": "firma.ee",
        "display_name": "Firma ??ige post", "servers": "1",
        "skipped": "1",
        "description": 'the SMTP server at line 12: the socketType "TLS" is not SSL, STARTTLS or plain',
        "host.1": "smtp.firma.ee", "port.1": "587", "socket.1": "STARTTLS",
        "auth.1": "password-cleartext", "username.1": "arved"})


def test_a_redirect_to_https_is_followed_and_named():
    answer_is(autoconfig(url("/moved")), {
        "result": "ok", "url": url("/mail/config-v1.1.xml"), "provider": "googlemail.com",
        "display_name": "Google Mail", "servers": "2", "skipped": "0",
        "host.1": "smtp.gmail.com", "port.1": "465", "socket.1": "SSL",
        "auth.1": "OAuth2,password-cleartext", "username.1": ADDRESS,
        "host.2": "smtp.gmail.com", "port.2": "587", "socket.2": "STARTTLS",
        "auth.2": "OAuth2", "username.2": ADDRESS})


def test_a_redirect_to_http_is_refused():
    to = url("/mail/config-v1.1.xml").replace("https:", "http:")
    answer_is(autoconfig(url("/to-http")), {
        "result": "unreachable", "error": "protocol", "url": to,
        "description": "%s redirects to %s, which is not https://" % (url("/to-http"), to)})


def test_endless_redirects_stop_after_three():
    answer_is(autoconfig(url("/loop")), {
        "result": "unreachable", "error": "protocol", "url": url("/loop"),
        "description": re.compile(r"https://localhost:\d+/loop: .*[Rr]edirect.*")})


def test_404_is_not_found():
    u = url("/.well-known/autoconfig/mail/config-v1.1.xml")
    answer_is(autoconfig(u), {
        "result": "not_found", "url": u, "status": "404",
        "description": "%s: not found (HTTP status 404)" % u})


def test_another_http_status_is_unreachable():
    u = url("/error")
    answer_is(autoconfig(u), {
        "result": "unreachable", "url": u, "error": "status", "status": "503",
        "description": "%s answered with HTTP status 503" % u})


def test_a_body_over_256_kib_without_content_length_is_too_large():
    u = url("/huge")
    answer_is(autoconfig(u), {
        "result": "too_large", "url": u,
        "description": "the answer from %s is over 262144 octets" % u})


def test_a_stalled_server_is_given_up_at_the_timeout():
    u = url("/stall")
    start = time.monotonic()
    got = autoconfig(u, timeout="2")
    took = time.monotonic() - start
    answer_is(got, {
        "result": "unreachable", "url": u, "error": "network",
        "description": re.compile(re.escape(u) + r": .*[Tt]imed? ?out.*")})
    eq(1.5 < took < STALL_S - 2, True, "gave up after the 2 s timeout (took %.1f s)" % took)


def test_malformed_xml_names_the_line():
    u = url("/malformed.xml")
    answer_is(autoconfig(u), {
        "result": "malformed", "url": u,
        "description": "%s: not well-formed XML at line 6, column 7: mismatched tag" % u})


def test_a_doctype_is_refused_before_any_entity_is_expanded():
    u = url("/laughs.xml")
    start = time.monotonic()
    got = autoconfig(u)
    answer_is(got, {
        "result": "malformed", "url": u,
        "description": "%s: line 2: a DOCTYPE declaration, which a mail client "
                       "configuration never has" % u})
    eq(time.monotonic() - start < 5, True, "answered at once")


def test_a_certificate_for_another_name_is_refused():
    u = url("/mail/config-v1.1.xml", "wrong")
    answer_is(autoconfig(u), {
        "result": "unreachable", "url": u, "error": "tls",
        "description": re.compile(re.escape(u) + r": .*(certificate|name|match).*")})


def test_a_certificate_from_an_unknown_ca_is_refused():
    u = url("/mail/config-v1.1.xml")
    answer_is(autoconfig(u, ca_file=os.path.join(WORK, "wrong.pem")), {
        "result": "unreachable", "url": u, "error": "tls",
        "description": re.compile(re.escape(u) + r": .*")})


def test_a_request_that_is_not_https_or_has_no_address_is_refused():
    answer_is(autoconfig("http://localhost:1/mail/config-v1.1.xml"), {
        "result": "usage", "description": "url is missing or not an https:// URL"})
    answer_is(autoconfig(url("/mail/config-v1.1.xml"), address="firma.ee"), {
        "result": "usage", "description": "address is missing or not user@domain"})
    answer_is(autoconfig(url("/mail/config-v1.1.xml"), timeout="0"), {
        "result": "usage", "description": "timeout is not a number of seconds from 1 to 300"})


def test_a_closed_port_is_unreachable():
    from saatja_test import closed_port
    u = "https://localhost:%d/mail/config-v1.1.xml" % closed_port()
    answer_is(autoconfig(u), {
        "result": "unreachable", "url": u, "error": "network",
        "description": re.compile(re.escape(u) + r": .*")})


if __name__ == "__main__":
    try:
        run_tests()
    finally:
        for s in _servers.values():
            s.shutdown()
        shutil.rmtree(WORK, ignore_errors=True)
