/* SPDX-License-Identifier: MIT */
/*
 * fuzz_address - libFuzzer target for addr_parse_list and the writers
 * that put parsed addresses back into headers.
 *
 * The input is one header value or command-line argument. Besides
 * surviving it, the parser must hand back mailboxes that can be written
 * out again: a non-empty addr-spec, formatted with its display name as
 * addr_format writes a From header, parses back to the same single
 * addr-spec. Anything else would let a message leave with a header saatja
 * itself cannot read.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_round_trip(const struct mailbox *m)
{
	struct buf hdr = BUF_INIT, err = BUF_INIT;
	struct addrlist again = ADDRLIST_INIT;

	if (*m->addr == '\0')
		return;		/* "<>" has no header form of its own */
	addr_format(&hdr, m->display, m->addr);
	if (addr_parse_list(buf_str(&hdr), &again, &err) != ST_OK ||
	    again.n != 1 || strcmp(again.v[0].addr, m->addr) != 0) {
		fprintf(stderr, "round trip: \"%s\" -> \"%s\" -> %s\n",
		    m->addr, buf_str(&hdr), err.len ? buf_str(&err) :
		    again.n == 1 ? again.v[0].addr : "not one mailbox");
		abort();
	}
	addrlist_free(&again);
	buf_free(&hdr);
	buf_free(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct addrlist l = ADDRLIST_INIT;
	struct mailbox one;
	struct buf err = BUF_INIT, out = BUF_INIT;

	if (addr_parse_list(text, &l, &err) == ST_OK) {
		for (size_t i = 0; i < l.n; i++) {
			const struct mailbox *m = &l.v[i];

			check_round_trip(m);
			if (m->display)
				addr_encode_phrase(&out, m->display);
			(void)addr_is_8bit(m->addr);
			(void)addr_equal(m->addr, l.v[0].addr);
		}
	} else if (err.len == 0) {
		fprintf(stderr, "refused without a reason\n");
		abort();
	}
	addrlist_free(&l);
	buf_reset(&err);
	if (addr_parse_one(text, &one, &err) == ST_OK)
		addr_free(&one);
	buf_free(&err);
	buf_free(&out);
	free(text);
	return 0;
}
