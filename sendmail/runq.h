/* SPDX-License-Identifier: MIT */
/*
 * runq - delivering queued messages: a queue run (sendmail -q, -q --due),
 * one message (-qI ID), or the message just queued by an interactive or
 * background submission.
 *
 * Messages of one account go over one SMTP session, RSET between them,
 * within the account's max_per_hour. Each outcome settles the message:
 * delivered (removed), deferred (retried with back-off until retry_for)
 * or failed (moved to the failed area, with one notice mailed to the
 * account's own address, never a notice about a notice).
 */
#ifndef SAATJA_RUNQ_H
#define SAATJA_RUNQ_H

#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "queue.h"
#include "status.h"

/* How to deliver, from the command line. */
struct runq_how {
	const char *transcript;	/* -X FILE: append the dialogue, or NULL */
	int verbose;		/* -v: the dialogue on standard error */
	int due_only;		/* -q --due: only what is due (runq_run) */
};

/*
 * Delivers every queued message (with -q --due, how->due_only, only those
 * whose retry time has come). Returns ST_OK when the run went through,
 * whatever became of the messages (each is logged), or when there is no
 * queue; ST_IOERR when a queue directory cannot be read.
 */
enum status runq_run(const struct config *c, const struct runq_how *how,
    struct buf *err);

#define RUNQ_FROM_FAILED 1	/* the message may be in the failed area */
#define RUNQ_BACKLOG 2		/* then the account's waiting mail too */

/*
 * Delivers message id now. With RUNQ_BACKLOG, once it is delivered, the
 * account's other waiting messages follow over the same session, whatever
 * their back-off, in a detached child that takes the session over: the
 * caller does not wait for them (sendmail(8), DELIVERY AND THE QUEUE).
 * Returns, for id alone, ST_OK when delivered; the delivery's temporary
 * status when the message stays queued for a retry; its permanent status
 * when the message failed (moved to the failed area). err says why, and
 * holds a warning about refused recipients with ST_OK.
 */
enum status runq_deliver_one(const struct config *c, const struct runq_how *how,
    struct queue *q, const char *id, unsigned flags, struct buf *err);

#endif
