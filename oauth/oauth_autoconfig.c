/* SPDX-License-Identifier: MIT */
/*
 * oauth_autoconfig - config-v1.1.xml into SMTP servers, with expat; see
 * oauth_autoconfig.h.
 */
#include "autoconf.h"

#include <expat.h>
#include <stdlib.h>
#include <string.h>

#include "oauth_autoconfig.h"
#include "oauth_proto.h"

/* A username longer than this after its placeholders is not an address. */
#define USERNAME_MAX 320
/* How much of a name or value from the document an error message quotes. */
#define QUOTE_MAX 80
/* The longest display name and provider id kept. */
#define NAME_MAX_KEPT 200
#define AUTH_WORD_MAX 40

enum field { F_NONE, F_DISPLAY, F_HOST, F_PORT, F_SOCKET, F_AUTH, F_USER };

/* One <outgoingServer type="smtp"> as the document gives it. */
struct raw_server {
	struct buf host, port, socket, auth, user;
	int has_host, has_port, has_socket, has_user, too_long;
	unsigned long line;
};

struct parse {
	XML_Parser p;
	const char *address;
	struct oauth_autoconfig *c;
	unsigned depth;
	int stopped, in_provider, provider_seen, in_smtp, display_seen;
	size_t smtp_seen;
	enum field field;
	unsigned field_depth;	/* of the element whose text is read */
	struct buf text;
	int text_long;
	struct raw_server cur;
	struct buf why;		/* set when the document is refused */
};

static void
stop(struct parse *s)
{
	s->stopped = 1;
	XML_StopParser(s->p, XML_FALSE);
}

static void
quote(struct buf *out, const char *v)
{
	buf_addc(out, '"');
	oauth_printable(out, v, strlen(v), QUOTE_MAX);
	buf_addc(out, '"');
}

static const char *
attr(const XML_Char **atts, const char *name)
{
	for (size_t i = 0; atts[i] != NULL; i += 2)
		if (strcmp(atts[i], name) == 0)
			return atts[i + 1];
	return NULL;
}

static char *
printable_dup(const char *v, size_t len, size_t max)
{
	struct buf b = BUF_INIT;
	char *r;

	oauth_printable(&b, v, len, max);
	r = xstrdup(buf_str(&b));
	buf_free(&b);
	return r;
}

static void substitute(struct buf *out, const struct buf *in, const char *address);

/* A name from the document (an id, a display name) with the address's
 * parts for its placeholders, printable and cut at NAME_MAX_KEPT. */
static char *
with_address(const char *v, size_t len, const char *address)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	char *r;

	buf_add(&in, v, len);
	substitute(&out, &in, address);
	r = printable_dup(buf_str(&out), out.len, NAME_MAX_KEPT);
	buf_free(&in);
	buf_free(&out);
	return r;
}

static void
raw_reset(struct raw_server *r)
{
	buf_free(&r->host);
	buf_free(&r->port);
	buf_free(&r->socket);
	buf_free(&r->auth);
	buf_free(&r->user);
	memset(r, 0, sizeof *r);
}

static void
start_field(struct parse *s, enum field f)
{
	s->field = f;
	s->field_depth = s->depth;
	s->text_long = 0;
	buf_reset(&s->text);
}

/* The element that opens at depth 3 (in <emailProvider>) or 4 (in an
 * SMTP <outgoingServer>). */
static void
start_inner(struct parse *s, const char *name, const XML_Char **atts)
{
	const char *type;

	if (s->depth == 3) {
		if (strcmp(name, "displayName") == 0 && !s->display_seen) {
			start_field(s, F_DISPLAY);
		} else if (strcmp(name, "outgoingServer") == 0 &&
		    (type = attr(atts, "type")) != NULL && strcmp(type, "smtp") == 0) {
			raw_reset(&s->cur);
			s->cur.line = (unsigned long)XML_GetCurrentLineNumber(s->p);
			s->in_smtp = 1;
		}
		return;
	}
	if (strcmp(name, "hostname") == 0 && !s->cur.has_host)
		start_field(s, F_HOST);
	else if (strcmp(name, "port") == 0 && !s->cur.has_port)
		start_field(s, F_PORT);
	else if (strcmp(name, "socketType") == 0 && !s->cur.has_socket)
		start_field(s, F_SOCKET);
	else if (strcmp(name, "authentication") == 0)
		start_field(s, F_AUTH);
	else if (strcmp(name, "username") == 0 && !s->cur.has_user)
		start_field(s, F_USER);
}

