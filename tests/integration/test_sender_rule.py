# SPDX-License-Identifier: MIT
"""The sender rule of sendmail(8), SENDER RULE (account choice, header
rewriting, the envelope), seen through --dry-run, whose output format
(sendmail(8), --dry-run) is pinned here too."""
from saatja_test import (Config, BASIC_INI, sendmail, eq, contains, header,
                         run_tests)

CFG = Config()
MULTI = Config(BASIC_INI.replace("default = arved@firma.ee\n", ""))
REWRITE = Config(BASIC_INI.replace("[saatja]\n", "[saatja]\nforeign_from = rewrite\n"))
COPIES = Config(BASIC_INI.replace("password = info-secret\n",
                                  "password = info-secret\ncc = raamat@firma.ee\n"
                                  "bcc = arhiiv@firma.ee\n"))


def run(args, msg, cfg=CFG):
    return sendmail(["--dry-run"] + list(args), msg, cfg)


def test_output_format_is_exact():
    msg = ("From: arved@firma.ee\nTo: a@example.ee\nDate: Thu, 26 Nov 2026 10:00:00 +0200\n"
           "Message-ID: <1@firma.ee>\nSubject: s\n\nline\n")
    r = run(["-t"], msg)
    eq(r.code, 0, r.err)
    eq(r.out, b"account: arved@firma.ee\nmail-from: arved@firma.ee\nrcpt-to: a@example.ee\n\n"
       b"From: arved@firma.ee\r\nTo: a@example.ee\r\nDate: Thu, 26 Nov 2026 10:00:00 +0200\r\n"
       b"Message-ID: <1@firma.ee>\r\nSubject: s\r\n\r\nline\r\n")
    eq(r.err, "", "nothing on stderr")


def test_no_password_in_output():
    r = run(["-t", "-v"], "From: arved@firma.ee\nTo: a@example.ee\n\nx\n")
    eq(r.code, 0, r.err)
    for secret in (b"arved;secret", b"info-secret"):
        eq(secret in r.out or secret in r.err.encode(), False, "password shown")


def test_from_names_account_case_blind_header_kept():
    r = run(["-t"], "From: Arved <ARVED@Firma.EE>\nTo: a@example.ee\n\nx\n")
    eq(r.dry()[0]["account"], "arved@firma.ee")
    eq(header(r.headers(), "From"), ["Arved <ARVED@Firma.EE>"], "same address: untouched")


def test_foreign_sender_refused_before_anything():
    r = run(["-t"], "From: Boss <boss@gmail.com>\nTo: a@example.ee\n\nx\n")
    eq(r.code, 77)
    eq(r.out, b"", "nothing printed on stdout")
    contains(r.err, "boss@gmail.com")
    contains(r.err, "foreign_from = rewrite", "says what to do")


def test_foreign_sender_rewritten_keeps_name_adds_reply_to():
    r = run(["-t"], "From: Boss <boss@gmail.com>\nTo: a@example.ee\n\nx\n", REWRITE)
    eq(r.code, 0, r.err)
    eq(r.dry()[0]["account"], "arved@firma.ee")
    f = r.headers()
    eq(header(f, "From"), ["Boss <arved@firma.ee>"])
    eq(header(f, "Reply-To"), ["Boss <boss@gmail.com>"])


def test_existing_reply_to_kept():
    r = run(["-t"], "From: boss@gmail.com\nReply-To: tugi@firma.ee\nTo: a@example.ee\n\nx\n",
            REWRITE)
    eq(header(r.headers(), "Reply-To"), ["tugi@firma.ee"])


def test_resent_from_chooses_and_original_from_stays():
    msg = ("Resent-From: info@firma.ee\nResent-To: uus@example.ee\n"
           "Resent-Date: Thu, 26 Nov 2026 11:00:00 +0200\n"
           "From: Original <someone@example.com>\nTo: old@example.ee\n\nx\n")
    r = run(["-t"], msg)
    eq(r.code, 0, r.err)
    env, _ = r.dry()
    eq(env["account"], "info@firma.ee")
    eq(env["rcpt-to"], ["uus@example.ee"], "the newest Resent- block gives recipients")
    eq(header(r.headers(), "From"), ["Original <someone@example.com>"], "author kept")


def test_resent_from_foreign_rewritten_in_resent_from():
    msg = ("Resent-From: fwd@example.com\nResent-To: uus@example.ee\n"
           "From: Original <someone@example.com>\nTo: old@example.ee\n\nx\n")
    r = run(["-t"], msg, REWRITE)
    eq(header(r.headers(), "Resent-From"), ["arved@firma.ee"])
    eq(header(r.headers(), "From"), ["Original <someone@example.com>"])


def test_several_from_mailboxes_use_sender():
    msg = ("From: a@example.com, b@example.com\nSender: info@firma.ee\n"
           "To: x@example.ee\n\nx\n")
    r = run(["-t"], msg)
    eq(r.code, 0, r.err)
    eq(r.dry()[0]["account"], "info@firma.ee")


def test_f_used_when_no_from():
    r = run(["-f", "info@firma.ee", "x@example.ee"], "Subject: s\n\nx\n")
    eq(r.dry()[0]["account"], "info@firma.ee")
    froms = header(r.headers(), "From")
    eq(len(froms), 1)
    contains(froms[0], "<info@firma.ee>")


