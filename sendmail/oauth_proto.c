/* SPDX-License-Identifier: MIT */
/*
 * oauth_proto - the "key value" lines between sendmail and saatja-oauth;
 * see oauth_proto.h.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "oauth_proto.h"

/* A letter or '_' first, then also digits and '.' (for the numbered
 * keys of a list, "host.2"). */
static int
key_ok(const char *k, size_t n)
{
	if (n == 0 || n > OAUTH_KEY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || k[i] == '_' ||
		    (i > 0 && ((k[i] >= '0' && k[i] <= '9') || k[i] == '.'))))
			return 0;
	return 1;
}

static int
value_ok(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

const char *
oauth_msg_get(const struct oauth_msg *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->key[i], key) == 0)
			return m->val[i];
	return NULL;
}

void
oauth_msg_free(struct oauth_msg *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->key[i]);
		xfree_secret(m->val[i]);
		m->key[i] = m->val[i] = NULL;
	}
	m->n = 0;
}

static int
fail(struct oauth_msg *m, struct buf *err, const char *why, size_t line)
{
	oauth_msg_free(m);
	buf_printf(err, "line %zu: %s", line, why);
	return -1;
}

int
oauth_msg_parse(struct oauth_msg *m, const char *text, size_t len, struct buf *err)
{
	size_t pos = 0, line = 0;

	if (len > OAUTH_MSG_MAX)
		return fail(m, err, "too long", 0);
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		const char *sp;
		size_t n;

		line++;
		if (nl == NULL)
			return fail(m, err, "no line end", line);
		n = (size_t)(nl - s);
		pos += n + 1;
		sp = memchr(s, ' ', n);
		if (sp == NULL || !key_ok(s, (size_t)(sp - s)))
			return fail(m, err, "not \"key value\"", line);
		if (!value_ok(sp + 1, n - (size_t)(sp - s) - 1))
			return fail(m, err, "control character in a value", line);
		if (m->n == OAUTH_MSG_KEYS)
			return fail(m, err, "too many lines", line);
		m->key[m->n] = xstrndup(s, (size_t)(sp - s));
		m->val[m->n] = xstrndup(sp + 1, n - (size_t)(sp - s) - 1);
		m->n++;
		for (size_t i = 0; i + 1 < m->n; i++)
			if (strcmp(m->key[i], m->key[m->n - 1]) == 0)
				return fail(m, err, "a key given twice", line);
	}
	return 0;
}

int
oauth_msg_add(struct buf *out, const char *key, const char *val)
{
	if (val == NULL)
		return 0;
	if (!key_ok(key, strlen(key)) || !value_ok(val, strlen(val)))
		return -1;
	buf_printf(out, "%s %s\n", key, val);
	return 0;
}

void
oauth_printable(struct buf *out, const char *s, size_t len, size_t max)
{
	for (size_t i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		buf_addc(out, c < 0x20 || c >= 0x7f ? '?' : (char)c);
	}
}
