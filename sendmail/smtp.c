/*
 * smtp - the submission session; see smtp.h.
 *
 * Every command goes through cmd() (or cmd_secret() for AUTH data, which
 * the trace shows as ********) into one output buffer that flush() writes
 * in one go; every reply comes back through read_reply() and the one
 * parser in smtp_reply.c. A command group therefore leaves as one TLS
 * record and one TCP segment, which avoids the delayed-ACK stalls that
 * small writes cause.
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

#include "i18n.h"
#include "password.h"
#include "sasl.h"
#include "smtp.h"
#include "tls.h"
#include "token.h"
#include "util.h"

/* Body writes: large, so that TLS records are full (16 KiB) and few. */
#define CHUNK (64 * 1024)

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

static void
cmd(struct smtp *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
cmd(struct smtp *s, const char *fmt, ...)
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
static void
cmd_secret(struct smtp *s, const char *shown, const char *secret)
{
	struct buf t = BUF_INIT;

	buf_printf(&t, "%s********", shown);
	trace(s, ">>>", t.data, t.len);
	buf_free(&t);
	buf_printf(&s->out, "%s%s\r\n", shown, secret);
}

static enum status
flush(struct smtp *s, struct buf *err)
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

static enum status
read_reply(struct smtp *s, struct buf *err)
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
static enum status
refused(struct smtp *s, const char *what, struct buf *err)
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

	cmd(s, "EHLO %s", s->helo);
	if ((st = flush(s, err)) != ST_OK || (st = read_reply(s, err)) != ST_OK)
		return st;
	if (s->reply.code != 250)
		return refused(s, "EHLO", err);
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

	if (!s->caps.starttls)
		return no_encryption(s, _("did not offer encryption (no STARTTLS in its reply to EHLO)"), err);
	cmd(s, "STARTTLS");
	if ((st = flush(s, err)) != ST_OK || (st = read_reply(s, err)) != ST_OK)
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
	if ((st = tls_start(&s->conn, s->account, err)) != ST_OK) {
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
smtp_open(struct smtp *s, struct account *a, const char *helo, FILE *trace_to,
    struct buf *err)
{
	enum status st;

	memset(s, 0, sizeof *s);
	s->conn.fd = -1;
	s->account = a;
	s->trace = trace_to;
	smtp_reply_init(&s->reply);
	st = net_connect(&s->conn, a->host, a->port, a->timeout, err);
	if (st != ST_OK)
		return st;
	s->helo = helo ? xstrdup(helo) : ehlo_name(s->conn.fd);
	s->open = 1;
	trace_info(s, "connected to");
	if (a->tls == TLS_NONE && !s->conn.loopback) {
		s->open = 0;
		buf_printf(err, _("tls = none is allowed only toward this machine, but %s is %s, not a loopback address; nothing was sent"),
		    a->host, s->conn.ip);
		return ST_NOPERM;
	}
	if (a->tls == TLS_IMPLICIT) {
		if ((st = tls_start(&s->conn, a, err)) != ST_OK) {
			s->open = 0;
			return st;
		}
		trace_info(s, "TLS started with");
	}
	if ((st = read_reply(s, err)) != ST_OK)
		return st;
	if (s->reply.code != 220)
		return refused(s, _("the connection"), err);
	if ((st = ehlo(s, err)) != ST_OK)
		return st;
	if (a->tls == TLS_STARTTLS)
		st = starttls(s, err);
	return st;
}

const char *
smtp_tls_version(const struct smtp *s)
{
	return tls_version(&s->conn);
}

/* Adds the hint for a refused login: the password, and the provider's
 * word on app passwords. */
static void
login_hint(const struct account *a, struct buf *err)
{
	const struct provider *p = a->provider;

	buf_printf(err, _("; check the password of [%s]"), a->address);
	if (p && p->app_password)
		buf_printf(err, _("; %s wants %s, not the mailbox password"),
		    p->name, _(p->password_hint));
	if (p && p->app_password && p->app_password_page)
		buf_printf(err, _(" (made at %s)"), p->app_password_page);
	if (p && p->note)
		buf_printf(err, " (%s)", _(p->note));
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
	struct buf resp = BUF_INIT, what = BUF_INIT, refusal = BUF_INIT;
	enum status st;
	int done = 0;

	*next = *bad_token = 0;
	if ((st = sasl_begin(&x, mech, a->address, secret, err)) != ST_OK)
		return st;
	if (sasl_initial_response(mech)) {
		struct buf shown = BUF_INIT;

		st = sasl_step(x, NULL, &resp, &done, err);
		buf_printf(&shown, "AUTH %s ", mech);
		if (st == ST_OK)
			cmd_secret(s, shown.data, resp.len ? resp.data : "=");
		buf_free(&shown);
	} else {
		cmd(s, "AUTH %s", mech);
	}
	if (st == ST_OK && (st = flush(s, err)) == ST_OK)
		st = read_reply(s, err);
	while (st == ST_OK && s->reply.code == 334) {
		if (done) {
			/* The mechanism is finished but the server asks more. */
			cmd(s, "*");
			if ((st = flush(s, err)) == ST_OK)
				st = read_reply(s, err);
			if (st == ST_OK) {
				buf_printf(err, _("the server asked for more AUTH %s data than the mechanism has"),
				    mech);
				st = ST_PROTOCOL;
			}
			break;
		}
		st = sasl_step(x, buf_str(&s->reply.text), &resp, &done, err);
		if (st == ST_OK) {
			cmd_secret(s, "", resp.data ? resp.data : "");
			if ((st = flush(s, err)) == ST_OK)
				st = read_reply(s, err);
		}
	}
	sasl_wipe(&resp);
	buf_free(&resp);
	if (sasl_refusal(x))
		buf_adds(&refusal, sasl_refusal(x));
	sasl_end(x);
	if (st != ST_OK || s->reply.code == 235) {
		buf_free(&refusal);
		return st;
	}
	buf_printf(&what, "the login of %s (AUTH %s)", a->address, mech);
	st = refused(s, buf_str(&what), err);
	buf_free(&what);
	*next = s->reply.code == 504;	/* mechanism not available */
	*bad_token = st == ST_UNAVAILABLE && !*next && config_mech_is_oauth(mech);
	if (st == ST_UNAVAILABLE) {
		if (!token_login_hint(a, mech, &s->reply, buf_str(&refusal), err) &&
		    (s->reply.code == 535 || s->reply.code == 534 || s->reply.code == 530))
			login_hint(a, err);
		st = ST_NOPERM;
	}
	buf_free(&refusal);
	return st;
}

/* The secret mech needs: an access token from the store, or the
 * password (which may be a token, msmtp style). */
static enum status
secret_for(struct smtp *s, const char *mech, const char **secret, struct buf *err)
{
	struct account *a = s->account;
	enum status st;

	if (config_mech_is_oauth(mech) && a->oauth.store) {
		st = token_get(a, NULL, err);
		*secret = a->oauth.access;
	} else {
		st = password_get(a, err);
		*secret = a->password;
	}
	return st;
}

/* Closes the session and opens it again (for a second AUTH). */
static enum status
reopen(struct smtp *s, struct buf *err)
{
	struct account *a = s->account;
	FILE *to = s->trace;
	char *helo = xstrdup(s->helo);
	enum status st;

	smtp_close(s);
	st = smtp_open(s, a, helo, to, err);
	free(helo);
	return st;
}

/*
 * AUTH with mech. A bearer token from the store that the server refuses
 * although the store thought it valid gets one forced refresh (unless
 * another process has stored a newer token meanwhile) and one more AUTH
 * on a new connection (SPEC 3.1).
 */
static enum status
auth_once(struct smtp *s, const char *mech, int *next, struct buf *err)
{
	struct account *a = s->account;
	const char *secret = NULL;
	size_t mark = err->len;
	enum status st;
	int bad_token;
	char *refused;

	if ((st = secret_for(s, mech, &secret, err)) != ST_OK)
		return st;
	st = auth_with(s, mech, secret, next, &bad_token, err);
	if (st != ST_NOPERM || !bad_token || !a->oauth.store)
		return st;
	refused = xstrdup(a->oauth.access);
	err->len = mark;
	err->data[mark] = '\0';
	st = token_get(a, refused, err);
	xfree_secret(refused);
	if (st == ST_OK)
		st = reopen(s, err);
	if (st == ST_OK)
		st = auth_with(s, mech, a->oauth.access, next, &bad_token, err);
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
			buf_printf(&mine, "%s%s", i ? " " : "", a->auth[i]);
		for (size_t i = 0; i < s->caps.auth.n; i++)
			buf_printf(&theirs, "%s%s", i ? " " : "", s->caps.auth.v[i]);
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

static int
headers_8bit(const struct message *m)
{
	for (size_t i = 0; i < m->nhdrs; i++)
		for (const unsigned char *p = (const unsigned char *)m->hdrs[i].field;
		    *p; p++)
			if (*p >= 0x80)
				return 1;
	return 0;
}

static off_t
message_size(const struct message *m)
{
	off_t n = 2 + (m->body_fd >= 0 ? m->body_size : 0);

	for (size_t i = 0; i < m->nhdrs; i++)
		n += (off_t)strlen(m->hdrs[i].field) + 2;
	return n;
}

/* Appends p to out, doubling a '.' that starts a line. */
static void
stuff(struct buf *out, const char *p, size_t n, int *bol)
{
	while (n) {
		const char *lf = memchr(p, '\n', n);
		size_t take = lf ? (size_t)(lf - p) + 1 : n;

		if (*bol && *p == '.')
			buf_addc(out, '.');
		buf_add(out, p, take);
		*bol = lf != NULL;
		p += take;
		n -= take;
	}
}

/* Streams m after 354: header fields, empty line, body, final dot. */
static enum status
send_message(struct smtp *s, const struct message *m, off_t *size,
    struct buf *err)
{
	struct buf out = BUF_INIT;
	char *block = NULL;
	off_t off = 0;
	int bol = 1;
	enum status st = ST_OK;

	*size = 0;
	for (size_t i = 0; i < m->nhdrs; i++) {
		stuff(&out, m->hdrs[i].field, strlen(m->hdrs[i].field), &bol);
		stuff(&out, "\r\n", 2, &bol);
	}
	stuff(&out, "\r\n", 2, &bol);
	if (m->body_fd >= 0)
		block = xmalloc(CHUNK);
	while (st == ST_OK && m->body_fd >= 0 && off < m->body_size) {
		ssize_t got = pread(m->body_fd, block, CHUNK, off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			buf_printf(err, _("cannot read the spooled message back: %s"),
			    got < 0 ? strerror(errno) : _("it is shorter than it was"));
			st = ST_IOERR;
			break;
		}
		off += got;
		stuff(&out, block, (size_t)got, &bol);
		if (out.len >= CHUNK) {
			*size += (off_t)out.len;
			st = net_write(&s->conn, out.data, out.len, err);
			buf_reset(&out);
		}
	}
	free(block);
	if (st != ST_OK) {
		buf_free(&out);
		s->open = 0;	/* DATA cannot be ended cleanly any more */
		return st;
	}
	if (!bol)
		buf_adds(&out, "\r\n");
	*size += (off_t)out.len;
	if (s->trace)
		fprintf(s->trace, ">>> (%lld octets of message)\n>>> .\n",
		    (long long)*size);
	buf_adds(&out, ".\r\n");
	st = net_write(&s->conn, out.data, out.len, err);
	buf_free(&out);
	if (st != ST_OK)
		s->open = 0;
	else
		s->turns++;
	return st;
}

static void
mail_command(struct smtp *s, const struct smtp_envelope *e,
    const struct message *m, off_t size)
{
	struct buf params = BUF_INIT;
	int eight = m->body_8bit || headers_8bit(m) ||
	    (e->body_type && strcasecmp(e->body_type, "8BITMIME") == 0);

	if (s->caps.has_size)
		buf_printf(&params, " SIZE=%lld", (long long)size);
	if (s->caps.eightbitmime)
		buf_adds(&params, eight ? " BODY=8BITMIME" :
		    e->body_type ? " BODY=7BIT" : "");
	if (e->smtputf8)
		buf_adds(&params, " SMTPUTF8");
	if (s->caps.dsn && e->dsn_ret)
		buf_printf(&params, " RET=%s",
		    strcasecmp(e->dsn_ret, "full") == 0 ? "FULL" : "HDRS");
	if (s->caps.dsn && e->dsn_envid)
		buf_printf(&params, " ENVID=%s", e->dsn_envid);
	cmd(s, "MAIL FROM:<%s>%s", e->from, buf_str(&params));
	buf_free(&params);
}

static void
rcpt_command(struct smtp *s, const struct smtp_envelope *e, size_t i)
{
	struct buf notify = BUF_INIT;

	if (s->caps.dsn && e->dsn_notify) {
		buf_adds(&notify, " NOTIFY=");
		for (const char *p = e->dsn_notify; *p; p++)
			buf_addc(&notify, (char)toupper((unsigned char)*p));
	}
	cmd(s, "RCPT TO:<%s>%s", e->rcpts->v[i], buf_str(&notify));
	buf_free(&notify);
}

/* Refuses before MAIL what the server said it cannot take. */
static enum status
precheck(struct smtp *s, const struct smtp_envelope *e, off_t size,
    struct buf *err)
{
	if (s->caps.size && (unsigned long long)size > s->caps.size) {
		buf_printf(err, _("the message is %lld octets, but the server %s accepts at most %llu; nothing was sent. Send the attachment another way (a link, or split it)"),
		    (long long)size, net_name(&s->conn), s->caps.size);
		return ST_UNAVAILABLE;
	}
	if (e->smtputf8 && !s->caps.smtputf8) {
		buf_printf(err, _("an address of this message is not plain ASCII and needs SMTPUTF8, which the server %s does not offer; nothing was sent"),
		    net_name(&s->conn));
		return ST_UNAVAILABLE;
	}
	return ST_OK;
}

/* The outcome when every recipient was refused. */
static enum status
all_refused(struct smtp *s, const struct smtp_result *r, struct buf *err)
{
	int permanent = 0;

	buf_printf(err, _("the server %s refused every recipient:"), net_name(&s->conn));
	for (size_t i = 0; i < r->n; i++) {
		buf_printf(err, "%s %s (%s)", i ? "," : "", r->rcpts[i].addr,
		    r->rcpts[i].reply ? r->rcpts[i].reply : "no reply");
		if (r->rcpts[i].reply && r->rcpts[i].reply[0] == '5')
			permanent = 1;
	}
	return permanent ? ST_NOUSER : ST_TEMP_SERVER;
}

enum status
smtp_send(struct smtp *s, const struct smtp_envelope *e,
    const struct message *m, struct smtp_result *r, struct buf *err)
{
	off_t size = message_size(m);
	int pipe = s->caps.pipelining, mail_ok = 0, data_ok = 0;
	size_t accepted = 0;
	enum status st, failed = ST_OK;
	struct buf what = BUF_INIT;

	memset(r, 0, sizeof *r);
	buf_init(&r->reply);
	r->n = e->rcpts->n;
	r->rcpts = xcalloc(r->n ? r->n : 1, sizeof *r->rcpts);
	for (size_t i = 0; i < r->n; i++)
		r->rcpts[i].addr = e->rcpts->v[i];
	if (!s->open)
		return ST_TEMP_PROTOCOL;
	if ((st = precheck(s, e, size, err)) != ST_OK)
		return st;

	if (s->rset_pending)
		cmd(s, "RSET");
	mail_command(s, e, m, size);
	for (size_t i = 0; pipe && i < r->n; i++)
		rcpt_command(s, e, i);
	if (pipe)
		cmd(s, "DATA");
	if ((st = flush(s, err)) != ST_OK)
		return st;
	if (s->rset_pending) {
		s->rset_pending = 0;
		if ((st = read_reply(s, err)) != ST_OK)
			return st;
		if (s->reply.code != 250) {
			/* Not this message's fault, and the rest of the
			 * pipeline is answered, unread: the session cannot go
			 * on, the message waits for the next one. */
			refused(s, "RSET", err);
			s->open = 0;
			return ST_TEMP_PROTOCOL;
		}
	}
	if ((st = read_reply(s, err)) != ST_OK)
		return st;
	if (s->reply.code / 100 == 2)
		mail_ok = 1;
	else {
		buf_printf(&what, _("the sender MAIL FROM:<%s>"), e->from);
		failed = refused(s, buf_str(&what), err);
		buf_free(&what);
	}
	for (size_t i = 0; i < r->n && (pipe || mail_ok); i++) {
		if (!pipe) {
			rcpt_command(s, e, i);
			if ((st = flush(s, err)) != ST_OK)
				return st;
		}
		if ((st = read_reply(s, err)) != ST_OK)
			return st;
		if (s->reply.code / 100 == 2) {
			r->rcpts[i].accepted = 1;
			accepted++;
		} else {
			struct buf d = BUF_INIT;

			smtp_reply_describe(&s->reply, &d);
			r->rcpts[i].reply = buf_take(&d);
			r->refused++;
		}
	}
	if (mail_ok && accepted == 0 && failed == ST_OK)
		failed = all_refused(s, r, err);
	if (pipe || failed == ST_OK) {
		if (!pipe) {
			cmd(s, "DATA");
			if ((st = flush(s, err)) != ST_OK)
				return st;
		}
		if ((st = read_reply(s, err)) != ST_OK)
			return st;
		data_ok = s->reply.code == 354;
		if (!data_ok && failed == ST_OK)
			failed = refused(s, "DATA", err);
	}
	if (data_ok && failed != ST_OK) {
		/* The server wants data it will not deliver: send none. */
		cmd(s, ".");
		if ((st = flush(s, err)) != ST_OK ||
		    (st = read_reply(s, err)) != ST_OK)
			return st;
	} else if (data_ok) {
		if ((st = send_message(s, m, &r->size, err)) != ST_OK ||
		    (st = read_reply(s, err)) != ST_OK)
			return st;
		smtp_reply_describe(&s->reply, &r->reply);
		if (s->reply.code / 100 == 2)
			return ST_OK;
		failed = refused(s, _("the message"), err);
	}
	/* Leave the session ready for the next transaction. */
	if (s->open) {
		struct buf ignore = BUF_INIT;

		smtp_reset(s, &ignore);
		buf_free(&ignore);
	}
	return failed;
}

void
smtp_result_free(struct smtp_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->rcpts[i].reply);
	free(r->rcpts);
	buf_free(&r->reply);
	memset(r, 0, sizeof *r);
}

enum status
smtp_reset(struct smtp *s, struct buf *err)
{
	enum status st;

	if (!s->open)
		return ST_TEMP_PROTOCOL;
	if (s->caps.pipelining) {
		s->rset_pending = 1;
		return ST_OK;
	}
	cmd(s, "RSET");
	if ((st = flush(s, err)) != ST_OK || (st = read_reply(s, err)) != ST_OK)
		return st;
	return s->reply.code == 250 ? ST_OK : refused(s, "RSET", err);
}

enum status
smtp_try_sender(struct smtp *s, const char *from, struct buf *err)
{
	struct buf what = BUF_INIT;
	enum status st, verdict = ST_OK;

	if (!s->open)
		return ST_TEMP_PROTOCOL;
	cmd(s, "MAIL FROM:<%s>", from);
	if (s->caps.pipelining)
		cmd(s, "RSET");
	if ((st = flush(s, err)) != ST_OK || (st = read_reply(s, err)) != ST_OK)
		return st;
	if (s->reply.code / 100 != 2) {
		buf_printf(&what, "the sender MAIL FROM:<%s>", from);
		verdict = refused(s, buf_str(&what), err);
		buf_free(&what);
	}
	if (!s->caps.pipelining) {
		cmd(s, "RSET");
		if ((st = flush(s, err)) != ST_OK)
			return st;
	}
	if ((st = read_reply(s, err)) != ST_OK)
		return st;
	return verdict;
}

void
smtp_close(struct smtp *s)
{
	if (s->open && s->conn.fd >= 0) {
		struct buf ignore = BUF_INIT;

		/* The mail is delivered; the reply to QUIT changes nothing. */
		cmd(s, "QUIT");
		flush(s, &ignore);
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
