/* SPDX-License-Identifier: MIT */
/*
 * authorize - sendmail --authorize ADDR (authorize.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <unistd.h>

#include "authorize.h"
#include "i18n.h"
#include "oauth_conf.h"
#include "queue.h"
#include "token.h"
#include "util.h"

/*
 * --authorize ADDR: the first OAuth2 tokens of an account. For the
 * system config of a set-group-ID install only root may do it: the
 * tokens are the group's, not the caller's.
 */
enum status
authorize_run(const struct config *c, const char *address, struct buf *err)
{
	struct account *a = config_account(c, address);
	enum status st;

	if (a == NULL) {
		buf_printf(err, _("%s has no account [%s]"), c->path, address);
		return ST_CONFIG;
	}
	if (!a->oauth.store) {
		buf_printf(err, _("%s: [%s] is not an OAuth2 account: add oauth = microsoft or google and oauth_client_id (see saatja.ini(5), OAUTH2)"),
		    c->path, a->address);
		return ST_CONFIG;
	}
	if (raised_privileges() && !c->callers_file && getuid() != 0) {
		buf_printf(err, _("the tokens of the system configuration are kept for the group of sendmail: run sendmail --authorize %s as root"),
		    a->address);
		return ST_NOPERM;
	}
	if (a->oauth.token_file == NULL) {
		/* The first token of the system spool: make the spool. */
		struct queue q;

		if ((st = queue_open(&q, c, err)) != ST_OK)
			return st;
		token_locate(c, q.dir);
		queue_close(&q);
	}
	if (a->oauth.token_file == NULL) {
		buf_printf(err, _("no place for the token file of %s: set oauth_token_file in [%s]"),
		    a->address, a->address);
		return ST_CANTCREAT;
	}
	st = token_authorize(a, c->callers_file, err);
	if (st == ST_OK && oauth_conf_app(&a->oauth))
		printf(_("The application got a token for %s from %s; it is kept in %s, and saatja fetches new ones by itself. Nobody needs to sign in.\n"),
		    a->address, oauth_conf_token_service(&a->oauth), a->oauth.token_file);
	else if (st == ST_OK)
		printf(_("Signed in. The token of %s is stored in %s; saatja renews it by itself from now on.\n"),
		    a->address, a->oauth.token_file);
	return st;
}
