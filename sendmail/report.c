/* SPDX-License-Identifier: MIT */
/*
 * report - the lines of --check's report; see report.h.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "report.h"

/* Non-zero when out is a terminal that cannot show UTF-8. */
static int
ascii_terminal(FILE *out)
{
	return isatty(fileno(out)) && !i18n_utf8();
}

/* Columns that s takes: its characters, when it is UTF-8. */
static int
width(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

const char *
hint(void)
{
	/* TRANSLATORS: starts the line that says what to do; the lines
	 * that continue it are indented by as many columns. */
	return _("hint: ");
}

const char *
hint_more(void)
{
	static char pad[32];
	int n = width(hint());

	if (n >= (int)sizeof pad)
		n = sizeof pad - 1;
	memset(pad, ' ', (size_t)n);
	pad[n] = '\0';
	return pad;
}

void
report_init(struct report *r, FILE *out)
{
	r->out = out;
	r->failed = NULL;
	if (ascii_terminal(out)) {
		r->ok = "ok  ";
		r->fail = "FAIL";
		r->indent = 4 + 1 + 9;
	} else {
		r->ok = "\u2713";
		r->fail = "\u2717";
		r->indent = 1 + 1 + 9;
	}
}

static void
vline(struct report *r, const char *lead, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;

	buf_vprintf(&b, fmt, ap);
	fprintf(r->out, "%s%s\n", lead, buf_str(&b));
	buf_free(&b);
}

void
step(struct report *r, int ok, const char *name, const char *fmt, ...)
{
	struct buf lead = BUF_INIT;
	va_list ap;

	/* Padded by characters: a translated name may hold non-ASCII. */
	buf_printf(&lead, "%s %s%*s ", ok ? r->ok : r->fail, name,
	    width(name) < 8 ? 8 - width(name) : 0, "");
	va_start(ap, fmt);
	vline(r, buf_str(&lead), fmt, ap);
	va_end(ap);
	buf_free(&lead);
	if (!ok)
		r->failed = name;
}

void
more(struct report *r, const char *prefix, const char *fmt, ...)
{
	struct buf lead = BUF_INIT;
	va_list ap;

	buf_printf(&lead, "%*s%s", r->indent, "", prefix);
	va_start(ap, fmt);
	vline(r, buf_str(&lead), fmt, ap);
	va_end(ap);
	buf_free(&lead);
}

void
duration(struct buf *b, long long secs)
{
	long long n = secs < 0 ? -secs : secs;

	if (n >= 120)
		buf_printf(b, ngettext("%lld minute", "%lld minutes", n / 60), n / 60);
	else
		buf_printf(b, ngettext("%lld second", "%lld seconds", n), n);
}
