#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The chaos soak: the built sendmail against the real test servers while
things break, then one check of the promise in man/sendmail.8 (DELIVERY
MODES, the queue): a message that sendmail accepted (exit 0, a failure
kept in the failed area, or 250 in -bs) is delivered to each of its
recipients, or a failure notice says it was not; nothing a caller was
told was refused (could not even be queued) is delivered.

    tests/soak/soak.py --build BUILD [--short | -n N] [--callers K] [--seed S]

Needs root (the Postfix test server, tests/server/mailserver.sh). Load:
parallel callers in -odi, -odb, -odq and -bs (several transactions a
session), -t and argv recipients, small and 2 MB bodies, three accounts
(Postfix with a password and with OAuth2 XOAUTH2, the fault server, and
one with max_per_hour), queue runs every
few seconds, overlapping. Faults at random moments: kill -9 of senders,
background children and queue runs; the fault server refusing (4xx and
5xx), stalling, disconnecting at each step and answering 452 to long
recipient lists; Postfix stopped and started; the token service failing
refreshes with 503 and revoking the grant (the user then signs in
again); the queue's file system
filled and freed (a tmpfs in a mount namespace of the soak's own; the
machine's mounts are never changed); the max_per_hour limit reached.

Then the faults stop, the limit is lifted, and sendmail -q runs until
only the failed area is left. The last line is the figure:

    soak: N accepted, N delivered, N failed with notice, lost 0, ...

and the exit status is 0 only when nothing was lost, nothing refused was
delivered, every envelope parses and nothing (temporary file, orphan,
process) is left behind once stale. doc/RELIABILITY.md says what the
numbers mean.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
PYTHON = "/usr/bin/python3"

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("--build", default=os.environ.get("SAATJA_BUILDDIR", "."),
                help="the build directory (holds sendmail/sendmail)")
ap.add_argument("-n", type=int, default=10000, help="messages (default 10000)")
ap.add_argument("--short", action="store_true", help="about 1000 messages, for CI")
ap.add_argument("--callers", type=int, default=6, help="parallel callers")
ap.add_argument("--seed", type=int, default=None)
ap.add_argument("--no-namespace", action="store_true",
                help="(internal) already inside the soak's mount namespace")
ARGS = ap.parse_args()
if ARGS.short:
    ARGS.n = 1000

os.environ["SAATJA_SENDMAIL"] = os.path.join(os.path.abspath(ARGS.build), "sendmail", "sendmail")
os.environ["SAATJA_OAUTH_HELPER"] = os.path.join(os.path.abspath(ARGS.build), "oauth", "saatja-oauth")
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
import mailserver                                   # noqa: E402
from saatja_test import Config, queue_files         # noqa: E402

SENDMAIL = os.environ["SAATJA_SENDMAIL"]
SEED = ARGS.seed if ARGS.seed is not None else random.randrange(1 << 30)
RUN = "soak%s" % uuid.uuid4().hex[:12]     # this run's mail, whatever the seed
PF_CONF = os.path.join(mailserver.STATE, "postfix")


def say(text):
    print("# " + text, flush=True)


# ------------------------------------------------------------ namespace ---

def enter_namespace():
    """Re-runs this soak in a mount namespace of its own, where the queue
    can live on a small tmpfs that the soak fills. None when it runs
    there; else why the disk-full fault is left out."""
    if ARGS.no_namespace:
        return None
    if os.geteuid() != 0:
        sys.exit("soak: needs root, for the Postfix test server (tests/server/mailserver.sh)")
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                           stderr=subprocess.PIPE)
    if probe.returncode != 0:
        return ("no private mount namespace here (/ is not a mount point, as in a "
                "chroot): %s" % probe.stderr.decode(errors="replace").strip())
    argv = ["unshare", "-m", "--propagation", "private", PYTHON, os.path.abspath(__file__),
            "--no-namespace", "--build", ARGS.build, "-n", str(ARGS.n),
            "--callers", str(ARGS.callers), "--seed", str(SEED)]
    os.execvp("unshare", argv)


