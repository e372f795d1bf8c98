/* SPDX-License-Identifier: MIT */
/*
 * credential - the one answer to "what does this account log in with":
 * the secret for an account and a SASL mechanism, fresh or not, and what
 * to tell the user when the server refuses it.
 *
 * The secret is the password as written in the config, the first line
 * of its password_command (run once a process), the content of its
 * password_file (a file or a systemd credential, secret_file.h), or, for a token
 * mechanism (XOAUTH2, OAUTHBEARER) of an account with a token store, an
 * access token from the store, refreshed through saatja-oauth when it
 * runs out (token.h). smtp.c asks this module and knows nothing of where
 * a secret comes from; what a run fetched lives here, never in the
 * config's structs.
 */
#ifndef SAATJA_CREDENTIAL_H
#define SAATJA_CREDENTIAL_H

#include "buf.h"
#include "config.h"
#include "smtp_reply.h"
#include "status.h"

struct credential {
	const struct account *account;
	int callers_file;	/* the config is the caller's (-C): commands
				 * and the token store run with the caller's
				 * rights (config.h) */
	char *password;		/* password_command's output or
				 * password_file's content, once fetched */
	char *access;		/* the access token last fetched, or NULL */
	long long expires;	/* when it expires (seconds since the epoch) */
};

/* A credential for account a of config c; nothing is fetched yet. */
void credential_init(struct credential *cr, const struct config *c,
    const struct account *a);

/*
 * Makes the secret for mech available in *secret, valid until the next
 * call or credential_free. With refused (the secret the server just
 * refused), a token is fetched anew, unless another process has stored
 * a newer one meanwhile. Returns ST_OK; ST_CONFIG when password_command
 * fails or password_file cannot be used; ST_TEMP_SERVER when
 * password_file is a systemd credential this process does not have; ST_NOPERM when no token is stored or the token service refused
 * for good; a temporary status when the token service cannot be reached
 * now; ST_OSERR, ST_IOERR, ST_CANTCREAT for local failures. err says why
 * and what to do.
 */
enum status credential_get(struct credential *cr, const char *mech,
    const char *refused, const char **secret, struct buf *err);

/* Non-zero when a refused secret for mech may be renewed (a token from
 * the store), so that one more login can be worth it. */
int credential_renewable(const struct credential *cr, const char *mech);

/*
 * After the server refused the login with mech (reply r, and the SASL
 * mechanism's own words refusal, or NULL): adds to err what to do, for
 * a token or for a password (the provider's app-password hint).
 */
void credential_refused(const struct credential *cr, const char *mech,
    const struct smtp_reply *r, const char *refusal, struct buf *err);

/* Wipes and frees what was fetched. */
void credential_free(struct credential *cr);

#endif
