/* SPDX-License-Identifier: MIT */
/*
 * fuzz_oauth_proto - libFuzzer target for the "key value" lines between
 * sendmail and saatja-oauth (oauth_proto.h): whatever one side writes,
 * the other side's parser must neither crash nor let a line break or a
 * control character through, and what it accepted must be written back
 * by oauth_msg_add and parsed to the same keys and values.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauth_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oauth_msg m = OAUTH_MSG_INIT, m2 = OAUTH_MSG_INIT;
	struct buf err = BUF_INIT, out = BUF_INIT;

	if (oauth_msg_parse(&m, (const char *)data, size, &err) == 0) {
		for (size_t i = 0; i < m.n; i++) {
			if (oauth_msg_add(&out, m.key[i], m.val[i]) != 0)
				abort();
			if (oauth_msg_get(&m, m.key[i]) != m.val[i])
				abort();	/* keys are unique */
		}
		if (oauth_msg_parse(&m2, out.data != NULL ? out.data : "", out.len, &err) != 0 ||
		    m2.n != m.n)
			abort();
		for (size_t i = 0; i < m.n; i++)
			if (strcmp(m.key[i], m2.key[i]) != 0 || strcmp(m.val[i], m2.val[i]) != 0)
				abort();
	} else if (err.len == 0 || m.n != 0) {
		abort();
	}
	buf_reset(&out);
	oauth_printable(&out, (const char *)data, size, 100);
	for (size_t i = 0; i < out.len; i++)
		if ((unsigned char)out.data[i] < 0x20 || (unsigned char)out.data[i] >= 0x7f)
			abort();
	oauth_msg_free(&m);
	oauth_msg_free(&m2);
	buf_free(&out);
	buf_free(&err);
	return 0;
}
