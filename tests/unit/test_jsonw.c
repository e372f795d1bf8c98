/* SPDX-License-Identifier: MIT */
/*
 * test_jsonw - the JSON writer of the JSON log: fixed cases for every
 * escape, and random byte strings whose JSON must parse (json-c, which
 * only this test links) and give back the input, with each octet that
 * is not well-formed UTF-8 turned into U+FFFD.
 */
#include "autoconf.h"

#include <json.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "../lib/tap.h"

static const char *
quoted(const char *s, size_t n)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	jsonw_string(&b, s, n);
	return buf_str(&b);
}

static void
test_escapes(void)
{
	is_str(quoted("plain", 5), "\"plain\"", "plain text stays");
	is_str(quoted("a\"b\\c", 5), "\"a\\\"b\\\\c\"", "quote and backslash escaped");
	is_str(quoted("\r\n\t", 3), "\"\\r\\n\\t\"", "CR LF TAB as short escapes");
	is_str(quoted("\x01\x1f\x7f", 3), "\"\\u0001\\u001f\\u007f\"", "other controls as \\u00XX");
	is_str(quoted("a\0b", 3), "\"a\\u0000b\"", "NUL inside the length");
	is_str(quoted("T\xc3\xa4nan \xe2\x82\xac \xf0\x9f\x93\xa7", 15),
	    "\"T\xc3\xa4nan \xe2\x82\xac \xf0\x9f\x93\xa7\"", "UTF-8 stays");
	is_str(quoted("\xff", 1), "\"\\ufffd\"", "a lone 0xff is U+FFFD");
	is_str(quoted("\xc3", 1), "\"\\ufffd\"", "a cut sequence is U+FFFD");
	is_str(quoted("\xc0\xaf", 2), "\"\\ufffd\\ufffd\"", "an overlong form is refused");
	is_str(quoted("\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"", "a surrogate is refused");
	is_str(quoted("\xf4\x90\x80\x80", 4), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "above U+10FFFF is refused");
	is_str(quoted("\xe2\x80\xa8\xe2\x80\xa9", 6), "\"\\u2028\\u2029\"", "line and paragraph separators escaped");
	is_str(quoted("", 0), "\"\"", "empty string");
}

static void
test_members(void)
{
	struct buf b = BUF_INIT;
	struct json_object *o;
	const char *rcpts[] = { "a@b.ee", "c\"@d.ee" };

	buf_addc(&b, '{');
	jsonw_str(&b, "id", "X1");
	jsonw_array(&b, "to");
	for (size_t i = 0; i < 2; i++)
		jsonw_item(&b, rcpts[i]);
	jsonw_close(&b, ']');
	jsonw_array(&b, "none");
	jsonw_close(&b, ']');
	jsonw_int(&b, "size", 1234567890123LL);
	jsonw_num(&b, "delay", 0.426);
	jsonw_num(&b, "neg", -1.005);
	jsonw_num(&b, "big", 1e300);
	jsonw_str(&b, "null", NULL);
	jsonw_strn(&b, "raw", "x\0y", 3);
	jsonw_close(&b, '}');
	is_str(buf_str(&b), "{\"id\":\"X1\",\"to\":[\"a@b.ee\",\"c\\\"@d.ee\"],"
	    "\"none\":[],\"size\":1234567890123,\"delay\":0.43,\"neg\":-1.00,"
	    "\"big\":null,\"null\":null,\"raw\":\"x\\u0000y\"}",
	    "an object: commas, arrays, numbers as numbers, null");
	o = json_tokener_parse(buf_str(&b));
	ok(o != NULL, "the object parses");
	json_object_put(o);
	buf_free(&b);
}

/* What the decoded string must be: in, each octet outside well-formed
 * UTF-8 as U+FFFD (EF BF BD), by a decoder written apart from jsonw.c. */
static void
expect(const unsigned char *p, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n;) {
		unsigned cp = 0, need = 0, min = 0;
		size_t j;

		if (p[i] < 0x80) {
			buf_addc(out, (char)p[i++]);
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0)
			need = 1, cp = p[i] & 0x1f, min = 0x80;
		else if ((p[i] & 0xf0) == 0xe0)
			need = 2, cp = p[i] & 0x0f, min = 0x800;
		else if ((p[i] & 0xf8) == 0xf0)
			need = 3, cp = p[i] & 0x07, min = 0x10000;
		for (j = 1; need && j <= need && i + j < n &&
		    (p[i + j] & 0xc0) == 0x80; j++)
			cp = cp << 6 | (p[i + j] & 0x3f);
		if (need == 0 || j != need + 1 || cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			buf_adds(out, "\xef\xbf\xbd");
			i++;
			continue;
		}
		buf_add(out, p + i, need + 1);
		i += need + 1;
	}
}

static void
test_random_strings_parse_and_round_trip(void)
{
	unsigned seed = 20261204;
	int parsed = 0, same = 0, runs = 20000;

	for (int r = 0; r < runs; r++) {
		unsigned char in[64];
		size_t n = (size_t)(rand_r(&seed) % sizeof in);
		struct buf j = BUF_INIT, want = BUF_INIT;
		struct json_object *o;

		for (size_t i = 0; i < n; i++) {
			int k = rand_r(&seed);

			/* Mostly the interesting octets. */
			in[i] = (unsigned char)(k % 4 == 0 ? k >> 8 :
			    k % 4 == 1 ? 0x80 + (k >> 8) % 0x80 :
			    k % 4 == 2 ? "\"\\\n\x01\xc3\xa4\xe2\x80\xa8\xf0\x9f\xed"[(k >> 8) % 13] :
			    'a' + (k >> 8) % 26);
		}
		buf_addc(&j, '[');
		jsonw_string(&j, (const char *)in, n);
		buf_addc(&j, ']');
		expect(in, n, &want);
		o = json_tokener_parse(buf_str(&j));
		if (o && json_object_is_type(o, json_type_array) &&
		    json_object_array_length(o) == 1) {
			struct json_object *s = json_object_array_get_idx(o, 0);

			parsed++;
			/* An empty want has no data: memcmp may not see NULL. */
			if ((size_t)json_object_get_string_len(s) == want.len &&
			    (want.len == 0 ||
			    memcmp(json_object_get_string(s), want.data, want.len) == 0))
				same++;
			else if (same + 1 == parsed)
				printf("# differs at run %d: %s\n", r, buf_str(&j));
		}
		for (size_t i = 0; i < j.len; i++)
			if ((unsigned char)j.data[i] < 0x20) {
				printf("# raw control octet at run %d\n", r);
				parsed = -runs;
			}
		json_object_put(o);
		buf_free(&j);
		buf_free(&want);
	}
	is_int(parsed, runs, "every random string gives JSON that parses, with no raw control octet");
	is_int(same, runs, "and it decodes to the input, bad octets as U+FFFD");
}

int
main(void)
{
	test_escapes();
	test_members();
	test_random_strings_parse_and_round_trip();
	return done_testing();
}
