/* SPDX-License-Identifier: MIT */
/*
 * fuzz_autoconfig - libFuzzer target for a provider's config-v1.1.xml as
 * saatja-oauth reads it (oauth_autoconfig.h): whatever the web server of
 * a domain sends, the parser must neither crash nor hang, and what it
 * accepts must keep the header's promises: 1 to 16 servers, each with a
 * DNS name for a host, a port from 1 to 65535, a socket type of three,
 * an authentication list of plain words, and every string printable
 * ASCII on one line; a refusal says why and keeps nothing.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauth_autoconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_printable(const char *s)
{
	if (s == NULL)
		abort();
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
			fprintf(stderr, "bad character 0x%02x in \"%s\"\n", (unsigned char)*p, s);
			abort();
		}
}

static void
check_host(const char *h)
{
	size_t n = strlen(h);

	check_printable(h);
	if (n == 0 || n > 253 || h[0] == '.' || h[n - 1] == '.' || strstr(h, "..") != NULL ||
	    strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != n)
		abort();
}

static void
check_server(const struct oauth_autoconfig_server *s)
{
	check_host(s->host);
	if (s->port < 1 || s->port > 65535)
		abort();
	if (strcmp(s->socket, "SSL") != 0 && strcmp(s->socket, "STARTTLS") != 0 &&
	    strcmp(s->socket, "plain") != 0)
		abort();
	check_printable(s->auth);
	if (strspn(s->auth, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_,") !=
	    strlen(s->auth))
		abort();
	check_printable(s->username);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oauth_autoconfig c = { 0 };
	struct buf err = BUF_INIT;

	if (oauth_autoconfig_parse((const char *)data, size, "arved@firma.ee", &c, &err) == 0) {
		if (c.n < 1 || c.n > OAUTH_AUTOCONFIG_SERVERS || err.len != 0)
			abort();
		check_printable(c.provider);
		check_printable(c.display_name);
		check_printable(buf_str(&c.skipped_why));
		if ((c.skipped == 0) != (c.skipped_why.len == 0))
			abort();
		for (size_t i = 0; i < c.n; i++)
			check_server(&c.server[i]);
	} else if (err.len == 0 || c.n != 0 || c.provider != NULL) {
		abort();
	}
	oauth_autoconfig_free(&c);
	buf_free(&err);
	return 0;
}
