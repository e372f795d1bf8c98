/* SPDX-License-Identifier: MIT */
/*
 * fuzz_trust - libFuzzer target for the DER walk that finds the issuer
 * and subject of the certificates a server sends (trust.h).
 *
 * The input is one certificate as a hostile server could send it. The
 * names found must lie inside the input and start with a SEQUENCE tag;
 * the shortest prefix that holds the subject must find the same names,
 * and the prefix one byte shorter must ask for more.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(const struct trust_name *nm, const uint8_t *data, size_t size)
{
	if (nm->p < data || nm->n < 2 || nm->n > size ||
	    (size_t)(nm->p - data) > size - nm->n || nm->p[0] != 0x30) {
		fprintf(stderr, "a name outside the input or not a SEQUENCE\n");
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trust_name is, su, is2, su2;
	int r = trust_der_names(data, size, &is, &su);

	if (r != 1)
		return 0;
	inside(&is, data, size);
	inside(&su, data, size);
	/* The shortest prefix holding the subject finds the same names. */
	size = (size_t)(su.p - data) + su.n;
	if (trust_der_names(data, size, &is2, &su2) != 1 || is2.p != is.p ||
	    is2.n != is.n || su2.p != su.p || su2.n != su.n) {
		fprintf(stderr, "a prefix holding the subject disagrees\n");
		abort();
	}
	if (trust_der_names(data, size - 1, &is2, &su2) != 0) {
		fprintf(stderr, "one byte short is not \"need more\"\n");
		abort();
	}
	return 0;
}
