/* SPDX-License-Identifier: MIT */
/*
 * setup - sendmail --setup ADDRESS (setup.h).
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "address.h"
#include "authorize.h"
#include "check.h"
#include "conffile.h"
#include "config.h"
#include "i18n.h"
#include "ini.h"
#include "queue.h"
#include "report.h"
#include "setup.h"
#include "setup_find.h"
#include "token.h"
#include "util.h"

/* Seconds for each probe of a server. */
#define PROBE_TIMEOUT 10
/* The largest config file or answer read. */
#define TEXT_MAX (1024 * 1024)
#define SECRET_MAX 4096

struct setup {
	const struct setup_how *how;
	FILE *out;
	int tty;		/* /dev/tty, or -1 */
	const char *address;
	struct found f;
	const char *oauth;	/* "microsoft", "google", or NULL: password */
	char *secret;		/* the password, or the OAuth2 client secret */
	char *client_id;
};

/* The terminal's settings while a password is typed, for a signal. */
static struct termios saved_tty;
static volatile sig_atomic_t echo_off_fd = -1;

static void
restore_echo(int sig)
{
	if (echo_off_fd >= 0)
		tcsetattr(echo_off_fd, TCSANOW, &saved_tty);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Reads a line from the terminal after prompt; NULL at end of input. */
static char *
ask(struct setup *s, const char *prompt, int echo)
{
	struct buf line = BUF_INIT;
	struct termios t;
	char ch;

	/* Echo goes off before the prompt shows, so that nothing typed
	 * after it is ever echoed, and nothing typed ahead is lost. */
	if (!echo && tcgetattr(s->tty, &saved_tty) == 0) {
		t = saved_tty;
		t.c_lflag &= ~(tcflag_t)ECHO;
		echo_off_fd = s->tty;
		signal(SIGINT, restore_echo);
		signal(SIGTERM, restore_echo);
		tcsetattr(s->tty, TCSANOW, &t);
	}
	/* The prompt goes where the answer comes from. */
	fflush(s->out);
	if (write_all(s->tty, prompt, strlen(prompt)) != 0) {
		if (echo_off_fd >= 0)
			tcsetattr(s->tty, TCSANOW, &saved_tty);
		echo_off_fd = -1;
		return NULL;
	}
	while (read(s->tty, &ch, 1) == 1 && ch != '\n' && line.len < SECRET_MAX)
		buf_addc(&line, ch);
	if (echo_off_fd >= 0) {
		tcsetattr(s->tty, TCSANOW, &saved_tty);
		echo_off_fd = -1;
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		write_all(s->tty, "\n", 1);
	}
	while (line.len > 0 && line.data[line.len - 1] == '\r')
		line.data[--line.len] = '\0';
	return buf_take(&line);
}

/* Yes or no from the terminal; with --yes, yes; with no terminal, no. */
static int
ask_yes(struct setup *s, const char *question)
{
	struct buf q = BUF_INIT;
	char *a;
	int yes;

	if (s->how->yes)
		return 1;
	if (s->tty < 0)
		return 0;
	/* TRANSLATORS: the code takes an answer starting with y or j as
	 * yes (j for Estonian "jah"), anything else as no. */
	buf_printf(&q, _("%s [y/N] "), question);
	a = ask(s, buf_str(&q), 1);
	buf_free(&q);
	yes = a != NULL && (a[0] == 'y' || a[0] == 'Y' || a[0] == 'j' || a[0] == 'J');
	free(a);
	return yes;
}

static int
confirm_outside(void *arg, const struct found *f)
{
	struct setup *s = arg;
	struct buf q = BUF_INIT;
	int yes;

	buf_printf(&q, _("Use %s port %u for %s, which only %s names?"),
	    f->host, f->port, s->address, found_from_name(f->from));
	yes = ask_yes(s, buf_str(&q));
	buf_free(&q);
	return yes;
}

/* A value as saatja.ini takes it: quoted when it holds ';' or '#' or
 * spaces at its ends. -1 for what no ini value can hold. */
static int
ini_value(struct buf *b, const char *v)
{
	size_t n = strlen(v);
	int quote = strpbrk(v, ";#") != NULL || (n > 0 && (v[0] == ' ' ||
	    v[n - 1] == ' ' || v[0] == '"' || v[0] == '\''));

	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return -1;
	if (quote && strchr(v, '"') != NULL)
		return -1;
	if (quote)
		buf_printf(b, "\"%s\"", v);
	else
		buf_adds(b, v);
	return 0;
}

/* The account's section; the secrets as they are, or hidden. */
static int
section(struct setup *s, int hide, struct buf *b)
{
	const struct found *f = &s->f;
	const char *secret = hide ? "********" : s->secret ? s->secret : "";

	buf_printf(b, "[%s]\n", s->address);
	/* TRANSLATORS: a comment line written into the config file. */
	buf_printf(b, _("; found by sendmail --setup: %s (%s)\n"),
	    found_from_name(f->from), f->where);
	if (f->preset != NULL && f->preset->port == f->port &&
	    f->preset->tls == f->tls && strcasecmp(f->preset->host, f->host) == 0) {
		buf_printf(b, "provider = %s\n", f->preset->name);
	} else {
		buf_printf(b, "host = %s\n", f->host);
		buf_printf(b, "port = %u\n", f->port);
		buf_printf(b, "tls = %s\n", f->tls == TLS_IMPLICIT ? "tls" : "starttls");
	}
	if (s->oauth != NULL) {
		buf_printf(b, "auth = xoauth2\noauth = %s\noauth_client_id = %s\n",
		    s->oauth, s->client_id ? s->client_id : "");
		if (strcmp(s->oauth, "google") != 0)
			return 0;	/* Microsoft's device sign-in needs none */
		buf_adds(b, "oauth_client_secret = ");
	} else {
		buf_adds(b, "password = ");
	}
	if (ini_value(b, secret) < 0)
		return -1;
	buf_addc(b, '\n');
	return 0;
}

/* The hint of the preset about which password, or a plain one. */
static void
password_hint(struct setup *s)
{
	const struct provider *p = s->f.preset;

	if (p != NULL) {
		fprintf(s->out, _("%s wants %s.\n"), p->name, _(p->password_hint));
		if (p->app_password_page)
			fprintf(s->out, _("It is made at %s.\n"), p->app_password_page);
	}
}

/* The password from standard input: one line, at most SECRET_MAX. */
static char *
password_from_stdin(void)
{
	struct buf b = BUF_INIT;

	if (buf_read_fd(&b, 0, SECRET_MAX) != 0) {
		buf_free_secret(&b);
		return NULL;
	}
	buf_addc(&b, '\0');
	b.data[strcspn(b.data, "\r\n")] = '\0';
	return buf_take(&b);
}

/* Which OAuth2 service the found server belongs to, if any. */
static const char *
oauth_service(const struct found *f)
{
	const char *name = f->preset ? f->preset->name : "";

	if (strcmp(name, "outlook") == 0 || strcasecmp(f->host, "smtp.office365.com") == 0 ||
	    strcasecmp(f->host, "smtp-mail.outlook.com") == 0)
		return "microsoft";
	if (strcmp(name, "gmail") == 0 || strcasecmp(f->host, "smtp.gmail.com") == 0)
		return "google";
	return NULL;
}

/* Password or OAuth2, and the secrets: asked, read or refused. */
static enum status
get_login(struct setup *s, struct buf *err)
{
	const char *service = oauth_service(&s->f);

	if (s->f.oauth && !s->f.password && service == NULL) {
		buf_printf(err, _("%s logs in with OAuth2 only, and saatja knows the OAuth2 services of Microsoft and Google only: give the oauth_ keys of [%s] yourself (saatja.ini(5), OAUTH2)"),
		    s->f.host, s->address);
		return ST_CONFIG;
	}
	/* A choice, not a confirmation: --yes does not make it. */
	if (service != NULL && !s->how->password_stdin && s->tty >= 0 &&
	    ((s->f.oauth && !s->f.password) || (!s->how->yes &&
	    ask_yes(s, _("Sign in with OAuth2 (an application registered with the provider) instead of a password?")))))
		s->oauth = service;
	else if (service != NULL && s->f.oauth && !s->f.password && s->tty < 0) {
		buf_printf(err, _("%s needs OAuth2, whose sign-in needs a terminal: run sendmail --setup %s in one"),
		    s->f.host, s->address);
		return ST_CONFIG;
	}
	if (s->how->dry_run)
		return ST_OK;
	if (s->oauth != NULL) {
		s->client_id = ask(s, _("The Application (client) ID: "), 1);
		if (strcmp(s->oauth, "google") == 0)
			s->secret = ask(s, _("The client secret: "), 0);
		if (s->client_id == NULL || s->client_id[0] == '\0') {
			buf_printf(err, _("an OAuth2 account needs the ID of the application (saatja.ini(5), OAUTH2)"));
			return ST_CONFIG;
		}
		return ST_OK;
	}
	password_hint(s);
	if (s->how->password_stdin) {
		s->secret = password_from_stdin();
	} else if (s->tty >= 0) {
		struct buf q = BUF_INIT;

		buf_printf(&q, _("Password for %s: "), s->address);
		s->secret = ask(s, buf_str(&q), 0);
		buf_free(&q);
	} else {
		buf_printf(err, _("--setup needs the password of %s, and there is no terminal to ask for it: give it on standard input with --password-stdin"),
		    s->address);
		if (s->f.preset)
			buf_printf(err, _(" (%s wants %s)"), s->f.preset->name,
			    _(s->f.preset->password_hint));
		return ST_USAGE;
	}
	if (s->secret == NULL || s->secret[0] == '\0') {
		buf_printf(err, _("no password was given for %s"), s->address);
		return ST_CONFIG;
	}
	return ST_OK;
}

/* The address checked: one mailbox, local@domain, nothing else. */
static enum status
parse_address(struct setup *s, struct buf *err)
{
	struct mailbox m;
	struct buf why = BUF_INIT;
	enum status st = ST_OK;

	memset(&m, 0, sizeof m);
	if (addr_parse_one(s->how->address, &m, &why) != ST_OK || m.domain == NULL ||
	    m.display != NULL || strcmp(m.addr, s->how->address) != 0 ||
	    strchr(m.domain, '.') == NULL || m.domain[0] == '[') {
		buf_printf(err, _("\"%s\" is not an e-mail address: --setup needs the address to send from, as local@domain (arved@firma.ee)"),
		    s->how->address);
		st = ST_USAGE;
	}
	addr_free(&m);
	buf_free(&why);
	return st;
}

/* The file as it is (empty when it does not exist), checked to load. */
static enum status
read_config(struct setup *s, struct buf *text, int *exists, struct buf *err)
{
	const char *path = s->how->path;
	dictionary *d;
	enum status st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*exists = fd >= 0;
	if (fd < 0 && errno == ENOENT)
		return ST_OK;
	if (fd < 0) {
		buf_printf(err, _("cannot read %s: %s"), path, strerror(errno));
		return ST_CONFIG;
	}
	if (buf_read_fd(text, fd, TEXT_MAX) != 0) {
		buf_printf(err, _("cannot read %s: %s"), path, strerror(errno));
		close(fd);
		return ST_IOERR;
	}
	close(fd);
	buf_addc(text, '\0');
	text->len--;
	/* Its syntax now; what its keys mean is checked with the new
	 * section in (a file with no account yet is what --setup fills). */
	st = ini_load(path, &d, err);
	if (st == ST_OK)
		iniparser_freedict(d);
	if (st != ST_OK) {
		buf_adds(err, _("; fix this first, then run --setup again"));
		return st;
	}
	if (!s->how->dry_run && access(path, W_OK) != 0) {
		buf_printf(err, _("cannot write %s: %s"), path, strerror(errno));
		return ST_CONFIG;
	}
	return ST_OK;
}

/* The new file's directory, made when it is missing (a user's
 * ~/.config/saatja). */
static enum status
make_dir(const char *path, struct buf *err)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	enum status st = ST_OK;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (access(dir, F_OK) != 0) {
			char *p = dir;

			while ((p = strchr(p + 1, '/')) != NULL) {
				*p = '\0';
				mkdir(dir, 0755);
				*p = '/';
			}
			if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
				buf_printf(err, _("cannot make the folder %s: %s"), dir, strerror(errno));
				st = ST_CANTCREAT;
			}
		}
	}
	free(dir);
	return st;
}

