/* SPDX-License-Identifier: MIT */
/*
 * sasl - SMTP AUTH mechanisms through GNU SASL; see sasl.h.
 *
 * Only mechanisms that the config accepts (PLAIN, LOGIN, and the bearer
 * token ones of sasl_oauth.h, which GNU SASL 2.2 lacks) are ever asked
 * for, so no mechanism needing other properties (a realm, a service
 * name) can come up.
 */
#include "autoconf.h"

#include <gsasl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "sasl.h"
#include "sasl_oauth.h"

struct sasl {
	Gsasl *ctx;
	Gsasl_session *session;
	char *oauth;		/* XOAUTH2 or OAUTHBEARER, done here */
	struct buf initial;	/* its initial response */
	struct buf refusal;	/* the server's error challenge, decoded */
};

const char *
sasl_choose(const struct account *a, const struct strlist *offered,
    size_t *from)
{
	while (*from < a->nauth) {
		const char *m = a->auth[(*from)++];

		if (strlist_has(offered, m))
			return m;
	}
	return NULL;
}

int
sasl_initial_response(const char *mech)
{
	/* RFC 4954 allows it for all; LOGIN servers often do not expect it. */
	return strcasecmp(mech, "PLAIN") == 0 || sasl_oauth_is(mech);
}

enum status
sasl_begin(struct sasl **sp, const char *mech, const char *user,
    const char *password, struct buf *err)
{
	struct sasl *s = xcalloc(1, sizeof *s);
	int rc;

	*sp = NULL;
	if (sasl_oauth_is(mech)) {
		s->oauth = xstrdup(mech);
		if (sasl_oauth_initial(mech, user, password, &s->initial) < 0) {
			buf_adds(err, _("cannot start SASL: out of memory"));
			sasl_end(s);
			return ST_OSERR;
		}
		*sp = s;
		return ST_OK;
	}
	if ((rc = gsasl_init(&s->ctx)) != GSASL_OK) {
		buf_printf(err, _("cannot start SASL: %s"), gsasl_strerror(rc));
		sasl_end(s);
		return ST_OSERR;
	}
	if ((rc = gsasl_client_start(s->ctx, mech, &s->session)) != GSASL_OK) {
		buf_printf(err, _("the SASL library cannot do AUTH %s: %s"), mech,
		    gsasl_strerror(rc));
		sasl_end(s);
		return ST_CONFIG;
	}
	if (gsasl_property_set(s->session, GSASL_AUTHID, user) != GSASL_OK ||
	    gsasl_property_set(s->session, GSASL_PASSWORD, password) != GSASL_OK) {
		buf_adds(err, _("cannot start SASL: out of memory"));
		sasl_end(s);
		return ST_OSERR;
	}
	*sp = s;
	return ST_OK;
}

enum status
sasl_step(struct sasl *s, const char *challenge, struct buf *out, int *done,
    struct buf *err)
{
	char *resp = NULL;
	int rc;

	buf_wipe(out);
	if (s->oauth) {
		/* The initial response says it all; a challenge is the
		 * server's error, answered so that it can send its 535. */
		if (challenge == NULL) {
			buf_add(out, s->initial.data, s->initial.len);
			*done = 0;
		} else {
			sasl_oauth_describe(challenge, &s->refusal);
			buf_adds(out, sasl_oauth_cancel(s->oauth));
			*done = 1;
		}
		return ST_OK;
	}
	rc = gsasl_step64(s->session, challenge ? challenge : "", &resp);
	if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
		buf_printf(err, _("cannot answer the server's AUTH challenge: %s"),
		    gsasl_strerror(rc));
		if (resp)
			gsasl_free(resp);
		return ST_PROTOCOL;
	}
	if (resp) {
		buf_adds(out, resp);
		explicit_bzero(resp, strlen(resp));
		gsasl_free(resp);
	}
	*done = rc == GSASL_OK;
	return ST_OK;
}

void
sasl_end(struct sasl *s)
{
	if (s == NULL)
		return;
	free(s->oauth);
	buf_wipe(&s->initial);
	buf_free(&s->initial);
	buf_free(&s->refusal);
	if (s->session)
		gsasl_finish(s->session);
	if (s->ctx)
		gsasl_done(s->ctx);
	free(s);
}

const char *
sasl_refusal(const struct sasl *s)
{
	return s->refusal.len ? s->refusal.data : NULL;
}
