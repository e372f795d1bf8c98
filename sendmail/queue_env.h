/* SPDX-License-Identifier: MIT */
/*
 * queue_env - the text of a queued message's files, written and read
 * back: ID.env (the envelope, the delivery settings and the header
 * section) and ID.state (attempts, next try, last reason). The format is
 * described once, at the top of queue.c; queue.c does the files, the
 * locking and the moves, this module only the text.
 */
#ifndef SAATJA_QUEUE_ENV_H
#define SAATJA_QUEUE_ENV_H

#include <stdio.h>

#include "plan.h"
#include "buf.h"
#include "message.h"
#include "queue.h"

/* queue.c's helpers for the other files of the module (queue_sweep.c):
 * the path DIR/ID.EXT (free it), and whether s[0..n) is a queue ID. */
char *queue_path(const char *dir, const char *id, const char *ext);
int queue_is_id(const char *s, size_t n);

/* Appends the text of ID.env for message m, planned as p, to b. */
void queue_env_text(struct buf *b, const struct plan *p,
    const struct message *m);
/* Appends the text of ID.state for qm to b (the reason on one line). */
void queue_state_text(struct buf *b, const struct queue_entry *qm);

/*
 * Reads "key: value" lines up to an empty line (or the end) from f into
 * qm, leaving f just after the empty line; an unknown key is skipped.
 * Returns 0, or -1 when f does not look like a queue file (no account).
 */
int queue_env_parse(FILE *f, struct queue_entry *qm);
/* Reads the header section (CRLF fields, folded lines kept) that follows
 * from f into m. */
void queue_env_headers(FILE *f, struct message *m);

#endif
