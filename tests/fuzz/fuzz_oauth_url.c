/* SPDX-License-Identifier: MIT */
/*
 * fuzz_oauth_url - libFuzzer target for what comes back to saatja-oauth
 * from a browser or a user: the loopback redirect's request line, a
 * pasted address or a bare code (oauth_redirect_parse), and for the form
 * encoder, which must give back exactly what the decoder takes in.
 *
 * oauth_url.h promises: success only with a code or an error, no control
 * character in any decoded parameter, nothing over OAUTH_REDIRECT_MAX.
 * A value encoded with oauth_form_add and read back as a redirect query
 * must come out unchanged.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauth_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const char *s)
{
	if (s == NULL)
		return;
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oauth_redirect r = { 0 };
	struct buf err = BUF_INIT, q = BUF_INIT;
	char *v;

	if (oauth_redirect_parse((const char *)data, size, &r, &err) == 0) {
		if (r.code == NULL && r.error == NULL)
			abort();
		check(r.code);
		check(r.state);
		check(r.error);
		check(r.error_description);
	} else if (err.len == 0 || r.code != NULL) {
		abort();
	}
	oauth_redirect_free(&r);

	/* Round trip: the input (up to its first NUL, without controls) as a
	 * code, encoded and parsed back. */
	v = strndup((const char *)data, size);
	if (v == NULL)
		return 0;
	for (char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = 'x';
	if (*v != '\0' && strlen(v) < 2000) {
		buf_adds(&q, "GET /?");
		oauth_form_add(&q, "code", v);
		oauth_form_add(&q, "state", "s");
		buf_adds(&q, " HTTP/1.1");
		buf_reset(&err);
		if (oauth_redirect_parse(q.data, q.len, &r, &err) != 0 ||
		    strcmp(r.code, v) != 0 || strcmp(r.state, "s") != 0) {
			fprintf(stderr, "round trip of \"%s\" failed: %s\n", v, buf_str(&err));
			abort();
		}
		oauth_redirect_free(&r);
	}
	free(v);
	buf_free(&q);
	buf_free(&err);
	return 0;
}
