# SPDX-License-Identifier: MIT
"""saatja-as-sendmail and make install-as-sendmail / uninstall-as-sendmail:
saatja becomes the system's /usr/sbin/sendmail, /usr/lib/sendmail,
/usr/bin/mailq and /usr/bin/newaliases through local dpkg diversions, and
undo puts an MTA's files back byte for byte.

Everything happens in a fake Debian root (dpkg --root, dpkg-divert --root),
never on this machine's own /usr/sbin/sendmail. The "MTA" is a package built
here, fake-mta, installed into the fake root with dpkg, so that an upgrade
of it can show where its files land once saatja is installed."""
import os
import shutil
import subprocess
import tempfile

from saatja_test import (Config, BASIC_INI, SENDMAIL, SRCDIR, SkipTest, eq, contains,
                         run_tests)

BUILDDIR = os.environ.get("SAATJA_BUILDDIR") or os.path.join(SRCDIR)
SBINDIR = os.environ.get("SAATJA_SBINDIR", "/usr/local/sbin")
SCRIPT = os.path.join(BUILDDIR, "conf", "scripts", "saatja-as-sendmail")
RUNNER = os.path.join(BUILDDIR, "conf", "scripts", "saatja-runner")
CRON = "/etc/cron.d/saatja"
TIMER_LINK = "/etc/systemd/system/timers.target.wants/saatja-queue.timer"
UNITDIR = os.path.join(os.path.dirname(SBINDIR), "lib", "systemd", "system")
NAMES = ["/usr/sbin/sendmail", "/usr/lib/sendmail", "/usr/bin/mailq", "/usr/bin/newaliases"]
SUFFIX = ".before-saatja"
WORK = tempfile.mkdtemp(prefix="saatja-install-")


def need_dpkg():
    for tool in ("dpkg", "dpkg-deb", "dpkg-divert"):
        if shutil.which(tool) is None:
            raise SkipTest("%s is not installed: not a Debian system" % tool)


def fake_mta(version):
    """A .deb of fake-mta VERSION: a /usr/sbin/sendmail whose bytes say the
    version, and the other three names as symbolic links to it, as Postfix
    ships them."""
    deb = os.path.join(WORK, "fake-mta_%s.deb" % version)
    if os.path.exists(deb):
        return deb
    tree = tempfile.mkdtemp(prefix="fake-mta-", dir=WORK)
    for d in ("DEBIAN", "usr/sbin", "usr/lib", "usr/bin"):
        os.makedirs(os.path.join(tree, d))
    with open(os.path.join(tree, "DEBIAN", "control"), "w", encoding="utf-8") as f:
        f.write("Package: fake-mta\nVersion: %s\nArchitecture: all\n"
                "Maintainer: saatja tests <root@localhost>\n"
                "Description: an MTA stand-in for saatja's tests\n" % version)
    sendmail = os.path.join(tree, "usr", "sbin", "sendmail")
    with open(sendmail, "wb") as f:
        f.write(b"#!/bin/sh\necho 'fake-mta %s'\n# \x00\xff\xfe bytes\n" % version.encode())
    os.chmod(sendmail, 0o755)
    os.symlink("../sbin/sendmail", os.path.join(tree, "usr", "lib", "sendmail"))
    os.symlink("../sbin/sendmail", os.path.join(tree, "usr", "bin", "mailq"))
    os.symlink("../sbin/sendmail", os.path.join(tree, "usr", "bin", "newaliases"))
    check(["dpkg-deb", "--root-owner-group", "--build", tree, deb])
    return deb


def check(argv, **kw):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if r.returncode != 0:
        raise AssertionError("%s exited %d: %s%s" % (
            " ".join(argv), r.returncode, r.stdout.decode(), r.stderr.decode()))
    return r