NO_DISK_FAULT = enter_namespace()
RNG = random.Random(SEED)

# --------------------------------------------------------------- set-up ---

WORK = tempfile.mkdtemp(prefix="saatja-soak-")
SPOOL = os.path.join(WORK, "spool")
os.mkdir(SPOOL)
if ARGS.no_namespace:
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m,mode=0700", "soak", SPOOL],
                   check=True)
QUEUE = os.path.join(SPOOL, "queue")

mailserver.server()
FS_WORK = os.path.join(WORK, "faults")
os.mkdir(FS_WORK)
FS_SCRIPT = os.path.join(FS_WORK, "script.json")
FS_MAIL = os.path.join(FS_WORK, "mail")
CERTDIR = os.path.join(tempfile.gettempdir(), "saatja-faultserver-certs")


def fault_script(script):
    with open(FS_SCRIPT + ".new", "w") as f:
        json.dump(script, f)
    os.replace(FS_SCRIPT + ".new", FS_SCRIPT)


fault_script({})
FAULTSERVER = subprocess.Popen(
    [PYTHON, os.path.join(SRC, "tests", "server", "faultserver.py"), "--port", "0",
     "--script", FS_SCRIPT, "--certdir", CERTDIR, "--maildir", FS_MAIL],
    stdout=subprocess.PIPE, stderr=open(os.path.join(FS_WORK, "err"), "wb"))
FS_PORT = int(FAULTSERVER.stdout.readline().split()[1])

