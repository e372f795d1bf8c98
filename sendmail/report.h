/* SPDX-License-Identifier: MIT */
/*
 * report - the lines of sendmail --check (check.c): one line a step,
 * marked passed or failed, with indented detail and hints under it.
 * Marks are UTF-8 ticks, or "ok" and "FAIL" on a terminal that cannot
 * show UTF-8; a translated step name may hold non-ASCII, so lines are
 * padded by characters, not bytes.
 */
#ifndef SAATJA_REPORT_H
#define SAATJA_REPORT_H

#include <stdio.h>

#include "buf.h"

struct report {
	FILE *out;
	const char *ok, *fail;	/* the marks */
	int indent;		/* columns before the text of a step line */
	const char *failed;	/* name of the step that failed, or NULL */
};

void report_init(struct report *r, FILE *out);

/* "✓ name     text" or "✗ name     text"; a failed step is remembered
 * in r->failed. */
void step(struct report *r, int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* An indented line under the step: detail, or (with prefix) a hint. */
void more(struct report *r, const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The prefix of a line that says what to do, and spaces as wide, to
 * continue it. */
const char *hint(void);
const char *hint_more(void);

/* "59 minutes" or "45 seconds", for secs either side of now. */
void duration(struct buf *b, long long secs);

#endif
