/* SPDX-License-Identifier: MIT */
/*
 * options - command-line parsing; see options.h.
 *
 * Each letter is either a flag, takes an argument, or is "-q", whose
 * argument may only be glued. The table below is the whole of OPTIONS in
 * sendmail(8).
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "options.h"

static int
has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

static enum status
usage_error(struct buf *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum status
usage_error(struct buf *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(err, fmt, ap);
	va_end(ap);
	buf_adds(err, _(" (see sendmail --help)"));
	return ST_USAGE;
}

static enum status
set_delivery(struct options *o, const char *v, struct buf *err)
{
	switch (tolower((unsigned char)v[0])) {
	case 'i': o->delivery = DELIVERY_INTERACTIVE; break;
	case 'b': o->delivery = DELIVERY_BACKGROUND; break;
	case 'q': o->delivery = DELIVERY_QUEUE; break;
	default:
		return usage_error(err, _("unknown delivery mode \"%s\": use i (interactive), b (background) or q (queue)"), v);
	}
	o->delivery_set = 1;
	return ST_OK;
}

/* -o X: the old-style options; only -oi and -od? matter. */
static enum status
old_option(struct options *o, const char *v, struct buf *err)
{
	if (strcmp(v, "i") == 0)
		o->dot_ends = 0;
	else if (v[0] == 'd' && v[1])
		return set_delivery(o, v + 1, err);
	return ST_OK;	/* -oem, -oep, -om, -o7, -o8, ...: accepted, ignored */
}

/* -O Name=value: only DeliveryMode matters. */
static enum status
long_old_option(struct options *o, const char *v, struct buf *err)
{
	if (strncasecmp(v, "DeliveryMode=", 13) == 0)
		return set_delivery(o, v + 13, err);
	return ST_OK;
}

static enum status
b_mode(struct options *o, const char *v, struct buf *err)
{
	if (strcmp(v, "m") == 0)
		o->mode = MODE_DELIVER;
	else if (strcmp(v, "p") == 0)
		o->mode = MODE_LIST_QUEUE;
	else if (strcmp(v, "s") == 0)
		o->mode = MODE_SMTP;
	else if (strcmp(v, "v") == 0)
		o->mode = MODE_VERIFY;
	else if (strcmp(v, "i") == 0)
		o->mode = MODE_NOTHING;
	else if (strcmp(v, "d") == 0 || strcmp(v, "D") == 0)
		return usage_error(err, _("-b%s (run as a daemon) is not supported: saatja sends through a provider and never listens; use -bs for SMTP on standard input"), v);
	else
		return usage_error(err, _("-b%s is not supported; saatja knows -bm, -bp, -bs, -bv and -bi"), v);
	return ST_OK;
}

static int
is_interval(const char *s)
{
	if (!isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !strchr("smhdw", *s))
			return 0;
	return 1;
}

static enum status
q_option(struct options *o, const char *rest, const char *next, int *used_next,
    struct buf *err)
{
	if (*rest == '\0') {
		o->mode = MODE_RUN_QUEUE;
	} else if (*rest == 'I') {
		const char *id = rest[1] ? rest + 1 : next;

		if (id == NULL || *id == '\0' || *id == '-')
			return usage_error(err, "%s", _("-qI needs a queue ID (see mailq)"));
		if (rest[1] == '\0')
			*used_next = 1;
		o->mode = MODE_RUN_ONE;
		o->queue_id = id;
	} else if (is_interval(rest)) {
		o->mode = MODE_NOTHING;	/* a timer or cron runs -q --due */
	} else {
		return usage_error(err, _("-q%s is not supported; use -q, -q --due or -qI ID"), rest);
	}
	return ST_OK;
}

/* opt is the option whose argument v is, or NULL for a recipient. */
static enum status
check_value(const char *opt, const char *v, struct buf *err)
{
	if (!has_line_break(v))
		return ST_OK;
	if (opt)
		buf_printf(err, _("the argument of %s contains a line break; refusing it so that it cannot reach a header or an SMTP command"),
		    opt);
	else
		buf_adds(err, _("a recipient contains a line break; refusing it so that it cannot reach a header or an SMTP command"));
	return ST_USAGE;
}

static enum status
dsn_notify(struct options *o, const char *v, struct buf *err)
{
	char *copy = xstrdup(v), *save = NULL;
	int never = 0, other = 0;

	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		static const char *const words[] = { "never", "success",
		    "failure", "delay", NULL };
		int k = word_index(words, w);

		if (k == 0)
			never = 1;
		else if (k > 0)
			other = 1;
		else {
			free(copy);
			return usage_error(err, _("-N %s: use never, or a list of success, failure and delay"), v);
		}
	}
	free(copy);
	if (never == other)
		return usage_error(err, _("-N %s: use never, or a list of success, failure and delay"), v);
	o->req.dsn_notify = v;
	return ST_OK;
}

