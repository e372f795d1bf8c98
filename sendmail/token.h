/* SPDX-License-Identifier: MIT */
/*
 * token - the OAuth2 token store (OAUTH2 in saatja.ini(5)): one file per
 * account that holds its refresh token, its access token and when that
 * expires, and the one way to an access token that is fit to use.
 *
 * The file is as secret as a password: 0600, or 0660 in the group's
 * spool of a set-group-ID install; an account from a file the caller
 * chose (-C) keeps its tokens with the caller's own rights, in the
 * caller's state directory. It is replaced whole (write FILE.tmp, fsync,
 * rename, fsync the directory), so a crash or kill -9 at any moment
 * leaves the old file or the new one, never a half-written or empty one.
 *
 * A refresh happens under an exclusive flock() on FILE.lock (the token
 * file itself is replaced by rename, so a lock on it would exclude
 * nobody). Whoever takes the lock reads the file again and refreshes
 * only if it is still stale, so any number of concurrent senders cause
 * one refresh; the rotated refresh token is on disk before the new
 * access token is used.
 *
 * An application's grant (oauth_grant = client_credentials or
 * service_account, saatja.ini(5)) has no refresh token: the file holds
 * the access token alone, and a new one is asked for with the
 * application's credentials in the same locked way.
 */
#ifndef SAATJA_TOKEN_H
#define SAATJA_TOKEN_H

#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "smtp_reply.h"
#include "status.h"

/* Seconds an access token must have left to be used as it is. */
#define TOKEN_MIN_LEFT 60

/*
 * callers, in the calls below: the account is from a file the caller
 * chose (-C) in a set-group-ID run (config.h, callers_file), so its token
 * file is read and written, and saatja-oauth runs, with the caller's
 * own group.
 */

/*
 * Gives every account of c that uses the token store a token file where
 * the config names none: QUEUE/oauth/ADDRESS beside the queue (a -C
 * account of a set-group-ID run: the caller's own
 * ~/.local/state/saatja/oauth/ADDRESS). spool is the queue directory,
 * or NULL when there is none yet (then such an account has no file:
 * token_get says what to do).
 */
void token_locate(const struct config *c, const char *spool);

/*
 * Makes *access (with *expires, seconds since the epoch) a token to log
 * in with: the one held there, the stored one while it has
 * TOKEN_MIN_LEFT seconds left, else a refresh under the lock. The
 * caller wipes and frees *access. refused: the token the server has just refused, which is
 * refreshed unless the file already holds a newer one; NULL otherwise.
 * An application's grant asks for a token where none is stored.
 * ST_NOPERM when nothing is stored (a signed-in grant) or the service
 * refuses (invalid_grant: the message names --authorize and -qI; a file
 * of the application that cannot be used); ST_TEMP_* when the service
 * cannot be reached; ST_CONFIG when oauth_client_secret_command fails;
 * ST_CANTCREAT / ST_IOERR when the file cannot be read or written.
 */
enum status token_get(const struct account *a, int callers, char **access,
    long long *expires, const char *refused, struct buf *err);

/*
 * sendmail --authorize: signs in through the helper (device or browser
 * flow, on the caller's terminal) and stores the first tokens; for an
 * application's grant, asks for one token and stores it. ST_OK
 * once the file is written; see oauth_client_failure for the refusals,
 * ST_CANTCREAT when the file cannot be written.
 */
enum status token_authorize(const struct account *a, int callers,
    struct buf *err);

struct token_info {
	int stored;		/* the file exists and holds a refresh token
				 * (an access token, for an application) */
	int has_access;		/* and an access token */
	long long expires;	/* when it expires */
	int writable;		/* this process may replace the file */
};

/* What the file holds (no secret leaves it). ST_IOERR with the reason
 * when it cannot be read. */
enum status token_peek(const struct account *a, int callers,
    struct token_info *ti, char **access, struct buf *err);

/*
 * Adds to err what to do about a refused login, when there is something
 * to say beyond the password: a refused bearer token (mech XOAUTH2 or
 * OAUTHBEARER; refusal is the server's decoded JSON error, or NULL), or
 * Microsoft's refusal of password login (5.7.139, 5.7.30), which means
 * the mailbox needs OAuth2. Returns 1 when it added a hint.
 */
int token_login_hint(const struct account *a, const char *mech,
    const struct smtp_reply *r, const char *refusal, struct buf *err);

/* Non-zero for Microsoft's "basic authentication is disabled" refusals. */
int token_basic_auth_off(const struct smtp_reply *r);

#endif
