/* SPDX-License-Identifier: MIT */
/*
 * mailq - printing the queue (sendmail -bp, mailq): the table that
 * Postfix prints, or one JSON object per message.
 */
#ifndef SAATJA_MAILQ_H
#define SAATJA_MAILQ_H

#include <stdio.h>

#include "buf.h"
#include "queue.h"
#include "status.h"

/*
 * Prints every message of q (q->dir NULL: an empty queue) to out;
 * *waiting gets how many of them wait for a retry (not failed). Returns
 * ST_OK, or ST_IOERR when the queue cannot be read.
 */
enum status mailq_print(struct queue *q, int json, FILE *out,
    size_t *waiting, struct buf *err);

#endif
