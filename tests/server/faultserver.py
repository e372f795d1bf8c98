#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""faultserver.py - a small scriptable SMTP submission server for fault tests.

Run it with /usr/bin/python3 (standard library only; needs `certtool` from
gnutls-bin to make its certificates). It listens on 127.0.0.1 only:

    /usr/bin/python3 tests/server/faultserver.py --port 0 --script s.json \
        --certdir /tmp/fault-certs --transcript t.log --maildir mail/ [--once]

The first line on stdout is "PORT <n>"; then it serves until killed (SIGTERM
or SIGINT end it cleanly), or after one session with --once.

Without a script it behaves like an ordinary submission server (STARTTLS,
AUTH PLAIN/LOGIN after TLS, any credentials accepted). The JSON script (read
again at every new connection, so a test may rewrite it between sessions)
changes the reply of any step or makes it disconnect, stall, send garbage or an
over-long line. See tests/server/README.md for the keys.

One thread per connection with blocking sockets: simpler than asyncio for
mid-session TLS upgrades, stalls and exact byte accounting.
"""

import argparse
import base64
import binascii
import datetime
import fcntl
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings

DEFAULT_SIZE = 104857600          # SIZE advertised (100 MB, like mailserver.sh)
MAX_LINE = 64 * 1024 * 1024       # longest line we buffer before giving up
CERT_MODES = ("good", "untrusted", "selfsigned", "expired", "notyetvalid", "wrongname")
TLS_VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.0": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1, "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
DEFAULT_GARBAGE = (b"\x00\x01\x02\xff\xfe GARBAGE \x16\x03\x01\x00\x05"
                   b"HTTP/1.1 400 Bad Request\r\n\x1b[2J\xc3\x28\r\n")

# Steps whose reply a script may change, and their index rule (see README).
STEPS = ("greeting", "ehlo", "helo", "starttls", "handshake", "auth", "mail",
         "rcpt", "data", "data_read", "data_end", "rset", "noop", "vrfy",
         "quit", "unknown")


def log(msg):
    print("faultserver: " + msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------- certs ----

class CertStore:
    """Creates (once, cached in certdir) a CA and one server cert per mode."""

    LEAF_KEY = "key.pem"

    def __init__(self, certdir, ca_cert=None, ca_key=None):
        self.dir = os.path.abspath(certdir)
        self.ca_cert = ca_cert
        self.ca_key = ca_key

    def path(self, name):
        return os.path.join(self.dir, name)

    def files(self, mode):
        if mode not in CERT_MODES:
            raise ValueError("unknown cert mode %r (one of %s)" % (mode, ", ".join(CERT_MODES)))
        return self.path(mode + ".pem"), self.path(self.LEAF_KEY)

    def _certtool(self, *args):
        r = subprocess.run(["certtool", *args], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise RuntimeError("certtool %s failed: %s" % (" ".join(args), r.stderr.decode(errors="replace")))

    def _template(self, name, lines):
        p = self.path(name + ".tmpl")
        with open(p, "w") as f:
            f.write("\n".join(lines) + "\n")
        return p

    def _leaf(self, mode, signer, cn, names, ips, dates):
        lines = ['cn = "%s"' % cn, 'organization = "saatja fault tests"',
                 "serial = %d" % (100 + CERT_MODES.index(mode)),
                 "tls_www_server", "signing_key", "encryption_key"]
        lines += ['dns_name = "%s"' % n for n in names]
        lines += ['ip_address = "%s"' % i for i in ips]
        if dates:
            lines += ['activation_date = "%s"' % dates[0], 'expiration_date = "%s"' % dates[1]]
        else:
            lines.append("expiration_days = 3650")
        tmpl = self._template(mode, lines)
        out = self.path(mode + ".pem.tmp")
        key = self.path(self.LEAF_KEY)
        if signer is None:
            self._certtool("--generate-self-signed", "--load-privkey", key,
                           "--template", tmpl, "--outfile", out)
        else:
            self._certtool("--generate-certificate", "--load-privkey", key,
                           "--load-ca-certificate", self.path(signer + ".pem"),
                           "--load-ca-privkey", self.path(signer + "-key.pem"),
                           "--template", tmpl, "--outfile", out)
        os.replace(out, self.path(mode + ".pem"))

    def _ca(self, name, cn):
        key = self.path(name + "-key.pem")
        if not os.path.exists(key):
            self._certtool("--generate-privkey", "--key-type=rsa", "--bits=2048", "--outfile", key)
        tmpl = self._template(name, ['cn = "%s"' % cn, "serial = 1", "expiration_days = 3650",
                                     "ca", "cert_signing_key", "crl_signing_key"])
        self._certtool("--generate-self-signed", "--load-privkey", key,
                       "--template", tmpl, "--outfile", self.path(name + ".pem.tmp"))
        os.replace(self.path(name + ".pem.tmp"), self.path(name + ".pem"))

    def ensure(self):
        os.makedirs(self.dir, exist_ok=True)
        with open(self.path(".lock"), "a") as lockf:
            # Parallel test processes may share a certdir: one generates.
            fcntl.flock(lockf, fcntl.LOCK_EX)
            try:
                self._ensure_locked()
            finally:
                fcntl.flock(lockf, fcntl.LOCK_UN)

    def _ensure_locked(self):
        if self.ca_cert:
            given = open(self.ca_cert, "rb").read()
            if os.path.exists(self.path("ca.pem")):
                if open(self.path("ca.pem"), "rb").read() != given:
                    raise RuntimeError("%s was made with another CA; use a new --certdir" % self.dir)
            else:
                with open(self.path("ca-key.pem"), "wb") as f:
                    f.write(open(self.ca_key, "rb").read())
                with open(self.path("ca.pem"), "wb") as f:
                    f.write(given)
        if not os.path.exists(self.path("ca.pem")):
            self._ca("ca", "saatja fault-test CA")
        if not os.path.exists(self.path("rogue-ca.pem")):
            self._ca("rogue-ca", "saatja UNTRUSTED CA")
        if not os.path.exists(self.path(self.LEAF_KEY)):
            self._certtool("--generate-privkey", "--key-type=rsa", "--bits=2048",
                           "--outfile", self.path(self.LEAF_KEY))
        good_names, good_ips = ["localhost"], ["127.0.0.1", "::1"]
        specs = {
            "good": ("ca", "localhost", good_names, good_ips, None),
            "untrusted": ("rogue-ca", "localhost", good_names, good_ips, None),
            "selfsigned": (None, "localhost", good_names, good_ips, None),
            "expired": ("ca", "localhost", good_names, good_ips,
                        ("2015-01-01 00:00:00", "2016-01-01 00:00:00")),
            "notyetvalid": ("ca", "localhost", good_names, good_ips,
                            ("2090-01-01 00:00:00", "2095-01-01 00:00:00")),
            "wrongname": ("ca", "wrong.example.test", ["wrong.example.test"], [], None),
        }
        for mode, (signer, cn, names, ips, dates) in specs.items():
            if not os.path.exists(self.path(mode + ".pem")):
                self._leaf(mode, signer, cn, names, ips, dates)
        # Test keys, trusted by nothing but the tests: readable by any test user.
        for n in os.listdir(self.dir):
            if n.endswith(".pem"):
                try:
                    os.chmod(self.path(n), 0o644)
                except PermissionError:
                    pass


def tls_version(v):
    if v is None:
        return None
    s = str(v)
    if not s.startswith("TLS"):
        s = "TLSv" + s
    if s not in TLS_VERSIONS:
        raise ValueError("unknown TLS version %r (use TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)" % v)
    return TLS_VERSIONS[s]


def make_context(store, script, on_sni):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert, key = store.files(script.get("cert", "good"))
    ctx.load_cert_chain(cert, key)
    lo, hi = tls_version(script.get("tls_min_version")), tls_version(script.get("tls_max_version"))
    with warnings.catch_warnings():
        # TLS 1.0/1.1 are deprecated in Python's ssl module; we want them.
        warnings.simplefilter("ignore", DeprecationWarning)
        if lo is not None:
            ctx.minimum_version = lo
        if hi is not None:
            ctx.maximum_version = hi
    if (lo is not None and lo < ssl.TLSVersion.TLSv1_2) or (hi is not None and hi < ssl.TLSVersion.TLSv1_2):
        # OpenSSL 3 refuses TLS < 1.2 at the default security level 1/2
        # (SHA-1 / MD5 signatures): level 0 permits them.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if script.get("tls_ciphers"):
        ctx.set_ciphers(script["tls_ciphers"])
    ctx.sni_callback = lambda sslobj, name, c: on_sni(name)
    return ctx


# ----------------------------------------------------------- transcript ----

def escape(line):
    """One transcript line for raw bytes: CRLF-terminated lines appear plain;
    a bare LF shows as a trailing \\n, a missing line end as [no EOL].
    Inside: \\\\, \\r, \\n, control bytes and invalid UTF-8 as \\xNN."""
    if line.endswith(b"\r\n"):
        body, tail = line[:-2], ""
    elif line.endswith(b"\n"):
        body, tail = line[:-1], "\\n"
    else:
        body, tail = line, "[no EOL]"
    out = []
    for ch in body.decode("utf-8", "surrogateescape"):
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\n":
            out.append("\\n")
        elif 0xDC80 <= o <= 0xDCFF:
            out.append("\\x%02x" % (o - 0xDC00))
        elif (o < 0x20 and ch != "\t") or o == 0x7F:
            out.append("\\x%02x" % o)
        else:
            out.append(ch)
    return "".join(out) + tail


def split_lines(data):
    lines, start = [], 0
    while start < len(data):
        i = data.find(b"\n", start)
        if i < 0:
            lines.append(data[start:])
            break
        lines.append(data[start:i + 1])
        start = i + 1
    return lines


class Transcript:
    def __init__(self, path):
        self.lock = threading.Lock()
        self.f = open(path, "ab") if path else None

    def write(self, text):
        if self.f is None:
            return
        with self.lock:
            self.f.write(text.encode("utf-8", "surrogateescape") + b"\n")
            self.f.flush()


# -------------------------------------------------------------- session ----

class Closed(Exception):
    """The session is over (client gone, or a scripted disconnect)."""


class Session:
    def __init__(self, server, sock, peer, num, script):
        self.server = server
        self.sock = sock
        self.peer = peer
        self.num = num
        self.script = script
        self.tr = server.transcript
        self.buf = bytearray()
        self.pos = 0
        self.tls = False
        self.tls_version = None
        self.sni = None
        self.greeted = False
        self.authed = None            # authcid once authenticated
        self.counts = {}              # per-step occurrence counter (session)
        self.msg_count = 0
        self.reset_transaction()
        self.hostname = script.get("hostname", "fault.test")
        self.size_limit = script.get("size", DEFAULT_SIZE)
        self.sock.settimeout(float(script.get("timeout", 300)))

    # ---- low level I/O ----
    def note(self, text):
        self.tr.write("-- " + text)

    def send(self, data):
        for line in split_lines(data):
            self.tr.write("S: " + escape(line))
        try:
            self.sock.sendall(data)
        except (OSError, ssl.SSLError) as e:
            self.note("send failed: %s" % e)
            raise Closed()

    def recv_more(self):
        try:
            chunk = self.sock.recv(262144)
        except socket.timeout:
            self.note("client idle for %ss: closing" % self.sock.gettimeout())
            try:
                self.sock.sendall(b"421 4.4.2 " + self.hostname.encode() + b" Error: timeout exceeded\r\n")
            except OSError:
                pass
            raise Closed()
        except (ssl.SSLError, OSError) as e:
            self.note("receive failed: %s" % e)
            raise Closed()
        return chunk

    def readline(self, record=True):
        """Next line (with its terminator) or raise Closed at EOF."""
        while True:
            i = self.buf.find(b"\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos:i + 1])
                self.pos = i + 1
                if self.pos > 1 << 20:
                    del self.buf[:self.pos]
                    self.pos = 0
                if record:
                    self.tr.write("C: " + escape(line))
                return line
            if len(self.buf) - self.pos > MAX_LINE:
                self.note("line longer than %d bytes: closing" % MAX_LINE)
                raise Closed()
            chunk = self.recv_more()
            if not chunk:
                rest = bytes(self.buf[self.pos:])
                self.buf.clear()
                self.pos = 0
                if rest:
                    if record:
                        self.tr.write("C: " + escape(rest))
                    self.note("client closed the connection (after a partial line)")
                else:
                    self.note("client closed the connection")
                raise Closed()
            self.buf += chunk

    # ---- script handling ----
    def spec(self, step, index=None):
        """The script entry for this step occurrence as a dict ({} = default)."""
        if index is None:
            index = self.counts.get(step, 0)
            self.counts[step] = index + 1
        v = self.script.get(step)
        if isinstance(v, list):
            v = v[index] if index < len(v) else None
        elif isinstance(v, dict) and any(k.isdigit() or k == "default" for k in v):
            v = v.get(str(index), v.get("default"))
        if v is None:
            return {}
        if isinstance(v, str):
            return {"reply": v}
        if isinstance(v, dict):
            return v
        raise ValueError("script step %r: expected string, object, list or null, got %r" % (step, v))

    @staticmethod
    def format_reply(text):
        lines = text.replace("\r\n", "\n").split("\n")
        while lines and lines[-1] == "":
            lines.pop()
        return "".join(l + "\r\n" for l in lines).encode("utf-8")

    def act(self, step, default, index=None):
        """Answer one step: the script's action or the default reply.
        Returns the 3-digit code sent (int), or None if no reply was sent."""
        return self.perform(step, self.spec(step, index), default)

    @staticmethod
    def reply_code(text):
        return int(text[:3]) if text[:3].isdigit() else None

    @staticmethod
    def planned_reply(sp, default):
        """The reply text perform() will send for this spec (None: none)."""
        if "reply" in sp:
            return sp["reply"]
        if any(k in sp for k in ("garbage", "garbage_hex", "longline", "raw", "disconnect")):
            return None
        return default

    def perform(self, step, sp, default):
        stall = sp.get("stall", sp.get("delay"))
        if stall:
            self.note("%s: stall %ss" % (step, stall))
            time.sleep(float(stall))
        sent_other = False
        if "garbage" in sp or "garbage_hex" in sp:
            if "garbage_hex" in sp:
                g = binascii.unhexlify(sp["garbage_hex"])
            elif sp["garbage"] is True:
                g = DEFAULT_GARBAGE
            else:
                g = str(sp["garbage"]).encode("utf-8")
            self.note("%s: garbage %d bytes" % (step, len(g)))
            self.send(g)
            sent_other = True
        if "longline" in sp:
            ll = sp["longline"]
            if not isinstance(ll, dict):
                ll = {"length": ll}
            prefix = ll.get("prefix", (default or "250")[:3] + " ")
            data = prefix.encode() + b"x" * int(ll.get("length", 102400))
            if ll.get("crlf", True):
                data += b"\r\n"
            self.note("%s: long line %d bytes" % (step, len(data)))
            self.send(data)
            sent_other = True
        code = None
        if "raw" in sp:
            # Sent exactly as given (no CRLF added); its first three digits,
            # if any, still count as the reply code for the session state.
            self.send(sp["raw"].encode("utf-8"))
            sent_other = True
            code = self.reply_code(sp["raw"])
        reply = self.planned_reply(sp, default)
        if reply is not None:
            self.send(self.format_reply(reply))
            code = self.reply_code(reply)
        if sp.get("disconnect"):
            self.note("%s: disconnect" % step)
            raise Closed()
        if code == 421 and not sp.get("keep_open"):
            # RFC 5321 4.2.2: 421 means the server closes the channel.
            self.note("%s: 421 sent, closing" % step)
            raise Closed()
        return code

    # ---- TLS ----
    def start_tls(self, how):
        sp = self.spec("handshake")
        stall = sp.get("stall", sp.get("delay"))
        if stall:
            self.note("handshake: stall %ss" % stall)
            time.sleep(float(stall))
        if "garbage" in sp or "garbage_hex" in sp:
            g = binascii.unhexlify(sp["garbage_hex"]) if "garbage_hex" in sp else (
                DEFAULT_GARBAGE if sp["garbage"] is True else str(sp["garbage"]).encode())
            self.note("handshake: garbage %d bytes instead of TLS" % len(g))
            self.send(g)
            raise Closed()
        if sp.get("disconnect"):
            self.note("handshake: disconnect before TLS")
            raise Closed()
        leftover = bytes(self.buf[self.pos:])
        if leftover:
            # RFC 3207: plaintext sent after STARTTLS must be discarded.
            self.note("discarded %d plaintext bytes received after STARTTLS: %s"
                      % (len(leftover), escape(leftover)))
        self.buf.clear()
        self.pos = 0
        self.note("TLS start (%s)" % how)
        try:
            ctx = make_context(self.server.certs, self.script, self._on_sni)
            self.sock = ctx.wrap_socket(self.sock, server_side=True)
        except (ssl.SSLError, OSError, ValueError) as e:
            self.note("TLS handshake failed: %s" % e)
            raise Closed()
        self.tls = True
        self.tls_version = self.sock.version()
        self.note("TLS started %s %s sni=%s" % (self.tls_version, self.sock.cipher()[0], self.sni))
        self.greeted = False
        self.authed = None
        self.reset_transaction()

    def _on_sni(self, name):
        self.sni = name

    # ---- SMTP state ----
    def reset_transaction(self):
        self.mail_from = None
        self.mail_params = ""
        self.rcpts = []
        self.rcpt_params = []
        self.rcpt_index = 0

    def ehlo_lines(self):
        s = self.script
        ext = s.get("extensions")
        if ext is None:
            ext = ["PIPELINING"]
            if self.size_limit is not None:
                ext.append("SIZE" if not self.size_limit else "SIZE %d" % self.size_limit)
            ext += ["8BITMIME", "ENHANCEDSTATUSCODES"]
            if not self.tls and not s.get("strip_starttls"):
                ext.append("STARTTLS")
            mechs = self.mechanisms()
            if mechs and (self.tls or s.get("auth_before_tls")):
                ext.append("AUTH " + " ".join(mechs))
            ext += s.get("extra_extensions", [])
            drop = {e.upper() for e in s.get("remove_extensions", [])}
            ext = [e for e in ext if e.split()[0].upper() not in drop]
        lines = [self.hostname] + list(ext)
        return "\r\n".join(("250-" if i < len(lines) - 1 else "250 ") + l for i, l in enumerate(lines))

    def mechanisms(self):
        m = self.script.get("auth_mechanisms", "PLAIN LOGIN")
        if isinstance(m, str):
            m = m.split()
        return [x.upper() for x in m]

    def check_credentials(self, user, password):
        creds = self.server.credentials(self.script)
        if creds is None:
            return True
        return creds.get(user) == password

    # ---- the dialogue ----
    def run(self):
        self.note("session %d: connect from %s:%d%s" % (
            self.num, self.peer[0], self.peer[1],
            " (implicit TLS)" if self.script.get("implicit_tls") else ""))
        try:
            if self.script.get("implicit_tls"):
                self.start_tls("implicit")
            self.act("greeting", "220 %s ESMTP saatja-faultserver" % self.hostname)
            while True:
                line = self.readline()
                self.command(line)
        except Closed:
            pass
        except Exception as e:  # a bug here must not kill the server
            self.note("internal error: %r" % e)
            log("session %d: internal error: %r" % (self.num, e))
        finally:
            try:
                self.sock.close()
            except OSError:
                pass
            self.note("session %d: end" % self.num)

    def command(self, line):
        text = line.rstrip(b"\r\n").decode("utf-8", "replace")
        verb, _, arg = text.partition(" ")
        verb = verb.upper()
        if verb == "EHLO":
            if not arg.strip():
                return self.act("ehlo", "501 5.5.4 Syntax: EHLO hostname")
            if self.act("ehlo", self.ehlo_lines()) == 250:
                self.greeted = True
                self.reset_transaction()
        elif verb == "HELO":
            if self.act("helo", "250 %s" % self.hostname) == 250:
                self.greeted = True
                self.reset_transaction()
        elif verb == "STARTTLS":
            if self.tls:
                default = "554 5.5.1 Error: TLS already active"
            elif self.script.get("strip_starttls"):
                default = "502 5.5.1 Error: command not implemented"
            else:
                default = "220 2.0.0 Ready to start TLS"
            if self.act("starttls", default) == 220:
                self.start_tls("STARTTLS")
        elif verb == "AUTH":
            self.auth(arg)
        elif verb == "MAIL":
            self.mail(arg)
        elif verb == "RCPT":
            self.rcpt(arg)
        elif verb == "DATA":
            self.data()
        elif verb == "RSET":
            self.reset_transaction()
            self.act("rset", "250 2.0.0 Ok")
        elif verb == "NOOP":
            self.act("noop", "250 2.0.0 Ok")
        elif verb == "VRFY":
            self.act("vrfy", "502 5.5.1 VRFY command is disabled")
        elif verb == "QUIT":
            self.act("quit", "221 2.0.0 Bye")
            raise Closed()
        else:
            self.act("unknown", "502 5.5.2 Error: command not recognized")

    def b64line(self):
        line = self.readline().rstrip(b"\r\n")
        if line == b"*":
            return None
        return base64.b64decode(line, validate=True)

    def auth(self, arg):
        parts = arg.split()
        mech = parts[0].upper() if parts else ""
        initial = parts[1] if len(parts) > 1 else None
        if not self.greeted:
            return self.act("auth", "503 5.5.1 Error: send HELO/EHLO first")
        if self.authed:
            return self.act("auth", "503 5.5.1 Error: already authenticated")
        if not self.tls and not self.script.get("auth_before_tls"):
            return self.act("auth", "530 5.7.0 Must issue a STARTTLS command first")
        if mech not in self.mechanisms() or mech not in ("PLAIN", "LOGIN", "XOAUTH2"):
            return self.act("auth", "504 5.5.4 Unrecognized authentication type")
        if mech == "XOAUTH2":
            return self.xoauth2(initial)
        try:
            if mech == "PLAIN":
                if initial is None:
                    self.send(b"334 \r\n")
                    raw = self.b64line()
                elif initial == "=":
                    raw = b""
                else:
                    raw = base64.b64decode(initial, validate=True)
                if raw is None:
                    return self.act("auth", "501 5.7.0 Authentication aborted")
                fields = raw.split(b"\0")
                if len(fields) != 3:
                    return self.act("auth", "501 5.5.2 Invalid PLAIN response")
                user, password = fields[1], fields[2]
            else:
                if initial is None:
                    self.send(b"334 VXNlcm5hbWU6\r\n")
                    user = self.b64line()
                else:
                    user = base64.b64decode(initial, validate=True)
                if user is None:
                    return self.act("auth", "501 5.7.0 Authentication aborted")
                self.send(b"334 UGFzc3dvcmQ6\r\n")
                password = self.b64line()
                if password is None:
                    return self.act("auth", "501 5.7.0 Authentication aborted")
        except (binascii.Error, ValueError):
            return self.act("auth", "501 5.5.2 Cannot decode response")
        u = user.decode("utf-8", "surrogateescape")
        p = password.decode("utf-8", "surrogateescape")
        ok = self.check_credentials(u, p)
        self.note("AUTH %s user=%s password=%s credentials %s" % (
            mech, json.dumps(u, ensure_ascii=False), json.dumps(p, ensure_ascii=False),
            "ok" if ok else "WRONG"))
        default = ("235 2.7.0 Authentication successful" if ok else
                   "535 5.7.8 Error: authentication failed: authentication failure")
        if self.act("auth", default) == 235:
            self.authed = u

    def xoauth2(self, initial):
        """XOAUTH2: any bearer token is accepted unless the script's "auth"
        says otherwise (as Exchange refuses an application's token)."""
        try:
            raw = base64.b64decode(initial, validate=True) if initial else self.b64line()
        except (binascii.Error, ValueError):
            return self.act("auth", "501 5.5.2 Cannot decode response")
        if raw is None:
            return self.act("auth", "501 5.7.0 Authentication aborted")
        fields = dict(f.split(b"=", 1) for f in raw.split(b"\x01") if b"=" in f)
        u = fields.get(b"user", b"").decode("utf-8", "surrogateescape")
        self.note("AUTH XOAUTH2 user=%s" % json.dumps(u, ensure_ascii=False))
        if self.act("auth", "235 2.7.0 Authentication successful") == 235:
            self.authed = u

    def mail(self, arg):
        if not self.greeted:
            default = "503 5.5.1 Error: send HELO/EHLO first"
        elif self.mail_from is not None:
            default = "503 5.5.1 Error: nested MAIL command"
        elif self.script.get("require_tls") and not self.tls:
            default = "530 5.7.0 Must issue a STARTTLS command first"
        elif self.script.get("require_auth", True) and not self.authed:
            default = "530 5.7.0 Authentication required"
        elif not arg.upper().startswith("FROM:"):
            default = "501 5.5.4 Syntax: MAIL FROM:<address>"
        else:
            default = "250 2.1.0 Ok"
        addr, params = self.split_path(arg[5:])
        if default.startswith("250") and self.size_limit:
            for p in params.split():
                k, _, v = p.partition("=")
                if k.upper() == "SIZE" and v.isdigit() and int(v) > self.size_limit:
                    default = "552 5.3.4 Message size exceeds fixed limit"
        if self.act("mail", default) == 250:
            self.mail_from, self.mail_params = addr, params
            self.rcpts, self.rcpt_params, self.rcpt_index = [], [], 0

    @staticmethod
    def split_path(s):
        s = s.strip()
        if s.startswith("<"):
            end = s.find(">")
            if end >= 0:
                return s[1:end], s[end + 1:].strip()
        addr, _, params = s.partition(" ")
        return addr, params.strip()

    def rcpt(self, arg):
        if self.mail_from is None:
            default = "503 5.5.1 Error: need MAIL command"
        elif not arg.upper().startswith("TO:"):
            default = "501 5.5.4 Syntax: RCPT TO:<address>"
        elif (self.script.get("rcpt_limit") is not None
              and len(self.rcpts) >= int(self.script["rcpt_limit"])):
            # Postfix's smtpd_recipient_limit: accepted ones count.
            default = "452 4.5.3 Error: too many recipients"
        else:
            default = "250 2.1.5 Ok"
        index = self.rcpt_index
        self.rcpt_index += 1
        addr, params = self.split_path(arg[3:])
        code = self.act("rcpt", default, index=index)
        if code is not None and 200 <= code < 300 and self.mail_from is not None:
            self.rcpts.append(addr)
            self.rcpt_params.append(params)

    def data(self):
        if self.mail_from is None:
            default = "503 5.5.1 Error: need MAIL command"
        elif not self.rcpts:
            default = "554 5.5.1 Error: no valid recipients"
        else:
            default = "354 End data with <CR><LF>.<CR><LF>"
        if self.act("data", default) != 354:
            return
        self.msg_count += 1
        saver = MessageSaver(self.server.maildir, self.num, self.msg_count)
        limit = self.server.transcript_data_limit
        shown = 0
        hidden = 0
        # data_read: an action taken once while reading the message, after
        # "after_bytes" bytes (e.g. stall or disconnect in mid-transfer).
        read_spec = self.spec("data_read")
        read_after = int(read_spec.get("after_bytes", 0)) if read_spec else 0
        complete = False
        try:
            while True:
                if read_spec and saver.size >= read_after:
                    self.note("data_read: after %d message bytes" % saver.size)
                    sp, read_spec = read_spec, None
                    self.perform("data_read", sp, None)
                line = self.readline(record=False)
                if line in (b".\r\n", b".\n"):
                    self.tr.write("C: " + escape(line))
                    complete = True
                    break
                if line.startswith(b"."):
                    line = line[1:]          # dot-unstuffing (RFC 5321 4.5.2)
                if limit < 0 or shown + len(line) <= limit:
                    self.tr.write("D: " + escape(line))
                    shown += len(line)
                else:
                    hidden += len(line)
                saver.write(line)
        finally:
            if hidden:
                self.note("%d further message bytes not shown (--transcript-data-limit)" % hidden)
            if not complete:
                self.note("connection lost inside DATA after %d bytes" % saver.size)
                saver.finish(self, complete=False, reply=None)
        if self.size_limit and saver.size > self.size_limit:
            default = "552 5.3.4 Message size exceeds fixed limit"
        else:
            default = "250 2.0.0 Ok: queued as F%dM%d" % (self.num, self.msg_count)
        sp = self.spec("data_end")
        # Saved before the reply goes out: a client that got its 250 finds
        # the files in place.
        saver.finish(self, complete=True, reply=self.planned_reply(sp, default))
        self.perform("data_end", sp, default)
        self.reset_transaction()


class MessageSaver:
    """Writes one received message to MAILDIR/<id>.eml (+ <id>.env)."""

    def __init__(self, maildir, session, n):
        self.maildir = maildir
        self.size = 0
        self.bare_lf = 0
        self.stray_cr = 0
        self.long_lines = 0
        self.f = None
        self.done = False
        if maildir:
            stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S.%f")
            self.id = "%s-%d-s%d-m%d" % (stamp, os.getpid(), session, n)
            self.tmp = os.path.join(maildir, ".tmp-" + self.id)
            self.f = open(self.tmp + ".eml", "wb")

    def write(self, line):
        self.size += len(line)
        if not line.endswith(b"\r\n"):
            self.bare_lf += 1
        if b"\r" in line.rstrip(b"\r\n") or line.endswith(b"\r\r\n"):
            self.stray_cr += 1
        if len(line.rstrip(b"\r\n")) > 998:
            self.long_lines += 1
        if self.f:
            self.f.write(line)

    def finish(self, sess, complete, reply):
        if self.done:
            return
        self.done = True
        if not self.f:
            return
        self.f.close()
        env = ["from=<%s>" % sess.mail_from]
        env += ["to=<%s>" % r for r in sess.rcpts]
        env += ["rcpt_params=<%s> %s" % (r, p) for r, p in zip(sess.rcpts, sess.rcpt_params) if p]
        env += ["mail_params=%s" % sess.mail_params,
                "auth=%s" % (sess.authed or ""),
                "tls=%s" % (sess.tls_version or "none"),
                "sni=%s" % (sess.sni or ""),
                "size=%d" % self.size,
                "bare_lf_lines=%d" % self.bare_lf,
                "stray_cr_lines=%d" % self.stray_cr,
                "long_lines=%d" % self.long_lines,
                "complete=%s" % ("yes" if complete else "no"),
                "reply=%s" % ((reply or "").replace("\r", " ").replace("\n", " "))]
        with open(self.tmp + ".env", "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write("\n".join(env) + "\n")
        final = os.path.join(self.maildir, self.id)
        os.replace(self.tmp + ".env", final + ".env")
        os.replace(self.tmp + ".eml", final + ".eml")
        sess.note("message saved %s.eml (%d bytes)" % (final, self.size))


# --------------------------------------------------------------- server ----

class Server:
    def __init__(self, args):
        self.args = args
        self.transcript = Transcript(args.transcript)
        self.transcript_data_limit = args.transcript_data_limit
        self.maildir = os.path.abspath(args.maildir) if args.maildir else None
        if self.maildir:
            os.makedirs(self.maildir, exist_ok=True)
        self.certs = CertStore(args.certdir, args.ca_cert, args.ca_key)
        self.base_script = {}
        self.script_text = None
        self.sessions = 0
        self.sessions_since_change = 0
        self.lock = threading.Lock()
        self._creds_cache = {}

    def load_script(self, strict=False):
        """The script as a dict; also tracks how many sessions began since
        its text last changed (that number picks the "sessions" entry)."""
        s = {}
        if self.args.script:
            try:
                with open(self.args.script, encoding="utf-8") as f:
                    text = f.read()
                if text != self.script_text:
                    s = json.loads(text)
                    if not isinstance(s, dict):
                        raise ValueError("top level must be an object")
                    self.base_script, self.script_text = s, text
                    self.sessions_since_change = 0
                s = self.base_script
            except (OSError, ValueError) as e:
                if strict:
                    raise ValueError("script %s: %s" % (self.args.script, e))
                log("cannot use script %s: %s (keeping the previous one)" % (self.args.script, e))
                s = self.base_script
        # Command line options win over the script.
        s = dict(s)
        if self.args.implicit_tls:
            s["implicit_tls"] = True
        if self.args.cert:
            s["cert"] = self.args.cert
        return s

    def script_for(self):
        """Script for a new connection: the base merged with the entry of
        "sessions" for this connection (counted from 0 since the script file
        last changed)."""
        base = self.load_script()
        k = self.sessions_since_change
        self.sessions_since_change += 1
        sessions = base.pop("sessions", None)
        if isinstance(sessions, list) and k < len(sessions) and sessions[k]:
            base.update(sessions[k])
        return base

    def credentials(self, script):
        """None (accept anything) or {user: password}."""
        creds = None
        c = script.get("credentials")
        if c is not None:
            creds = {}
            for e in (c if isinstance(c, list) else [c]):
                creds[e["user"]] = e["password"]
        uf = script.get("users_file")
        if uf:
            creds = dict(creds or {})
            with open(uf, encoding="utf-8") as f:
                for line in f:
                    line = line.rstrip("\n")
                    if not line or line.startswith("#") or "\t" not in line:
                        continue
                    a, p = line.split("\t", 1)
                    creds[a] = p
        return creds

    def handle(self, conn, peer):
        try:
            with self.lock:
                self.sessions += 1
                n = self.sessions
                script = self.script_for()
            sess = Session(self, conn, peer, n, script)
        except Exception as e:
            log("session %d: bad script: %r" % (n, e))
            self.transcript.write("-- session %d: bad script: %r" % (n, e))
            conn.close()
            return
        sess.run()

    def serve(self):
        a = self.args
        try:
            ip = ipaddress.ip_address(a.host)
        except ValueError:
            sys.exit("faultserver: --host must be a loopback IP address")
        if not ip.is_loopback:
            sys.exit("faultserver: refusing to listen on non-loopback address %s" % a.host)
        self.certs.ensure()
        # Check the script and certificate once before announcing the port.
        s = self.load_script(strict=True)
        self.script_text = None    # counted afresh at the first connection
        make_context(self.certs, s, lambda n: None)
        fam = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        lsock = socket.socket(fam, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind((a.host, a.port))
        lsock.listen(64)
        port = lsock.getsockname()[1]
        print("PORT %d" % port, flush=True)
        log("listening on %s:%d" % (a.host, port))
        while True:
            conn, peer = lsock.accept()
            if a.once:
                self.handle(conn, peer)
                return
            t = threading.Thread(target=self.handle, args=(conn, peer), daemon=True)
            t.start()


def main():
    ap = argparse.ArgumentParser(description="Scriptable SMTP server for saatja fault tests (loopback only).")
    ap.add_argument("--port", type=int, default=0, help="port (0: pick a free one); printed as 'PORT n'")
    ap.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    ap.add_argument("--script", help="JSON script file (re-read at every connection)")
    ap.add_argument("--certdir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "saatja-faultserver-certs"),
                    help="certificate cache directory (CA is CERTDIR/ca.pem)")
    ap.add_argument("--ca-cert", help="sign the good/expired/wrongname certs with this CA (with --ca-key)")
    ap.add_argument("--ca-key", help="private key of --ca-cert")
    ap.add_argument("--cert", choices=CERT_MODES, help="certificate mode (overrides the script's 'cert')")
    ap.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte (port 465 style)")
    ap.add_argument("--transcript", help="append the session transcript to this file")
    ap.add_argument("--transcript-data-limit", type=int, default=1 << 20,
                    help="message bytes per message shown as D: lines (-1: all; default 1 MiB)")
    ap.add_argument("--maildir", help="save each received message here (<id>.eml + <id>.env)")
    ap.add_argument("--once", action="store_true", help="exit after the first session")
    args = ap.parse_args()
    if bool(args.ca_cert) != bool(args.ca_key):
        ap.error("--ca-cert and --ca-key go together")
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        Server(args).serve()
    except KeyboardInterrupt:
        pass
    except (RuntimeError, ValueError, OSError, ssl.SSLError) as e:
        sys.exit("faultserver: %s" % e)


if __name__ == "__main__":
    main()
