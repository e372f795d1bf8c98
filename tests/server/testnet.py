#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""testnet.py - the test world: real names (smtp.gmail.com, autoconfig.auto.test,
autoconfig.thunderbird.net, ...) that resolve to loopback servers which the
test CA of mailserver.sh vouches for, so that `sendmail --setup` can be
tested on the standard ports (53, 443, 465, 587) without anything leaving
this machine.

    testnet.py master-cf     Postfix services of the world (mailserver.sh puts
                             them into master.cf); makes the certificate
    testnet.py start|stop|status|env
    testnet.py run CMD ARG...  CMD inside the world: a private mount namespace
                             (unshare -m) whose /etc/resolv.conf names the
                             world's DNS server and whose
                             /etc/ssl/certs/ca-certificates.crt also holds the
                             test CA
    testnet.py serve         (internal) the HTTPS autoconfig server and the
                             two scripted DNS servers, in one process

mailserver.sh starts and stops the world when SAATJA_TEST_WORLD=1 (it then
stays enabled for that state until SAATJA_TEST_WORLD=0); see README.md.
State: $SAATJA_TEST_STATE/world. The data: testnet-zone.txt (records and
test domains), testnet-www/HOST/PATH (files the HTTPS server serves; files
in $STATE/world/www/HOST/PATH win), sendmail/providers.ini (preset hosts).

Addresses (loopback; every 127.x.y.z is on lo without configuration):
  SAATJA_TEST_DNS_ADDR        127.0.53.1   dnsmasq, port 53
  SAATJA_TEST_PROVIDER_ADDR   127.0.0.25   Postfix 465 (TLS) and 587 (STARTTLS)
  SAATJA_TEST_HTTPS_ADDR      127.0.0.26   autoconfig HTTPS, port 443
  SAATJA_TEST_BADCERT_ADDR    127.0.0.27   Postfix, certificate for localhost only
  SAATJA_TEST_NOAUTH_ADDR     127.0.0.28   Postfix without AUTH
  SAATJA_TEST_SILENT_DNS_ADDR 127.0.53.9   UDP 53, never answers
  SAATJA_TEST_LOOP_DNS_ADDR   127.0.53.10  UDP 53, answers with a CNAME loop
Two worlds at once (two states) need different addresses for all of them.
"""

import hashlib
import http.server
import json
import os
import select
import shutil
import signal
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))
ZONE_FILE = os.path.join(HERE, "testnet-zone.txt")
WWW = os.path.join(HERE, "testnet-www")
PROVIDERS_INI = os.path.join(SRCDIR, "sendmail", "providers.ini")

STATE = os.environ.get("SAATJA_TEST_STATE", "/tmp/saatja-test-server")
WORLD = os.path.join(STATE, "world")
CA = os.path.join(STATE, "tls", "ca.pem")
CA_KEY = os.path.join(STATE, "tls", "ca-key.pem")
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
RESOLV = "/etc/resolv.conf"

ADDR_DEFAULTS = [
    ("dns", "SAATJA_TEST_DNS_ADDR", "127.0.53.1"),
    ("provider", "SAATJA_TEST_PROVIDER_ADDR", "127.0.0.25"),
    ("https", "SAATJA_TEST_HTTPS_ADDR", "127.0.0.26"),
    ("badcert", "SAATJA_TEST_BADCERT_ADDR", "127.0.0.27"),
    ("noauth", "SAATJA_TEST_NOAUTH_ADDR", "127.0.0.28"),
    ("silent", "SAATJA_TEST_SILENT_DNS_ADDR", "127.0.53.9"),
    ("loopdns", "SAATJA_TEST_LOOP_DNS_ADDR", "127.0.53.10"),
]
ADDRS_FILE = os.path.join(WORLD, "addrs")


def die(msg):
    print("testnet.py: error: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def note(msg):
    print("testnet.py: " + msg, file=sys.stderr, flush=True)


def read_addrs_file():
    try:
        with open(ADDRS_FILE) as f:
            return dict(l.rstrip("\n").split("=", 1) for l in f if "=" in l)
    except (OSError, ValueError):
        return {}


def addrs_from_env():
    """The addresses for a start: a variable set in the environment wins,
    then what this state's world had, then the default."""
    a = {}
    saved = read_addrs_file()
    for key, var, default in ADDR_DEFAULTS:
        v = os.environ.get(var) or saved.get(var) or default
        parts = v.split(".")
        if len(parts) != 4 or parts[0] != "127" or not all(p.isdigit() and int(p) < 256 for p in parts):
            die("%s=%s is not a 127.x.y.z loopback address" % (var, v))
        a[key] = v
    if len(set(a.values())) != len(a):
        die("the world's addresses must differ: %s" % a)
    return a


