/* SPDX-License-Identifier: MIT */
/*
 * sasl_oauth - the client side of the two bearer-token mechanisms that
 * GNU SASL 2.2 lacks: XOAUTH2 (Google's and Microsoft's) and OAUTHBEARER
 * (RFC 7628). sasl.c offers them beside the library's mechanisms.
 *
 * Both send everything in the initial response:
 *	XOAUTH2		"user=" USER ^A "auth=Bearer " TOKEN ^A ^A
 *	OAUTHBEARER	"n,a=" USER "," ^A "auth=Bearer " TOKEN ^A ^A
 * (the GS2 header of RFC 5801, with ',' and '=' in the name escaped as
 * =2C and =3D). A refused token gets a 334 whose base64 text is a JSON
 * error; the client then ends the exchange (XOAUTH2: an empty line;
 * OAUTHBEARER: a single ^A, RFC 7628 3.2.3) and the server answers 535.
 */
#ifndef SAATJA_SASL_OAUTH_H
#define SAATJA_SASL_OAUTH_H

#include "buf.h"

/* Non-zero for XOAUTH2 and OAUTHBEARER (any case). */
int sasl_oauth_is(const char *mech);
/* The initial response for user and token, base64, into out. Returns 0,
 * or -1 when base64 fails (out of memory). */
int sasl_oauth_initial(const char *mech, const char *user, const char *token,
    struct buf *out);
/* The base64 response that ends the exchange after the server's error. */
const char *sasl_oauth_cancel(const char *mech);
/* The server's error challenge, decoded, as one printable line. */
void sasl_oauth_describe(const char *challenge, struct buf *out);

#endif
