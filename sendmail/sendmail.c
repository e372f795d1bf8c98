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
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "config.h"
#include "log.h"
#include "message.h"
#include "options.h"
#include "status.h"
#include "transport.h"

static int
finish(enum status st, const struct buf *err)
{
	if (st != ST_OK && err->len)
		fprintf(stderr, "sendmail: %s\n", buf_str(err));
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

static const char *
spool_dir(void)
{
	const char *t = getenv("TMPDIR");
	int raised = getuid() != geteuid() || getgid() != getegid();

	return !raised && t && *t == '/' ? t : "/tmp";
}

static void
print_envelope(const struct plan *p, FILE *out)
{
	fprintf(out, "account: %s\n", p->account->address);
	fprintf(out, "mail-from: %s\n", p->account->address);
	for (size_t i = 0; i < p->rcpts.n; i++)
		fprintf(out, "rcpt-to: %s\n", p->rcpts.v[i]);
}

static void
log_decisions(const struct plan *p)
{
	if (p->asked_sender)
		log_msg(LOG_NOTICE, "sender %s asked with -f was replaced by the account address %s",
		    p->asked_sender, p->account->address);
	if (p->replaced_from)
		log_msg(LOG_INFO, "header sender %s shown as the account address %s",
		    p->replaced_from, p->account->address);
}

static enum status
deliver_mode(const struct options *o, const struct config *c,
    struct buf *err)
{
	struct message m;
	struct plan p;
	enum status st;

	message_init(&m);
	memset(&p, 0, sizeof p);
	if (o->mode == MODE_VERIFY)
		st = ST_OK;	/* -bv: no message, only the envelope */
	else
		st = message_read(&m, stdin, o->dot_ends, spool_dir(), err);
	if (st == ST_OK)
		st = account_plan(&p, c, o, &m, err);
	if (st == ST_NOPERM)
		log_msg(LOG_WARNING, "refused: %s", buf_str(err));
	if (st == ST_OK)
		st = message_fit_lines(&m, spool_dir(), err);
	if (st == ST_OK) {
		log_decisions(&p);
		if (o->mode == MODE_VERIFY) {
			print_envelope(&p, stdout);
		} else if (o->dry_run) {
			print_envelope(&p, stdout);
			fputc('\n', stdout);
			st = message_write(&m, stdout, err);
		} else {
			st = transport_deliver(c, o, &p, &m, err);
			if (st == ST_OK && err->len) {
				fprintf(stderr, "sendmail: warning: %s\n",
				    buf_str(err));
				buf_reset(err);
			}
		}
	}
	plan_free(&p);
	message_free(&m);
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

	umask(077);
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
		printf("saatja %s (sendmail for submitting through a mail provider)\n",
		    PACKAGE_VERSION);
		return 0;
	case MODE_HELP:
		options_usage(stdout);
		return 0;
	case MODE_NOTHING:
		return 0;
	case MODE_LIST_QUEUE:
	case MODE_SMTP:
	case MODE_RUN_QUEUE:
	case MODE_RUN_ONE:
	case MODE_CHECK:
		fprintf(stderr, "sendmail: this mode is not available in this build yet\n");
		options_free(&o);
		return status_exit_code(ST_USAGE);
	case MODE_DELIVER:
	case MODE_VERIFY:
		break;
	}
	path = config_path(&o);
	st = config_load(&c, path, &err);
	free(path);
	if (st == ST_OK) {
		log_open(c.log);
		st = deliver_mode(&o, &c, &err);
	}
	code = finish(st, &err);
	config_free(&c);
	options_free(&o);
	buf_free(&err);
	log_close();
	return code;
}
