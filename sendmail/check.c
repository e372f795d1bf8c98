/* SPDX-License-Identifier: MIT */
/*
 * check - the account check; see check.h.
 *
 * Each step prints "✓ step     what was found" or "✗ step     what went
 * wrong", then indented detail and, on failure, a hint; the first failure
 * ends the check, since later steps make no sense without the earlier
 * ones. On a terminal whose locale is not UTF-8 the marks are "ok" and
 * "FAIL"; anywhere else (a pipe, a file, a test) they are the UTF-8 ✓ and
 * ✗.
 *
 * The commonest mistake in a provider's settings is a port and TLS mode
 * that do not belong together, and both halves of that mistake look like
 * something else from inside an SMTP session: tls = tls toward a plain
 * SMTP port is a TLS handshake that chokes on "220", and tls = starttls
 * toward a TLS port waits in silence for a greeting that never comes. So
 * the check looks at the server's first bytes on a connection of its own:
 * before the session for starttls (a greeting, TLS bytes, or silence that
 * a TLS handshake then confirms), after a failed handshake for tls.
 *
 * The SMTP session itself is the one deliveries use (smtp_open,
 * smtp_auth, smtp_try_sender, smtp_close), so what passes here passes
 * there. Only the waits are shorter: CHECK_TIMEOUT at most per step.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "credential.h"
#include "i18n.h"
#include "net.h"
#include "proxy.h"
#include "report.h"
#include "queue.h"
#include "runner.h"
#include "secret_source.h"
#include "smtp.h"
#include "tls.h"
#include "token.h"

#define CHECK_TIMEOUT 15	/* seconds per network step, at most */
#define GREETING_MS 5000	/* silence that makes a TLS port suspect */
#define PROBE_MS 3000		/* wait for a plain greeting after TLS failed */

/* TRANSLATORS: the names of --check's steps, at most 8 characters; DNS,
 * TLS, EHLO, AUTH and QUIT are protocol names and stay as they are. */
#define STEP_CONFIG _("config")
#define STEP_CONNECT _("connect")
#define STEP_PROXY _("proxy")
#define STEP_SENDER _("sender")

static void
list_accounts(const struct config *c, struct buf *b)
{
	for (size_t i = 0; i < c->naccounts; i++)
		buf_list_add(b, ", ", "%s", c->accounts[i].address);
}

/* The account to check, or NULL after saying why there is none. */
static struct account *
pick_account(struct report *r, const struct config *c, const char *address,
    struct buf *err)
{
	struct account *a = address ? config_account(c, address) :
	    config_default(c);
	struct buf names = BUF_INIT;

	if (a)
		return a;
	list_accounts(c, &names);
	if (address) {
		step(r, 0, STEP_CONFIG, _("%s has no account %s"), c->path, address);
		more(r, "", _("the accounts are: %s"), buf_str(&names));
		more(r, hint(), _("an account is a section named by its e-mail address: check the spelling, or add [%s] with its password"),
		    address);
		buf_printf(err, _("%s: %s is not an account there; the accounts are: %s"),
		    c->path, address, buf_str(&names));
	} else {
		step(r, 0, STEP_CONFIG, _("%s has several accounts and no default"), c->path);
		more(r, "", _("the accounts are: %s"), buf_str(&names));
		more(r, hint(), _("name one (sendmail --check ADDRESS), or set default = in [saatja]"));
		buf_printf(err, _("%s: several accounts and no default; name one: sendmail --check ADDRESS (%s)"),
		    c->path, buf_str(&names));
	}
	buf_free(&names);
	return NULL;
}

