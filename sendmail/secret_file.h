/* SPDX-License-Identifier: MIT */
/*
 * secret_file - reading a secret from a file: password_file, an absolute
 * path or the name of a systemd credential (saatja.ini(5)), when the
 * credential module needs it.
 *
 * A credential NAME is the file $CREDENTIALS_DIRECTORY/NAME that systemd
 * gives a service with LoadCredential= or LoadCredentialEncrypted=. A
 * set-group-ID sendmail never takes that variable from its caller's
 * environment (doc/DESIGN.md, Privileges): it would let a caller make
 * sendmail read files with the group's rights. A file that a caller's
 * own config names is read with the caller's rights only. The secret is
 * wiped once used; it never reaches the log or an error.
 */
#ifndef SAATJA_SECRET_FILE_H
#define SAATJA_SECRET_FILE_H

#include "buf.h"
#include "config.h"
#include "status.h"

/*
 * Reads the secret that value (of key, in account address's section)
 * names into *secret (free it with xfree_secret): the whole file less
 * one trailing newline. callers: the config is one the caller chose (-C)
 * in a set-group-ID run, so the file is opened with the caller's group.
 * Returns ST_OK; ST_TEMP_SERVER when value is a credential that this
 * process does not have (no usable $CREDENTIALS_DIRECTORY: the queue
 * runner's service has it, so the message waits for it); ST_CONFIG when
 * the file is missing, unreadable, not a plain file, readable by every
 * user, empty, longer than a line or 4096 octets. err says why and what
 * to do, never the secret.
 */
enum status secret_file_read(const char *address, const char *key,
    const char *value, int callers, char **secret, struct buf *err);

/* Non-zero when value names a systemd credential that this process has
 * no way to read (secret_file_read would give ST_TEMP_SERVER). */
int secret_file_elsewhere(const char *value);

/* The systemd credential that account a logs in with (password_file, or
 * an application's oauth_client_secret_file) when this process has no
 * way to read it; else NULL. */
const char *secret_file_account_elsewhere(const struct account *a);

#endif
