/* SPDX-License-Identifier: MIT */
/*
 * oauth_conf - an account's OAuth2 settings; see oauth_conf.h.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "i18n.h"
#include "oauth_conf.h"
#include "secret_source.h"

#define MS_BASE "https://login.microsoftonline.com/"
#define MS_SCOPE "https://outlook.office.com/SMTP.Send offline_access"
#define GOOGLE_AUTH "https://accounts.google.com/o/oauth2/v2/auth"
#define GOOGLE_TOKEN "https://oauth2.googleapis.com/token"
#define GOOGLE_SCOPE "https://mail.google.com/"
/* Exchange Online's application permissions, client credentials. */
#define MS_APP_SCOPE "https://outlook.office365.com/.default"

static const char *const keys[] = {
	"oauth", "oauth_client_id", "oauth_client_secret", "oauth_tenant",
	"oauth_device_url", "oauth_auth_url", "oauth_token_url", "oauth_scope",
	"oauth_token_file", "oauth_grant", "oauth_client_secret_file",
	"oauth_client_certificate", "oauth_client_key", "oauth_key_file",
	"oauth_client_secret_command", NULL
};

static const char *const grants[] = {
	"device", "browser", "client_credentials", "service_account", NULL
};

int
oauth_conf_app(const struct oauth_conf *o)
{
	return o->grant != NULL && (strcmp(o->grant, "client_credentials") == 0 ||
	    strcmp(o->grant, "service_account") == 0);
}

static int
grant_is(const struct oauth_conf *o, const char *g)
{
	return o->grant != NULL && strcmp(o->grant, g) == 0;
}

/* The keys that name a file. */
static int
file_key(const char *key)
{
	return strcmp(key, "oauth_token_file") == 0 ||
	    strcmp(key, "oauth_client_secret_file") == 0 ||
	    strcmp(key, "oauth_client_certificate") == 0 ||
	    strcmp(key, "oauth_client_key") == 0 ||
	    strcmp(key, "oauth_key_file") == 0;
}