/* Where mail goes out from, in the words of sendmail(8)'s SENDER RULE. */
static void
sender_rule(const struct config *c, const struct account *a, struct buf *d)
{
	const struct account *def = config_default(c);

	if (def == a && c->foreign_from == FOREIGN_REWRITE)
		buf_printf(d, _("mail from %s, from local senders (cron, scripts) and from any other address goes out as %s (foreign_from = rewrite)"),
		    a->address, a->address);
	else if (def == a)
		buf_printf(d, _("mail from %s and local senders (cron, scripts) goes out as %s"),
		    a->address, a->address);
	else if (def)
		buf_printf(d, _("mail from %s goes out as %s; local senders (cron, scripts) go out as %s, the default account"),
		    a->address, a->address, def->address);
	else
		buf_printf(d, _("mail from %s goes out as %s; local senders (cron, scripts) are refused: there is no default = in [saatja]"),
		    a->address, a->address);
}

static void
check_config(struct report *r, const struct config *c, const struct account *a)
{
	const struct provider *p = a->provider;
	struct buf d = BUF_INIT;
	struct stat sb;

	/* config_load refused the file if others could read a password. */
	if (stat(c->path, &sb) == 0)
		step(r, 1, STEP_CONFIG, _("%s (mode %04o: %s)"), c->path,
		    (unsigned)(sb.st_mode & 07777), sb.st_mode & S_IROTH ?
		    _("others may read it, but it holds no password") :
		    _("not readable by others"));
	else
		step(r, 1, STEP_CONFIG, "%s", c->path);
	/* TRANSLATORS: the next six pieces make one line, such as "account
	 * a@b.ee: preset zone (verified), smtp.zone.eu port 587, tls =
	 * starttls, password from password =". */
	buf_printf(&d, _("account %s: "), a->address);
	if (p)
		buf_printf(&d, _("preset %s (%s), "), p->name,
		    p->verified ? _("verified") : _("NOT verified"));
	else
		buf_adds(&d, _("no preset, "));
	buf_printf(&d, _("%s port %u, tls = %s"), a->host, a->port,
	    config_tls_name(a->tls));
	if (p && strcasecmp(p->host, a->host) != 0)
		buf_adds(&d, _(" (host = from the config)"));
	if (a->oauth.store && oauth_conf_mech(a->auth[0]))
		buf_printf(&d, _(", OAuth2 token from %s"), oauth_conf_token_service(&a->oauth));
	else {
		struct buf from = BUF_INIT;

		secret_source_describe(a, &from);
		buf_printf(&d, _(", password from %s"), buf_str(&from));
		buf_free(&from);
	}
	more(r, "", "%s", buf_str(&d));
	if (p && !p->verified)
		more(r, _("note: "), _("the %s preset's server %s is not verified: %s"),
		    p->name, p->host, p->note ? _(p->note) : _("ask the provider for its SMTP server"));
	else if (p && p->note)
		more(r, _("note: "), "%s", _(p->note));
	buf_reset(&d);
	sender_rule(c, a, &d);
	more(r, "", "%s", buf_str(&d));
	buf_reset(&d);
	if (a->route.proxy != PROXY_NONE)
		route_proxy_url(&a->route, &d);
	if (d.len)
		more(r, "", a->route.proxy == PROXY_SOCKS5H ?
		    _("through the SOCKS5 proxy %s, which looks the server's name up") :
		    _("through the SOCKS5 proxy %s"), buf_str(&d));
	if (a->route.has_source)
		more(r, "", _("from this machine's address %s (source_ip)"),
		    a->route.source_text);
	buf_free(&d);
}