/* Loads the new file from temp (named as path) and checks the account:
 * signed in first when it is an OAuth2 one. */
static enum status
check_new(struct setup *s, const char *temp, struct buf *err)
{
	struct config c;
	struct queue q;
	struct buf why = BUF_INIT;
	enum status st = config_load(&c, temp, &why);
	const char *at;

	if (st != ST_OK) {
		/* The error names the new file: say the real one instead. */
		at = strstr(buf_str(&why), temp);
		if (at != NULL)
			buf_printf(err, "%.*s%s%s", (int)(at - buf_str(&why)), buf_str(&why),
			    s->how->path, at + strlen(temp));
		else
			buf_adds(err, buf_str(&why));
		buf_adds(err, _("; fix this first, then run --setup again"));
	}
	buf_free(&why);
	if (st == ST_OK) {
		free(c.path);
		c.path = xstrdup(s->how->path);
		c.callers_file = s->how->callers_file;
		queue_find(&q, &c);
		token_locate(&c, q.dir);
		queue_close(&q);
		if (s->oauth != NULL)
			st = authorize_run(&c, s->address, err);
	}
	if (st == ST_OK) {
		fputc('\n', s->out);
		st = check_run(&c, s->address, s->out, err);
	}
	config_free(&c);
	return st;
}