const char *
oauth_conf_token_service(const struct oauth_conf *o)
{
	return o->token_url ? o->token_url : _("the token_uri of oauth_key_file");
}

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
		&o->token_file, &o->grant, &o->client_secret_file,
		&o->certificate, &o->private_key, &o->key_file,
		&o->client_secret_command
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
	if (strcmp(key, "oauth_grant") == 0) {
		size_t i;

		for (i = 0; grants[i] && strcasecmp(grants[i], v) != 0; i++)
			;
		if (grants[i] == NULL) {
			buf_printf(why, _("\"%s\" is not a grant (device, browser, client_credentials, service_account)"), v);
			return -1;
		}
		v = grants[i];
	}
	if (strcmp(key, "oauth_client_secret_file") == 0 && !secret_source_file_ok(v)) {
		buf_printf(why, _("\"%s\" is neither an absolute path nor the name of a systemd credential (a name without a slash, read from $CREDENTIALS_DIRECTORY)"), v);
		return -1;
	}
	if (file_key(key) && *v != '/' && strcmp(key, "oauth_client_secret_file") != 0) {
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

/*
 * A file that holds a secret (a client secret, a private key) is refused
 * when every user of the machine can read it, the rule the config file
 * has; one that is not there yet is named now rather than at the first
 * message. Returns 0, or -1 with *why set.
 */
static int
private_file(const char *path, int secret, const char **why)
{
	static struct buf msg = BUF_INIT;	/* *why outlives this call */
	struct stat sb;

	if (path == NULL || path[0] != '/')	/* a credential: read later */
		return 0;
	buf_reset(&msg);
	if (stat(path, &sb) != 0)
		buf_printf(&msg, _("%s does not exist or cannot be reached; give the path of the file you saved"),
		    path);
	else if (secret && (sb.st_mode & S_IROTH))
		buf_printf(&msg, _("every user of this machine can read %s, and it holds a secret; run: chmod 600 %s (chmod 640 with the group of sendmail for the system config)"),
		    path, path);
	*why = msg.len ? buf_str(&msg) : NULL;
	return msg.len ? -1 : 0;
}

static int
files_ok(struct oauth_conf *o, const char **key, const char **why)
{
	if (private_file(o->client_secret_file, 1, why) < 0)
		*key = "oauth_client_secret_file";
	else if (private_file(o->certificate, 0, why) < 0)
		*key = "oauth_client_certificate";
	else if (private_file(o->private_key, 1, why) < 0)
		*key = "oauth_client_key";
	else if (private_file(o->key_file, 1, why) < 0)
		*key = "oauth_key_file";
	return *key ? -1 : 0;
}

/* client_credentials (Microsoft's application sign-in): a tenant of its
 * own, and a secret or a certificate. */
static int
finish_client_credentials(struct oauth_conf *o, const char **key, const char **why)
{
	int ms = o->preset && strcmp(o->preset, "microsoft") == 0;

	if (ms && o->tenant == NULL && o->token_url == NULL) {
		*key = "oauth_tenant";
		*why = _("client credentials need the tenant of the application: give its Directory (tenant) ID or the domain (firma.onmicrosoft.com) from the Entra admin center");
	} else if (ms && o->tenant && (strcasecmp(o->tenant, "common") == 0 ||
	    strcasecmp(o->tenant, "organizations") == 0 || strcasecmp(o->tenant, "consumers") == 0)) {
		*key = "oauth_tenant";
		*why = _("common, organizations and consumers name no tenant, and an application gets its token only from the tenant it is registered in: give the Directory (tenant) ID or the domain (firma.onmicrosoft.com)");
	} else if (o->client_id == NULL) {
		*key = "oauth_client_id";
		*why = _("client credentials need the Application (client) ID of the application registered in Entra ID");
	} else if ((o->certificate == NULL) != (o->private_key == NULL)) {
		*key = o->certificate ? "oauth_client_key" : "oauth_client_certificate";
		*why = _("a certificate sign-in needs both oauth_client_certificate and oauth_client_key");
	} else if (!!o->client_secret + !!o->client_secret_file + !!o->client_secret_command +
	    !!o->certificate == 0) {
		*key = "oauth_client_secret";
		*why = _("client credentials need the application's secret (oauth_client_secret, oauth_client_secret_file or oauth_client_secret_command) or its certificate (oauth_client_certificate and oauth_client_key)");
	} else if (!!o->client_secret + !!o->client_secret_file + !!o->client_secret_command +
	    !!o->certificate > 1) {
		*key = "oauth_client_secret_file";
		*why = _("give one of oauth_client_secret, oauth_client_secret_file, oauth_client_secret_command and oauth_client_certificate");
	}
	if (*key)
		return -1;
	if (ms) {
		fill_ms(&o->token_url, o->tenant, "token");
		fill(&o->scope, MS_APP_SCOPE);
	}
	if (o->token_url == NULL) {
		*key = "oauth_token_url";
		*why = _("no token service: give oauth = microsoft and oauth_tenant, or oauth_token_url");
		return -1;
	}
	fill(&o->scope, MS_APP_SCOPE);
	return files_ok(o, key, why);
}

/* service_account (Google's domain-wide delegation): the key file. */
static int
finish_service_account(struct oauth_conf *o, const char **key, const char **why)
{
	if (o->key_file == NULL) {
		*key = "oauth_key_file";
		*why = _("a service account needs its JSON key file (Google Cloud console, IAM, Service accounts, Keys, Add key, JSON)");
		return -1;
	}
	/* Without oauth_token_url, the helper posts to the token_uri that
	 * the key file names (Google's, unless it says otherwise). */
	fill(&o->scope, GOOGLE_SCOPE);
	return files_ok(o, key, why);
}

int
oauth_conf_finish(struct oauth_conf *o, const char **key, const char **why)
{
	*key = NULL;
	if (!o->store)
		return 0;
	if (grant_is(o, "client_credentials"))
		return finish_client_credentials(o, key, why);
	if (grant_is(o, "service_account"))
		return finish_service_account(o, key, why);
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
	} else if (grant_is(o, "device") && o->device_url == NULL) {
		*key = "oauth_device_url";
		*why = _("the device grant needs oauth_device_url (Google has no device sign-in for mail: use the browser grant)");
	} else if (grant_is(o, "browser") && o->auth_url == NULL) {
		*key = "oauth_auth_url";
		*why = _("the browser grant needs oauth_auth_url");
	} else if (o->certificate || o->private_key || o->key_file || o->client_secret_file ||
	    o->client_secret_command) {
		*key = o->key_file ? "oauth_key_file" : o->client_secret_file ?
		    "oauth_client_secret_file" : o->client_secret_command ? "oauth_client_secret_command" :
		    o->certificate ? "oauth_client_certificate" : "oauth_client_key";
		*why = _("this key is for an application that signs in by itself: add oauth_grant = client_credentials (Microsoft) or service_account (Google)");
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
	free(o->grant);
	free(o->client_secret_file);
	free(o->client_secret_command);
	free(o->certificate);
	free(o->private_key);
	free(o->key_file);
	memset(o, 0, sizeof *o);
}
