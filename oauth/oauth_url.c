/* SPDX-License-Identifier: MIT */
/*
 * oauth_url - form encoding and the redirect parser; see oauth_url.h.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "oauth_url.h"
#include "util.h"

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

void
oauth_url_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (unreserved(c)) {
			buf_addc(out, (char)c);
		} else {
			buf_addc(out, '%');
			buf_addc(out, hex[c >> 4]);
			buf_addc(out, hex[c & 15]);
		}
	}
}

void
oauth_form_add(struct buf *out, const char *name, const char *value)
{
	if (value == NULL)
		return;
	if (out->len > 0)
		buf_addc(out, '&');
	oauth_url_encode(out, name);
	buf_addc(out, '=');
	oauth_url_encode(out, value);
}

void
oauth_redirect_free(struct oauth_redirect *r)
{
	xfree_secret(r->code);
	free(r->state);
	free(r->error);
	free(r->error_description);
	memset(r, 0, sizeof *r);
}

/* Percent-decodes s[0..n) ('+' is a space); NULL for a bad escape or a
 * decoded control character. */
static char *
decode(const char *s, size_t n)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = i + 2 < n ? hex_value((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < n ? hex_value((unsigned char)s[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				goto bad;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			goto bad;
		buf_addc(&b, (char)c);
	}
	if (b.data == NULL)
		buf_adds(&b, "");
	return buf_take(&b);
bad:
	xfree_secret(buf_take(&b));
	return NULL;
}

static int
set_once(char **slot, const char *v, size_t n, struct buf *err, const char *name)
{
	if (*slot != NULL) {
		buf_printf(err, "the parameter \"%s\" is given twice", name);
		return -1;
	}
	*slot = decode(v, n);
	if (*slot == NULL) {
		buf_printf(err, "the parameter \"%s\" is not properly encoded", name);
		return -1;
	}
	return 0;
}

static int
parse_query(const char *q, size_t n, struct oauth_redirect *r, struct buf *err)
{
	size_t pos = 0;

	while (pos <= n) {
		const char *p = q + pos, *amp = memchr(p, '&', n - pos);
		size_t len = amp != NULL ? (size_t)(amp - p) : n - pos;
		const char *eq = memchr(p, '=', len);
		size_t klen = eq != NULL ? (size_t)(eq - p) : len;
		const char *v = eq != NULL ? eq + 1 : p + len;
		size_t vlen = len - klen - (eq != NULL);
		static const char *const names[] = {
			"code", "state", "error", "error_description"
		};
		char **slots[] = { &r->code, &r->state, &r->error, &r->error_description };

		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (klen == strlen(names[i]) && memcmp(p, names[i], klen) == 0 &&
			    set_once(slots[i], v, vlen, err, names[i]) < 0)
				return -1;
		pos += len + 1;
	}
	return 0;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
oauth_redirect_parse(const char *s, size_t len, struct oauth_redirect *r,
    struct buf *err)
{
	const char *q;
	size_t n;

	if (len > OAUTH_REDIRECT_MAX) {
		buf_adds(err, "too long");
		return -1;
	}
	while (len > 0 && is_space(*s))
		s++, len--;
	while (len > 0 && is_space(s[len - 1]))
		len--;
	if (len == 0) {
		buf_adds(err, "empty");
		return -1;
	}
	if (len > 4 && memcmp(s, "GET ", 4) == 0) {
		/* The request line: "GET target HTTP/1.x". */
		const char *sp = memchr(s + 4, ' ', len - 4);

		len = (sp != NULL ? (size_t)(sp - s) : len) - 4;
		s += 4;
	}
	q = memchr(s, '?', len);
	if (q == NULL && memchr(s, '=', len) == NULL) {
		/* A bare code, as some pages show it for copying. */
		for (size_t i = 0; i < len; i++)
			if (s[i] <= 0x20 || s[i] == 0x7f || s[i] == '/' || s[i] == '&') {
				buf_adds(err, "neither a URL nor a code");
				return -1;
			}
		r->code = xstrndup(s, len);
		return 0;
	}
	q = q != NULL ? q + 1 : s;
	n = len - (size_t)(q - s);
	{
		const char *hash = memchr(q, '#', n);

		if (hash != NULL)
			n = (size_t)(hash - q);
	}
	if (parse_query(q, n, r, err) < 0 ||
	    (r->code == NULL && r->error == NULL)) {
		if (err->len == 0)
			buf_adds(err, "holds neither \"code\" nor \"error\"");
		oauth_redirect_free(r);
		return -1;
	}
	return 0;
}
