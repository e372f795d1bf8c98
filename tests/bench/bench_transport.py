#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench_transport.py - saatja's sendmail against msmtp on the test Postfix.

Not run by make check. Needs root (it starts tests/server/mailserver.sh),
msmtp, /usr/bin/time and unshare (util-linux). Usage, from the top of a
built tree:

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

Every client verifies the server against the system trust store, as
users run them: the script runs itself again in a private mount
namespace (unshare -m) in which a copy of
/etc/ssl/certs/ca-certificates.crt with the test CA added is bind-mounted
over the real one; the machine's own store is never changed. Beside it,
the same clients with ca_file (msmtp: tls_trust_file) = the test CA
alone, in the same alternating runs: first the ratios the project aims
at (doc/PERFORMANCE.md), system store / ca_file, for one message, a -bs
session and --check (median wall <= 1.15x, median user+sys CPU <= 1.25x,
peak RSS <= 6.5 MiB, also for the big message). SAATJA_BENCH_BASELINE=
another build's sendmail adds it to that table as "before";
SAATJA_BENCH_TRUST_ONLY=1 stops after it.

Then, for one small message over STARTTLS + AUTH PLAIN: the median wall
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
import resource
import shutil
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


SYSTEM_STORE = "/etc/ssl/certs/ca-certificates.crt"
IN_NAMESPACE = "SAATJA_BENCH_STORE"


def saatja_ini(port, implicit=False, ca_file=None):
    """A config for the test server: the system store, or ca_file."""
    return write("saatja-%d%s.ini" % (port, "-ca" if ca_file else ""), """[saatja]
log = %s/saatja.log
queue = %s/queue
[%s]
host = 127.0.0.1
port = %d
tls = %s
%spassword = %s
""" % (WORK, WORK, USER, port, "tls" if implicit else "starttls",
       "ca_file = %s\n" % ca_file if ca_file else "", PASSWORD))


def msmtprc(port, implicit=False, ca_file=None):
    return write("msmtprc-%d%s" % (port, "-ca" if ca_file else ""), """account bench
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
""" % (port, "off" if implicit else "on", ca_file or "system", USER, PASSWORD, USER))


SAATJA_INI = saatja_ini(PORT)
OAUTH_INI = write("oauth.ini", """[saatja]
log = %s/saatja.log
queue = %s/queue
[%s]
host = 127.0.0.1
port = %d
tls = starttls
auth = xoauth2
oauth_client_id = saatja-test-bench
oauth_device_url = https://localhost:%d/devicecode
oauth_token_url = https://localhost:%d/token
oauth_token_file = %s/token
""" % (WORK, WORK, OAUTH_USER, PORT, OAUTH_PORT, OAUTH_PORT, WORK))
MSMTPRC = msmtprc(PORT)
SMALL = write("small.eml", "From: %s\nTo: bench@example.test\nSubject: bench\n\n"
              "a short message\n" % USER)

SMALL_OAUTH = write("small-oauth.eml", "From: %s\nTo: bench@example.test\nSubject: bench\n\n"
                    "a short message\n" % OAUTH_USER)

SAATJA_CA_INI = saatja_ini(PORT, ca_file=CA)
CLIENTS = {
    "saatja": [SENDMAIL, "-C", SAATJA_INI, "-t", "-i"],
    "msmtp": ["msmtp", "-C", MSMTPRC, "-t"],
}
# The same, verifying with the test CA alone.
CA_CLIENTS = {
    "saatja": [SENDMAIL, "-C", SAATJA_CA_INI, "-t", "-i"],
    "msmtp": ["msmtp", "-C", msmtprc(PORT, ca_file=CA), "-t"],
}
# A -bs session: one message in SMTP on stdin and out.
BS_SESSION = write("session.smtp", "EHLO bench.test\r\nMAIL FROM:<%s>\r\n"
                   "RCPT TO:<bench@example.test>\r\nDATA\r\nFrom: %s\r\n"
                   "To: bench@example.test\r\nSubject: bench -bs\r\n\r\n"
                   "a short message\r\n.\r\nQUIT\r\n" % (USER, USER))


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


LAST_CPU = [0.0]


