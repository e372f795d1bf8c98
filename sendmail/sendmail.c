/*
 * sendmail - saatja's main: options, config, then one of the modes.
 *
 * This is the only file that turns an enum status into an exit code and
 * the only one that prints errors for the caller: "sendmail: " followed
 * by what went wrong and what to do, on one line of standard error.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "check.h"
#include "token.h"
#include "config.h"
#include "i18n.h"
#include "log.h"
#include "message.h"
#include "options.h"
#include "mailq.h"
#include "queue.h"
#include "runq.h"
#include "server.h"
#include "status.h"
#include "submit.h"

/*
 * The text of err made one line: a control character that came from
 * the input (a CR in a config value, say) would move the cursor or
 * split the line on the caller's terminal or in its log, so it is
 * shown as '?'. UTF-8 stays.
 */
static const char *
one_line(const struct buf *err)
{
	for (size_t i = 0; i < err->len; i++)
		if ((unsigned char)err->data[i] < 0x20 || err->data[i] == 0x7f)
			err->data[i] = '?';
	return buf_str(err);
}

static int
finish(enum status st, const struct buf *err)
{
	if (st != ST_OK && err->len)
		fprintf(stderr, "sendmail: %s\n", one_line(err));
	return status_exit_code(st);
}

/*
 * The config file: -C, else the user's own file when not running with
 * raised privileges, else the system file.
 */
static char *
config_path(const struct options *o)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	struct buf p = BUF_INIT;
	int raised = getuid() != geteuid() || getgid() != getegid();

	if (o->config_file)
		return xstrdup(o->config_file);
	if (!raised && ((xdg && *xdg == '/') || (home && *home == '/'))) {
		if (xdg && *xdg == '/')
			buf_printf(&p, "%s/saatja/saatja.ini", xdg);
		else
			buf_printf(&p, "%s/.config/saatja/saatja.ini", home);
		if (access(p.data, F_OK) == 0)
			return buf_take(&p);
		buf_free(&p);
	}
	return xstrdup(SYSCONFDIR "/saatja.ini");
}

/* Where a --dry-run or -bv spools the body: nothing needs the queue. */
static const char *
scratch_dir(void)
{
	const char *t = getenv("TMPDIR");
	int raised = getuid() != geteuid() || getgid() != getegid();

	return !raised && t && *t == '/' ? t : "/tmp";
}

/* -bm (the default), -bv and --dry-run: one message from standard input. */
static enum status
deliver_mode(const struct options *o, const struct config *c,
    struct buf *err)
{
	struct message m;
	struct submit_result r;
	const char *spool = o->dry_run || o->mode == MODE_VERIFY ?
	    scratch_dir() : submit_spool_dir(c, err);
	enum status st = spool ? ST_OK : ST_CANTCREAT;

	message_init(&m);
	if (st == ST_OK && o->mode != MODE_VERIFY)
		st = message_read(&m, stdin, o->dot_ends, spool, err);
	if (st == ST_OK)
		st = submit_message(c, o, &m, &r, err);
	if (st == ST_OK && err->len) {
		fprintf(stderr, _("sendmail: warning: %s\n"), one_line(err));
		buf_reset(err);
	}
	message_free(&m);
	return st;
}

/* -bp and mailq. */
static enum status
list_mode(const struct options *o, const struct config *c, struct buf *err)
{
	struct queue q;
	enum status st = queue_find(&q, c, err);

	if (st == ST_OK)
		st = mailq_print(&q, o->json, stdout, err);
	queue_close(&q);
	return st;
}

/* -qI ID: one message now, also a failed one. */
static enum status
run_one_mode(const struct options *o, const struct config *c, struct buf *err)
{
	struct queue q;
	enum status st = queue_open(&q, c, err);

	if (st == ST_OK)
		st = runq_deliver_one(c, o, &q, o->queue_id, 1, err);
	if (st == ST_OK && err->len) {
		fprintf(stderr, _("sendmail: warning: %s\n"), one_line(err));
		buf_reset(err);
	}
	queue_close(&q);
	return st;
}

static int
raised(void)
{
	return getuid() != geteuid() || getgid() != getegid();
}

/*
 * Before anything else: no core dumps and no ptrace of this process (it
 * holds passwords), no TLS key log. Installed set-group-ID, the caller's
 * environment picks nothing: it is emptied but for the locale, and files
 * are made group-accessible so that queue runs of other users can take
 * them.
 */
static void
harden(void)
{
	static const char *const keep[] = { "LANG", "LANGUAGE", "LC_ALL",
	    "LC_MESSAGES", "LC_CTYPE", NULL };
	struct rlimit none = { 0, 0 };
	char *saved[sizeof keep / sizeof keep[0]];

	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	unsetenv("SSLKEYLOGFILE");
	if (!raised()) {
		umask(077);
		return;
	}
	for (size_t i = 0; keep[i]; i++) {
		const char *v = getenv(keep[i]);

		saved[i] = v && !strchr(v, '/') && strlen(v) < 64 ? xstrdup(v) : NULL;
	}
	clearenv();
	setenv("PATH", "/usr/bin:/bin", 1);
	for (size_t i = 0; keep[i]; i++) {
		if (saved[i])
			setenv(keep[i], saved[i], 1);
		free(saved[i]);
	}
	umask(007);
}

