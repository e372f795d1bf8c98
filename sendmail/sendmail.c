/* SPDX-License-Identifier: MIT */
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

#include "authorize.h"
#include "check.h"
#include "config.h"
#include "i18n.h"
#include "log.h"
#include "message.h"
#include "options.h"
#include "mailq.h"
#include "queue.h"
#include "runner.h"
#include "runq.h"
#include "server.h"
#include "setup.h"
#include "smtp.h"
#include "status.h"
#include "submit.h"
#include "token.h"
#include "util.h"

/*
 * The text of err made one line: a control character that came from
 * the input (a CR in a config value, say) would move the cursor or
 * split the line on the caller's terminal or in its log.
 */
static const char *
one_line(struct buf *err)
{
	struct buf line = BUF_INIT;

	buf_add_line(&line, err->data, err->len, 0);
	buf_free(err);
	*err = line;
	return buf_str(err);
}

static int
finish(enum status st, struct buf *err)
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

	if (o->config_file)
		return xstrdup(o->config_file);
	if (!raised_privileges() && ((xdg && *xdg == '/') || (home && *home == '/'))) {
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

/* How deliveries of this run go: -v, -X, --due. */
static struct runq_how
run_how(const struct options *o)
{
	struct runq_how h = { o->transcript, o->verbose, o->due_only };

	return h;
}

/* What becomes of a message: --dry-run, -bv, -od?, else the config's
 * delivery mode. */
static struct submit_how
submit_how(const struct config *c, const struct options *o)
{
	struct submit_how h;

	h.action = o->dry_run ? SUBMIT_DRY_RUN :
	    o->mode == MODE_VERIFY ? SUBMIT_VERIFY : SUBMIT_SEND;
	h.delivery = o->delivery_set ? o->delivery : c->delivery;
	h.run = run_how(o);
	return h;
}

/* Where a --dry-run or -bv spools the body: nothing needs the queue. */
static const char *
scratch_dir(void)
{
	const char *t = getenv("TMPDIR");

	return !raised_privileges() && t && *t == '/' ? t : "/tmp";
}

/* -bm (the default), -bv and --dry-run: one message from standard input. */
static enum status
deliver_mode(const struct config *c, const struct options *o,
    struct buf *err)
{
	struct message m;
	struct submit_result r;
	struct submit_how how = submit_how(c, o);
	struct queue q, *queue = NULL;
	const char *spool = scratch_dir();
	enum status st = ST_OK;

	memset(&q, 0, sizeof q);
	if (how.action == SUBMIT_SEND) {
		/* The body is spooled where the queue will hold it. */
		st = queue_open(&q, c, err);
		queue = &q;
		spool = q.tmp;
	}
	message_init(&m);
	if (st == ST_OK && how.action != SUBMIT_VERIFY)
		st = message_read(&m, stdin, o->dot_ends, spool, err);
	if (st == ST_OK)
		st = submit_message(c, &o->req, &how, queue, &m, &r, err);
	if (st == ST_OK && err->len) {
		fprintf(stderr, _("sendmail: warning: %s\n"), one_line(err));
		buf_reset(err);
	}
	message_free(&m);
	queue_close(&q);
	return st;
}

/* -bp and mailq. */
static enum status
list_mode(const struct config *c, const struct options *o, struct buf *err)
{
	struct queue q;
	struct buf warning = BUF_INIT;
	size_t waiting = 0;
	enum status st;

	queue_find(&q, c);
	st = mailq_print(&q, o->json, stdout, &waiting, err);
	if (st == ST_OK && runner_unattended(&q, waiting, &warning)) {
		fflush(stdout);
		fprintf(stderr, _("sendmail: warning: %s\n"), one_line(&warning));
	}
	buf_free(&warning);
	queue_close(&q);
	return st;
}

/* -qI ID: one message now, also a failed one. */
static enum status
run_one_mode(const struct config *c, const struct options *o, struct buf *err)
{
	struct queue q;
	struct runq_how how = run_how(o);
	enum status st = queue_open(&q, c, err);

	if (st == ST_OK)
		st = runq_deliver_one(c, &how, &q, o->queue_id,
		    RUNQ_FROM_FAILED | RUNQ_BACKLOG, err);
	if (st == ST_OK && err->len) {
		fprintf(stderr, _("sendmail: warning: %s\n"), one_line(err));
		buf_reset(err);
	}
	queue_close(&q);
	return st;
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
	if (!raised_privileges()) {
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

	if (!callers_file || !raised_privileges())
		return config_load(c, path, err);
	if (setegid(getgid()) != 0) {
		buf_printf(err, _("cannot drop privileges to read %s"), path);
		return ST_OSERR;
	}
	st = config_load(c, path, err);
	c->callers_file = 1;
	if (setegid(egid) != 0) {
		buf_adds(err, _("cannot take back the privileges of sendmail"));
		return ST_OSERR;
	}
	return st;
}

/* --authorize ADDR */
static enum status
authorize_mode(const struct config *c, const struct options *o, struct buf *err)
{
	return authorize_run(c, o->authorize_address, err);
}

/* --setup ADDR: with no config loaded; the file may not exist yet. */
static enum status
setup_mode(const struct options *o, struct buf *err)
{
	struct setup_how how;
	char *path = NULL;
	enum status st;

	memset(&how, 0, sizeof how);
	how.address = o->setup_address;
	how.callers_file = o->config_file != NULL;
	how.dry_run = o->dry_run;
	how.yes = o->yes;
	how.password_stdin = o->password_stdin;
	if (o->config_file == NULL && getuid() != 0 && !o->dry_run) {
		buf_printf(err, _("only root may write the system configuration %s: as a user, name your own file with -C (for example sendmail -C ~/.config/saatja/saatja.ini --setup %s)"),
		    SYSCONFDIR "/saatja.ini", o->setup_address);
		return ST_CONFIG;
	}
	path = o->config_file ? xstrdup(o->config_file) : xstrdup(SYSCONFDIR "/saatja.ini");
	how.path = path;
	st = setup_run(&how, stdout, err);
	free(path);
	return st;
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* -q, -q --due */
static enum status
run_queue_mode(const struct config *c, const struct options *o,
    struct buf *err)
{
	struct runq_how how = run_how(o);

	return runq_run(c, &how, err);
}

/* -bs */
static enum status
smtp_mode(const struct config *c, const struct options *o, struct buf *err)
{
	struct submit_how how = submit_how(c, o);

	return server_run(c, &o->req, &how, err);
}

/* --check [ADDR] */
static enum status
check_mode(const struct config *c, const struct options *o, struct buf *err)
{
	return check_run(c, o->check_address, stdout, err);
}

/*
 * Runs mode with the config loaded and the log open. -X is tried first:
 * a transcript that cannot be written is refused before a message is
 * taken.
 */
static enum status
with_config(const struct options *o,
    enum status (*mode)(const struct config *, const struct options *,
    struct buf *), struct buf *err)
{
	struct config c;
	char *path;
	enum status st;

	if (o->transcript) {
		FILE *f = smtp_trace_open(o->transcript, o->verbose);

		if (f == NULL) {
			fprintf(stderr, _("sendmail: cannot open the transcript file %s (-X): %s\n"),
			    o->transcript, strerror(errno));
			return ST_CANTCREAT;
		}
		smtp_trace_close(f);
	}
	path = config_path(o);
	st = load_config(&c, path, o->config_file != NULL, err);
	if (st != ST_OK && mode == list_mode && o->config_file == NULL &&
	    access(path, F_OK) != 0 && errno == ENOENT) {
		/* No config at all: mailq still lists the default queue. */
		config_free(&c);
		memset(&c, 0, sizeof c);
		c.path = xstrdup(path);
		buf_reset(err);
		st = ST_OK;
	}
	free(path);
	if (st == ST_OK) {
		struct queue q;

		queue_find(&q, &c);
		token_locate(&c, q.dir);
		queue_close(&q);
	}
	if (st == ST_OK) {
		log_open(c.log, c.log_json);
		st = mode(&c, o, err);
	}
	config_free(&c);
	log_close();
	return st;
}

/* The one place that picks what this run does. */
static enum status
run(const struct options *o, struct buf *err)
{
	switch (o->mode) {
	case MODE_VERSION:
		printf(_("saatja %s (sendmail for submitting through a mail provider)\n"),
		    PACKAGE_VERSION);
		return ST_OK;
	case MODE_HELP:
		options_usage(stdout);
		return ST_OK;
	case MODE_NOTHING:
		return ST_OK;
	case MODE_LIST_QUEUE:
		return with_config(o, list_mode, err);
	case MODE_RUN_QUEUE:
		return with_config(o, run_queue_mode, err);
	case MODE_RUN_ONE:
		return with_config(o, run_one_mode, err);
	case MODE_CHECK:
		return with_config(o, check_mode, err);
	case MODE_AUTHORIZE:
		return with_config(o, authorize_mode, err);
	case MODE_SETUP:
		return setup_mode(o, err);
	case MODE_SMTP:
		return with_config(o, smtp_mode, err);
	case MODE_DELIVER:
	case MODE_VERIFY:
		break;
	}
	return with_config(o, deliver_mode, err);
}

int
main(int argc, char **argv)
{
	struct options o;
	struct buf err = BUF_INIT;
	enum status st;
	int code;

	/* The locale comes from what harden() left of the environment. */
	harden();
	i18n_init(LOCALEDIR);
	st = options_parse(&o, argc, argv, base_name(argc ? argv[0] : "sendmail"),
	    &err);
	if (st == ST_OK)
		st = run(&o, &err);
	code = finish(st, &err);
	options_free(&o);
	buf_free(&err);
	return code;
}
