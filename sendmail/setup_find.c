/* SPDX-License-Identifier: MIT */
/*
 * setup_find - the search for an address's submission server behind
 * sendmail --setup (setup_find.h).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "dns.h"
#include "i18n.h"
#include "oauth_client.h"
#include "oauth_proto.h"
#include "setup_find.h"
#include "smtp.h"

#define ISPDB_URL "https://autoconfig.thunderbird.net/v1.1/"
/* Servers taken from one autoconfig file. */
#define MAX_SERVERS 16

struct search {
	const char *address, *domain;
	const struct setup_find_how *how;
	struct report *r;
	struct found *answer;
	int done;		/* an answer verified */
	int dns_failed;		/* a lookup got no answer */
	int declined;		/* an outside answer was not confirmed */
	int no_service;		/* SRV targets of "." (RFC 2782) */
	unsigned probes;	/* servers tried */
	struct strlist tried;	/* "host port tls" already probed */
};

const char *
found_from_name(enum found_from from)
{
	switch (from) {
	case FROM_PRESET:
		return _("the preset for the domain");
	case FROM_MX:
		return _("the domain's MX record");
	case FROM_SRV:
		return _("the domain's SRV record");
	case FROM_AUTOCONFIG:
		return _("the domain's autoconfig file");
	case FROM_ISPDB:
		return _("Thunderbird's ISPDB");
	case FROM_GUESS:
		return _("a guess");
	}
	return "?";
}

void
found_free(struct found *f)
{
	free(f->host);
	free(f->where);
	free(f->login);
	free(f->tls_version);
	strlist_free(&f->auth);
	memset(f, 0, sizeof *f);
}

/* host is the domain or a name under it. */
static int
inside(const char *host, const char *domain)
{
	size_t h = strlen(host), d = strlen(domain);

	if (h == d)
		return strcasecmp(host, domain) == 0;
	return h > d && host[h - d - 1] == '.' &&
	    strcasecmp(host + h - d, domain) == 0;
}

static const char *
tls_words(enum tls_mode t)
{
	return t == TLS_IMPLICIT ? _("TLS from the first byte") : _("STARTTLS");
}

/*
 * Tries the server of candidate c: TLS that verifies for its name, and
 * AUTH offered. On success, and confirmed when it must be, c becomes
 * the answer.
 */
static void
probe(struct search *s, struct found *c)
{
	struct account a;
	struct smtp sm;
	struct buf key = BUF_INIT, why = BUF_INIT, mechs = BUF_INIT;
	enum status st;

	buf_printf(&key, "%s %u %d", c->host, c->port, (int)c->tls);
	if (s->done || strlist_has(&s->tried, buf_str(&key))) {
		buf_free(&key);
		return;
	}
	strlist_add_owned(&s->tried, buf_take(&key));
	s->probes++;
	memset(&a, 0, sizeof a);
	a.address = (char *)s->address;
	a.host = c->host;
	a.port = c->port;
	a.tls = c->tls;
	a.timeout = s->how->timeout;
	memset(&sm, 0, sizeof sm);
	sm.conn.fd = -1;
	st = smtp_open(&sm, &a, NULL, NULL, NULL, &why);
	if (st == ST_OK && sm.caps.auth.n == 0) {
		step(s->r, 0, _("server"), _("%s port %u (%s): offers no login (AUTH)"),
		    c->host, c->port, tls_words(c->tls));
		goto out;
	}
	if (st != ST_OK) {
		step(s->r, 0, _("server"), _("%s port %u (%s): %s"), c->host,
		    c->port, tls_words(c->tls), buf_str(&why));
		goto out;
	}
	for (size_t i = 0; i < sm.caps.auth.n; i++) {
		buf_list_add(&mechs, " ", "%s", sm.caps.auth.v[i]);
		strlist_add(&c->auth, sm.caps.auth.v[i]);
	}
	c->tls_version = xstrdup(smtp_tls_version(&sm));
	step(s->r, 1, _("server"), _("%s port %u (%s): %s, certificate verified, AUTH %s"),
	    c->host, c->port, tls_words(c->tls), c->tls_version, buf_str(&mechs));
	if (c->outside) {
		more(s->r, hint(), _("%s is outside %s and only %s names it"),
		    c->host, s->domain, found_from_name(c->from));
		if (s->how->confirm == NULL || !s->how->confirm(s->how->arg, c)) {
			s->declined++;
			goto out;
		}
	}
	*s->answer = *c;
	memset(c, 0, sizeof *c);
	s->done = 1;
out:
	smtp_close(&sm);
	buf_free(&why);
	buf_free(&mechs);
}