static const char *const body_types[] = { "7BIT", "8BITMIME", NULL };
static const char *const dsn_rets[] = { "full", "hdrs", NULL };

/* -B and -R: one of a few keywords. */
static enum status
keyword_option(struct options *o, char letter, const char *v,
    struct buf *err)
{
	if (letter == 'B' && word_index(body_types, v) < 0)
		return usage_error(err, _("-B %s: use 7BIT or 8BITMIME"), v);
	if (letter == 'R' && word_index(dsn_rets, v) < 0)
		return usage_error(err, _("-R %s: use full or hdrs"), v);
	*(letter == 'B' ? &o->req.body_type : &o->req.dsn_ret) = v;
	return ST_OK;
}

/* The options whose argument is kept as given. */
static const struct {
	char letter;
	size_t off;
} kept[] = {
	{ 'f', offsetof(struct options, req.sender) },
	{ 'r', offsetof(struct options, req.sender) },
	{ 'F', offsetof(struct options, req.fullname) },
	{ 'C', offsetof(struct options, config_file) },
	{ 'X', offsetof(struct options, transcript) },
};

static enum status
with_argument(struct options *o, char letter, const char *v, struct buf *err)
{
	char opt[3] = { '-', letter, '\0' };
	enum status st = check_value(opt, v, err);

	if (st != ST_OK)
		return st;
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
		if (kept[i].letter == letter) {
			*(const char **)((char *)o + kept[i].off) = v;
			return ST_OK;
		}
	}
	switch (letter) {
	case 'B':
	case 'R':
		return keyword_option(o, letter, v, err);
	case 'N':
		return dsn_notify(o, v, err);
	case 'V':
		for (const char *p = v; *p; p++)
			if (*p <= ' ' || *p > '~' || *p == '+' || *p == '=')
				return usage_error(err, _("-V %s: the envelope ID must be printable ASCII without spaces, + or ="), v);
		o->req.dsn_envid = v;
		break;
	case 'o':
		return old_option(o, v, err);
	case 'O':
		return long_old_option(o, v, err);
	case 'b':
		return b_mode(o, v, err);
	case 'e':
	case 'h':
	case 'L':
		break;	/* accepted and ignored */
	}
	return ST_OK;
}

/* Letters that take an argument, glued or separate. */
static const char arg_letters[] = "frFCBNRVXoObehL";
/* Letters that are flags. */
static const char flag_letters[] = "tivmnGU";

static enum status
cluster(struct options *o, char **argv, int argc, int *i, struct buf *err)
{
	const char *arg = argv[*i];

	for (const char *p = arg + 1; *p; p++) {
		const char *next = *i + 1 < argc ? argv[*i + 1] : NULL;
		int used_next = 0;
		enum status st;

		if (strchr(flag_letters, *p)) {
			if (*p == 't')
				o->req.headers_give_rcpts = 1;
			else if (*p == 'i')
				o->dot_ends = 0;
			else if (*p == 'v')
				o->verbose = 1;
			continue;	/* -m, -n, -G, -U: ignored */
		}
		if (*p == 'q') {
			st = q_option(o, p + 1, next, &used_next, err);
			if (used_next)
				(*i)++;
			return st;
		}
		if (strchr(arg_letters, *p)) {
			const char *v = p[1] ? p + 1 : next;

			if (v == NULL) {
				char opt[3] = { '-', *p, '\0' };

				return usage_error(err, _("option %s needs an argument"), opt);
			}
			if (!p[1])
				(*i)++;
			return with_argument(o, *p, v, err);
		}
		{
			char opt[3] = { '-', *p, '\0' };

			return usage_error(err, _("unknown option %s"), opt);
		}
	}
	return ST_OK;
}

