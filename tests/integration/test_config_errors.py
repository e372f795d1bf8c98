# SPDX-License-Identifier: MIT
"""Config problems stop the program with exit 78 and a message that names
the file, the section and the key, and says what to do."""
import os

from saatja_test import Config, sendmail, eq, contains, run_tests

MSG = "From: arved@firma.ee\nTo: a@example.ee\n\nx\n"


def run(text, mode=0o600):
    cfg = Config(text, mode)
    return cfg, sendmail(["--dry-run", "-t"], MSG, cfg)


def test_missing_file_names_it():
    r = sendmail(["--dry-run", "-t"], MSG, "/nonexistent/dir/saatja.ini")
    eq(r.code, 78)
    contains(r.err, "/nonexistent/dir/saatja.ini")
    contains(r.err, "-C")


def test_unknown_key_names_file_section_key():
    cfg, r = run("[arved@firma.ee]\nprovider = zone\npassword = x\nprot = 587\n")
    eq(r.code, 78)
    contains(r.err, cfg.path + ": [arved@firma.ee] prot: unknown setting")


def test_unknown_key_error_lists_every_key_of_the_section():
    _, r = run("[arved@firma.ee]\nprovider = zone\npassword = x\nprot = 587\n")
    contains(r.err, "an account knows: provider, host, port, tls, password, "
             "password_command, password_file, auth, ca_file, fingerprint, max_per_hour, "
             "max_rcpt, timeout, cc, bcc, user")
    _, r = run("[saatja]\nretry = 5d\n[arved@firma.ee]\nprovider = zone\npassword = x\n")
    eq(r.code, 78)
    contains(r.err, "[saatja] retry: unknown setting; the [saatja] section knows: "
             "default, foreign_from, delivery, queue, retry_for, log, log_format, helo, local_domains")


def test_world_readable_with_password_refused():
    cfg, r = run("[arved@firma.ee]\nprovider = zone\npassword = x\n", 0o644)
    eq(r.code, 78)
    contains(r.err, "chmod 640 " + cfg.path)
    eq(r.out, b"")


def test_missing_password():
    _, r = run("[arved@firma.ee]\nprovider = zone\n")
    eq(r.code, 78)
    contains(r.err, "[arved@firma.ee]: no password")


def test_no_host():
    _, r = run("[arved@firma.ee]\npassword = x\n")
    eq(r.code, 78)
    contains(r.err, "provider = one of zone")


def test_unparsable_value():
    _, r = run("[arved@firma.ee]\nprovider = zone\npassword = x\ntimeout = forever\n")
    eq(r.code, 78)
    contains(r.err, "[arved@firma.ee] timeout")


def test_line_breaks_in_values_never_reach_a_command():
    """A CR inside a value could end an SMTP command or a header early:
    each such value is refused, and the refusal is one line on stderr."""
    account = "[arved@firma.ee]\nprovider = zone\npassword = x\n"
    for text, key in (
            ("[saatja]\nhelo = web1.example\rMAIL FROM:<x@y.ee>\n" + account, "helo"),
            (account + "cc = x@y.ee\rRCPT TO:<evil@x.ee>\n", "cc"),
            (account + "bcc = x@y.ee\rRCPT TO:<evil@x.ee>\n", "bcc"),
            ("[arved@firma.ee]\nhost = smtp.zone.eu\rQUIT\npassword = x\n", "host"),
            ("[saatja]\nlocal_domains = web1.lan\rQUIT\n" + account, "local_domains"),
            ("[aliases]\nroot = it@firma.ee\rRCPT TO:<evil@x.ee>\n" + account, "root")):
        _, r = run(text)
        eq(r.code, 78, "%s with a CR: %s" % (key, r.err))
        contains(r.err, key, "the key is named")
        eq(r.err.count("\n"), 1, "one line: %r" % r.err)
        eq("\r" in r.err, False, "no CR on stderr: %r" % r.err)
        eq(r.out, b"", "nothing printed as if it would be sent")


def test_unquoted_password_command_with_semicolon_refused():
    """iniparser would cut the command at ';' without a word."""
    _, r = run("[arved@firma.ee]\nprovider = zone\npassword_command = pass show x; true\n")
    eq(r.code, 78, r.err)
    contains(r.err, "password_command holds ';' or '#'")
    _, r = run('[arved@firma.ee]\nprovider = zone\npassword_command = "echo a; echo b"\n')
    eq(r.code, 0, r.err)


def test_ini_syntax_error():
    _, r = run("[arved@firma.ee\nprovider = zone\n")
    eq(r.code, 78)
    contains(r.err, "line 1 is not valid ini syntax")


def test_section_name_with_a_colon():
    """iniparser reads "[a:b]" as a key b of [a]; with no [aliases] at
    all the aliases were dropped without a word."""
    base = "[arved@firma.ee]\nprovider = zone\npassword = x\n"
    for text, line in ((base + "[aliases:root]\n", 4),
                       ("[aliases]\n[aliases:root]\n" + base, 2),
                       (base + "[arved@firma.ee:x]\nport = 25\n", 4)):
        _, r = run(text)
        eq(r.code, 78, text)
        contains(r.err, "line %d: the section name" % line)
        contains(r.err, "holds ':'")


def test_syntax_error_never_shows_the_line():
    """The line may hold a password; a set-group-ID sendmail must not
    print it to a caller who cannot read the file."""
    _, r = run("[arved@firma.ee]\nprovider = zone\npassword = \"top;secret\n")
    eq(r.code, 78)
    eq("top;secret" in r.err, False, "the password shown: " + r.err)
    _, r = run("password = topsecret\n[arved@firma.ee]\nprovider = zone\n")
    eq(r.code, 78)
    contains(r.err, "outside any section")
    eq("topsecret" in r.err, False, "the password shown: " + r.err)


def test_login_differing_from_sender():
    _, r = run("[arved@firma.ee]\nprovider = zone\npassword = x\nuser = arved\n")
    eq(r.code, 78)
    contains(r.err, "login")


def test_user_config_used_when_present():
    cfg = Config("[info@firma.ee]\nprovider = zone\npassword = x\n")
    xdg = os.path.join(cfg.dir, "xdg")
    os.makedirs(os.path.join(xdg, "saatja"))
    os.rename(cfg.path, os.path.join(xdg, "saatja", "saatja.ini"))
    r = sendmail(["--dry-run", "a@example.ee"], "Subject: s\n\nx\n",
                 env={"XDG_CONFIG_HOME": xdg})
    eq(r.code, 0, r.err)
    eq(r.dry()[0]["account"], "info@firma.ee")


if __name__ == "__main__":
    run_tests()
