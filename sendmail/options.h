/* SPDX-License-Identifier: MIT */
/*
 * options - the sendmail command line (OPTIONS in sendmail(8)), parsed
 * into one struct.
 *
 * Options and recipients may be mixed before "--"; everything after "--"
 * is a recipient. Option letters cluster as with getopt ("-ti"), and
 * arguments may be glued ("-fuser@x") or separate ("-f user@x"). Options
 * that sendmail callers pass out of habit are accepted and ignored; an
 * unknown one is an error, never a silent send.
 */
#ifndef SAATJA_OPTIONS_H
#define SAATJA_OPTIONS_H

#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "request.h"
#include "status.h"

enum mode {
	MODE_DELIVER,		/* -bm, the default */
	MODE_LIST_QUEUE,	/* -bp, mailq */
	MODE_SMTP,		/* -bs */
	MODE_VERIFY,		/* -bv */
	MODE_NOTHING,		/* -bi, newaliases, -q<interval>: exit 0 */
	MODE_RUN_QUEUE,		/* -q */
	MODE_RUN_ONE,		/* -qI ID */
	MODE_CHECK,		/* --check [ADDR] */
	MODE_AUTHORIZE,		/* --authorize ADDR */
	MODE_SETUP,		/* --setup ADDR */
	MODE_VERSION,
	MODE_HELP,
};

struct options {
	enum mode mode;
	struct request req;	/* -f, -F, -t, -B, -N, -R, -V, recipients */
	int dot_ends;		/* no -i / -oi */
	const char *config_file;	/* -C */
	int delivery_set;
	enum delivery_mode delivery;	/* -od?, -O DeliveryMode= */
	int verbose;		/* -v */
	const char *transcript;	/* -X FILE */
	int dry_run;		/* --dry-run */
	const char *check_address;	/* --check ADDR, or NULL */
	const char *authorize_address;	/* --authorize ADDR */
	const char *setup_address;	/* --setup ADDR */
	int yes;		/* --yes: confirm for --setup */
	int password_stdin;	/* --password-stdin */
	int due_only;		/* -q --due */
	const char *queue_id;	/* -qI ID */
	int json;		/* mailq --json */
};

/*
 * Parses argv. progname (argv[0]'s base name) selects mailq and newaliases
 * behaviour. Returns ST_OK, or ST_USAGE with the reason in err: unknown
 * option, missing argument, unsupported -b mode, CR/LF in an argument that
 * could reach a header or an SMTP command.
 */
enum status options_parse(struct options *o, int argc, char **argv,
    const char *progname, struct buf *err);
void options_free(struct options *o);

/* One-paragraph usage text for --help. */
void options_usage(FILE *out);

#endif
