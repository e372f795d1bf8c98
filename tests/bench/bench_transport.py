#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench_transport.py - saatja's sendmail against msmtp on the test Postfix.

Not run by make check. Needs root (it starts tests/server/mailserver.sh),
msmtp and /usr/bin/time. Usage, from the top of a built tree:

    /usr/bin/python3 tests/bench/bench_transport.py [runs] [big-MB] [batch]
    /usr/bin/python3 tests/bench/bench_transport.py --delay [runs] [ms]

--delay puts a proxy between client and server that holds every chunk
ms milliseconds (default 25) each way, as a provider 2 x ms away would,
and sends one small message `runs` times (alternating) through it with
no delay, ms and 2 x ms, with saatja and msmtp, on 587 (STARTTLS) and
465 (implicit TLS). It prints the median wall time without and with ms,
and the round trips as the slope between ms and 2 x ms: (median at 2 x
ms - median at ms) / (2 x ms). The slope leaves out the client's own
stalls (a delayed ACK runs while the packet is on its way), which a
slope from no delay would count against the delay. "after the greeting"
leaves out what the server's first words cost: half a round trip on
587; on 465 the TLS handshake before them too (one and a half).

Prints, for one small message over STARTTLS + AUTH PLAIN: the median wall
time of `runs` alternating runs of each (and of saatja with an OAuth2
account whose stored token is valid, AUTH XOAUTH2: no refresh, so the
helper program does not run), the dialogue turns (writes that
wait for a reply, from -v output), and the peak RSS (from /usr/bin/time -v)
of each for a message of big-MB megabytes; then the cost of `batch`
messages: as that many runs of each client, and as saatja's queue does it
(batch runs of sendmail -odq, then one sendmail -q over one connection).
"""
import base64
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SENDMAIL = os.environ.get("SAATJA_SENDMAIL", os.path.join(TOP, "sendmail", "sendmail"))
STATE = os.environ.get("SAATJA_TEST_STATE", "/tmp/saatja-test-server")
CA = os.path.join(STATE, "ca.pem")
USER, PASSWORD = "arved@firma.test", "arved-secret-1"
PORT = int(os.environ.get("SAATJA_TEST_SUBMISSION_PORT", "2587"))
SMTPS = int(os.environ.get("SAATJA_TEST_SMTPS_PORT", "2465"))
OAUTH_PORT = int(os.environ.get("SAATJA_TEST_OAUTH_PORT", PORT + 1))
OAUTH_CONTROL = int(os.environ.get("SAATJA_TEST_OAUTH_CONTROL_PORT", PORT + 2))
OAUTH_USER = "oauth@firma.test"
DELAY_MODE = sys.argv[1:2] == ["--delay"]
ARGS = sys.argv[2:] if DELAY_MODE else sys.argv[1:]
RUNS = int(ARGS[0]) if len(ARGS) > 0 else 20
BIG_MB = int(ARGS[1]) if len(ARGS) > 1 and not DELAY_MODE else 40
DELAY_MS = int(ARGS[1]) if len(ARGS) > 1 and DELAY_MODE else 25
BATCH = int(ARGS[2]) if len(ARGS) > 2 else 200
WORK = tempfile.mkdtemp(prefix="saatja-bench-")


def write(name, text, mode=0o600):
    p = os.path.join(WORK, name)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, mode)
    return p


def saatja_ini(port, implicit=False):
    return write("saatja-%d.ini" % port, """[saatja]
log = %s/saatja.log
queue = %s/queue
[%s]
host = 127.0.0.1
port = %d
tls = %s
ca_file = %s
password = %s
""" % (WORK, WORK, USER, port, "tls" if implicit else "starttls", CA, PASSWORD))


def msmtprc(port, implicit=False):
    return write("msmtprc-%d" % port, """account bench