static void XMLCALL
on_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
	struct parse *s = arg;
	const char *id;

	if (s->stopped)
		return;
	if (++s->depth > OAUTH_AUTOCONFIG_DEPTH) {
		buf_printf(&s->why, "line %lu: elements nested more than %d deep",
		    (unsigned long)XML_GetCurrentLineNumber(s->p), OAUTH_AUTOCONFIG_DEPTH);
		stop(s);
		return;
	}
	if (s->depth == 1 && strcmp(name, "clientConfig") != 0) {
		buf_adds(&s->why, "the root element is ");
		quote(&s->why, name);
		buf_adds(&s->why, ", not clientConfig: this is not a mail client configuration");
		stop(s);
	} else if (s->depth == 2 && strcmp(name, "emailProvider") == 0 && !s->provider_seen) {
		s->in_provider = s->provider_seen = 1;
		id = attr(atts, "id");
		s->c->provider = with_address(id ? id : "", id ? strlen(id) : 0, s->address);
	} else if ((s->depth == 3 && s->in_provider) || (s->depth == 4 && s->in_smtp)) {
		start_inner(s, name, atts);
	}
}

static void XMLCALL
on_text(void *arg, const XML_Char *t, int len)
{
	struct parse *s = arg;

	if (s->stopped || s->field == F_NONE || len <= 0)
		return;
	if (s->text.len + (size_t)len > OAUTH_AUTOCONFIG_TEXT)
		s->text_long = 1;
	else
		buf_add(&s->text, t, (size_t)len);
}

/* The text of the element that ended, without the spaces around it. */
static void
trimmed(const struct buf *b, const char **p, size_t *n)
{
	const char *t = buf_str(b);
	size_t len = b->len;

	while (len > 0 && strchr(" \t\r\n", *t) != NULL && *t != '\0') {
		t++;
		len--;
	}
	while (len > 0 && strchr(" \t\r\n", t[len - 1]) != NULL && t[len - 1] != '\0')
		len--;
	*p = t;
	*n = len;
}

static int
auth_word_ok(const char *w, size_t n)
{
	if (n == 0 || n > AUTH_WORD_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= 'A' && w[i] <= 'Z') ||
		    (w[i] >= '0' && w[i] <= '9') || w[i] == '-' || w[i] == '_'))
			return 0;
	return 1;
}

static void
end_field(struct parse *s)
{
	struct raw_server *r = &s->cur;
	const char *t;
	size_t n, words;

	trimmed(&s->text, &t, &n);
	if (s->text_long && s->field != F_DISPLAY && s->field != F_AUTH)
		r->too_long = 1;
	switch (s->field) {
	case F_DISPLAY:
		s->c->display_name = with_address(t, n, s->address);
		s->display_seen = 1;
		break;
	case F_HOST:
		buf_add(&r->host, t, n);
		r->has_host = 1;
		break;
	case F_PORT:
		buf_add(&r->port, t, n);
		r->has_port = 1;
		break;
	case F_SOCKET:
		buf_add(&r->socket, t, n);
		r->has_socket = 1;
		break;
	case F_AUTH:
		words = r->auth.len == 0 ? 0 : 1;
		for (size_t i = 0; i < r->auth.len; i++)
			words += r->auth.data[i] == ',';
		if (!s->text_long && auth_word_ok(t, n) && words < OAUTH_AUTOCONFIG_AUTHS) {
			if (r->auth.len > 0)
				buf_addc(&r->auth, ',');
			buf_add(&r->auth, t, n);
		}
		break;
	case F_USER:
		buf_add(&r->user, t, n);
		r->has_user = 1;
		break;
	case F_NONE:
		break;
	}
	s->field = F_NONE;
}

