# SPDX-License-Identifier: MIT
"""proxy = and source_ip = (saatja.ini(5)) against the real Postfix
of tests/server/mailserver.sh: delivery through a real SOCKS5 proxy
(microsocks, tests/lib/socks.py) over STARTTLS and implicit TLS, with the
proxy's login (RFC 1929) and with the name left to the proxy (socks5h);
proxies that refuse, break the handshake, answer garbage or are not
there defer the message with a sentence naming the proxy; the proxy's
password is never shown; --check's proxy step; and the source address
that Postfix sees, or that this machine lacks."""
import glob
import os
import re
import tempfile
import time
import socket
import subprocess
import uuid

import mailserver
import socks
from mailserver import USERS, CA, SUBMISSION, SMTPS
from saatja_test import (sendmail, eq, contains, run_tests, closed_port,
                         queue_files, server_config, private_mounts, sendmail_argv, Run)

WORK = tempfile.mkdtemp(prefix="saatja-proxy-")
ACCOUNT = "arved@firma.test"
MAILLOG = os.environ.get("SAATJA_TEST_MAILLOG",
                         os.path.join(mailserver.STATE, "maillog"))


def config(route, port=SUBMISSION, tls="starttls", host="127.0.0.1", timeout=None):
    """An account on the test server whose connections go as route says
    (proxy = and source_ip = lines)."""
    mailserver.server()
    cfg = server_config(port, CA, USERS[ACCOUNT], account=ACCOUNT, tls=tls,
                        timeout=timeout, extra=route, parent=WORK)
    if host != "127.0.0.1":
        with open(cfg.path, encoding="utf-8") as f:
            text = f.read().replace("host = 127.0.0.1", "host = %s" % host)
        with open(cfg.path, "w", encoding="utf-8") as f:
            f.write(text)
    return cfg


def message(token):
    return "From: %s\nTo: bob@example.test\nSubject: proxy %s\n\nhello\n" % (ACCOUNT, token)


def send(cfg, token, args=()):
    r = sendmail(list(args) + ["bob@example.test"], message(token), cfg)
    with open(cfg.log, encoding="utf-8", errors="replace") as f:
        r.log = f.read()
    return r


def open_proxy(scheme="socks5"):
    socks.proxies()
    return "proxy = %s://127.0.0.1:%d" % (scheme, socks.PORT)


def login_proxy(scheme="socks5", password=socks.PASSWORD_URL):
    socks.proxies()
    return "proxy = %s://%s:%s@127.0.0.1:%d" % (scheme, socks.USER, password,
                                               socks.AUTH_PORT)


def everything_shown(cfg, r):
    """Standard error, the log, the queue files and mailq's listing."""
    mq = sendmail(["-bp"], b"", cfg)
    text = r.err + r.out.decode("utf-8", "replace") + r.log + mq.out.decode() + mq.err
    for path in glob.glob(os.path.join(cfg.work, "queue", "**", "*"), recursive=True):
        if os.path.isfile(path):
            with open(path, "rb") as f:
                text += f.read().decode("utf-8", "replace")
    return text


def no_proxy_password(text, secret=socks.PASSWORD):
    for s in (secret, "Pr0xy", socks.PASSWORD_URL, "p%40ss", "p@ss"):
        if s in text:
            raise AssertionError("the proxy's password (%r) was shown in: %r" % (s, text[-2000:]))


def deferred(cfg, r, *words):
    """r left its message queued for a retry, saying words on stderr."""
    eq(r.code, 0, "a deferred message is queued: exit 0; stderr: %s" % r.err)
    contains(r.err, "will retry", "the message waits in the queue")
    for w in words:
        contains(r.err, w, "the sentence")
    eq(len(queue_files(os.path.join(cfg.work, "queue"))), 1, "queued messages")


def client_of(qid, wait=10):
    """The client address Postfix logged for its queue ID."""
    deadline = time.time() + wait
    while True:
        with open(MAILLOG, encoding="utf-8", errors="replace") as f:
            m = re.search(r"%s: client=[^\[]*\[([^\]]+)\]" % qid, f.read())
        if m or time.time() > deadline:
            return m.group(1) if m else None
        time.sleep(0.1)


def postfix_qid(log):
    m = re.findall(r"status=sent \(250 [^)]*queued as (\w+)", log)
    if not m:
        raise AssertionError("no 'queued as' in the log: %r" % log)
    return m[-1]