POSTFIX = "arved@firma.test"        # the real Postfix
FAULTY = "raamat@firma.test"        # the fault server
LIMITED = "appuser@gmail.test"      # Postfix, with max_per_hour
OAUTHED = "oauth@firma.test"        # Postfix, XOAUTH2 with the token service
CLIENT = "saatja-test-%s" % RUN
OAUTH_PORT = int(os.environ.get("SAATJA_TEST_OAUTH_PORT", mailserver.SUBMISSION + 1))
CONTROL = int(os.environ.get("SAATJA_TEST_OAUTH_CONTROL_PORT", mailserver.SUBMISSION + 2))
SERVICE = "https://localhost:%d" % OAUTH_PORT
RATE = max(20, ARGS.n // 40)


def write_config(limit=True):
    text = """\
[saatja]
queue = {queue}
log = {work}/saatja.log
default = {postfix}

[{postfix}]
host = 127.0.0.1
port = {sub}
tls = starttls
ca_file = {ca}
password = "{pw1}"
timeout = 10

[{limited}]
host = 127.0.0.1
port = {sub}
tls = starttls
ca_file = {ca}
password = "{pw2}"
timeout = 10
{rate}
[{oauthed}]
host = 127.0.0.1
port = {sub}
tls = starttls
ca_file = {ca}
auth = xoauth2
oauth_client_id = {client}
oauth_token_url = {service}/token
oauth_device_url = {service}/devicecode
oauth_scope = mail
timeout = 10

[{faulty}]
host = 127.0.0.1
port = {fs}
tls = starttls
ca_file = {certdir}/ca.pem
password = "fault-secret-1"
timeout = 3
""".format(queue=QUEUE, work=WORK, postfix=POSTFIX, limited=LIMITED, faulty=FAULTY,
           oauthed=OAUTHED, client=CLIENT, service=SERVICE,
           sub=mailserver.SUBMISSION, ca=mailserver.CA, fs=FS_PORT, certdir=CERTDIR,
           pw1=mailserver.USERS[POSTFIX], pw2=mailserver.USERS[LIMITED],
           rate="max_per_hour = %d\n" % RATE if limit else "")
    with open(CFG.path + ".new", "w") as f:
        f.write(text)
    os.chmod(CFG.path + ".new", 0o600)
    os.replace(CFG.path + ".new", CFG.path)


CFG = Config("")
write_config()


def ctl(path, **args):
    """A control request to the token service (tests/server/README.md)."""
    method = "GET" if path == "device" and "client" in args else "POST"
    url = "http://127.0.0.1:%d/control/%s?%s" % (CONTROL, path, urllib.parse.urlencode(args))
    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as r:
        return json.load(r)


def authorize():
    """sendmail --authorize by the device flow, the user agreeing; access
    tokens last 90 s, so senders refresh them every 30 s."""
    ctl("set", client=CLIENT, user=OAUTHED, access_ttl=90)
    p = subprocess.Popen([SENDMAIL, "-C", CFG.path, "--authorize", OAUTHED],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    text = ""
    while True:
        line = p.stdout.readline().decode()
        if not line:
            break
        text += line
        m = re.search(r"enter the code:\s*\n\s+(\S+)\n", text)
        if m:
            ctl("device", user_code=m.group(1), action="approve", user=OAUTHED)
            break
    text += p.stdout.read().decode()
    if p.wait(timeout=120) != 0:
        sys.exit("soak: sendmail --authorize %s failed:\n%s" % (OAUTHED, text))


authorize()

# ---------------------------------------------------------------- books ---

LOCK = threading.Lock()
MSGS = {}          # index -> {"rcpts": [...], "account": a, "status": ...}
COUNT = {"kills": 0, "faults": 0, "runs": 0, "disk_full": 0, "postfix_stops": 0,
         "fault_scripts": 0, "refresh_5xx": 0, "grant_revoked": 0}
PROCS = set()      # live sendmail Popen objects (senders and runs)
STOP = threading.Event()
NEXT = [0]


def count(key, n=1):
    with LOCK:
        COUNT[key] += n


def take_index(k=1):
    with LOCK:
        if NEXT[0] >= ARGS.n:
            return []
        got = list(range(NEXT[0], min(ARGS.n, NEXT[0] + k)))
        NEXT[0] += len(got)
        return got


def token(i):
    return "%s-%06d" % (RUN, i)


def plan_message(i):
    """Account, recipients and message text of message i."""
    r = RNG.random()
    account = POSTFIX if r < 0.45 else FAULTY if r < 0.70 else OAUTHED if r < 0.85 \
        else LIMITED
    n = RNG.choice([1, 1, 1, 2, 3]) if RNG.random() > 0.05 else 8
    domain = "bulk.test" if account != FAULTY else "example.test"
    rcpts = ["m%06d-%d@%s" % (i, k, domain) for k in range(n)]
    big = RNG.random() < 0.01
    body = ("line %d of a big body, soak filler text............\n" * 40000) if big \
        else "body of %s\n" % token(i)
    text = "From: %s\nTo: %s\nSubject: %s\n\n%s" % (account, ", ".join(rcpts), token(i), body)
    with LOCK:
        MSGS[i] = {"rcpts": rcpts, "account": account, "status": "pending"}
    return account, rcpts, text


def settle(i, code, said=None):
    """Records how the caller was answered: accepted, refused (not even
    queued) or unconfirmed (killed before it could say)."""
    if code is None or code < 0:
        status = "unconfirmed"
    elif code in (71, 73, 74):
        status = "refused"
    elif code in (0, 67, 69, 76, 77):
        status = "accepted"     # delivered, queued, or failed with notice
    else:
        status = "odd exit %d" % code
    with LOCK:
        MSGS[i]["status"] = status
        MSGS[i]["code"] = said or "exit %s" % code


def run(argv, stdin=None, timeout=600):
    p = subprocess.Popen([SENDMAIL, "-C", CFG.path] + argv, stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with LOCK:
        PROCS.add(p)
    try:
        try:
            if stdin:
                p.stdin.write(stdin)
            p.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            return p.wait()
    finally:
        with LOCK:
            PROCS.discard(p)


# -------------------------------------------------------------- callers ---

def send_one(i):
    account, rcpts, text = plan_message(i)
    mode = RNG.choice(["-odi", "-odi", "-odi", "-odb", "-odq"])
    if RNG.random() < 0.5:
        argv = [mode, "-t"]
    else:
        argv = [mode, "-f", account] + rcpts
    settle(i, run(argv, text.encode()))


class BsSession:
    """sendmail -bs driven as an SMTP client would."""

    def __init__(self):
        self.p = subprocess.Popen([SENDMAIL, "-C", CFG.path, "-bs"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        with LOCK:
            PROCS.add(self.p)

    def reply(self):
        while True:
            line = self.p.stdout.readline()
            if not line:
                return None
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]) if line[:3].isdigit() else None

    def cmd(self, text):
        try:
            self.p.stdin.write(text.encode() + b"\r\n")
            self.p.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        return self.reply()

    def send(self, i):
        account, rcpts, text = plan_message(i)
        code = self.cmd("MAIL FROM:<%s>" % account)
        for r in rcpts:
            if code == 250:
                code = self.cmd("RCPT TO:<%s>" % r)
        if code == 250:
            code = self.cmd("DATA")
        if code != 354:     # nothing was queued
            settle(i, None if code is None else 74, "-bs %s" % code)
            if code is not None:
                self.cmd("RSET")
            return code is not None
        data = "".join(("." + l if l.startswith(".") else l) + "\r\n"
                       for l in text.split("\n"))
        code = self.cmd(data + ".")
        # After the data: 250 queued, 5xx failed for good (kept in the
        # failed area, as exit 69), 4xx nothing queued (man/sendmail.8).
        settle(i, None if code is None else 74 if code // 100 == 4 else 0,
               "-bs %s" % code)
        return code is not None

    def close(self):
        self.cmd("QUIT")
        try:
            self.p.stdin.close()
        except OSError:
            pass
        self.p.wait(timeout=600)
        with LOCK:
            PROCS.discard(self.p)


def bs_session():
    idx = take_index(RNG.randint(2, 4))
    if not idx:
        return
    s = BsSession()
    alive = s.reply() == 220 and s.cmd("EHLO soak.test") == 250
    for i in idx:
        if alive:
            alive = s.send(i)
        else:
            plan_message(i)
            settle(i, None)
    s.close()


def caller():
    while not STOP.is_set():
        if RNG.random() < 0.15:
            with LOCK:
                left = NEXT[0] < ARGS.n
            if not left:
                return
            bs_session()
            continue
        idx = take_index()
        if not idx:
            return
        send_one(idx[0])


def runner():
    """Queue runs every few seconds, overlapping."""
    while not STOP.is_set():
        threading.Thread(target=lambda: run(["-q"]), daemon=True).start()
        count("runs")
        STOP.wait(RNG.uniform(1.0, 4.0))


# ---------------------------------------------------------------- chaos ---

FAULT_SCRIPTS = [
    {"greeting": "421 4.3.2 busy, try later"},
    {"greeting": "554 5.3.2 no service for you"},
    {"ehlo": "451 4.3.0 try again"},
    {"auth": "454 4.7.0 temporary authentication failure"},
    {"auth": "535 5.7.8 authentication failed"},
    {"mail": "451 4.3.0 mail later"},
    {"mail": "550 5.7.1 sender refused"},
    {"rcpt": "450 4.2.0 mailbox busy"},
    {"rcpt": "550 5.1.1 no such user"},
    {"rcpt": {"2": "550 5.1.1 no such user", "default": None}},
    {"rcpt_limit": 3},
    {"data": "451 4.3.0 not now"},
    {"data_end": "451 4.3.0 queue trouble"},
    {"data_end": "554 5.6.0 refused content"},
    {"mail": {"disconnect": True}},
    {"rcpt": {"disconnect": True}},
    {"data_read": {"after_bytes": 100, "disconnect": True}},
    {"data_end": {"disconnect": True}},
    {"greeting": {"stall": 5, "reply": "220 slow.test ESMTP"}},
    {"mail": {"stall": 5, "reply": "250 2.1.0 Ok"}},
    {"handshake": {"disconnect": True}},
]


def postfix(action):
    return subprocess.run(["/usr/sbin/postfix", "-c", PF_CONF, action],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


def postfix_up():
    for _ in range(100):
        if postfix("status") == 0:
            return True
        postfix("start")
        time.sleep(0.3)
    return False


def fill_disk():
    path = os.path.join(SPOOL, "filler")
    chunk = b"\0" * (1 << 20)
    try:
        with open(path, "wb") as f:
            while True:
                f.write(chunk)
                f.flush()
    except OSError:
        pass
    return path


def kill_one():
    r = subprocess.run(["pgrep", "-f", "--", CFG.path], stdout=subprocess.PIPE)
    pids = [int(p) for p in r.stdout.split()]
    if not pids:
        return
    try:
        os.kill(RNG.choice(pids), signal.SIGKILL)
        count("kills")
    except ProcessLookupError:
        pass


BUSY = set()       # long faults under way (each runs in a thread of its own)


def long_fault(name, fn):
    """Runs fn in a thread unless a fault called name is under way, so
    that kills and refusals go on during an outage."""
    with LOCK:
        if name in BUSY:
            return
        BUSY.add(name)

    def go():
        try:
            fn()
        finally:
            with LOCK:
                BUSY.discard(name)
    count("faults")
    threading.Thread(target=go, daemon=True).start()


def postfix_outage():
    postfix("stop")
    count("postfix_stops")
    STOP.wait(RNG.uniform(1.0, 4.0))
    postfix_up()


def grant_revoked():
    ctl("revoke", client=CLIENT)
    count("grant_revoked")
    STOP.wait(RNG.uniform(1.0, 4.0))
    authorize()     # the user signs in again


def disk_full():
    path = fill_disk()
    count("disk_full")
    STOP.wait(RNG.uniform(0.5, 2.0))
    os.unlink(path)


def chaos():
    while not STOP.is_set():
        STOP.wait(RNG.uniform(0.2, 1.0))
        if STOP.is_set():
            break
        r = RNG.random()
        if r < 0.45:
            kill_one()
        elif r < 0.80:
            fault_script(RNG.choice(FAULT_SCRIPTS + [{}] * 4))
            count("faults")
            count("fault_scripts")
        elif r < 0.84:
            ctl("set", client=CLIENT, refresh_fail=RNG.randint(1, 5))
            count("faults")
            count("refresh_5xx")
        elif r < 0.86:
            long_fault("revoke", grant_revoked)
        elif r < 0.93:
            long_fault("postfix", postfix_outage)
        elif NO_DISK_FAULT is None:
            long_fault("disk", disk_full)
    with LOCK:
        busy = bool(BUSY)
    while busy:
        time.sleep(0.2)
        with LOCK:
            busy = bool(BUSY)


# ---------------------------------------------------------------- check ---

SUBJECT = re.compile(rb"^Subject: (Undelivered Mail: )?(%s-(\d{6}))" % RUN.encode(), re.M)


def read_env(path):
    env = {"to": []}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            if k == "to":
                env["to"].append(v.strip("<>"))
            else:
                env[k] = v
    return env


def deliveries():
    """({(i, rcpt): copies}, {i: [notice text]}) from both servers."""
    copies, notices = {}, {}

    def add(data, rcpts):
        m = SUBJECT.search(data[:65536])
        if not m:
            return
        i = int(m.group(3))
        if m.group(1):
            notices.setdefault(i, []).append(data.decode("utf-8", "replace"))
            return
        for r in rcpts:
            copies[(i, r)] = copies.get((i, r), 0) + 1

    for env, data in mailserver.delivered_by_token(RUN):
        add(data, [t.strip("<>") for t in env["to"]])
    for name in os.listdir(FS_MAIL):
        if not name.endswith(".env"):
            continue
        env = read_env(os.path.join(FS_MAIL, name))
        if env.get("complete") != "yes" or not env.get("reply", "").startswith("250"):
            continue
        with open(os.path.join(FS_MAIL, name[:-4] + ".eml"), "rb") as f:
            add(f.read(), env["to"])
    return copies, notices


def failed_area():
    """{i: [notice text]} of failure notices kept in the failed area, and
    the set of messages kept there."""
    kept, notices = set(), {}
    for qid, (env, fields, body) in queue_files(os.path.join(QUEUE, "failed")).items():
        text = "\n".join("%s: %s" % kv for kv in fields)
        m = SUBJECT.search(text.encode())
        if not m:
            continue
        i = int(m.group(3))
        if m.group(1):
            notices.setdefault(i, []).append(text + "\n" + body.decode("utf-8", "replace"))
        else:
            kept.add(i)
    return kept, notices


def mailq():
    r = subprocess.run([SENDMAIL, "-C", CFG.path, "-bp", "--json"], stdout=subprocess.PIPE)
    return [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]


def leftovers():
    """Temporary files and orphans: what a killed process left."""
    out = [os.path.join("tmp", n) for n in os.listdir(os.path.join(QUEUE, "tmp"))]
    for d in ("", "failed"):
        names = set(os.listdir(os.path.join(QUEUE, d)))
        for n in names:
            m = re.match(r"^([0-9A-F]{10})\.(body|state)$", n)
            if m and m.group(1) + ".env" not in names and \
                    not os.path.exists(os.path.join(QUEUE, m.group(1) + ".env")) and \
                    not os.path.exists(os.path.join(QUEUE, "failed", m.group(1) + ".env")):
                out.append(os.path.join(d, n))
    return sorted(out)


def processes():
    r = subprocess.run(["pgrep", "-f", "--", CFG.path], stdout=subprocess.PIPE)
    return [int(p) for p in r.stdout.split()]


def wait_for(what, cond, seconds):
    deadline = time.time() + seconds
    while not cond():
        if time.time() > deadline:
            say("gave up waiting for %s after %d s" % (what, seconds))
            return False
        time.sleep(0.5)
    return True


def drain():
    """Faults off, limit lifted, then queue runs until only the failed
    area is left and Postfix has delivered what it took."""
    fault_script({})
    postfix_up()
    ctl("set", client=CLIENT, refresh_fail=0)
    write_config(limit=False)
    wait_for("callers' background children", lambda: not processes(), 300)
    for _ in range(30):
        run(["-q"])
        if not [m for m in mailq() if m["queue_name"] != "failed"]:
            break
        time.sleep(1)
    wait_for("Postfix's own queue to empty", lambda: subprocess.run(
        ["/usr/sbin/postqueue", "-c", PF_CONF, "-j"], stdout=subprocess.PIPE).stdout.strip() == b"", 300)
    time.sleep(2)


def check(wall):
    copies, notices = deliveries()
    kept, kept_notices = failed_area()
    for i, texts in kept_notices.items():
        notices.setdefault(i, []).extend(texts)
    stats = {"accepted": 0, "delivered": 0, "noticed": 0, "lost": 0, "refused": 0,
             "refused_delivered": 0, "unconfirmed": 0, "duplicates": 0, "odd": 0}
    lost, why = [], {}
    for i, m in sorted(MSGS.items()):
        got = [copies.get((i, r), 0) for r in m["rcpts"]]
        stats["duplicates"] += sum(c - 1 for c in got if c > 1)
        if m["status"] == "refused":
            stats["refused"] += 1
            why[m["code"]] = why.get(m["code"], 0) + 1
            if any(got):
                stats["refused_delivered"] += 1
                lost.append("refused yet delivered: %s %r" % (token(i), m))
            continue
        if m["status"] == "unconfirmed":
            stats["unconfirmed"] += 1
            continue
        if m["status"] != "accepted":
            stats["odd"] += 1
            lost.append("%s: %s" % (token(i), m["status"]))
            continue
        stats["accepted"] += 1
        missing = [r for r, c in zip(m["rcpts"], got) if c == 0]
        said = "\n".join(notices.get(i, []))
        unnoticed = [r for r in missing if not said or (r not in said and i not in kept)]
        if unnoticed:
            stats["lost"] += 1
            lost.append("lost: %s to %s (%s; in failed area: %s)" % (
                token(i), ", ".join(unnoticed), m, i in kept))
        elif missing:
            stats["noticed"] += 1
        else:
            stats["delivered"] += 1
    q = mailq()
    envs = [n for d in ("", "failed") for n in os.listdir(os.path.join(QUEUE, d))
            if n.endswith(".env")]
    waiting = [m for m in q if m["queue_name"] != "failed"]
    debris = leftovers()
    procs = processes()
    # What a killed writer left is removed by a queue run once stale
    # (sendmail/queue.c): age it past QUEUE_STALE_AGE and run once more.
    then = time.time() - 11 * 60
    for rel in debris:
        try:
            os.utime(os.path.join(QUEUE, rel), (then, then))
        except OSError:
            pass
    run(["-q"])
    debris_after = leftovers()
    problems = lost[:20]
    if len(envs) != len(q):
        problems.append("%d envelope files, but mailq lists %d" % (len(envs), len(q)))
    if waiting:
        problems.append("%d messages still queued after the drain" % len(waiting))
    if procs:
        problems.append("sendmail processes left: %s" % procs)
    if debris_after:
        problems.append("debris a queue run does not remove: %s" % debris_after[:10])
    for p in problems:
        say(p)
    c = COUNT
    print("soak: %d accepted, %d delivered, %d failed with notice, lost %d, "
          "duplicates %d, refused %d (%s; delivered %d), unconfirmed (caller killed) %d, "
          "kills %d, faults injected %d (fault server %d, Postfix stops %d, token refresh 5xx %d, "
          "grant revoked %d, disk full %d%s, rate limit %d/h), queue runs %d, debris %d (left %d), wall %.0f s"
          % (stats["accepted"], stats["delivered"], stats["noticed"], stats["lost"],
             stats["duplicates"], stats["refused"],
             ", ".join("%s: %d" % kv for kv in sorted(why.items())) or "none",
             stats["refused_delivered"],
             stats["unconfirmed"], c["kills"], c["faults"], c["fault_scripts"],
             c["postfix_stops"], c["refresh_5xx"], c["grant_revoked"], c["disk_full"],
             "" if NO_DISK_FAULT is None else " [left out: %s]" % NO_DISK_FAULT,
             RATE, c["runs"], len(debris), len(debris_after), wall), flush=True)
    return not problems


def main():
    say("seed %d, run %s, %d messages, %d callers, work %s" % (SEED, RUN, ARGS.n,
                                                                ARGS.callers, WORK))
    start = time.time()
    callers = [threading.Thread(target=caller) for _ in range(ARGS.callers)]
    helpers = [threading.Thread(target=runner, daemon=True),
               threading.Thread(target=chaos, daemon=True)]
    for t in callers + helpers:
        t.start()
    for t in callers:
        t.join()
    STOP.set()
    for t in helpers:
        t.join()
    say("load done after %.0f s; draining" % (time.time() - start))
    drain()
    ok = check(time.time() - start)
    FAULTSERVER.terminate()
    if ok:
        if ARGS.no_namespace:
            subprocess.run(["umount", "-l", SPOOL])
        shutil.rmtree(WORK, ignore_errors=True)
    else:
        shutil.copytree(QUEUE, os.path.join(WORK, "queue-kept"), symlinks=True)
        say("kept for a look: %s (the queue as queue-kept, the log as saatja.log)" % WORK)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
