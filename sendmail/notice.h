/* SPDX-License-Identifier: MIT */
/*
 * notice - the short mails saatja sends to an account about its own
 * messages: one that failed for good (it waits in the failed area), and
 * the recipients a server refused while others got the message.
 *
 * A notice goes to the account's own address alone (never its cc or
 * bcc), is planned as "sendmail ACCOUNT" would plan it, and is queued
 * like any message; the caller (runq.c) delivers it. A notice is never
 * made about a notice.
 */
#ifndef SAATJA_NOTICE_H
#define SAATJA_NOTICE_H

#include "buf.h"
#include "config.h"
#include "message.h"
#include "queue.h"
#include "smtp.h"

/*
 * Queues the notice that message qm (its text m) failed for reason.
 * Returns 0 with the notice's queue ID in id, or "" in id when none is
 * made (qm is itself a notice); -1 when it could not be queued (a full
 * disk; logged): then the caller keeps the message queued rather than
 * failed without a notice (doc/RELIABILITY.md).
 */
int notice_failed(const struct config *c, struct queue *q,
    const struct queue_entry *qm, const struct message *m,
    const char *reason, char id[QUEUE_ID_LEN + 1]);

/*
 * Queues the notice about the recipients of qm that r says the server
 * refused for good while the message went to others. Returns as
 * notice_failed; on -1 the caller leaves those recipients unsettled, to
 * be refused, and noticed, at the next try.
 */
int notice_refused(const struct config *c, struct queue *q,
    const struct queue_entry *qm, const struct message *m,
    const struct smtp_result *r, char id[QUEUE_ID_LEN + 1]);

#endif
