/* SPDX-License-Identifier: MIT */
/*
 * tap.h - a tiny Test Anything Protocol writer for the C unit tests.
 *
 * Each check prints "ok N - name" or "not ok N - name" with the values
 * that differed; done_testing() prints the plan and returns the exit
 * status. Automake's tap-driver counts the results.
 */
#ifndef SAATJA_TAP_H
#define SAATJA_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

static void
tap_result(int ok, const char *name)
{
	tap_count++;
	if (!ok)
		tap_failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", tap_count, name);
}

#define ok(cond, name) tap_result((cond) != 0, name)

static void
is_str(const char *got, const char *want, const char *name)
{
	int same = (got == NULL && want == NULL) ||
	    (got && want && strcmp(got, want) == 0);

	tap_result(same, name);
	if (!same)
		printf("#   got:  \"%s\"\n#   want: \"%s\"\n",
		    got ? got : "(null)", want ? want : "(null)");
}

static void
is_int(long got, long want, const char *name)
{
	tap_result(got == want, name);
	if (got != want)
		printf("#   got:  %ld\n#   want: %ld\n", got, want);
}

static int
done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