/*
 * Loads the config. A file the caller named (-C) is read with the
 * caller's own rights, so that a set-group-ID sendmail never reads for
 * them a file they could not read themselves (/etc/shadow, another
 * user's config).
 */
static enum status
load_config(struct config *c, const char *path, int callers_file,
    struct buf *err)
{
	gid_t egid = getegid();
	enum status st;

	if (!callers_file || !raised())
		return config_load(c, path, err);
	if (setegid(getgid()) != 0) {
		buf_printf(err, _("cannot drop privileges to read %s"), path);
		return ST_OSERR;
	}
	st = config_load(c, path, err);
	for (size_t i = 0; st == ST_OK && i < c->naccounts; i++)
		c->accounts[i].callers_command = 1;
	if (setegid(egid) != 0) {
		buf_adds(err, _("cannot take back the privileges of sendmail"));
		return ST_OSERR;
	}
	return st;
}

/*
 * --authorize ADDR: the first OAuth2 tokens of an account. For the
 * system config of a set-group-ID install only root may do it: the
 * tokens are the group's, not the caller's.
 */
static enum status
authorize_mode(const struct options *o, struct config *c, struct buf *err)
{
	struct account *a = config_account(c, o->authorize_address);
	enum status st;

	if (a == NULL) {
		buf_printf(err, _("%s has no account [%s]"), c->path, o->authorize_address);
		return ST_CONFIG;
	}
	if (!a->oauth.store) {
		buf_printf(err, _("%s: [%s] is not an OAuth2 account: add oauth = microsoft or google and oauth_client_id (see saatja.ini(5), OAUTH2)"),
		    c->path, a->address);
		return ST_CONFIG;
	}
	if (raised() && !a->callers_command && getuid() != 0) {
		buf_printf(err, _("the tokens of the system configuration are kept for the group of sendmail: run sendmail --authorize %s as root"),
		    a->address);
		return ST_NOPERM;
	}
	if ((st = token_locate(c, 1, err)) != ST_OK)
		return st;
	if (a->oauth.token_file == NULL) {
		buf_printf(err, _("no place for the token file of %s: set oauth_token_file in [%s]"),
		    a->address, a->address);
		return ST_CANTCREAT;
	}
	st = token_authorize(a, err);
	if (st == ST_OK)
		printf(_("Signed in. The token of %s is stored in %s; saatja renews it by itself from now on.\n"),
		    a->address, a->oauth.token_file);
	return st;
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct config c;
	struct buf err = BUF_INIT;
	enum status st;
	char *path;
	int code;

	/* The locale comes from what harden() left of the environment. */
	harden();
	i18n_init(LOCALEDIR);
	st = options_parse(&o, argc, argv, base_name(argc ? argv[0] : "sendmail"),
	    &err);
	if (st != ST_OK) {
		code = finish(st, &err);
		options_free(&o);
		buf_free(&err);
		return code;
	}
	switch (o.mode) {
	case MODE_VERSION:
		printf(_("saatja %s (sendmail for submitting through a mail provider)\n"),
		    PACKAGE_VERSION);
		return 0;
	case MODE_HELP:
		options_usage(stdout);
		return 0;
	case MODE_NOTHING:
		return 0;
	case MODE_CHECK:
	case MODE_AUTHORIZE:
	case MODE_DELIVER:
	case MODE_VERIFY:
	case MODE_LIST_QUEUE:
	case MODE_RUN_QUEUE:
	case MODE_RUN_ONE:
	case MODE_SMTP:
		break;
	}
	if (o.transcript) {	/* -X: refuse now, before a message is taken */
		FILE *f = runq_open_trace(&o);

		if (f == NULL) {
			fprintf(stderr, _("sendmail: cannot open the transcript file %s (-X): %s\n"),
			    o.transcript, strerror(errno));
			options_free(&o);
			return status_exit_code(ST_CANTCREAT);
		}
		fclose(f);
	}
	path = config_path(&o);
	st = load_config(&c, path, o.config_file != NULL, &err);
	free(path);
	if (st == ST_OK)
		st = token_locate(&c, 0, &err);
	if (st == ST_OK) {
		log_open(c.log);
		if (o.mode == MODE_AUTHORIZE)
			st = authorize_mode(&o, &c, &err);
		else if (o.mode == MODE_LIST_QUEUE)
			st = list_mode(&o, &c, &err);
		else if (o.mode == MODE_RUN_QUEUE)
			st = runq_run(&c, &o, o.due_only, &err);
		else if (o.mode == MODE_CHECK)
			st = check_run(&c, o.check_address, stdout, &err);
		else if (o.mode == MODE_RUN_ONE)
			st = run_one_mode(&o, &c, &err);
		else if (o.mode == MODE_SMTP)
			st = server_run(&c, &o, &err);
		else
			st = deliver_mode(&o, &c, &err);
	}
	code = finish(st, &err);
	config_free(&c);
	options_free(&o);
	buf_free(&err);
	log_close();
	return code;
}