host 127.0.0.1
port %d
tls on
tls_starttls %s
tls_trust_file %s
auth plain
user %s
password %s
from %s
account default : bench
""" % (port, "off" if implicit else "on", CA, USER, PASSWORD, USER))


SAATJA_INI = saatja_ini(PORT)
OAUTH_INI = write("oauth.ini", """[saatja]
log = %s/saatja.log
queue = %s/queue
[%s]
host = 127.0.0.1
port = %d
tls = starttls
ca_file = %s
auth = xoauth2
oauth_client_id = saatja-test-bench
oauth_device_url = https://localhost:%d/devicecode
oauth_token_url = https://localhost:%d/token
oauth_token_file = %s/token
""" % (WORK, WORK, OAUTH_USER, PORT, CA, OAUTH_PORT, OAUTH_PORT, WORK))
MSMTPRC = msmtprc(PORT)
SMALL = write("small.eml", "From: %s\nTo: bench@example.test\nSubject: bench\n\n"
              "a short message\n" % USER)

SMALL_OAUTH = write("small-oauth.eml", "From: %s\nTo: bench@example.test\nSubject: bench\n\n"
                    "a short message\n" % OAUTH_USER)

CLIENTS = {
    "saatja": [SENDMAIL, "-C", SAATJA_INI, "-t", "-i"],
    "msmtp": ["msmtp", "-C", MSMTPRC, "-t"],
}


def store_oauth_token():
    """A valid token for OAUTH_INI, got from the test token service by the
    device flow, written as saatja's token store keeps it."""
    import json
    import ssl
    import urllib.parse
    import urllib.request
    ctx = ssl.create_default_context(cafile=CA)
    svc = "https://localhost:%d" % OAUTH_PORT

    def post(path, form):
        req = urllib.request.Request(svc + path, urllib.parse.urlencode(form).encode())
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return json.load(r)
    d = post("/devicecode", {"client_id": "saatja-test-bench", "scope": "mail"})
    urllib.request.urlopen(urllib.request.Request(
        "http://127.0.0.1:%d/control/device?user_code=%s&user=%s" % (
            OAUTH_CONTROL, d["user_code"], OAUTH_USER), method="POST"), timeout=10).read()
    t = post("/token", {"client_id": "saatja-test-bench", "device_code": d["device_code"],
                        "grant_type": "urn:ietf:params:oauth:grant-type:device_code"})
    write("token", "account %s\nrefresh_token %s\naccess_token %s\nexpires %d\n" % (
        OAUTH_USER, t["refresh_token"], t["access_token"], time.time() + t["expires_in"]))


def run(argv, path, extra=()):
    with open(path, "rb") as f:
        start = time.perf_counter()
        p = subprocess.run(list(argv) + list(extra), stdin=f, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        took = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit("%s failed (%d): %s" % (argv[0], p.returncode, p.stderr.decode()[-500:]))
    return took, (p.stderr + p.stdout).decode("utf-8", "replace")


def turns(trace, client, server):
    """Client-to-server direction changes in a -v dialogue."""
    n, last = 0, None
    for line in trace.splitlines():
        d = "c" if line.startswith(client) else "s" if line.startswith(server) else None
        if d == "s" and last == "c":
            n += 1
        if d:
            last = d
    return n


def peak_rss(argv, path):
    _, err = run(["/usr/bin/time", "-v"] + argv, path)
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))


def delay_proxy(upstream, delay):
    """A loopback port that forwards to upstream, holding every chunk
    delay seconds in each direction (order kept, no coalescing)."""
    import collections
    import socket
    import threading

    def pump(src, dst):
        q, cv, done = collections.deque(), threading.Condition(), []

        def reader():
            while True:
                try:
                    data = src.recv(65536)
                except OSError:
                    data = b""
                with cv:
                    q.append((time.monotonic() + delay, data))
                    cv.notify()
                if not data:
                    return

        def writer():
            while True:
                with cv:
                    while not q:
                        cv.wait()
                    due, data = q.popleft()
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                try:
                    if not data:
                        dst.shutdown(socket.SHUT_WR)
                        return
                    dst.sendall(data)
                except OSError:
                    return

        for fn in (reader, writer):
            threading.Thread(target=fn, daemon=True).start()

    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(64)

    def accept():
        while True:
            c, _ = lst.accept()
            u = socket.create_connection(("127.0.0.1", upstream))
            for sk in (c, u):
                sk.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pump(c, u)
            pump(u, c)

    threading.Thread(target=accept, daemon=True).start()
    return lst.getsockname()[1]


def delay_main():
    """Round trips and wall time through a delay proxy (see the top)."""
    d = DELAY_MS / 1000.0
    rows = []
    for name, port, implicit in (("587 STARTTLS", PORT, False),
                                 ("465 implicit TLS", SMTPS, True)):
        ports = {0: delay_proxy(port, 0.0), DELAY_MS: delay_proxy(port, d),
                 2 * DELAY_MS: delay_proxy(port, 2 * d)}
        clients = {}
        for ms, p in ports.items():
            clients[("saatja", ms)] = [SENDMAIL, "-C", saatja_ini(p, implicit), "-t", "-i"]
            clients[("msmtp", ms)] = ["msmtp", "-C", msmtprc(p, implicit), "-t"]
        times = {k: [] for k in clients}
        for k in clients:
            run(clients[k], SMALL)
        for _ in range(RUNS):
            for k in clients:
                times[k].append(run(clients[k], SMALL)[0])
        greeting = 0.5 if not implicit else 1.5
        for client in ("saatja", "msmtp"):
            t0 = statistics.median(times[(client, 0)])
            t1 = statistics.median(times[(client, DELAY_MS)])
            t2 = statistics.median(times[(client, 2 * DELAY_MS)])
            trips = (t2 - t1) / (2 * d)
            rows.append((client, name, t0, t1, trips, trips - greeting))
    print("one small message through a proxy adding %d ms each way (RTT %d ms), "
          "%d alternating runs each, medians; round trips from %d to %d ms:" % (
              DELAY_MS, 2 * DELAY_MS, RUNS, DELAY_MS, 2 * DELAY_MS))
    print("  %-7s %-17s %10s %10s %12s %14s" % ("client", "port", "no delay",
                                              "%d ms" % DELAY_MS, "round trips",
                                              "after greeting"))
    for client, name, t0, t1, trips, after in rows:
        print("  %-7s %-17s %7.1f ms %7.1f ms %12.2f %14.2f" % (
            client, name, 1000 * t0, 1000 * t1, trips, after))


