# SPDX-License-Identifier: MIT
"""Helpers for saatja's integration tests: TAP output, running the built
sendmail, writing configs, and parsing --dry-run output.

Each test file defines functions named test_*; run_tests() runs them in
file order and prints TAP. A test passes when it returns without raising.
"""
import glob
import inspect
import json
import os
import subprocess
import sys
import tempfile
import traceback

SENDMAIL = os.environ.get("SAATJA_SENDMAIL") or os.path.join(
    os.path.dirname(__file__), "..", "..", "sendmail", "sendmail")
SRCDIR = os.environ.get("SAATJA_SRCDIR") or os.path.join(
    os.path.dirname(__file__), "..", "..")

BASIC_INI = """\
[saatja]
default = arved@firma.ee
local_domains = web1.lan

[aliases]
root = it@firma.ee

[arved@firma.ee]
provider = zone
password = "arved;secret#1 = õ"

[info@firma.ee]
host = mail.example.ee
port = 465
password = info-secret
"""


class Run:
    """The result of one sendmail run."""

    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr.decode("utf-8", "replace")

    def dry(self):
        """Parses --dry-run output into (envelope dict, message bytes)."""
        head, sep, message = self.out.partition(b"\n\n")
        assert sep, "no empty line after the envelope in: %r" % self.out[:300]
        env = {"account": None, "mail-from": None, "rcpt-to": []}
        for line in head.decode().split("\n"):
            key, _, value = line.partition(": ")
            if key == "rcpt-to":
                env["rcpt-to"].append(value)
            else:
                env[key] = value
        return env, message

    def headers(self):
        """The header fields of the --dry-run message as [(name, value)]."""
        _, message = self.dry()
        return parse_headers(message)


def parse_headers(message):
    head = message.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    fields = []
    for line in head.split("\r\n"):
        if line[:1] in (" ", "\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + "\r\n" + line)
        elif line:
            name, _, value = line.partition(":")
            fields.append((name, value.lstrip(" ")))
    return fields


def header(fields, name):
    """Values of every field called name (case-blind)."""
    return [v for n, v in fields if n.lower() == name.lower()]


def body(message):
    return message.split(b"\r\n\r\n", 1)[1]


class Config:
    """A config file in a private temporary directory."""

    def __init__(self, text=BASIC_INI, mode=0o600):
        self.dir = tempfile.mkdtemp(prefix="saatja-test-")
        self.path = os.path.join(self.dir, "saatja.ini")
        with open(self.path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(self.path, mode)


def server_config(port, ca_file, password, account="arved@firma.test",
                  tls=None, timeout=None, saatja="", extra="", work=None,
                  parent=None):
    """The config of one test server account: send as account through
    127.0.0.1:port (tls = as given, else what the port implies), trusting
    ca_file, with a private queue and log in work (a new directory in
    parent when None): cfg.work, cfg.log. saatja and extra are more lines
    for the [saatja] section and the account."""
    work = work or tempfile.mkdtemp(prefix="saatja-test-", dir=parent)
    lines = ["[saatja]", "log = %s/saatja.log" % work,
             "queue = %s/queue" % work, saatja,
             "[%s]" % account, "host = 127.0.0.1", "port = %d" % port]
    if tls:
        lines.append("tls = %s" % tls)
    lines += ["ca_file = %s" % ca_file, 'password = "%s"' % password]
    if timeout:
        lines.append("timeout = %d" % timeout)
    cfg = Config("\n".join(lines + [extra]))
    cfg.work = work
    cfg.log = os.path.join(work, "saatja.log")
    return cfg


def queue_files(queue_dir):
    """{id: (envelope dict, header fields, body bytes)}: the messages in
    queue_dir, read from their files (the format at the top of
    sendmail/queue.c); "rcpt" is a list."""
    out = {}
    for env_path in glob.glob(os.path.join(queue_dir, "*.env")):
        qid = os.path.basename(env_path)[:-4]
        with open(env_path, "rb") as f:
            head, _, section = f.read().partition(b"\n\n")
        env = {"rcpt": []}
        for line in head.decode().split("\n"):
            k, _, v = line.partition(": ")
            if k == "rcpt":
                env["rcpt"].append(v)
            else:
                env[k] = v
        with open(env_path[:-4] + ".body", "rb") as f:
            body = f.read()
        out[qid] = (env, parse_headers(section + b"\r\n"), body)
    return out


def mailq_json(cfg):
    """The queue as mailq --json lists it, one dict a message."""
    r = sendmail(["-bp", "--json"], b"", cfg)
    eq(r.code, 0, r.err)
    return [json.loads(l) for l in r.out.decode().splitlines() if l.strip()]


VALGRIND = os.environ.get("SAATJA_VALGRIND") == "1"
_valgrind_logs = None


def sendmail_argv():
    """The command that runs the built sendmail: under valgrind when
    SAATJA_VALGRIND=1. Memory errors and definite leaks then make a run
    exit 99, and every process (the -odb child too) writes what valgrind
    found to a log file of its own, which run_tests() checks at the end:
    a log on stderr would keep the caller's pipe open as long as a
    detached child runs."""
    global _valgrind_logs
    if not VALGRIND:
        return [SENDMAIL]
    if _valgrind_logs is None:
        _valgrind_logs = tempfile.mkdtemp(prefix="saatja-valgrind-")
    return ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
            "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite",
            "--log-file=%s/vg.%%p" % _valgrind_logs, SENDMAIL]


def valgrind_findings(wait=30):
    """What valgrind logged in every sendmail process of this test file,
    after waiting up to wait seconds for detached children to end."""
    if _valgrind_logs is None:
        return ""
    import time
    deadline = time.time() + wait
    while time.time() < deadline:
        if subprocess.run(["pgrep", "-f", "--", "--log-file=%s/" % _valgrind_logs],
                          stdout=subprocess.DEVNULL).returncode != 0:
            break
        time.sleep(0.2)
    found = ""
    for name in sorted(os.listdir(_valgrind_logs)):
        with open(os.path.join(_valgrind_logs, name), errors="replace") as f:
            text = f.read()
        if text.strip():
            found += "== %s\n%s" % (name, text)
    return found


def sendmail(args, stdin=b"", config=None, env=None, timeout=60):
    """Runs the built sendmail with args; config is a Config or a path."""
    argv = sendmail_argv()
    if config is not None:
        argv += ["-C", config.path if isinstance(config, Config) else config]
    argv += list(args)
    e = dict(os.environ)
    e.setdefault("TMPDIR", tempfile.gettempdir())
    if env:
        e.update(env)
    if isinstance(stdin, str):
        stdin = stdin.encode("utf-8")
    proc = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=e, timeout=timeout)
    return Run(proc)