static enum status
check_dns(struct report *r, const struct account *a)
{
	struct addrinfo hints, *res = NULL;
	struct strlist ips = STRLIST_INIT;
	struct buf d = BUF_INIT;
	unsigned char bin[16];
	char *host = a->host[0] == '[' ?
	    xstrndup(a->host + 1, strcspn(a->host + 1, "]")) : xstrdup(a->host);
	int rc;

	if (a->route.proxy == PROXY_SOCKS5H) {
		step(r, 1, "DNS", _("%s: looked up by the proxy (socks5h://)"), host);
		free(host);
		return ST_OK;
	}
	if (inet_pton(AF_INET, host, bin) == 1 ||
	    inet_pton(AF_INET6, host, bin) == 1) {
		step(r, 1, "DNS", _("%s is an address: nothing to look up"), host);
		free(host);
		return ST_OK;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		step(r, 0, "DNS", _("cannot find the server %s: check the host name or your DNS"),
		    host);
		more(r, "", _("the lookup said: %s"), rc == EAI_SYSTEM ?
		    _("system error") : gai_strerror(rc));
		if (a->provider && strcasecmp(a->provider->host, a->host) == 0)
			more(r, hint(), _("host = %s comes from the preset; if that is the name your provider gives, this machine's DNS does not work (try: getent hosts %s)"),
			    host, host);
		else
			more(r, hint(), _("host = %s is in the config; if that is the name your provider gives, this machine's DNS does not work (try: getent hosts %s)"),
			    host, host);
		free(host);
		return ST_TEMP_NETWORK;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		char ip[NI_MAXHOST];

		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, sizeof ip,
		    NULL, 0, NI_NUMERICHOST) == 0 && !strlist_has(&ips, ip))
			strlist_add(&ips, ip);
	}
	freeaddrinfo(res);
	for (size_t i = 0; i < ips.n; i++)
		buf_list_add(&d, ", ", "%s", ips.v[i]);
	step(r, 1, "DNS", _("%s is %s"), host, buf_str(&d));
	strlist_free(&ips);
	buf_free(&d);
	free(host);
	return ST_OK;
}

/* The usual other half of the port and TLS pairing. */
static const char *
other_pairing(const struct account *a)
{
	return a->tls == TLS_IMPLICIT ? _("try port 587 with tls = starttls") :
	    _("try port 465 with tls = tls");
}

static void
close_probe(struct conn *probe)
{
	tls_end(probe);
	net_close(probe);
}

/* A source address this machine does not have (net.h): a config error. */
static void
no_source(struct report *r, const struct account *a, const char *why)
{
	step(r, 0, STEP_CONNECT, _("this machine has no address %s"), a->route.source_text);
	more(r, "", "%s", why);
	more(r, hint(), _("ip address lists this machine's addresses: set source_ip to one of them, or remove it"));
}

/* The proxy step: connected to the proxy, and logged in to it. */
static enum status
check_proxy(struct report *r, const struct account *a, struct conn *probe)
{
	struct buf why = BUF_INIT, name = BUF_INIT;
	long long start = net_now_ms();
	enum status st = proxy_open(probe, &a->route, a->timeout, &why);

	route_proxy_name(&a->route, &name);
	if (st == ST_OK) {
		step(r, 1, STEP_PROXY, _("SOCKS5 proxy %s answered in %lld ms, %s"), buf_str(&name),
		    net_now_ms() - start, a->route.proxy_user ?
		    _("logged in with the user name and password") : _("no login needed"));
	} else if (st == ST_CONFIG) {
		close_probe(probe);
		no_source(r, a, buf_str(&why));
	} else {
		close_probe(probe);
		step(r, 0, STEP_PROXY, _("cannot use the SOCKS5 proxy %s"), buf_str(&name));
		more(r, "", "%s", buf_str(&why));
		more(r, hint(), _("check proxy = in [%s]: the host and port of a SOCKS5 proxy that runs, and its user name and password if it wants them"),
		    a->address);
	}
	buf_free(&why);
	buf_free(&name);
	return st;
}

/* Connects probe to the account's server (through the proxy that
 * check_proxy opened), and says how that went. */