/* A candidate from the arguments, probed, and freed unless taken. */
static void
try_server(struct search *s, const char *host, unsigned port,
    enum tls_mode tls, const struct provider *preset, enum found_from from,
    const char *where)
{
	struct found c;

	memset(&c, 0, sizeof c);
	c.host = xstrdup(host);
	c.port = port;
	c.tls = tls;
	c.preset = preset;
	c.from = from;
	c.where = xstrdup(where);
	c.password = 1;
	c.outside = !inside(host, s->domain) && (from == FROM_SRV || from == FROM_GUESS);
	probe(s, &c);
	found_free(&c);
}

static void
try_preset(struct search *s)
{
	const struct provider *p = provider_by_domain(s->domain);

	if (p == NULL) {
		step(s->r, 0, _("preset"), _("none for %s"), s->domain);
		return;
	}
	step(s->r, 1, _("preset"), _("%s is %s"), s->domain, p->name);
	try_server(s, p->host, p->port, p->tls, p, FROM_PRESET, p->name);
}

/* Looks up the MX records; probes the presets they name. The first
 * MX host goes to *mx for the ISPDB. */
static void
try_mx(struct search *s, char **mx)
{
	struct dns_rr rr[DNS_RR_MAX];
	struct buf err = BUF_INIT;
	size_t n;

	if (dns_lookup(s->domain, DNS_T_MX, rr, DNS_RR_MAX, &n, &err) != ST_OK) {
		step(s->r, 0, "MX", "%s", buf_str(&err));
		s->dns_failed = 1;
		buf_free(&err);
		return;
	}
	buf_free(&err);
	if (n == 0 || (n == 1 && strcmp(rr[0].host, ".") == 0)) {
		step(s->r, 0, "MX", _("%s has no MX record"), s->domain);
		return;
	}
	*mx = xstrdup(rr[0].host);
	for (size_t i = 0; i < n && !s->done; i++) {
		const struct provider *p = provider_by_mx(rr[i].host);
		struct buf where = BUF_INIT;

		if (p == NULL) {
			step(s->r, 0, "MX", _("%s: a mail exchanger of no preset"), rr[i].host);
			continue;
		}
		step(s->r, 1, "MX", _("%s: the mail of %s is at %s"), rr[i].host,
		    s->domain, p->name);
		buf_printf(&where, "MX %s", rr[i].host);
		try_server(s, p->host, p->port, p->tls, p, FROM_MX, buf_str(&where));
		buf_free(&where);
	}
}

static void
try_srv(struct search *s, const char *service, enum tls_mode tls)
{
	struct dns_rr rr[DNS_RR_MAX];
	struct buf name = BUF_INIT, err = BUF_INIT;
	size_t n;

	buf_printf(&name, "%s.%s", service, s->domain);
	if (dns_lookup(buf_str(&name), DNS_T_SRV, rr, DNS_RR_MAX, &n, &err) != ST_OK) {
		step(s->r, 0, "SRV", "%s", buf_str(&err));
		s->dns_failed = 1;
	} else if (n == 0) {
		step(s->r, 0, "SRV", _("%s: no record"), buf_str(&name));
	} else if (strcmp(rr[0].host, ".") == 0) {
		/* RFC 2782: the service is decidedly not available. */
		step(s->r, 0, "SRV", _("%s: the domain says it offers no such service"),
		    buf_str(&name));
		s->no_service++;
	} else {
		for (size_t i = 0; i < n && !s->done; i++) {
			struct buf where = BUF_INIT;

			if (rr[i].port == 0 || strcmp(rr[i].host, ".") == 0)
				continue;
			step(s->r, 1, "SRV", _("%s: %s port %u"), buf_str(&name),
			    rr[i].host, rr[i].port);
			buf_printf(&where, "SRV %s", buf_str(&name));
			try_server(s, rr[i].host, rr[i].port, tls, NULL, FROM_SRV,
			    buf_str(&where));
			buf_free(&where);
		}
	}
	buf_free(&name);
	buf_free(&err);
}

