/*
 * config - loading and checking saatja.ini; see config.h.
 *
 * iniparser does the ini syntax; this file does the meaning. Before
 * iniparser reads the file, one scan of the raw lines catches what
 * iniparser would silently get wrong for a mail program: an unquoted
 * password holding ';' or '#' (iniparser cuts the value there, as a
 * comment). After it, every key of every section is looked at once, so a
 * misspelt key is an error, never ignored.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iniparser.h>

#include "address.h"
#include "config.h"
#include "i18n.h"

/* iniparser reports syntax errors through a printf-like callback. */
static struct buf *ini_errors;

static int
collect_ini_error(const char *fmt, ...)
{
	va_list ap;

	if (ini_errors == NULL)
		return 0;
	va_start(ap, fmt);
	buf_vprintf(ini_errors, fmt, ap);
	va_end(ap);
	return 0;
}

struct loader {
	struct config *c;
	dictionary *d;
	struct buf *err;
	const char *sec, *key;	/* what is being read */
	struct account *a;	/* the account being read, or NULL */
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

long
config_parse_duration(const char *s)
{
	long total = 0;

	if (*s == '\0')
		return -1;
	while (*s) {
		char *end;
		long n, unit = 1;

		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno)
			return -1;
		switch (*end) {
		case 's': unit = 1; end++; break;
		case 'm': unit = 60; end++; break;
		case 'h': unit = 3600; end++; break;
		case 'd': unit = 86400; end++; break;
		case 'w': unit = 7 * 86400; end++; break;
		case '\0': break;
		default: return -1;
		}
		if (n > (LONG_MAX - total) / unit)
			return -1;
		total += n * unit;
		s = end;
	}
	return total;
}

/* Unsigned number in [lo, hi], else -1. */
static long
parse_number(const char *s, long lo, long hi)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || n < lo || n > hi)
		return -1;
	return n;
}

static int
is_loopback_host(const char *h)
{
	return strcasecmp(h, "localhost") == 0 || strncmp(h, "127.", 4) == 0 ||
	    strcmp(h, "::1") == 0 || strcmp(h, "[::1]") == 0;
}

