/* SPDX-License-Identifier: MIT */
/*
 * confval - the values of saatja.ini that are more than a word: see
 * confval.h.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confval.h"
#include "util.h"

long
confval_duration(const char *s)
{
	long total = 0;

	if (*s == '\0')
		return -1;
	while (*s) {
		char *end;
		long n, unit = 1;

		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno)
			return -1;
		switch (*end) {
		case 's': unit = 1; end++; break;
		case 'm': unit = 60; end++; break;
		case 'h': unit = 3600; end++; break;
		case 'd': unit = 86400; end++; break;
		case 'w': unit = 7 * 86400; end++; break;
		case '\0': break;
		default: return -1;
		}
		if (n > (LONG_MAX - total) / unit)
			return -1;
		total += n * unit;
		s = end;
	}
	return total;
}

/* Unsigned number in [lo, hi], else -1. */
long
confval_number(const char *s, long lo, long hi)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || n < lo || n > hi)
		return -1;
	return n;
}

int
confval_loopback_host(const char *h)
{
	return strcasecmp(h, "localhost") == 0 || strncmp(h, "127.", 4) == 0 ||
	    strcmp(h, "::1") == 0 || strcmp(h, "[::1]") == 0;
}

int
confval_fingerprint(const char *s, unsigned char out[32])
{
	size_t n = 0;

	if (strncasecmp(s, "sha256:", 7) == 0)
		s += 7;
	while (*s) {
		int hi, lo;

		if (*s == ':' || *s == ' ') {
			s++;
			continue;
		}
		hi = hex_value((unsigned char)s[0]);
		lo = hi < 0 || !s[1] ? -1 : hex_value((unsigned char)s[1]);
		if (lo < 0 || n == 32)
			return 0;
		out[n++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	return n == 32;
}
