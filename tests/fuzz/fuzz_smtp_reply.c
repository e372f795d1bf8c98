/* SPDX-License-Identifier: MIT */
/*
 * fuzz_smtp_reply - libFuzzer target for the SMTP reply parser and the
 * EHLO capability parser.
 *
 * The input is what a hostile server sends: lines split after each LF
 * and fed to smtp_reply_add as the client reads them. Each complete reply
 * is described (as for a log line) and read as an EHLO reply; after a
 * protocol error the next line starts a new reply, to reach further.
 * smtp_reply.h promises text fit for a terminal or a log, so a described
 * reply must hold no control character at all.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_reply(const struct smtp_reply *r)
{
	struct buf d = BUF_INIT;
	struct smtp_caps caps;

	if (r->code < 200 || r->code > 599 || strlen(r->enh) >= sizeof r->enh) {
		fprintf(stderr, "bad code %d or enhanced code\n", r->code);
		abort();
	}
	smtp_reply_describe(r, &d);
	for (size_t i = 0; i < d.len; i++) {
		unsigned char c = (unsigned char)d.data[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			fprintf(stderr, "control character 0x%02x in \"%s\"\n",
			    c, buf_str(&d));
			abort();
		}
	}
	buf_free(&d);
	memset(&caps, 0, sizeof caps);
	smtp_caps_parse(&caps, r);
	for (size_t i = 0; i < caps.auth.n; i++)
		if (*caps.auth.v[i] == '\0') {
			fprintf(stderr, "empty AUTH mechanism\n");
			abort();
		}
	smtp_caps_free(&caps);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct smtp_reply r;
	struct buf err = BUF_INIT;

	smtp_reply_init(&r);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		buf_reset(&err);
		if (smtp_reply_add(&r, p, n, &err) != ST_OK) {
			if (err.len == 0) {
				fprintf(stderr, "protocol error without a reason\n");
				abort();
			}
			smtp_reply_reset(&r);
		} else if (r.complete) {
			check_reply(&r);
			smtp_reply_reset(&r);
		}
		p += n;
	}
	smtp_reply_free(&r);
	buf_free(&err);
	return 0;
}