def test_f_foreign_without_from_refused():
    r = run(["-f", "someone@example.com", "x@example.ee"], "Subject: s\n\nx\n")
    eq(r.code, 77)


def test_fullname_encoded_in_added_from():
    r = run(["-F", "Jüri Õun", "x@example.ee"], "Subject: s\n\nx\n")
    eq(header(r.headers(), "From"), ["=?UTF-8?B?SsO8cmkgw5V1bg==?= <arved@firma.ee>"])


def test_duplicates_sent_once_and_to_lines_merged():
    msg = ("From: arved@firma.ee\nTo: a@example.ee\nTo: b@example.ee\n"
           "Cc: A@Example.EE, c@example.ee\n\nx\n")
    r = run(["-t", "c@example.ee"], msg)
    eq(r.dry()[0]["rcpt-to"], ["a@example.ee", "b@example.ee", "c@example.ee"])


def test_bcc_return_path_resent_bcc_removed():
    msg = ("Return-Path: <x@y>\nFrom: arved@firma.ee\nTo: a@example.ee\n"
           "Bcc: hidden@example.ee\nBCC: other@example.ee\n\nx\n")
    r = run(["-t"], msg)
    env, m = r.dry()
    eq(env["rcpt-to"], ["a@example.ee", "hidden@example.ee", "other@example.ee"])
    eq(b"hidden" in m or b"Return-Path" in m or b"other@" in m, False, "headers gone")


def test_cli_recipients_added_to_t():
    r = run(["-t", "extra@example.ee"], "From: arved@firma.ee\nTo: a@example.ee\n\nx\n")
    eq(r.dry()[0]["rcpt-to"], ["a@example.ee", "extra@example.ee"])


def test_comma_and_display_name_arguments():
    r = run(["Klient <k@example.ee>,b@example.ee", "c@example.ee"], "Subject: s\n\nx\n")
    eq(r.dry()[0]["rcpt-to"], ["k@example.ee", "b@example.ee", "c@example.ee"])


def test_local_recipients_aliases_and_default():
    r = run(["root", "christine", "user@localhost", "x@web1.lan"], "Subject: s\n\nx\n")
    eq(r.dry()[0]["rcpt-to"], ["it@firma.ee", "arved@firma.ee"],
       "root via [aliases]; others to the default account, once")


def test_alias_catch_all():
    cfg = Config(BASIC_INI.replace("root = it@firma.ee\n",
                                   "root = it@firma.ee\n* = koik@firma.ee, teine@firma.ee\n"))
    r = run(["root", "christine"], "Subject: s\n\nx\n", cfg)
    eq(r.dry()[0]["rcpt-to"], ["it@firma.ee", "koik@firma.ee", "teine@firma.ee"])


def test_account_cc_and_bcc():
    r = run(["-t"], "From: info@firma.ee\nTo: a@example.ee\n\nx\n", COPIES)
    env, _ = r.dry()
    eq(env["rcpt-to"], ["a@example.ee", "raamat@firma.ee", "arhiiv@firma.ee"])
    eq(header(r.headers(), "Cc"), ["raamat@firma.ee"], "cc shown, bcc not")


def test_group_and_argument():
    r = run(["-t", "x@example.ee"],
            "From: arved@firma.ee\nTo: undisclosed-recipients:;\n\nx\n")
    eq(r.code, 0, r.err)
    eq(r.dry()[0]["rcpt-to"], ["x@example.ee"])


def test_no_recipients_is_usage_error():
    r = run(["-t"], "From: arved@firma.ee\nSubject: s\n\nx\n")
    eq(r.code, 64)
    contains(r.err, "no recipients")
    r = run([], "Subject: s\n\nx\n")
    eq(r.code, 64)


def test_local_sender_without_default_is_config_error():
    r = run(["-t"], "From: root\nTo: a@example.ee\n\nx\n", MULTI)
    eq(r.code, 78)
    contains(r.err, "default")
    r = run(["-t"], "From: info@firma.ee\nTo: a@example.ee\n\nx\n", MULTI)
    eq(r.code, 0, "a named account needs no default")


def test_single_account_is_the_default():
    cfg = Config("[arved@firma.ee]\nprovider = zone\npassword = x\n")
    r = run(["-t"], "From: root\nTo: a@example.ee\n\nx\n", cfg)
    eq(r.dry()[0]["account"], "arved@firma.ee")


def test_unparsable_from_is_data_error():
    r = run(["-t"], "From: \"broken <a@b>\nTo: a@example.ee\n\nx\n")
    eq(r.code, 65)
    contains(r.err, "From")


def test_bv_prints_envelope_only():
    r = sendmail(["-bv", "root", "k@example.ee"], b"", CFG)
    eq(r.code, 0, r.err)
    eq(r.out, b"account: arved@firma.ee\nmail-from: arved@firma.ee\n"
       b"rcpt-to: it@firma.ee\nrcpt-to: k@example.ee\n")


def test_8bit_and_utf8_untouched():
    body = "Tšekk: 100 €\nÕun\xa0ja\n".encode("utf-8") + b"\xff\xfe raw\n"
    r = run(["-t"], b"From: arved@firma.ee\nTo: a@example.ee\nSubject: \xc3\x95un\n\n" + body)
    _, m = r.dry()
    eq(m.split(b"\r\n\r\n", 1)[1], body.replace(b"\n", b"\r\n"))
    contains(m, b"Subject: \xc3\x95un\r\n")


if __name__ == "__main__":
    run_tests()
