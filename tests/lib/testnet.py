# SPDX-License-Identifier: MIT
"""The test world of tests/server/testnet.py for tests: real names
(smtp.gmail.com, autoconfig.auto.test, autoconfig.thunderbird.net, ...)
resolved by a loopback dnsmasq to loopback servers that the test CA
vouches for, on the standard ports.

    import testnet
    w = testnet.world()                  # starts it once; SkipTest if impossible
    r = testnet.sendmail(["--setup", "arved@srv.test"], config=cfg)
    argv = testnet.argv(["curl", "https://autoconfig.auto.test/..."])
    mark = testnet.https_mark(); ...; testnet.https_requests(mark)

Every program a test runs inside the world goes through argv() (or
sendmail()/run()): `unshare -m` with /etc/resolv.conf and
/etc/ssl/certs/ca-certificates.crt bind-mounted for that process only.
The machine's own files are never changed.
"""
import json
import os
import subprocess
import tempfile

import mailserver
from saatja_test import Run, SkipTest, SRCDIR, private_mounts, sendmail_argv

TESTNET = os.path.join(SRCDIR, "tests", "server", "testnet.py")
STATE = mailserver.STATE
WORLD = os.path.join(STATE, "world")
HTTPS_LOG = os.path.join(WORLD, "https.log")
DNS_LOG = os.path.join(WORLD, "dns.log")
WWW = os.path.join(WORLD, "www")        # tests may add WWW/HOST/PATH files
USERS = mailserver.USERS

_ADDR_VARS = [("dns", "SAATJA_TEST_DNS_ADDR", "127.0.53.1"),
              ("provider", "SAATJA_TEST_PROVIDER_ADDR", "127.0.0.25"),
              ("https", "SAATJA_TEST_HTTPS_ADDR", "127.0.0.26"),
              ("badcert", "SAATJA_TEST_BADCERT_ADDR", "127.0.0.27"),
              ("noauth", "SAATJA_TEST_NOAUTH_ADDR", "127.0.0.28"),
              ("silent", "SAATJA_TEST_SILENT_DNS_ADDR", "127.0.53.9"),
              ("loopdns", "SAATJA_TEST_LOOP_DNS_ADDR", "127.0.53.10")]


def _parse_zone():
    records, domains = [], {}
    with open(os.path.join(SRCDIR, "tests", "server", "testnet-zone.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, rtype, *data = line.split()
            if rtype == "DOMAIN":
                domains[name] = " ".join(data)
            else:
                records.append((name, rtype, data))
    return records, domains


# ZONE: [(name, type, [data...])] as in testnet-zone.txt (@provider etc.
# unresolved; the preset hosts of providers.ini are added at start);
# DOMAINS: {test domain: what it exercises}.
ZONE, DOMAINS = _parse_zone()


class World:
    """The running world: addresses (.dns, .provider, .https, .badcert,
    .noauth, .silent, .loopdns), and the files: .resolv, .bundle (system
    store + test CA), .ca (the test CA alone), .dir."""

    def __init__(self):
        saved = {}
        try:
            with open(os.path.join(WORLD, "addrs")) as f:
                saved = dict(l.rstrip("\n").split("=", 1) for l in f if "=" in l)
        except OSError:
            pass
        for key, var, default in _ADDR_VARS:
            setattr(self, key, saved.get(var) or os.environ.get(var) or default)
        self.dir = WORLD
        self.resolv = os.path.join(WORLD, "resolv.conf")
        self.bundle = os.path.join(WORLD, "ca-bundle.crt")
        self.ca = mailserver.CA


_up = None


def world():
    """Starts the mail server with the world (SAATJA_TEST_WORLD=1
    mailserver.sh start) once, and checks that a private mount namespace
    can be made; skips the test, in one sentence, when either is
    impossible. Returns a World."""
    global _up
    private_mounts("the test world")
    if _up is None:
        r = subprocess.run([mailserver.MAILSERVER, "start"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=dict(os.environ, SAATJA_TEST_WORLD="1"))
        _up = True if r.returncode == 0 else (
            "mailserver.sh start with SAATJA_TEST_WORLD=1 failed: %s" % r.stdout.decode()[-500:])
    if _up is not True:
        raise SkipTest(_up)
    mailserver._up = True
    return World()


def argv(command):
    """The argv that runs command (a list) inside the world."""
    world()
    return ["/usr/bin/python3", TESTNET, "run"] + list(command)


def run(command, stdin=b"", env=None, timeout=60):
    """Runs command inside the world: a CompletedProcess with bytes
    stdout and stderr."""
    e = dict(os.environ)
    if env:
        e.update(env)
    if isinstance(stdin, str):
        stdin = stdin.encode("utf-8")
    return subprocess.run(argv(command), input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=e, timeout=timeout)


def sendmail(args, stdin=b"", config=None, env=None, timeout=60):
    """saatja_test.sendmail(), inside the world: a Run."""
    cmd = sendmail_argv()
    if config is not None:
        cmd += ["-C", config if isinstance(config, str) else config.path]
    e = {"TMPDIR": tempfile.gettempdir()}
    e.update(env or {})
    return Run(run(cmd + list(args), stdin=stdin, env=e, timeout=timeout))


def _mark(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def https_mark():
    """A position in the HTTPS request log: pass it to https_requests()."""
    return _mark(HTTPS_LOG)


def https_requests(mark=0, host=None):
    """The requests the HTTPS server logged since mark, in order, as dicts:
    t, peer, method, host (Host header), sni, path (with the query),
    status (0 when it stalled), user_agent. Other test runs share the
    server: filter by host or by the emailaddress in the path."""
    out = []
    try:
        with open(HTTPS_LOG, "rb") as f:
            f.seek(mark)
            for line in f:
                if line.endswith(b"\n"):
                    e = json.loads(line)
                    if host is None or e["host"] == host:
                        out.append(e)
    except OSError:
        pass
    return out


def dns_mark():
    """A position in dnsmasq's query log: pass it to dns_queries()."""
    return _mark(DNS_LOG)


def dns_queries(mark=0):
    """[(type, name)] of the queries dnsmasq logged since mark, in order
    (e.g. ("SRV", "_submissions._tcp.srv.test"), ("A", "smtp.srv.test"))."""
    out = []
    try:
        with open(DNS_LOG, "rb") as f:
            f.seek(mark)
            for line in f.read().decode(errors="replace").splitlines():
                # "... dnsmasq[PID]: query[SRV] _submissions._tcp.srv.test from 127.0.0.1"
                i = line.find(": query[")
                if i >= 0:
                    rest = line[i + len(": query["):]
                    qtype, _, rest = rest.partition("] ")
                    out.append((qtype, rest.split(" ")[0]))
    except OSError:
        pass
    return out