def test_starttls_delivery_through_an_open_proxy():
    token = uuid.uuid4().hex
    cfg = config(open_proxy())
    r = send(cfg, token)
    eq(r.code, 0, r.err)
    contains(r.log, "relay=127.0.0.1[127.0.0.1]:%d via 127.0.0.1:%d" % (SUBMISSION, socks.PORT),
             "the log names the server and the proxy")
    contains(r.log, "status=sent", "sent")
    eq(mailserver.arrived(token).rcpts, ["bob@example.test"], "delivered")


def test_implicit_tls_through_a_proxy_with_a_login():
    token = uuid.uuid4().hex
    cfg = config(login_proxy(), port=SMTPS, tls="tls")
    r = send(cfg, token, ["-v"])
    eq(r.code, 0, r.err)
    contains(r.err, "TLS started with 127.0.0.1[127.0.0.1]:%d via 127.0.0.1:%d"
             % (SMTPS, socks.AUTH_PORT), "TLS ran through the tunnel")
    eq(mailserver.arrived(token).rcpts, ["bob@example.test"], "delivered")
    no_proxy_password(everything_shown(cfg, r))


def test_socks5h_leaves_the_name_to_the_proxy_and_verifies_the_server():
    """The certificate is for localhost: TLS verifies the server's name,
    which saatja never looked up (the log has no address for it)."""
    token = uuid.uuid4().hex
    cfg = config(login_proxy("socks5h"), port=SMTPS, tls="tls", host="localhost")
    socks.localhost_is_ipv4_for_the_proxy()
    r = send(cfg, token)
    eq(r.code, 0, r.err)
    contains(r.log, "relay=localhost:%d via 127.0.0.1:%d" % (SMTPS, socks.AUTH_PORT),
             "the proxy resolved localhost: no address in the relay")
    eq(mailserver.arrived(token).rcpts, ["bob@example.test"], "delivered")


def test_socks5h_sends_the_name_and_socks5_an_address():
    fake = socks.FakeProxy("reply 5")
    try:
        for scheme, want in (("socks5h", (3, "localhost", SMTPS)),
                             ("socks5", (1, "127.0.0.1", SMTPS))):
            cfg = config("proxy = %s://127.0.0.1:%d" % (scheme, fake.port), port=SMTPS,
                         tls="tls", host="localhost")
            send(cfg, uuid.uuid4().hex)
            eq(fake.requests[-1], want, "what %s:// asks the proxy for" % scheme)
    finally:
        fake.close()


# localhost as sendmail sees it in the two tests below: two addresses.
TWO_ADDRESSES = "127.0.0.2\tlocalhost\n127.0.0.1\tlocalhost\n"


def send_with_hosts(cfg, token, hosts):
    """send(), with sendmail looking names up in a hosts file of its own
    (a private mount namespace)."""
    private_mounts("a hosts file of sendmail's own")
    fd, path = tempfile.mkstemp(prefix="saatja-hosts-")
    os.write(fd, hosts.encode())
    os.close(fd)
    os.chmod(path, 0o644)
    argv = (["unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
             'mount --bind "$1" /etc/hosts && shift && exec "$@"', "hosts", path]
            + sendmail_argv() + ["-C", cfg.path, "bob@example.test"])
    r = Run(subprocess.run(argv, input=message(token).encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60,
                           env=dict(os.environ, TMPDIR=tempfile.gettempdir())))
    os.unlink(path)
    with open(cfg.log, encoding="utf-8", errors="replace") as f:
        r.log = f.read()
    return r


def test_socks5_tries_each_address_the_proxy_cannot_reach():
    """With socks5:// saatja picks the address: when the proxy cannot
    reach one (here none: reply 5), it asks for the next, in
    getaddrinfo's order, each on a connection of its own."""
    fake = socks.FakeProxy("reply 5")
    try:
        cfg = config("proxy = socks5://127.0.0.1:%d" % fake.port, port=SMTPS,
                     tls="tls", host="localhost")
        r = send_with_hosts(cfg, uuid.uuid4().hex, TWO_ADDRESSES)
        eq(sorted(fake.requests), [(1, "127.0.0.1", SMTPS), (1, "127.0.0.2", SMTPS)],
           "one CONNECT for each address of localhost")
        contains(r.err, "could not reach localhost:%d: connection refused" % SMTPS)
    finally:
        fake.close()