static enum status
connect_probe(struct report *r, const struct account *a, struct conn *probe)
{
	struct buf why = BUF_INIT;
	long long start = net_now_ms();
	enum status st = a->route.proxy != PROXY_NONE ?
	    proxy_request(probe, &a->route, a->host, a->port, &why) :
	    net_connect_from(probe, a->host, a->port, a->timeout, &a->route, 0, &why);

	if (st != ST_OK)
		close_probe(probe);
	if (st == ST_OK && probe->via) {
		step(r, 1, STEP_CONNECT, _("the proxy reached %s port %u in %lld ms"), a->host,
		    a->port, net_now_ms() - start);
	} else if (st == ST_OK) {
		step(r, 1, STEP_CONNECT, _("%s port %u answered in %lld ms"), probe->ip,
		    a->port, net_now_ms() - start);
	} else if (st == ST_CONFIG && a->route.has_source && !probe->via) {
		no_source(r, a, buf_str(&why));
	} else {
		step(r, 0, STEP_CONNECT, _("%s does not answer on port %u"), a->host,
		    a->port);
		more(r, "", "%s", buf_str(&why));
		if (a->tls == TLS_NONE)
			more(r, hint(), _("is the server running and listening on port %u?"),
			    a->port);
		else
			more(r, hint(), a->route.proxy != PROXY_NONE ?
			    _("the proxy's network may block port %u; %s (or the server does not listen on this port)") :
			    _("your network may block port %u; %s (or the server does not listen on this port)"),
			    a->port, other_pairing(a));
	}
	buf_free(&why);
	return st;
}

static int
looks_like_tls(const unsigned char *p, size_t n)
{
	/* A TLS record: handshake (22) or alert (21), version 3.x. */
	return n >= 1 && (p[0] == 22 || p[0] == 21) && (n < 2 || p[1] == 3);
}

static enum status
mixup_needs_tls(struct report *r, const char *why)
{
	step(r, 0, "TLS", _("the server expects TLS at once on this port"));
	more(r, "", "%s", why);
	more(r, hint(), _("use tls = tls, usually port 465 (or keep tls = starttls and use port 587)"));
	return ST_CONFIG;
}

/*
 * tls = starttls: reads the start of the greeting on probe (connected).
 * Returns ST_CONFIG after explaining when the port speaks TLS at once,
 * else ST_OK: the session may go ahead.
 */
static enum status
probe_greeting(struct report *r, const struct account *a, struct conn *probe)
{
	unsigned char p[4] = { 0 };
	size_t n = net_peek(probe, GREETING_MS, p, sizeof p);
	struct buf ignore = BUF_INIT;
	struct tls_params tp;
	enum status st;

	if (looks_like_tls(p, n))
		return mixup_needs_tls(r, _("instead of an SMTP greeting it sent TLS data"));
	if (n > 0)
		return ST_OK;
	/* Silence: a TLS port waits for our handshake. Is it one? */
	tp = smtp_tls_params(a, probe);
	st = tls_start(probe, &tp, &ignore);
	buf_free(&ignore);
	if (st == ST_OK || st == ST_NOPERM)
		return mixup_needs_tls(r, _("it sent no SMTP greeting, but answered a TLS handshake"));
	return ST_OK;
}

/* How the certificate was judged, for the TLS step's detail: the pin,
 * or the store and the CA in it that verified the chain. */
static void
verified_by(const struct account *a, const struct conn *c, struct buf *d)
{
	struct buf store = BUF_INIT;

	if (a->has_fingerprint) {
		buf_adds(d, _("; verified: it matches the fingerprint = pin"));
		return;
	}
	if (a->ca_file || tls_describe_trust(c, &store) < 0)
		buf_adds(&store, a->ca_file ? "ca_file =" :
		    _("the system trust store"));
	buf_printf(d, _("; verified: trusted issuer (%s) and made out to %s"),
	    buf_str(&store), a->host);
	buf_free(&store);
}

static enum status
tls_failed(struct report *r, const struct account *a, struct smtp *s,
    enum status st, const char *why)
{
	struct buf greeting = BUF_INIT;

