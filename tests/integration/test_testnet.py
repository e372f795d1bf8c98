# SPDX-License-Identifier: MIT
"""The test world itself (tests/server/testnet.py): before any --setup test
relies on it, every part must work. DNS answers for each record of
testnet-zone.txt and for each preset host of providers.ini; names outside
the world fail fast; the HTTPS autoconfig server with the test CA and its
misbehaving hosts; the test Postfix on 465 and 587 of the provider address
with AUTH for a world user, a send that arrives; the bad-certificate and
no-AUTH servers; and, inside the world, glibc's resolver, curl, OpenSSL,
GnuTLS (gnutls-cli and the built sendmail --check) trusting the test CA
through the system store and nothing else."""
import http.client
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET

import mailserver
import testnet
from saatja_test import Config, SkipTest, SRCDIR, contains, eq, run_tests

PY = "/usr/bin/python3"
TYPES = {"A": 1, "CNAME": 5, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33}


# ---------------------------------------------------------------- DNS -----

def _name(pkt, i):
    labels, end = [], None
    while True:
        n = pkt[i]
        if n >= 0xc0:
            end = end or i + 2
            i = ((n & 0x3f) << 8) | pkt[i + 1]
            continue
        if n == 0:
            return ".".join(labels), end or i + 1
        labels.append(pkt[i + 1:i + 1 + n].decode())
        i += 1 + n


def query(server, name, qtype, timeout=3.0):
    """(rcode name, [(type, data)]) from server:53 over UDP; None on timeout.
    data: A "1.2.3.4", CNAME "x", MX (pref, "x"), SRV (prio, weight, port, "x")."""
    qid = int.from_bytes(os.urandom(2), "big")
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", TYPES[qtype], 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, (server, 53))
        pkt = s.recv(4096)
    except socket.timeout:
        return None
    finally:
        s.close()
    rcode = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}.get(pkt[3] & 15, pkt[3] & 15)
    an = struct.unpack(">H", pkt[6:8])[0]
    _, i = _name(pkt, 12)
    i += 4
    out = []
    names = {v: k for k, v in TYPES.items()}
    for _ in range(an):
        _, i = _name(pkt, i)
        rtype, _, _, rdlen = struct.unpack(">HHIH", pkt[i:i + 10])
        i += 10
        rd = pkt[i:i + rdlen]
        t = names.get(rtype, rtype)
        if t == "A":
            out.append((t, socket.inet_ntoa(rd)))
        elif t == "CNAME":
            out.append((t, _name(pkt, i)[0]))
        elif t == "MX":
            out.append((t, (struct.unpack(">H", rd[:2])[0], _name(pkt, i + 2)[0])))
        elif t == "SRV":
            out.append((t, struct.unpack(">HHH", rd[:6]) + (_name(pkt, i + 6)[0],)))
        else:
            out.append((t, rd))
        i += rdlen
    return rcode, out


def resolved(w, value):
    return getattr(w, value[1:]) if value.startswith("@") else value


def preset_hosts():
    hosts = []
    with open(os.path.join(SRCDIR, "sendmail", "providers.ini"), encoding="utf-8") as f:
        for line in f:
            k, sep, v = line.partition("=")
            if sep and k.strip() == "host" and v.strip():
                hosts.append(v.strip())
    return hosts


def test_zone_records_answer():
    w = testnet.world()
    checked = 0
    for name, rtype, data in testnet.ZONE:
        if rtype not in ("A", "MX", "SRV", "CNAME"):
            continue
        r = query(w.dns, name, rtype)
        assert r is not None, "%s %s: no answer" % (name, rtype)
        rcode, answers = r
        eq(rcode, "NOERROR", "%s %s" % (name, rtype))
        got = [d for t, d in answers if t == rtype]
        if rtype == "A":
            want = resolved(w, data[0])
        elif rtype == "MX":
            want = (int(data[0]), data[1])
        elif rtype == "SRV":
            # dnsmasq writes "no such service" as 0 0 1 ".": the target is
            # what counts (RFC 2782).
            want = (0, 0, 1, "") if data[3] == "." else (int(data[0]), int(data[1]), int(data[2]), data[3])
        else:
            want = data[0]
        assert want in got, "%s %s: want %r, got %r" % (name, rtype, want, answers)
        checked += 1
    assert checked > 30, checked


def test_preset_hosts_answer():
    w = testnet.world()
    hosts = preset_hosts()
    assert "smtp.gmail.com" in hosts and "smtp.office365.com" in hosts, hosts
    for h in hosts:
        eq(query(w.dns, h, "A"), ("NOERROR", [("A", w.provider)]), h)
        # No AAAA: a client does not wander off to an IPv6 address.
        eq(query(w.dns, h, "AAAA"), ("NOERROR", []), h + " AAAA")
    # The real parent domains are answered, not refused: gmail.com MX is
    # empty, other names in it do not exist.
    eq(query(w.dns, "gmail.com", "MX"), ("NOERROR", []), "gmail.com MX")
    eq(query(w.dns, "imap.gmail.com", "A")[0], "NXDOMAIN", "imap.gmail.com")


