/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for reading and writing messages: line ends, the "." rule,
 * header folding, the header/body boundary, NUL bytes and long lines.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "../lib/tap.h"

static struct buf out, err;

/* Reads input, writes the message back; returns the status. */
static enum status
roundtrip(const char *input, size_t len, int dot_ends)
{
	struct message m;
	FILE *in = fmemopen((void *)input, len, "r");
	char *data = NULL;
	size_t size = 0;
	FILE *o = open_memstream(&data, &size);
	enum status st;

	message_init(&m);
	buf_reset(&out);
	buf_reset(&err);
	st = message_read(&m, in, dot_ends, "/tmp", &err);
	if (st == ST_OK)
		st = message_fit_lines(&m, &err);
	if (st == ST_OK)
		st = message_write(&m, o, &err);
	fclose(o);
	fclose(in);
	buf_add(&out, data, size);
	free(data);
	message_free(&m);
	return st;
}

#define RT(s, dot) roundtrip((s), sizeof(s) - 1, (dot))

static void
test_line_ends_become_crlf(void)
{
	RT("Subject: a\n\nlf\ncrlf\r\nstray\r\r\nlast", 0);
	is_str(buf_str(&out), "Subject: a\r\n\r\nlf\r\ncrlf\r\nstray\r\nlast\r\n",
	    "LF, CRLF, CR CR LF and a missing last line end all become CRLF");
	ok(strstr(buf_str(&out), "\r\r\n") == NULL, "no CR CR LF on output");
	RT("Subject: a\r\n\r\nold\rmac\r", 0);
	is_str(buf_str(&out), "Subject: a\r\n\r\nold\r\nmac\r\n", "a lone CR ends a line");
}

static void
test_dot_rule(void)
{
	RT("Subject: a\n\nbody\n.\nafter\n", 1);
	is_str(buf_str(&out), "Subject: a\r\n\r\nbody\r\n", "without -i a lone dot ends the message");
	RT("Subject: a\n\nbody\n.\nafter\n", 0);
	is_str(buf_str(&out), "Subject: a\r\n\r\nbody\r\n.\r\nafter\r\n", "with -i the dot is content");
	RT("Subject: a\n\n.\r\n", 1);
	is_str(buf_str(&out), "Subject: a\r\n\r\n", "a dot with CRLF ends it too");
	RT("Subject: a\n\n..\n.x\n", 1);
	is_str(buf_str(&out), "Subject: a\r\n\r\n..\r\n.x\r\n", "other dot lines are kept");
	RT("Subject: a\n.\nbody\n", 1);
	is_str(buf_str(&out), "Subject: a\r\n\r\n", "a dot in the header section ends the message");
}

static void
test_headers(void)
{
	RT("Subject: one\n two\nX-A: b\n\nbody\n", 0);
	is_str(buf_str(&out), "Subject: one\r\n two\r\nX-A: b\r\n\r\nbody\r\n", "folding kept");
	RT("From sender Thu Nov 26 10:00:00 2026\nSubject: a\n\nb\n", 0);
	is_str(buf_str(&out), "Subject: a\r\n\r\nb\r\n", "mbox From line dropped");
	RT("Subject: a\nthis is not a header\nmore\n", 0);
	is_str(buf_str(&out), "Subject: a\r\n\r\nthis is not a header\r\nmore\r\n",
	    "a non-header line starts the body");
	RT("Subject: a", 0);
	is_str(buf_str(&out), "Subject: a\r\n\r\n", "headers only, no line end");
	RT("", 0);
	is_str(buf_str(&out), "\r\n", "empty input gives an empty message");
}

static void
test_nul_in_headers_refused(void)
{
	static const char in[] = "Subject: a\0b\n\nbody\n";

	is_int(roundtrip(in, sizeof in - 1, 0), ST_DATAERR, "NUL in a header is refused");
	ok(strstr(buf_str(&err), "NUL") != NULL, "the error names the NUL byte");
}

static void
test_long_header_folded_or_refused(void)
{
	struct buf in = BUF_INIT;

	buf_adds(&in, "Subject:");
	for (int i = 0; i < 300; i++)
		buf_adds(&in, " word");
	buf_adds(&in, "\n\nb\n");
	is_int(roundtrip(in.data, in.len, 0), ST_OK, "a long header with spaces is accepted");
	ok(strstr(buf_str(&out), "\r\n word") != NULL, "and folded");
	buf_reset(&in);
	buf_adds(&in, "X-Long: ");
	for (int i = 0; i < 2000; i++)
		buf_addc(&in, 'x');
	buf_adds(&in, "\n\nb\n");
	is_int(roundtrip(in.data, in.len, 0), ST_DATAERR, "an unfoldable long header is refused");
	ok(strstr(buf_str(&err), "X-Long") != NULL, "the error names the header");
	buf_reset(&in);
	buf_adds(&in, "Subject: x\n");
	for (int i = 0; i < 30000; i++)
		buf_adds(&in, "X-Filler: 0123456789012345678901234567890123456789\n");
	is_int(roundtrip(in.data, in.len, 0), ST_DATAERR, "a header section over 1 MiB is refused");
	buf_free(&in);
}

