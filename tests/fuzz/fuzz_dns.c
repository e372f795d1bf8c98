/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dns - libFuzzer target for the DNS answer parser behind
 * sendmail --setup (dns.h).
 *
 * The input is a DNS message as a hostile name server could send it;
 * the first octet picks MX or SRV. Whatever it holds, the parser must
 * stay inside it, and every name it returns must be a NUL-terminated
 * string of printable octets shorter than DNS_NAME_MAX, in order of
 * preference.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_rr rr[DNS_RR_MAX];
	size_t n;
	int type;

	if (size < 1)
		return 0;
	type = data[0] & 1 ? DNS_T_SRV : DNS_T_MX;
	if (dns_parse(data + 1, size - 1, type, rr, DNS_RR_MAX, &n, NULL) < 0)
		return 0;
	if (n > DNS_RR_MAX)
		abort();
	for (size_t i = 0; i < n; i++) {
		size_t len = strnlen(rr[i].host, DNS_NAME_MAX);

		if (len == 0 || len >= DNS_NAME_MAX)
			abort();
		for (size_t j = 0; j < len; j++)
			if ((unsigned char)rr[i].host[j] <= ' ')
				abort();
		if (i > 0 && rr[i].pref < rr[i - 1].pref)
			abort();
	}
	return 0;
}