def addrs():
    """The addresses of the running world (its addrs file), else the
    environment's."""
    saved = read_addrs_file()
    try:
        return {key: saved[var] for key, var, _ in ADDR_DEFAULTS}
    except KeyError:
        return addrs_from_env()


# ------------------------------------------------------------------ zone --

def parse_zone(path=ZONE_FILE):
    """(records, domains): records are (name, type, [data...]) in file
    order; domains {name: text}."""
    records, domains = [], {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) < 2:
                die("%s:%d: NAME TYPE DATA expected" % (path, n))
            name, rtype, data = parts[0].lower().rstrip("."), parts[1].upper(), parts[2:]
            if rtype == "DOMAIN":
                domains[name] = " ".join(data)
                continue
            want = {"A": 1, "CNAME": 1, "MX": 2, "SRV": 4, "FORWARD": 1, "HTTP": 1}.get(rtype)
            if rtype == "TXT":
                data = [" ".join(data)]
            elif want is None or len(data) != want:
                die("%s:%d: bad %s record" % (path, n, rtype))
            records.append((name, rtype, data))
    return records, domains


def preset_hosts(path=PROVIDERS_INI):
    """Every host = of providers.ini, in file order."""
    hosts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            k, sep, v = line.partition("=")
            if sep and k.strip() == "host" and v.strip():
                h = v.strip().lower()
                if h not in hosts:
                    hosts.append(h)
    return hosts


def world_records():
    """The zone with the preset hosts added and the @ADDR names resolved:
    (records, domains, local_domains)."""
    records, domains = parse_zone()
    have_a = {r[0] for r in records if r[1] == "A"}
    for h in preset_hosts():
        if h not in have_a:
            records.append((h, "A", ["@provider"]))
    a = addrs()
    out = []
    for name, rtype, data in records:
        if rtype in ("A", "FORWARD"):
            v = data[0]
            if v.startswith("@"):
                if v[1:] not in a:
                    die("%s: unknown address %s" % (name, v))
                v = a[v[1:]]
            out.append((name, rtype, [v]))
        else:
            out.append((name, rtype, data))
    # Answer the real parent domains of world names authoritatively, so
    # that e.g. gmail.com MX is NODATA, not REFUSED.
    local = {"test"}
    for name, rtype, _ in out:
        if rtype in ("A", "CNAME", "MX", "SRV", "TXT"):
            labels = name.split(".")
            if labels[-1] != "test" and len(labels) >= 2:
                local.add(".".join(labels[-2:]))
    for d in domains:
        if not d.endswith(".test"):
            local.add(".".join(d.split(".")[-2:]))
    return out, domains, sorted(local)


def cert_names(records):
    """Names the world certificate covers: every A record that points at
    the provider, HTTPS or no-AUTH address (not the bad-certificate one)."""
    a = addrs()
    good = {a["provider"], a["https"], a["noauth"]}
    names = []
    for name, rtype, data in records:
        if rtype == "A" and data[0] in good and name not in names:
            names.append(name)
    return names


