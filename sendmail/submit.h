/* SPDX-License-Identifier: MIT */
/*
 * submit - taking one message from a caller: decide its plan (account,
 * sender rule, envelope), then, as the delivery mode says, queue it
 * durably and deliver it now, in a background child, or at the next
 * queue run. Used by the command line (sendmail -t, sendmail rcpt...) and
 * by -bs for each message of an SMTP session.
 */
#ifndef SAATJA_SUBMIT_H
#define SAATJA_SUBMIT_H

#include "buf.h"
#include "config.h"
#include "message.h"
#include "queue.h"
#include "request.h"
#include "runq.h"
#include "status.h"

/* What to do with a message, from the command line and the config. */
enum submit_action {
	SUBMIT_SEND,		/* queue it, then deliver as the mode says */
	SUBMIT_DRY_RUN,		/* --dry-run: print the envelope and message */
	SUBMIT_VERIFY,		/* -bv: print the envelope */
};

struct submit_how {
	enum submit_action action;
	enum delivery_mode delivery;	/* -od?, else the config's */
	struct runq_how run;		/* -v, -X */
};

struct submit_result {
	char queue_id[QUEUE_ID_LEN + 1];	/* set once the message is queued, else "" */
	int queued_for_later;	/* accepted, left in the queue (temporary
				 * failure, background or queue mode) */
};

/*
 * Handles message m, already read, as request rq asks (its recipients,
 * sender and -t give the envelope) and how says. q is the opened queue
 * (queue_open), m's body spooled in q->tmp so that it never has to be
 * copied; q may be NULL for a dry run and -bv, which queue nothing. Returns ST_OK when the message was
 * delivered or is safely queued (r says which); a refusal (sender rule, no recipients, bad
 * headers) before anything was queued; or the permanent failure of an
 * interactive delivery, after the message was moved to the failed area.
 * A warning for the caller (some recipients refused, message queued after
 * a temporary failure) is left in err with ST_OK.
 */
enum status submit_message(const struct config *c, const struct request *rq,
    const struct submit_how *how, struct queue *q, struct message *m,
    struct submit_result *r, struct buf *err);

#endif