class Root:
    """A fake Debian root: an empty dpkg database, the usual directories,
    and saatja's sendmail at SBINDIR/sendmail inside it."""

    def __init__(self, saatja=True):
        need_dpkg()
        self.dir = tempfile.mkdtemp(prefix="root-", dir=WORK)
        for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "usr/sbin", "usr/lib", "usr/bin"):
            os.makedirs(os.path.join(self.dir, d))
        open(os.path.join(self.dir, "var/lib/dpkg/status"), "w").close()
        if saatja:
            self.saatja = self.path(SBINDIR + "/sendmail")
            os.makedirs(os.path.dirname(self.saatja), exist_ok=True)
            shutil.copy2(SENDMAIL, self.saatja)

    def path(self, name):
        return self.dir + name

    def dpkg_install(self, version):
        check(["dpkg", "--root=" + self.dir, "--log=/dev/null", "--force-script-chrootless",
               "--install", fake_mta(version)])

    def run(self, action, script=SCRIPT, env=None, root=None, cwd=None):
        r = subprocess.run(["/bin/sh", script, "--root", root or self.dir, action], cwd=cwd,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        return r.returncode, r.stdout.decode() + r.stderr.decode()

    def diversions(self):
        r = check(["dpkg-divert", "--root", self.dir, "--admindir",
                   self.path("/var/lib/dpkg"), "--list"])
        return sorted(r.stdout.decode().splitlines())

    def snapshot(self, names=NAMES):
        """What each name (and its kept-aside twin) is: link text, or bytes
        and mode, or None."""
        out = {}
        for n in names:
            for p in (n, n + SUFFIX):
                full = self.path(p)
                if os.path.islink(full):
                    out[p] = ("link", os.readlink(full))
                elif os.path.exists(full):
                    with open(full, "rb") as f:
                        out[p] = ("file", f.read(), oct(os.stat(full).st_mode))
                else:
                    out[p] = None
        return out


def mta_files(version):
    return {"/usr/sbin/sendmail": ("file", b"#!/bin/sh\necho 'fake-mta %s'\n# \x00\xff\xfe bytes\n"
                                   % version.encode(), oct(0o100755)),
            "/usr/lib/sendmail": ("link", "../sbin/sendmail"),
            "/usr/bin/mailq": ("link", "../sbin/sendmail"),
            "/usr/bin/newaliases": ("link", "../sbin/sendmail")}


def ours():
    return sorted("local diversion of %s to %s%s" % (n, n, SUFFIX) for n in NAMES)


def assert_saatja(root):
    """Every name is a link that resolves, inside root, to saatja."""
    for n in NAMES:
        full = root.path(n)
        assert os.path.islink(full), "%s is not a link" % n
        text = os.readlink(full)
        if SBINDIR.startswith("/usr/"):
            eq(text, os.path.relpath(SBINDIR + "/sendmail", os.path.dirname(n)),
               "%s: a relative link inside /usr" % n)
        else:
            eq(text, SBINDIR + "/sendmail", "%s: an absolute link" % n)
        eq(resolve(root, n), SBINDIR + "/sendmail", "%s resolves to saatja" % n)
    eq(root.diversions(), ours(), "dpkg-divert --list")


def resolve(root, name):
    """Follows name's links as a chroot into root would."""
    for _ in range(10):
        full = root.path(name)
        if not os.path.islink(full):
            return name
        text = os.readlink(full)
        name = text if text.startswith("/") else os.path.normpath(
            os.path.join(os.path.dirname(name), text))
    raise AssertionError("link loop at %s" % name)


def test_install_keeps_the_mta_aside_and_undo_brings_it_back():
    root = Root()
    root.dpkg_install("1")
    before = root.snapshot()
    eq({n: before[n] for n in NAMES}, mta_files("1"), "the fake MTA is installed")
    code, out = root.run("install")
    eq(code, 0, out)
    assert_saatja(root)
    after = root.snapshot()
    for n in NAMES:
        eq(after[n + SUFFIX], before[n], "%s kept aside unchanged" % n)
    contains(out, "/usr/sbin/sendmail: the installed file is kept as /usr/sbin/sendmail" + SUFFIX)

    code, out = root.run("install")
    eq(code, 0, "install again: " + out)
    eq(root.snapshot(), after, "a second install changes nothing")
    eq(root.diversions(), ours(), "still one diversion per name")

    code, out = root.run("undo")
    eq(code, 0, out)
    eq(root.snapshot(), before, "every file back, byte for byte, nothing left aside")
    eq(root.diversions(), [], "no diversion left")
    code, out = root.run("undo")
    eq(code, 0, "undo again: " + out)
    contains(out, "nothing to undo")
    eq(root.snapshot(), before, "a second undo changes nothing")


def test_mta_upgrade_lands_beside_saatja():
    root = Root()
    root.dpkg_install("1")
    code, out = root.run("install")
    eq(code, 0, out)
    root.dpkg_install("2")
    assert_saatja(root)
    upgraded = root.snapshot()
    for n, what in mta_files("2").items():
        eq(upgraded[n + SUFFIX], what, "the upgrade unpacked %s beside saatja" % n)
    code, out = root.run("undo")
    eq(code, 0, out)
    eq({n: v for n, v in root.snapshot().items() if n in NAMES}, mta_files("2"),
       "undo restores the upgraded MTA")


def test_without_an_mta_the_diversions_wait_for_one():
    root = Root()
    code, out = root.run("install")
    eq(code, 0, out)
    assert_saatja(root)
    code, out = root.run("undo")
    eq(code, 0, out)
    eq(root.snapshot(), {p: None for n in NAMES for p in (n, n + SUFFIX)},
       "undo with no MTA removes the links and leaves nothing")
    eq(root.diversions(), [])
    # An MTA installed while saatja is the sendmail does not displace it.
    code, out = root.run("install")
    eq(code, 0, out)
    root.dpkg_install("1")
    assert_saatja(root)
    code, out = root.run("undo")
    eq(code, 0, out)
    eq({n: v for n, v in root.snapshot().items() if n in NAMES}, mta_files("1"))


def test_undo_when_not_installed_changes_nothing():
    root = Root()
    root.dpkg_install("1")
    before = root.snapshot()
    code, out = root.run("undo")
    eq(code, 0, out)
    contains(out, "saatja is not installed as the system's sendmail: nothing to undo")
    eq(root.snapshot(), before)


def test_status_says_whose_each_name_is():
    root = Root()
    root.dpkg_install("1")
    code, out = root.run("status")
    eq(code, 1, "status before install: " + out)
    contains(out, "/usr/sbin/sendmail: not saatja's (no diversion)")
    root.run("install")
    code, out = root.run("status")
    eq(code, 0, "status after install: " + out)
    contains(out, "/usr/bin/mailq -> %s (saatja's" % os.readlink(root.path("/usr/bin/mailq")))


def test_installed_names_run_saatja():
    root = Root()
    root.dpkg_install("1")
    code, out = root.run("install")
    eq(code, 0, out)
    queue = tempfile.mkdtemp(prefix="queue-", dir=WORK)
    cfg = Config(BASIC_INI.replace("[saatja]\n", "[saatja]\nqueue = %s\n" % queue, 1))
    env = dict(os.environ, TMPDIR=tempfile.gettempdir())

    def run(name, args):
        # A relative link works from outside the root as it does inside;
        # an absolute one (a prefix outside /usr) is followed by hand.
        full = root.path(name)
        exe = full if not os.readlink(full).startswith("/") else root.path(resolve(root, name))
        r = subprocess.run([os.path.basename(name)] + args, executable=exe, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    for name in ("/usr/sbin/sendmail", "/usr/lib/sendmail"):
        code, out, err = run(name, ["-C", cfg.path, "-bv", "root", "klient@example.ee"])
        eq(code, 0, "%s -bv: %s" % (name, err))
        eq(out.splitlines(), ["account: arved@firma.ee", "mail-from: arved@firma.ee",
                              "rcpt-to: it@firma.ee", "rcpt-to: klient@example.ee"],
           "%s is saatja: account chosen, root mapped through [aliases]" % name)
    code, out, err = run("/usr/bin/mailq", ["-C", cfg.path])
    eq((code, out.strip()), (0, "Mail queue is empty"), "mailq is saatja's: " + err)
    code, out, err = run("/usr/bin/newaliases", ["-C", cfg.path])
    eq((code, out, err), (0, "", ""), "newaliases is saatja's: nothing to rebuild")


def test_relative_root():
    root = Root()
    root.dpkg_install("1")
    before = root.snapshot()
    parent, name = os.path.split(root.dir)
    code, out = root.run("install", root=name, cwd=parent)
    eq(code, 0, out)
    assert_saatja(root)
    code, out = root.run("undo", root=name + "/", cwd=parent)
    eq(code, 0, out)
    eq(root.snapshot(), before)


def test_refuses_without_dpkg_divert_and_changes_nothing():
    root = Root()
    root.dpkg_install("1")
    before = root.snapshot()
    empty = tempfile.mkdtemp(prefix="path-", dir=WORK)
    code, out = root.run("install", env={"PATH": empty})
    eq(code, 1, out)
    contains(out, "dpkg-divert not found: this is not a Debian-like system")
    eq(root.snapshot(), before)
    code, out = root.run("undo", env={"PATH": empty})
    eq(code, 0, out)
    contains(out, "nothing to undo")


def test_refuses_a_name_diverted_by_someone_else():
    root = Root()
    root.dpkg_install("1")
    check(["dpkg-divert", "--root", root.dir, "--admindir", root.path("/var/lib/dpkg"),
           "--package", "other-mta", "--divert", "/usr/bin/mailq.other", "--add",
           "/usr/bin/mailq"])
    before, diversions = root.snapshot(), root.diversions()
    code, out = root.run("install")
    eq(code, 1, out)
    contains(out, "/usr/bin/mailq is already diverted to /usr/bin/mailq.other by package other-mta")
    eq(root.snapshot(), before, "checked before anything changed")
    eq(root.diversions(), diversions)


def test_refuses_a_file_in_place_of_its_link():
    root = Root()
    root.dpkg_install("1")
    root.run("install")
    os.remove(root.path("/usr/bin/newaliases"))
    with open(root.path("/usr/bin/newaliases"), "w", encoding="utf-8") as f:
        f.write("someone's own newaliases\n")
    code, out = root.run("undo")
    eq(code, 1, out)
    contains(out, "/usr/bin/newaliases is a file, not saatja's link: move it away")
    eq(root.diversions(), ours(), "nothing undone")
    assert os.path.islink(root.path("/usr/sbin/sendmail")), "nothing undone"


def test_refuses_when_saatja_is_not_installed():
    root = Root(saatja=False)
    root.dpkg_install("1")
    before = root.snapshot()
    code, out = root.run("install")
    eq(code, 1, out)
    contains(out, "install saatja first (make install)")
    eq(root.snapshot(), before)


def test_refuses_when_saatja_itself_is_usr_sbin_sendmail():
    # --prefix=/usr: saatja's file is the name; there is nothing to divert to.
    script = os.path.join(WORK, "saatja-as-sendmail-prefix-usr")
    with open(os.path.join(SRCDIR, "conf", "scripts", "saatja-as-sendmail.in"), encoding="utf-8") as f:
        text = f.read().replace("@sbindir@", "/usr/sbin")
    with open(script, "w", encoding="utf-8") as f:
        f.write(text)
    root = Root(saatja=False)
    shutil.copy2(SENDMAIL, root.path("/usr/sbin/sendmail"))
    code, out = root.run("install", script=script)
    eq(code, 1, out)
    contains(out, "saatja itself is installed as /usr/sbin/sendmail (configured with --prefix=/usr)")
    eq(root.diversions(), [])


def test_make_install_as_sendmail_with_destdir():
    need_dpkg()
    if shutil.which("make") is None:
        raise SkipTest("make is not installed")
    root = Root(saatja=False)
    root.dpkg_install("1")
    before = root.snapshot()
    env = dict(os.environ, DESTDIR=root.dir)
    env.pop("MAKEFLAGS", None)
    env["SAATJA_INIT"] = "cron"
    check(["make", "-C", BUILDDIR, "install-as-sendmail"], env=env)
    assert_saatja(root)
    assert os.access(root.path(SBINDIR + "/saatja-as-sendmail"), os.X_OK), "script installed"
    eq(runner_state(root), {"cron": CRON_TEXT, "timer": None}, "the runner is on")
    check(["make", "-C", BUILDDIR, "uninstall-as-sendmail"], env=env)
    eq(root.snapshot(), before, "the MTA is back")
    eq(root.diversions(), [])
    eq(runner_state(root), {"cron": None, "timer": None}, "the runner is off")


def runner_state(root):
    """What turns the queue runner on in root: the cron file's text, the
    timer's wants link."""
    cron = root.path(CRON)
    link = root.path(TIMER_LINK)
    return {"cron": open(cron, encoding="utf-8").read() if os.path.exists(cron) else None,
            "timer": os.readlink(link) if os.path.islink(link) else None}


CRON_TEXT = ("# saatja: retry queued mail every five minutes (made by saatja-runner).\n"
             "*/5 * * * *\troot\t%s/sendmail -q --due\n" % SBINDIR)


def test_install_turns_the_cron_runner_on_and_undo_off():
    root = Root()
    env = dict(os.environ, SAATJA_INIT="cron")
    code, out = root.run("install", env=env)
    eq(code, 0, out)
    eq(runner_state(root), {"cron": CRON_TEXT, "timer": None}, "after install")
    contains(out, "/etc/cron.d/saatja written")
    eq(oct(os.stat(root.path(CRON)).st_mode & 0o777), "0o644", "cron.d file mode")
    code, out = root.run("undo", env=env)
    eq(code, 0, out)
    eq(runner_state(root), {"cron": None, "timer": None}, "after undo")


def test_install_turns_the_systemd_timer_on_and_undo_off():
    root = Root()
    env = dict(os.environ, SAATJA_INIT="systemd")
    code, out = root.run("install", env=env)
    eq(code, 0, out)
    eq(runner_state(root), {"cron": None, "timer": UNITDIR + "/saatja-queue.timer"},
       "after install: the link systemctl enable makes")
    contains(out, "saatja-queue.timer enabled")
    code, out = root.run("undo", env=env)
    eq(code, 0, out)
    eq(runner_state(root), {"cron": None, "timer": None}, "after undo")


def test_runner_never_runs_twice_and_leaves_a_foreign_cron_file():
    root = Root(saatja=False)

    def runner(action, init):
        r = subprocess.run(["/bin/sh", RUNNER, "--root", root.dir, "--init", init, action],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return r.returncode, r.stdout.decode()

    eq(runner("status", "cron")[0], 1, "status with nothing enabled")
    eq(runner("enable", "cron")[0], 0)
    eq(runner("enable", "systemd")[0], 0)
    eq(runner_state(root), {"cron": None, "timer": UNITDIR + "/saatja-queue.timer"},
       "the timer replaced the cron line")
    code, out = runner("status", "cron")
    eq(code, 0, out)
    contains(out, "saatja-queue.timer is enabled")
    eq(runner("disable", "cron")[0], 0)
    eq(runner_state(root), {"cron": None, "timer": None}, "disable undoes either")
    os.makedirs(root.path("/etc/cron.d"), exist_ok=True)
    with open(root.path(CRON), "w", encoding="utf-8") as f:
        f.write("# someone's own job\n")
    code, out = runner("enable", "cron")
    eq(code, 1, out)
    contains(out, "is not saatja's: move it away")
    eq(runner("disable", "cron")[0], 0)
    eq(runner_state(root)["cron"], "# someone's own job\n", "a foreign file is left alone")


def test_make_install_for_the_system_turns_the_runner_on():
    need_dpkg()
    if shutil.which("make") is None:
        raise SkipTest("make is not installed")
    for init, want in (("cron", {"cron": CRON_TEXT, "timer": None}),
                       ("systemd", {"cron": None, "timer": UNITDIR + "/saatja-queue.timer"})):
        root = Root(saatja=False)
        env = dict(os.environ, DESTDIR=root.dir)
        env.pop("MAKEFLAGS", None)
        args = ["make", "-C", BUILDDIR, "sysconfdir=/etc", "SAATJA_INIT=" + init]
        check(args + ["install"], env=env)
        eq(runner_state(root), want, "make install --sysconfdir=/etc (%s)" % init)
        check(args + ["uninstall"], env=env)
        eq(runner_state(root), {"cron": None, "timer": None}, "make uninstall (%s)" % init)
    root = Root(saatja=False)
    env = dict(os.environ, DESTDIR=root.dir)
    env.pop("MAKEFLAGS", None)
    check(["make", "-C", BUILDDIR, "sysconfdir=/etc", "SAATJA_RUNNER=no", "install"], env=env)
    eq(runner_state(root), {"cron": None, "timer": None}, "SAATJA_RUNNER=no")
    check(["make", "-C", BUILDDIR, "sysconfdir=/etc", "SAATJA_RUNNER=no", "uninstall"], env=env)


if __name__ == "__main__":
    run_tests()
