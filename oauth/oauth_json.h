/* SPDX-License-Identifier: MIT */
/*
 * oauth_json - reads what an OAuth2 token service answers (JSON, RFC 8259)
 * into typed values: the token endpoint's tokens or error (RFC 6749 5.1,
 * 5.2) and the device authorization answer (RFC 8628 3.2).
 *
 * json-c does the JSON; this module is the strict part. The whole body
 * must be one JSON object (nothing after it, no NUL, nesting at most
 * OAUTH_JSON_DEPTH); a field of the wrong type, a token with a character
 * outside printable ASCII or a space, a token over OAUTH_TOKEN_MAX
 * octets, token_type other than Bearer, or a number out of range is an
 * error, never a guess. Unknown fields are ignored (services add their
 * own). Only saatja-oauth links it (json-c stays out of sendmail).
 */
#ifndef SAATJA_OAUTH_JSON_H
#define SAATJA_OAUTH_JSON_H

#include <stddef.h>

#include "buf.h"

#define OAUTH_JSON_DEPTH 8
#define OAUTH_TOKEN_MAX 16384

struct oauth_tokens {
	char *access_token;		/* set on success */
	char *refresh_token;		/* NULL when the service sent none */
	long expires_in;		/* seconds; 0 when not given */
	char *error;			/* set when the service refused */
	char *error_description;	/* printable, or NULL */
};

struct oauth_device {
	char *device_code;
	char *user_code;
	char *verification_uri;		/* https:// */
	long expires_in;		/* seconds */
	long interval;			/* seconds between polls (default 5) */
};

/* Parses a token endpoint's body into t (zeroed by the caller). Returns 0
 * with t->access_token or t->error set, or -1 with the reason in err (t
 * is then freed). */
int oauth_json_tokens(const char *body, size_t len, struct oauth_tokens *t,
    struct buf *err);
void oauth_tokens_free(struct oauth_tokens *t);

/* Parses a device authorization answer into d (zeroed by the caller); an
 * error answer is read into t like oauth_json_tokens does. Returns 0 with
 * d filled or t->error set, or -1 with the reason in err (both freed). */
int oauth_json_device(const char *body, size_t len, struct oauth_device *d,
    struct oauth_tokens *t, struct buf *err);
void oauth_device_free(struct oauth_device *d);

/* A Google service account's JSON key file (what the Cloud console's
 * "Add key, JSON" saves). */
struct oauth_key_file {
	char *client_email;	/* the service account: the JWT's iss */
	char *private_key;	/* PEM (PKCS #8) */
	char *private_key_id;	/* the JWT header's kid, or NULL */
	char *token_uri;	/* https://, or NULL */
};

/* Parses a key file into k (zeroed by the caller). Returns 0, or -1 with
 * the reason in err when it is not a service account key ("type":
 * "service_account" with client_email and private_key); k is then freed. */
int oauth_json_key_file(const char *body, size_t len, struct oauth_key_file *k,
    struct buf *err);
void oauth_key_file_free(struct oauth_key_file *k);

#endif
