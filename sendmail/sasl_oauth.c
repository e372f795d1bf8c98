/* SPDX-License-Identifier: MIT */
/*
 * sasl_oauth - XOAUTH2 and OAUTHBEARER; see sasl_oauth.h.
 */
#include "autoconf.h"

#include <gsasl.h>
#include <string.h>
#include <strings.h>

#include "oauth_proto.h"
#include "sasl_oauth.h"

int
sasl_oauth_is(const char *mech)
{
	return strcasecmp(mech, "XOAUTH2") == 0 || strcasecmp(mech, "OAUTHBEARER") == 0;
}

int
sasl_oauth_initial(const char *mech, const char *user, const char *token,
    struct buf *out)
{
	struct buf raw = BUF_INIT;
	char *b64 = NULL;
	size_t n;
	int rc;

	if (strcasecmp(mech, "XOAUTH2") == 0) {
		buf_printf(&raw, "user=%s\001", user);
	} else {
		buf_adds(&raw, "n,a=");
		for (const char *p = user; *p; p++)
			if (*p == ',')
				buf_adds(&raw, "=2C");
			else if (*p == '=')
				buf_adds(&raw, "=3D");
			else
				buf_addc(&raw, *p);
		buf_adds(&raw, ",\001");
	}
	buf_printf(&raw, "auth=Bearer %s\001\001", token);
	rc = gsasl_base64_to(raw.data, raw.len, &b64, &n);
	buf_free_secret(&raw);
	if (rc != GSASL_OK)
		return -1;
	buf_add(out, b64, n);
	explicit_bzero(b64, n);
	gsasl_free(b64);
	return 0;
}

const char *
sasl_oauth_cancel(const char *mech)
{
	return strcasecmp(mech, "XOAUTH2") == 0 ? "" : "AQ==";
}

void
sasl_oauth_describe(const char *challenge, struct buf *out)
{
	char *raw = NULL;
	size_t n = 0;

	if (gsasl_base64_from(challenge, strlen(challenge), &raw, &n) != GSASL_OK) {
		buf_adds(out, "?");
		return;
	}
	oauth_printable(out, raw, n, 200);
	gsasl_free(raw);
}
