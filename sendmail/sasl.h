/* SPDX-License-Identifier: MIT */
/*
 * sasl - the client side of SMTP AUTH mechanisms (GNU SASL), knowing
 * nothing of SMTP: it picks a mechanism and turns the server's base64
 * challenges into base64 responses. smtp_auth drives the exchange.
 *
 * Responses hold the password (or its base64): callers send them, never
 * show or log them, and wipe them (buf_wipe) once sent.
 */
#ifndef SAATJA_SASL_H
#define SAATJA_SASL_H

#include "config.h"
#include "buf.h"
#include "status.h"

struct sasl;

/*
 * The first mechanism of the account's auth list, from index *from on,
 * that the server offers (offered: upper-case names); *from is moved
 * past it. NULL when none is left.
 */
const char *sasl_choose(const struct account *a, const struct strlist *offered,
    size_t *from);

/* Non-zero when mech sends an initial response with the AUTH command. */
int sasl_initial_response(const char *mech);

/*
 * Starts mech for login user with password (for XOAUTH2 and OAUTHBEARER:
 * the access token). Returns ST_OK with *s set;
 * ST_OSERR when the library fails, ST_CONFIG when it does not know mech
 * (err says why).
 */
enum status sasl_begin(struct sasl **s, const char *mech, const char *user,
    const char *password, struct buf *err);

/*
 * Computes the base64 response (into out, emptied first) to the base64
 * challenge (NULL for the initial response). *done is set when the
 * mechanism has nothing more to send. ST_PROTOCOL when the challenge is
 * not valid base64 or the mechanism cannot answer it.
 */
enum status sasl_step(struct sasl *s, const char *challenge, struct buf *out,
    int *done, struct buf *err);

/* What a bearer-token mechanism's server said when it refused the token
 * (its JSON error, as one printable line), or NULL. */
const char *sasl_refusal(const struct sasl *s);

/* Ends the exchange and frees s; NULL is fine. */
void sasl_end(struct sasl *s);

#endif
