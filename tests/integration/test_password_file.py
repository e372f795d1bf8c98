# SPDX-License-Identifier: MIT
"""password_file (saatja.ini(5)): the password from a file or from a
systemd credential. An absolute path is read as is; a bare name is
$CREDENTIALS_DIRECTORY/NAME, which systemd gives the queue runner's
service (LoadCredential=): a message sent where there is none (PHP,
cron) waits in the queue for that service, which delivers it. A file
every user can read, an empty one, or one given with password or
password_command is refused with a sentence saying what to do; --check
names where the password comes from and never shows it. The set-group-ID
cases are in test_setgid.py."""
import glob
import os
import tempfile
import time
import uuid

import mailserver
from saatja_test import Config, mailq_json, sendmail, eq, contains, run_tests

ACCOUNT = "arved@firma.test"
PASSWORD = mailserver.USERS[ACCOUNT]


def secret_file(text=PASSWORD + "\n", mode=0o600, name="zone.password", directory=None):
    d = directory or tempfile.mkdtemp(prefix="saatja-secret-")
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def config_with(value, saatja=""):
    """The test server's config with password_file = value in place of
    the password."""
    cfg = mailserver.config(saatja=saatja)
    with open(cfg.path) as f:
        text = f.read()
    text = text.replace('password = "%s"' % PASSWORD, "password_file = %s" % value)
    assert "password_file" in text
    with open(cfg.path, "w") as f:
        f.write(text)
    return cfg


def message(token):
    return ("From: %s\nTo: bob@example.test\nSubject: password_file %s\n\nbody %s\n"
            % (ACCOUNT, token, token))


def no_credentials():
    """An environment without $CREDENTIALS_DIRECTORY (an empty value is
    no directory either)."""
    return {"CREDENTIALS_DIRECTORY": ""}


def log_text(cfg, needle, wait=20):
    deadline = time.time() + wait
    while True:
        text = open(cfg.log, encoding="utf-8").read() if os.path.exists(cfg.log) else ""
        if needle in text or time.time() >= deadline:
            return text
        time.sleep(0.05)


def test_absolute_password_file_delivers():
    cfg = config_with(secret_file())
    token = uuid.uuid4().hex
    r = sendmail(["-t"], message(token), cfg)
    eq(r.code, 0, r.err)
    eq(r.err, "")
    eq(len(mailserver.delivered_by_token(token, wait=10)), 1)


def test_password_file_without_trailing_newline_and_with_crlf():
    for text in (PASSWORD, PASSWORD + "\r\n"):
        cfg = config_with(secret_file(text))
        token = uuid.uuid4().hex
        r = sendmail(["-t"], message(token), cfg)
        eq(r.code, 0, r.err)
        eq(len(mailserver.delivered_by_token(token, wait=10)), 1)


def test_credential_waits_for_the_runner_then_the_runner_delivers_it():
    """PHP or cron has no $CREDENTIALS_DIRECTORY: the message is queued
    without an attempt, and the queue runner's service, run as systemd
    runs it, sends it."""
    creds = tempfile.mkdtemp(prefix="saatja-creds-")
    secret_file(name="zone", directory=creds, mode=0o400)
    cfg = config_with("zone")
    token = uuid.uuid4().hex
    r = sendmail(["-t"], message(token), cfg, env=no_credentials())
    eq(r.code, 0, r.err)
    eq(r.err, "", "the caller is not bothered")
    q = mailq_json(cfg)
    eq(len(q), 1, "queued")
    eq(q[0].get("reason"), None, "not tried, so due at once")
    contains(log_text(cfg, "left for the queue runner"),
             'left for the queue runner: the password of arved@firma.test is the '
             'systemd credential "zone", which only the queue runner\'s service has')
    eq(mailserver.delivered_by_token(token), [], "nothing sent yet")
    r = sendmail(["-q", "--due"], b"", cfg, env={"CREDENTIALS_DIRECTORY": creds})
    eq(r.code, 0, r.err)
    eq(len(mailserver.delivered_by_token(token, wait=10)), 1, "the runner sent it")
    eq(mailq_json(cfg), [])


def test_queue_run_without_the_credential_defers_with_a_plain_sentence():
    cfg = config_with("zone")
    eq(sendmail(["-odq", "-t"], message(uuid.uuid4().hex), cfg, env=no_credentials()).code, 0)
    r = sendmail(["-q"], b"", cfg, env=no_credentials())
    eq(r.code, 0, r.err)
    q = mailq_json(cfg)
    eq(len(q), 1, "still queued: the runner's service has the credential")
    eq(q[0]["queue_name"], "deferred")
    for part in ('the password of arved@firma.test is the systemd credential "zone" '
                 '(password_file), which only the queue runner\'s service has',
                 "LoadCredential=", "saatja-queue.service"):
        contains(q[0]["reason"], part)