def dnsmasq_conf(records, local):
    a = addrs()
    lines = ["# Generated by tests/server/testnet.py; edits are overwritten.",
             "no-resolv", "no-hosts", "no-poll", "bind-interfaces",
             "listen-address=" + a["dns"], "port=53",
             "user=nobody", "group=nogroup",
             "log-queries", "log-facility=" + os.path.join(WORLD, "dns.log"),
             "pid-file=" + os.path.join(WORLD, "dnsmasq.real.pid"), "cache-size=0", "local-ttl=1"]
    lines += ["local=/%s/" % d for d in local]
    for name, rtype, data in records:
        if rtype == "A":
            lines.append("host-record=%s,%s" % (name, data[0]))
        elif rtype == "CNAME":
            lines.append("cname=%s,%s" % (name, data[0]))
        elif rtype == "MX":
            lines.append("mx-host=%s,%s,%s" % (name, data[1].rstrip("."), data[0]))
        elif rtype == "SRV":
            prio, weight, port, target = data
            if target == ".":
                lines.append("srv-host=%s" % name)
            else:
                lines.append("srv-host=%s,%s,%s,%s,%s" % (name, target.rstrip("."), port, prio, weight))
        elif rtype == "TXT":
            lines.append('txt-record=%s,"%s"' % (name, data[0].replace('"', "")))
        elif rtype == "FORWARD":
            lines.append("server=/%s/%s" % (name, data[0]))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ files --

def write_if_changed(path, text, mode=0o644):
    """True when the file changed."""
    data = text.encode() if isinstance(text, str) else text
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return False
    except OSError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.rename(tmp, path)
    return True


