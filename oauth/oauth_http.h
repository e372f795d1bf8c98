/* SPDX-License-Identifier: MIT */
/*
 * oauth_http - one HTTPS POST to a token service, through libcurl; only
 * saatja-oauth links it.
 *
 * The rules of OAUTH2 in saatja.ini(5): https only, TLS 1.2 or newer, the
 * certificate verified against the system store or the account's ca_file
 * (then only those), the account's timeout for the whole exchange, no
 * redirect followed at all (a token endpoint has no reason to send one,
 * and following it could leak the form to plain HTTP), and an answer over
 * OAUTH_HTTP_MAX octets is cut off as an error.
 */
#ifndef SAATJA_OAUTH_HTTP_H
#define SAATJA_OAUTH_HTTP_H

#include "buf.h"

#define OAUTH_HTTP_MAX 65536

struct oauth_http {
	const char *ca_file;	/* NULL: the system store */
	long timeout;		/* seconds */
};

enum oauth_http_result {
	OAUTH_HTTP_OK,		/* an answer came: *code holds its status */
	OAUTH_HTTP_NETWORK,	/* no answer: name lookup, connect, timeout */
	OAUTH_HTTP_TLS,		/* certificate or handshake refused */
	OAUTH_HTTP_PROTOCOL,	/* a malformed or oversized answer */
};

/* Initialises libcurl; 0, or -1 when it cannot. */
int oauth_http_init(void);
/* POSTs form (application/x-www-form-urlencoded) to url; fills body and
 * *code. On anything but OAUTH_HTTP_OK, err says what went wrong. */
enum oauth_http_result oauth_http_post(const struct oauth_http *h, const char *url,
    const char *form, struct buf *body, long *code, struct buf *err);

#endif