def test_names_outside_the_world():
    w = testnet.world()
    eq(query(w.dns, "nothing.test", "MX")[0], "NXDOMAIN")
    eq(query(w.dns, "smtp.nothing.test", "A")[0], "NXDOMAIN")
    eq(query(w.dns, "www.example.com", "A")[0], "REFUSED")
    eq(query(w.dns, "aspmx.l.google.com", "A")[0], "REFUSED")


def test_srv_special_targets():
    w = testnet.world()
    eq(query(w.dns, "_submissions._tcp.srv-dot.test", "SRV"), ("NOERROR", [("SRV", (0, 0, 1, ""))]))
    eq(query(w.dns, "_submission._tcp.srv-loop.test", "SRV"),
       ("NOERROR", [("SRV", (0, 1, 587, "smtp.srv-loop.test"))]))
    eq(query(w.dns, "smtp.srv-loop.test", "A"), ("NOERROR", [("CNAME", "loop.srv-loop.test")]))
    eq(query(w.dns, "loop.srv-loop.test", "A"), ("NOERROR", [("CNAME", "smtp.srv-loop.test")]))


def test_slowdns_times_out():
    w = testnet.world()
    t0 = time.time()
    eq(query(w.dns, "smtp.slowdns.test", "A", timeout=2.5), None, "an answer from the silent server")
    assert time.time() - t0 >= 2.4


# -------------------------------------------------- inside the world ------

RESOLVE = """
import socket, sys, time
for name in sys.argv[1:]:
    t0 = time.time()
    try:
        a = sorted({x[4][0] for x in socket.getaddrinfo(name, 465, proto=socket.IPPROTO_TCP)})
    except socket.gaierror as e:
        a = "error %s" % e.errno
    print("%s %s %.1f" % (name, a if isinstance(a, str) else ",".join(a), time.time() - t0))
"""


def test_glibc_resolves_inside_the_world():
    w = testnet.world()
    r = testnet.run([PY, "-c", RESOLVE, "smtp.gmail.com", "autoconfig.thunderbird.net",
                     "smtp.badcert.test", "www.example.com", "nothing.test"])
    eq(r.returncode, 0, r.stderr)
    lines = {l.split()[0]: l.split()[1:] for l in r.stdout.decode().splitlines()}
    eq(lines["smtp.gmail.com"][0], w.provider)
    eq(lines["autoconfig.thunderbird.net"][0], w.https)
    eq(lines["smtp.badcert.test"][0], w.badcert)
    for outside in ("www.example.com", "nothing.test"):
        assert lines[outside][0] == "error", lines[outside]
        assert float(lines[outside][1]) < 1.0, "%s took %s s" % (outside, lines[outside][1])
    # The machine's own files are untouched.
    with open("/etc/resolv.conf") as f:
        assert w.dns not in f.read()


def test_world_files_are_private():
    w = testnet.world()
    r = testnet.run(["cat", "/etc/resolv.conf"])
    contains(r.stdout.decode(), "nameserver %s" % w.dns)
    with open(w.ca) as f:
        ca = f.read().strip()
    r = testnet.run(["cat", "/etc/ssl/certs/ca-certificates.crt"])
    contains(r.stdout.decode(), ca)
    with open("/etc/ssl/certs/ca-certificates.crt") as f:
        assert ca not in f.read(), "the test CA is in the machine's own store"


