# SPDX-License-Identifier: MIT
"""A set-group-ID install (sendmail(8), SECURITY): an unprivileged user
sends through a system config that only the group can read, and nothing the
user can do shows the password: -v, -X, --dry-run, --check, -C pointing at
files they cannot read, the environment (SSLKEYLOGFILE, GNUTLS_*, LD_*,
XDG_*), the spool, password_command (the system's with a clean environment,
the user's own without the group), password_file (the system's with the
group, the user's without it, and no $CREDENTIALS_DIRECTORY of the user's), /proc/PID/mem, ptrace, core dumps; and
for an OAuth2 account no token from any of those channels, the token file
beside the queue and group-only, --authorize of the system config for root
only, and no helper program picked by the environment.

The test configures, builds and installs saatja --with-group into a
temporary prefix (as root), creates an unprivileged user, and runs
sendmail as that user with runuser."""
import base64
import json
import os
import re
import threading
import urllib.parse
import urllib.request
import pwd
import grp
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import mailserver
from saatja_test import SRCDIR, SkipTest, eq, contains, run_tests

GROUP = "saatja-test"
USER = "saatja-user"
PASSWORD = mailserver.USERS["arved@firma.test"]
SECRETS = [PASSWORD.encode(), base64.b64encode(PASSWORD.encode()),
           base64.b64encode(b"\0arved@firma.test\0" + PASSWORD.encode())]
OAUTH_CLIENT = "saatja-test-setgid-%s" % uuid.uuid4().hex[:8]
APP_CLIENT = "saatja-test-setgid-app-%s" % uuid.uuid4().hex[:8]
OAUTH_CONTROL = int(os.environ.get("SAATJA_TEST_OAUTH_CONTROL_PORT", mailserver.SUBMISSION + 2))
OAUTH_SERVICE = "https://localhost:%d" % int(os.environ.get("SAATJA_TEST_OAUTH_PORT",
                                                              mailserver.SUBMISSION + 1))
TOKEN_RE = re.compile(rb"\b(at|rt|dc)-[A-Za-z0-9_-]{10,}")
_inst = None


def oauth_account(client, extra):
    """The [oauth@firma.test] section: XOAUTH2 on the test server, tokens
    from the test service for client, and extra lines."""
    return """[oauth@firma.test]
host = 127.0.0.1
port = %d
ca_file = %s
auth = xoauth2
oauth_client_id = %s
oauth_device_url = %s/devicecode
oauth_token_url = %s/token
%s""" % (mailserver.SUBMISSION, mailserver.CA, client, OAUTH_SERVICE, OAUTH_SERVICE, extra)