static enum status
write_account(struct setup *s, const char *text, gid_t group, struct buf *err)
{
	struct buf sec = BUF_INIT, all = BUF_INIT, shown = BUF_INIT;
	char *temp = NULL;
	enum status st;

	if (section(s, 0, &sec) < 0) {
		buf_wipe(&sec);
		buf_free(&sec);
		buf_printf(err, _("the password of %s holds a control character, or a \" together with ; or #, which saatja.ini cannot hold: give it with password_command instead (saatja.ini(5))"),
		    s->address);
		return ST_CONFIG;
	}
	conffile_put_section(text, s->address, buf_str(&sec), &all);
	buf_free_secret(&sec);
	st = make_dir(s->how->path, err);
	if (st == ST_OK)
		st = conffile_write_temp(s->how->path, buf_str(&all),
		    group != (gid_t)-1 ? 0640 : 0600, group, &temp, err);
	buf_free_secret(&all);
	if (st == ST_OK)
		st = check_new(s, temp, err);
	if (st != ST_OK && temp != NULL) {
		unlink(temp);
		buf_printf(err, _("; %s was left as it was"), s->how->path);
	} else if (st == ST_OK) {
		st = conffile_commit(temp, s->how->path, err);
	}
	free(temp);
	if (st != ST_OK)
		return st;
	section(s, 1, &shown);
	fprintf(s->out, _("\nWrote this section into %s:\n\n%s\n"), s->how->path,
	    buf_str(&shown));
	fprintf(s->out, _("Send yourself a test message with:\n  printf 'Subject: saatja works\\n\\nIt works.\\n' | sendmail%s%s %s\n"),
	    s->how->callers_file ? " -C " : "", s->how->callers_file ? s->how->path : "",
	    s->address);
	buf_free(&shown);
	return ST_OK;
}

