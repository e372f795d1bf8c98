/* SPDX-License-Identifier: MIT */
/*
 * confval - parsing the values of saatja.ini that are more than a word:
 * durations, bounded numbers, certificate fingerprints, and whether a
 * host is this machine. Pure functions: config.c calls them and words
 * the errors.
 */
#ifndef SAATJA_CONFVAL_H
#define SAATJA_CONFVAL_H

/* "90", "90s", "15m", "2h", "5d", "1w" and sums ("1h30m") in seconds;
 * -1 if bad or too large. */
long confval_duration(const char *s);

/* An unsigned decimal number in [lo, hi], else -1. */
long confval_number(const char *s, long lo, long hi);

/* Non-zero for localhost, 127.x.y.z and ::1: hosts tls = none may use. */
int confval_loopback_host(const char *h);

/* A SHA-256 fingerprint, hex with optional ':' or ' ' and "sha256:"
 * before it, into out. Returns 1, or 0 when s is not one. */
int confval_fingerprint(const char *s, unsigned char out[32]);

#endif