def closed_port():
    """A loopback port that nothing listens on (just now, at least)."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def private_mounts(what, extra=()):
    """Skips the test, saying why in one sentence, unless `unshare -m`
    (with extra flags, such as -n) can make a private mount namespace
    here. unshare makes the namespace's mounts private so that nothing
    mounted in it reaches the machine; that needs / to be a mount point,
    which it is not in a plain chroot. The machine's own mounts are never
    changed to make it possible."""
    import shutil
    if os.geteuid() != 0:
        raise SkipTest("%s needs root, for a private mount namespace" % what)
    if shutil.which("unshare") is None:
        raise SkipTest("%s needs unshare (util-linux, tests/lib/setup.sh), "
                       "which is not installed" % what)
    probe = subprocess.run(["unshare", "-m", "--propagation", "private"] + list(extra) +
                           ["true"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if probe.returncode == 0:
        return
    said = probe.stderr.decode(errors="replace").strip()[-200:]
    if "propagation" in said:
        raise SkipTest("%s needs a private mount namespace (unshare -m), which "
                       "cannot be made here because / is not a mount point "
                       "(as in a chroot); unshare said: %s" % (what, said))
    raise SkipTest("%s needs a private mount namespace (unshare -m), which this "
                   "machine refuses (a container without CAP_SYS_ADMIN?); "
                   "unshare said: %s" % (what, said))


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s\n  got:  %r\n  want: %r" % (what, got, want))


def contains(haystack, needle, what=""):
    if needle not in haystack:
        raise AssertionError("%s\n  %r\n  not found in: %r" % (what, needle, haystack))


def run_tests(module_globals=None):
    """Runs every test_* function of the calling module; prints TAP."""
    g = module_globals or inspect.stack()[1].frame.f_globals
    tests = [(name, fn) for name, fn in g.items()
             if name.startswith("test_") and callable(fn)]
    tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
    failed = 0
    print("1..%d" % (len(tests) + VALGRIND), flush=True)
    for i, (name, fn) in enumerate(tests, 1):
        try:
            fn()
            print("ok %d - %s" % (i, name), flush=True)
        except SkipTest as e:
            if os.environ.get("SAATJA_NO_SKIP") == "1":
                # CI (tests/run-all.sh) has every package and server: a
                # skip there means a test that silently stopped testing.
                failed += 1
                print("not ok %d - %s\n#   skipped, but SAATJA_NO_SKIP=1: %s" % (i, name, e),
                      flush=True)
            else:
                print("ok %d - %s # SKIP %s" % (i, name, e), flush=True)
        except Exception:  # noqa: BLE001 - report every failure as TAP
            failed += 1
            print("not ok %d - %s" % (i, name))
            for line in traceback.format_exc().splitlines():
                print("#   " + line)
            sys.stdout.flush()
    if VALGRIND:
        found = valgrind_findings()
        name = "valgrind found nothing in any sendmail process"
        if found:
            failed += 1
            print("not ok %d - %s" % (len(tests) + 1, name))
            for line in found.splitlines()[:200]:
                print("#   " + line)
        else:
            print("ok %d - %s" % (len(tests) + 1, name))
        sys.stdout.flush()
    sys.exit(1 if failed else 0)


class SkipTest(Exception):
    pass