def main():
    if subprocess.run([os.path.join(TOP, "tests", "server", "mailserver.sh"), "start"],
                      stdout=subprocess.DEVNULL).returncode != 0:
        sys.exit("cannot start the test server")
    if DELAY_MODE:
        return delay_main()
    store_oauth_token()
    small = dict(CLIENTS)
    small["saatja-xoauth2"] = [SENDMAIL, "-C", OAUTH_INI, "-t", "-i"]
    msg = {k: SMALL_OAUTH if k == "saatja-xoauth2" else SMALL for k in small}
    times = {k: [] for k in small}
    for k in small:           # warm up caches once
        run(small[k], msg[k])
    for _ in range(RUNS):
        for k in small:       # alternate, so drift hits all alike
            times[k].append(run(small[k], msg[k])[0])
    print("one small message, STARTTLS + AUTH PLAIN (XOAUTH2 with a stored valid token), "
          "%d alternating runs each:" % RUNS)
    for k, t in times.items():
        print("  %-14s median %6.1f ms  min %6.1f ms  max %6.1f ms" % (
            k, 1000 * statistics.median(t), 1000 * min(t), 1000 * max(t)))
    print("  XOAUTH2 with a stored token minus password: %+.2f ms (median)" % (
        1000 * (statistics.median(times["saatja-xoauth2"]) - statistics.median(times["saatja"]))))
    _, tr = run(CLIENTS["saatja"], SMALL, ["-v"])
    print("  saatja  dialogue turns after connect: %d (+ TLS handshake)" % turns(tr, ">>>", "<<<"))
    _, tr = run(CLIENTS["msmtp"], SMALL, ["-v"])
    print("  msmtp   dialogue turns after connect: %d (+ TLS handshake)" % turns(tr, "-->", "<--"))

    big = os.path.join(WORK, "big.eml")
    with open(big, "wb") as f:
        f.write(("From: %s\nTo: bench@example.test\nSubject: big\nMIME-Version: 1.0\n"
                 "Content-Type: application/octet-stream\n"
                 "Content-Transfer-Encoding: base64\n\n" % USER).encode())
        f.write(base64.encodebytes(os.urandom(BIG_MB * 1024 * 1024 * 3 // 4)))
    print("a %.1f MB message:" % (os.path.getsize(big) / 1e6))
    for k in CLIENTS:
        t, _ = run(CLIENTS[k], big)
        print("  %-7s %5.2f s wall, peak RSS %d KiB" % (k, t, peak_rss(CLIENTS[k], big)))

    print("%d small messages:" % BATCH)
    results = {}
    for k in CLIENTS:
        start = time.perf_counter()
        for _ in range(BATCH):
            run(CLIENTS[k], SMALL)
        results[k] = time.perf_counter() - start
        print("  %-7s %d runs: %6.2f s, %5.1f ms a message" % (
            k, BATCH, results[k], 1000 * results[k] / BATCH))
    start = time.perf_counter()
    for _ in range(BATCH):
        run(CLIENTS["saatja"], SMALL, ["-odq"])
    queued = time.perf_counter() - start
    start = time.perf_counter()
    run([SENDMAIL, "-C", SAATJA_INI, "-q"], os.devnull)
    flushed = time.perf_counter() - start
    print("  saatja  %d x -odq: %.2f s (%.1f ms each); one -q run: %.2f s "
          "(%.1f ms a message, one connection)" % (
              BATCH, queued, 1000 * queued / BATCH, flushed, 1000 * flushed / BATCH))
    print("  ratio msmtp / saatja: runs %.1fx, queue run alone %.1fx" % (
        results["msmtp"] / results["saatja"], results["msmtp"] / flushed))


if __name__ == "__main__":
    main()
