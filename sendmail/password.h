/* SPDX-License-Identifier: MIT */
/*
 * password - the commands of an account that print a secret
 * (password_command, oauth_client_secret_command): the first line they
 * print, when it is needed (credential.h and token.c ask).
 *
 * The command runs under the privilege rules of a set-group-ID sendmail
 * (see password_run), and its output is wiped once read. Secrets never
 * reach a log, the trace, argv or a child's environment.
 */
#ifndef SAATJA_PASSWORD_H
#define SAATJA_PASSWORD_H

#include "config.h"
#include "buf.h"
#include "status.h"

/*
 * Runs command, the value of key (password_command,
 * oauth_client_secret_command) in a's section, and gives the first line
 * of its output in *secret (free it with xfree_secret). ST_CONFIG when
 * the command fails or prints nothing; ST_OSERR when it cannot be
 * started.
 *
 * The command runs through /bin/sh with a fixed PATH and no other
 * environment. In a set-group-ID sendmail, a command of the system
 * config runs with the group as its real and effective group (sh would
 * otherwise drop it and the command could not read a password file of
 * the group's), and a command from a file the caller chose (callers
 * non-zero) runs with the caller's group only, for good.
 */
enum status password_run(const struct account *a, int callers,
    const char *key, const char *command, char **secret, struct buf *err);

#endif