def test_curl_autoconfig_with_system_store():
    testnet.world()
    if shutil.which("curl") is None:
        raise SkipTest("curl is not installed (tests/lib/setup.sh)")
    mark = testnet.https_mark()
    url = "https://autoconfig.auto.test/mail/config-v1.1.xml?emailaddress=arved%40auto.test"
    r = testnet.run(["curl", "-sS", "--fail", "--max-time", "10", url])
    eq(r.returncode, 0, r.stderr)
    root = ET.fromstring(r.stdout)
    out = root.find("emailProvider/outgoingServer")
    eq((out.findtext("hostname"), out.findtext("port"), out.findtext("socketType")),
       ("smtp.auto.test", "465", "SSL"))
    for u in ("https://wellknown.test/.well-known/autoconfig/mail/config-v1.1.xml",
              "https://autoconfig.thunderbird.net/v1.1/ispdb.test",
              "https://autoconfig.thunderbird.net/v1.1/hoster.test"):
        r = testnet.run(["curl", "-sS", "--fail", "--max-time", "10", u])
        eq(r.returncode, 0, u + ": " + r.stderr.decode())
        ET.fromstring(r.stdout)
    # curl's own requests: test_setup.py's may come in between.
    reqs = [e for e in testnet.https_requests(mark)
            if (e.get("user_agent") or "").startswith("curl/")]
    eq([(e["host"], e["sni"], e["status"]) for e in reqs][:2],
       [("autoconfig.auto.test", "autoconfig.auto.test", 200), ("wellknown.test", "wellknown.test", 200)])
    eq(reqs[0]["path"], "/mail/config-v1.1.xml?emailaddress=arved%40auto.test")
    # Outside the world the same server is not trusted.
    w = testnet.world()
    r = subprocess.run(["curl", "-sS", "--max-time", "10", "--resolve", "autoconfig.auto.test:443:" + w.https,
                        url], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 60, (r.returncode, r.stderr)


def test_openssl_and_gnutls_verify_presets():
    testnet.world()
    for host in preset_hosts()[:3] + ["smtp.srv.test"]:
        r = testnet.run(["timeout", "10", "openssl", "s_client", "-connect", host + ":465", "-servername", host,
                         "-verify_hostname", host, "-verify_return_error", "-brief", "-ign_eof"],
                        stdin=b"QUIT\r\n")
        err = r.stderr.decode()
        eq(r.returncode, 0, host + ": " + err)
        contains(err, "Verification: OK", host)
        contains(r.stdout.decode(), "220 ", host)
    # gnutls_certificate_set_x509_system_trust reads the mounted bundle.
    r = testnet.run(["timeout", "10", "gnutls-cli", "--port", "465", "smtp.office365.com"], stdin=b"")
    contains(r.stdout.decode(), "The certificate is trusted", r.stderr.decode())
    r = testnet.run(["timeout", "10", "gnutls-cli", "--port", "465", "smtp.badcert.test"], stdin=b"")
    assert "The certificate is trusted" not in r.stdout.decode(), r.stdout
    assert r.returncode != 0


SMTP = """
import json, smtplib, ssl, sys
cases = json.loads(sys.argv[1])
ctx = ssl.create_default_context()
for host, port, user, password in cases:
    try:
        if port == 465:
            s = smtplib.SMTP_SSL(host, port, context=ctx, timeout=10)
            s.ehlo("web1.firma.test")
        else:
            s = smtplib.SMTP(host, port, timeout=10)
            s.ehlo("web1.firma.test")
            s.starttls(context=ctx)
            s.ehlo("web1.firma.test")
        auth = s.esmtp_features.get("auth", "")
        res = "noauth"
        if auth:
            code = s.login(user, password)[0]
            res = "auth %d" % code
        s.quit()
    except ssl.SSLCertVerificationError as e:
        res = "certerror %s" % e.verify_message
    except Exception as e:
        res = "error %r" % e
    print(json.dumps([host, port, res]), flush=True)
"""


def smtp_results(cases):
    r = testnet.run([PY, "-c", SMTP, json.dumps(cases)], timeout=120)
    eq(r.returncode, 0, r.stderr.decode())
    return {(h, p): res for h, p, res in (json.loads(l) for l in r.stdout.decode().splitlines())}


def test_providers_log_in_on_465_and_587():
    testnet.world()
    users = mailserver.USERS
    cases = []
    for host, user in (("smtp.gmail.com", "saatja.test.user@gmail.com"), ("mail.mail.ee", "arved@mail.ee"),
                       ("smtp.zone.eu", "arved@zone.ee"), ("smtp.office365.com", "arved@outlook.com"),
                       ("smtp.srv.test", "arved@srv.test"), ("smtp.auto.test", "arved@auto.test"),
                       ("smtp.guess.test", "arved@guess.test"), ("mail.elsewhere.test", "arved@srv-out.test")):
        for port in (465, 587):
            cases.append((host, port, user, users[user]))
    cases += [(h, 465, "arved@auto.test", users["arved@auto.test"]) for h in preset_hosts()]
    got = smtp_results(cases)
    for host, port, _, _ in cases:
        eq(got[(host, port)], "auth 235", "%s:%d" % (host, port))


def test_badcert_and_noauth():
    testnet.world()
    got = smtp_results([("smtp.badcert.test", 465, "x", "y"), ("smtp.badcert.test", 587, "x", "y"),
                        ("smtp.noauth.test", 465, "x", "y"), ("smtp.noauth.test", 587, "x", "y")])
    for port in (465, 587):
        contains(got[("smtp.badcert.test", port)], "certerror", port)
        contains(got[("smtp.badcert.test", port)], "Hostname mismatch", port)
        eq(got[("smtp.noauth.test", port)], "noauth", port)


SEND = """
import smtplib, ssl, sys
user, password, token = sys.argv[1:4]
s = smtplib.SMTP("smtp.gmail.com", 587, timeout=10)
s.starttls(context=ssl.create_default_context())
s.login(user, password)
s.sendmail(user, ["klient@example.test"], "From: %s\\r\\nTo: klient@example.test\\r\\nSubject: %s\\r\\n\\r\\nhi\\r\\n" % (user, token))
s.quit()
"""


def test_send_through_a_preset_host_arrives():
    testnet.world()
    user = "saatja.test.user@gmail.com"
    token = "world-" + uuid.uuid4().hex
    r = testnet.run([PY, "-c", SEND, user, mailserver.USERS[user], token])
    eq(r.returncode, 0, r.stderr.decode())
    got = mailserver.arrived(token)
    eq(got.sender, user)
    eq(got.rcpts, ["klient@example.test"])


def test_sendmail_check_trusts_the_world_through_the_system_store():
    """The built sendmail (GnuTLS, system trust, glibc) inside the world:
    --check against smtp.gmail.com with no ca_file."""
    testnet.world()
    if not os.path.exists(os.environ.get("SAATJA_SENDMAIL", "")):
        raise SkipTest("no built sendmail (SAATJA_SENDMAIL)")
    user = "saatja.test.user@gmail.com"
    work = os.path.join("/tmp", "saatja-world-" + uuid.uuid4().hex[:8])
    os.makedirs(work)
    cfg = Config("[saatja]\nlog = %s/saatja.log\nqueue = %s/queue\n[%s]\nhost = smtp.gmail.com\nport = 465\n"
                 "password = \"%s\"\n" % (work, work, user, mailserver.USERS[user]))
    r = testnet.sendmail(["--check", user], config=cfg)
    eq(r.code, 0, r.out.decode() + r.err)


# ------------------------------------------------ HTTPS misbehaviour ------

def https(host, path, w, timeout=10):
    ctx = ssl.create_default_context(cafile=w.ca)
    c = http.client.HTTPSConnection(w.https, 443, timeout=timeout, context=ctx)
    c.sock = ctx.wrap_socket(socket.create_connection((w.https, 443), timeout=timeout), server_hostname=host)
    c.putrequest("GET", path, skip_host=True)
    c.putheader("Host", host)
    c.endheaders()
    return c.getresponse()


def test_https_misbehaviour():
    w = testnet.world()
    mark = testnet.https_mark()
    p = "/mail/config-v1.1.xml?emailaddress=arved%40x.test"
    r = https("autoconfig.missing.test", p, w)
    eq(r.status, 404)
    r = https("autoconfig.redirect.test", p, w)
    eq((r.status, r.getheader("Location")), (301, "http://autoconfig.redirect.test" + p))
    r = https("autoconfig.malformed.test", p, w)
    eq(r.status, 200)
    try:
        ET.fromstring(r.read())
        raise AssertionError("malformed.test served well-formed XML")
    except ET.ParseError:
        pass
    r = https("autoconfig.huge.test", p, w)
    eq((r.status, r.getheader("Content-Length")), (200, None))
    eq(len(r.read(4 << 20)), 4 << 20)
    r.close()
    t0 = time.time()
    try:
        https("autoconfig.stall.test", p, w, timeout=2)
        raise AssertionError("stall.test answered")
    except socket.timeout:
        pass
    assert time.time() - t0 >= 1.9
    # The same behaviours on any host by path.
    eq(https("autoconfig.auto.test", "/fault/404", w).status, 404)
    # A file that does not exist.
    eq(https("autoconfig.auto.test", "/nothing-here", w).status, 404)
    time.sleep(0.2)
    got = [(e["host"], e["status"]) for e in testnet.https_requests(mark)]
    for want in [("autoconfig.missing.test", 404), ("autoconfig.redirect.test", 301),
                 ("autoconfig.malformed.test", 200), ("autoconfig.huge.test", 200),
                 ("autoconfig.stall.test", 0)]:
        assert want in got, (want, got)


def test_test_files_in_state_www_win():
    w = testnet.world()
    host = "autoconfig.auto.test"
    d = os.path.join(testnet.WWW, host, "t-" + uuid.uuid4().hex)
    os.makedirs(d)
    with open(os.path.join(d, "x.xml"), "w") as f:
        f.write("<x/>")
    r = https(host, "/%s/x.xml" % os.path.basename(d), w)
    eq((r.status, r.read()), (200, b"<x/>"))
    shutil.rmtree(d)


def test_dns_query_log():
    w = testnet.world()
    mark = testnet.dns_mark()
    query(w.dns, "_submissions._tcp.srv.test", "SRV")
    time.sleep(0.3)
    contains(testnet.dns_queries(mark), ("SRV", "_submissions._tcp.srv.test"))


if __name__ == "__main__":
    run_tests()