def install():
    """The installed prefix, built once; skips when impossible."""
    global _inst
    if _inst is not None:
        if isinstance(_inst, str) and _inst.startswith("skip:"):
            raise SkipTest(_inst[5:])
        return _inst
    if os.geteuid() != 0:
        _inst = "skip:needs root (creates a user, installs set-group-ID)"
    elif os.path.exists(os.path.join(SRCDIR, "config.status")):
        _inst = ("skip:the source tree is configured in place; a VPATH build "
                 "(tests/run-all.sh) runs this test")
    elif not os.path.exists("/usr/sbin/runuser"):
        _inst = "skip:runuser is missing"
    if _inst:
        raise SkipTest(_inst[5:])
    mailserver.server()
    if subprocess.run(["getent", "group", GROUP], stdout=subprocess.DEVNULL).returncode:
        subprocess.run(["groupadd", "--system", GROUP], check=True)
    if subprocess.run(["getent", "passwd", USER], stdout=subprocess.DEVNULL).returncode:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/bin/sh", USER], check=True)
    top = tempfile.mkdtemp(prefix="saatja-setgid-")
    os.chmod(top, 0o755)
    prefix = os.path.join(top, "inst")
    build = os.path.join(top, "build")
    os.mkdir(build)
    log = open(os.path.join(top, "build.log"), "w")
    for cmd in ([os.path.join(SRCDIR, "configure"), "--prefix=" + prefix,
                 "--with-group=" + GROUP],
                ["make", "-j2"], ["make", "install"]):
        r = subprocess.run(cmd, cwd=build, stdout=log, stderr=subprocess.STDOUT)
        if r.returncode:
            raise AssertionError("%s failed; see %s/build.log" % (cmd[0], top))
    gid = grp.getgrnam(GROUP).gr_gid
    etc = os.path.join(prefix, "etc")
    logdir = os.path.join(prefix, "var", "log")
    os.makedirs(logdir)
    os.chown(logdir, 0, gid)
    os.chmod(logdir, 0o770)
    cfg = os.path.join(etc, "saatja.ini")
    with open(cfg, "w") as f:
        f.write("""[saatja]
log = %s/saatja.log
default = arved@firma.test
[arved@firma.test]
host = 127.0.0.1
port = %d
ca_file = %s
password = "%s"
%s""" % (logdir, mailserver.SUBMISSION, mailserver.CA, PASSWORD,
             oauth_account(OAUTH_CLIENT, "oauth_scope = mail\n")))
    # An application's certificate and key (client credentials): the key
    # for the group only, as the HOWTO says to install it.
    app_key, app_cert = os.path.join(etc, "app.key"), os.path.join(etc, "app.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-subj", "/CN=saatja setgid test", "-keyout", app_key, "-out", app_cert],
                   check=True, capture_output=True)
    os.chown(app_key, 0, gid)
    os.chmod(app_key, 0o640)
    with open(cfg, "a") as f:
        f.write("""[arved-app@firma.test]
host = 127.0.0.1
port = %d
ca_file = %s
oauth_grant = client_credentials
oauth_client_id = %s
oauth_token_url = %s/token
oauth_client_certificate = %s
oauth_client_key = %s
""" % (mailserver.SUBMISSION, mailserver.CA, APP_CLIENT, OAUTH_SERVICE, app_cert, app_key))
    os.chown(cfg, 0, gid)
    os.chmod(cfg, 0o640)
    home = os.path.join(top, "home")
    os.mkdir(home)
    os.chown(home, pwd.getpwnam(USER).pw_uid, pwd.getpwnam(USER).pw_gid)
    _inst = {"prefix": prefix, "sendmail": os.path.join(prefix, "sbin", "sendmail"),
             "app_key": app_key, "app_cert": app_cert,
             "config": cfg, "home": home, "log": os.path.join(logdir, "saatja.log"),
             "spool": os.path.join(prefix, "var", "spool", "saatja")}
    return _inst


def as_user(argv, stdin=b"", env=None, cwd=None):
    inst = install()
    e = {"PATH": "/usr/bin:/bin", "HOME": inst["home"]}
    e.update(env or {})
    return subprocess.run(["/usr/sbin/runuser", "-u", USER, "--"] + argv, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e,
                          cwd=cwd or inst["home"], timeout=60)


def message(token):
    return ("From: root\nTo: bob@example.test\nSubject: setgid %s\n\nx\n" % token).encode()


def no_secret(*blobs):
    for b in blobs:
        for s in SECRETS:
            assert s not in b, "password shown: %r" % b[:300]
        assert not TOKEN_RE.search(b), "an OAuth2 token shown: %r" % b[:300]


def test_install_is_set_group_id():
    inst = install()
    st = os.stat(inst["sendmail"])
    eq(oct(st.st_mode & 0o7777), "0o2755")
    eq(grp.getgrgid(st.st_gid).gr_name, GROUP)
    sp = os.stat(inst["spool"])
    eq(oct(sp.st_mode & 0o7777), "0o2770")


def test_user_sends_through_the_system_config():
    inst = install()
    r = as_user(["cat", inst["config"]])
    assert r.returncode != 0, "the user can read the config"
    token = uuid.uuid4().hex
    r = as_user([inst["sendmail"], "-t", "-v"], message(token))
    eq(r.returncode, 0, r.stderr.decode())
    no_secret(r.stdout, r.stderr)
    got = mailserver.delivered_by_token(token, wait=10)
    eq(len(got), 1, "delivered")
    eq(got[0][0]["from"], "<arved@firma.test>")


