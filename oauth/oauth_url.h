/* SPDX-License-Identifier: MIT */
/*
 * oauth_url - the URL and form pieces of OAuth2 (RFC 6749): encoding a
 * form or a query, and reading what the browser brings back to the
 * loopback redirect (RFC 8252 7.3) or what the user pastes instead.
 *
 * What comes back is not trusted: it arrives on a port any local program
 * can reach, or from a terminal. oauth_redirect_parse takes the request
 * line of an HTTP request ("GET /?code=...&state=... HTTP/1.1"), a whole
 * URL, a bare query ("?code=...") or a bare code; it percent-decodes the
 * parameters, refuses a parameter given twice, a decoded control
 * character, and anything over OAUTH_REDIRECT_MAX octets.
 */
#ifndef SAATJA_OAUTH_URL_H
#define SAATJA_OAUTH_URL_H

#include <stddef.h>

#include "buf.h"

#define OAUTH_REDIRECT_MAX 8192

/* Appends s to out percent-encoded as application/x-www-form-urlencoded
 * needs it (RFC 3986 unreserved characters stay, the rest is %XX). */
void oauth_url_encode(struct buf *out, const char *s);
/* Appends "&name=value" (no '&' when out is empty), value encoded; a NULL
 * value adds nothing. */
void oauth_form_add(struct buf *out, const char *name, const char *value);

struct oauth_redirect {
	char *code;			/* the authorization code, or NULL */
	char *state;			/* NULL when absent (a bare code) */
	char *error;			/* the service's error code, or NULL */
	char *error_description;	/* or NULL */
};

/* Reads s (len octets) into r, which must be zeroed. Returns 0, or -1 with
 * the reason in err (r is then freed). Succeeds only with a code or an
 * error. */
int oauth_redirect_parse(const char *s, size_t len, struct oauth_redirect *r,
    struct buf *err);
void oauth_redirect_free(struct oauth_redirect *r);

#endif
