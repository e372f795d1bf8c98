/* SPDX-License-Identifier: MIT */
/*
 * oauth_autoconfig_op - the "autoconfig" request of saatja-oauth; see
 * oauth_autoconfig_op.h.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauth_autoconfig.h"
#include "oauth_autoconfig_op.h"
#include "oauth_http.h"

#define DEFAULT_TIMEOUT_S 15
#define MAX_TIMEOUT_S 300
#define ADDRESS_MAX 254
#define DESCRIPTION_MAX 600

/* Adds key with v made printable (at most max octets). */
static void
add_printable(struct buf *a, const char *key, const char *v, size_t max)
{
	struct buf p = BUF_INIT;

	oauth_printable(&p, v, strlen(v), max);
	oauth_msg_add(a, key, buf_str(&p));
	buf_free(&p);
}

/* A failure: the result, then url, error, status and description as far
 * as they are known (NULL or 0: left out). */
static void
fail(struct buf *a, const char *result, const struct buf *url, const char *error,
    long status, const char *desc)
{
	char n[24];

	buf_reset(a);
	oauth_msg_add(a, "result", result);
	if (url != NULL)
		add_printable(a, "url", buf_str(url), OAUTH_AUTOCONFIG_TEXT);
	oauth_msg_add(a, "error", error);
	if (status != 0) {
		snprintf(n, sizeof n, "%ld", status);
		oauth_msg_add(a, "status", n);
	}
	add_printable(a, "description", desc, DESCRIPTION_MAX);
}

/* user@domain, printable, no space: what the placeholders may take. */
static int
address_ok(const char *s)
{
	const char *at;
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > ADDRESS_MAX ||
	    (at = strrchr(s, '@')) == NULL || at == s || at[1] == '\0')
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* The request's timeout, DEFAULT_TIMEOUT_S when none; 0 when invalid. */
static long
timeout_of(const char *t)
{
	char *end;
	long v;

	if (t == NULL)
		return DEFAULT_TIMEOUT_S;
	if (*t < '0' || *t > '9')
		return 0;
	v = strtol(t, &end, 10);
	return *end == '\0' && v >= 1 && v <= MAX_TIMEOUT_S ? v : 0;
}

static void
answer_servers(struct buf *a, const struct oauth_autoconfig *c, const struct buf *url)
{
	char key[OAUTH_KEY_MAX + 1], n[24];

	buf_reset(a);
	oauth_msg_add(a, "result", "ok");
	add_printable(a, "url", buf_str(url), OAUTH_AUTOCONFIG_TEXT);
	oauth_msg_add(a, "provider", c->provider);
	oauth_msg_add(a, "display_name", c->display_name);
	snprintf(n, sizeof n, "%zu", c->n);
	oauth_msg_add(a, "servers", n);
	snprintf(n, sizeof n, "%zu", c->skipped);
	oauth_msg_add(a, "skipped", n);
	if (c->skipped > 0)
		add_printable(a, "description", buf_str(&c->skipped_why), DESCRIPTION_MAX);
	for (size_t i = 0; i < c->n; i++) {
		const struct oauth_autoconfig_server *s = &c->server[i];

		snprintf(key, sizeof key, "host.%zu", i + 1);
		oauth_msg_add(a, key, s->host);
		snprintf(key, sizeof key, "port.%zu", i + 1);
		snprintf(n, sizeof n, "%u", s->port);
		oauth_msg_add(a, key, n);
		snprintf(key, sizeof key, "socket.%zu", i + 1);
		oauth_msg_add(a, key, s->socket);
		snprintf(key, sizeof key, "auth.%zu", i + 1);
		oauth_msg_add(a, key, s->auth);
		snprintf(key, sizeof key, "username.%zu", i + 1);
		oauth_msg_add(a, key, s->username);
	}
}

static const char *
unreachable_error(enum oauth_http_result r)
{
	return r == OAUTH_HTTP_NETWORK ? "network" : r == OAUTH_HTTP_TLS ? "tls" : "protocol";
}

/* What came from url (final: after redirects) with HTTP status code. */
static void
read_answer(struct buf *a, const char *address, const struct buf *final, long code,
    const struct buf *body)
{
	struct oauth_autoconfig c = { 0 };
	struct buf why = BUF_INIT, err = BUF_INIT;

	if (code == 404 || code == 410) {
		buf_printf(&why, "%s: not found (HTTP status %ld)", buf_str(final), code);
		fail(a, "not_found", final, NULL, code, buf_str(&why));
	} else if (code != 200) {
		buf_printf(&why, "%s answered with HTTP status %ld", buf_str(final), code);
		fail(a, "unreachable", final, "status", code, buf_str(&why));
	} else if (oauth_autoconfig_parse(buf_str(body), body->len, address, &c, &err) < 0) {
		buf_printf(&why, "%s: %s", buf_str(final), buf_str(&err));
		fail(a, "malformed", final, NULL, 0, buf_str(&why));
	} else {
		answer_servers(a, &c, final);
		oauth_autoconfig_free(&c);
	}
	buf_free(&why);
	buf_free(&err);
}

void
oauth_autoconfig_op(const struct oauth_msg *req, struct buf *a)
{
	const char *address = oauth_msg_get(req, "address");
	const char *url = oauth_msg_get(req, "url");
	struct oauth_http h = { oauth_msg_get(req, "ca_file"),
	    timeout_of(oauth_msg_get(req, "timeout")) };
	struct buf body = BUF_INIT, final = BUF_INIT, err = BUF_INIT;
	enum oauth_http_result r;
	long code = 0;

	if (!address_ok(address)) {
		fail(a, "usage", NULL, NULL, 0, "address is missing or not user@domain");
		return;
	}
	if (url == NULL || strncmp(url, "https://", 8) != 0) {
		fail(a, "usage", NULL, NULL, 0, "url is missing or not an https:// URL");
		return;
	}
	if (h.timeout == 0) {
		fail(a, "usage", NULL, NULL, 0, "timeout is not a number of seconds from 1 to 300");
		return;
	}
	if (oauth_http_init() < 0) {
		fail(a, "local", NULL, NULL, 0, "libcurl could not start");
		return;
	}
	r = oauth_http_get(&h, url, OAUTH_AUTOCONFIG_MAX, &body, &code, &final, &err);
	if (r == OAUTH_HTTP_OK)
		read_answer(a, address, &final, code, &body);
	else if (r == OAUTH_HTTP_TOO_LARGE)
		fail(a, "too_large", &final, NULL, 0, buf_str(&err));
	else
		fail(a, "unreachable", &final, unreachable_error(r), 0, buf_str(&err));
	buf_free(&body);
	buf_free(&final);
	buf_free(&err);
}