	if (a->tls == TLS_IMPLICIT && !s->conn.no_trust &&
	    (st == ST_PROTOCOL || st == ST_CONFIG ||
	    st == ST_TEMP_PROTOCOL) &&
	    net_plain_greeting(&s->conn, PROBE_MS, &greeting)) {
		step(r, 0, "TLS", _("the server speaks plain SMTP on this port"));
		more(r, "", _("it greets in plain text (\"%s\") where tls = tls expects a TLS handshake"),
		    buf_str(&greeting));
		more(r, hint(), _("use tls = starttls, usually port 587 (or keep tls = tls and use port 465)"));
		buf_free(&greeting);
		return ST_CONFIG;
	}
	if (s->conn.no_trust) {
		step(r, 0, "TLS", _("no trusted certificates to check the server's certificate against: nothing was sent"));
		more(r, "", "%s", why);
		more(r, hint(), a->ca_file ?
		    _("ca_file = must name a PEM file with the CA certificate that issued the server's certificate") :
		    _("apt-get install ca-certificates (the system trust store), or set ca_file ="));
		return st;
	}
	if (s->conn.tls) {
		/* TLS is up; the server refused what came after it. */
		step(r, 0, "EHLO", _("the server refused the session after TLS"));
		more(r, "", "%s", why);
		more(r, hint(), _("try again later; if it persists, ask the provider"));
		return st;
	}
	if (st == ST_NOPERM && s->conn.cert_refused) {
		step(r, 0, "TLS", _("the server's certificate is not trusted: nothing was sent"));
		more(r, "", "%s", why);
		more(r, hint(), _("host = must be the server name your provider gives (the certificate is made out to it); a server with its own CA needs ca_file =; an old machine may need its CA certificates updated"));
		return st;
	}
	step(r, 0, "TLS", _("no encrypted session with the server: nothing was sent"));
	more(r, "", "%s", why);
	if (st == ST_TEMP_NETWORK || st == ST_TEMP_PROTOCOL || st == ST_TEMP_SERVER)
		more(r, hint(), _("the server or the network failed on the way; try again later, or %s"),
		    other_pairing(a));
	else
		more(r, hint(), _("check port = and tls = against the provider's settings: 587 with tls = starttls, or 465 with tls = tls"));
	return st;
}

/* The TLS step: the session up to EHLO, with the mix-up probes. */
static enum status
check_tls(struct report *r, const struct config *c, struct account *a,
    struct credential *cred, struct conn *probe, struct smtp *s)
{
	struct buf why = BUF_INIT, d = BUF_INIT;
	enum status st = ST_OK;

	if (a->tls == TLS_STARTTLS)
		st = probe_greeting(r, a, probe);
	close_probe(probe);
	if (st != ST_OK)
		return st;
	st = smtp_open(s, a, cred, c->helo, NULL, &why);
	if (st != ST_OK) {
		st = tls_failed(r, a, s, st, buf_str(&why));
		buf_free(&why);
		return st;
	}
	buf_free(&why);
	if (s->conn.tls == NULL) {
		step(r, 1, "TLS", _("not used: tls = none, allowed only toward this machine (%s)"),
		    s->conn.ip);
		return ST_OK;
	}
	step(r, 1, "TLS", _("%s with %s, %s"), smtp_tls_version(s),
	    tls_cipher(&s->conn), a->tls == TLS_IMPLICIT ?
	    _("from the first byte (tls = tls)") : _("after STARTTLS"));
	if (tls_describe_peer(&s->conn, &d) == 0) {
		verified_by(a, &s->conn, &d);
		more(r, "", "%s", buf_str(&d));
	}
	buf_free(&d);
	return ST_OK;
}

