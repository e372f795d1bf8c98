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
#include "options.h"
#include "queue.h"
#include "status.h"

struct submit_result {
	char queue_id[QUEUE_ID_LEN + 1];	/* set once the message is queued, else "" */
	int queued_for_later;	/* accepted, left in the queue (temporary
				 * failure, background or queue mode) */
};

/*
 * Handles message m, already read, as options o say: o->rcpts, o->sender
 * and o->headers_give_rcpts give the envelope, o->dry_run prints instead
 * of sending. q is the opened queue (queue_open), m's body spooled in
 * q->tmp so that it never has to be copied; q may be NULL for o->dry_run
 * and -bv, which queue nothing. Returns ST_OK when the message was
 * delivered or is safely queued (r says which); a refusal (sender rule, no recipients, bad
 * headers) before anything was queued; or the permanent failure of an
 * interactive delivery, after the message was moved to the failed area.
 * A warning for the caller (some recipients refused, message queued after
 * a temporary failure) is left in err with ST_OK.
 */
enum status submit_message(const struct config *c, const struct options *o,
    struct queue *q, struct message *m, struct submit_result *r,
    struct buf *err);

#endif
