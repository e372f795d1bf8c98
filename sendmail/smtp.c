/* SPDX-License-Identifier: MIT */
/*
 * smtp - the submission session: connect, EHLO, STARTTLS, AUTH, QUIT,
 * and the command and reply plumbing (smtp_io.h); the mail transactions
 * are in smtp_mail.c. See smtp.h.
 *
 * Every command goes through smtp_put() (or smtp_put_secret() for AUTH
 * data, which the trace shows as ********) into one output buffer that
 * smtp_flush() writes in one go; every reply comes back through
 * smtp_read_reply() and the one parser in smtp_reply.c. A command group
 * therefore leaves as one TLS record and one TCP segment, which avoids
 * the delayed-ACK stalls that small writes cause.
 */
#include "autoconf.h"

#include <ctype.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "credential.h"
#include "i18n.h"
#include "proxy.h"
#include "sasl.h"
#include "smtp.h"
#include "smtp_io.h"
#include "tls.h"
#include "util.h"

static void
trace(struct smtp *s, const char *dir, const char *p, size_t n)
{
	if (s->trace == NULL)
		return;
	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	fprintf(s->trace, "%s %.*s\n", dir, (int)n, p);
}

static void
trace_info(struct smtp *s, const char *what)
{
	struct buf b = BUF_INIT;

	if (s->trace == NULL)
		return;
	buf_printf(&b, "%s ", what);
	net_describe(&s->conn, &b);
	if (s->conn.tls)
		buf_printf(&b, " (%s)", tls_version(&s->conn));
	trace(s, "---", b.data, b.len);
	buf_free(&b);
}

void
smtp_put(struct smtp *s, const char *fmt, ...)
{
	size_t start = s->out.len;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&s->out, fmt, ap);
	va_end(ap);
	trace(s, ">>>", s->out.data + start, s->out.len - start);
	buf_adds(&s->out, "\r\n");
}

/* Queues shown followed by secret; the trace shows shown and ********. */
void
smtp_put_secret(struct smtp *s, const char *shown, const char *secret)
{
	struct buf t = BUF_INIT;

	buf_printf(&t, "%s********", shown);
	trace(s, ">>>", t.data, t.len);
	buf_free(&t);
	buf_printf(&s->out, "%s%s\r\n", shown, secret);
}

enum status
smtp_flush(struct smtp *s, struct buf *err)
{
	enum status st = ST_OK;

	if (s->out.len)
		st = net_write(&s->conn, s->out.data, s->out.len, err);
	/* The buffer may have held AUTH data. */
	if (s->out.data)
		explicit_bzero(s->out.data, s->out.len);
	buf_reset(&s->out);
	if (s->trace)
		fflush(s->trace);
	if (st != ST_OK)
		s->open = 0;
	else
		s->turns++;
	return st;
}

enum status
smtp_read_reply(struct smtp *s, struct buf *err)
{
	enum status st;

	smtp_reply_reset(&s->reply);
	do {
		st = net_read_line(&s->conn, &s->line, SMTP_LINE_MAX, err);
		if (st == ST_OK) {
			trace(s, "<<<", s->line.data, s->line.len);
			st = smtp_reply_add(&s->reply, s->line.data, s->line.len,
			    err);
		}
	} while (st == ST_OK && !s->reply.complete);
	if (s->trace)
		fflush(s->trace);
	if (st != ST_OK) {
		s->open = 0;
		if (st == ST_PROTOCOL)
			buf_printf(err, _(" from %s"), net_name(&s->conn));
	}
	return st;
}

/* The status a reply stands for when it is not the one expected. */
static enum status
reply_status(const struct smtp_reply *r)
{
	if (r->code >= 400 && r->code < 500)
		return ST_TEMP_SERVER;
	if (r->code >= 500)
		return ST_UNAVAILABLE;
	return ST_PROTOCOL;
}

/* err := "the server H[ip]:p <verb> <what>: <reply>" */
enum status
smtp_refused(struct smtp *s, const char *what, struct buf *err)
{
	enum status st = reply_status(&s->reply);

	/* TRANSLATORS: the second %s is a command ("EHLO", "RSET"), "the
	 * message" or "the sender MAIL FROM:<address>" */
	buf_printf(err, st == ST_PROTOCOL ? _("the server %s answered unexpectedly to %s: ") :
	    _("the server %s refused %s: "), net_name(&s->conn), what);
	smtp_reply_describe(&s->reply, err);
	return st;
}