/* What to do about a refused password, by provider. */
static void
login_hint(struct report *r, const struct account *a)
{
	const struct provider *p = a->provider;

	if (p && p->app_password) {
		more(r, hint(), _("%s wants %s, not the password you log in with on the web; put it in password = in [%s]"),
		    p->name, _(p->password_hint), a->address);
		if (p->app_password_page)
			more(r, hint_more(), _("make one at %s"), p->app_password_page);
		more(r, hint_more(), _("an app password pasted with its spaces (like qkzf qhwd emvc qzgg) is fine"));
		if (p->verified && p->note)
			more(r, hint_more(), "%s", _(p->note));
	} else if (p) {
		more(r, hint(), _("%s uses %s (no app password): check password = in [%s], for instance by logging in to webmail with it"),
		    p->name, _(p->password_hint), a->address);
	} else {
		more(r, hint(), _("check password = in [%s]; Gmail and mail.ee want an app password instead of the mailbox password, Outlook OAuth2"),
		    a->address);
	}
}

/*
 * The OAuth2 token (--check's token step in sendmail(8)): stored? when
 * does it expire? does a refresh work? The refresh goes through the
 * store's locked path and is stored; where this run may not write the
 * file, only the expiry is shown, since a refresh it could not store
 * would burn a rotating grant.
 */
/* Days before a certificate's end that --check warns. */
#define CERT_WARN_DAYS 30

/* The application's certificate (client credentials): when it ends, and
 * a warning CERT_WARN_DAYS ahead, for Entra ID refuses it from then on. */
static void
check_certificate(struct report *r, const struct account *a)
{
	long long when, now = (long long)time(NULL), days;
	time_t t;
	char date[32];

	if (a->oauth.certificate == NULL || tls_cert_file_expiry(a->oauth.certificate, &when) < 0)
		return;
	t = (time_t)when;
	strftime(date, sizeof date, "%Y-%m-%d", gmtime(&t));
	days = when > now ? (when - now) / 86400 : 0;
	if (when - now < CERT_WARN_DAYS * 86400LL)
		more(r, hint(), ngettext("the certificate %s expires in %lld day (%s): make a new one, upload it to the application in Entra ID (Certificates & secrets) and change oauth_client_certificate and oauth_client_key",
		    "the certificate %s expires in %lld days (%s): make a new one, upload it to the application in Entra ID (Certificates & secrets) and change oauth_client_certificate and oauth_client_key",
		    (unsigned long)days), a->oauth.certificate, days, date);
	else
		more(r, "", ngettext("the certificate %s expires in %lld day (%s)",
		    "the certificate %s expires in %lld days (%s)", (unsigned long)days),
		    a->oauth.certificate, days, date);
}

/* An application's grant: nothing to sign in to, so the step fetches a
 * new token with the application's credentials and stores it. */
static enum status
check_app_token(struct report *r, struct credential *cred)
{
	const struct account *a = cred->account;
	struct buf why = BUF_INIT, left = BUF_INIT;
	struct token_info ti;
	char *access = NULL;
	enum status st;

	token_peek(a, cred->callers_file, &ti, &access, &why);
	buf_reset(&why);
	if ((st = token_get(a, cred->callers_file, &cred->access, &cred->expires,
	    access ? access : "", &why)) == ST_OK) {
		duration(&left, cred->expires - (long long)time(NULL));
		step(r, 1, "token", _("the application (%s) got a token from %s; it expires in %s"),
		    a->oauth.grant, oauth_conf_token_service(&a->oauth), buf_str(&left));
	} else {
		step(r, 0, "token", _("the application (%s) of %s got no token"), a->oauth.grant,
		    a->address);
		more(r, "", "%s", buf_str(&why));
	}
	check_certificate(r, a);
	xfree_secret(access);
	buf_free(&why);
	buf_free(&left);
	return st;
}

