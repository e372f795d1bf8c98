/* SPDX-License-Identifier: MIT */
/*
 * runner - whether anything is set to retry a queue: saatja-runner's
 * systemd timer or cron file (paths.h), or a queue run within the last
 * hour, which every run marks in the queue.
 */
#ifndef SAATJA_RUNNER_H
#define SAATJA_RUNNER_H

#include <stddef.h>

#include "buf.h"
#include "queue.h"

/* Marks q as run now. */
void runner_mark(const struct queue *q);

/*
 * Non-zero when n messages of q wait for a retry (n > 0) and nothing is
 * set to make it: no queue runner is enabled (the systemd timer's link or
 * /etc/cron.d/saatja, for the system spool that they run) and no queue run
 * marked q within the last hour. warning then gets one line saying so
 * and what to do, in the caller's language.
 */
int runner_unattended(const struct queue *q, size_t n, struct buf *warning);

#endif
