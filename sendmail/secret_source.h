/* SPDX-License-Identifier: MIT */
/*
 * secret_source - where an account's password comes from: password =,
 * password_command = or password_file = (saatja.ini(5)); exactly one of
 * them, checked once the account's section is read. A password_file is
 * an absolute path, or the bare name (no slash) of a systemd credential
 * that secret_file.h reads from $CREDENTIALS_DIRECTORY (so may
 * oauth_client_secret_file, oauth_conf.h).
 *
 * Nothing here reads a secret: the file is only looked at (stat), so
 * that one every user could read is refused when the config is loaded.
 */
#ifndef SAATJA_SECRET_SOURCE_H
#define SAATJA_SECRET_SOURCE_H

#include "buf.h"
#include "config.h"

/* Non-zero when a gives password, password_command or password_file. */
int secret_source_given(const struct account *a);

/*
 * Checks a's password keys once its section is read: with needs_password,
 * one of them must be there; never more than one; a password_file must
 * be an absolute path or a credential name, and a file every user can
 * read is refused. Returns 0, or -1 with the key to fix in *key (NULL:
 * the section) and the reason, translated, in *why (valid until the next
 * call).
 */
int secret_source_check(const struct account *a, int needs_password,
    const char **key, const char **why);

/* Non-zero when v may be a password_file or oauth_client_secret_file:
 * an absolute path, or a credential name (no slash, not . or ..). */
int secret_source_file_ok(const char *v);

/* Non-zero when value (a password_file) names a systemd credential. */
int secret_source_is_credential(const char *value);

/* Appends where a's password comes from, for --check, never the secret:
 * "password =", "password_command", "password_file PATH" or "the
 * systemd credential NAME (password_file)". */
void secret_source_describe(const struct account *a, struct buf *out);

#endif
