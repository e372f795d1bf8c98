/* SPDX-License-Identifier: MIT */
/*
 * oauth_proto - what sendmail and its helper program saatja-oauth say to
 * each other over their pipes: one request, one answer, each a list of
 * "key value" lines.
 *
 * The lines carry secrets (a refresh token, an access token, the client
 * secret), which is why they go through pipes and never through argv or
 * the environment. Both sides check what they read: a key is 1 to 32 of
 * [a-z_0-9.] starting with [a-z_], a value has no control character (so
 * no line break can smuggle in another key), a key appears once, at most
 * OAUTH_MSG_KEYS lines and OAUTH_MSG_MAX octets in all. Values are freed
 * with xfree_secret.
 *
 * Request (sendmail to saatja-oauth), "op" first:
 *   op refresh|authorize|grant   (op autoconfig, for --setup, has its
 *                                request and answer written down in
 *                                oauth/oauth_autoconfig_op.h)
 *   token_url, device_url, auth_url   https URLs (authorize needs
 *                                     device_url or auth_url; a service
 *                                     account's grant without token_url
 *                                     posts to its key file's token_uri)
 *   client_id, client_secret, scope, login_hint
 *   refresh_token                     (refresh)
 *   grant client_credentials|service_account     (grant: an application's
 *                                     own token, nobody signs in)
 *   client_secret_file, client_certificate, client_key, key_file
 *                                     absolute paths (grant); the helper
 *                                     reads them, so keys never pass here
 *   ca_file                           trust only these CAs
 *   timeout                           seconds for each HTTP exchange
 * Answer (saatja-oauth to sendmail):
 *   result ok|oauth|file|network|protocol|usage|local
 *   access_token, refresh_token, expires_in     (ok; no refresh_token
 *                                     for grant)
 *   error                 the service's error code (oauth), e.g. invalid_grant;
 *                         for file: unreadable, public (others may read a
 *                         secret) or invalid
 *   file_key              (file) the request key of the file:
 *                         client_certificate, client_key, key_file,
 *                         client_secret_file (the config's key less oauth_)
 *   description           a printable one-line explanation (not ok)
 */
#ifndef SAATJA_OAUTH_PROTO_H
#define SAATJA_OAUTH_PROTO_H

#include <stddef.h>

#include "buf.h"

/* An autoconfig answer with 16 servers of 5 keys each, and its 7 others. */
#define OAUTH_MSG_KEYS 96
#define OAUTH_MSG_MAX 65536
#define OAUTH_KEY_MAX 32

struct oauth_msg {
	char *key[OAUTH_MSG_KEYS];
	char *val[OAUTH_MSG_KEYS];
	size_t n;
};

#define OAUTH_MSG_INIT { { NULL }, { NULL }, 0 }

/* Parses text (len octets, need not be NUL-terminated) into m, which must
 * be empty. Returns 0, or -1 with the reason in err (m is then emptied). */
int oauth_msg_parse(struct oauth_msg *m, const char *text, size_t len, struct buf *err);
/* The value of key, or NULL. */
const char *oauth_msg_get(const struct oauth_msg *m, const char *key);
/* Appends "key value\n" to out; a NULL value adds nothing. Returns 0, or
 * -1 when key or value could not be parsed back (nothing is added). */
int oauth_msg_add(struct buf *out, const char *key, const char *val);
/* Overwrites and frees every value; m is empty again. */
void oauth_msg_free(struct oauth_msg *m);
/* Copies s into out as printable ASCII on one line, at most max octets:
 * control and non-ASCII octets become '?'. For texts from a server. */
void oauth_printable(struct buf *out, const char *s, size_t len, size_t max);

#endif
