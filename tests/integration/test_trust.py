# SPDX-License-Identifier: MIT
"""Trust material (sendmail(8): certificates are verified against the
system store or ca_file).

Holding no CA certificate: an empty ca_file, a ca_file holding only a
private key, and a machine without ca-certificates (an empty
/etc/ssl/certs, made in a private mount namespace). Each is a config
error, exit 78, that says what to install or set, never a crash; the
message is kept in the failed area with that reason, and nothing reaches
the server.

The system store as users have it: a copy of the machine's
ca-certificates.crt with the test CA added, bind-mounted over the real
one in a private mount namespace (the machine's own store is never
touched). saatja loads from it only the CAs the server's chain names;
these tests pin that the store is read afresh for every message (a CA
removed or added counts at once), that a CA with the same name but
another key neither widens nor breaks trust, that what the pick cannot
read still verifies through the whole store, and that memory stays
small. Against the test Postfix (tests/server/mailserver.sh)."""
import os
import re
import subprocess
import tempfile
import uuid

import mailserver
from saatja_test import (sendmail_argv, sendmail, eq, contains, run_tests, SkipTest,
                         SENDMAIL, private_mounts)

FAIL = "\u2717"


def config_with_ca(make_ca=None, port=mailserver.SUBMISSION, tls="starttls"):
    """A config for the test server whose ca_file is what make_ca(path)
    writes, or that has no ca_file (the system store) when make_ca is None."""
    cfg = mailserver.config(port=port, tls=tls)
    line = "ca_file = %s\n" % mailserver.CA
    with open(cfg.path, encoding="utf-8") as f:
        text = f.read()
    cfg.ca_file = None
    if make_ca is not None:
        cfg.ca_file = os.path.join(cfg.work, "ca.pem")
        make_ca(cfg.ca_file)
    text = text.replace(line, "ca_file = %s\n" % cfg.ca_file if cfg.ca_file else "")
    with open(cfg.path, "w", encoding="utf-8") as f:
        f.write(text)
    return cfg


def empty(path):
    open(path, "w").close()


def key_only(path):
    subprocess.run(["certtool", "--generate-privkey", "--outfile", path],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


SYSTEM_STORE = "/etc/ssl/certs/ca-certificates.crt"


def in_namespace(mount, args, stdin=b"", config=None, prefix=()):
    """sendmail after the shell command mount, in a mount namespace of its
    own; the machine's own store is never touched."""
    private_mounts("this test, which changes the system's certificate store"
                   " in a mount namespace of its own,")
    argv = ["unshare", "-m", "--propagation", "private", "sh", "-c",
            mount + ' && exec "$@"', "sh"] + list(prefix)
    # Under /usr/bin/time the program itself is measured, never valgrind.
    argv += [SENDMAIL] if prefix else sendmail_argv()
    argv += ["-C", config.path] + list(args)
    proc = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=300)
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")


def without_system_store(args, stdin=b"", config=None):
    """sendmail with an empty /etc/ssl/certs (a tmpfs), as on a machine
    without ca-certificates."""
    return in_namespace("mount -t tmpfs none /etc/ssl/certs", args, stdin, config)


def with_store(path):
    """A runner for send() and check(): sendmail with the file path as the
    system store. Edits to the file count for the next run: each run
    mounts it afresh."""
    if not os.path.exists(SYSTEM_STORE):
        raise SkipTest("%s does not exist (apt-get install ca-certificates)"
                       % SYSTEM_STORE)

    def run(args, stdin=b"", config=None, prefix=()):
        return in_namespace("mount --bind %s %s" % (path, SYSTEM_STORE),
                            args, stdin, config, prefix)
    return run


def send(cfg, runner=None):
    token = "trust-%s" % uuid.uuid4().hex
    msg = ("From: arved@firma.test\nTo: klient@example.test\nSubject: %s\n\nhello\n"
           % token).encode()
    if runner is None:
        r = sendmail(["-i", "klient@example.test"], msg, cfg)
        code, err = r.code, r.err
    else:
        code, _, err = runner(["-i", "klient@example.test"], msg, cfg)
    return token, code, err


def kept_as_failed(cfg, token):
    """The message is in the failed area (mailq marks it with !), with the
    reason, and never reached the server."""
    listing = sendmail(["-bp"], b"", cfg)
    contains(listing.out.decode(), "!", "the message is in the failed area")
    contains(listing.out.decode(), "trusted certificates", "mailq shows the reason")
    eq(mailserver.delivered_by_token(token), [], "nothing delivered")