def test_transcript_dry_run_and_log_hide_the_password():
    inst = install()
    xfile = os.path.join(inst["home"], "x.txt")
    r = as_user([inst["sendmail"], "-t", "-X", xfile], message(uuid.uuid4().hex))
    eq(r.returncode, 0, r.stderr.decode())
    with open(xfile, "rb") as f:
        data = f.read()
    contains(data.decode(), "AUTH PLAIN ********")
    eq(os.stat(xfile).st_uid, pwd.getpwnam(USER).pw_uid, "-X file written as the user")
    r = as_user([inst["sendmail"], "--dry-run", "-t"], message("dry"))
    eq(r.returncode, 0, r.stderr.decode())
    with open(inst["log"], "rb") as f:
        no_secret(data, r.stdout, r.stderr, f.read())


def test_X_cannot_write_where_the_user_cannot():
    inst = install()
    r = as_user([inst["sendmail"], "-t", "-X", inst["log"]], message("x"))
    eq(r.returncode, 73, r.stderr.decode())


def test_C_only_with_files_the_user_can_read():
    inst = install()
    for path in ("/etc/shadow", inst["config"]):
        r = as_user([inst["sendmail"], "-C", path, "--dry-run", "-t"], message("x"))
        eq(r.returncode, 78, "-C %s: %s" % (path, r.stderr.decode()))
        contains(r.stderr.decode(), "Permission denied")
        no_secret(r.stdout, r.stderr)
        assert b"root:" not in r.stderr, "shadow content shown"


def test_environment_picks_nothing():
    inst = install()
    keylog = os.path.join(inst["home"], "keys.log")
    xdg = os.path.join(inst["home"], "xdg")
    os.makedirs(os.path.join(xdg, "saatja"), exist_ok=True)
    with open(os.path.join(xdg, "saatja", "saatja.ini"), "w") as f:
        f.write("[arved@firma.test]\nhost = 127.0.0.1\nport = 1\ntls = none\npassword = x\n")
    os.chmod(os.path.join(xdg, "saatja", "saatja.ini"), 0o600)
    token = uuid.uuid4().hex
    r = as_user([inst["sendmail"], "-t"], message(token),
                env={"SSLKEYLOGFILE": keylog, "GNUTLS_DEBUG_LEVEL": "99",
                     "GNUTLS_SYSTEM_PRIORITY_FILE": "/dev/null",
                     "LD_PRELOAD": "/nonexistent.so", "XDG_CONFIG_HOME": xdg,
                     "XDG_STATE_HOME": xdg, "TMPDIR": xdg})
    eq(r.returncode, 0, r.stderr.decode())
    no_secret(r.stdout, r.stderr)
    eq(os.path.exists(keylog), False, "a TLS key log was written")
    eq(len(mailserver.delivered_by_token(token, wait=10)), 1,
       "sent through the system config, not the user's")