def certtool(*args):
    r = subprocess.run(["certtool", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        die("certtool %s failed: %s" % (" ".join(args), r.stderr.decode(errors="replace")))


def make_cert(names):
    """$WORLD/tls/world.pem (+ world-key.pem), signed by the test CA, for
    every name; remade when the names or the CA change."""
    if not (os.path.exists(CA) and os.path.exists(CA_KEY)):
        die("no test CA in %s (run mailserver.sh start first)" % os.path.dirname(CA))
    tls = os.path.join(WORLD, "tls")
    os.makedirs(tls, exist_ok=True)
    with open(CA, "rb") as f:
        ca_digest = hashlib.sha256(f.read()).hexdigest()
    want = "ca %s\n" % ca_digest + "".join(n + "\n" for n in names)
    names_file = os.path.join(tls, "names")
    cert, key = os.path.join(tls, "world.pem"), os.path.join(tls, "world-key.pem")
    try:
        with open(names_file) as f:
            if f.read() == want and os.path.getsize(cert) and os.path.getsize(key):
                return False
    except OSError:
        pass
    note("certificate for %d names in %s" % (len(names), tls))
    tmpl = os.path.join(tls, "world.tmpl")
    with open(tmpl, "w") as f:
        f.write('cn = "%s"\norganization = "saatja test world"\n' % names[0])
        f.write("serial = %d\nexpiration_days = 3650\n" % (int(time.time()) & 0x7fffffff))
        for n in names:
            f.write('dns_name = "%s"\n' % n)
        f.write("tls_www_server\nsigning_key\nencryption_key\n")
    if not os.path.exists(key):
        certtool("--generate-privkey", "--key-type=rsa", "--bits=2048", "--outfile", key + ".tmp")
        os.rename(key + ".tmp", key)
    os.chmod(key, 0o600)
    certtool("--generate-certificate", "--load-privkey", key, "--load-ca-certificate", CA,
             "--load-ca-privkey", CA_KEY, "--template", tmpl, "--outfile", cert + ".tmp")
    os.chmod(cert + ".tmp", 0o644)
    os.rename(cert + ".tmp", cert)
    write_if_changed(names_file, want)
    return True


def tree_digest(top):
    h = hashlib.sha256()
    for d, dirs, files in sorted(os.walk(top)):
        dirs.sort()
        for f in sorted(files):
            path = os.path.join(d, f)
            h.update(os.path.relpath(path, top).encode() + b"\0")
            with open(path, "rb") as fh:
                h.update(fh.read() + b"\0")
    return h.hexdigest()


def copy_data():
    """The zone and testnet-www are copied into the state: the server
    keeps serving them when the source tree it was started from goes
    (make distcheck's)."""
    with open(ZONE_FILE, "rb") as f:
        write_if_changed(os.path.join(WORLD, "zone.txt"), f.read())
    dst = os.path.join(WORLD, "www-default")
    digest = tree_digest(WWW)
    try:
        with open(dst + ".digest") as f:
            if f.read() == digest and os.path.isdir(dst):
                return
    except OSError:
        pass
    shutil.rmtree(dst + ".new", ignore_errors=True)
    shutil.copytree(WWW, dst + ".new")
    shutil.rmtree(dst, ignore_errors=True)
    os.rename(dst + ".new", dst)
    write_if_changed(dst + ".digest", digest)


def prepare():
    """Everything on disk: certificate, dnsmasq.conf, resolv.conf, bundle.
    Returns True when dnsmasq's configuration changed."""
    os.makedirs(os.path.join(WORLD, "www"), exist_ok=True)
    os.chmod(WORLD, 0o755)
    # A start takes the addresses from the environment (else the saved
    # ones, else the defaults); everything else (run, env, status, tests)
    # reads them from ADDRS_FILE.
    a = addrs_from_env()
    write_if_changed(ADDRS_FILE, "".join("%s=%s\n" % (var, a[key]) for key, var, _ in ADDR_DEFAULTS))
    copy_data()
    records, _, local = world_records()
    make_cert(cert_names(records))
    changed = write_if_changed(os.path.join(WORLD, "dnsmasq.conf"), dnsmasq_conf(records, local))
    write_if_changed(os.path.join(WORLD, "resolv.conf"),
                     "# Generated by tests/server/testnet.py: the test world's DNS only.\n"
                     "nameserver %s\noptions timeout:2 attempts:1\n" % a["dns"])
    try:
        with open("/etc/nsswitch.conf") as f:
            nss = [l for l in f.read().splitlines() if not l.startswith("hosts:")]
    except OSError:
        nss = []
    write_if_changed(os.path.join(WORLD, "nsswitch.conf"), "\n".join(nss + ["hosts: files dns"]) + "\n")
    with open(SYSTEM_BUNDLE, "rb") as f:
        system = f.read()
    with open(CA, "rb") as f:
        ca = f.read()
    write_if_changed(os.path.join(WORLD, "ca-bundle.crt"),
                     system + (b"" if system.endswith(b"\n") else b"\n") + ca)
    return changed


def check_smtp_addresses_free(a):
    """Postfix's master exits when it cannot bind a service: refuse before
    that, unless this state's own running Postfix already holds it."""
    try:
        with open(os.path.join(STATE, "postfix", "master.cf")) as f:
            ours = f.read()
    except OSError:
        ours = ""
    running = alive(read_pid(os.path.join(STATE, "queue", "pid", "master.pid")))
    for key in ("provider", "badcert", "noauth"):
        for port in (465, 587):
            if running and "\n%s:%d inet" % (a[key], port) in ours:
                continue
            if in_use(a[key], port):
                die("%s:%d is taken by another program (another world? set SAATJA_TEST_%s_ADDR)"
                    % (a[key], port, key.upper()))


def master_cf():
    """The Postfix services of the world, for mailserver.sh's master.cf."""
    prepare()
    a = addrs()
    check_smtp_addresses_free(a)
    tls = os.path.join(WORLD, "tls")
    chain = "%s/world-key.pem,%s/world.pem" % (tls, tls)
    out = ["# The test world (tests/server/testnet.py)."]
    for key, extra in (("provider", ["-o smtpd_tls_chain_files=" + chain]),
                       ("badcert", []),
                       ("noauth", ["-o smtpd_tls_chain_files=" + chain,
                                   "-o smtpd_sasl_auth_enable=no"])):
        for port, mode in ((465, ["-o smtpd_tls_wrappermode=yes"]), (587, [])):
            out.append("%s:%d inet n - n - - smtpd" % (a[key], port))
            out += ["  " + o for o in ["-o syslog_name=postfix/world-%s-%d" % (key, port)] + mode + extra]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------- daemons --

DNSMASQ_PID = os.path.join(WORLD, "dnsmasq.pid")
SERVE_PID = os.path.join(WORLD, "serve.pid")


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def kill_wait(pidfile):
    pid = read_pid(pidfile)
    if alive(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not alive(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    try:
        os.unlink(pidfile)
    except OSError:
        pass


def dns_query(server, name, qtype=1, timeout=2.0):
    """(rcode, answer count) of one UDP query, or None on timeout."""
    qid = os.getpid() & 0xffff
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, (server, 53))
        r = s.recv(4096)
    except OSError:
        return None
    finally:
        s.close()
    return r[3] & 0xf, struct.unpack(">H", r[6:8])[0]


def https_answers(addr):
    try:
        ctx = ssl.create_default_context(cafile=CA)
        with socket.create_connection((addr, 443), timeout=3) as s:
            with ctx.wrap_socket(s, server_hostname="autoconfig.auto.test") as t:
                t.sendall(b"GET /ping HTTP/1.0\r\nHost: autoconfig.auto.test\r\n\r\n")
                return t.recv(100).startswith(b"HTTP/1.")
    except (OSError, ssl.SSLError):
        return False


def smtp_answers(addr, port=465):
    try:
        ctx = ssl.create_default_context(cafile=CA)
        with socket.create_connection((addr, port), timeout=3) as s:
            with ctx.wrap_socket(s, server_hostname="smtp.gmail.com") as t:
                ok = t.recv(100).startswith(b"220")
                t.sendall(b"QUIT\r\n")
                return ok
    except (OSError, ssl.SSLError):
        return False


def in_use(addr, port, udp=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
    if not udp:
        # As the server binds: connections in TIME_WAIT do not count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((addr, port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def start_dnsmasq():
    a = addrs()
    if in_use(a["dns"], 53, udp=True):
        die("%s:53 is taken by another program (another world? set SAATJA_TEST_DNS_ADDR)" % a["dns"])
    log = open(os.path.join(WORLD, "dnsmasq.out"), "ab")
    p = subprocess.Popen(["dnsmasq", "--keep-in-foreground", "--conf-file=" + os.path.join(WORLD, "dnsmasq.conf")],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                         close_fds=True)
    write_if_changed(DNSMASQ_PID, "%d\n" % p.pid)
    for _ in range(50):
        if p.poll() is not None:
            die("dnsmasq exited at once: %s" % open(os.path.join(WORLD, "dnsmasq.out"), errors="replace").read()[-600:])
        if dns_query(a["dns"], "smtp.gmail.com", timeout=0.2):
            return
        time.sleep(0.1)
    die("dnsmasq does not answer on %s:53" % a["dns"])


def serve_program_changed():
    """The serve process runs a copy of this file; a changed file means a restart."""
    copy = os.path.join(WORLD, "testnet-serve.py")
    with open(os.path.abspath(__file__), "rb") as f:
        return write_if_changed(copy, f.read(), 0o755)


def start_serve():
    a = addrs()
    for addr, port, udp in ((a["https"], 443, False), (a["silent"], 53, True), (a["loopdns"], 53, True)):
        for _ in range(30):
            if not in_use(addr, port, udp):
                break
            time.sleep(0.1)
        else:
            die("%s:%d is taken by another program (another world? set the SAATJA_TEST_*_ADDR variables)" % (addr, port))
    log = open(os.path.join(WORLD, "serve.log"), "ab")
    env = dict(os.environ, SAATJA_TEST_STATE=STATE)
    p = subprocess.Popen(["/usr/bin/python3", os.path.join(WORLD, "testnet-serve.py"), "serve"],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                         close_fds=True, env=env)
    write_if_changed(SERVE_PID, "%d\n" % p.pid)
    for _ in range(100):
        if p.poll() is not None:
            die("the HTTPS/DNS server exited at once: %s" % open(os.path.join(WORLD, "serve.log"), errors="replace").read()[-600:])
        if https_answers(a["https"]):
            return
        time.sleep(0.1)
    die("the HTTPS server does not answer on %s:443" % a["https"])


def cmd_start():
    if os.geteuid() != 0:
        die("must run as root (ports 53 and 443)")
    for tool in ("dnsmasq", "certtool", "unshare"):
        if shutil.which(tool) is None and not os.path.exists("/usr/sbin/" + tool):
            die("'%s' not found; install: apt-get install dnsmasq-base gnutls-bin util-linux" % tool)
    changed = prepare()
    a = addrs()
    if changed or not alive(read_pid(DNSMASQ_PID)) or not dns_query(a["dns"], "smtp.gmail.com", timeout=1):
        kill_wait(DNSMASQ_PID)
        start_dnsmasq()
    if serve_program_changed() or not alive(read_pid(SERVE_PID)) or not https_answers(a["https"]):
        kill_wait(SERVE_PID)
        start_serve()
    note("world running: dns %s:53, provider %s:465/587, https %s:443 (%s)" % (a["dns"], a["provider"], a["https"], WORLD))


def cmd_stop():
    kill_wait(SERVE_PID)
    kill_wait(DNSMASQ_PID)


def cmd_status():
    a = addrs()
    rc = 0
    for label, ok in (("dnsmasq %s:53" % a["dns"], alive(read_pid(DNSMASQ_PID)) and dns_query(a["dns"], "smtp.gmail.com", timeout=1)),
                      ("https %s:443" % a["https"], alive(read_pid(SERVE_PID)) and https_answers(a["https"])),
                      ("postfix %s:465" % a["provider"], smtp_answers(a["provider"]))):
        print("world %s: %s" % (label, "answers" if ok else "no answer"))
        rc |= not ok
    return rc


def cmd_env():
    a = addrs()
    out = ["SAATJA_TEST_WORLD_DIR=" + WORLD,
           "SAATJA_TEST_WORLD_RESOLV=" + os.path.join(WORLD, "resolv.conf"),
           "SAATJA_TEST_WORLD_BUNDLE=" + os.path.join(WORLD, "ca-bundle.crt"),
           "SAATJA_TEST_WORLD_HTTPS_LOG=" + os.path.join(WORLD, "https.log"),
           "SAATJA_TEST_WORLD_DNS_LOG=" + os.path.join(WORLD, "dns.log")]
    out += ["%s=%s" % (var, a[key]) for key, var, _ in ADDR_DEFAULTS]
    for o in out:
        k, v = o.split("=", 1)
        print("export %s=%s" % (k, v))


RUN_SCRIPT = r'''
set -e
mount --bind "$1" /etc/resolv.conf
mount --bind "$2" /etc/ssl/certs/ca-certificates.crt
if [ -e /etc/nsswitch.conf ]; then mount --bind "$3" /etc/nsswitch.conf; fi
shift 3
exec "$@"
'''


def run_argv(argv):
    """The command that runs argv inside the world: its own mount
    namespace in which /etc/resolv.conf names the world's DNS server,
    /etc/ssl/certs/ca-certificates.crt (what GnuTLS's system trust,
    libcurl and OpenSSL read on Debian) is the system bundle plus the test
    CA, and /etc/nsswitch.conf says "hosts: files dns" (no mDNS, no
    systemd-resolved module that would bypass resolv.conf)."""
    return ["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", RUN_SCRIPT, "testnet-run",
            os.path.join(WORLD, "resolv.conf"), os.path.join(WORLD, "ca-bundle.crt"),
            os.path.join(WORLD, "nsswitch.conf")] + list(argv)


def cmd_run(argv):
    if not argv:
        die("usage: testnet.py run CMD [ARG...]")
    for f in ("resolv.conf", "ca-bundle.crt", "nsswitch.conf"):
        if not os.path.exists(os.path.join(WORLD, f)):
            die("the world is not prepared in %s (SAATJA_TEST_WORLD=1 mailserver.sh start)" % WORLD)
    os.execvp("unshare", run_argv(argv))


# ------------------------------------------------------------ the server --

def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def decode_question(pkt):
    """(qname, qtype, end offset) of the first question."""
    i, labels = 12, []
    while pkt[i]:
        n = pkt[i]
        labels.append(pkt[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    qtype = struct.unpack(">H", pkt[i + 1:i + 3])[0]
    return ".".join(labels).lower(), qtype, i + 5


def loop_dns_answer(pkt):
    """An answer where every name is a CNAME: smtp.D -> loop.D, anything
    else -> smtp.D, with D the delegated domain (the last two labels);
    _submission(s)._tcp.D SRV answers 0 1 587 smtp.D."""
    qname, qtype, end = decode_question(pkt)
    dom = ".".join(qname.split(".")[-2:])
    flags = 0x8400 | (pkt[2] & 1) << 8  # QR AA, copy RD
    if qname.startswith("_submission") and qtype == 33:
        target = encode_name("smtp." + dom)
        rdata = struct.pack(">HHH", 0, 1, 587 if qname.startswith("_submission.") else 465) + target
        rtype = 33
    else:
        target = "loop." + dom if qname.startswith("smtp.") else "smtp." + dom
        rdata, rtype = encode_name(target), 5
    ans = b"\xc0\x0c" + struct.pack(">HHIH", rtype, 1, 1, len(rdata)) + rdata
    return pkt[:2] + struct.pack(">HHHHH", flags, 1, 1, 0, 0) + pkt[12:end] + ans


def udp_server(addr, answer):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))

    def loop():
        while True:
            pkt, peer = s.recvfrom(4096)
            if answer is None:
                continue  # the silent server: read and forget
            try:
                s.sendto(answer(pkt), peer)
            except Exception as e:  # noqa: BLE001 - a bad packet must not end the server
                print("loopdns: %r" % e, file=sys.stderr, flush=True)

    threading.Thread(target=loop, daemon=True).start()


LOG_LOCK = threading.Lock()


def log_request(entry):
    line = json.dumps(entry, sort_keys=True) + "\n"
    with LOG_LOCK:
        fd = os.open(os.path.join(WORLD, "https.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)


def http_behaviours():
    records, _ = parse_zone(os.path.join(WORLD, "zone.txt"))
    return {name: data[0] for name, rtype, data in records if rtype == "HTTP"}


MALFORMED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1">\n'
             b'  <emailProvider id="malformed.test">\n    <outgoingServer type="smtp">\n'
             b'      <hostname>smtp.malformed.test</hostname\n      <port>465</port>\n'
             b'    </outgoingServer>\n  <emailProvider>\n<clientConfig & not XML\n')


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "saatja-testnet/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (OSError, ssl.SSLError):
            self.close_connection = True

    def do_GET(self):
        self.respond(body=True)

    def do_HEAD(self):
        self.respond(body=False)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(min(n, 1 << 20))
        self.respond(body=True)

    def send(self, code, body=b"", ctype="text/plain", extra=(), send_body=True):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def respond(self, body):
        host = (self.headers.get("Host") or "").lower()
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        behaviour = None
        if path.startswith("/fault/"):
            behaviour = path[len("/fault/"):].split("/")[0]
        else:
            behaviour = http_behaviours().get(host)
        entry = {"t": round(time.time(), 3), "peer": self.client_address[0], "method": self.command,
                 "host": host, "path": self.path, "sni": getattr(self.connection, "saatja_sni", None),
                 "user_agent": self.headers.get("User-Agent")}
        if path == "/ping":
            self.send(200, b"pong\n")
            return
        self.entry = entry
        status = self.behave(behaviour, host, url, body) if behaviour else self.serve_file(host, path, body)
        if self.entry:
            entry["status"] = status
            log_request(entry)

    def log_now(self, status):
        """Logs the request before a long answer (a stall, a huge body)."""
        self.entry["status"] = status
        log_request(self.entry)
        self.entry = None

    def serve_file(self, host, path, body):
        if "/../" in path + "/" or "\0" in path or not host or "/" in host or host.startswith("."):
            self.send(400, b"bad request\n", send_body=body)
            return 400
        for top in (os.path.join(WORLD, "www"), os.path.join(WORLD, "www-default")):
            f = os.path.join(top, host, path.lstrip("/"))
            if os.path.isfile(f):
                with open(f, "rb") as fh:
                    data = fh.read()
                ctype = "text/xml" if data.lstrip().startswith(b"<?xml") else "text/plain"
                self.send(200, data, ctype + "; charset=utf-8", send_body=body)
                return 200
        self.send(404, b"not found\n", send_body=body)
        return 404

    def behave(self, what, host, url, body):
        q = urllib.parse.parse_qs(url.query)
        if what == "404":
            self.send(404, b"not found\n", send_body=body)
            return 404
        if what == "500":
            self.send(500, b"internal error\n", send_body=body)
            return 500
        if what == "malformed":
            self.send(200, MALFORMED, "text/xml; charset=utf-8", send_body=body)
            return 200
        if what == "redirect-http":
            self.send(301, b"moved\n", extra=[("Location", "http://%s%s" % (host, self.path))], send_body=body)
            return 301
        if what == "stall":
            self.log_now(0)
            self.wait_for_close(600)
            self.close_connection = True
            return 0
        if what in ("huge", "stall-body"):
            # No Content-Length: the body ends when the connection does.
            self.log_now(200)
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            if not body:
                return 200
            start = b'<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1">\n<!-- '
            try:
                self.wfile.write(start)
                if what == "stall-body":
                    self.wfile.flush()
                    self.wait_for_close(600)
                    return 200
                total = int((q.get("bytes") or ["268435456"])[0])
                chunk = b"x" * 65536
                sent = 0
                while sent < total:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except (OSError, ssl.SSLError):
                pass
            return 200
        self.send(500, ("unknown behaviour %s\n" % what).encode(), send_body=body)
        return 500

    def wait_for_close(self, seconds):
        """Sends nothing until the client closes or seconds pass."""
        end = time.time() + seconds
        sock = self.connection
        while time.time() < end:
            r, _, _ = select.select([sock], [], [], 1)
            if r:
                try:
                    if not sock.recv(4096):
                        return
                except (OSError, ssl.SSLError):
                    return


class TLSServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, ctx):
        self.ctx = ctx
        super().__init__(addr, Handler)

    def get_request(self):
        sock, peer = self.socket.accept()
        sock.settimeout(60)
        # The handshake runs in the request's thread (at its first read).
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), peer


def cmd_serve():
    a = addrs()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    tls = os.path.join(WORLD, "tls")
    ctx.load_cert_chain(os.path.join(tls, "world.pem"), os.path.join(tls, "world-key.pem"))

    def on_sni(sslsock, name, _ctx):
        try:
            sslsock.saatja_sni = name
        except AttributeError:
            pass
    ctx.sni_callback = on_sni
    udp_server(a["silent"], None)
    udp_server(a["loopdns"], loop_dns_answer)
    httpd = TLSServer((a["https"], 443), ctx)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print("serving https %s:443, silent dns %s:53, loop dns %s:53" % (a["https"], a["silent"], a["loopdns"]),
          file=sys.stderr, flush=True)
    httpd.serve_forever()


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "master-cf":
        sys.stdout.write(master_cf())
    elif cmd == "prepare":
        prepare()
    elif cmd == "start":
        cmd_start()
    elif cmd == "stop":
        cmd_stop()
    elif cmd == "status":
        sys.exit(cmd_status())
    elif cmd == "env":
        cmd_env()
    elif cmd == "run":
        cmd_run(sys.argv[2:])
    elif cmd == "serve":
        cmd_serve()
    else:
        print("usage: testnet.py master-cf|start|stop|status|env|run CMD...", file=sys.stderr)
        sys.exit(64)


if __name__ == "__main__":
    main()
