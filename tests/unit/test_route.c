/* SPDX-License-Identifier: MIT */
/*
 * test_route - the proxy and source_ip values (route.h) and the
 * SOCKS5 reply parser (proxy.h).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <string.h>

#include "proxy.h"
#include "route.h"
#include "../lib/tap.h"

/* Parses v as a proxy URL; 0 or -1, with r and err filled. */
static int
parse(struct route *r, const char *v, struct buf *err)
{
	route_free(r);
	memset(r, 0, sizeof *r);
	buf_reset(err);
	return route_set(r, "proxy", v, err);
}

static void
test_plain_socks5_url(void)
{
	struct route r = { 0 };
	struct buf err = BUF_INIT, d = BUF_INIT;

	is_int(parse(&r, "socks5://127.0.0.1:1080", &err), 0, "socks5://host:port parses");
	is_int(r.proxy, PROXY_SOCKS5, "socks5:// means saatja resolves the name");
	is_str(r.proxy_host, "127.0.0.1", "the host");
	is_int(r.proxy_port, 1080, "the port");
	ok(r.proxy_user == NULL && r.proxy_pass == NULL, "no user name or password");
	is_int(parse(&r, "SOCKS5H://tor.lan/", &err), 0, "upper case scheme, trailing slash, no port");
	is_int(r.proxy, PROXY_SOCKS5H, "socks5h:// means the proxy resolves the name");
	is_int(r.proxy_port, 1080, "the port defaults to 1080");
	is_int(parse(&r, "socks5h://[::1]:9050", &err), 0, "an IPv6 literal in brackets");
	is_str(r.proxy_host, "::1", "the brackets are not part of the host");
	route_proxy_name(&r, &d);
	is_str(buf_str(&d), "[::1]:9050", "the name puts the brackets back");
	route_free(&r);
	buf_free(&err);
	buf_free(&d);
}

static void
test_user_and_password_are_decoded_and_hidden(void)
{
	struct route r = { 0 };
	struct buf err = BUF_INIT, d = BUF_INIT;

	is_int(parse(&r, "socks5://us%65r:p%40ss%3Aw%25rd@proxy.lan:1081", &err), 0,
	    "user:password@ parses");
	is_str(r.proxy_user, "user", "the user name is percent-decoded");
	is_str(r.proxy_pass, "p@ss:w%rd", "the password is percent-decoded");
	route_proxy_url(&r, &d);
	is_str(buf_str(&d), "socks5://user:***@proxy.lan:1081", "the URL shown hides the password");
	is_int(parse(&r, "socks5://u:a@b@h:1", &err), 0, "an unencoded @ in the password");
	is_str(r.proxy_pass, "a@b", "the password ends at the last @");
	is_str(r.proxy_host, "h", "the host follows the last @");
	is_int(parse(&r, "socks5://u:@h", &err), 0, "an empty password is allowed");
	is_str(r.proxy_pass, "", "the empty password");
	route_free(&r);
	buf_free(&err);
	buf_free(&d);
}

static void
test_bad_urls_never_repeat_the_password(void)
{
	static const char *const bad[] = {
		"http://127.0.0.1:3128", "socks4://h:1080", "socks5://", "socks5://h:0",
		"socks5://h:65536", "socks5://h:port", "socks5://u:secret@", "socks5://:secret@h",
		"socks5://usersecret@h", "socks5://u:sec%zzret@h", "socks5://u:sec%0aret@h",
		"socks5://[::1:1080", "socks5://[h]:1080", "socks5://h:1080/x", "socks5://h h",
		"socks5://u:secret@h/path?q", "socks5://u\x01:secret@h", "socks5://h\x7f:1",
		NULL
	};
	struct route r = { 0 };
	struct buf err = BUF_INIT;

	for (size_t i = 0; bad[i]; i++) {
		char name[128];

		snprintf(name, sizeof name, "\"%s\" is refused", bad[i]);
		is_int(parse(&r, bad[i], &err), -1, name);
		snprintf(name, sizeof name, "the error for \"%s\" says something", bad[i]);
		ok(err.len > 0, name);
		snprintf(name, sizeof name, "the error for \"%s\" holds no password", bad[i]);
		ok(strstr(buf_str(&err), "secret") == NULL && strstr(buf_str(&err), "sec") == NULL, name);
		ok(r.proxy == PROXY_NONE && r.proxy_pass == NULL, "nothing is kept");
	}
	route_free(&r);
	buf_free(&err);
}

