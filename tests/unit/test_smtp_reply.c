/* SPDX-License-Identifier: MIT */
/*
 * test_smtp_reply - the SMTP reply parser and EHLO capabilities.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "smtp_reply.h"
#include "../lib/tap.h"

/* Feeds the lines of text (separated by "\n") until an error or the end. */
static enum status
feed(struct smtp_reply *r, const char *text, struct buf *err)
{
	enum status st = ST_OK;

	smtp_reply_reset(r);
	buf_reset(err);
	while (st == ST_OK && *text) {
		size_t n = strcspn(text, "\n");

		st = smtp_reply_add(r, text, n, err);
		text += n + (text[n] == '\n');
	}
	return st;
}

static void
test_single_line_with_enhanced_code(void)
{
	struct smtp_reply r;
	struct buf err = BUF_INIT;

	smtp_reply_init(&r);
	is_int(feed(&r, "250 2.1.0 Ok\r", &err), ST_OK, "single line parses");
	is_int(r.code, 250, "single line code");
	is_str(r.enh, "2.1.0", "enhanced status code");
	is_str(buf_str(&r.text), "2.1.0 Ok", "text keeps the enhanced code");
	ok(r.complete, "single line completes the reply");
	smtp_reply_free(&r);
	buf_free(&err);
}

static void
test_multi_line(void)
{
	struct smtp_reply r;
	struct buf err = BUF_INIT, d = BUF_INIT;

	smtp_reply_init(&r);
	is_int(smtp_reply_add(&r, "250-mx.example\r\n", 16, &err), ST_OK,
	    "first line of a multi-line reply");
	ok(!r.complete, "a '-' line does not complete the reply");
	is_int(feed(&r, "535-5.7.8 Username and Password not accepted.\n535 5.7.8 Learn more", &err),
	    ST_OK, "multi-line 535 parses");
	is_str(r.enh, "5.7.8", "enhanced code of a multi-line reply");
	smtp_reply_describe(&r, &d);
	is_str(buf_str(&d), "535 5.7.8 Username and Password not accepted. / 5.7.8 Learn more",
	    "describe joins the lines");
	is_int(feed(&r, "250", &err), ST_OK, "a bare code is a whole reply");
	ok(r.complete && r.text.len == 0, "bare code: complete, no text");
	is_int(feed(&r, "550 5.1.1x mailbox", &err), ST_OK, "malformed enhanced code is text");
	is_str(r.enh, "", "no enhanced code taken from 5.1.1x");
	is_int(feed(&r, "450 5.1.1 mismatched class", &err), ST_OK, "class mismatch parses");
	is_str(r.enh, "", "enhanced code of another class is ignored");
	smtp_reply_free(&r);
	buf_free(&err);
	buf_free(&d);
}

static void
test_garbage_is_a_protocol_error(void)
{
	static const char *const bad[] = {
		"hello", "25", "2500 x", "199 too low", "600 too high", "25x ok",
		"250_x", "\x16\x03\x01\x00\x05", "HTTP/1.1 400 Bad Request", "",
	};
	struct smtp_reply r;
	struct buf err = BUF_INIT;

	smtp_reply_init(&r);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		smtp_reply_reset(&r);
		buf_reset(&err);
		is_int(smtp_reply_add(&r, bad[i], strlen(bad[i]), &err),
		    ST_PROTOCOL, bad[i][0] ? bad[i] : "(empty line)");
	}
	ok(strstr(buf_str(&err), "broke the SMTP protocol") != NULL,
	    "the error says the server broke the protocol");
	smtp_reply_free(&r);
	buf_free(&err);
}

static void
test_continuation_mismatch(void)
{
	struct smtp_reply r;
	struct buf err = BUF_INIT;

	smtp_reply_init(&r);
	is_int(feed(&r, "250-first\n251 second", &err), ST_PROTOCOL,
	    "a continuation with another code is refused");
	is_int(feed(&r, "250 done\n250 again", &err), ST_PROTOCOL,
	    "a line after the last line is refused");
	smtp_reply_free(&r);
	buf_free(&err);
}

static void
test_over_long_reply(void)
{
	struct smtp_reply r;
	struct buf err = BUF_INIT;
	char line[1000];
	enum status st = ST_OK;
	int n = 0;

	memset(line, 'x', sizeof line);
	memcpy(line, "250-", 4);
	smtp_reply_init(&r);
	while (st == ST_OK && n++ < 1000)
		st = smtp_reply_add(&r, line, sizeof line, &err);
	is_int(st, ST_PROTOCOL, "an endless reply is cut off");
	ok(r.size <= SMTP_REPLY_MAX + sizeof line, "memory stays bounded");
	smtp_reply_free(&r);
	buf_free(&err);
}

static void
test_control_characters_are_masked(void)
{
	struct smtp_reply r;
	struct buf err = BUF_INIT;

	smtp_reply_init(&r);
	is_int(feed(&r, "550 bad\x1b[2J\x07", &err), ST_OK, "reply with escapes parses");
	is_str(buf_str(&r.text), "bad?[2J?", "escape and bell are masked");
	is_int(feed(&r, "554 bad\x7fthing", &err), ST_OK, "reply with DEL parses");
	is_str(buf_str(&r.text), "bad?thing", "DEL is masked (found by tests/fuzz)");
	smtp_reply_free(&r);
	buf_free(&err);
}

static void
test_ehlo_capabilities(void)
{
	struct smtp_reply r;
	struct smtp_caps c;
	struct buf err = BUF_INIT;

	memset(&c, 0, sizeof c);
	smtp_reply_init(&r);
	feed(&r, "250-mx.example says hi\n250-PIPELINING\n250-SIZE 10240000\n"
	    "250-auth=login\n250-AUTH PLAIN LOGIN XOAUTH2\n250-8BITMIME\n"
	    "250-SMTPUTF8\n250-DSN\n250-STARTTLS\n250 ENHANCEDSTATUSCODES", &err);
	smtp_caps_parse(&c, &r);
	ok(c.pipelining && c.eightbitmime && c.smtputf8 && c.dsn &&
	    c.starttls && c.enhanced, "keywords are found");
	ok(c.has_size && c.size == 10240000, "SIZE limit");
	is_int((long)c.auth.n, 3, "AUTH mechanisms, both spellings, once each");
	is_str(c.auth.n > 2 ? c.auth.v[0] : NULL, "LOGIN", "mechanisms are upper case");
	feed(&r, "250-mx.example\n250 SIZE", &err);
	smtp_caps_parse(&c, &r);
	ok(c.has_size && c.size == 0 && !c.pipelining && c.auth.n == 0,
	    "SIZE without a number is no limit; old capabilities are gone");
	feed(&r, "250 PIPELINING", &err);
	smtp_caps_parse(&c, &r);
	ok(!c.pipelining, "the first line is the server name, not a keyword");
	smtp_caps_free(&c);
	smtp_reply_free(&r);
	buf_free(&err);
}

int
main(void)
{
	test_single_line_with_enhanced_code();
	test_multi_line();
	test_garbage_is_a_protocol_error();
	test_continuation_mismatch();
	test_over_long_reply();
	test_control_characters_are_masked();
	test_ehlo_capabilities();
	return done_testing();
}
