/* SPDX-License-Identifier: MIT */
/*
 * fuzz_oauth_json - libFuzzer target for what a token service answers:
 * the token endpoint's JSON (tokens or an error) and the device
 * authorization answer, as saatja-oauth reads them; and a service
 * account's key file, which the user may have picked wrongly.
 *
 * The input is a hostile service's body. oauth_json.h promises tokens of
 * printable ASCII without spaces and at most OAUTH_TOKEN_MAX octets, an
 * error code and description that can go on one line of a terminal or
 * log, an https:// verification URL, and numbers in range: each is
 * checked here, and so is the rule that a success has exactly one of
 * access token or error. A key file read is a service account's, with
 * its e-mail, its key and an https:// token_uri (when it has one).
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauth_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_text(const char *s, int spaces)
{
	if (s == NULL)
		return;
	if (strlen(s) > OAUTH_TOKEN_MAX)
		abort();
	for (const char *p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c >= 0x7f || (!spaces && c == ' ')) {
			fprintf(stderr, "bad character 0x%02x in \"%s\"\n", c, s);
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oauth_tokens t = { 0 };
	struct oauth_device d = { 0 };
	struct oauth_key_file k = { 0 };
	struct buf err = BUF_INIT;

	if (oauth_json_tokens((const char *)data, size, &t, &err) == 0) {
		if ((t.access_token == NULL) == (t.error == NULL))
			abort();
		check_text(t.access_token, 0);
		check_text(t.refresh_token, 0);
		check_text(t.error, 1);
		check_text(t.error_description, 1);
		if (t.expires_in < 0 || t.expires_in > 10L * 365 * 86400)
			abort();
	} else if (err.len == 0 || t.access_token != NULL || t.error != NULL) {
		abort();
	}
	oauth_tokens_free(&t);
	buf_reset(&err);
	if (oauth_json_device((const char *)data, size, &d, &t, &err) == 0) {
		if (t.error == NULL) {
			check_text(d.device_code, 0);
			check_text(d.user_code, 0);
			check_text(d.verification_uri, 0);
			if (strncmp(d.verification_uri, "https://", 8) != 0 ||
			    d.expires_in < 1 || d.interval < 1 || d.interval > 600)
				abort();
		}
	} else if (err.len == 0 || d.device_code != NULL) {
		abort();
	}
	oauth_device_free(&d);
	oauth_tokens_free(&t);
	buf_reset(&err);
	if (oauth_json_key_file((const char *)data, size, &k, &err) == 0) {
		check_text(k.client_email, 0);
		check_text(k.private_key_id, 0);
		if (k.private_key == NULL || (k.token_uri != NULL &&
		    strncmp(k.token_uri, "https://", 8) != 0))
			abort();
	} else if (err.len == 0 || k.client_email != NULL || k.private_key != NULL) {
		abort();
	}
	oauth_key_file_free(&k);
	buf_free(&err);
	return 0;
}
