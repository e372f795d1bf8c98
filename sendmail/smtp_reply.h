/* SPDX-License-Identifier: MIT */
/*
 * smtp_reply - the one parser of what an SMTP server says: replies
 * (RFC 5321 §4.2, multi-line, with RFC 3463 enhanced status codes) and
 * the capabilities listed in a reply to EHLO.
 *
 * The server is not trusted: a line that is not "ddd", "ddd text" or
 * "ddd-text" with a reply code from 200 to 599, a continuation with a
 * different code, or a reply over SMTP_REPLY_MAX octets is a protocol
 * error. Control characters in the text are replaced by '?', so a reply
 * can be shown on a terminal or written to a log as it is.
 */
#ifndef SAATJA_SMTP_REPLY_H
#define SAATJA_SMTP_REPLY_H

#include <stddef.h>

#include "buf.h"
#include "status.h"

#define SMTP_LINE_MAX 2048	/* octets per reply line, CRLF included */
#define SMTP_REPLY_MAX 65536	/* octets per reply, all lines */

struct smtp_reply {
	int code;		/* 0 until the first line */
	char enh[16];		/* enhanced status code ("5.7.8"), or "" */
	struct buf text;	/* the lines' text after the code, joined by
				 * '\n' (enhanced codes left in) */
	size_t size;		/* octets taken so far */
	int complete;		/* the last line has been seen */
};

void smtp_reply_init(struct smtp_reply *r);
/* Empties r for the next reply, keeping its memory. */
void smtp_reply_reset(struct smtp_reply *r);
void smtp_reply_free(struct smtp_reply *r);

/*
 * Adds one line (line ends optional) to r. Returns ST_OK, setting
 * r->complete at the last line; ST_PROTOCOL with the reason in err for a
 * malformed line, a code that differs from the first line's, a line after
 * the last one, or a reply larger than SMTP_REPLY_MAX.
 */
enum status smtp_reply_add(struct smtp_reply *r, const char *line,
    size_t len, struct buf *err);

/* Appends "code text" to out, lines joined by " / ", for messages. */
void smtp_reply_describe(const struct smtp_reply *r, struct buf *out);

/*
 * Non-zero when complete reply r refuses a login for its credentials
 * (535 bad credentials, 534 another kind of password wanted, 530
 * authentication required): the password, not the server, is to blame.
 */
int smtp_reply_refuses_login(const struct smtp_reply *r);

/* What the server offers, from its reply to EHLO. */
struct smtp_caps {
	int pipelining;
	int eightbitmime;
	int smtputf8;
	int dsn;
	int starttls;
	int enhanced;		/* ENHANCEDSTATUSCODES */
	int chunking;		/* CHUNKING: BDAT (RFC 3030) */
	int has_size;		/* SIZE was listed */
	unsigned long long size;	/* its limit in octets, 0 = none */
	struct strlist auth;	/* mechanisms, upper case */
};

/* Fills c (emptied first) from a complete reply to EHLO. */
void smtp_caps_parse(struct smtp_caps *c, const struct smtp_reply *ehlo);
void smtp_caps_free(struct smtp_caps *c);

#endif
