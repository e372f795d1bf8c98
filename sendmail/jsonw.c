/* SPDX-License-Identifier: MIT */
/*
 * jsonw - writing JSON text; see jsonw.h.
 */
#include "autoconf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

/*
 * The length of the well-formed UTF-8 sequence at p (at most n octets
 * left), or 0 when the octet at p does not start one (RFC 3629: no
 * overlong form, no surrogate, nothing above U+10FFFF).
 */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

void
jsonw_string(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	buf_addc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t len;

		if (c == '"' || c == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)c);
		} else if (c == '\n') {
			buf_adds(b, "\\n");
		} else if (c == '\r') {
			buf_adds(b, "\\r");
		} else if (c == '\t') {
			buf_adds(b, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(b, "\\u%04x", c);
		} else if (c < 0x80) {
			buf_addc(b, (char)c);
		} else if ((len = utf8_len(p + i, n - i)) == 0) {
			buf_adds(b, "\\ufffd");
		} else if (len == 3 && c == 0xe2 && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			/* Valid JSON either way, but not valid JavaScript. */
			buf_printf(b, "\\u%04x", p[i + 2] == 0xa8 ? 0x2028 : 0x2029);
			i += 3;
			continue;
		} else {
			buf_add(b, p + i, len);
			i += len;
			continue;
		}
		i++;
	}
	buf_addc(b, '"');
}

/* The comma before a member or an item, unless it is the first. */
static void
next(struct buf *b)
{
	char last = b->len ? b->data[b->len - 1] : '{';

	if (last != '{' && last != '[')
		buf_addc(b, ',');
}

static void
key(struct buf *b, const char *k)
{
	next(b);
	jsonw_string(b, k, strlen(k));
	buf_addc(b, ':');
}

void
jsonw_str(struct buf *b, const char *k, const char *s)
{
	key(b, k);
	if (s)
		jsonw_string(b, s, strlen(s));
	else
		buf_adds(b, "null");
}

void
jsonw_strn(struct buf *b, const char *k, const char *s, size_t n)
{
	key(b, k);
	jsonw_string(b, s, n);
}

void
jsonw_int(struct buf *b, const char *k, long long n)
{
	key(b, k);
	buf_printf(b, "%lld", n);
}

void
jsonw_num(struct buf *b, const char *k, double x)
{
	long long h;

	key(b, k);
	/* Not printf's %f: the locale could make its point a comma. */
	if (!isfinite(x) || x >= 1e15 || x <= -1e15) {
		buf_adds(b, "null");
		return;
	}
	h = (long long)(x < 0 ? x * 100 - 0.5 : x * 100 + 0.5);
	buf_printf(b, "%s%lld.%02lld", h < 0 ? "-" : "", llabs(h) / 100,
	    llabs(h) % 100);
}

void
jsonw_array(struct buf *b, const char *k)
{
	key(b, k);
	buf_addc(b, '[');
}

void
jsonw_item(struct buf *b, const char *s)
{
	next(b);
	jsonw_string(b, s, strlen(s));
}

void
jsonw_close(struct buf *b, char c)
{
	buf_addc(b, c);
}
