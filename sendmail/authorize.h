/* SPDX-License-Identifier: MIT */
/*
 * authorize - sendmail --authorize ADDR, and --setup for an OAuth2
 * account: the first tokens of an OAuth2 account, got by the helper's
 * sign-in flow (or by the application's own grant) and stored in the
 * account's token file, from which saatja renews them by itself.
 */
#ifndef SAATJA_AUTHORIZE_H
#define SAATJA_AUTHORIZE_H

#include "buf.h"
#include "config.h"
#include "status.h"

/*
 * Signs in the account of address and stores its tokens, saying so on
 * standard output. ST_CONFIG when it is no OAuth2 account; ST_NOPERM for
 * the system config of a set-group-ID install run by another user than
 * root; ST_CANTCREAT when the token file has no place; what
 * token_authorize returns otherwise.
 */
enum status authorize_run(const struct config *c, const char *address,
    struct buf *err);

#endif