def refused_for_trust(code, err, names):
    eq(code, 78, "exit status (config error)\n" + err)
    contains(err, "cannot load trusted certificates")
    contains(err, names)
    if "Segmentation" in err or code >= 128:
        raise AssertionError("crashed: " + err)


def test_empty_ca_file_is_a_config_error_and_the_message_is_kept():
    cfg = config_with_ca(empty)
    token, code, err = send(cfg)
    refused_for_trust(code, err, "set ca_file = to a file with a CA certificate in it")
    contains(err, cfg.ca_file)
    kept_as_failed(cfg, token)


def test_key_only_ca_file_is_a_config_error_and_the_message_is_kept():
    cfg = config_with_ca(key_only)
    token, code, err = send(cfg)
    refused_for_trust(code, err, "set ca_file = to a file with a CA certificate in it")
    kept_as_failed(cfg, token)


def test_empty_ca_file_with_implicit_tls_is_the_same_error():
    cfg = config_with_ca(empty, port=mailserver.SMTPS, tls="tls")
    token, code, err = send(cfg)
    refused_for_trust(code, err, "ca_file")
    kept_as_failed(cfg, token)


def test_empty_system_store_says_to_install_ca_certificates():
    cfg = config_with_ca(None)
    token, code, err = send(cfg, without_system_store)
    refused_for_trust(code, err, "install the package ca-certificates")
    kept_as_failed(cfg, token)


def check_fails_at_tls(code, out, err, hint):
    """--check ends with the TLS step's cross, exit 78, and the hint."""
    eq(code, 78, "exit status\n" + out + err)
    steps = [l for l in out.splitlines() if l[:1] in ("\u2713", FAIL)]
    eq(steps[-1].split()[:2], [FAIL, "TLS"], "the failing step\n" + out)
    contains(out, "no trusted certificates")
    contains(out, "hint: " + hint)


def check(cfg, runner=None):
    if runner is not None:
        return runner(["--check"], b"", cfg)
    r = sendmail(["--check"], b"", cfg)
    return r.code, r.out.decode("utf-8"), r.err


def test_check_shows_an_empty_ca_file_at_the_tls_step():
    check_fails_at_tls(*check(config_with_ca(empty)),
                       "ca_file = must name a PEM file with the CA certificate")


def test_check_shows_a_key_only_ca_file_at_the_tls_step():
    check_fails_at_tls(*check(config_with_ca(key_only)),
                       "ca_file = must name a PEM file with the CA certificate")


def test_check_with_an_empty_system_store_says_to_install_ca_certificates():
    check_fails_at_tls(*without_system_store(["--check"], b"", config_with_ca(None)),
                       "apt-get install ca-certificates")


def read(path):
    with open(path, encoding="ascii") as f:
        return f.read()


def write_store(path, *parts):
    """Rewrites path in place (the same inode, so a store that changed
    without a new file is seen too) with the texts of parts."""
    with open(path, "w", encoding="ascii") as f:
        for p in parts:
            f.write(p if p.endswith("\n") else p + "\n")


WORK = tempfile.mkdtemp(prefix="saatja-trust-")
_decoy = None


def decoy_ca():
    """A CA certificate with the test CA's very name (the same template)
    but a key of its own: it did not issue the server's certificate."""
    global _decoy
    if _decoy is None:
        key, pem = os.path.join(WORK, "decoy-key.pem"), os.path.join(WORK, "decoy.pem")
        tmpl = os.path.join(mailserver.STATE, "tls", "ca.tmpl")
        for argv in (["certtool", "--generate-privkey", "--key-type=rsa",
                      "--bits=2048", "--outfile", key],
                     ["certtool", "--generate-self-signed", "--load-privkey", key,
                      "--template", tmpl, "--outfile", pem]):
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        _decoy = read(pem)
    return _decoy


def store_file(name):
    return os.path.join(WORK, name + "-%s.crt" % uuid.uuid4().hex[:8])


def delivered(token, code, err):
    eq(code, 0, "exit status\n" + err)
    eq(len(mailserver.delivered_by_token(token, wait=30)), 1, "delivered once")


def untrusted(token, code, err):
    eq(code, 77, "exit status (not trusted)\n" + err)
    contains(err, "not a certificate authority that this machine trusts")
    eq(mailserver.delivered_by_token(token), [], "nothing delivered")


