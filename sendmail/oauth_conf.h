/*
 * oauth_conf - an account's OAuth2 settings (the oauth* keys of
 * saatja.ini, SPEC 3.1): the token service, the application the user
 * registered, and where the tokens are kept.
 *
 * config.c reads the keys through oauth_conf_set and, once the section
 * is read, oauth_conf_finish fills what a preset (microsoft, google)
 * gives and says what is still missing. Messages name no file or
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
	char *token_url;	/* https */
	char *scope;
	char *token_file;	/* absolute; NULL: beside the queue (token.h) */
	char *access;		/* this run's access token (memory only), or NULL */
	long long expires;	/* when access expires (seconds since the epoch) */
};

/* Non-zero when key (lower case) is one of the oauth keys. */
int oauth_conf_is_key(const char *key);
/* Sets key to v. Returns 0, or -1 with the reason in why. */
int oauth_conf_set(struct oauth_conf *o, const char *key, const char *v,
    struct buf *why);
/* Turns the store on with preset (the outlook provider does this). */
void oauth_conf_use_preset(struct oauth_conf *o, const char *preset);
/* Fills the preset's URLs and scope. Returns 0, or -1 with the reason in
 * why and the key to add in *key. */
int oauth_conf_finish(struct oauth_conf *o, struct buf *why, const char **key);
void oauth_conf_free(struct oauth_conf *o);

#endif
