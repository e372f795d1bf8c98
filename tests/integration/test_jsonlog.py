# SPDX-License-Identifier: MIT
"""The JSON log (saatja.ini(5), JSON LOG): log_format = json writes one
JSON object a line to the log file, for a sent, a deferred and a failed
message, with every documented field of its documented type; a server
reply with quotes, control characters and bytes that are not UTF-8 still
gives a line that parses; concurrent queue runners never mix lines."""
import json
import os
import re
import subprocess
import time
import uuid

import mailserver
from faults import FaultServer
from saatja_test import (closed_port, sendmail_argv, sendmail, eq, contains,
                         run_tests)

FAULTS = FaultServer()
JSON = "log_format = json"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
# The fields of a delivery line and their types (saatja.ini(5), JSON LOG).
FIELDS = {"time": str, "pid": int, "level": str, "event": str,
          "id": str, "account": str, "from": str, "to": list,
          "size": int, "relay": str, "tls": str, "status": str,
          "reply": str, "delay": (int, float), "attempt": int,
          "message": str}


def message(token):
    return ("From: arved@firma.test\nTo: bob@example.test\n"
            "Subject: json log %s\n\nbody %s\n" % (token, token))


def log_objects(cfg):
    """Every line of the log file, each parsed (a line that is not one
    JSON object fails the test)."""
    if not os.path.exists(cfg.log):
        return []
    with open(cfg.log, "rb") as f:
        data = f.read()
    out = []
    for line in data.split(b"\n"):
        if line:
            # Strictly UTF-8: the bytes themselves, not a lenient decode.
            obj = json.loads(line.decode("utf-8"))
            assert isinstance(obj, dict), line
            out.append(obj)
    return out


def deliveries(cfg, want, status=None, wait=20):
    """The delivery objects of the log once there are want of them (with
    status when given); fails after wait seconds with what there was."""
    deadline = time.time() + wait
    while True:
        got = [o for o in log_objects(cfg) if o.get("event") == "delivery" and
               (status is None or o["status"] == status)]
        if len(got) >= want or time.time() >= deadline:
            eq(len(got), want, "delivery lines with status %s: %r" % (status, got))
            return got
        time.sleep(0.05)


def check_fields(o):
    for name, kind in FIELDS.items():
        assert name in o, "field %s missing from %r" % (name, o)
        assert isinstance(o[name], kind) and not isinstance(o[name], bool), \
            "field %s is %r, not %s" % (name, o[name], kind)
    assert RFC3339.match(o["time"]), o["time"]
    assert all(isinstance(r, str) for r in o["to"]), o["to"]
    assert o["status"] in ("sent", "deferred", "failed"), o["status"]
    assert o["level"] in ("info", "warning"), o["level"]
    assert o["size"] > 0 and o["delay"] >= 0 and o["attempt"] >= 1, o
    contains(o["message"], o["id"] + ": from=<")


def test_sent_message_gives_one_json_line_with_every_field():
    cfg = mailserver.config(saatja=JSON)
    token = uuid.uuid4().hex
    r = sendmail(["-t"], message(token), cfg)
    eq(r.code, 0, r.err)
    o = deliveries(cfg, 1, "sent")[0]
    check_fields(o)
    eq(o["account"], "arved@firma.test")
    eq(o["from"], "arved@firma.test")
    eq(o["to"], ["bob@example.test"])
    eq(o["tls"].startswith("TLSv1."), True, o["tls"])
    contains(o["relay"], "127.0.0.1")
    eq(o["reply"].startswith("250"), True, o["reply"])
    eq(o["attempt"], 1)
    eq(o["level"], "info")
    eq(len(mailserver.delivered_by_token(token, wait=10)), 1)
    # Every other line of the file is JSON too: the queued line.
    queued = [x for x in log_objects(cfg) if x.get("event") == "log"]
    assert any("queued from=<arved@firma.test>" in x["message"] for x in queued), queued
    password = mailserver.USERS["arved@firma.test"]
    with open(cfg.log, encoding="utf-8") as f:
        assert password not in f.read(), "the password is in the log"


def test_deferred_message_counts_its_attempts():
    down = closed_port()
    cfg = mailserver.config(port=down, saatja=JSON)
    r = sendmail(["-t"], message(uuid.uuid4().hex), cfg)
    eq(r.code, 0, r.err)
    first = deliveries(cfg, 1, "deferred")[0]
    check_fields(first)
    eq(first["attempt"], 1)
    eq(first["tls"], "none")
    contains(first["reply"], "Connection refused")
    eq(first["level"], "warning")
    eq(sendmail(["-q"], b"", cfg).code, 0)
    second = deliveries(cfg, 2, "deferred")[1]
    eq(second["id"], first["id"])
    eq(second["attempt"], 2, "the second try says so")


