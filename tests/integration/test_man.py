# SPDX-License-Identifier: MIT
"""The man pages keep in step with the code: mandoc -Tlint is clean, every
option letter and long option the parser knows is in sendmail.8, every
config key is in saatja.ini.5, every exit code is documented."""
import os
import re
import shutil
import subprocess

from saatja_test import SRCDIR, SkipTest, eq, run_tests


def read(*path):
    with open(os.path.join(SRCDIR, *path), encoding="utf-8") as f:
        return f.read()


def plain(page):
    """Man page text with escapes undone, enough to search for names."""
    return page.replace("\\-", "-").replace("\\&", "").replace("\\(em", "-")


def test_mandoc_lint_clean():
    if not shutil.which("mandoc"):
        raise SkipTest("mandoc is not installed")
    pages = [os.path.join(SRCDIR, "man", p) for p in
             ("sendmail.8", "mailq.1", "saatja.ini.5")]
    proc = subprocess.run(["mandoc", "-Tlint", "-Wwarning"] + pages,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    eq(proc.stdout.decode(), "", "mandoc -Tlint output")


def test_every_option_letter_documented():
    code = read("sendmail", "options.c")
    page = plain(read("man", "sendmail.8"))
    letters = ""
    for name in ("arg_letters", "flag_letters"):
        letters += re.search(r'%s\[\] = "([^"]*)"' % name, code).group(1)
    missing = [l for l in letters if not re.search(r"(^|[\s,(])-%s" % re.escape(l), page, re.M)
               and not re.search(r"-o%s|-%s\b" % (l, l), page)]
    eq(missing, [], "option letters missing from sendmail.8")
    for mode in re.findall(r'strcmp\(v, "(\w)"\) == 0', code):
        assert "-b" + mode in page, "-b%s missing from sendmail.8" % mode
    for opt in re.findall(r'strcmp\(arg, "(--[a-z-]+)"\) == 0', code):
        assert opt in page or (opt == "--json" and "--json" in plain(read("man", "mailq.1"))), \
            "%s missing from the man pages" % opt


def test_every_config_key_documented():
    code = read("sendmail", "config.c")
    page = plain(read("man", "saatja.ini.5"))
    # The key table of the config: { SECTION, "name", parser, offset } rows.
    block = re.search(r"struct key config_keys\[\] = \{(.*?)\n\};", code, re.S).group(1)
    keys = re.findall(r'\{ SEC_\w+, "(\w+)", ', block)
    assert len(keys) > 20, keys
    missing = [k for k in keys if not re.search(r"^\.B %s$" % k, page, re.M)]
    eq(missing, [], "config keys without their own entry in saatja.ini.5")


def test_every_exit_code_documented():
    page = plain(read("man", "sendmail.8"))
    for code in (0, 64, 65, 67, 69, 71, 73, 74, 76, 77, 78):
        assert re.search(r"^\.BR? (\d+ \", \" )*%d\b" % code, page, re.M), \
            "exit %d undocumented" % code


def providers_ini():
    """sendmail/providers.ini (the presets' source) as {preset: {key: value}}."""
    presets, current = {}, None
    for line in read("sendmail", "providers.ini").splitlines():
        line = line.strip()
        if not line or line[0] in ";#":
            continue
        if line.startswith("["):
            current = presets.setdefault(line[1:-1], {})
        else:
            key, _, value = line.partition("=")
            current[key.strip()] = value.strip()
    return presets


def test_presets_table_matches_providers_ini():
    page = read("man", "saatja.ini.5")
    table = page.split(".SH PRESETS", 1)[1].split(".TS", 1)[1].split(".TE", 1)[0]
    rows = [r.split("\t") for r in table.strip().splitlines()[1:]]
    eq(rows[0], ["preset", "host", "port", "tls", "domains"], "table header")
    want = [[name, p["host"], p["port"], p["tls"], p["domains"] or "\\(em"]
            for name, p in providers_ini().items()]
    eq(rows[1:], want, "saatja.ini.5 PRESETS against sendmail/providers.ini")


def test_every_preset_says_which_password():
    page = plain(read("man", "saatja.ini.5")).split(".SH PRESETS", 1)[1]
    for name, p in providers_ini().items():
        assert re.search(r"^\.BR? .*\b%s\b" % re.escape(name), page, re.M), \
            "%s has no password entry under PRESETS in saatja.ini.5" % name
        if p["app_password_page"]:
            assert p["app_password_page"] in page, \
                "%s's app password page is not in saatja.ini.5" % name


if __name__ == "__main__":
    run_tests()
