/* SPDX-License-Identifier: MIT */
/*
 * queue - the durable spool: every accepted message is here until it is
 * delivered, or in the failed area with its reason.
 *
 * The on-disk format is described once, at the top of queue.c. A message
 * enters the queue only whole (written, fsynced, renamed into place), and
 * one process at a time may work on it (flock on its envelope file).
 */
#ifndef SAATJA_QUEUE_H
#define SAATJA_QUEUE_H

#include <sys/types.h>
#include <time.h>

#include "plan.h"
#include "buf.h"
#include "config.h"
#include "message.h"
#include "status.h"

#define QUEUE_ID_LEN 10

struct queue {
	char *dir;		/* the queue directory */
	char *tmp;		/* dir/tmp: bodies being written */
	char *failed;		/* dir/failed */
};

/* One queued message: its envelope and its delivery state. */
struct queue_entry {
	char id[QUEUE_ID_LEN + 1];
	int in_failed;		/* lives in the failed area */
	char *account;
	time_t arrival;
	off_t size;		/* octets of the whole message */
	struct strlist rcpts;	/* those still to be given the message */
	struct strlist done;	/* settled by earlier attempts (ID.state) */
	char *body_type;	/* -B, or NULL */
	char *dsn_notify, *dsn_ret, *dsn_envid;
	int smtputf8;
	int notice;		/* a failure notice: never a notice about it */
	int body_8bit;		/* the body has octets >= 0x80 */
	unsigned attempts;
	time_t next_try;	/* 0: now */
	char *reason;		/* the last failure, or NULL */
	int env_fd;		/* open and locked while worked on, else -1 */
};

/*
 * Chooses and prepares the queue directory: the config's queue key, else
 * the system spool when it is writable, else the per-user state
 * directory. Creates dir, dir/tmp and dir/failed as needed. ST_CANTCREAT
 * with the reason when none is usable.
 */
enum status queue_open(struct queue *q, const struct config *c,
    struct buf *err);
/* Like queue_open, but never creates anything (for listing and queue
 * runs); q->dir is NULL when there is no queue at all. */
void queue_find(struct queue *q, const struct config *c);
void queue_close(struct queue *q);

/*
 * Queues message m (its body spooled in q->tmp, see message_read) as the
 * plan p says: account, recipients, body type, DSN, failure notice. On
 * ST_OK, id holds the new queue ID and the message is durable.
 * ST_CANTCREAT or ST_IOERR (disk full, permissions) when it could not be
 * queued: nothing is left then, and id is empty.
 */
enum status queue_add(struct queue *q, const struct plan *p,
    const struct message *m, char id[QUEUE_ID_LEN + 1], struct buf *err);

/*
 * Lists every message, queued and failed, oldest first, without locking
 * (for mailq and for choosing what to deliver). The caller frees the
 * array with queue_list_free. ST_OK (no message when q->dir is NULL or
 * missing); ST_IOERR, with nothing listed, when a queue directory
 * cannot be read.
 */
enum status queue_list(struct queue *q, struct queue_entry **out, size_t *n,
    struct buf *err);
void queue_list_free(struct queue_entry *v, size_t n);

/*
 * Takes message id for delivery: locks it, reads its envelope and state
 * into qm and its header section and body into m. ST_OK when taken;
 * ST_TEMP_SERVER when another process holds it or it is gone (delivered
 * meanwhile); ST_IOERR when it cannot be read. A failed message is taken
 * only when from_failed is set.
 */
enum status queue_take(struct queue *q, const char *id, int from_failed,
    struct queue_entry *qm, struct message *m, struct buf *err);
/*
 * Recipient addr of a taken message is settled (given the message, or
 * refused for good): it leaves qm->rcpts for qm->done, which the next
 * queue_defer or queue_fail writes down. The string itself moves, so
 * pointers into qm->rcpts (an envelope's) stay good.
 */
void queue_settled(struct queue_entry *qm, const char *addr);

/* Releases a taken message without changing it. */
void queue_release(struct queue_entry *qm);
void queue_entry_free(struct queue_entry *qm);

/*
 * The message was delivered: removes it (and releases it). ID.env goes
 * first, and a leftover body is swept later. When ID.env cannot be
 * removed, the message stays whole and queued (it would be sent again):
 * returns ST_IOERR with err saying so, naming the file.
 */
enum status queue_done(struct queue *q, struct queue_entry *qm,
    struct buf *err);
/*
 * A temporary failure: counts the attempt and sets the next try (5 min
 * doubling to 2 h, or at `at` when not 0) with reason.
 */
enum status queue_defer(struct queue *q, struct queue_entry *qm,
    const char *reason, time_t at, struct buf *err);
/* A permanent failure: moves the message to the failed area with reason. */
enum status queue_fail(struct queue *q, struct queue_entry *qm,
    const char *reason, struct buf *err);

/*
 * Non-zero when some message of q waits for a retry (it has an ID.state:
 * it failed once). Cheap: one directory read, no file opened.
 */
int queue_has_waiting(const struct queue *q);

/* Sorts a listing by account (case-blind), then arrival, then ID: the
 * order a queue run sends in, one session an account. */
void queue_sort_by_account(struct queue_entry *v, size_t n);

/* What a killed writer leaves is removed once untouched this long. */
#define QUEUE_STALE_AGE (10 * 60)

/*
 * Removes what killed processes left (files in tmp/, bodies and states
 * without an envelope; see queue.c) once untouched for QUEUE_STALE_AGE
 * and locked by no process, and puts a message that a killed queue_fail
 * left half in failed/ back in the queue. Never fails: what it cannot
 * remove, the next run tries again.
 */
void queue_sweep(struct queue *q);

#endif