def test_socks5_goes_on_to_an_address_that_works():
    """The proxy cannot reach the first address (reply 4, host
    unreachable) but reaches the second: the message is delivered, and
    TLS verifies the server's name, not an address."""
    fake = socks.FakeProxy("forward")
    fake.refuse_first = 4
    fake.forward_to = "127.0.0.1"   # the test Postfix, whichever is second
    try:
        token = uuid.uuid4().hex
        cfg = config("proxy = socks5://127.0.0.1:%d" % fake.port, port=SMTPS,
                     tls="tls", host="localhost")
        r = send_with_hosts(cfg, token, TWO_ADDRESSES)
        eq(r.code, 0, r.err)
        eq(sorted(a for _, a, _ in fake.requests), ["127.0.0.1", "127.0.0.2"],
           "a second CONNECT, for the other address, after the refusal")
        eq(mailserver.arrived(token).rcpts, ["bob@example.test"], "delivered")
    finally:
        fake.close()


def test_wrong_proxy_password_defers_and_is_never_shown():
    token = uuid.uuid4().hex
    secret = "Wr0ngProxySecret"
    cfg = config(login_proxy(password=secret), port=SMTPS, tls="tls")
    r = send(cfg, token, ["-v"])
    deferred(cfg, r, "the proxy 127.0.0.1:%d refused the user name and password" % socks.AUTH_PORT)
    contains(r.log, "status=deferred", "logged as deferred")
    no_proxy_password(everything_shown(cfg, r), secret)
    check = sendmail(["--check"], b"", cfg)
    no_proxy_password(check.out.decode() + check.err, secret)
    contains(check.out.decode(), "socks5://%s:***@127.0.0.1:%d" % (socks.USER, socks.AUTH_PORT),
             "the check shows the proxy with the password hidden")


def test_a_proxy_that_wants_a_login_says_how_to_give_it():
    socks.proxies()
    cfg = config("proxy = socks5://127.0.0.1:%d" % socks.AUTH_PORT)
    r = send(cfg, uuid.uuid4().hex)
    deferred(cfg, r, "wants a user name and password",
             "socks5://USER:PASSWORD@127.0.0.1:%d" % socks.AUTH_PORT)


def test_each_socks_refusal_defers_with_its_reply_in_words():
    words = {1: "general SOCKS server failure", 2: "rules do not allow",
             3: "network is unreachable", 4: "host is unreachable",
             5: "connection refused", 6: "TTL expired", 7: "does not support CONNECT",
             8: "does not support this address type"}
    for code, said in words.items():
        fake = socks.FakeProxy("reply %d" % code)
        try:
            cfg = config("proxy = socks5://127.0.0.1:%d" % fake.port)
            r = send(cfg, uuid.uuid4().hex)
            deferred(cfg, r, "the proxy 127.0.0.1:%d could not reach 127.0.0.1:%d"
                     % (fake.port, SUBMISSION), said, "(SOCKS reply %d)" % code)
        finally:
            fake.close()


def test_a_broken_handshake_defers_naming_the_proxy():
    cases = {"garbage": "did not answer as a SOCKS5 proxy (it sent 48 54",
             "close": "closed the connection during the SOCKS handshake",
             "close-reply": "closed the connection during the SOCKS handshake",
             "no-method": "wants a user name and password"}
    for script, said in cases.items():
        fake = socks.FakeProxy(script)
        try:
            cfg = config("proxy = socks5://127.0.0.1:%d" % fake.port)
            r = send(cfg, uuid.uuid4().hex)
            deferred(cfg, r, "the proxy 127.0.0.1:%d " % fake.port, said)
        finally:
            fake.close()


def test_the_timeout_covers_the_proxy_handshake():
    fake = socks.FakeProxy("silent")
    try:
        cfg = config("proxy = socks5://127.0.0.1:%d" % fake.port, timeout=2)
        start = time.time()
        r = send(cfg, uuid.uuid4().hex)
        took = time.time() - start
        deferred(cfg, r, "timed out after 2 s waiting for the SOCKS handshake of the proxy")
        if took > 10:
            raise AssertionError("a 2 s timeout took %.1f s" % took)
    finally:
        fake.close()


def test_nothing_listening_on_the_proxy_port_defers():
    port = closed_port()
    cfg = config("proxy = socks5://127.0.0.1:%d" % port)
    r = send(cfg, uuid.uuid4().hex)
    deferred(cfg, r, "cannot connect to the proxy 127.0.0.1 port %d" % port, "proxy =")