/* in with the address's parts for the placeholders, into out. */
static void
substitute(struct buf *out, const struct buf *in, const char *address)
{
	const char *at = strrchr(address, '@');
	size_t local = at ? (size_t)(at - address) : strlen(address);
	const char *domain = at ? at + 1 : "";
	const char *p = buf_str(in), *end = p + in->len;

	while (p < end) {
		if (*p == '%' && strncmp(p, "%EMAILADDRESS%", 14) == 0) {
			buf_adds(out, address);
			p += 14;
		} else if (*p == '%' && strncmp(p, "%EMAILLOCALPART%", 16) == 0) {
			buf_add(out, address, local);
			p += 16;
		} else if (*p == '%' && strncmp(p, "%EMAILDOMAIN%", 13) == 0) {
			buf_adds(out, domain);
			p += 13;
		} else {
			buf_addc(out, *p++);
		}
	}
}

/* A DNS name: labels of 1 to 63 letters, digits and '-' (not at either
 * end), at most 253 octets; one final '.' is taken off. */
static int
dns_name_ok(struct buf *h)
{
	size_t label = 0;

	if (h->len > 0 && h->data[h->len - 1] == '.')
		h->data[--h->len] = '\0';
	if (h->len == 0 || h->len > 253)
		return 0;
	for (size_t i = 0; i <= h->len; i++) {
		char ch = i < h->len ? h->data[i] : '.';

		if (ch == '.') {
			if (label == 0 || label > 63 || h->data[i - 1] == '-' ||
			    h->data[i - label] == '-')
				return 0;
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-') {
			label++;
		} else {
			return 0;
		}
	}
	return 1;
}

static unsigned
port_value(const struct buf *p)
{
	unsigned long v = 0;

	if (p->len == 0 || p->len > 5)
		return 0;
	for (size_t i = 0; i < p->len; i++) {
		if (p->data[i] < '0' || p->data[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(p->data[i] - '0');
	}
	return v <= 65535 ? (unsigned)v : 0;
}

static const char *
socket_name(const struct buf *b)
{
	static const char *const names[] = { "SSL", "STARTTLS", "plain" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(buf_str(b), names[i]) == 0)
			return names[i];
	return NULL;
}

/* Checks the server that ended and keeps it in c, or counts it as
 * skipped with the first reason. */
static void
end_server(struct parse *s)
{
	struct raw_server *r = &s->cur;
	struct oauth_autoconfig *c = s->c;
	struct buf host = BUF_INIT, user = BUF_INIT, why = BUF_INIT;
	const char *sock = socket_name(&r->socket);
	unsigned port = port_value(&r->port);

	s->smtp_seen++;
	s->in_smtp = 0;
	substitute(&host, &r->host, s->address);
	substitute(&user, &r->user, s->address);
	if (r->too_long) {
		buf_printf(&why, "a value is over %d octets", OAUTH_AUTOCONFIG_TEXT);
	} else if (!r->has_host) {
		buf_adds(&why, "no hostname");
	} else if (!dns_name_ok(&host)) {
		buf_adds(&why, "the hostname ");
		quote(&why, buf_str(&host));
		buf_adds(&why, " is not a DNS name");
	} else if (!r->has_port) {
		buf_adds(&why, "no port");
	} else if (port == 0) {
		buf_adds(&why, "the port ");
		quote(&why, buf_str(&r->port));
		buf_adds(&why, " is not a number from 1 to 65535");
	} else if (!r->has_socket) {
		buf_adds(&why, "no socketType");
	} else if (sock == NULL) {
		buf_adds(&why, "the socketType ");
		quote(&why, buf_str(&r->socket));
		buf_adds(&why, " is not SSL, STARTTLS or plain");
	} else if (user.len > USERNAME_MAX) {
		buf_printf(&why, "the username is over %d octets", USERNAME_MAX);
	} else if (c->n == OAUTH_AUTOCONFIG_SERVERS) {
		buf_printf(&why, "more than %d SMTP servers", OAUTH_AUTOCONFIG_SERVERS);
	} else {
		struct oauth_autoconfig_server *v = &c->server[c->n++];

		v->host = xstrdup(buf_str(&host));
		v->port = port;
		v->socket = xstrdup(sock);
		v->auth = xstrdup(buf_str(&r->auth));
		v->username = printable_dup(buf_str(&user), user.len, USERNAME_MAX);
	}
	if (why.len > 0 && c->skipped++ == 0)
		buf_printf(&c->skipped_why, "the SMTP server at line %lu: %s", r->line, buf_str(&why));
	buf_free(&host);
	buf_free(&user);
	buf_free(&why);
	raw_reset(r);
}

static void XMLCALL
on_end(void *arg, const XML_Char *name)
{
	struct parse *s = arg;

	(void)name;
	if (s->stopped)
		return;
	if (s->field != F_NONE && s->depth == s->field_depth)
		end_field(s);
	else if (s->depth == 3 && s->in_smtp)
		end_server(s);
	else if (s->depth == 2 && s->in_provider)
		s->in_provider = 0;
	s->depth--;
}

static void XMLCALL
on_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int internal)
{
	struct parse *s = arg;

	(void)name;
	(void)sysid;
	(void)pubid;
	(void)internal;
	if (s->stopped)
		return;
	buf_printf(&s->why, "line %lu: a DOCTYPE declaration, which a mail client configuration never has",
	    (unsigned long)XML_GetCurrentLineNumber(s->p));
	stop(s);
}

void
oauth_autoconfig_free(struct oauth_autoconfig *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->server[i].host);
		free(c->server[i].socket);
		free(c->server[i].auth);
		free(c->server[i].username);
	}
	free(c->provider);
	free(c->display_name);
	buf_free(&c->skipped_why);
	memset(c, 0, sizeof *c);
}

