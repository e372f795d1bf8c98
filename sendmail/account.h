/* SPDX-License-Identifier: MIT */
/*
 * account - choosing the provider account and applying the sender rule
 * (SENDER RULE in sendmail(8)), and everything else that decides what
 * leaves the machine: the envelope, and the header edits that go with it.
 *
 * Providers accept mail only when the sender address equals the login
 * name. So the envelope sender is always the account's address, the From
 * (or Resent-From) that chose the account shows that address, and a
 * sender that names no account is refused before any connection is made.
 */
#ifndef SAATJA_ACCOUNT_H
#define SAATJA_ACCOUNT_H

#include "buf.h"
#include "config.h"
#include "message.h"
#include "plan.h"
#include "request.h"
#include "status.h"

/*
 * Decides the plan for message m (edited in place: From rewritten or
 * added, Reply-To, Date, Message-ID added, Bcc and Return-Path removed,
 * the account's cc added, and its cc and bcc among the recipients, except
 * for a failure notice, r->notice). Returns ST_OK; ST_USAGE when there is no
 * recipient; ST_DATAERR for an unparsable address header; ST_NOPERM when
 * the sender rule refuses the message; ST_CONFIG when a local sender or
 * recipient needs a default account and there is none. err says why.
 */
enum status account_plan(struct plan *p, const struct config *c,
    const struct request *r, struct message *m, struct buf *err);

/* Non-zero when domain (NULL for an address without "@") is local:
 * localhost, this host's names, or a local_domains entry. */
int account_is_local(const struct config *c, const char *domain);

#endif
