# SPDX-License-Identifier: MIT
"""A running tests/server/faultserver.py for one test file: its port, its
script, and what it saw (transcript and saved messages)."""
import atexit
import glob
import json
import os
import re
import subprocess
import tempfile
import time

from saatja_test import SRCDIR, server_config

PYTHON = os.environ.get("SAATJA_PYTHON", "/usr/bin/python3")
FAULTSERVER = os.path.join(SRCDIR, "tests", "server", "faultserver.py")
CERTDIR = os.path.join(tempfile.gettempdir(), "saatja-faultserver-certs")


def settled_transcript(path, wait=15):
    """The transcript once every session in it has ended: the server
    writes a session's last lines (the client's QUIT, "end") after the
    client may already have exited. After wait seconds, what is there."""
    deadline = time.time() + wait
    while True:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        begun = set(re.findall(r"^-- session (\d+): connect from ", text, re.M))
        ended = set(re.findall(r"^-- session (\d+): end$", text, re.M))
        if begun <= ended or time.time() >= deadline:
            return text
        time.sleep(0.05)


class FaultServer:
    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="saatja-faults-")
        self.script_path = os.path.join(self.work, "script.json")
        self.transcript_path = os.path.join(self.work, "transcript.log")
        self.maildir = os.path.join(self.work, "mail")
        os.mkdir(self.maildir)
        self.script({})
        errlog = os.path.join(self.work, "faultserver.err")
        with open(errlog, "wb") as err:
            self.proc = subprocess.Popen(
                [PYTHON, FAULTSERVER, "--port", "0", "--script", self.script_path,
                 "--certdir", CERTDIR, "--transcript", self.transcript_path,
                 "--maildir", self.maildir],
                stdout=subprocess.PIPE, stderr=err)
        atexit.register(self.proc.terminate)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("PORT "):
            self.proc.wait(timeout=10)
            with open(errlog, errors="replace") as f:
                raise RuntimeError("faultserver did not start: %r; it said: %s"
                                   % (line, f.read()[-2000:]))
        self.port = int(line.split()[1])

    def script(self, script):
        """Sets the behaviour and empties the transcript."""
        with open(self.script_path, "w") as f:
            json.dump(script, f)
        open(self.transcript_path, "w").close()

    def transcript(self):
        return settled_transcript(self.transcript_path)

    def sessions(self):
        return len([l for l in self.transcript().splitlines()
                    if l.startswith("-- session ") and " connect from " in l])

    def commands(self, verb):
        return [l[3:] for l in self.transcript().splitlines()
                if l.startswith("C: " + verb)]

    def messages(self, token=None):
        """Saved messages (bytes), those holding token when given."""
        out = []
        for path in sorted(glob.glob(os.path.join(self.maildir, "*.eml"))):
            with open(path, "rb") as f:
                data = f.read()
            if token is None or token.encode() in data:
                out.append(data)
        return out

    def config(self, account="arved@firma.test", extra="", saatja="",
               password="fault-secret-1"):
        return server_config(self.port, os.path.join(CERTDIR, "ca.pem"), password,
                             account=account, timeout=10, saatja=saatja,
                             extra=extra, parent=self.work)