static enum status
check_token(struct report *r, struct credential *cred)
{
	const struct account *a = cred->account;
	struct buf why = BUF_INIT, left = BUF_INIT;
	struct token_info ti;
	char *access = NULL;
	enum status st;

	if (oauth_conf_app(&a->oauth))
		return check_app_token(r, cred);
	st = token_peek(a, cred->callers_file, &ti, &access, &why);

	duration(&left, ti.expires - (long long)time(NULL));
	if (st != ST_OK || !ti.stored) {
		step(r, 0, "token", st != ST_OK ? "%s" : _("no OAuth2 token is stored for %s"),
		    st != ST_OK ? buf_str(&why) : a->address);
		more(r, hint(), _("sign in once with: sendmail --authorize %s"), a->address);
		st = st != ST_OK ? st : ST_NOPERM;
	} else if (!ti.writable) {
		step(r, 1, "token", _("stored in %s; the access token expires in %s"),
		    a->oauth.token_file, buf_str(&left));
		more(r, "", _("not refreshed: this run may not replace the token file"));
	} else if ((st = token_get(a, cred->callers_file, &cred->access,
	    &cred->expires, access ? access : "", &why)) == ST_OK) {
		buf_reset(&left);
		duration(&left, cred->expires - (long long)time(NULL));
		step(r, 1, "token", _("stored in %s; a refresh works: the new access token expires in %s"),
		    a->oauth.token_file, buf_str(&left));
	} else {
		step(r, 0, "token", _("the refresh of the token of %s failed"), a->address);
		more(r, "", "%s", buf_str(&why));
	}
	xfree_secret(access);
	buf_free(&why);
	buf_free(&left);
	return st;
}

/* Microsoft's refusal of password login: what to add to the config. */
static void
oauth_needed(struct report *r, const struct account *a)
{
	more(r, hint(), _("Microsoft has switched password login off for this mailbox: it needs OAuth2. Add to [%s]:"),
	    a->address);
	more(r, hint_more(), "auth = xoauth2");
	more(r, hint_more(), "oauth = microsoft");
	more(r, hint_more(), _("oauth_client_id = <your application's ID>"));
	more(r, hint_more(), _("then run: sendmail --authorize %s (saatja.ini(5), OAUTH2, says how to register the application)"),
	    a->address);
}

static enum status
check_auth(struct report *r, struct account *a, struct smtp *s)
{
	struct buf why = BUF_INIT, d = BUF_INIT;
	enum status st = smtp_auth(s, &why);
	int refused = smtp_reply_refuses_login(&s->reply);

	for (size_t i = 0; i < s->caps.auth.n; i++)
		buf_list_add(&d, " ", "%s", s->caps.auth.v[i]);
	if (st == ST_OK) {
		step(r, 1, "AUTH", _("logged in as %s with %s"), a->address,
		    smtp_auth_mechanism(s));
		more(r, "", _("the server offers: %s"), buf_str(&d));
	} else if (st == ST_NOPERM && s->reply.complete && token_basic_auth_off(&s->reply)) {
		buf_reset(&d);
		smtp_reply_describe(&s->reply, &d);
		step(r, 0, "AUTH", _("the server refused the password for %s"), a->address);
		more(r, "", _("it said: %s"), buf_str(&d));
		oauth_needed(r, a);
	} else if (st == ST_NOPERM && refused && oauth_conf_mech(a->auth[0])) {
		step(r, 0, "AUTH", _("the server refused the OAuth2 token of %s"), a->address);
		more(r, "", "%s", buf_str(&why));
	} else if (st == ST_NOPERM && refused) {
		buf_reset(&d);
		smtp_reply_describe(&s->reply, &d);
		step(r, 0, "AUTH", _("the server refused the password for %s"),
		    a->address);
		more(r, "", _("it said: %s"), buf_str(&d));
		login_hint(r, a);
	} else {
		step(r, 0, "AUTH", _("cannot log in as %s"), a->address);
		more(r, "", "%s", buf_str(&why));
		more(r, hint(), "%s", status_is_temporary(st) ?
		    _("the server or the network failed on the way; try again later") :
		    _("fix what the line above says, then run the check again"));
	}
	buf_free(&why);
	buf_free(&d);
	return st;
}

