/* SPDX-License-Identifier: MIT */
/*
 * fuzz_server_cmd - libFuzzer target for the -bs command parser.
 *
 * The input is what a hostile caller writes to sendmail -bs: lines split
 * after each LF, the line end removed, as server.c hands them over. The
 * parser's promises (server_cmd.h) are checked on every line: a refusal
 * carries a reply of the form "ddd text" in printable ASCII; an accepted
 * line names a known verb; an address taken from MAIL or RCPT holds no
 * control character (it may be UTF-8), so it cannot break a header or an
 * SMTP command; and
 * RCPT always has an address.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const char *line)
{
	fprintf(stderr, "%s: \"%s\"\n", what, line);
	abort();
}

/* Non-zero when s holds only printable ASCII, or (utf8) no control
 * character at all: addresses may be UTF-8 (SMTPUTF8). */
static int
printable(const char *s, int utf8)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f || (ch > 0x7f && !utf8))
			return 0;
	}
	return 1;
}

static void
check(const char *line, size_t len)
{
	struct server_cmd c;
	int r = server_cmd_parse(line, len, &c);

	if (r != 0) {
		if (strlen(c.reply) < 5 || c.reply[0] < '4' || c.reply[0] > '5' ||
		    c.reply[3] != ' ' || !printable(c.reply, 0))
			fail("bad refusal reply", c.reply);
	} else {
		if (c.reply[0] != '\0')
			fail("reply on an accepted line", c.reply);
		if (c.verb == CMD_BAD || c.verb == CMD_UNKNOWN)
			fail("accepted an unknown command", line);
		if (c.verb == CMD_RCPT && c.addr == NULL)
			fail("RCPT accepted without an address", line);
		if (c.addr && (*c.addr == '\0' || !printable(c.addr, 1)))
			fail("address with a control character or empty", c.addr);
		if (c.arg == NULL || c.arg < line || c.arg > line + len)
			fail("argument outside the line", line);
	}
	server_cmd_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t len = n;
		char *line;

		if (len && p[len - 1] == '\r')
			len--;
		line = malloc(len + 1);
		memcpy(line, p, len);
		line[len] = '\0';
		check(line, len);
		free(line);
		p += nl ? n + 1 : n;
	}
	return 0;
}