static void
test_source_ip(void)
{
	struct route r = { 0 };
	struct buf err = BUF_INIT;

	is_int(route_set(&r, "source_ip", "192.0.2.7", &err), 0, "an IPv4 address");
	is_int(r.source.ss_family, AF_INET, "IPv4 family");
	is_str(r.source_text, "192.0.2.7", "written back");
	is_str(route_source_family(&r), "IPv4", "its family's name");
	is_int(route_set(&r, "source_ip", "2001:DB8::0:10", &err), 0, "an IPv6 address");
	is_int(r.source.ss_family, AF_INET6, "IPv6 family");
	is_str(r.source_text, "2001:db8::10", "written back in its short form");
	is_int(route_set(&r, "source_ip", "mail.firma.ee", &err), -1, "a name is refused");
	ok(strstr(buf_str(&err), "not an IPv4 or IPv6 address") != NULL, "the error says what is wanted");
	ok(!r.has_source, "nothing is kept");
	buf_reset(&err);
	is_int(route_set(&r, "source_ip", "192.0.2.300", &err), -1, "a bad IPv4 address is refused");
	route_free(&r);
	buf_free(&err);
}

static void
test_socks_reply_parser(void)
{
	static const unsigned char v4[] = { 5, 0, 0, 1, 127, 0, 0, 1, 0x04, 0x38 };
	static const unsigned char v6[22] = { 5, 5, 0, 4 };
	static const unsigned char dom[] = { 5, 0, 0, 3, 3, 'a', 'b', 'c', 0, 25 };
	static const unsigned char http[] = "HTTP/1.1 400 Bad Request";
	static const unsigned char rsv[] = { 5, 0, 1, 1, 0, 0, 0, 0, 0, 0 };
	static const unsigned char atyp[] = { 5, 0, 0, 2, 0, 0, 0, 0, 0, 0 };
	size_t need;
	int code;

	is_int(proxy_parse_reply(v4, sizeof v4, &need, &code), 1, "an IPv4 reply is whole");
	is_int((long)need, 10, "its length");
	is_int(code, 0, "succeeded");
	is_int(proxy_parse_reply(v4, 5, &need, &code), 0, "five octets of it are not enough");
	is_int((long)need, 10, "but tell how many are");
	is_int(proxy_parse_reply(v4, 2, &need, &code), 0, "two octets: more needed");
	is_int(proxy_parse_reply(v6, sizeof v6, &need, &code), 1, "an IPv6 reply is whole");
	is_int(code, 5, "its code: connection refused");
	is_int(proxy_parse_reply(dom, sizeof dom, &need, &code), 1, "a domain name reply is whole");
	is_int((long)need, 10, "its length counts the name");
	is_int(proxy_parse_reply(http, sizeof http - 1, &need, &code), -1, "an HTTP answer is not SOCKS5");
	is_int(proxy_parse_reply(rsv, sizeof rsv, &need, &code), -1, "a reserved octet that is not 0");
	is_int(proxy_parse_reply(atyp, sizeof atyp, &need, &code), -1, "an unknown address type");
	for (int c = 1; c <= 8; c++)
		ok(strcmp(proxy_reply_text(c), proxy_reply_text(99)) != 0, "each reply code 1-8 has words");
	is_str(proxy_reply_text(5), "connection refused", "reply 5 in words");
}

int
main(void)
{
	test_plain_socks5_url();
	test_user_and_password_are_decoded_and_hidden();
	test_bad_urls_never_repeat_the_password();
	test_source_ip();
	test_socks_reply_parser();
	return done_testing();
}
