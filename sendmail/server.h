/* SPDX-License-Identifier: MIT */
/*
 * server - sendmail -bs: SMTP spoken on standard input and output
 * (-bs in sendmail(8)), the default transport of Symfony Mailer, Laravel and
 * Nextcloud.
 *
 * The caller is a local program, so there is no AUTH. Each message of
 * the session takes the same path as one given to sendmail -t
 * (submit_message): the same account choice, sender rule and delivery
 * mode. The reply to its final "." is 250 only once that path has
 * delivered the message or queued it durably; a refusal gets a 5xx that
 * names the reason, and a 4xx is given only when nothing was queued.
 */
#ifndef SAATJA_SERVER_H
#define SAATJA_SERVER_H

#include "buf.h"
#include "config.h"
#include "request.h"
#include "status.h"
#include "submit.h"

/*
 * Runs one session on file descriptors 0 and 1. Every message's request
 * is base (the command line's -F, -B, -N, -R, -V) with the envelope of
 * its transaction, and goes as how says (delivery mode, -v, -X). Returns ST_OK after QUIT or when the
 * input ends between transactions; ST_IOERR when the input ends inside
 * a transaction (nothing of it is queued, and err stays empty: the
 * caller knows its own failure) or when a reply cannot be written
 * (reason in err); ST_USAGE, before the greeting, for options that would
 * write on standard output (a dry run, -bv).
 */
enum status server_run(const struct config *c, const struct request *base,
    const struct submit_how *how, struct buf *err);

#endif