/* Splits a list on commas and white space. */
static void
split_list(const char *s, struct strlist *out)
{
	while (*s) {
		size_t n;

		s += strspn(s, ", \t");
		n = strcspn(s, ", \t");
		if (n)
			strlist_add_owned(out, xstrndup(s, n));
		s += n;
	}
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

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
parse_fingerprint(const char *s, unsigned char out[32])
{
	size_t n = 0;

	if (strncasecmp(s, "sha256:", 7) == 0)
		s += 7;
	while (*s) {
		int hi, lo;

		if (*s == ':' || *s == ' ') {
			s++;
			continue;
		}
		hi = hexval((unsigned char)s[0]);
		lo = hi < 0 || !s[1] ? -1 : hexval((unsigned char)s[1]);
		if (lo < 0 || n == 32)
			return 0;
		out[n++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	return n == 32;
}

/*
 * Google shows app passwords as four groups of four letters; people paste
 * them with the spaces. The spaces are not part of the password.
 */
static void
unspace_app_password(char *p)
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
 * A key of a section and its parser. One table per section is the whole
 * list of its keys: it drives the parsing, the "knows:" list of the
 * unknown-key error, and the man page test (tests/integration/test_man.py).
 */
struct key {
	const char *name;
	enum status (*parse)(struct loader *l, const char *v);
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

static enum status
saatja_default(struct loader *l, const char *v)
{
	free(l->c->default_account);
	l->c->default_account = xstrdup(v);
	return ST_OK;
}

static enum status
saatja_foreign_from(struct loader *l, const char *v)
{
	if (strcasecmp(v, "reject") == 0)
		l->c->foreign_from = FOREIGN_REJECT;
	else if (strcasecmp(v, "rewrite") == 0)
		l->c->foreign_from = FOREIGN_REWRITE;
	else
		return bad(l, _("\"%s\" is not reject or rewrite"), v);
	return ST_OK;
}

static enum status
saatja_delivery(struct loader *l, const char *v)
{
	if (strcasecmp(v, "interactive") == 0)
		l->c->delivery = DELIVERY_INTERACTIVE;
	else if (strcasecmp(v, "background") == 0)
		l->c->delivery = DELIVERY_BACKGROUND;
	else if (strcasecmp(v, "queue") == 0)
		l->c->delivery = DELIVERY_QUEUE;
	else
		return bad(l, _("\"%s\" is not interactive, background or queue"), v);
	return ST_OK;
}

static enum status
saatja_queue(struct loader *l, const char *v)
{
	if (v[0] != '/')
		return bad(l, _("\"%s\" is not an absolute directory path"), v);
	free(l->c->queue_dir);
	l->c->queue_dir = xstrdup(v);
	return ST_OK;
}

static enum status
saatja_retry_for(struct loader *l, const char *v)
{
	l->c->retry_for = config_parse_duration(v);
	if (l->c->retry_for <= 0)
		return bad(l, _("\"%s\" is not a duration such as 5d, 12h or 90m"), v);
	return ST_OK;
}

static enum status
saatja_log(struct loader *l, const char *v)
{
	if (strcmp(v, "syslog") != 0 && strcmp(v, "stderr") != 0 && v[0] != '/')
		return bad(l, _("\"%s\" is not syslog, stderr or an absolute file path"), v);
	free(l->c->log);
	l->c->log = xstrdup(v);
	return ST_OK;
}

static enum status
saatja_helo(struct loader *l, const char *v)
{
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return bad(l, _("\"%s\" is not a host name"), v);
	free(l->c->helo);
	l->c->helo = xstrdup(v);
	return ST_OK;
}

static enum status
saatja_local_domains(struct loader *l, const char *v)
{
	split_list(v, &l->c->local_domains);
	return ST_OK;
}

static const struct key saatja_keys[] = {
	{ "default", saatja_default },
	{ "foreign_from", saatja_foreign_from },
	{ "delivery", saatja_delivery },
	{ "queue", saatja_queue },
	{ "retry_for", saatja_retry_for },
	{ "log", saatja_log },
	{ "helo", saatja_helo },
	{ "local_domains", saatja_local_domains },
	{ NULL, NULL }
};

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
	free(l->a->host);
	l->a->host = xstrdup(v);
	return ST_OK;
}

static enum status
account_port(struct loader *l, const char *v)
{
	long n = parse_number(v, 1, 65535);

	if (n < 0)
		return bad(l, _("\"%s\" is not a port number (usually 587 with tls = starttls, or 465 with tls = tls)"), v);
	l->a->port = (unsigned)n;
	l->port_set = 1;
	return ST_OK;
}

static enum status
account_tls(struct loader *l, const char *v)
{
	if (strcasecmp(v, "starttls") == 0)
		l->a->tls = TLS_STARTTLS;
	else if (strcasecmp(v, "tls") == 0 || strcasecmp(v, "ssl") == 0)
		l->a->tls = TLS_IMPLICIT;
	else if (strcasecmp(v, "none") == 0)
		l->a->tls = TLS_NONE;
	else
		return bad(l, _("\"%s\" is not starttls (port 587), tls (port 465) or none"), v);
	l->tls_set = 1;
	return ST_OK;
}

static enum status
account_password(struct loader *l, const char *v)
{
	xfree_secret(l->a->password);
	l->a->password = xstrdup(v);
	return ST_OK;
}

static enum status
account_password_command(struct loader *l, const char *v)
{
	free(l->a->password_command);
	l->a->password_command = xstrdup(v);
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
		if (strcasecmp(mechs.v[i], "plain") != 0 &&
		    strcasecmp(mechs.v[i], "login") != 0 &&
		    strcasecmp(mechs.v[i], "xoauth2") != 0 &&
		    strcasecmp(mechs.v[i], "oauthbearer") != 0)
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
	free(l->a->ca_file);
	l->a->ca_file = xstrdup(v);
	return ST_OK;
}

static enum status
account_fingerprint(struct loader *l, const char *v)
{
	if (!parse_fingerprint(v, l->a->fingerprint))
		return bad(l, _("\"%s\" is not a SHA-256 fingerprint (sha256: followed by 32 hex byte pairs)"), v);
	l->a->has_fingerprint = 1;
	return ST_OK;
}

static enum status
account_max_per_hour(struct loader *l, const char *v)
{
	long n = parse_number(v, 0, 1000000);

	l->max_set = 1;
	if (n < 0)
		return bad(l, _("\"%s\" is not a whole number of messages"), v);
	l->a->max_per_hour = (unsigned)n;
	return ST_OK;
}

static enum status
account_timeout(struct loader *l, const char *v)
{
	long n = parse_number(v, 1, 3600);

	if (n < 0)
		return bad(l, _("\"%s\" is not a number of seconds from 1 to 3600"), v);
	l->a->timeout = (unsigned)n;
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

/* oauth, oauth_client_id, ...: kept in the account's struct oauth_conf. */
static enum status
account_oauth(struct loader *l, const char *v)
{
	struct buf why = BUF_INIT;
	enum status st = ST_OK;

	if (oauth_conf_set(&l->a->oauth, l->key, v, &why) < 0)
		st = bad(l, "%s", buf_str(&why));
	buf_free(&why);
	return st;
}

int
config_mech_is_oauth(const char *mech)
{
	return strcmp(mech, "XOAUTH2") == 0 || strcmp(mech, "OAUTHBEARER") == 0;
}

static const struct key account_keys[] = {
	{ "provider", account_provider },
	{ "host", account_host },
	{ "port", account_port },
	{ "tls", account_tls },
	{ "password", account_password },
	{ "password_command", account_password_command },
	{ "auth", account_auth },
	{ "ca_file", account_ca_file },
	{ "fingerprint", account_fingerprint },
	{ "max_per_hour", account_max_per_hour },
	{ "timeout", account_timeout },
	{ "cc", account_cc },
	{ "bcc", account_bcc },
	{ "user", account_user },
	{ "oauth", account_oauth },
	{ "oauth_client_id", account_oauth },
	{ "oauth_client_secret", account_oauth },
	{ "oauth_tenant", account_oauth },
	{ "oauth_device_url", account_oauth },
	{ "oauth_auth_url", account_oauth },
	{ "oauth_token_url", account_oauth },
	{ "oauth_scope", account_oauth },
	{ "oauth_token_file", account_oauth },
	{ NULL, NULL }
};

/* Parses key = v of section l->sec through its table entry. */
static enum status
parse_key(struct loader *l, const struct key *keys, const char *what,
    const char *key, const char *v)
{
	struct buf names = BUF_INIT;
	enum status st;

	l->key = key;
	for (const struct key *k = keys; k->name; k++)
		if (strcmp(k->name, key) == 0)
			return k->parse(l, v);
	for (const struct key *k = keys; k->name; k++)
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
	return parse_key(l, saatja_keys, _("the [saatja] section"), key, v);
}

static enum status
load_account_key(struct loader *l, const char *key, const char *v)
{
	return parse_key(l, account_keys, _("an account"), key, v);
}

/*
 * How the account logs in: auth = decides; without it, an OAuth2 account
 * (the oauth keys, or the outlook preset without a password, SPEC 3)
 * uses XOAUTH2, every other one PLAIN then LOGIN. A password (or an
 * access token, msmtp style) is needed by PLAIN and LOGIN, and by the
 * token mechanisms of an account that has no token store.
 */
static enum status
finish_login(struct loader *l, struct account *a)
{
	const struct provider *p = a->provider;
	const char *key;
	struct buf why = BUF_INIT;
	int needs_password = 0;

	if (p && strcmp(p->name, "outlook") == 0 && !a->oauth.store &&
	    a->password == NULL && a->password_command == NULL)
		oauth_conf_use_preset(&a->oauth, "microsoft");
	if (a->nauth == 0 && a->oauth.store) {
		a->auth[a->nauth++] = xstrdup("XOAUTH2");
	} else if (a->nauth == 0) {
		a->auth[a->nauth++] = xstrdup("PLAIN");
		a->auth[a->nauth++] = xstrdup("LOGIN");
	}
	for (size_t i = 0; i < a->nauth; i++)
		if (!config_mech_is_oauth(a->auth[i]) || !a->oauth.store)
			needs_password = 1;
	if (oauth_conf_finish(&a->oauth, &why, &key) < 0) {
		enum status st = fail(l, a->address, key, "%s", buf_str(&why));

		buf_free(&why);
		return st;
	}
	if (needs_password && a->password == NULL && a->password_command == NULL)
		return fail(l, a->address, NULL, _("no password: add password = (in double quotes if it holds ; or #) or password_command ="));
	if (a->password && a->password_command)
		return fail(l, a->address, "password_command", _("give either password or password_command, not both"));
	if (a->password && p && p->app_password)
		unspace_app_password(a->password);
	return ST_OK;
}

/* Fills what the account left out, from its preset or the defaults. */
static enum status
finish_account(struct loader *l, struct account *a)
{
	const char *sec = a->address;
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
	if (a->tls == TLS_NONE && !is_loopback_host(a->host))
		return fail(l, sec, "tls", _("tls = none sends the password unencrypted and is allowed only toward this machine (localhost, 127.0.0.1, ::1); use starttls (port 587) or tls (port 465)"));
	return finish_login(l, a);
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
	/* iniparser lists a section "[a:b]" as the key "b" of section "a",
	 * with no value: the key's own check names it. */
	for (const char *p = v; p && *p; p++)
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


/*
 * Checks the raw lines for what iniparser would mangle without a word:
 * keys outside any section, and an unquoted password or password_command
 * that holds ';' or '#'. Also tells whether the file holds a password at all.
 */
static enum status
prescan(struct loader *l, FILE *f, int *has_password)
{
	char line[4096];
	int lineno = 0, in_section = 0;

	*has_password = 0;
	while (fgets(line, sizeof line, f)) {
		char *p = line, *eq, *v, *end;

		lineno++;
		p += strspn(p, " \t");
		if (*p == '[') {
			in_section = 1;
			continue;
		}
		if (*p == ';' || *p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
			continue;
		eq = strchr(p, '=');
		if (eq == NULL)
			continue;	/* iniparser reports syntax errors */
		if (!in_section)	/* the key only: its value may be secret */
			return fail(l, NULL, NULL, _("line %d: the key \"%.*s\" is outside any section; put it under [saatja] or an account"),
			    lineno, (int)strcspn(p, " \t="), p);
		end = eq;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if ((size_t)(end - p) == 16 &&
		    strncasecmp(p, "password_command", 16) == 0) {
			v = eq + 1 + strspn(eq + 1, " \t");
			if (*v != '"' && *v != '\'' && strpbrk(v, ";#"))
				return fail(l, NULL, NULL, _("line %d: password_command holds ';' or '#', which start a comment in an ini file, so the command would be cut short there; put it in double quotes: password_command = \"...\""),
				    lineno);
			continue;
		}
		if (!((size_t)(end - p) == 8 && strncasecmp(p, "password", 8) == 0) &&
		    !((size_t)(end - p) == 19 && strncasecmp(p, "oauth_client_secret", 19) == 0))
			continue;
		*has_password = 1;
		v = eq + 1 + strspn(eq + 1, " \t");
		if (*v == '"' || *v == '\'') {
			size_t n = strcspn(v, "\r\n");

			while (n > 1 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				n--;
			if (n < 2 || v[n - 1] != *v)
				return fail(l, NULL, NULL, _("line %d: the password's opening quote is not closed; end the line with %c"),
				    lineno, *v);
		} else if (strpbrk(v, ";#"))
			return fail(l, NULL, NULL, _("line %d: the password holds ';' or '#', which start a comment in an ini file; put the password in double quotes: password = \"...\""),
			    lineno);
	}
	return ST_OK;
}

static enum status
check_file(struct loader *l, const char *path)
{
	struct stat sb;
	FILE *f;
	int has_password;
	enum status st;

	f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT)
			return fail(l, NULL, NULL, _("no such file; create it (see saatja.ini(5)) or name another with -C"));
		return fail(l, NULL, NULL, _("cannot read it: %s"), strerror(errno));
	}
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return fail(l, NULL, NULL, _("not a regular file"));
	}
	st = prescan(l, f, &has_password);
	fclose(f);
	if (st == ST_OK && has_password && (sb.st_mode & S_IROTH))
		st = fail(l, NULL, NULL, _("the file holds passwords and every user of this machine can read it; run: chmod 640 %s"),
		    path);
	return st;
}

enum status
config_load(struct config *c, const char *path, struct buf *err)
{
	struct loader l = { c, NULL, err, NULL, NULL, NULL, 0, 0, 0 };
	struct buf ini_msg = BUF_INIT;
	enum status st;
	int nsec;

	memset(c, 0, sizeof *c);
	c->path = xstrdup(path);
	c->retry_for = 5 * 86400;
	c->log = xstrdup("syslog");
	st = check_file(&l, path);
	if (st != ST_OK)
		return st;
	ini_errors = &ini_msg;
	iniparser_set_error_callback(collect_ini_error);
	l.d = iniparser_load(path);
	iniparser_set_error_callback(NULL);
	ini_errors = NULL;
	if (l.d == NULL) {
		/*
		 * iniparser's own words name the line, then repeat it after
		 * "->": the line may hold a password, and a set-group-ID
		 * sendmail must not show it, so only the first line is kept.
		 */
		ini_msg.len = strcspn(buf_str(&ini_msg), "\n");
		if (ini_msg.data)
			ini_msg.data[ini_msg.len] = '\0';
		{
			const char *open = strrchr(buf_str(&ini_msg), '(');
			int line = open ? atoi(open + 1) : 0;

			if (line > 0)
				st = fail(&l, NULL, NULL, _("line %d is not valid ini syntax: a [section], key = value, or a ; comment was expected"),
				    line);
			else
				st = fail(&l, NULL, NULL, _("not a valid ini file: %s"),
				    buf_str(&ini_msg));
		}
		buf_free(&ini_msg);
		return st;
	}
	buf_free(&ini_msg);
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
	for (size_t i = 0; i < a->nauth; i++)
		free(a->auth[i]);
	free(a->ca_file);
	strlist_free(&a->cc);
	strlist_free(&a->bcc);
	oauth_conf_free(&a->oauth);
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
