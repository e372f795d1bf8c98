/* SPDX-License-Identifier: MIT */
/*
 * oauth_http - one HTTPS POST to a token service, or one GET of a
 * provider's mail settings, through libcurl; only saatja-oauth links it.
 *
 * The rules of OAUTH2 in saatja.ini(5): https only, TLS 1.2 or newer, the
 * certificate verified against the system store or the account's ca_file
 * (then only those), the account's timeout for the whole exchange, no
 * redirect followed at all (a token endpoint has no reason to send one,
 * and following it could leak the form to plain HTTP), and an answer over
 * OAUTH_HTTP_MAX octets is cut off as an error. A GET follows at most
 * OAUTH_HTTP_REDIRECTS redirects, to https:// only (a web server often
 * moves a well-known file, and nothing secret is sent), gives up on a
 * connection after OAUTH_HTTP_CONNECT_S, and takes its size limit from
 * the caller.
 */
#ifndef SAATJA_OAUTH_HTTP_H
#define SAATJA_OAUTH_HTTP_H

#include "buf.h"

#define OAUTH_HTTP_MAX 65536
#define OAUTH_HTTP_REDIRECTS 3
#define OAUTH_HTTP_CONNECT_S 10

struct oauth_http {
	const char *ca_file;	/* NULL: the system store */
	long timeout;		/* seconds */
};

enum oauth_http_result {
	OAUTH_HTTP_OK,		/* an answer came: *code holds its status */
	OAUTH_HTTP_NETWORK,	/* no answer: name lookup, connect, timeout */
	OAUTH_HTTP_TLS,		/* certificate or handshake refused */
	OAUTH_HTTP_PROTOCOL,	/* a malformed answer, or a refused redirect */
	OAUTH_HTTP_TOO_LARGE,	/* an answer over the size limit */
};

/* Initialises libcurl; 0, or -1 when it cannot. */
int oauth_http_init(void);
/* POSTs form (application/x-www-form-urlencoded) to url; fills body and
 * *code. On anything but OAUTH_HTTP_OK, err says what went wrong. */
enum oauth_http_result oauth_http_post(const struct oauth_http *h, const char *url,
    const char *form, struct buf *body, long *code, struct buf *err);
/* GETs url, at most max octets, into body and *code; final_url gets the
 * URL the redirects ended at (url itself when none was followed). On
 * anything but OAUTH_HTTP_OK, err says what went wrong, naming the URL. */
enum oauth_http_result oauth_http_get(const struct oauth_http *h, const char *url,
    size_t max, struct buf *body, long *code, struct buf *final_url, struct buf *err);

#endif