def run(argv, path, extra=()):
    """Runs argv with the file path on stdin: (wall seconds, output); the
    run's user+sys CPU seconds are left in LAST_CPU[0]."""
    with open(path, "rb") as f:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        p = subprocess.run(list(argv) + list(extra), stdin=f, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        took = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
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


def enter_store_namespace():
    """Runs this script again in a private mount namespace whose system
    store is the machine's with the test CA added (see the top). The
    server is started before, outside it."""
    if os.environ.get(IN_NAMESPACE):
        return
    if shutil.which("unshare") is None:
        sys.exit("unshare is needed (apt-get install util-linux)")
    store = os.path.join(WORK, "ca-certificates.crt")
    with open(store, "w") as out:
        for path in (SYSTEM_STORE, CA):
            with open(path) as f:
                text = f.read()
            out.write(text if text.endswith("\n") else text + "\n")
    env = dict(os.environ)
    env[IN_NAMESPACE] = store
    os.execvpe("unshare", ["unshare", "-m", "--propagation", "private", "sh", "-c",
                           'mount --bind "$0" %s && exec "$@"' % SYSTEM_STORE, store,
                           sys.executable] + sys.argv, env)


def median_runs(cmds, runs, warm=True):
    """{key: (median wall s, median CPU s)} of runs alternating runs of
    each (argv, stdin path) in cmds, the order reversed every round, after
    one run each to warm up."""
    got = {k: [] for k in cmds}
    for k, (argv, path) in cmds.items() if warm else ():
        run(argv, path)
    order = list(cmds)
    for _ in range(runs):
        for k in order:
            wall, _ = run(*cmds[k])
            got[k].append((wall, LAST_CPU[0]))
        order.reverse()     # so that no case always follows the same one
    return {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
            for k, v in got.items()}


RSS_GOAL_KIB = 6656      # 6.5 MiB
BIG_RUNS = int(os.environ.get("SAATJA_BENCH_BIG_RUNS", "3"))
# Another build's sendmail (say, of the commit before a change) measured
# beside this one, as "before", in the same alternating runs.
BASELINE = os.environ.get("SAATJA_BENCH_BASELINE")


def trust_main(big):
    """The system store against ca_file: the table and the ratios."""
    with open(SYSTEM_STORE) as f:
        count = f.read().count("-----BEGIN CERTIFICATE-----")
    saatja = {"one message": ("-t", "-i"), "-bs session": ("-bs",), "--check": ("--check",)}
    stdin = {"one message": SMALL, "-bs session": BS_SESSION, "--check": os.devnull}
    cmds = {}
    for what, args in saatja.items():
        for store, ini in (("system", SAATJA_INI), ("ca_file", SAATJA_CA_INI)):
            cmds[(what, "saatja", store)] = ([SENDMAIL, "-C", ini] + list(args), stdin[what])
    for store, clients in (("system", CLIENTS), ("ca_file", CA_CLIENTS)):
        cmds[("one message", "msmtp", store)] = (clients["msmtp"], SMALL)
    if BASELINE:
        for k in [k for k in cmds if k[1] == "saatja"]:
            argv, path = cmds[k]
            cmds[(k[0], "before", k[2])] = ([BASELINE] + argv[1:], path)
    med = median_runs(cmds, RUNS)
    rss = {k: peak_rss(*cmds[k]) for k in cmds}
    size = os.path.getsize(big) / 1e6
    cmds = {}
    for store, clients in (("system", CLIENTS), ("ca_file", CA_CLIENTS)):
        for client in ("saatja", "msmtp") + (("before",) if BASELINE else ()):
            argv = clients.get(client) or [BASELINE] + clients["saatja"][1:]
            cmds[("%.0f MB message" % size, client, store)] = (argv, big)
    med.update(median_runs(cmds, BIG_RUNS, warm=False))
    rss.update({k: peak_rss(*cmds[k]) for k in cmds})
    print("the system store (%d certificates, the test CA among them, in a private mount "
          "namespace) and ca_file = the test CA alone; %d alternating runs each, medians "
          "(the big message: %d):" % (count, RUNS, BIG_RUNS))
    print("  %-15s %-7s %-8s %9s %9s %13s" % ("what", "client", "store", "wall ms",
                                               "CPU ms", "peak RSS KiB"))
    for k in med:
        print("  %-15s %-7s %-8s %9.1f %9.1f %13d" % (k + (1000 * med[k][0],
                                                         1000 * med[k][1], rss[k])))
    print("system store / ca_file (goal: wall <= 1.15x, CPU <= 1.25x a message; peak RSS "
          "<= %d KiB, the big message too):" % RSS_GOAL_KIB)
    rows = [("saatja", w) for w, c, st in med if c == "saatja" and st == "system"]
    rows += [("before", w) for w, c, st in med if c == "before" and st == "system"]
    for client, what in rows + [("msmtp", "one message")]:
        a, b = med[(what, client, "system")], med[(what, client, "ca_file")]
        r = rss[(what, client, "system")]
        wall, cpu = a[0] / b[0], a[1] / b[1]
        # The time bounds are per (small) message: the big one's time is
        # the body's, where a millisecond of trust is lost in the noise.
        big_one = what.endswith("MB message")
        good = r <= RSS_GOAL_KIB and (big_one or (wall <= 1.15 and cpu <= 1.25))
        print("  %-6s %-15s wall %5.2fx  CPU %5.2fx  peak RSS %5d KiB  %s" % (
            client, what, wall, cpu, r, "" if client != "saatja" else
            "within the goal" if good else "MISSES THE GOAL"))


def main():
    if not os.environ.get(IN_NAMESPACE) and subprocess.run(
            [os.path.join(TOP, "tests", "server", "mailserver.sh"), "start"],
            stdout=subprocess.DEVNULL).returncode != 0:
        sys.exit("cannot start the test server")
    enter_store_namespace()
    if DELAY_MODE:
        return delay_main()
    big = os.path.join(WORK, "big.eml")
    with open(big, "wb") as f:
        f.write(("From: %s\nTo: bench@example.test\nSubject: big\nMIME-Version: 1.0\n"
                 "Content-Type: application/octet-stream\n"
                 "Content-Transfer-Encoding: base64\n\n" % USER).encode())
        f.write(base64.encodebytes(os.urandom(BIG_MB * 1024 * 1024 * 3 // 4)))
    trust_main(big)
    if os.environ.get("SAATJA_BENCH_TRUST_ONLY"):
        return
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
