/* SPDX-License-Identifier: MIT */
/*
 * fuzz_proxy - libFuzzer target for what a SOCKS5 proxy or a config file
 * hands saatja: the proxy's reply to CONNECT (proxy_parse_reply) and the
 * proxy URL of proxy = (route_parse_proxy).
 *
 * proxy.h promises: a whole reply only when all its octets are there and
 * no more than 4 + 1 + 255 + 2 are asked for. route.h promises: a refused
 * URL keeps no password and says why; a parsed one has a host, a port in
 * 1..65535, no control character in its user name, and is shown with
 * its password as "***".
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route r;
	struct buf err = BUF_INIT, shown = BUF_INIT;
	size_t need;
	int code, rc = proxy_parse_reply(data, size, &need, &code);
	char *v;

	if ((rc == 1 && (need > size || code < 0)) || need > 4 + 1 + 255 + 2 ||
	    (rc == 0 && size >= need && need > 5))
		abort();
	v = strndup((const char *)data, size);
	if (v == NULL)
		return 0;
	memset(&r, 0, sizeof r);
	if (route_parse_proxy(&r, v, &err) == 0) {
		if (r.proxy_host == NULL || r.proxy_port < 1 || r.proxy_port > 65535)
			abort();
		for (const char *p = r.proxy_user ? r.proxy_user : ""; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				abort();
		route_proxy_url(&r, &shown);
		if (r.proxy_pass && strstr(buf_str(&shown), ":***@") == NULL)
			abort();
	} else if (err.len == 0 || r.proxy_pass != NULL) {
		abort();
	}
	route_free(&r);
	free(v);
	buf_free(&err);
	buf_free(&shown);
	return 0;
}
