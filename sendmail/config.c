/* SPDX-License-Identifier: MIT */
/*
 * config - loading and checking saatja.ini; see config.h.
 *
 * ini.c does the ini syntax (iniparser, and the raw lines it would
 * misread); this file does the meaning. Every key of every section is
 * looked at once, through its section's key table, so a misspelt key is
 * an error, never ignored.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "address.h"
#include "config.h"
#include "confval.h"
#include "i18n.h"
#include "ini.h"
#include "secret_source.h"

struct loader {
	struct config *c;
	dictionary *d;
	struct buf *err;
	const char *sec, *key;	/* what is being read */
	struct account *a;	/* the account being read, or NULL */
	void *field;		/* the field the key being read fills */
	int port_set, tls_set, max_set;	/* keys the account gave */
};

static enum status
fail(struct loader *l, const char *section, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum status
fail(struct loader *l, const char *section, const char *key,
    const char *fmt, ...)
{
	va_list ap;

	buf_printf(l->err, "%s", l->c->path);
	if (section)
		buf_printf(l->err, ": [%s]", section);
	if (key)
		buf_printf(l->err, " %s", key);
	buf_adds(l->err, ": ");
	va_start(ap, fmt);
	buf_vprintf(l->err, fmt, ap);
	va_end(ap);
	return ST_CONFIG;
}

const char *
config_tls_name(enum tls_mode t)
{
	switch (t) {
	case TLS_STARTTLS:	return "starttls";
	case TLS_IMPLICIT:	return "tls";
	case TLS_NONE:		return "none";
	}
	return "?";
}

/* Splits a list on commas and white space. */
static void
split_list(const char *s, struct strlist *out)
{
	strlist_split(out, s, ", \t");
}

/* Parses an address list value into plain addresses. */
static enum status
parse_addresses(struct loader *l, const char *sec, const char *key,
    const char *value, struct strlist *out)
{
	struct addrlist al = ADDRLIST_INIT;
	struct buf why = BUF_INIT;
	enum status st = addr_parse_list(value, &al, &why);

	for (size_t i = 0; st == ST_OK && i < al.n; i++) {
		if (al.v[i].domain == NULL)
			st = fail(l, sec, key, _("\"%s\" is not a full e-mail address (name@domain)"),
			    al.v[i].addr);
		else
			strlist_add(out, al.v[i].addr);
	}
	if (st == ST_DATAERR)
		st = fail(l, sec, key, _("\"%s\" is not a list of e-mail addresses: %s"),
		    value, buf_str(&why));
	else if (st == ST_OK && al.n == 0)
		st = fail(l, sec, key, _("no address given"));
	addrlist_free(&al);
	buf_free(&why);
	return st;
}

/*
 * A key of a section and its parser. The table config_keys is the whole
 * list of the keys of [saatja] and of an account: it drives the parsing,
 * the "knows:" list of the unknown-key error, and the man page test
 * (tests/integration/test_man.py).
 */
enum section { SEC_SAATJA, SEC_ACCOUNT };

struct key {
	enum section section;
	const char *name;
	enum status (*parse)(struct loader *l, const char *v);
	size_t off;	/* of the field it fills, in struct config or
			 * account: l->field while parse runs */
};

/* fail() for the key being parsed. */
static enum status
bad(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static enum status
bad(struct loader *l, const char *fmt, ...)
{
	va_list ap;
	enum status st = fail(l, l->sec, l->key, "%s", "");

	va_start(ap, fmt);
	buf_vprintf(l->err, fmt, ap);
	va_end(ap);
	return st;
}

/* *slot := a copy of v; the old value is wiped, for it may be a
 * password. */
static enum status
set_string(char **slot, const char *v)
{
	xfree_secret(*slot);
	*slot = xstrdup(v);
	return ST_OK;
}

/* *out := the index of v among words; else the error "v is not w1, w2
 * or w3". */
static enum status
choose(struct loader *l, const char *const *words, const char *v, int *out)
{
	struct buf alts = BUF_INIT;
	enum status st = ST_OK;

	*out = word_index(words, v);
	if (*out >= 0)
		return ST_OK;
	for (size_t i = 0; words[i]; i++)
		/* TRANSLATORS: joins the last two of the values a setting
		 * may have, as in "reject or rewrite" */
		buf_list_add(&alts, words[i + 1] ? ", " : _(" or "), "%s", words[i]);
	st = bad(l, _("\"%s\" is not %s"), v, buf_str(&alts));
	buf_free(&alts);
	return st;
}

/* foreign_from, delivery and log_format: a word for each value of
 * their enum (or 0/1), in its order. */
static enum status
saatja_choice(struct loader *l, const char *v)
{
	static const char *const foreign[] = { "reject", "rewrite", NULL };
	static const char *const delivery[] = { "interactive", "background",
	    "queue", NULL };
	static const char *const format[] = { "text", "json", NULL };
	int is_foreign = strcmp(l->key, "foreign_from") == 0, i;
	int is_format = strcmp(l->key, "log_format") == 0;
	enum status st = choose(l, is_foreign ? foreign : is_format ? format : delivery, v, &i);

	if (st == ST_OK && is_format)
		l->c->log_json = i;
	else if (st == ST_OK && is_foreign)
		l->c->foreign_from = (enum foreign_from)i;
	else if (st == ST_OK)
		l->c->delivery = (enum delivery_mode)i;
	return st;
}

/* A string kept as given (default, password, password_command). */
static enum status
keep_string(struct loader *l, const char *v)
{
	return set_string(l->field, v);
}

static enum status
saatja_queue(struct loader *l, const char *v)
{
	if (v[0] != '/')
		return bad(l, _("\"%s\" is not an absolute directory path"), v);
	return set_string(&l->c->queue_dir, v);
}

static enum status
saatja_retry_for(struct loader *l, const char *v)
{
	l->c->retry_for = confval_duration(v);
	if (l->c->retry_for <= 0)
		return bad(l, _("\"%s\" is not a duration such as 5d, 12h or 90m"), v);
	return ST_OK;
}

static enum status
saatja_log(struct loader *l, const char *v)
{
	if (strcmp(v, "syslog") != 0 && strcmp(v, "stderr") != 0 && v[0] != '/')
		return bad(l, _("\"%s\" is not syslog, stderr or an absolute file path"), v);
	return set_string(&l->c->log, v);
}

static enum status
saatja_helo(struct loader *l, const char *v)
{
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return bad(l, _("\"%s\" is not a host name"), v);
	return set_string(&l->c->helo, v);
}

static enum status
saatja_local_domains(struct loader *l, const char *v)
{
	split_list(v, &l->c->local_domains);
	return ST_OK;
}


static enum status
account_provider(struct loader *l, const char *v)
{
	l->a->provider = provider_by_name(v);
	if (l->a->provider == NULL)
		return bad(l, _("unknown provider \"%s\"; known: %s (or set host, port and tls yourself)"),
		    v, provider_names());
	return ST_OK;
}

static enum status
account_host(struct loader *l, const char *v)
{
	if (*v == '\0' || strpbrk(v, " \t/@"))
		return bad(l, _("\"%s\" is not a server name"), v);
	return set_string(&l->a->host, v);
}

static enum status
account_tls(struct loader *l, const char *v)
{
	static const char *const words[] = { "starttls", "tls", "ssl", "none",
	    NULL };
	static const enum tls_mode values[] = { TLS_STARTTLS, TLS_IMPLICIT,
	    TLS_IMPLICIT, TLS_NONE };
	int i = word_index(words, v);

	if (i < 0)
		return bad(l, _("\"%s\" is not starttls (port 587), tls (port 465) or none"), v);
	l->a->tls = values[i];
	l->tls_set = 1;
	return ST_OK;
}

static enum status
account_auth(struct loader *l, const char *v)
{
	struct account *a = l->a;
	struct strlist mechs = STRLIST_INIT;
	enum status st = ST_OK;

	split_list(v, &mechs);
	for (size_t i = 0; i < a->nauth; i++)
		free(a->auth[i]);
	a->nauth = 0;
	for (size_t i = 0; i < mechs.n && st == ST_OK; i++) {
		static const char *const known[] = {
			"plain", "login", "xoauth2", "oauthbearer", NULL
		};

		if (word_index(known, mechs.v[i]) < 0)
			st = bad(l, _("\"%s\" is not a supported mechanism (plain, login, xoauth2, oauthbearer)"), mechs.v[i]);
		else if (a->nauth < AUTH_MAX) {
			char *m = xstrdup(mechs.v[i]);

			for (char *p = m; *p; p++)
				*p = (char)toupper((unsigned char)*p);
			a->auth[a->nauth++] = m;
		}
	}
	strlist_free(&mechs);
	if (st == ST_OK && a->nauth == 0)
		st = bad(l, _("no mechanism given (plain, login, xoauth2, oauthbearer)"));
	return st;
}

static enum status
account_ca_file(struct loader *l, const char *v)
{
	if (faccessat(AT_FDCWD, v, R_OK, AT_EACCESS) != 0)
		return bad(l, _("cannot read \"%s\": %s"), v, strerror(errno));
	return set_string(&l->a->ca_file, v);
}

static enum status
account_fingerprint(struct loader *l, const char *v)
{
	if (!confval_fingerprint(v, l->a->fingerprint))
		return bad(l, _("\"%s\" is not a SHA-256 fingerprint (sha256: followed by 32 hex byte pairs)"), v);
	l->a->has_fingerprint = 1;
	return ST_OK;
}

/* port, max_per_hour, max_rcpt and timeout: whole numbers in a range.
 * Every key that config_keys gives account_number is in this table. */
static const struct number_key {
	const char *key;
	long lo, hi;
	const char *what;	/* the error, after the value in quotes */
} number_keys[] = {
	{ "port", 1, 65535, N_("is not a port number (usually 587 with tls = starttls, or 465 with tls = tls)") },
	{ "max_per_hour", 0, 1000000, N_("is not a whole number of messages") },
	{ "max_rcpt", 0, 1000000, N_("is not a whole number of recipients") },
	{ "timeout", 1, 3600, N_("is not a number of seconds from 1 to 3600") },
};

static enum status
account_number(struct loader *l, const char *v)
{
	const struct number_key *k = number_keys;
	long n;

	while (strcmp(k->key, l->key) != 0)
		k++;
	if ((n = confval_number(v, k->lo, k->hi)) < 0)
		return bad(l, "\"%s\" %s", v, _(k->what));
	*(unsigned *)l->field = (unsigned)n;
	l->port_set |= strcmp(k->key, "port") == 0;
	l->max_set |= strcmp(k->key, "max_per_hour") == 0;
	return ST_OK;
}

static enum status
account_cc(struct loader *l, const char *v)
{
	return parse_addresses(l, l->sec, l->key, v, &l->a->cc);
}

static enum status
account_bcc(struct loader *l, const char *v)
{
	return parse_addresses(l, l->sec, l->key, v, &l->a->bcc);
}

/* Accepted for other sendmails' configs, as long as it says nothing new. */
static enum status
account_user(struct loader *l, const char *v)
{
	if (!addr_equal(v, l->a->address))
		return bad(l, _("the login \"%s\" differs from the account address; providers require the sender address to be the login name, so the section name is the login: rename the section to [%s] or remove this key"),
		    v, v);
	return ST_OK;
}

/* oauth, oauth_client_id, ...: the account's struct oauth_conf; proxy
 * and source_ip (l->field is then the route): its struct route. */
static enum status
account_oauth(struct loader *l, const char *v)
{
	struct buf why = BUF_INIT;
	enum status st = (l->field == &l->a->route ? route_set(l->field, l->key, v, &why) :
	    oauth_conf_set(&l->a->oauth, l->key, v, &why)) < 0 ? bad(l, "%s", buf_str(&why)) : ST_OK;

	buf_free(&why);
	return st;
}

static const struct key config_keys[] = {
	{ SEC_SAATJA, "default", keep_string, offsetof(struct config, default_account) },
	{ SEC_SAATJA, "foreign_from", saatja_choice, offsetof(struct config, foreign_from) },
	{ SEC_SAATJA, "delivery", saatja_choice, offsetof(struct config, delivery) },
	{ SEC_SAATJA, "queue", saatja_queue, offsetof(struct config, queue_dir) },
	{ SEC_SAATJA, "retry_for", saatja_retry_for, offsetof(struct config, retry_for) },
	{ SEC_SAATJA, "log", saatja_log, offsetof(struct config, log) },
	{ SEC_SAATJA, "log_format", saatja_choice, offsetof(struct config, log_json) },
	{ SEC_SAATJA, "helo", saatja_helo, offsetof(struct config, helo) },
	{ SEC_SAATJA, "local_domains", saatja_local_domains, offsetof(struct config, local_domains) },
	{ SEC_ACCOUNT, "provider", account_provider, offsetof(struct account, provider) },
	{ SEC_ACCOUNT, "host", account_host, offsetof(struct account, host) },
	{ SEC_ACCOUNT, "port", account_number, offsetof(struct account, port) },
	{ SEC_ACCOUNT, "tls", account_tls, offsetof(struct account, tls) },
	{ SEC_ACCOUNT, "password", keep_string, offsetof(struct account, password) },
	{ SEC_ACCOUNT, "password_command", keep_string, offsetof(struct account, password_command) },
	{ SEC_ACCOUNT, "password_file", keep_string, offsetof(struct account, password_file) },
	{ SEC_ACCOUNT, "auth", account_auth, offsetof(struct account, auth) },
	{ SEC_ACCOUNT, "ca_file", account_ca_file, offsetof(struct account, ca_file) },
	{ SEC_ACCOUNT, "fingerprint", account_fingerprint, offsetof(struct account, fingerprint) },
	{ SEC_ACCOUNT, "max_per_hour", account_number, offsetof(struct account, max_per_hour) },
	{ SEC_ACCOUNT, "max_rcpt", account_number, offsetof(struct account, max_rcpt) },
	{ SEC_ACCOUNT, "timeout", account_number, offsetof(struct account, timeout) },
	{ SEC_ACCOUNT, "cc", account_cc, offsetof(struct account, cc) },
	{ SEC_ACCOUNT, "bcc", account_bcc, offsetof(struct account, bcc) },
	{ SEC_ACCOUNT, "user", account_user, offsetof(struct account, address) },
	{ SEC_ACCOUNT, "oauth", account_oauth, offsetof(struct account, oauth) },
	{ SEC_ACCOUNT, "oauth_client_id", account_oauth, offsetof(struct account, oauth) },
	{ SEC_ACCOUNT, "oauth_client_secret", account_oauth, offsetof(struct account, oauth) },
	{ SEC_ACCOUNT, "oauth_tenant", account_oauth, offsetof(struct account, oauth) },
	{ SEC_ACCOUNT, "oauth_device_url", account_oauth, offsetof(struct account, oauth) },
	{ SEC_ACCOUNT, "oauth_auth_url", account_oauth, offsetof(struct account, oauth) },
	{ SEC_ACCOUNT, "oauth_token_url", account_oauth, offsetof(struct account, oauth) },
	{ SEC_ACCOUNT, "oauth_scope", account_oauth, offsetof(struct account, oauth) },
	{ SEC_ACCOUNT, "oauth_token_file", account_oauth, offsetof(struct account, oauth) },
	{ SEC_ACCOUNT, "oauth_grant", account_oauth, offsetof(struct account, oauth) },
	{ SEC_ACCOUNT, "oauth_client_secret_file", account_oauth, offsetof(struct account, oauth) },
	{ SEC_ACCOUNT, "oauth_client_secret_command", account_oauth, offsetof(struct account, oauth) },
	{ SEC_ACCOUNT, "oauth_client_certificate", account_oauth, offsetof(struct account, oauth) },
	{ SEC_ACCOUNT, "oauth_client_key", account_oauth, offsetof(struct account, oauth) },
	{ SEC_ACCOUNT, "oauth_key_file", account_oauth, offsetof(struct account, oauth) },
	{ SEC_ACCOUNT, "proxy", account_oauth, offsetof(struct account, route) },
	{ SEC_ACCOUNT, "source_ip", account_oauth, offsetof(struct account, route) },
};

/* Parses key = v of section l->sec through its table entry. */
static enum status
parse_key(struct loader *l, enum section sec, const char *what,
    const char *key, const char *v)
{
	const size_t n = sizeof config_keys / sizeof config_keys[0];
	char *base = sec == SEC_ACCOUNT ? (char *)l->a : (char *)l->c;
	struct buf names = BUF_INIT;
	enum status st;

	l->key = key;
	for (const struct key *k = config_keys; k < config_keys + n; k++) {
		if (k->section != sec || strcmp(k->name, key) != 0)
			continue;
		l->field = base + k->off;
		return k->parse(l, v);
	}
	for (const struct key *k = config_keys; k < config_keys + n; k++)
		if (k->section == sec)
			buf_list_add(&names, ", ", "%s", k->name);
	/* TRANSLATORS: the first %s is "the [saatja] section" or "an
	 * account"; the second the list of its keys */
	st = bad(l, _("unknown setting; %s knows: %s"), what, buf_str(&names));
	buf_free(&names);
	return st;
}

static enum status
load_alias(struct loader *l, const char *name, const char *v)
{
	struct config *c = l->c;
	struct strlist targets = STRLIST_INIT;
	enum status st;

	if (strchr(name, '@'))
		return fail(l, "aliases", name, _("an alias is a local name (such as root), not an address"));
	st = parse_addresses(l, "aliases", name, v, &targets);
	strlist_free(&targets);
	if (st != ST_OK)
		return st;
	c->aliases = xgrow(c->aliases, &c->alias_cap, c->naliases + 1,
	    sizeof *c->aliases);
	c->aliases[c->naliases].name = xstrdup(name);
	c->aliases[c->naliases].target = xstrdup(v);
	c->naliases++;
	return ST_OK;
}

static enum status
load_saatja_key(struct loader *l, const char *key, const char *v)
{
	return parse_key(l, SEC_SAATJA, _("the [saatja] section"), key, v);
}

static enum status
load_account_key(struct loader *l, const char *key, const char *v)
{
	return parse_key(l, SEC_ACCOUNT, _("an account"), key, v);
}

/*
 * Google shows app passwords as four groups of four letters, and people
 * paste them with the spaces, which are not part of the password:
 * removes them from p when p has exactly that shape, else leaves it.
 */
static void
password_unspace(char *p)
{
	size_t n = strlen(p);

	if (n != 19)
		return;
	for (size_t i = 0; i < n; i++) {
		if (i % 5 == 4 ? p[i] != ' ' : !islower((unsigned char)p[i]))
			return;
	}
	for (size_t i = 0, j = 0; i <= n; i++)
		if (p[i] != ' ')
			p[j++] = p[i];
}

/*
 * Settles how account a logs in, once its section is read: auth =
 * decides; without it an OAuth2 account (the oauth keys, or the outlook
 * preset without a password) uses XOAUTH2, every other one PLAIN then
 * LOGIN. A password (or an access token, msmtp style) is needed by
 * PLAIN and LOGIN, and by the token mechanisms of an account without a
 * token store. Returns 0, or -1 with the key to fix in *key (NULL: the
 * section) and the reason, translated, in *why.
 */
static int
settle_login(struct account *a, const char **key, const char **why)
{
	struct oauth_conf *o = &a->oauth;
	int needs_password = 0;

	if (a->provider && strcmp(a->provider->name, "outlook") == 0 && !o->store &&
	    !secret_source_given(a)) {
		free(o->preset);
		o->preset = xstrdup("microsoft");
		o->store = 1;
	}
	/* The outlook and gmail presets name their token service too. */
	if (a->provider && o->preset == NULL && o->token_url == NULL && oauth_conf_app(o) &&
	    (strcmp(a->provider->name, "outlook") == 0 || strcmp(a->provider->name, "gmail") == 0))
		o->preset = xstrdup(strcmp(a->provider->name, "outlook") == 0 ? "microsoft" : "google");
	if (a->nauth == 0 && o->store) {
		a->auth[a->nauth++] = xstrdup("XOAUTH2");
	} else if (a->nauth == 0) {
		a->auth[a->nauth++] = xstrdup("PLAIN");
		a->auth[a->nauth++] = xstrdup("LOGIN");
	}
	for (size_t i = 0; i < a->nauth; i++)
		if (!oauth_conf_mech(a->auth[i]) || !o->store)
			needs_password = 1;
	if (oauth_conf_finish(o, key, why) < 0)
		return -1;
	return secret_source_check(a, needs_password, key, why);
}

/* Fills what the account left out, from its preset or the defaults. */
static enum status
finish_account(struct loader *l, struct account *a)
{
	const char *sec = a->address, *key, *why;
	const struct provider *p = a->provider;
	int port_set = l->port_set, tls_set = l->tls_set;

	if (p == NULL && a->host == NULL) {
		const char *at = strrchr(a->address, '@');

		p = a->provider = provider_by_domain(at + 1);
	}
	if (a->host == NULL) {
		if (p == NULL)
			return fail(l, sec, NULL, _("no server: add host = (your provider's SMTP server) or provider = one of %s"),
			    provider_names());
		a->host = xstrdup(p->host);
	}
	if (!tls_set)
		a->tls = p && !port_set ? p->tls :
		    (port_set && a->port == 465 ? TLS_IMPLICIT : TLS_STARTTLS);
	if (!port_set)
		a->port = p && (tls_set ? a->tls == p->tls : 1) ? p->port :
		    (a->tls == TLS_IMPLICIT ? 465 : 587);
	if (!l->max_set && p)
		a->max_per_hour = p->max_per_hour;
	if (a->tls == TLS_NONE && !confval_loopback_host(a->host))
		return fail(l, sec, "tls", _("tls = none sends the password unencrypted and is allowed only toward this machine (localhost, 127.0.0.1, ::1); use starttls (port 587) or tls (port 465)"));
	if (settle_login(a, &key, &why) < 0)
		return fail(l, sec, key, "%s", why);
	if (a->password && p && p->app_password)
		password_unspace(a->password);
	return ST_OK;
}

/*
 * A value with a control character in it (a CR left by an editor, say) is
 * refused whatever its key: a host, helo or address could carry it into
 * an SMTP command or a header. TAB too: no setting needs one. The value
 * is not repeated, for it may be a password.
 */
static enum status
check_value(struct loader *l, const char *sec, const char *key, const char *v)
{
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return fail(l, sec, key, _("the value holds a control character (0x%02x), such as a stray carriage return; retype it as plain text on one line"),
			    (unsigned char)*p);
	return ST_OK;
}

/* Reads a section of plain key = value settings through fn. */
static enum status
load_plain(struct loader *l, const char *sec,
    enum status (*fn)(struct loader *, const char *, const char *))
{
	int nkeys = iniparser_getsecnkeys(l->d, sec);
	const char **keys = xcalloc((size_t)(nkeys > 0 ? nkeys : 1), sizeof *keys);
	enum status st = ST_OK;

	l->sec = sec;
	iniparser_getseckeys(l->d, sec, keys);
	for (int i = 0; i < nkeys && st == ST_OK; i++) {
		const char *key = strchr(keys[i], ':') + 1;
		const char *v = iniparser_getstring(l->d, keys[i], "");

		st = check_value(l, sec, key, v);
		if (st == ST_OK)
			st = fn(l, key, v);
	}
	free(keys);
	return st;
}

static enum status
load_account(struct loader *l, const char *sec)
{
	struct config *c = l->c;
	struct account *a;
	struct mailbox mb = { NULL, NULL, NULL, NULL };	/* freed on failure */
	struct buf why = BUF_INIT;
	enum status st;

	if (addr_parse_one(sec, &mb, &why) != ST_OK || mb.domain == NULL ||
	    mb.display != NULL) {
		if (why.len == 0)
			buf_adds(&why, _("it has no @domain"));
		buf_free(&why);
		if (mb.addr)
			addr_free(&mb);
		return fail(l, sec, NULL, _("a section is [saatja], [aliases] or an account named by its e-mail address (such as [arved@firma.ee]); this name is none of those"));
	}
	buf_free(&why);
	if (config_account(c, mb.addr)) {
		addr_free(&mb);
		return ST_OK;	/* iniparser merged duplicates already */
	}
	c->accounts = xgrow(c->accounts, &c->account_cap, c->naccounts + 1,
	    sizeof *c->accounts);
	a = &c->accounts[c->naccounts++];
	memset(a, 0, sizeof *a);
	a->address = xstrdup(mb.addr);
	a->timeout = 60;
	addr_free(&mb);
	l->a = a;
	l->port_set = l->tls_set = l->max_set = 0;
	st = load_plain(l, sec, load_account_key);
	if (st == ST_OK)
		st = finish_account(l, a);
	l->a = NULL;
	return st;
}


enum status
config_load(struct config *c, const char *path, struct buf *err)
{
	struct loader l = { c, NULL, err, NULL, NULL, NULL, NULL, 0, 0, 0 };
	enum status st;
	int nsec;

	memset(c, 0, sizeof *c);
	c->path = xstrdup(path);
	c->retry_for = 5 * 86400;
	c->log = xstrdup("syslog");
	st = ini_load(path, &l.d, err);
	if (st != ST_OK)
		return st;
	nsec = iniparser_getnsec(l.d);
	for (int i = 0; i < nsec && st == ST_OK; i++) {
		const char *sec = iniparser_getsecname(l.d, i);

		if (strcmp(sec, "saatja") == 0)
			st = load_plain(&l, sec, load_saatja_key);
		else if (strcmp(sec, "aliases") == 0)
			st = load_plain(&l, sec, load_alias);
		else
			st = load_account(&l, sec);
	}
	if (st == ST_OK && c->naccounts == 0)
		st = fail(&l, NULL, NULL, _("no account; add a section named by your e-mail address, such as [arved@firma.ee], with provider = and password ="));
	if (st == ST_OK && c->default_account &&
	    config_account(c, c->default_account) == NULL)
		st = fail(&l, "saatja", "default", _("\"%s\" is not one of the accounts in this file"),
		    c->default_account);
	iniparser_freedict(l.d);
	return st;
}

static void
account_free(struct account *a)
{
	free(a->address);
	free(a->host);
	xfree_secret(a->password);
	free(a->password_command);
	free(a->password_file);
	for (size_t i = 0; i < a->nauth; i++)
		free(a->auth[i]);
	free(a->ca_file);
	strlist_free(&a->cc);
	strlist_free(&a->bcc);
	oauth_conf_free(&a->oauth);
	route_free(&a->route);
}

void
config_free(struct config *c)
{
	for (size_t i = 0; i < c->naccounts; i++)
		account_free(&c->accounts[i]);
	free(c->accounts);
	for (size_t i = 0; i < c->naliases; i++) {
		free(c->aliases[i].name);
		free(c->aliases[i].target);
	}
	free(c->aliases);
	free(c->path);
	free(c->default_account);
	free(c->queue_dir);
	free(c->log);
	free(c->helo);
	strlist_free(&c->local_domains);
	memset(c, 0, sizeof *c);
}

struct account *
config_account(const struct config *c, const char *address)
{
	for (size_t i = 0; i < c->naccounts; i++)
		if (addr_equal(c->accounts[i].address, address))
			return &c->accounts[i];
	return NULL;
}

struct account *
config_default(const struct config *c)
{
	if (c->default_account)
		return config_account(c, c->default_account);
	if (c->naccounts == 1)
		return &c->accounts[0];
	return NULL;
}

const char *
config_alias(const struct config *c, const char *name)
{
	const char *any = NULL;

	for (size_t i = 0; i < c->naliases; i++) {
		if (strcasecmp(c->aliases[i].name, name) == 0)
			return c->aliases[i].target;
		if (strcmp(c->aliases[i].name, "*") == 0)
			any = c->aliases[i].target;
	}
	return any;
}