/* The address with everything but RFC 3986's unreserved characters
 * percent-encoded, for a query string. */
static void
url_encode(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch))
			buf_addc(b, (char)ch);
		else
			buf_printf(b, "%%%02X", ch);
	}
}

/* One server of an autoconfig answer, as candidate c. 0 when usable. */
static int
autoconfig_server(struct search *s, const struct oauth_msg *ans, unsigned i,
    struct found *c)
{
	char key[32];
	const char *host, *port, *sock, *auth, *user;

	snprintf(key, sizeof key, "host.%u", i);
	host = oauth_msg_get(ans, key);
	snprintf(key, sizeof key, "port.%u", i);
	port = oauth_msg_get(ans, key);
	snprintf(key, sizeof key, "socket.%u", i);
	sock = oauth_msg_get(ans, key);
	snprintf(key, sizeof key, "auth.%u", i);
	auth = oauth_msg_get(ans, key);
	snprintf(key, sizeof key, "username.%u", i);
	user = oauth_msg_get(ans, key);
	if (host == NULL || port == NULL || sock == NULL)
		return -1;
	if (strcasecmp(sock, "plain") == 0) {
		step(s->r, 0, _("server"), _("%s port %s: the file offers it without TLS, which saatja never uses"),
		    host, port);
		return -1;
	}
	c->host = xstrdup(host);
	c->port = (unsigned)strtoul(port, NULL, 10);
	c->tls = strcasecmp(sock, "SSL") == 0 ? TLS_IMPLICIT : TLS_STARTTLS;
	if (auth != NULL) {
		c->oauth = strstr(auth, "OAuth2") != NULL;
		c->password = strstr(auth, "password") != NULL;
	} else {
		c->password = 1;
	}
	if (user != NULL && strcasecmp(user, s->address) != 0)
		c->login = xstrdup(user);
	return c->port > 0 && c->port < 65536 ? 0 : -1;
}

/* Asks the helper for the file at url and probes its servers. */
static void
try_autoconfig(struct search *s, const char *url, enum found_from from)
{
	struct buf req = BUF_INIT, err = BUF_INIT;
	struct oauth_msg ans;
	const char *name = from == FROM_ISPDB ? "ISPDB" : "autoconfig";
	const char *result, *got;
	unsigned n;

	memset(&ans, 0, sizeof ans);
	oauth_msg_add(&req, "op", "autoconfig");
	oauth_msg_add(&req, "address", s->address);
	oauth_msg_add(&req, "url", url);
	if (oauth_client_run(s->how->callers, &req, 0, &ans, &err) != ST_OK) {
		step(s->r, 0, name, _("%s: %s"), url, buf_str(&err));
		goto out;
	}
	result = oauth_msg_get(&ans, "result");
	if (result == NULL || strcmp(result, "ok") != 0) {
		const char *d = oauth_msg_get(&ans, "description");

		if (result != NULL && strcmp(result, "not_found") == 0)
			step(s->r, 0, name, _("%s: no such file"), url);
		else if (d != NULL && strstr(d, url) != NULL)
			step(s->r, 0, name, "%s", d);	/* it names the URL */
		else
			step(s->r, 0, name, _("%s: %s"), url, d ? d : result ? result : "?");
		goto out;
	}
	got = oauth_msg_get(&ans, "url");
	n = (unsigned)strtoul(oauth_msg_get(&ans, "servers") ?
	    oauth_msg_get(&ans, "servers") : "0", NULL, 10);
	step(s->r, 1, name, _("%s: %u server(s)"), got ? got : url, n);
	for (unsigned i = 1; i <= n && i <= MAX_SERVERS && !s->done; i++) {
		struct found c;

		memset(&c, 0, sizeof c);
		if (autoconfig_server(s, &ans, i, &c) == 0) {
			c.from = from;
			c.where = xstrdup(got ? got : url);
			probe(s, &c);
		}
		found_free(&c);
	}
out:
	oauth_msg_free(&ans);
	buf_free(&req);
	buf_free(&err);
}

