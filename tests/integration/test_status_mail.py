# SPDX-License-Identifier: MIT
"""saatja-status-mail@.service: a unit's OnFailure= mails its status through
saatja. The unit's ExecStart line is run as systemd would run it (%i and
$MAILTO expanded), without systemd: a fake systemctl on PATH answers
"status" the way systemctl does for a failed unit (exit 3), and the message
must arrive at the test Postfix with the right Subject, envelope and body."""
import os
import shlex
import subprocess
import tempfile
import uuid

from saatja_test import SENDMAIL, SRCDIR, eq, contains, run_tests

import mailserver

HOST = os.uname().nodename
WORK = tempfile.mkdtemp(prefix="saatja-status-mail-")

FAKE_SYSTEMCTL = """#!/bin/sh
echo "args: $*"
echo "× $6 - nightly backup"
echo "     Loaded: loaded (/etc/systemd/system/$6; static)"
echo "     Active: failed (Result: exit-code) since Thu 2026-11-26 02:30:01 EET"
echo "Nov 26 02:30:01 host backup[123]: rsync: connection refused ✗"
exit 3
"""


def install(config_path):
    """The unit and its script with @sbindir@ as make fills it in, in a
    private sbindir whose sendmail is the built one with config_path."""
    sbindir = tempfile.mkdtemp(prefix="sbin-", dir=WORK)
    for folder, name in (("scripts", "saatja-status-mail"),
                         ("systemd", "saatja-status-mail@.service")):
        with open(os.path.join(SRCDIR, "conf", folder, name + ".in"), encoding="utf-8") as f:
            text = f.read().replace("@sbindir@", sbindir)
        path = os.path.join(sbindir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, 0o755)
    write_exe(os.path.join(sbindir, "sendmail"),
              '#!/bin/sh\nexec "%s" -C "%s" "$@"\n' % (SENDMAIL, config_path))
    fakebin = tempfile.mkdtemp(prefix="bin-", dir=WORK)
    write_exe(os.path.join(fakebin, "systemctl"), FAKE_SYSTEMCTL)
    return os.path.join(sbindir, "saatja-status-mail@.service"), fakebin


def write_exe(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o755)


def exec_start(unit_file, instance, environment=None):
    """ExecStart of a template unit's instance as systemd runs it: %i is
    the instance, $VAR (from Environment=, which environment overrides as
    a drop-in would) splits into words."""
    env, cmd = {}, None
    with open(unit_file, encoding="utf-8") as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            if key == "Environment":
                k, _, v = value.partition("=")
                env[k] = v
            elif key == "ExecStart":
                cmd = value
    env.update(environment or {})
    argv = []
    for word in shlex.split(cmd):
        if word.startswith("$") and not word.startswith("${"):
            argv += env.get(word[1:], "").split()
        else:
            argv.append(word.replace("%i", instance))
    return argv


def run_unit(cfg, instance, environment=None):
    unit, fakebin = install(cfg.path)
    argv = exec_start(unit, instance, environment)
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                       env=dict(os.environ, PATH=fakebin + ":/usr/bin:/bin",
                                TMPDIR=tempfile.gettempdir()))
    return argv, r


def server_config():
    return mailserver.config(extra="\n[aliases]\nroot = it@firma.test\n")


def test_failed_unit_status_mailed_to_root():
    cfg = server_config()
    instance = "backup-%s.service" % uuid.uuid4().hex
    argv, r = run_unit(cfg, instance)
    eq(argv[1:], [instance, "root"], "ExecStart after %i and $MAILTO")
    eq(r.returncode, 0, "exit status; stderr: %s" % r.stderr.decode())
    eq(r.stderr, b"", "nothing on stderr")
    m = mailserver.arrived(instance)
    eq(m.sender, "arved@firma.test", "envelope sender is the account")
    eq(m.rcpts, ["it@firma.test"], "root mapped through [aliases]")
    eq(m.header("Subject"), ["[%s] %s failed" % (HOST, instance)])
    eq(m.header("From"), ["systemd on %s <arved@firma.test>" % HOST],
       "the -F name on the account's address")
    eq(m.header("To"), ["root"])
    eq(m.header("Auto-Submitted"), ["auto-generated"])
    text = m.body.decode("utf-8")
    contains(text, "args: status --full --no-pager --lines=50 -- %s\n" % instance,
             "systemctl asked for the whole status and 50 journal lines")
    contains(text, "Active: failed (Result: exit-code)")
    contains(text, "rsync: connection refused ✗", "UTF-8 journal lines arrive intact")


def test_mailto_override_with_two_recipients():
    cfg = server_config()
    instance = "sync-%s.service" % uuid.uuid4().hex
    argv, r = run_unit(cfg, instance, {"MAILTO": "it@firma.test ops@example.test"})
    eq(r.returncode, 0, "exit status; stderr: %s" % r.stderr.decode())
    m = mailserver.arrived(instance, copies=2)
    eq(m.rcpts, ["it@firma.test", "ops@example.test"])
    eq(m.header("To"), ["it@firma.test, ops@example.test"])


def test_sendmail_failure_fails_the_unit():
    # A mail that cannot even be queued must make the unit fail, so that
    # systemctl list-units --failed shows it.
    cfg = server_config()
    os.chmod(cfg.path, 0o644)  # readable by others: saatja refuses, exit 78
    argv, r = run_unit(cfg, "x-%s.service" % uuid.uuid4().hex)
    eq(r.returncode, 78, "sendmail's exit status; stderr: %s" % r.stderr.decode())
    contains(r.stderr.decode(), "chmod 640")


if __name__ == "__main__":
    run_tests()