def test_spool_not_readable_by_the_user():
    inst = install()
    r = subprocess.run([inst["sendmail"], "-odq", "-t"], input=message("queued"),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    eq(r.returncode, 0, r.stderr.decode())
    r = as_user(["ls", inst["spool"]])
    assert r.returncode != 0, "the user can list the spool: %r" % r.stdout
    r = as_user(["sh", "-c", "cat %s/*.body" % inst["spool"]])
    assert r.returncode != 0 and b"queued" not in r.stdout
    subprocess.run([inst["sendmail"], "-q"])


def test_check_as_the_user_hides_the_password():
    inst = install()
    r = as_user([inst["sendmail"], "--check"])
    out = r.stdout.decode() + r.stderr.decode()
    eq(r.returncode, 0, out)
    contains(out, "login")
    no_secret(r.stdout, r.stderr)


def test_password_command_gets_a_fixed_path_and_a_clean_environment():
    """The system config's password_command runs as the user with the
    group's rights: nothing of the user's environment may reach it, or a
    PATH of the user's could run the user's own 'cat' with those rights."""
    inst = install()
    top = tempfile.mkdtemp(prefix="saatja-pwcmd-")
    os.chmod(top, 0o777)
    secret = os.path.join(top, "secret")
    with open(secret, "w") as f:
        f.write(PASSWORD + "\n")
    os.chown(secret, 0, grp.getgrnam(GROUP).gr_gid)
    os.chmod(secret, 0o640)
    envfile = os.path.join(top, "env.txt")
    evil = os.path.join(top, "evil")
    os.mkdir(evil)
    with open(os.path.join(evil, "cat"), "w") as f:
        f.write("#!/bin/sh\ntouch %s/evil-ran\nexec /bin/cat \"$@\"\n" % top)
    os.chmod(os.path.join(evil, "cat"), 0o755)
    with open(inst["config"]) as f:
        saved = f.read()
    try:
        with open(inst["config"], "w") as f:
            f.write(saved.replace('password = "%s"' % PASSWORD,
                                  'password_command = "env > %s; cat %s"' % (envfile, secret)))
        token = uuid.uuid4().hex
        r = as_user([inst["sendmail"], "-t"], message(token),
                    env={"PATH": evil + ":/usr/bin:/bin", "IFS": "x", "ENV": "/tmp/x",
                         "BASH_ENV": "/tmp/x", "LD_PRELOAD": "/nonexistent.so"})
        eq(r.returncode, 0, r.stderr.decode())
        no_secret(r.stdout, r.stderr)
        eq(len(mailserver.delivered_by_token(token, wait=10)), 1, "sent with the command's password")
        eq(os.path.exists(os.path.join(top, "evil-ran")), False, "the user's PATH was used")
        with open(envfile) as f:
            names = sorted(l.split("=", 1)[0] for l in f.read().splitlines() if "=" in l)
        for bad in ("IFS", "ENV", "BASH_ENV", "LD_PRELOAD", "HOME"):
            assert bad not in names, "%s reached password_command: %s" % (bad, names)
        with open(envfile) as f:
            contains(f.read(), "PATH=/usr/local/bin:/usr/bin:/bin")
    finally:
        with open(inst["config"], "w") as f:
            f.write(saved)


def test_password_command_of_the_callers_config_runs_without_the_group():
    """With -C, the user writes the password_command: it must not run with
    the group's rights, or it could read the system config. sh -p, which
    keeps a set-group-ID, must not get the group back either."""
    inst = install()
    uid = pwd.getpwnam(USER).pw_uid
    gid = grp.getgrnam(GROUP).gr_gid
    ids = os.path.join(inst["home"], "ids.txt")
    own = os.path.join(inst["home"], "own.ini")
    with open(own, "w") as f:
        f.write("""[saatja]
queue = %s/q
[arved@firma.test]
host = 127.0.0.1
port = %d
ca_file = %s
password_command = "id -G > %s; /bin/sh -p -c 'cat %s'"
""" % (inst["home"], mailserver.SUBMISSION, mailserver.CA, ids, inst["config"]))
    os.chown(own, uid, -1)
    os.chmod(own, 0o600)
    r = as_user([inst["sendmail"], "-C", own, "-t"], message("own"))
    eq(r.returncode, 78, r.stderr.decode())
    contains(r.stderr.decode(), "password_command failed")
    no_secret(r.stdout, r.stderr)
    with open(ids) as f:
        groups = [int(g) for g in f.read().split()]
    assert gid not in groups, "the caller's password_command ran with the group: %s" % groups


def test_not_traceable_and_no_core_dump():
    inst = install()
    # The core size limit raised first, as a careless caller might: only
    # saatja's own hardening may keep the core from being written.
    p = subprocess.Popen(["prlimit", "--core=unlimited", "/usr/sbin/runuser", "-u", USER,
                          "--", inst["sendmail"], "-t"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env={"PATH": "/usr/bin:/bin"},
                         cwd=inst["home"])
    try:
        pid = None
        for _ in range(50):
            found = subprocess.run(["pgrep", "-u", USER, "-f", inst["sendmail"]],
                                   stdout=subprocess.PIPE).stdout.split()
            if found:
                pid = int(found[0])
                break
            time.sleep(0.1)
        assert pid, "sendmail did not start"
        # pgrep can find it before it has turned core dumps off: wait
        # for that, with a deadline.
        deadline = time.time() + 10
        while True:
            with open("/proc/%d/limits" % pid) as f:
                limits = f.read()
            core = [l for l in limits.splitlines() if l.startswith("Max core file size")][0]
            if core.split()[4:6] == ["0", "0"] or time.time() > deadline:
                break
            time.sleep(0.1)
        eq(core.split()[4:6], ["0", "0"], "core dumps off")
        r = as_user(["/usr/bin/python3", "-c",
                     "open('/proc/%d/mem','rb').read(1)" % pid])
        assert r.returncode != 0, "the user could open /proc/PID/mem"
        r = as_user(["gdb", "-p", str(pid), "-batch", "-ex", "info registers"])
        assert b"rip" not in r.stdout, "gdb attached"
        # A forced core dump: the user may signal a process of its own
        # real user ID; the core must not be written.
        before = set(os.listdir(inst["home"]))
        r = as_user(["kill", "-SEGV", str(pid)])
        eq(r.returncode, 0, "the user can signal it: %s" % r.stderr.decode())
        for _ in range(50):
            if not os.path.exists("/proc/%d" % pid):
                break
            time.sleep(0.1)
        cores = [n for n in set(os.listdir(inst["home"])) - before if n.startswith("core")]
        eq(cores, [], "a core file was written")
        # The control: an ordinary program in the same place does dump.
        control = as_user(["prlimit", "--core=unlimited", "sh", "-c",
                           "sleep 30 & kill -SEGV $!; wait"])
        cores = [n for n in set(os.listdir(inst["home"])) - before if n.startswith("core")]
        assert cores, ("control: no core from an ordinary program either (core_pattern %r), "
                       "so the check above proves nothing: %r" % (
                           open("/proc/sys/kernel/core_pattern").read().strip(), control))
        for n in cores:
            os.unlink(os.path.join(inst["home"], n))
    finally:
        p.kill()
        p.wait()


# ------------------------------------------------------------------ OAuth2

def ctl(path, **args):
    url = "http://127.0.0.1:%d/control/%s?%s" % (OAUTH_CONTROL, path, urllib.parse.urlencode(args))
    method = "GET" if path == "stats" or (path == "device" and "client" in args) else "POST"
    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as r:
        return json.load(r)


def approve_device(client, user):
    """The user's part of the device flow, done in a thread."""
    def run():
        for _ in range(100):
            code = ctl("device", client=client)["user_code"]
            if code:
                ctl("device", user_code=code, user=user)
                return
            time.sleep(0.1)
    t = threading.Thread(target=run)
    t.start()
    return t


_authorized = False


def authorized():
    """The system config's OAuth2 account, authorized by root once."""
    global _authorized
    inst = install()
    if not _authorized:
        t = approve_device(OAUTH_CLIENT, "oauth@firma.test")
        r = subprocess.run([inst["sendmail"], "--authorize", "oauth@firma.test"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        t.join()
        eq(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        no_secret(r.stdout, r.stderr)
        _authorized = True
    return os.path.join(inst["spool"], "oauth", "oauth@firma.test")


def oauth_message(token):
    return ("From: oauth@firma.test\nTo: bob@example.test\nSubject: setgid %s\n\nx\n"
            % token).encode()


def test_token_file_sits_beside_the_queue_group_only():
    path = authorized()
    st = os.stat(path)
    eq(oct(st.st_mode & 0o777), "0o660", "token file mode")
    eq(grp.getgrgid(st.st_gid).gr_name, GROUP, "token file group")
    d = os.stat(os.path.dirname(path))
    eq(grp.getgrgid(d.st_gid).gr_name, GROUP, "token directory group")
    eq(d.st_mode & 0o007, 0, "token directory closed to others")
    r = as_user(["cat", path])
    assert r.returncode != 0 and not TOKEN_RE.search(r.stdout), "the user read the tokens"


def test_user_sends_with_a_token_and_sees_none():
    path = authorized()
    inst = install()
    xfile = os.path.join(inst["home"], "x-oauth.txt")
    token = uuid.uuid4().hex
    r = as_user([inst["sendmail"], "-t", "-X", xfile], oauth_message(token))
    eq(r.returncode, 0, r.stderr.decode())
    with open(xfile) as f:
        contains(f.read(), "AUTH XOAUTH2 ********")
    eq(len(mailserver.delivered_by_token(token, wait=10)), 1, "delivered")
    # A refresh run by the user: the rotated token is stored (group-only
    # still), and nothing shows it.
    ctl("expire", client=OAUTH_CLIENT)
    before = ctl("stats", client=OAUTH_CLIENT)["refresh"]
    r2 = as_user([inst["sendmail"], "-t", "-v"], oauth_message(uuid.uuid4().hex))
    eq(r2.returncode, 0, r2.stderr.decode())
    eq(ctl("stats", client=OAUTH_CLIENT)["refresh"], before + 1, "the user's run refreshed")
    st = os.stat(path)
    eq((oct(st.st_mode & 0o777), grp.getgrgid(st.st_gid).gr_name), ("0o660", GROUP),
       "token file after the user's refresh")
    r3 = as_user([inst["sendmail"], "--check", "oauth@firma.test"])
    eq(r3.returncode, 0, r3.stdout.decode() + r3.stderr.decode())
    contains(r3.stdout.decode(), "token")
    r4 = as_user([inst["sendmail"], "--dry-run", "-t"], oauth_message("dry"))
    with open(xfile, "rb") as f, open(inst["log"], "rb") as log:
        no_secret(r.stdout, r.stderr, r2.stdout, r2.stderr, r3.stdout, r3.stderr,
                  r4.stdout, r4.stderr, f.read(), log.read())
    r = as_user(["sh", "-c", "cat %s/*.env %s/failed/*.env 2>/dev/null" % (inst["spool"], inst["spool"])])
    no_secret(r.stdout)


def test_user_sends_with_the_applications_key_and_cannot_read_it():
    """Client credentials in the system config: the private key is the
    group's, the helper signs with it for the user's message, and the user
    can read it nowhere."""
    inst = install()
    ctl("set", client=APP_CLIENT, mailbox="arved-app@firma.test", cert=inst["app_cert"])
    r = as_user(["cat", inst["app_key"]])
    assert r.returncode != 0 and b"PRIVATE KEY" not in r.stdout, "the user read the key"
    token = uuid.uuid4().hex
    r = as_user([inst["sendmail"], "-t", "-v"],
                ("From: arved-app@firma.test\nTo: bob@example.test\nSubject: app %s\n\nx\n"
                 % token).encode())
    eq(r.returncode, 0, r.stderr.decode())
    eq(len(mailserver.delivered_by_token(token, wait=10)), 1, "delivered")
    eq(ctl("stats", client=APP_CLIENT)["app"], 1, "one token request")
    with open(inst["app_key"], "rb") as f:
        key_lines = [l for l in f.read().splitlines() if l and not l.startswith(b"-----")]
    with open(inst["log"], "rb") as log:
        text = r.stdout + r.stderr + log.read()
    for line in key_lines:
        assert line not in text, "a line of the private key shown"
    no_secret(text)
    r = as_user([inst["sendmail"], "--check", "arved-app@firma.test"])
    eq(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
    contains(r.stdout.decode(), "got a token from", "--check's token step")
    contains(r.stdout.decode(), "make a new one", "--check warns of the 30-day certificate")


def test_authorize_of_the_system_config_is_for_root():
    inst = install()
    r = as_user([inst["sendmail"], "--authorize", "oauth@firma.test"])
    eq(r.returncode, 77, r.stderr.decode())
    contains(r.stderr.decode(), "as root")


def test_environment_picks_no_oauth_helper():
    authorized()
    inst = install()
    evil = os.path.join(inst["home"], "evil-helper")
    ran = os.path.join(inst["home"], "evil-helper-ran")
    with open(evil, "w") as f:
        f.write("#!/bin/sh\ntouch %s\ncat <&3 > %s.req\n" % (ran, ran))
    os.chmod(evil, 0o755)
    ctl("expire", client=OAUTH_CLIENT)
    r = as_user([inst["sendmail"], "-t"], oauth_message(uuid.uuid4().hex),
                env={"SAATJA_OAUTH_HELPER": evil, "https_proxy": "http://127.0.0.1:1"})
    eq(r.returncode, 0, r.stderr.decode())
    eq(os.path.exists(ran), False, "SAATJA_OAUTH_HELPER picked the helper")


def test_callers_config_keeps_its_tokens_with_the_callers_rights():
    inst = install()
    uid = pwd.getpwnam(USER).pw_uid
    client = "saatja-test-setgid-own-%s" % uuid.uuid4().hex[:8]
    own = os.path.join(inst["home"], "own-oauth.ini")
    tokens = os.path.join(inst["home"], "tokens", "oauth@firma.test")
    with open(own, "w") as f:
        f.write("""[saatja]
queue = %s/q2
%s""" % (inst["home"], oauth_account(client, "oauth_token_file = %s\n" % tokens)))
    os.chown(own, uid, -1)
    os.chmod(own, 0o600)
    t = approve_device(client, "oauth@firma.test")
    r = as_user([inst["sendmail"], "-C", own, "--authorize", "oauth@firma.test"])
    t.join()
    eq(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
    no_secret(r.stdout, r.stderr)
    st = os.stat(tokens)
    eq(st.st_uid, uid, "the caller owns the token file")
    assert st.st_gid != grp.getgrnam(GROUP).gr_gid, "the token file got the group"
    eq(st.st_mode & 0o007, 0, "closed to others")
    token = uuid.uuid4().hex
    r = as_user([inst["sendmail"], "-C", own, "-t"], oauth_message(token))
    eq(r.returncode, 0, r.stderr.decode())
    eq(len(mailserver.delivered_by_token(token, wait=10)), 1, "delivered")


def group_secret(name="zone"):
    """A directory the user may list, holding name: the password, for
    root and the group only (0640 root:GROUP), as /etc/saatja or
    /run/credentials would hold it."""
    d = tempfile.mkdtemp(prefix="saatja-setgid-secret-")
    os.chmod(d, 0o755)
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(PASSWORD + "\n")
    os.chown(path, 0, grp.getgrnam(GROUP).gr_gid)
    os.chmod(path, 0o640)
    return d, path


def with_password_file(inst, value):
    """Puts password_file = value in place of the system config's
    password; returns the text to put back."""
    with open(inst["config"]) as f:
        saved = f.read()
    with open(inst["config"], "w") as f:
        f.write(saved.replace('password = "%s"' % PASSWORD, "password_file = %s" % value, 1))
    return saved


def test_system_password_file_is_read_with_the_group():
    inst = install()
    _, path = group_secret()
    saved = with_password_file(inst, path)
    try:
        assert as_user(["cat", path]).returncode != 0, "the user can read the secret"
        token = uuid.uuid4().hex
        r = as_user([inst["sendmail"], "-t"], message(token))
        eq(r.returncode, 0, r.stderr.decode())
        no_secret(r.stdout, r.stderr)
        eq(len(mailserver.delivered_by_token(token, wait=10)), 1, "delivered")
    finally:
        with open(inst["config"], "w") as f:
            f.write(saved)


def test_callers_password_file_is_read_without_the_group():
    """With -C, the user names the file: sendmail must not read for them
    a file that only the group may read (it would go to their server)."""
    inst = install()
    uid = pwd.getpwnam(USER).pw_uid
    _, path = group_secret()
    own = os.path.join(inst["home"], "own-file.ini")
    with open(own, "w") as f:
        f.write("""[saatja]
queue = %s/q3
[arved@firma.test]
host = 127.0.0.1
port = %d
ca_file = %s
password_file = %s
""" % (inst["home"], mailserver.SUBMISSION, mailserver.CA, path))
    os.chown(own, uid, -1)
    os.chmod(own, 0o600)
    token = uuid.uuid4().hex
    r = as_user([inst["sendmail"], "-C", own, "-t"], message(token))
    eq(r.returncode, 78, r.stderr.decode())
    contains(r.stderr.decode(), "password_file: cannot read %s: Permission denied" % path)
    no_secret(r.stdout, r.stderr)
    eq(mailserver.delivered_by_token(token), [], "nothing sent with the group's secret")


def test_callers_environment_picks_no_credentials_directory():
    """CREDENTIALS_DIRECTORY from the caller is ignored by a set-group-ID
    sendmail: the message waits for the queue runner's service. That
    service (Group= the group, so real and effective group are the same)
    then delivers it with its own credential."""
    inst = install()
    creds, _ = group_secret("zone")
    saved = with_password_file(inst, "zone")
    try:
        token = uuid.uuid4().hex
        r = as_user([inst["sendmail"], "-t"], message(token),
                    env={"CREDENTIALS_DIRECTORY": creds})
        eq(r.returncode, 0, r.stderr.decode())
        no_secret(r.stdout, r.stderr)
        r = as_user([inst["sendmail"], "-q"], env={"CREDENTIALS_DIRECTORY": creds})
        eq(r.returncode, 0, r.stderr.decode())
        eq(mailserver.delivered_by_token(token, wait=2), [], "the caller's directory was used")
        with open(inst["log"], encoding="utf-8", errors="replace") as f:
            log = f.read()
        contains(log, 'left for the queue runner: the password of arved@firma.test is the '
                 'systemd credential "zone"')
        gid = grp.getgrnam(GROUP).gr_gid
        runner = subprocess.run([inst["sendmail"], "-q"], env={"PATH": "/usr/bin:/bin",
                                "CREDENTIALS_DIRECTORY": creds},
                                preexec_fn=lambda: os.setgid(gid),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        eq(runner.returncode, 0, runner.stderr.decode())
        eq(len(mailserver.delivered_by_token(token, wait=10)), 1, "the runner delivered it")
    finally:
        with open(inst["config"], "w") as f:
            f.write(saved)


def test_setup_as_root_makes_a_new_system_file_0640_with_the_group():
    """sendmail --setup run by root through the set-group-ID install
    (found in the test world, tests/lib/testnet.py): with no system file
    yet, the new one is root's, mode 0640, with sendmail's group, so that
    the installed sendmail can read it for every user; run again, the
    file keeps its owner, group and mode."""
    inst = install()
    import testnet
    testnet.world()
    cfg = inst["config"]
    saved = cfg + ".saved"
    os.rename(cfg, saved)
    try:
        for _ in range(2):
            r = testnet.run([inst["sendmail"], "--yes", "--password-stdin", "--setup",
                             "arved@srv.test"], stdin=testnet.USERS["arved@srv.test"] + "\n")
            eq(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
            st = os.stat(cfg)
            eq(oct(st.st_mode & 0o7777), "0o640", "the system file's mode")
            eq(grp.getgrgid(st.st_gid).gr_name, GROUP, "the system file's group")
            eq(st.st_uid, 0, "root's file")
            contains(open(cfg).read(), "host = smtp.srv.test\n")
        no_secret(r.stdout, r.stderr)
    finally:
        os.replace(saved, cfg)


if __name__ == "__main__":
    run_tests()