static enum status
ehlo(struct smtp *s, struct buf *err)
{
	enum status st;

	smtp_put(s, "EHLO %s", s->helo);
	if ((st = smtp_flush(s, err)) != ST_OK || (st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	if (s->reply.code != 250)
		return smtp_refused(s, "EHLO", err);
	smtp_caps_parse(&s->caps, &s->reply);
	return ST_OK;
}

static enum status
no_encryption(struct smtp *s, const char *why, struct buf *err)
{
	/* TRANSLATORS: the second %s says what the server did: "did not offer
	 * encryption (...)" or "refused to start encryption (...)" */
	buf_printf(err, _("the server %s %s, so nothing was sent: saatja never sends a password or mail unencrypted. Check the port and tls = in the config (587 with starttls, 465 with tls)"),
	    net_name(&s->conn), why);
	return ST_NOPERM;
}

static enum status
starttls(struct smtp *s, struct buf *err)
{
	struct buf why = BUF_INIT;
	enum status st;
	struct tls_params tp;

	if (!s->caps.starttls)
		return no_encryption(s, _("did not offer encryption (no STARTTLS in its reply to EHLO)"), err);
	smtp_put(s, "STARTTLS");
	if ((st = smtp_flush(s, err)) != ST_OK || (st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	if (s->reply.code != 220) {
		buf_adds(&why, _("refused to start encryption ("));
		smtp_reply_describe(&s->reply, &why);
		buf_addc(&why, ')');
		st = no_encryption(s, buf_str(&why), err);
		buf_free(&why);
		return st;
	}
	if (net_pending(&s->conn)) {
		/* Plaintext injected after the 220 must not count as TLS data. */
		s->open = 0;
		buf_printf(err, _("the server %s sent data right after agreeing to STARTTLS (a known attack on STARTTLS); nothing was sent"),
		    net_name(&s->conn));
		return ST_PROTOCOL;
	}
	tp = smtp_tls_params(s->account, &s->conn);
	if ((st = tls_start(&s->conn, &tp, err)) != ST_OK) {
		s->open = 0;
		return st;
	}
	trace_info(s, "TLS started with");
	return ehlo(s, err);
}

/*
 * The EHLO name when the config gives none: this host's fully qualified
 * name, or, when it has no domain (a bare "web1" that some providers
 * refuse), the address literal of our end of the connection, as RFC 5321
 * §4.1.3 allows.
 */
static char *
ehlo_name(int fd)
{
	const char *fqdn = host_fqdn();
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char ip[INET6_ADDRSTRLEN];
	struct buf b = BUF_INIT;

	if (strchr(fqdn, '.') || getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return xstrdup(fqdn);
	if (ss.ss_family == AF_INET &&
	    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip))
		buf_printf(&b, "[%s]", ip);
	else if (ss.ss_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof ip))
		buf_printf(&b, "[IPv6:%s]", ip);
	else
		buf_adds(&b, fqdn);
	return buf_take(&b);
}

enum status
smtp_open(struct smtp *s, struct account *a, struct credential *cred,
    const char *helo, FILE *trace_to, struct buf *err)
{
	enum status st;
	struct tls_params tp;

	memset(s, 0, sizeof *s);
	s->conn.fd = -1;
	s->account = a;
	s->cred = cred;
	s->trace = trace_to;
	smtp_reply_init(&s->reply);
	st = proxy_connect(&s->conn, &a->route, a->host, a->port, a->timeout, err);
	if (st != ST_OK)
		return st;
	s->helo = helo ? xstrdup(helo) : ehlo_name(s->conn.fd);
	s->open = 1;
	trace_info(s, "connected to");
	if (a->tls == TLS_NONE && !s->conn.loopback) {
		s->open = 0;
		if (s->conn.via)
			buf_printf(err, _("tls = none is allowed only toward this machine, but the proxy %s is not a loopback address, or the server is not one; nothing was sent"),
			    s->conn.via);
		else
			buf_printf(err, _("tls = none is allowed only toward this machine, but %s is %s, not a loopback address; nothing was sent"),
			    a->host, s->conn.ip);
		return ST_NOPERM;
	}
	if (a->tls == TLS_IMPLICIT) {
		tp = smtp_tls_params(a, &s->conn);
		if ((st = tls_start(&s->conn, &tp, err)) != ST_OK) {
			s->open = 0;
			return st;
		}
		trace_info(s, "TLS started with");
	}
	if ((st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	if (s->reply.code != 220)
		return smtp_refused(s, _("the connection"), err);
	if ((st = ehlo(s, err)) != ST_OK)
		return st;
	if (a->tls == TLS_STARTTLS)
		st = starttls(s, err);
	return st;
}

struct tls_params
smtp_tls_params(const struct account *a, const struct conn *c)
{
	struct tls_params p = { a->host, a->ca_file,
	    a->has_fingerprint ? a->fingerprint : NULL, c->timeout_ms,
	    a->tls == TLS_IMPLICIT };

	return p;
}

const char *
smtp_tls_version(const struct smtp *s)
{
	return tls_version(&s->conn);
}

/*
 * The AUTH command and its challenges, up to the server's last reply
 * (in s->reply): the initial response where mech has one, then one
 * response a 334. Responses are secrets: the trace shows them redacted,
 * and they are wiped once sent.
 */
static enum status
auth_exchange(struct smtp *s, struct sasl *x, const char *mech,
    struct buf *err)
{
	struct buf resp = BUF_INIT;
	enum status st = ST_OK;
	int done = 0;

	if (sasl_initial_response(mech)) {
		struct buf shown = BUF_INIT;

		st = sasl_step(x, NULL, &resp, &done, err);
		buf_printf(&shown, "AUTH %s ", mech);
		if (st == ST_OK)
			smtp_put_secret(s, shown.data, resp.len ? resp.data : "=");
		buf_free(&shown);
	} else {
		smtp_put(s, "AUTH %s", mech);
	}
	if (st == ST_OK && (st = smtp_flush(s, err)) == ST_OK)
		st = smtp_read_reply(s, err);
	while (st == ST_OK && s->reply.code == 334) {
		if (done) {
			/* The mechanism is finished but the server asks more. */
			smtp_put(s, "*");
			if ((st = smtp_flush(s, err)) == ST_OK)
				st = smtp_read_reply(s, err);
			if (st == ST_OK) {
				buf_printf(err, _("the server asked for more AUTH %s data than the mechanism has"),
				    mech);
				st = ST_PROTOCOL;
			}
			break;
		}
		st = sasl_step(x, buf_str(&s->reply.text), &resp, &done, err);
		if (st == ST_OK) {
			smtp_put_secret(s, "", resp.data ? resp.data : "");
			if ((st = smtp_flush(s, err)) == ST_OK)
				st = smtp_read_reply(s, err);
		}
	}
	buf_free_secret(&resp);
	return st;
}

/* One AUTH exchange with secret (a password or an access token). *next
 * is set when the server refused the mechanism itself, so that the next
 * one may be tried; *bad_token when it refused a bearer token. */
static enum status
auth_with(struct smtp *s, const char *mech, const char *secret, int *next,
    int *bad_token, struct buf *err)
{
	struct account *a = s->account;
	struct sasl *x = NULL;
	struct buf what = BUF_INIT, refusal = BUF_INIT;
	enum status st;

	*next = *bad_token = 0;
	if ((st = sasl_begin(&x, mech, a->address, secret, err)) != ST_OK)
		return st;
	st = auth_exchange(s, x, mech, err);
	if (sasl_refusal(x))
		buf_adds(&refusal, sasl_refusal(x));
	sasl_end(x);
	if (st != ST_OK || s->reply.code == 235) {
		buf_free(&refusal);
		return st;
	}
	buf_printf(&what, "the login of %s (AUTH %s)", a->address, mech);
	st = smtp_refused(s, buf_str(&what), err);
	buf_free(&what);
	*next = s->reply.code == 504;	/* mechanism not available */
	*bad_token = st == ST_UNAVAILABLE && !*next && oauth_conf_mech(mech);
	if (st == ST_UNAVAILABLE) {
		credential_refused(s->cred, mech, &s->reply, buf_str(&refusal),
		    err);
		st = ST_NOPERM;
	}
	buf_free(&refusal);
	return st;
}

/* Closes the session and opens it again (for a second AUTH). */
static enum status
reopen(struct smtp *s, struct buf *err)
{
	struct account *a = s->account;
	struct credential *cred = s->cred;
	FILE *to = s->trace;
	char *helo = xstrdup(s->helo);
	enum status st;

	smtp_close(s);
	st = smtp_open(s, a, cred, helo, to, err);
	free(helo);
	return st;
}

/*
 * AUTH with mech. A bearer token from the store that the server refuses
 * although the store thought it valid gets one forced refresh (unless
 * another process has stored a newer token meanwhile) and one more AUTH
 * on a new connection (OAUTH2 in saatja.ini(5)).
 */
static enum status
auth_once(struct smtp *s, const char *mech, int *next, struct buf *err)
{
	const char *secret = NULL;
	size_t mark = err->len;
	enum status st;
	int bad_token;
	char *refused;

	if ((st = credential_get(s->cred, mech, NULL, &secret, err)) != ST_OK)
		return st;
	st = auth_with(s, mech, secret, next, &bad_token, err);
	if (st != ST_NOPERM || !bad_token || !credential_renewable(s->cred, mech))
		return st;
	refused = xstrdup(secret);
	err->len = mark;
	err->data[mark] = '\0';
	st = credential_get(s->cred, mech, refused, &secret, err);
	xfree_secret(refused);
	if (st == ST_OK)
		st = reopen(s, err);
	if (st == ST_OK)
		st = auth_with(s, mech, secret, next, &bad_token, err);
	return st;
}

enum status
smtp_auth(struct smtp *s, struct buf *err)
{
	struct account *a = s->account;
	struct buf mine = BUF_INIT, theirs = BUF_INIT;
	const char *mech;
	size_t from = 0, mark = err->len;
	enum status st;
	int next = 0;

	if (!s->open)
		return ST_TEMP_PROTOCOL;
	if (s->conn.tls == NULL && !(a->tls == TLS_NONE && s->conn.loopback))
		return no_encryption(s, "is not encrypted", err);
	mech = sasl_choose(a, &s->caps.auth, &from);
	if (mech == NULL) {
		for (size_t i = 0; i < a->nauth; i++)
			buf_list_add(&mine, " ", "%s", a->auth[i]);
		for (size_t i = 0; i < s->caps.auth.n; i++)
			buf_list_add(&theirs, " ", "%s", s->caps.auth.v[i]);
		if (s->caps.auth.n)
			buf_printf(err, _("the server %s offers login with %s, but the account allows only %s (auth = in the config); nothing was sent"),
			    net_name(&s->conn), theirs.data, mine.data);
		else
			buf_printf(err, _("the server %s offers no login (AUTH); is this the provider's submission port (587 or 465)? Nothing was sent"),
			    net_name(&s->conn));
		buf_free(&mine);
		buf_free(&theirs);
		return ST_NOPERM;
	}
	do {
		/* Only the last refusal counts. */
		if (err->data) {
			err->len = mark;
			err->data[mark] = '\0';
		}
		st = auth_once(s, mech, &next, err);
	} while (st != ST_OK && next &&
	    (mech = sasl_choose(a, &s->caps.auth, &from)) != NULL);
	if (st == ST_OK)
		s->mech = mech;
	return st;
}

const char *
smtp_auth_mechanism(const struct smtp *s)
{
	return s->mech;
}

FILE *
smtp_trace_open(const char *transcript, int verbose)
{
	gid_t egid = getegid();
	FILE *f;

	if (transcript == NULL)
		return verbose ? stderr : NULL;
	if (egid != getgid() && setegid(getgid()) != 0)
		return NULL;
	f = fopen(transcript, "ae");
	if (egid != getegid() && setegid(egid) != 0) {
		if (f)
			fclose(f);
		return NULL;
	}
	return f;
}

void
smtp_trace_close(FILE *trace)
{
	if (trace && trace != stderr)
		fclose(trace);
}

void
smtp_abandon(struct smtp *s)
{
	tls_discard(&s->conn);
	s->open = 0;
	smtp_close(s);
}

void
smtp_close(struct smtp *s)
{
	if (s->open && s->conn.fd >= 0) {
		struct buf ignore = BUF_INIT;

		/* The mail is delivered; the reply to QUIT changes nothing. */
		smtp_put(s, "QUIT");
		smtp_flush(s, &ignore);
		buf_free(&ignore);
	}
	tls_end(&s->conn);
	net_close(&s->conn);
	smtp_caps_free(&s->caps);
	smtp_reply_free(&s->reply);
	buf_free(&s->out);
	buf_free(&s->line);
	free(s->helo);
	s->helo = NULL;
	s->open = 0;
}
