/* SPDX-License-Identifier: MIT */
/*
 * ratelimit - an account's max_per_hour (saatja.ini(5)): the times of
 * its sends in the last hour, one a line in QUEUE/ACCOUNT.rate, shared by
 * every queue run and sender under flock(2).
 *
 * ratelimit_wait takes the lock and says whether a message may go now;
 * the caller sends, calls ratelimit_record when something was given to
 * the server, then ratelimit_done, which lets the lock go. So two runs
 * never both send the last allowed message of the hour.
 */
#ifndef SAATJA_RATELIMIT_H
#define SAATJA_RATELIMIT_H

#include <time.h>

#include "buf.h"
#include "config.h"

struct ratelimit {
	int fd;			/* the file, locked; -1: no limit applies */
	struct buf recent;	/* the sends of the last hour, one a line */
};

/*
 * Opens, locks and reads the rate file of account a in the queue
 * directory dir. Returns 0 when a message may go now, else the time when
 * it may (the oldest send of the last hour leaves the hour). Without a
 * limit, or when the file cannot be opened (logged once a process), it
 * may.
 */
time_t ratelimit_wait(struct ratelimit *r, const char *dir,
    const struct account *a);
/* Counts a send now. */
void ratelimit_record(struct ratelimit *r);
/* Writes nothing more and lets the lock go. */
void ratelimit_done(struct ratelimit *r);

#endif