/* The registered domain of an MX host, roughly: its last two labels. */
static const char *
mx_domain(const char *mx)
{
	const char *p = mx + strlen(mx);
	int dots = 0;

	while (p > mx) {
		if (p[-1] == '.' && ++dots == 2)
			return p;
		p--;
	}
	return mx;
}

static void
try_autoconfigs(struct search *s, const char *mx)
{
	struct buf url = BUF_INIT;

	buf_printf(&url, "https://autoconfig.%s/mail/config-v1.1.xml?emailaddress=", s->domain);
	url_encode(&url, s->address);
	try_autoconfig(s, buf_str(&url), FROM_AUTOCONFIG);
	buf_reset(&url);
	buf_printf(&url, "https://%s/.well-known/autoconfig/mail/config-v1.1.xml", s->domain);
	if (!s->done)
		try_autoconfig(s, buf_str(&url), FROM_AUTOCONFIG);
	buf_reset(&url);
	buf_printf(&url, ISPDB_URL "%s", s->domain);
	if (!s->done)
		try_autoconfig(s, buf_str(&url), FROM_ISPDB);
	if (mx != NULL && !s->done && strcasecmp(mx_domain(mx), s->domain) != 0) {
		buf_reset(&url);
		buf_printf(&url, ISPDB_URL "%s", mx_domain(mx));
		try_autoconfig(s, buf_str(&url), FROM_ISPDB);
	}
	buf_free(&url);
}

static void
try_guesses(struct search *s)
{
	static const unsigned ports[] = { 465, 587 };
	static const char *const names[] = { "smtp", "mail" };

	for (size_t p = 0; p < 2; p++) {
		for (size_t i = 0; i < 2 && !s->done; i++) {
			struct buf host = BUF_INIT;

			buf_printf(&host, "%s.%s", names[i], s->domain);
			try_server(s, buf_str(&host), ports[p],
			    ports[p] == 465 ? TLS_IMPLICIT : TLS_STARTTLS, NULL,
			    FROM_GUESS, buf_str(&host));
			buf_free(&host);
		}
	}
}

enum status
setup_find(const char *address, const struct setup_find_how *how,
    struct report *r, struct found *f, struct buf *err)
{
	struct search s;
	char *mx = NULL;
	const char *at = strrchr(address, '@');

	memset(f, 0, sizeof *f);
	memset(&s, 0, sizeof s);
	s.address = address;
	s.domain = at ? at + 1 : address;
	s.how = how;
	s.r = r;
	s.answer = f;
	try_preset(&s);
	if (!s.done)
		try_mx(&s, &mx);
	if (!s.done)
		try_srv(&s, "_submissions._tcp", TLS_IMPLICIT);
	if (!s.done)
		try_srv(&s, "_submission._tcp", TLS_STARTTLS);
	if (!s.done)
		try_autoconfigs(&s, mx);
	if (!s.done && s.no_service == 2)
		step(r, 0, _("server"), _("no guesses: %s says in its SRV records that it offers no submission"),
		    s.domain);
	else if (!s.done)
		try_guesses(&s);
	free(mx);
	strlist_free(&s.tried);
	if (s.done)
		return ST_OK;
	buf_printf(err, _("no submission server found for %s: tried the presets, the MX and SRV records of %s, its autoconfig files, Thunderbird's ISPDB and smtp.%s and mail.%s on ports 465 and 587; of the %u servers tried, none had a certificate that verifies and a login (AUTH)"),
	    address, s.domain, s.domain, s.domain, s.probes);
	if (s.declined)
		buf_printf(err, _("; %d answer outside %s was not confirmed (run in a terminal to confirm it, or add --yes)"),
		    s.declined, s.domain);
	if (s.dns_failed)
		buf_adds(err, _("; the DNS did not answer every question (see /etc/resolv.conf)"));
	buf_printf(err, _(". Ask the provider for the server, then give host, port and tls in [%s] yourself (saatja.ini(5))"),
	    address);
	return ST_UNAVAILABLE;
}