/* What the document lacks, once it was read whole; 0 when nothing. */
static int
missing(const struct parse *s, struct buf *err)
{
	const struct oauth_autoconfig *c = s->c;

	if (!s->provider_seen)
		buf_adds(err, "no emailProvider in clientConfig");
	else if (s->smtp_seen == 0)
		buf_adds(err, "no outgoingServer of type smtp (the file names only servers to read mail from?)");
	else if (c->n == 0)
		buf_printf(err, "no SMTP server that can be used (%zu skipped; %s)",
		    c->skipped, buf_str(&c->skipped_why));
	else
		return 0;
	return -1;
}

int
oauth_autoconfig_parse(const char *xml, size_t len, const char *address,
    struct oauth_autoconfig *c, struct buf *err)
{
	struct parse s;
	enum XML_Status st;
	int rc = -1;

	if (len > OAUTH_AUTOCONFIG_MAX) {
		buf_printf(err, "over %d octets", OAUTH_AUTOCONFIG_MAX);
		return -1;
	}
	memset(&s, 0, sizeof s);
	s.address = address;
	s.c = c;
	s.p = XML_ParserCreate(NULL);
	if (s.p == NULL) {
		buf_adds(err, "expat could not start");
		return -1;
	}
	XML_SetUserData(s.p, &s);
	XML_SetElementHandler(s.p, on_start, on_end);
	XML_SetCharacterDataHandler(s.p, on_text);
	XML_SetStartDoctypeDeclHandler(s.p, on_doctype);
	XML_SetParamEntityParsing(s.p, XML_PARAM_ENTITY_PARSING_NEVER);
	st = XML_Parse(s.p, xml, (int)len, XML_TRUE);
	if (s.why.len > 0)
		buf_adds(err, buf_str(&s.why));
	else if (st != XML_STATUS_OK)
		buf_printf(err, "not well-formed XML at line %lu, column %lu: %s",
		    (unsigned long)XML_GetCurrentLineNumber(s.p),
		    (unsigned long)XML_GetCurrentColumnNumber(s.p) + 1,
		    XML_ErrorString(XML_GetErrorCode(s.p)));
	else
		rc = missing(&s, err);
	XML_ParserFree(s.p);
	raw_reset(&s.cur);
	buf_free(&s.text);
	buf_free(&s.why);
	if (rc == 0) {
		if (c->provider == NULL)
			c->provider = xstrdup("");
		if (c->display_name == NULL)
			c->display_name = xstrdup("");
	} else {
		oauth_autoconfig_free(c);
	}
	return rc;
}