def test_credential_missing_from_the_directory_fails_like_a_config_error():
    creds = tempfile.mkdtemp(prefix="saatja-creds-")
    cfg = config_with("zone")
    eq(sendmail(["-odq", "-t"], message(uuid.uuid4().hex), cfg).code, 0)
    r = sendmail(["-q"], b"", cfg, env={"CREDENTIALS_DIRECTORY": creds})
    # A config error, as a failing password_command is: the failed area,
    # and sendmail -qI sends it once the file is there.
    # (Its failure notice goes the same way: the same account.)
    failed = [m for m in mailq_json(cfg) if m["queue_name"] == "failed"]
    eq(len(failed) >= 1, True, r.err)
    for m in failed:
        contains(m["reason"], "[arved@firma.test] password_file: cannot read %s/zone: "
                 "No such file or directory" % creds)


def test_password_file_readable_by_everyone_is_refused():
    path = secret_file(mode=0o644)
    cfg = config_with(path)
    r = sendmail(["-t"], message("x"), cfg)
    eq(r.code, 78, r.err)
    contains(r.err, "[arved@firma.test] password_file: every user of this machine can read "
             "%s, and it holds a secret; run: chmod 600 %s" % (path, path))
    eq(glob.glob(os.path.join(cfg.work, "queue", "*.env")), [], "nothing queued")


def test_credential_readable_by_everyone_is_refused_when_read():
    creds = tempfile.mkdtemp(prefix="saatja-creds-")
    path = secret_file(name="zone", directory=creds, mode=0o604)
    cfg = config_with("zone")
    r = sendmail(["-t"], message("x"), cfg, env={"CREDENTIALS_DIRECTORY": creds})
    contains(r.err, "every user of this machine can read %s, and it holds a secret; "
             "run: chmod 600 %s" % (path, path))
    eq(PASSWORD in r.err, False)


def test_empty_password_file_is_refused():
    path = secret_file(text="\n")
    cfg = config_with(path)
    r = sendmail(["-t"], message("x"), cfg)
    eq(r.code, 78, r.err)
    contains(r.err, "[arved@firma.test] password_file: %s is empty; put the password in it, "
             "on one line" % path)


def test_the_first_line_is_the_password():
    path = secret_file(text=PASSWORD + "\nsecond line, a comment\n")
    token = uuid.uuid4().hex
    r = sendmail(["-t"], message(token), config_with(path))
    eq(r.code, 0, r.err)
    eq(len(mailserver.delivered_by_token(token, wait=10)), 1)


def test_password_file_with_password_or_command_is_a_config_error():
    for other in ('password = "x"', 'password_command = "echo x"'):
        cfg = Config("[%s]\nhost = 127.0.0.1\n%s\npassword_file = /etc/x.password\n"
                     % (ACCOUNT, other))
        r = sendmail(["--dry-run", "-t"], message("x"), cfg)
        eq(r.code, 78, r.err)
        contains(r.err, "[arved@firma.test] password_file: give one of password, "
                 "password_command and password_file, not more")


def test_relative_password_file_is_a_config_error():
    cfg = Config("[%s]\nhost = 127.0.0.1\npassword_file = etc/zone.password\n" % ACCOUNT)
    r = sendmail(["--dry-run", "-t"], message("x"), cfg)
    eq(r.code, 78, r.err)
    contains(r.err, '[arved@firma.test] password_file: "etc/zone.password" is neither an '
             "absolute path nor the name of a systemd credential")


def test_check_names_the_source_never_the_secret():
    path = secret_file()
    r = sendmail(["--check"], b"", config_with(path))
    text = r.out.decode()
    eq(r.code, 0, text + r.err)
    contains(text, "password from password_file %s" % path)
    eq(PASSWORD in text + r.err, False)
    creds = tempfile.mkdtemp(prefix="saatja-creds-")
    secret_file(name="zone", directory=creds, mode=0o400)
    r = sendmail(["--check"], b"", config_with("zone"), env={"CREDENTIALS_DIRECTORY": creds})
    text = r.out.decode()
    eq(r.code, 0, text + r.err)
    contains(text, "password from the systemd credential zone (password_file)")
    eq(PASSWORD in text + r.err, False)


if __name__ == "__main__":
    run_tests()