/*
 * Found by tests/fuzz: a fold after a comma adds a space, which pushed
 * the rest of the line to 999 octets.
 */
static void
test_fold_at_comma_counts_the_added_space(void)
{
	struct buf in = BUF_INIT;
	const char *p;
	int longest = 0;

	/* Folds after the commas at 600 and then (old code) at 600 + 998. */
	buf_adds(&in, "X-Token:");
	for (int i = 0; i < 592; i++)
		buf_addc(&in, 'A');
	buf_addc(&in, ',');
	for (int i = 0; i < 500; i++)
		buf_addc(&in, 'A');
	buf_addc(&in, ',');
	for (int i = 0; i < 496; i++)
		buf_addc(&in, 'A');
	buf_adds(&in, ",AAAAA");
	buf_adds(&in, "\n\nb\n");
	is_int(roundtrip(in.data, in.len, 0), ST_OK, "a long header with a comma is accepted");
	for (p = buf_str(&out); *p; ) {
		int n = (int)strcspn(p, "\r");

		if (n > longest)
			longest = n;
		p += n + (p[n] ? 2 : 0);
	}
	ok(longest <= MESSAGE_LINE_MAX, "no folded line is over 998 octets");
	buf_reset(&in);
	/* Found by tests/fuzz: the fold went into the name, leaving a
	 * field with no name. */
	for (int i = 0; i < 1001; i++)
		buf_addc(&in, i == 600 ? ',' : 'X');
	buf_adds(&in, ":v\n\nb\n");
	is_int(roundtrip(in.data, in.len, 0), ST_DATAERR, "a field name too long for a line is refused");
	buf_free(&in);
}

static void
test_long_body_lines_quoted_printable(void)
{
	struct buf in = BUF_INIT;
	const char *o;

	buf_adds(&in, "Subject: long\nContent-Type: text/plain; charset=UTF-8\n\n");
	for (int i = 0; i < 1500; i++)
		buf_adds(&in, i % 100 == 99 ? "=" : "a");
	buf_adds(&in, " \nshort line\n");
	is_int(roundtrip(in.data, in.len, 0), ST_OK, "a 1500-octet line is accepted");
	o = buf_str(&out);
	ok(strstr(o, "Content-Transfer-Encoding: quoted-printable\r\n") != NULL,
	    "the body is re-encoded as quoted-printable");
	ok(strstr(o, "MIME-Version: 1.0\r\n") != NULL, "MIME-Version added");
	ok(strstr(o, "=3D") != NULL, "= is encoded");
	ok(strstr(o, "=20\r\nshort line\r\n") != NULL, "trailing space encoded, short line intact");
	{
		size_t longest = 0, cur = 0;

		for (; *o; o++) {
			if (*o == '\n') {
				if (cur > longest)
					longest = cur;
				cur = 0;
			} else
				cur++;
		}
		ok(longest <= 77, "no output line exceeds 76 octets plus CR");
	}
	buf_reset(&in);
	buf_adds(&in, "Content-Type: multipart/mixed; boundary=x\n\n");
	for (int i = 0; i < 1500; i++)
		buf_addc(&in, 'a');
	buf_adds(&in, "\n");
	is_int(roundtrip(in.data, in.len, 0), ST_OK, "multipart with a long line is accepted");
	ok(strstr(buf_str(&out), "quoted-printable") == NULL, "multipart is not re-encoded");
	buf_free(&in);
}

static void
test_editing(void)
{
	struct message m;
	static const char in[] = "To: a@b\nBcc: c@d\nbcc: e@f\nSubject: s\n\nx\n";
	FILE *f = fmemopen((void *)in, sizeof in - 1, "r");
	char *v;

	message_init(&m);
	message_read(&m, f, 0, "/tmp", &err);
	fclose(f);
	message_remove(&m, "BCC");
	is_int(message_find(&m, "bcc", 0), -1, "every Bcc removed, whatever its case");
	v = message_value(&m, (size_t)message_find(&m, "subject", 0));
	is_str(v, "s", "value read case-blind");
	free(v);
	message_append(&m, "Date", "Thu, 26 Nov 2026 10:00:00 +0200");
	is_int(message_find(&m, "Date", 0), 2, "appended at the end");
	message_free(&m);
}

int
main(void)
{
	test_line_ends_become_crlf();
	test_dot_rule();
	test_headers();
	test_nul_in_headers_refused();
	test_long_header_folded_or_refused();
	test_fold_at_comma_counts_the_added_space();
	test_long_body_lines_quoted_printable();
	test_editing();
	buf_free(&out);
	buf_free(&err);
	return done_testing();
}
