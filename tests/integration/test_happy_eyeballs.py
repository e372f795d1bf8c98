# SPDX-License-Identifier: MIT
"""Connecting races the server's addresses (RFC 8305; timeout in
saatja.ini(5)): a name whose IPv6 address silently drops SYNs (as on a VPS
with a broken IPv6 route) and whose IPv4 address works connects over IPv4
within a fraction of a second, not after half of the account's timeout.

The broken route is made in a network and mount namespace of the test's
own (unshare -n -m, as root): an IPv6 address on its loopback with an
ip6tables rule dropping SYNs to it, and an /etc/hosts bind-mounted over
the real one. Everything goes away with the namespace; nothing is left on
the machine."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from saatja_test import (Config, SkipTest, sendmail, eq, contains, run_tests,
                         VALGRIND, private_mounts)

DEAD6 = "2001:db8::5"       # documentation prefix: never routed for real
NAME = "localhost"          # the fault server's certificate holds this name


def inside(work):
    """Runs in the namespace: sets up the broken route, sends one message
    and prints what happened as JSON."""
    from faults import FaultServer, CERTDIR

    def sh(*argv):
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)

    sh("ip", "link", "set", "lo", "up")
    sh("ip", "-6", "addr", "add", DEAD6 + "/128", "dev", "lo", "nodad")
    sh("ip6tables", "-A", "OUTPUT", "-d", DEAD6, "-p", "tcp", "--syn",
       "-j", "DROP")
    hosts = os.path.join(work, "hosts")
    with open(hosts, "w") as f:
        f.write("%s %s\n127.0.0.1 %s\n" % (DEAD6, NAME, NAME))
    sh("mount", "--bind", hosts, "/etc/hosts")

    fs = FaultServer()
    order = [ai[4][0] for ai in socket.getaddrinfo(NAME, fs.port, 0,
                                                   socket.SOCK_STREAM)]
    # The route really drops: a plain connect to the IPv6 address hangs.
    probe = socket.socket(socket.AF_INET6)
    probe.settimeout(0.5)
    try:
        probe.connect((DEAD6, fs.port))
        dropped = False
    except socket.timeout:
        dropped = True
    except OSError:
        dropped = False
    probe.close()

    cfg = Config("""\
[saatja]
log = %s/saatja.log
queue = %s/queue

[arved@firma.test]
host = %s
port = %d
ca_file = %s/ca.pem
password = fault-secret-1
timeout = 10
""" % (work, work, NAME, fs.port, CERTDIR))
    msg = ("From: arved@firma.test\nTo: klient@example.test\n"
           "Subject: eyeballs-%d\n\nhello\n" % os.getpid())
    start = time.monotonic()
    r = sendmail(["-v", "-t"], msg, config=cfg, timeout=60)
    took = time.monotonic() - start
    print(json.dumps({"order": order, "dropped": dropped, "code": r.code,
                      "err": r.err, "took": took,
                      "delivered": len(fs.messages("eyeballs-%d" % os.getpid()))}))


def namespace_run():
    private_mounts("this test, which bind-mounts its own /etc/hosts,", ["-n"])
    for tool in ("ip", "ip6tables"):
        if shutil.which(tool) is None:
            raise SkipTest("%s is not installed (tests/lib/setup.sh)" % tool)
    probe = subprocess.run(["unshare", "-n", "-m", "ip6tables", "-L", "OUTPUT"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if probe.returncode != 0:
        raise SkipTest("no network namespace with ip6tables here: %s"
                       % probe.stderr.decode(errors="replace").strip()[-200:])
    work = tempfile.mkdtemp(prefix="saatja-eyeballs-")
    p = subprocess.run(["unshare", "-n", "-m", sys.executable, __file__,
                        "--inside", work], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        raise AssertionError("the namespace run failed (%d): %s" %
                             (p.returncode, p.stderr.decode(errors="replace")[-2000:]))
    return json.loads(p.stdout.decode().strip().splitlines()[-1])


def test_dropped_ipv6_route_costs_a_stagger_step_not_the_timeout():
    got = namespace_run()
    # The set-up is what the test claims: IPv6 first, and it drops SYNs.
    eq(got["order"][0], DEAD6, "getaddrinfo's first address")
    contains(got["order"], "127.0.0.1", "getaddrinfo's addresses")
    assert got["dropped"], "SYNs to %s were not dropped" % DEAD6
    eq(got["code"], 0, "exit status; stderr: %s" % got["err"])
    eq(got["delivered"], 1, "messages delivered")
    contains(got["err"], "connected to %s[127.0.0.1]" % NAME, "the -v dialogue")
    # One-by-one connecting gave the first address half of timeout = 10.
    assert got["took"] < 1.0 or VALGRIND, \
        "sending took %.2f s with a dead IPv6 route" % got["took"]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--inside"]:
        inside(sys.argv[2])
        sys.exit(0)
    run_tests()
