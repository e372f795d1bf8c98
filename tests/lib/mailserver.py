# SPDX-License-Identifier: MIT
"""The real Postfix + Dovecot of tests/server/mailserver.sh, for tests:
start it once, write a config that reaches it, and find what it delivered.

Other test runs may use the same server at once, so delivered mail is
found by a unique token or Postfix queue ID, never by counting files."""
import glob
import os
import subprocess
import time

from saatja_test import SkipTest, SRCDIR, eq, header, parse_headers, server_config

MAILSERVER = os.path.join(SRCDIR, "tests", "server", "mailserver.sh")
STATE = os.environ.get("SAATJA_TEST_STATE", "/tmp/saatja-test-server")
MAILDIR = os.path.join(STATE, "mail")
CA = os.path.join(STATE, "ca.pem")
SUBMISSION = int(os.environ.get("SAATJA_TEST_SUBMISSION_PORT", "2587"))
SMTPS = int(os.environ.get("SAATJA_TEST_SMTPS_PORT", "2465"))

USERS = {}
with open(os.path.join(SRCDIR, "tests", "server", "users"), encoding="utf-8") as f:
    for line in f:
        line = line.rstrip("\n")
        if line and not line.startswith("#") and "\t" in line:
            a, p = line.split("\t", 1)
            USERS[a] = p

_up = None


def server():
    """Starts the test server once; skips the test when that is impossible."""
    global _up
    if _up is None:
        if os.geteuid() != 0:
            _up = "not running as root: the Postfix test server needs root"
        else:
            r = subprocess.run([MAILSERVER, "start"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            _up = True if r.returncode == 0 else (
                "mailserver.sh start failed: %s" % r.stdout.decode()[-500:])
    if _up is not True:
        raise SkipTest(_up)


def config(account="arved@firma.test", port=SUBMISSION, tls="starttls",
           extra="", saatja="", password=None, work=None):
    """A config for account on the test server, with a private queue and
    log in work (a new temporary directory when None)."""
    server()
    return server_config(port, CA, USERS[account] if password is None else password,
                         account=account, tls=tls, saatja=saatja, extra=extra,
                         work=work)


def read_pair(env_path):
    env = {"to": []}
    with open(env_path, encoding="utf-8") as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            if k == "to":
                env["to"].append(v)
            else:
                env[k] = v
    with open(env_path[:-4] + ".eml", "rb") as f:
        return env, f.read()


def delivered_by_qid(qid, count=1, wait=30):
    """[(envelope dict, message bytes)] for a Postfix queue ID."""
    deadline = time.time() + wait
    while True:
        envs = sorted(glob.glob(os.path.join(MAILDIR, "*-%s-*.env" % qid)))
        envs = [e for e in envs if os.path.exists(e[:-4] + ".eml")]
        if len(envs) >= count or time.time() > deadline:
            break
        time.sleep(0.1)
    eq(len(envs), count, "delivered copies of %s" % qid)
    return [read_pair(e) for e in envs]


def _scan(token):
    """Every captured copy whose message holds token, as (env, bytes)."""
    # The capture directory only grows (40 MB test messages included), so
    # look at recent files only, and only at their first 64 KiB: the
    # tokens live in the headers.
    recent = time.time() - 1800
    found, seen = [], set()
    for entry in os.scandir(MAILDIR):
        try:
            st = entry.stat()
            # A listing taken while the capture script renames a file
            # into place can name it twice: count each file once.
            if (entry.name.startswith(".") or not entry.name.endswith(".eml") or
                    st.st_mtime < recent or
                    st.st_ino in seen):
                continue
            seen.add(st.st_ino)
            with open(entry.path, "rb") as f:
                if token in f.read(65536):
                    found.append(read_pair(entry.path[:-4] + ".env"))
        except OSError:
            continue
    return found


def delivered_by_token(token, wait=0.0, count=1):
    """Every delivered copy whose message contains token (bytes or str),
    once count of them are there (Postfix delivers one copy per
    recipient, each in its own time), or when wait seconds have passed:
    the caller checks the number it gets. count=0 with a wait looks for
    the whole wait, for a test that wants nothing (or everything that
    comes) delivered."""
    if isinstance(token, str):
        token = token.encode()
    deadline = time.time() + wait
    while True:
        found = _scan(token)
        if (count and len(found) >= count) or time.time() >= deadline:
            return found
        time.sleep(0.2)


def delivered_copies(token, copies, wait=30):
    """Every delivered copy of the message holding token, once there are
    copies of them; fails when the count is not reached in wait seconds."""
    found = delivered_by_token(token, wait=wait, count=copies)
    eq(len(found), copies, "delivered copies of the message with %s" % token)
    return found


class Arrived:
    """A message as the test Postfix delivered it: the envelope (sender,
    sorted recipients, without angle brackets), header fields and body
    (LF line ends)."""

    def __init__(self, copies):
        env, msg = copies[0]
        self.sender = env["from"].strip("<>")
        self.rcpts = sorted(to.strip("<>") for e, _ in copies for to in e["to"])
        head, _, self.body = msg.partition(b"\n\n")
        self.fields = parse_headers(head.replace(b"\n", b"\r\n") + b"\r\n\r\n")

    def header(self, name):
        return header(self.fields, name)


def arrived(token, copies=1, wait=30):
    """The message holding token, as an Arrived, once all its copies are
    delivered."""
    return Arrived(delivered_copies(token, copies, wait))
