/* SPDX-License-Identifier: MIT */
/*
 * credential - an account's secret for a login; see credential.h.
 */
#include "autoconf.h"

#include <string.h>

#include "credential.h"
#include "i18n.h"
#include "password.h"
#include "secret_file.h"
#include "token.h"
#include "util.h"

void
credential_init(struct credential *cr, const struct config *c,
    const struct account *a)
{
	memset(cr, 0, sizeof *cr);
	cr->account = a;
	cr->callers_file = c->callers_file;
}

int
credential_renewable(const struct credential *cr, const char *mech)
{
	return oauth_conf_mech(mech) && cr->account->oauth.store;
}

enum status
credential_get(struct credential *cr, const char *mech, const char *refused,
    const char **secret, struct buf *err)
{
	const struct account *a = cr->account;
	enum status st = ST_OK;

	*secret = NULL;
	if (credential_renewable(cr, mech)) {
		st = token_get(a, cr->callers_file, &cr->access, &cr->expires,
		    refused, err);
		*secret = cr->access;
	} else if (a->password) {
		*secret = a->password;
	} else {
		if (cr->password == NULL && a->password_file)
			st = secret_file_read(a->address, "password_file",
			    a->password_file, cr->callers_file, &cr->password, err);
		else if (cr->password == NULL)
			st = password_run(a, cr->callers_file, "password_command",
			    a->password_command, &cr->password, err);
		*secret = cr->password;
	}
	return st;
}

/* The hint for a refused password: the provider's app password. */
static void
password_hint(const struct account *a, struct buf *err)
{
	const struct provider *p = a->provider;

	buf_printf(err, _("; check the password of [%s]"), a->address);
	if (p && p->app_password)
		buf_printf(err, _("; %s wants %s, not the mailbox password"),
		    p->name, _(p->password_hint));
	if (p && p->app_password && p->app_password_page)
		buf_printf(err, _(" (made at %s)"), p->app_password_page);
	if (p && p->note)
		buf_printf(err, " (%s)", _(p->note));
}

void
credential_refused(const struct credential *cr, const char *mech,
    const struct smtp_reply *r, const char *refusal, struct buf *err)
{
	if (!token_login_hint(cr->account, mech, r, refusal, err) &&
	    smtp_reply_refuses_login(r))
		password_hint(cr->account, err);
}

void
credential_free(struct credential *cr)
{
	xfree_secret(cr->password);
	xfree_secret(cr->access);
	memset(cr, 0, sizeof *cr);
}