static enum status
long_option(struct options *o, char **argv, int argc, int *i, struct buf *err)
{
	const char *arg = argv[*i];

	if (strcmp(arg, "--dry-run") == 0)
		o->dry_run = 1;
	else if (strcmp(arg, "--due") == 0)
		o->due_only = 1;
	else if (strcmp(arg, "--json") == 0)
		o->json = 1;
	else if (strcmp(arg, "--version") == 0)
		o->mode = MODE_VERSION;
	else if (strcmp(arg, "--help") == 0)
		o->mode = MODE_HELP;
	else if (strncmp(arg, "--check=", 8) == 0) {
		o->mode = MODE_CHECK;
		o->check_address = arg + 8;
	} else if (strcmp(arg, "--check") == 0) {
		o->mode = MODE_CHECK;
		if (*i + 1 < argc && argv[*i + 1][0] != '-')
			o->check_address = argv[++*i];
	} else if (strncmp(arg, "--authorize=", 12) == 0) {
		o->mode = MODE_AUTHORIZE;
		o->authorize_address = arg + 12;
	} else if (strcmp(arg, "--authorize") == 0) {
		if (*i + 1 >= argc)
			return usage_error(err, "%s", _("--authorize needs the account's address"));
		o->mode = MODE_AUTHORIZE;
		o->authorize_address = argv[++*i];
	} else if (strncmp(arg, "--setup=", 8) == 0) {
		o->mode = MODE_SETUP;
		o->setup_address = arg + 8;
	} else if (strcmp(arg, "--setup") == 0) {
		if (*i + 1 >= argc)
			return usage_error(err, "%s", _("--setup needs the address to send from"));
		o->mode = MODE_SETUP;
		o->setup_address = argv[++*i];
	} else if (strcmp(arg, "--yes") == 0)
		o->yes = 1;
	else if (strcmp(arg, "--password-stdin") == 0)
		o->password_stdin = 1;
	else
		return usage_error(err, _("unknown option %s"), arg);
	if (o->setup_address)
		return check_value("--setup", o->setup_address, err);
	if (o->authorize_address)
		return check_value("--authorize", o->authorize_address, err);
	if (o->check_address)
		return check_value("--check", o->check_address, err);
	return ST_OK;
}

enum status
options_parse(struct options *o, int argc, char **argv, const char *progname,
    struct buf *err)
{
	enum status st = ST_OK;
	int i;

	memset(o, 0, sizeof *o);
	o->mode = MODE_DELIVER;
	o->dot_ends = 1;
	if (strcmp(progname, "mailq") == 0)
		o->mode = MODE_LIST_QUEUE;
	else if (strcmp(progname, "newaliases") == 0)
		o->mode = MODE_NOTHING;

	for (i = 1; i < argc && st == ST_OK; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--") == 0) {
			for (i++; i < argc && st == ST_OK; i++) {
				st = check_value(NULL, argv[i], err);
				strlist_add(&o->req.rcpts, argv[i]);
			}
			break;
		}
		if (arg[0] == '-' && arg[1] == '-')
			st = long_option(o, argv, argc, &i, err);
		else if (arg[0] == '-' && arg[1])
			st = cluster(o, argv, argc, &i, err);
		else if (arg[0] == '-')
			st = usage_error(err, "%s", _("a lone \"-\" is not an option"));
		else {
			st = check_value(NULL, arg, err);
			strlist_add(&o->req.rcpts, arg);
		}
	}
	if (st == ST_OK && o->due_only && o->mode != MODE_RUN_QUEUE)
		st = usage_error(err, "%s", _("--due goes with -q"));
	if (st == ST_OK && o->req.sender &&
	    (strcmp(o->req.sender, "<>") == 0 || o->req.sender[0] == '\0'))
		o->req.sender = NULL;	/* the null sender: none asked for */
	return st;
}

void
options_free(struct options *o)
{
	strlist_free(&o->req.rcpts);
}

void
options_usage(FILE *out)
{
	/* TRANSLATORS: keep the options and the words in capitals (ADDR,
	 * NAME, FILE, ID) as they are; align the descriptions. */
	fputs(_("usage: sendmail [options] [--] [recipient ...]\n"
	    "  -t             take recipients from To, Cc and Bcc (and add the arguments)\n"
	    "  -i, -oi        a line with only \".\" does not end the message\n"
	    "  -f ADDR        envelope sender the caller asks for (the account's address is used)\n"
	    "  -F NAME        full name for a From header that saatja adds\n"
	    "  -C FILE        use this configuration file\n"
	    "  -bm, -bp, -bs, -bv, -bi   deliver / list the queue / SMTP on stdin / verify / no-op\n"
	    "  -q, -q --due, -qI ID      run the queue (all / due only / one message)\n"
	    "  -odi, -odb, -odq          deliver now / in the background / queue only\n"
	    "  -B 7BIT|8BITMIME, -N, -R, -V   body type and DSN parameters\n"
	    "  -v, -X FILE    show the SMTP dialogue (passwords hidden)\n"
	    "  --dry-run      decide everything, send nothing, print the result\n"
	    "  --check [ADDR] test an account's server, TLS and login\n"
	    "  --authorize ADDR   sign in to an OAuth2 account and store its token\n"
	    "  --setup ADDR   find the server of ADDR, check it and write its account\n"
	    "                 (with --dry-run, --yes, --password-stdin)\n"
	    "  --version, --help\n"
	    "See sendmail(8) and saatja.ini(5).\n"), out);
}