def test_tls_toward_a_plain_port_is_explained_through_the_proxy_too():
    """tls = tls on the STARTTLS port: the second connection that finds
    the plain greeting goes through the proxy as the first did."""
    fake = socks.FakeProxy("forward")
    try:
        cfg = config("proxy = socks5://127.0.0.1:%d" % fake.port, tls="tls")
        check = sendmail(["--check"], b"", cfg)
        eq(check.code, 78, check.out.decode() + check.err)
        contains(check.out.decode(), "\u2717 TLS      the server speaks plain SMTP on this port",
                 "--check names the mix-up")
        # The connect step and the session make two; a probe that went
        # around the proxy would leave it at that.
        if len(fake.peers) < 3:
            raise AssertionError("the plain-greeting probe did not go through the proxy: "
                                 "%d connections" % len(fake.peers))
        r = send(cfg, uuid.uuid4().hex)
        eq(r.code, 78, r.err)
        contains(r.err, "answers in plain text", "a send names it too")
    finally:
        fake.close()


def test_check_shows_the_proxy_step_before_tls():
    cfg = config(login_proxy("socks5h"), port=SMTPS, tls="tls", host="localhost")
    r = sendmail(["--check"], b"", cfg)
    out = r.out.decode()
    eq(r.code, 0, out + r.err)
    steps = [l.split()[1] for l in out.splitlines() if l[:1] in ("\u2713", "\u2717")]
    eq(steps, ["config", "DNS", "proxy", "connect", "TLS", "AUTH", "sender", "QUIT"],
       "the steps, in order")
    contains(out, "DNS      localhost: looked up by the proxy", "socks5h: no lookup here")
    contains(out, "proxy    SOCKS5 proxy 127.0.0.1:%d answered in" % socks.AUTH_PORT, "the proxy step")
    contains(out, "logged in with the user name and password", "the proxy login")
    contains(out, "connect  the proxy reached localhost port %d" % SMTPS, "the connect step")
    contains(out, "made out to localhost", "the certificate is checked against the server's name")
    no_proxy_password(out + r.err)


def test_check_fails_at_the_proxy_step_when_it_is_not_there():
    port = closed_port()
    cfg = config("proxy = socks5://127.0.0.1:%d" % port)
    r = sendmail(["--check"], b"", cfg)
    out = r.out.decode()
    eq(r.code, 74, out + r.err)
    contains(out, "\u2717 proxy    cannot use the SOCKS5 proxy 127.0.0.1:%d" % port, "the failed step")
    contains(r.err, "failed at the proxy step", "the summary")


def test_source_ip_is_the_client_postfix_sees():
    token = uuid.uuid4().hex
    cfg = config("source_ip = 127.0.0.2", port=SMTPS, tls="tls")
    r = send(cfg, token)
    eq(r.code, 0, r.err)
    mailserver.arrived(token)
    eq(client_of(postfix_qid(r.log)), "127.0.0.2", "the client address in Postfix's log")


def test_source_ip_is_used_for_the_proxy_too():
    fake = socks.FakeProxy("reply 2")
    try:
        cfg = config("proxy = socks5://127.0.0.1:%d\nsource_ip = 127.0.0.2" % fake.port)
        send(cfg, uuid.uuid4().hex)
        eq(fake.peers, ["127.0.0.2"], "the proxy's client")
    finally:
        fake.close()


def test_source_ip_the_machine_lacks_is_a_config_error():
    cfg = config("source_ip = 192.0.2.7")
    said = "this machine has no address 192.0.2.7; source_ip must be one of this machine's addresses"
    check = sendmail(["--check"], b"", cfg)
    eq(check.code, 78, check.out.decode() + check.err)
    contains(check.out.decode(), "\u2717 connect  this machine has no address 192.0.2.7", "--check")
    r = send(cfg, uuid.uuid4().hex)
    eq(r.code, 78, "a config error, not a retry: " + r.err)
    contains(r.err, said, "the send says it")
    contains(r.err, "failed area", "kept in the failed area until the config is fixed")
    if not glob.glob(os.path.join(cfg.work, "queue", "failed", "*.env")):
        raise AssertionError("no message in the failed area")


def test_source_ip_of_the_other_family_says_so():
    cfg = config("source_ip = ::1")
    r = send(cfg, uuid.uuid4().hex)
    eq(r.code, 78, r.err)
    contains(r.err, "127.0.0.1 has no IPv6 address, and source_ip = ::1 is one", "the sentence")


if __name__ == "__main__":
    run_tests()
