/* SPDX-License-Identifier: MIT */
/*
 * buf - growable strings and allocation helpers; see buf.h.
 */
#include "autoconf.h"

#include <errno.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>
#include <sysexits.h>

#include "buf.h"

static void
out_of_memory(void)
{
	static const char msg[] = "sendmail: out of memory; the message was not accepted\n";

	/* stderr is unbuffered: fwrite hands it straight to write(2). */
	(void)!fwrite(msg, 1, sizeof msg - 1, stderr);
	exit(EX_OSERR);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		out_of_memory();
	return p;
}

void *
xgrow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 8;

	if (need <= *cap)
		return p;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			out_of_memory();
		c *= 2;
	}
	if (c > SIZE_MAX / elem)
		out_of_memory();
	*cap = c;
	return xrealloc(p, c * elem);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
xfree_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_wipe(struct buf *b)
{
	if (b->data)
		explicit_bzero(b->data, b->cap);
	buf_reset(b);
}

void
buf_free_secret(struct buf *b)
{
	buf_wipe(b);
	buf_free(b);
}

int
buf_read_fd(struct buf *b, int fd, size_t max)
{
	char block[4096];
	size_t start = b->len;
	ssize_t got;
	int rc = 0;

	while ((got = read(fd, block, sizeof block)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -1;
			break;
		}
		if (b->len - start + (size_t)got > max) {
			buf_add(b, block, max - (b->len - start));
			rc = 1;
		} else {
			buf_add(b, block, (size_t)got);
		}
	}
	explicit_bzero(block, sizeof block);
	return rc;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static void
buf_reserve(struct buf *b, size_t more)
{
	if (more > SIZE_MAX - b->len - 1)
		out_of_memory();
	b->data = xgrow(b->data, &b->cap, b->len + more + 1, 1);
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
buf_list_add(struct buf *b, const char *sep, const char *fmt, ...)
{
	va_list ap;

	if (b->len)
		buf_adds(b, sep);
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
buf_add_line(struct buf *b, const char *p, size_t n, int ascii)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\r' || ch == '\n')
			ch = ' ';
		else if ((ch < 0x20 && ch != '\t') || ch == 0x7f ||
		    (ascii && ch >= 0x80))
			ch = '?';
		buf_addc(b, (char)ch);
	}
}

const char *
buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

char *
buf_take(struct buf *b)
{
	char *s = b->data ? b->data : xstrdup("");

	buf_init(b);
	return s;
}

void
strlist_add(struct strlist *l, const char *s)
{
	strlist_add_owned(l, xstrdup(s));
}

void
strlist_add_owned(struct strlist *l, char *s)
{
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof *l->v);
	l->v[l->n++] = s;
}

void
strlist_split(struct strlist *l, const char *s, const char *seps)
{
	while (*s) {
		size_t n;

		s += strspn(s, seps);
		n = strcspn(s, seps);
		if (n)
			strlist_add_owned(l, xstrndup(s, n));
		s += n;
	}
}

int
word_index(const char *const *words, const char *word)
{
	for (int i = 0; words[i]; i++)
		if (strcasecmp(words[i], word) == 0)
			return i;
	return -1;
}

int
strlist_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
