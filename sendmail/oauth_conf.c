/* SPDX-License-Identifier: MIT */
/*
 * oauth_conf - an account's OAuth2 settings; see oauth_conf.h.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "oauth_conf.h"

#define MS_BASE "https://login.microsoftonline.com/"
#define MS_SCOPE "https://outlook.office.com/SMTP.Send offline_access"
#define GOOGLE_AUTH "https://accounts.google.com/o/oauth2/v2/auth"
#define GOOGLE_TOKEN "https://oauth2.googleapis.com/token"
#define GOOGLE_SCOPE "https://mail.google.com/"

static const char *const keys[] = {
	"oauth", "oauth_client_id", "oauth_client_secret", "oauth_tenant",
	"oauth_device_url", "oauth_auth_url", "oauth_token_url", "oauth_scope",
	"oauth_token_file", NULL
};

int
oauth_conf_mech(const char *mech)
{
	return strcmp(mech, "XOAUTH2") == 0 || strcmp(mech, "OAUTHBEARER") == 0;
}

static char **
slot(struct oauth_conf *o, const char *key)
{
	char **slots[] = {
		&o->preset, &o->client_id, &o->client_secret, &o->tenant,
		&o->device_url, &o->auth_url, &o->token_url, &o->scope,
		&o->token_file
	};

	for (size_t i = 0; keys[i]; i++)
		if (strcmp(keys[i], key) == 0)
			return slots[i];
	return NULL;
}

static void
set(char **p, const char *v)
{
	xfree_secret(*p);
	*p = xstrdup(v);
}

int
oauth_conf_set(struct oauth_conf *o, const char *key, const char *v,
    struct buf *why)
{
	char **p = slot(o, key);

	if (p == NULL)
		return -1;
	if (*v == '\0') {
		buf_adds(why, _("the value is empty"));
		return -1;
	}
	if (strcmp(key, "oauth") == 0 && strcasecmp(v, "microsoft") != 0 &&
	    strcasecmp(v, "google") != 0) {
		buf_printf(why, _("\"%s\" is not a token service preset (microsoft, google); for another service give oauth_token_url and oauth_device_url or oauth_auth_url"), v);
		return -1;
	}
	if (strstr(key, "_url") != NULL && strncmp(v, "https://", 8) != 0) {
		buf_printf(why, _("\"%s\" is not an https:// address; tokens go only over HTTPS"), v);
		return -1;
	}
	if (strcmp(key, "oauth_token_file") == 0 && *v != '/') {
		buf_printf(why, _("\"%s\" is not an absolute path"), v);
		return -1;
	}
	if (strcmp(key, "oauth_tenant") == 0 && strspn(v,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != strlen(v)) {
		buf_printf(why, _("\"%s\" is not a tenant (consumers, organizations, common, a tenant ID or domain)"), v);
		return -1;
	}
	set(p, v);
	if (p == &o->preset)
		for (char *c = o->preset; *c; c++)
			*c = (char)(*c | 0x20);
	o->store = 1;
	return 0;
}


static void
fill(char **p, const char *v)
{
	if (*p == NULL)
		*p = xstrdup(v);
}

static void
fill_ms(char **p, const char *tenant, const char *what)
{
	struct buf b = BUF_INIT;

	if (*p != NULL)
		return;
	buf_printf(&b, MS_BASE "%s/oauth2/v2.0/%s", tenant, what);
	*p = buf_take(&b);
}

int
oauth_conf_finish(struct oauth_conf *o, const char **key, const char **why)
{
	*key = NULL;
	if (!o->store)
		return 0;
	if (o->preset && strcmp(o->preset, "microsoft") == 0) {
		fill(&o->tenant, "common");
		fill_ms(&o->device_url, o->tenant, "devicecode");
		fill_ms(&o->auth_url, o->tenant, "authorize");
		fill_ms(&o->token_url, o->tenant, "token");
		fill(&o->scope, MS_SCOPE);
	} else if (o->preset && strcmp(o->preset, "google") == 0) {
		/* Google's device flow does not allow the mail scope. */
		fill(&o->auth_url, GOOGLE_AUTH);
		fill(&o->token_url, GOOGLE_TOKEN);
		fill(&o->scope, GOOGLE_SCOPE);
	}
	if (o->client_id == NULL) {
		*key = "oauth_client_id";
		*why = _("an OAuth2 account needs the ID of the application you registered (Entra ID or Google Cloud; see saatja.ini(5), OAUTH2)");
	} else if (o->token_url == NULL) {
		*key = "oauth_token_url";
		*why = _("no token service: give oauth = microsoft or google, or oauth_token_url");
	} else if (o->device_url == NULL && o->auth_url == NULL) {
		*key = "oauth_device_url";
		*why = _("no way to sign in: give oauth_device_url or oauth_auth_url");
	}
	return *key ? -1 : 0;
}

void
oauth_conf_free(struct oauth_conf *o)
{
	free(o->preset);
	free(o->client_id);
	xfree_secret(o->client_secret);
	free(o->tenant);
	free(o->device_url);
	free(o->auth_url);
	free(o->token_url);
	free(o->scope);
	free(o->token_file);
	memset(o, 0, sizeof *o);
}
