# SPDX-License-Identifier: MIT
"""SOCKS5 proxies for the tests: two real ones (Debian's microsocks, one
open and one that wants a user name and password, RFC 1929) on loopback,
and a scripted fake one that misbehaves on demand.

The real proxies listen on 127.0.0.1:SAATJA_TEST_SOCKS_PORT (default
2080) and the next port; they are started by the first test that needs
them and stopped when the test file ends."""
import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from saatja_test import SkipTest

PORT = int(os.environ.get("SAATJA_TEST_SOCKS_PORT", "2080"))
AUTH_PORT = PORT + 1
USER = "proxy-user"
PASSWORD = "Pr0xy:p@ss;#%"      # every character the URL must encode
PASSWORD_URL = "Pr0xy%3Ap%40ss%3B%23%25"

_procs = []
_up = None
# Where the proxies look names up: a hosts file of their own, so that
# localhost is 127.0.0.1 alone for them (Debian's /etc/hosts also gives
# ::1, which microsocks would try alone, and the test Postfix listens on
# 127.0.0.1 only).
HOSTS = "127.0.0.1\tlocalhost\n"
private_hosts = False


def _argv(argv):
    """argv in a mount namespace whose /etc/hosts is HOSTS, when this
    machine can make one; else argv as it is."""
    global private_hosts
    if shutil.which("unshare") is None:
        return argv
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if probe.returncode != 0:
        return argv
    fd, path = tempfile.mkstemp(prefix="saatja-socks-hosts-")
    os.write(fd, HOSTS.encode())
    os.close(fd)
    os.chmod(path, 0o644)
    private_hosts = True
    return ["unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
            'mount --bind "$1" /etc/hosts && shift && exec "$@"', "socks-hosts",
            path] + argv


def localhost_is_ipv4_for_the_proxy():
    """Skips a test that needs the proxies to reach localhost at
    127.0.0.1 when they could not get a hosts file of their own and this
    machine's localhost is ::1 first."""
    if private_hosts:
        return
    first = socket.getaddrinfo("localhost", 25, type=socket.SOCK_STREAM)[0][4][0]
    if first != "127.0.0.1":
        raise SkipTest("the proxies look localhost up to %s first (no private "
                       "/etc/hosts: unshare -m is not possible here), and the "
                       "test Postfix listens on 127.0.0.1 only" % first)


def _answers(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _stop():
    for p in _procs:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()


def proxies():
    """Starts the two microsocks proxies once; skips the test when that
    is impossible (say why)."""
    global _up
    if _up is None:
        exe = shutil.which("microsocks")
        if exe is None:
            _up = "microsocks is not installed (tests/lib/setup.sh installs it)"
        elif _answers(PORT) or _answers(AUTH_PORT):
            _up = ("127.0.0.1:%d or %d is already in use: set SAATJA_TEST_SOCKS_PORT"
                   % (PORT, AUTH_PORT))
        else:
            _procs.append(subprocess.Popen(_argv([exe, "-i", "127.0.0.1", "-p", str(PORT)]),
                                           stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL))
            _procs.append(subprocess.Popen(_argv([exe, "-i", "127.0.0.1", "-p", str(AUTH_PORT),
                                                  "-u", USER, "-P", PASSWORD]),
                                           stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL))
            atexit.register(_stop)
            deadline = time.time() + 10
            while time.time() < deadline and not (_answers(PORT) and _answers(AUTH_PORT)):
                time.sleep(0.05)
            _up = True if _answers(PORT) and _answers(AUTH_PORT) else \
                "microsocks did not start listening on 127.0.0.1:%d and %d" % (PORT, AUTH_PORT)
    if _up is not True:
        raise SkipTest(_up)


def _recv(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


class FakeProxy:
    """A SOCKS5 server on a free loopback port that follows script:
    "reply N" (refuse CONNECT with REP N), "garbage" (an HTTP answer to
    the greeting), "close" (closes after the greeting), "close-reply"
    (closes half way through the reply to CONNECT), "no-method" (0xFF:
    none of the offered methods), "silent" (never answers), "forward"
    (a working proxy, without a login). It records
    each client's address in peers and what it was asked for in
    requests."""

    def __init__(self, script):
        self.script = script
        self.peers = []
        self.requests = []
        self.refuse_first = 0   # "forward": this reply to the first CONNECT
        self.forward_to = None  # "forward": this address, whatever is asked
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stop:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            self.peers.append(peer[0])
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        try:
            head = _recv(conn, 2)
            _recv(conn, head[1])
            if self.script == "silent":
                time.sleep(30)
                return
            if self.script == "garbage":
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                return
            if self.script == "close":
                return
            if self.script == "no-method":
                conn.sendall(b"\x05\xff")
                return
            conn.sendall(b"\x05\x00")
            req = _recv(conn, 4)
            if req[3] == 1:
                addr = socket.inet_ntop(socket.AF_INET, _recv(conn, 4))
            elif req[3] == 4:
                addr = socket.inet_ntop(socket.AF_INET6, _recv(conn, 16))
            else:
                addr = _recv(conn, _recv(conn, 1)[0]).decode()
            port = int.from_bytes(_recv(conn, 2), "big")
            self.requests.append((req[3], addr, port))
            if self.script == "close-reply":
                conn.sendall(b"\x05\x00\x00")
                return
            if self.script == "forward" and self.refuse_first and len(self.requests) == 1:
                conn.sendall(bytes([5, self.refuse_first, 0, 1, 0, 0, 0, 0, 0, 0]))
                return
            if self.script == "forward":
                self._forward(conn, self.forward_to or addr, port)
                return
            code = int(self.script.split()[1])
            conn.sendall(bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0]))
        except (EOFError, OSError):
            pass
        finally:
            conn.close()

    def _forward(self, conn, addr, port):
        """Reaches addr:port and copies both ways until either side ends."""
        try:
            up = socket.create_connection((addr, port), timeout=10)
        except OSError:
            conn.sendall(bytes([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]))
            return
        conn.sendall(bytes([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]))

        def pump(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        t = threading.Thread(target=pump, args=(up, conn), daemon=True)
        t.start()
        pump(conn, up)
        t.join(10)
        up.close()

    def close(self):
        self.stop = True
        self.sock.close()