def test_permanent_refusal_gives_a_failed_line():
    cfg = FAULTS.config(saatja=JSON)
    FAULTS.script({"data_end": "554 5.7.1 Message rejected as spam"})
    r = sendmail(["-t"], message(uuid.uuid4().hex), cfg)
    eq(r.code != 0, True, "an interactive permanent failure is an error")
    # The failure notice to the account is refused likewise.
    o = [x for x in deliveries(cfg, 2, "failed") if x["to"] == ["bob@example.test"]]
    eq(len(o), 1, "one line for the message")
    check_fields(o[0])
    contains(o[0]["reply"], "554 5.7.1 Message rejected as spam")


HOSTILE = (b'"quoted" back\\slash \x01\x07\x1b[2J tab\there '
           b'\xff\xfe latin1 \xe9 cut \xc3 end\r\n')


def check_raw_log(cfg):
    with open(cfg.log, "rb") as f:
        raw = f.read()
    for b in raw:
        assert b >= 0x20 or b == 0x0a, "raw control byte 0x%02x in the log" % b
    eq(raw.count(b"\n"), len(log_objects(cfg)), "one object a line")


def test_hostile_reply_still_gives_valid_json():
    cfg = FAULTS.config(saatja=JSON)
    FAULTS.script({"data_end": {"garbage_hex": (b"451 4.3.0 " + HOSTILE).hex()}})
    r = sendmail(["-t"], message(uuid.uuid4().hex), cfg)
    eq(r.code, 0, r.err)
    o = deliveries(cfg, 1, "deferred")[0]
    check_fields(o)
    contains(o["reply"], '451 4.3.0 "quoted" back\\slash ')
    contains(o["reply"], "latin1 \ufffd cut \ufffd end")
    check_raw_log(cfg)
    # Accepted with such a reply: the reply itself is the field.
    FAULTS.script({"data_end": {"garbage_hex": (b"250 2.0.0 " + HOSTILE).hex()}})
    eq(sendmail(["-q"], b"", cfg).code, 0)
    o = deliveries(cfg, 1, "sent")[0]
    check_fields(o)
    contains(o["reply"], '250 2.0.0 "quoted" back\\slash ')
    contains(o["reply"], "\ufffd")
    eq(o["attempt"], 2)
    check_raw_log(cfg)


def test_concurrent_queue_runners_write_whole_lines():
    cfg = FAULTS.config(saatja=JSON)
    FAULTS.script({"data_end": "451 4.7.1 " + "slow down " * 150})
    n = 30
    for i in range(n):
        eq(sendmail(["-odq", "-t"], message("c%d-%s" % (i, uuid.uuid4().hex)),
                    cfg).code, 0)
    runners = [subprocess.Popen(sendmail_argv() + ["-C", cfg.path, "-q"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(4)]
    for p in runners:
        eq(p.wait(timeout=120), 0)
    # A message may be tried by more than one runner, one after another.
    got = [o for o in log_objects(cfg) if o.get("event") == "delivery"]
    assert len(got) >= n, "%d delivery lines for %d messages" % (len(got), n)
    eq(len({o["id"] for o in got}), n, "every message logged")
    for o in got:
        check_fields(o)
        eq(o["status"], "deferred")
        contains(o["reply"], "451 4.7.1 " + "slow down " * 149)


def test_log_format_text_stays_the_default():
    cfg = mailserver.config()
    token = uuid.uuid4().hex
    eq(sendmail(["-t"], message(token), cfg).code, 0)
    deadline = time.time() + 20
    while time.time() < deadline:
        with open(cfg.log, encoding="utf-8") as f:
            text = f.read()
        if "status=sent" in text:
            break
        time.sleep(0.05)
    contains(text, "status=sent")
    eq(text.lstrip().startswith("{"), False, "text, not JSON")


def test_json_on_stderr_is_one_object_a_line():
    cfg = FAULTS.config(saatja="log = stderr\n" + JSON)
    FAULTS.script({"rcpt": "550 5.1.1 <bob@example.test>: no such user"})
    r = sendmail(["-t"], message(uuid.uuid4().hex), cfg)
    objs = [json.loads(l) for l in r.err.splitlines() if l.startswith("{")]
    failed = [o for o in objs if o.get("event") == "delivery" and
              o["to"] == ["bob@example.test"]]
    eq(len(failed), 1, "one line for the refused recipient: %s" % r.err)
    check_fields(failed[0])
    eq(failed[0]["status"], "failed")
    contains(failed[0]["reply"], "550 5.1.1")


def test_bad_log_format_is_a_config_error():
    cfg = mailserver.config(saatja="log_format = yaml")
    r = sendmail(["-bv", "bob@example.test"], b"", cfg)
    eq(r.code, 78, r.err)
    contains(r.err, '[saatja] log_format: "yaml" is not text or json')


if __name__ == "__main__":
    run_tests()