static enum status
check_sender(struct report *r, const struct account *a, struct smtp *s)
{
	struct buf why = BUF_INIT;
	enum status st = smtp_try_sender(s, a->address, &why);

	if (st == ST_OK) {
		step(r, 1, STEP_SENDER, _("the server accepts %s as the sender for this login"),
		    a->address);
		more(r, "", _("MAIL FROM:<%s>, then RSET: no message started"), a->address);
	} else if (st == ST_UNAVAILABLE || st == ST_TEMP_SERVER) {
		/* s->reply is the answer to RSET by now; why has MAIL's. */
		step(r, 0, STEP_SENDER, _("the server does not accept %s as the sender for this login"),
		    a->address);
		more(r, "", "%s", buf_str(&why));
		more(r, hint(), "%s", st == ST_TEMP_SERVER ?
		    _("a temporary refusal: try again later; if it persists, ask the provider") :
		    _("the provider sends only from the address you log in with: the section name must be the mailbox's own address (not an alias), and password = that mailbox's password"));
	} else {
		step(r, 0, STEP_SENDER, _("MAIL FROM:<%s> failed"), a->address);
		more(r, "", "%s", buf_str(&why));
		more(r, hint(), _("the server or the network failed on the way; try again later"));
	}
	buf_free(&why);
	return st;
}

/* The one line mailq also prints when nothing will retry waiting mail. */
static void
warn_unattended(const struct config *c, FILE *out)
{
	struct queue q;
	struct queue_entry *v = NULL;
	struct buf ignore = BUF_INIT, warning = BUF_INIT;
	size_t n = 0, waiting = 0;

	queue_find(&q, c);
	if (queue_list(&q, &v, &n, &ignore) == ST_OK) {
		for (size_t i = 0; i < n; i++)
			waiting += !v[i].in_failed;
		if (runner_unattended(&q, waiting, &warning))
			fprintf(out, _("warning: %s\n"), buf_str(&warning));
	}
	queue_list_free(v, n);
	queue_close(&q);
	buf_free(&ignore);
	buf_free(&warning);
}

enum status
check_run(const struct config *c, const char *address, FILE *out,
    struct buf *err)
{
	struct report r;
	struct account *a;
	struct credential cred;
	struct conn probe;
	struct smtp s;
	enum status st;

	/* smtp_close must be safe whichever step stops the check. */
	memset(&s, 0, sizeof s);
	s.conn.fd = -1;
	report_init(&r, out);
	a = pick_account(&r, c, address, err);
	if (a == NULL) {
		fflush(out);
		return ST_CONFIG;
	}
	if (a->timeout == 0 || a->timeout > CHECK_TIMEOUT)
		a->timeout = CHECK_TIMEOUT;
	fprintf(out, _("Checking %s; no message will be sent.\n"), a->address);
	check_config(&r, c, a);
	credential_init(&cred, c, a);
	st = credential_renewable(&cred, a->auth[0]) ? check_token(&r, &cred) : ST_OK;
	if (st == ST_OK)
		st = check_dns(&r, a);
	if (st == ST_OK && a->route.proxy != PROXY_NONE)
		st = check_proxy(&r, a, &probe);
	if (st == ST_OK)
		st = connect_probe(&r, a, &probe);
	if (st == ST_OK)
		st = check_tls(&r, c, a, &cred, &probe, &s);
	if (st == ST_OK)
		st = check_auth(&r, a, &s);
	if (st == ST_OK)
		st = check_sender(&r, a, &s);
	smtp_close(&s);
	credential_free(&cred);
	if (st == ST_OK) {
		step(&r, 1, "QUIT", _("session closed; no message was sent"));
		fprintf(out, _("All steps passed: mail from %s can go out.\n"),
		    a->address);
	} else {
		buf_printf(err, _("the check of %s failed at the %s step (see standard output)"),
		    a->address, r.failed ? r.failed : "?");
	}
	warn_unattended(c, out);
	fflush(out);
	return st;
}
