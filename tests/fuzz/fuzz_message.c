/* SPDX-License-Identifier: MIT */
/*
 * fuzz_message - libFuzzer target for message_read and what is done with
 * a message after it: header values, line fitting and writing it out.
 *
 * The first input byte picks "-i" or the lone-dot rule; the rest is the
 * message as a caller would pipe it. Besides surviving it, the result
 * must keep message.h's promises: every header field is "Name:" plus
 * lines joined by CRLF and a space or tab (no bare CR or LF that could
 * start a new header), and the spooled body has only CRLF line ends.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char spool[4096];
static FILE *devnull;

static void
cleanup(void)
{
	rmdir(spool);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(spool, sizeof spool, "%s/saatja-fuzz-spool.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(spool) == NULL || (devnull = fopen("/dev/null", "w")) == NULL) {
		perror("fuzz_message: set-up");
		exit(1);
	}
	atexit(cleanup);
	return 0;
}

static void
broken(const char *what, const char *s, size_t n)
{
	fprintf(stderr, "fuzz_message: %s: \"%.*s\"\n", what,
	    (int)(n > 200 ? 200 : n), s);
	abort();
}

static void
check_field(const struct header *h)
{
	const char *f = h->field, *line = f;
	size_t n = strlen(h->name);

	if (n == 0 || strncmp(f, h->name, n) != 0 || f[n] != ':')
		broken("field does not start with its name", f, strlen(f));
	for (const char *p = f;; p++) {
		if (*p == '\0' || *p == '\r') {
			if (p - line > MESSAGE_LINE_MAX)
				broken("header line longer than 998", f, strlen(f));
			line = p + 2;
		}
		if (*p == '\0')
			break;
		if (*p == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t'))
			p++;
		else if (*p == '\r' || *p == '\n')
			broken("bare CR or LF in a header field", f, strlen(f));
	}
}

static void
check_body(const struct message *m)
{
	char block[4096];
	off_t off = 0;
	int cr = 0;

	while (off < m->body_size) {
		ssize_t got = pread(m->body_fd, block, sizeof block, off);

		if (got <= 0)
			broken("spool shorter than body_size", "", 0);
		for (ssize_t i = 0; i < got; i++) {
			if ((block[i] == '\n') != cr)
				broken("body line end not CRLF", block, (size_t)got);
			cr = block[i] == '\r';
		}
		off += got;
	}
	if (cr)
		broken("body ends in a bare CR", "", 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char empty[1];
	struct message m;
	struct buf err = BUF_INIT;
	FILE *in;
	enum status st;

	if (size < 1)
		return 0;
	/* fmemopen refuses a zero-length buffer on some C libraries. */
	in = size > 1 ? fmemopen((void *)(data + 1), size - 1, "r") :
	    fmemopen(empty, 1, "r");
	if (in == NULL)
		return 0;
	if (size == 1)
		fgetc(in);
	message_init(&m);
	st = message_read(&m, in, data[0] & 1, spool, &err);
	fclose(in);
	if (st == ST_OK) {
		for (size_t i = 0; i < m.nhdrs; i++) {
			check_field(&m.hdrs[i]);
			free(message_value(&m, i));
		}
		check_body(&m);
		buf_reset(&err);
		if (message_fit_lines(&m, &err) != ST_OK)
			broken("message_fit_lines failed", buf_str(&err), err.len);
		for (size_t i = 0; i < m.nhdrs; i++)
			check_field(&m.hdrs[i]);
		check_body(&m);
		if (message_write(&m, devnull, &err) != ST_OK)
			broken("message_write failed", buf_str(&err), err.len);
	} else if (err.len == 0)
		broken("refused without a reason", "", 0);
	message_free(&m);
	buf_free(&err);
	return 0;
}