/* The group a new system file gets: sendmail's, in a set-group-ID
 * install; and the caller's own rights from here on. */
static enum status
drop_group(const struct setup_how *how, gid_t *group, struct buf *err)
{
	*group = (gid_t)-1;
	if (!raised_privileges())
		return ST_OK;
	if (!how->callers_file)
		*group = getegid();
	if (setgid(getgid()) != 0) {
		buf_adds(err, _("cannot drop the privileges of sendmail"));
		return ST_OSERR;
	}
	return ST_OK;
}

static enum status
run(struct setup *s, gid_t group, struct buf *err)
{
	struct buf text = BUF_INIT, shown = BUF_INIT;
	struct setup_find_how fh = { 0 };
	struct report r;
	int exists;
	enum status st;

	if ((st = parse_address(s, err)) != ST_OK ||
	    (st = read_config(s, &text, &exists, err)) != ST_OK)
		goto out;
	if (exists && conffile_has_section(buf_str(&text), s->address) && !s->how->dry_run) {
		struct buf q = BUF_INIT;

		buf_printf(&q, _("%s already has [%s]. Replace it?"), s->how->path, s->address);
		if (!ask_yes(s, buf_str(&q))) {
			buf_printf(err, _("%s already has [%s] and it was left as it was: add --yes to replace it"),
			    s->how->path, s->address);
			st = ST_CONFIG;
		}
		buf_free(&q);
		if (st != ST_OK)
			goto out;
	}
	fprintf(s->out, _("Looking for the server of %s:\n"), s->address);
	report_init(&r, s->out);
	fh.callers = s->how->callers_file;
	fh.timeout = PROBE_TIMEOUT;
	fh.confirm = confirm_outside;
	fh.arg = s;
	if ((st = setup_find(s->address, &fh, &r, &s->f, err)) != ST_OK)
		goto out;
	fprintf(s->out, _("Found %s port %u (%s), from %s.\n"), s->f.host, s->f.port,
	    s->f.tls == TLS_IMPLICIT ? "tls" : "starttls", found_from_name(s->f.from));
	if (s->f.login != NULL)
		fprintf(s->out, _("The provider's settings name the login \"%s\"; saatja logs in with the whole address, because providers want the sender to be the login.\n"),
		    s->f.login);
	if ((st = get_login(s, err)) != ST_OK)
		goto out;
	if (s->how->dry_run) {
		section(s, 1, &shown);
		fprintf(s->out, _("\nWould write this section into %s (--dry-run: nothing was changed):\n\n%s"),
		    s->how->path, buf_str(&shown));
		goto out;
	}
	st = write_account(s, buf_str(&text), exists ? (gid_t)-1 : group, err);
out:
	buf_free(&text);
	buf_free(&shown);
	return st;
}

enum status
setup_run(const struct setup_how *how, FILE *out, struct buf *err)
{
	struct setup s;
	gid_t group;
	enum status st;

	memset(&s, 0, sizeof s);
	s.how = how;
	s.out = out;
	s.address = how->address;
	if ((st = drop_group(how, &group, err)) != ST_OK)
		return st;
	s.tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	st = run(&s, group, err);
	if (s.tty >= 0)
		close(s.tty);
	found_free(&s.f);
	free(s.client_id);
	xfree_secret(s.secret);
	fflush(out);
	return st;
}
