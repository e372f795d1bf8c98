/* SPDX-License-Identifier: MIT */
/*
 * oauth_conf - an account's OAuth2 settings (the oauth* keys of
 * saatja.ini, its OAUTH2 section): the token service, the application the
 * user registered, and where the tokens are kept.
 *
 * config.c reads the keys through oauth_conf_set and, once the section
 * is read, decides the mechanisms and calls oauth_conf_finish, which
 * fills what a preset (microsoft, google) gives and says what is still
 * missing. Messages name no file or
 * section: config.c adds them.
 */
#ifndef SAATJA_OAUTH_CONF_H
#define SAATJA_OAUTH_CONF_H

#include "buf.h"

struct oauth_conf {
	int store;		/* tokens come from saatja's token store: the
				 * account has oauth or an oauth_* key */
	char *preset;		/* "microsoft", "google", or NULL */
	char *client_id;
	char *client_secret;	/* secret; NULL for a public client */
	char *tenant;		/* Microsoft: consumers, organizations, common, an ID */
	char *device_url;	/* https; device flow (RFC 8628) when set */
	char *auth_url;		/* https; browser flow otherwise */
	char *token_url;	/* https; NULL for a service account whose
				 * key file names it */
	char *scope;
	char *token_file;	/* absolute; NULL: beside the queue (token.h) */
	char *grant;		/* "device", "browser", "client_credentials",
				 * "service_account", or NULL: by the URLs */
	char *client_secret_file;	/* absolute; its first line is the secret */
	char *client_secret_command;	/* prints the secret, as password_command */
	char *certificate;	/* absolute; PEM, the application's certificate */
	char *private_key;	/* absolute; PEM, its private key */
	char *key_file;		/* absolute; Google's service account JSON key */
};

/* Non-zero when o fetches its tokens as an application, with nobody
 * signing in (client_credentials, service_account): no refresh token. */
int oauth_conf_app(const struct oauth_conf *o);
/* The token service, to name it to the user: token_url, or for a service
 * account without one, the token_uri of its key file. */
const char *oauth_conf_token_service(const struct oauth_conf *o);
/* Non-zero when mech (upper case) logs in with an OAuth2 bearer token. */
int oauth_conf_mech(const char *mech);
/* Sets key to v. Returns 0, or -1 with the reason in why. */
int oauth_conf_set(struct oauth_conf *o, const char *key, const char *v,
    struct buf *why);
/*
 * Once the section is read: fills what the token service preset
 * (microsoft, google) gives, and says what is still missing. Returns 0,
 * or -1 with the key to fix in *key and the reason, translated, in *why.
 * Nothing to do when the account has no token store.
 */
int oauth_conf_finish(struct oauth_conf *o, const char **key, const char **why);
void oauth_conf_free(struct oauth_conf *o);

#endif
