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
#include "options.h"
#include "queue.h"
#include "status.h"

/*
 * Delivers every queued message (with -q --due, o->due_only, only those
 * whose retry time has come). Returns ST_OK when the run went through,
 * whatever became of the messages (each is logged), or when there is no
 * queue; ST_IOERR when a queue directory cannot be read.
 */
enum status runq_run(const struct config *c, const struct options *o,
    struct buf *err);

/*
 * Delivers message id now, also from the failed area when from_failed.
 * Returns ST_OK when delivered; the delivery's temporary status when the
 * message stays queued for a retry; its permanent status when the
 * message failed (moved to the failed area). err says why, and holds a
 * warning about refused recipients with ST_OK.
 */
enum status runq_deliver_one(const struct config *c, const struct options *o,
    struct queue *q, const char *id, int from_failed, struct buf *err);

#endif
