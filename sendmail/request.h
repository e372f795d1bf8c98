/* SPDX-License-Identifier: MIT */
/*
 * request - what a caller asks of one submission: the sender it gave,
 * the recipients, where the recipients come from, and the envelope
 * extensions it asked for. A builder owns the recipients' list (free it
 * with strlist_free) and the strings the pointers lead to.
 *
 * Three places build one: options.c from the command line, server.c for
 * each -bs transaction, and notice.c for a failure notice. account_plan
 * (account.h) and submit_message (submit.h) take it; nothing below them
 * sees the command line.
 */
#ifndef SAATJA_REQUEST_H
#define SAATJA_REQUEST_H

#include "buf.h"

struct request {
	const char *sender;	/* -f / -r, or MAIL FROM; NULL: none asked */
	const char *fullname;	/* -F, or NULL */
	struct strlist rcpts;	/* recipient arguments or RCPT TO, as given */
	int headers_give_rcpts;	/* -t: the recipients are in the headers too */
	const char *body_type;	/* -B or BODY=: "7BIT", "8BITMIME", or NULL */
	const char *dsn_notify;	/* -N, or NULL */
	const char *dsn_ret;	/* -R: "FULL" or "HDRS", or NULL */
	const char *dsn_envid;	/* -V, or NULL */
	int notice;		/* a failure notice: to the account alone,
				 * without its cc/bcc, and never a notice
				 * about it */
};

#endif
