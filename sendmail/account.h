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
#include "oauth_conf.h"
#include "options.h"
#include "providers.h"
#include "status.h"

/*
 * An account: one [address] section of the config, checked and completed
 * by config_load (config.c). The address is the sender and the login.
 */
#define AUTH_MAX 4

struct account {
	char *address;		/* the section name: sender and login */
	const struct provider *provider;	/* preset used, or NULL */
	char *host;
	unsigned port;
	enum tls_mode tls;
	char *password;		/* NULL when password_command gives it */
	char *password_command;
	int callers_command;	/* password_command is from a file the
				 * caller chose (-C): run it with the
				 * caller's rights only */
	char *auth[AUTH_MAX];	/* mechanism names, upper case, in order */
	size_t nauth;
	char *ca_file;
	unsigned char fingerprint[32];	/* SHA-256 pin */
	int has_fingerprint;
	unsigned max_per_hour;	/* 0 = no limit */
	unsigned max_rcpt;	/* recipients a transaction, 0 = no limit */
	unsigned timeout;	/* seconds per network step */
	struct strlist cc;
	struct strlist bcc;
	struct oauth_conf oauth;	/* OAuth2 token service (saatja.ini(5)) */
};

/*
 * The plan: what was decided about one message before it is queued. The
 * strings of the body type and DSN are borrowed from the options.
 */
struct plan {
	struct account *account;
	struct strlist rcpts;	/* envelope recipients, each once */
	char *asked_sender;	/* -f when it differed and was overridden */
	char *replaced_from;	/* the header address that was replaced */
	int needs_smtputf8;	/* an envelope address is not ASCII */
	const char *body_type;	/* -B: "7BIT" or "8BITMIME", or NULL */
	const char *dsn_notify;	/* -N, or NULL */
	const char *dsn_ret;	/* -R: "FULL" or "HDRS", or NULL */
	const char *dsn_envid;	/* -V, or NULL */
	int notice;		/* a failure notice: never a notice about it */
};

/*
 * Decides the plan for message m (edited in place: From rewritten or
 * added, Reply-To, Date, Message-ID added, Bcc and Return-Path removed,
 * the account's cc added, and its cc and bcc among the recipients, except
 * for a failure notice, o->notice). Returns ST_OK; ST_USAGE when there is no
 * recipient; ST_DATAERR for an unparsable address header; ST_NOPERM when
 * the sender rule refuses the message; ST_CONFIG when a local sender or
 * recipient needs a default account and there is none. err says why.
 */
enum status account_plan(struct plan *p, const struct config *c,
    const struct options *o, struct message *m, struct buf *err);
void plan_free(struct plan *p);

/* Non-zero when domain (NULL for an address without "@") is local:
 * localhost, this host's names, or a local_domains entry. */
int account_is_local(const struct config *c, const char *domain);

#endif
