/*
 * account - choosing the provider account and applying the sender rule
 * (SPEC §4), and everything else that decides what leaves the machine:
 * the envelope, and the header edits that go with it.
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
#include "options.h"
#include "status.h"

struct plan {
	struct account *account;
	struct strlist rcpts;	/* envelope recipients, each once */
	char *asked_sender;	/* -f when it differed and was overridden */
	char *replaced_from;	/* the header address that was replaced */
	int needs_smtputf8;	/* an envelope address is not ASCII */
};

/*
 * Decides the plan for message m (edited in place: From rewritten or
 * added, Reply-To, Date, Message-ID added, Bcc and Return-Path removed,
 * the account's cc added). Returns ST_OK; ST_USAGE when there is no
 * recipient; ST_DATAERR for an unparsable address header; ST_NOPERM when
 * the sender rule refuses the message; ST_CONFIG when a local sender or
 * recipient needs a default account and there is none. err says why.
 */
enum status account_plan(struct plan *p, const struct config *c,
    const struct options *o, struct message *m, struct buf *err);
void plan_free(struct plan *p);

/* Non-zero when address (an addr-spec, possibly without "@") is local:
 * no domain, localhost, this host's names, or a local_domains entry. */
int account_is_local(const struct config *c, const char *domain);

#endif
