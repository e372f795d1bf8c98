/* SPDX-License-Identifier: MIT */
/*
 * fuzz_jsonw - libFuzzer target for the JSON log writer.
 *
 * The input is what a hostile server could put in a reply that the
 * JSON log carries: any octets. The first octet splits the rest into a
 * string member and an array item, both written as jsonw.h writes a log
 * line. jsonw.h promises valid JSON whatever the input, so json-c must
 * parse it strictly, checking the UTF-8, and find both strings, with no
 * more characters than there were octets (a bad octet is one U+FFFD).
 */
#include "autoconf.h"

#include <json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Characters of a string as json-c gives it back (UTF-8). */
static size_t
characters(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b = BUF_INIT;
	struct json_tokener *tok;
	struct json_object *o, *s, *a;
	size_t cut;
	const char *item;

	if (size == 0)
		return 0;
	cut = data[0] % size;
	item = (const char *)data + 1 + cut;
	buf_addc(&b, '{');
	jsonw_strn(&b, "reply", (const char *)data + 1, cut);
	jsonw_array(&b, "to");
	jsonw_string(&b, item, size - 1 - cut);
	jsonw_close(&b, ']');
	jsonw_int(&b, "size", (long long)size);
	jsonw_close(&b, '}');
	for (size_t i = 0; i < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20) {
			fprintf(stderr, "raw control octet in %s\n", buf_str(&b));
			abort();
		}
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, b.data, (int)b.len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_object_get_ex(o, "reply", &s) ||
	    !json_object_object_get_ex(o, "to", &a) ||
	    json_object_array_length(a) != 1) {
		fprintf(stderr, "not valid JSON: %s\n", buf_str(&b));
		abort();
	}
	/* Never more characters than octets: nothing is invented. */
	if (characters(json_object_get_string(s),
	    (size_t)json_object_get_string_len(s)) > cut) {
		fprintf(stderr, "more characters than octets: %s\n", buf_str(&b));
		abort();
	}
	json_tokener_free(tok);
	json_object_put(o);
	buf_free(&b);
	return 0;
}
