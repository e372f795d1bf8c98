# SPDX-License-Identifier: MIT
"""The house keeps its shape: doc/DESIGN.md's table of layers is the
code's. Every source file of sendmail/, mailq/ and oauth/ is in a layer,
no file includes a header of a higher layer, nothing below the request
layer sees the command line, the OAuth2 helper stands on the lowest two
layers only, and no file passes what a reader can hold. And the
repository stands on its own: every source file names its licence, and
nothing cites a document or an issue that is not in it."""
import subprocess
import os
import re

from saatja_test import SRCDIR, eq, run_tests

FOLDERS = ("sendmail", "mailq", "oauth")
MAX_LINES = 800


def layers():
    """{module: layer number} from the ```layers block of doc/DESIGN.md:
    lines "N name: module module ..."."""
    with open(os.path.join(SRCDIR, "doc", "DESIGN.md"), encoding="utf-8") as f:
        text = f.read()
    block = re.search(r"^```layers\n(.*?)^```", text, re.M | re.S)
    assert block, "doc/DESIGN.md has no ```layers block"
    table = {}
    for line in block.group(1).splitlines():
        m = re.match(r"\s*(\d+)\s+[^:]+:\s*(.*)", line)
        if m:
            for module in m.group(2).split():
                table[module] = int(m.group(1))
    return table


def sources():
    """(folder, file name, module) of every .c and .h, generated ones too."""
    for folder in FOLDERS:
        for name in sorted(os.listdir(os.path.join(SRCDIR, folder))):
            if name.endswith((".c", ".h")):
                yield folder, name, name[:-2]


def includes(folder, name):
    with open(os.path.join(SRCDIR, folder, name), encoding="utf-8") as f:
        return [i for i in re.findall(r'^#include "([^"/]+)\.h"', f.read(), re.M)
                if i != "autoconf"]


def test_every_source_file_has_a_layer():
    table = layers()
    eq([f"{d}/{n}" for d, n, m in sources() if m not in table], [],
       "files that doc/DESIGN.md's layers do not place")


def test_includes_run_downward():
    table = layers()
    up = []
    for folder, name, module in sources():
        for inc in includes(folder, name):
            if inc in table and module in table and table[inc] > table[module]:
                up.append(f"{folder}/{name} includes {inc}.h "
                          f"(layer {table[module]} -> {table[inc]})")
    eq(up, [], "includes that climb")


def test_only_main_sees_the_command_line():
    table = layers()
    top = table.get("options", 0)
    seen = [f"{d}/{n}" for d, n, m in sources()
            if "options" in includes(d, n) and table.get(m, 0) < top]
    eq(seen, [], "files below main that include options.h")


def test_the_helper_stands_on_the_lowest_layers():
    table = layers()
    own = {m for d, n, m in sources() if d == "oauth"}
    beyond = [f"oauth/{n} includes {i}.h" for d, n, m in sources() if d == "oauth"
              for i in includes(d, n) if i not in own and table.get(i, 99) > 1]
    eq(beyond, [], "the OAuth2 helper's includes above the parsers")


def test_no_file_past_what_a_reader_can_hold():
    long = []
    for folder, name, _ in sources():
        with open(os.path.join(SRCDIR, folder, name), encoding="utf-8") as f:
            n = sum(1 for _ in f)
        if n > MAX_LINES and not name.endswith("-data.h"):
            long.append(f"{folder}/{name}: {n} lines")
    eq(long, [], f"files over {MAX_LINES} lines")


def tracked_files():
    """The files git tracks, or every file when this is not a clone (a
    release tarball carries no .git)."""
    proc = subprocess.run(["git", "-C", SRCDIR, "ls-files"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL)
    if proc.returncode == 0 and proc.stdout:
        return proc.stdout.decode().split()
    return [os.path.relpath(os.path.join(d, f), SRCDIR)
            for d, _, fs in os.walk(SRCDIR) for f in fs]


def test_every_source_file_names_its_licence():
    unnamed = []
    for folder, name, _ in sources():
        if name.endswith("-data.h"):
            continue	# generated from sendmail/providers.ini
        with open(os.path.join(SRCDIR, folder, name), encoding="utf-8") as f:
            if "SPDX-License-Identifier: MIT" not in f.read(300):
                unnamed.append(f"{folder}/{name}")
    eq(unnamed, [], "source files without their SPDX line")


def test_nothing_cites_what_is_not_in_the_repository():
    # Spelled in two pieces, so that this line does not find itself.
    cites = re.compile(r"\b" + "SP" + r"EC\b|\b[Ii]" + r"ssue [0-9]")
    found = []
    for path in tracked_files():
        if path.startswith(("po/", ".git")) or not os.path.isfile(os.path.join(SRCDIR, path)):
            continue
        try:
            with open(os.path.join(SRCDIR, path), encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if cites.search(line):
                        found.append(f"{path}:{n}: {line.strip()[:80]}")
        except UnicodeDecodeError:
            continue
    eq(found, [], "citations of documents or issues outside the repository")


if __name__ == "__main__":
    run_tests()
