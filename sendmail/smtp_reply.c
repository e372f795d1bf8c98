/* SPDX-License-Identifier: MIT */
/*
 * smtp_reply - reply and EHLO capability parsing; see smtp_reply.h.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp_reply.h"

void
smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->text);
}

void
smtp_reply_reset(struct smtp_reply *r)
{
	r->code = 0;
	r->enh[0] = '\0';
	r->size = 0;
	r->complete = 0;
	buf_reset(&r->text);
}

void
smtp_reply_free(struct smtp_reply *r)
{
	buf_free(&r->text);
	smtp_reply_init(r);
}

static enum status
garbage(const char *why, const char *line, size_t len, struct buf *err)
{
	buf_printf(err, "the server broke the SMTP protocol (%s): \"", why);
	for (size_t i = 0; i < len && i < 80; i++)
		buf_addc(err, isprint((unsigned char)line[i]) ? line[i] : '?');
	buf_adds(err, len > 80 ? "...\"" : "\"");
	return ST_PROTOCOL;
}

/* Length of 1 to 3 digits at p, or 0. */
static size_t
digits(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && i < 4 && isdigit((unsigned char)p[i]))
		i++;
	return i <= 3 ? i : 0;
}

/* Length of an RFC 3463 code "c.sss.ddd" at p whose class is cls, or 0. */
static size_t
enhanced_code(const char *p, size_t len, char cls)
{
	size_t i, n;

	if (len < 5 || p[0] != cls || p[1] != '.')
		return 0;
	i = 2;
	if ((n = digits(p + i, len - i)) == 0 || i + n >= len ||
	    p[i + n] != '.')
		return 0;
	i += n + 1;
	if ((n = digits(p + i, len - i)) == 0)
		return 0;
	i += n;
	return i == len || p[i] == ' ' ? i : 0;
}

enum status
smtp_reply_add(struct smtp_reply *r, const char *line, size_t len,
    struct buf *err)
{
	int code;
	size_t n;

	if (r->complete)
		return garbage("a line after the end of a reply", line, len, err);
	r->size += len;
	if (r->size > SMTP_REPLY_MAX) {
		buf_printf(err, "the server broke the SMTP protocol (a reply longer than %d octets)",
		    SMTP_REPLY_MAX);
		return ST_PROTOCOL;
	}
	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9' ||
	    (len > 3 && line[3] != ' ' && line[3] != '-'))
		return garbage("not a reply line", line, len, err);
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->code && code != r->code)
		return garbage("reply code changed within a reply", line, len, err);
	if (r->code == 0 && (n = enhanced_code(line + 4, len > 4 ? len - 4 : 0,
	    line[0])) > 0 && n < sizeof r->enh)
		memcpy(r->enh, line + 4, n), r->enh[n] = '\0';
	r->code = code;
	if (r->text.len)
		buf_addc(&r->text, '\n');
	if (len > 4)
		buf_add_line(&r->text, line + 4, len - 4, 0);
	if (len == 3 || line[3] == ' ')
		r->complete = 1;
	return ST_OK;
}

int
smtp_reply_refuses_login(const struct smtp_reply *r)
{
	return r->complete && (r->code == 535 || r->code == 534 || r->code == 530);
}

void
smtp_reply_describe(const struct smtp_reply *r, struct buf *out)
{
	buf_printf(out, "%d", r->code);
	if (r->text.len)
		buf_addc(out, ' ');
	for (size_t i = 0; i < r->text.len; i++) {
		if (r->text.data[i] == '\n')
			buf_adds(out, " / ");
		else
			buf_addc(out, r->text.data[i]);
	}
}

void
smtp_caps_free(struct smtp_caps *c)
{
	strlist_free(&c->auth);
	memset(c, 0, sizeof *c);
}

/* Is the keyword kw (length n) the word at the start of line? */
static int
keyword(const char *line, size_t n, const char *kw)
{
	return n == strlen(kw) && strncasecmp(line, kw, n) == 0;
}

static void
parse_auth(struct smtp_caps *c, const char *p)
{
	struct strlist words = STRLIST_INIT;

	strlist_split(&words, p, " ");
	for (size_t i = 0; i < words.n; i++) {
		for (char *q = words.v[i]; *q; q++)
			*q = (char)toupper((unsigned char)*q);
		if (!strlist_has(&c->auth, words.v[i]))
			strlist_add(&c->auth, words.v[i]);
	}
	strlist_free(&words);
}

void
smtp_caps_parse(struct smtp_caps *c, const struct smtp_reply *ehlo)
{
	const char *p = buf_str(&ehlo->text);

	smtp_caps_free(c);
	/* The first line is the server's name and greeting, not a keyword. */
	p = strchr(p, '\n');
	while (p && *p) {
		char *line;
		const char *args;
		size_t n, kw;

		p++;
		n = strcspn(p, "\n");
		line = xstrndup(p, n);
		kw = strcspn(line, " =");
		args = line + kw + (line[kw] ? 1 : 0);
		if (keyword(line, kw, "PIPELINING"))
			c->pipelining = 1;
		else if (keyword(line, kw, "8BITMIME"))
			c->eightbitmime = 1;
		else if (keyword(line, kw, "SMTPUTF8"))
			c->smtputf8 = 1;
		else if (keyword(line, kw, "DSN"))
			c->dsn = 1;
		else if (keyword(line, kw, "STARTTLS"))
			c->starttls = 1;
		else if (keyword(line, kw, "ENHANCEDSTATUSCODES"))
			c->enhanced = 1;
		else if (keyword(line, kw, "CHUNKING"))
			c->chunking = 1;
		else if (keyword(line, kw, "SIZE")) {
			c->has_size = 1;
			c->size = isdigit((unsigned char)*args) ?
			    strtoull(args, NULL, 10) : 0;
		} else if (keyword(line, kw, "AUTH"))
			parse_auth(c, args);	/* "AUTH=" is the old spelling */
		free(line);
		p += n;
	}
}
