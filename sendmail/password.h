/*
 * password - making an account's secret available when a login needs
 * it: the password from the config, or the first line that its
 * password_command prints.
 *
 * The command runs under the privilege rules of a set-group-ID sendmail
 * (see password_get), and its output is wiped once read. Secrets never
 * reach a log, the trace, argv or a child's environment.
 */
#ifndef SAATJA_PASSWORD_H
#define SAATJA_PASSWORD_H

#include "account.h"
#include "buf.h"
#include "status.h"

/*
 * Makes the account's password available in a->password, running
 * password_command if needed (first line of its output). ST_CONFIG when
 * the command fails or prints nothing; ST_OSERR when it cannot be
 * started.
 *
 * The command runs through /bin/sh with a fixed PATH and no other
 * environment. In a set-group-ID sendmail, a command of the system
 * config runs with the group as its real and effective group (sh would
 * otherwise drop it and the command could not read a password file of
 * the group's), and a command from a file the caller chose
 * (a->callers_command) runs with the caller's group only, for good.
 */
enum status password_get(struct account *a, struct buf *err);

/*
 * Runs command, the value of key (password_command,
 * oauth_client_secret_command) in a's section, as password_get runs
 * password_command, and gives the first line of its output in *secret
 * (free it with xfree_secret). ST_CONFIG when the command fails or
 * prints nothing; ST_OSERR when it cannot be started.
 */
enum status password_run(const struct account *a, const char *key,
    const char *command, char **secret, struct buf *err);

/*
 * Google shows app passwords as four groups of four letters, and people
 * paste them with the spaces, which are not part of the password:
 * removes them from p when p has exactly that shape, else leaves it.
 */
void password_unspace(char *p);

#endif
