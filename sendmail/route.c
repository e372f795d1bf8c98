/* SPDX-License-Identifier: MIT */
/*
 * route - the proxy and source_ip values; see route.h.
 *
 * The proxy is written as a URL, as curl and git write theirs, so that a
 * value copied from ALL_PROXY works: socks5://user:password@host:port.
 * Characters that the URL syntax or an ini file would take for their
 * own (':', '@', '/', ';', '#') are written percent-encoded in the user
 * name and password (RFC 3986, section 2.1).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confval.h"
#include "i18n.h"
#include "route.h"
#include "util.h"

/* RFC 1929: the user name and the password are 1 to 255 octets. */
#define SOCKS_FIELD_MAX 255

/* Percent-decodes p[0..n) into a new string; NULL when a %XX is broken,
 * it holds or decodes to a control character, or the result is longer
 * than SOCKS_FIELD_MAX. */
static char *
pct_decode(const char *p, size_t n)
{
	char *out = xcalloc(n + 1, 1);	/* terminated for xfree_secret */
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		int hi, lo;

		if (p[i] != '%' && ((unsigned char)p[i] < 0x20 || p[i] == 0x7f))
			break;
		if (p[i] != '%') {
			out[k++] = p[i];
			continue;
		}
		hi = i + 2 < n ? hex_value((unsigned char)p[i + 1]) : -1;
		lo = hi >= 0 ? hex_value((unsigned char)p[i + 2]) : -1;
		/* No control character: a user name may be shown. */
		if (lo < 0 || (hi << 4 | lo) < 0x20 || (hi << 4 | lo) == 0x7f)
			break;
		out[k++] = (char)(hi << 4 | lo);
		i += 2;
	}
	if (i < n || k > SOCKS_FIELD_MAX) {
		xfree_secret(out);
		return NULL;
	}
	return out;
}

static void
clear_proxy(struct route *r)
{
	free(r->proxy_host);
	free(r->proxy_user);
	xfree_secret(r->proxy_pass);
	r->proxy_host = r->proxy_user = r->proxy_pass = NULL;
	r->proxy = PROXY_NONE;
	r->proxy_port = 0;
}

/* The user name and password of "user:password", into r. */
static int
parse_userinfo(struct route *r, const char *p, size_t n, struct buf *why)
{
	const char *colon = memchr(p, ':', n);
	size_t ulen = colon ? (size_t)(colon - p) : n;

	r->proxy_user = pct_decode(p, ulen);
	r->proxy_pass = colon ? pct_decode(colon + 1, n - ulen - 1) : NULL;
	if (r->proxy_user == NULL || (colon && r->proxy_pass == NULL)) {
		buf_adds(why, _("the user name or password in proxy = is not valid: write a character that is not a letter or digit as %XX (%40 for @, %3A for :, %2F for /, %25 for %), each at most 255 octets"));
		return -1;
	}
	if (r->proxy_user[0] == '\0') {
		buf_adds(why, _("the proxy's user name is empty: write socks5://USER:PASSWORD@HOST:PORT"));
		return -1;
	}
	if (colon == NULL) {
		buf_adds(why, _("the proxy's password is missing: write socks5://USER:PASSWORD@HOST:PORT"));
		return -1;
	}
	return 0;
}

/* host[:port] or [v6][:port], into r. */
static int
parse_hostport(struct route *r, const char *p, size_t n, struct buf *why)
{
	const char *port = NULL, *end = p + n;
	char *host;
	long num = ROUTE_DEFAULT_PROXY_PORT;
	struct in6_addr v6;

	if (n > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', n);

		if (close == NULL || (close + 1 < end && close[1] != ':'))
			goto bad;
		host = xstrndup(p + 1, (size_t)(close - p - 1));
		if (close + 1 < end)
			port = close + 2;
	} else {
		const char *colon = memchr(p, ':', n);

		host = xstrndup(p, colon ? (size_t)(colon - p) : n);
		if (colon)
			port = colon + 1;
	}
	if (port) {
		char *digits = xstrndup(port, (size_t)(end - port));

		num = confval_number(digits, 1, 65535);
		free(digits);
	}
	for (const char *h = host; *h; h++)
		if ((unsigned char)*h <= 0x20 || *h == 0x7f)
			num = -1;
	if (host[0] == '\0' || num < 0 || (p[0] == '[' ?
	    inet_pton(AF_INET6, host, &v6) != 1 : strpbrk(host, " \t@/:[]%?#") != NULL)) {
		free(host);
		goto bad;
	}
	r->proxy_host = host;
	r->proxy_port = (unsigned)num;
	return 0;
bad:
	buf_adds(why, _("the proxy's host or port is not valid: write socks5://HOST:PORT, such as socks5://127.0.0.1:1080 or socks5h://[::1]:9050 (the port is 1080 when left out)"));
	return -1;
}

