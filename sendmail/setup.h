/* SPDX-License-Identifier: MIT */
/*
 * setup - sendmail --setup ADDRESS (SETTING UP AN ACCOUNT in sendmail(8)):
 * finds the address's submission server (setup_find.h), asks for what
 * is missing and only that (the password with no echo, or the OAuth2
 * application and then the sign-in), checks the account with the steps
 * of --check, and only then writes its section into the config file,
 * keeping the rest of the file (conffile.h).
 *
 * Without a terminal it asks nothing: --password-stdin gives the
 * password, --yes confirms an answer outside the address's domain and
 * the replacing of a section that exists; what is still missing ends
 * the run with a sentence that names it. --dry-run shows what was found
 * and the section it would write, and changes nothing.
 */
#ifndef SAATJA_SETUP_H
#define SAATJA_SETUP_H

#include <stdio.h>

#include "buf.h"
#include "status.h"

struct setup_how {
	const char *address;
	const char *path;	/* the config file to write */
	int callers_file;	/* the caller named it (-C) */
	int dry_run;
	int yes;
	int password_stdin;
};

/*
 * Runs the set-up, reporting on out. ST_OK when the section was written
 * and checked (or, with --dry-run, found). Otherwise nothing was written
 * and err says why and what to do: ST_USAGE for an address that is not
 * one, or a password that could not be asked for (no terminal, no
 * --password-stdin); ST_CONFIG for a config file with errors, one that
 * cannot be read or written, a section that exists and was not to be
 * replaced, or OAuth2 details that could not be had; ST_UNAVAILABLE when
 * no server was found; what the check returned otherwise (ST_NOPERM for
 * a refused login).
 */
enum status setup_run(const struct setup_how *how, FILE *out, struct buf *err);

#endif