def test_system_store_with_the_ca_verifies_and_check_names_the_ca():
    cfg = config_with_ca(None)
    path = store_file("store")
    write_store(path, read(SYSTEM_STORE), read(mailserver.CA))
    delivered(*send(cfg, with_store(path)))
    code, out, err = check(cfg, with_store(path))
    eq(code, 0, "--check exit status\n" + out + err)
    contains(out, "trusted issuer (the system trust store %s: its CA "
             "\"CN=saatja test CA,O=saatja tests\")" % SYSTEM_STORE)


def test_a_ca_removed_from_the_store_is_refused_for_the_next_message():
    cfg = config_with_ca(None)
    path = store_file("store")
    write_store(path, read(SYSTEM_STORE), read(mailserver.CA))
    delivered(*send(cfg, with_store(path)))
    write_store(path, read(SYSTEM_STORE))
    untrusted(*send(cfg, with_store(path)))


def test_a_changed_store_is_read_again():
    """Without the CA, with it, without it again: each message sees the
    store as it is then, in the same file."""
    cfg = config_with_ca(None)
    path = store_file("store")
    write_store(path, read(SYSTEM_STORE))
    untrusted(*send(cfg, with_store(path)))
    write_store(path, read(mailserver.CA), read(SYSTEM_STORE))
    delivered(*send(cfg, with_store(path)))
    write_store(path, read(SYSTEM_STORE))
    untrusted(*send(cfg, with_store(path)))


def test_a_ca_with_the_issuers_name_but_another_key_is_not_trusted():
    cfg = config_with_ca(None)
    path = store_file("decoy")
    write_store(path, decoy_ca(), read(SYSTEM_STORE))
    token, code, err = send(cfg, with_store(path))
    untrusted(token, code, err)
    contains(err, "issued by \"CN=saatja test CA,O=saatja tests\"")


def test_a_ca_with_the_issuers_name_does_not_hide_the_real_one():
    """The decoy comes first in the file; the real CA, later, still
    verifies (every certificate with the name is loaded), without the
    whole store."""
    cfg = config_with_ca(None)
    path = store_file("decoy")
    write_store(path, decoy_ca(), read(SYSTEM_STORE), read(mailserver.CA))
    delivered(*send(cfg, with_store(path)))
    code, out, err = check(cfg, with_store(path))
    eq(code, 0, "--check exit status\n" + out + err)
    contains(out, ": its CA \"CN=saatja test CA,O=saatja tests\"")


def test_a_ca_the_pick_cannot_read_verifies_through_the_whole_store():
    """A PEM block that does not start its line is read by GnuTLS but
    skipped by the pick (as a CA the server's chain no longer names
    would be): the whole store decides, the message goes, and --check
    says the whole store was needed."""
    cfg = config_with_ca(None)
    path = store_file("indented")
    indented = "".join("  " + l for l in read(mailserver.CA).splitlines(True))
    write_store(path, read(SYSTEM_STORE), indented)
    delivered(*send(cfg, with_store(path)))
    code, out, err = check(cfg, with_store(path))
    eq(code, 0, "--check exit status\n" + out + err)
    contains(out, "trusted issuer (the system trust store, all of it)")


def test_40mb_message_with_the_system_store_stays_small():
    if not os.path.exists("/usr/bin/time"):
        raise SkipTest("/usr/bin/time (package time) is not installed")
    cfg = config_with_ca(None)
    path = store_file("store")
    write_store(path, read(SYSTEM_STORE), read(mailserver.CA))
    token = "trust-%s" % uuid.uuid4().hex
    line = b"A" * 76 + b"\n"
    msg = ("From: arved@firma.test\nTo: klient@example.test\nSubject: %s\n\n"
           % token).encode() + line * (40 * 1024 * 1024 // len(line))
    code, _, err = with_store(path)(["-i", "klient@example.test"], msg, cfg,
                                    prefix=["/usr/bin/time", "-v"])
    eq(code, 0, "exit status\n" + err[-2000:])
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
    # The goal of doc/PERFORMANCE.md; ASan's shadow memory counts in the
    # resident set, so only a bound for leaks there.
    limit = 128 * 1024 if os.environ.get("SAATJA_SANITIZED") == "1" else 6656
    if rss > limit:
        raise AssertionError("peak RSS %d KiB for a 40 MB message" % rss)
    print("# peak RSS %d KiB for a 40 MB message with the system store" % rss)
    eq(len(mailserver.delivered_by_token(token, wait=120)), 1, "delivered once")


if __name__ == "__main__":
    run_tests()