int
route_parse_proxy(struct route *r, const char *v, struct buf *why)
{
	const char *rest, *at, *end;
	enum proxy_kind kind;

	clear_proxy(r);
	if (strncasecmp(v, "socks5://", 9) == 0) {
		kind = PROXY_SOCKS5;
		rest = v + 9;
	} else if (strncasecmp(v, "socks5h://", 10) == 0) {
		kind = PROXY_SOCKS5H;
		rest = v + 10;
	} else {
		buf_adds(why, _("not a SOCKS5 proxy URL: write socks5://HOST:PORT (saatja resolves the server's name) or socks5h://HOST:PORT (the proxy resolves it, as Tor needs)"));
		return -1;
	}
	end = rest + strlen(rest);
	if (end > rest && end[-1] == '/')
		end--;
	/* The user name and password end at the last '@': a password with
	 * an '@' left unencoded still parses. */
	at = NULL;
	for (const char *p = rest; p < end; p++)
		if (*p == '@')
			at = p;
	if ((at && parse_userinfo(r, rest, (size_t)(at - rest), why) < 0) ||
	    parse_hostport(r, at ? at + 1 : rest, (size_t)(end - (at ? at + 1 : rest)), why) < 0) {
		clear_proxy(r);
		return -1;
	}
	r->proxy = kind;
	return 0;
}

int
route_parse_source(struct route *r, const char *v, struct buf *why)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&r->source;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&r->source;

	memset(&r->source, 0, sizeof r->source);
	r->has_source = 0;
	if (inet_pton(AF_INET, v, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		r->source_len = sizeof *s4;
		inet_ntop(AF_INET, &s4->sin_addr, r->source_text, sizeof r->source_text);
	} else if (inet_pton(AF_INET6, v, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		r->source_len = sizeof *s6;
		inet_ntop(AF_INET6, &s6->sin6_addr, r->source_text, sizeof r->source_text);
	} else {
		buf_printf(why, _("\"%s\" is not an IPv4 or IPv6 address (such as 192.0.2.10 or 2001:db8::10); source_ip takes one of this machine's addresses, not a name"),
		    v);
		return -1;
	}
	r->has_source = 1;
	return 0;
}

int
route_set(struct route *r, const char *key, const char *v, struct buf *why)
{
	if (strcmp(key, "proxy") == 0)
		return route_parse_proxy(r, v, why);
	return route_parse_source(r, v, why);
}

void
route_proxy_name(const struct route *r, struct buf *out)
{
	if (r->proxy_host && strchr(r->proxy_host, ':'))
		buf_printf(out, "[%s]:%u", r->proxy_host, r->proxy_port);
	else
		buf_printf(out, "%s:%u", r->proxy_host ? r->proxy_host : "?",
		    r->proxy_port);
}

void
route_proxy_url(const struct route *r, struct buf *out)
{
	buf_adds(out, r->proxy == PROXY_SOCKS5H ? "socks5h://" : "socks5://");
	if (r->proxy_user)
		buf_printf(out, "%s:***@", r->proxy_user);
	route_proxy_name(r, out);
}

const char *
route_source_family(const struct route *r)
{
	return r->source.ss_family == AF_INET6 ? "IPv6" : "IPv4";
}

void
route_free(struct route *r)
{
	clear_proxy(r);
	r->has_source = 0;
}
