/* SPDX-License-Identifier: MIT */
/*
 * plan - what was decided about one message before it is queued: the
 * account it goes out with, the envelope, and the decisions a log line
 * reports. account_plan (account.h) makes it; queue_add writes it down.
 */
#ifndef SAATJA_PLAN_H
#define SAATJA_PLAN_H

#include "buf.h"
#include "config.h"

/* The strings of the body type and DSN are borrowed from the request. */
struct plan {
	struct account *account;
	struct strlist rcpts;	/* envelope recipients, each once */
	char *asked_sender;	/* -f when it differed and was overridden */
	char *replaced_from;	/* the header address that was replaced */
	int needs_smtputf8;	/* an envelope address is not ASCII */
	const char *body_type;	/* "7BIT" or "8BITMIME", or NULL */
	const char *dsn_notify;	/* NOTIFY=, or NULL */
	const char *dsn_ret;	/* RET=: "FULL" or "HDRS", or NULL */
	const char *dsn_envid;	/* ENVID=, or NULL */
	int notice;		/* a failure notice: never a notice about it */
};

void plan_free(struct plan *p);

#endif
