/* SPDX-License-Identifier: MIT */
/*
 * oauth_jwt - what an application signs to get a token with nobody
 * signing in: a JSON Web Token (RFC 7519) signed RS256 (RFC 7515) with
 * its private key, as a client assertion (RFC 7523 2.2, Microsoft's
 * certificate credentials) or as an authorization grant (RFC 7523 2.1,
 * Google's service accounts); and the files it is made from.
 *
 * GnuTLS does the signing and reads the PEM; only saatja-oauth links
 * this. A file that holds a secret is refused when every user of the
 * machine may read it (the rule saatja.ini has), checked on the open
 * file, so that it cannot be swapped between the check and the read.
 */
#ifndef SAATJA_OAUTH_JWT_H
#define SAATJA_OAUTH_JWT_H

#include <json.h>
#include <stddef.h>

#include "buf.h"

#define OAUTH_JWT_FILE_MAX 65536

/* Why a file could not be used: the helper's answer names it. */
enum oauth_jwt_file {
	OAUTH_JWT_FILE_OK,
	OAUTH_JWT_FILE_UNREADABLE,	/* cannot open or read; errno text in err */
	OAUTH_JWT_FILE_PUBLIC,		/* secret, and others may read it */
	OAUTH_JWT_FILE_INVALID,		/* not what it should hold; why in err */
};

/* Appends the base64url form (RFC 4648 5, no padding) of p to out. */
void oauth_base64url(struct buf *out, const unsigned char *p, size_t n);

/* Reads path into out (wiped and freed by the caller); secret: refuse it
 * when others may read it. */
enum oauth_jwt_file oauth_jwt_read(const char *path, int secret, struct buf *out,
    struct buf *err);

/* The certificate's SHA-1 and SHA-256 thumbprints, base64url (the JWS
 * header's x5t and x5t#S256, RFC 7515 4.1.7-8, which Entra ID looks the
 * certificate up by), into x5t and x5t256; and when it expires into
 * *expires. */
enum oauth_jwt_file oauth_jwt_cert(const struct buf *pem, struct buf *x5t,
    struct buf *x5t256, long long *expires, struct buf *err);

/* Appends header.claims.signature (each base64url) to out: the two JSON
 * texts signed RS256 with the PEM RSA key in key_pem. */
enum oauth_jwt_file oauth_jwt_sign(const char *header, const char *claims,
    const char *key_pem, size_t key_len, struct buf *out, struct buf *err);

/* A JWS header for RS256; with name and value (x5t, kid) when value is
 * not NULL. */
json_object *oauth_jwt_header(const char *name, const char *value);
/* Claims with aud, iat, exp = now + lifetime, and nbf when nbf is set. */
json_object *oauth_jwt_claims(const char *aud, long lifetime, int nbf);
/* Adds the string claim name = v to o. */
void oauth_jwt_set(json_object *o, const char *name, const char *v);
/* oauth_jwt_sign of the two objects, as compact JSON. */
enum oauth_jwt_file oauth_jwt_sign_json(json_object *head, json_object *claims,
    const struct buf *pem, struct buf *out, struct buf *err);

#endif
