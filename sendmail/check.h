/* SPDX-License-Identifier: MIT */
/*
 * check - sendmail --check [ADDR]: tries an account against its server
 * one step at a time (config, DNS, connect, TLS, AUTH, sender, QUIT) and
 * says, for the first step that fails, what is wrong in plain words and
 * what to do about it. No message is sent: the session ends with RSET and
 * QUIT after MAIL FROM.
 *
 * Each step prints on standard output a line with a check mark (or a
 * cross) and one line of detail; a failure adds a hint and ends the
 * check. The password, and its base64, never appear.
 */
#ifndef SAATJA_CHECK_H
#define SAATJA_CHECK_H

#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "status.h"

/*
 * Checks the account address (the default account when NULL), writing the
 * steps to out. Returns ST_OK when every step passed. Otherwise the
 * status of the step that failed, with a one-line summary in err:
 * ST_CONFIG for an address that is no account (err names the accounts),
 * no default account, or a port and tls = that do not match what the
 * server speaks;
 * ST_TEMP_NETWORK when the name does not resolve or the connection fails;
 * ST_NOPERM for an untrusted certificate or a refused login;
 * ST_UNAVAILABLE when the server refuses the account's address at MAIL
 * FROM; the status smtp gave for anything else.
 */
enum status check_run(const struct config *c, const char *address,
    FILE *out, struct buf *err);

#endif
