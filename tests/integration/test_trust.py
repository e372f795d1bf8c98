"""Trust material that holds no CA certificate (SPEC §3: certificates are
verified against the system store or ca_file): an empty ca_file, a ca_file
holding only a private key, and a machine without ca-certificates (an
empty /etc/ssl/certs, made in a private mount namespace). Each is a config
error, exit 78, that says what to install or set, never a crash; the
message is kept in the failed area with that reason, and nothing reaches
the server. Against the test Postfix (tests/server/mailserver.sh)."""
import os
import subprocess
import uuid

import mailserver
from saatja_test import (sendmail_argv, sendmail, eq, contains, run_tests,
                         private_mounts)

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


def without_system_store(args, stdin=b"", config=None):
    """sendmail with an empty /etc/ssl/certs (a tmpfs in a mount namespace
    of its own), as on a machine without ca-certificates; the machine's
    own store is never touched."""
    private_mounts("this test, which hides the system's certificate store,")
    argv = ["unshare", "-m", "--propagation", "private", "sh", "-c",
            'mount -t tmpfs none /etc/ssl/certs && exec "$@"', "sh"]
    argv += sendmail_argv() + ["-C", config.path] + list(args)
    proc = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")


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


def check(cfg):
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


if __name__ == "__main__":
    run_tests()
