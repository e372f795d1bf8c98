/* SPDX-License-Identifier: MIT */
/*
 * token - the OAuth2 token store; see token.h.
 *
 * The file holds "key value" lines (the format of oauth_proto.h, so one
 * fuzzed parser reads both):
 *
 *	account arved@outlook.com
 *	refresh_token ...
 *	access_token ...		(optional)
 *	expires 1764150000		(seconds since the epoch)
 *
 * An application's grant (client_credentials, service_account) has no
 * refresh token: its file holds the access token only, and a new one is
 * fetched with the application's own credentials, under the same lock,
 * when it runs out.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "oauth_client.h"
#include "oauth_proto.h"
#include "password.h"
#include "secret_file.h"
#include "secret_source.h"
#include "token.h"
#include "util.h"

#define FILE_MAX 65536
#define DEFAULT_LIFETIME 3600

struct stored {
	char *refresh;
	char *access;
	long long expires;
};

static void
stored_free(struct stored *t)
{
	xfree_secret(t->refresh);
	xfree_secret(t->access);
	memset(t, 0, sizeof *t);
}

static int
raised(void)
{
	return getuid() != geteuid() || getgid() != getegid();
}

/*
 * A -C account of a set-group-ID run works on its token file with the
 * caller's group, as its password_command runs: the group's rights are
 * for the system config only. Returns the group to go back to, or -1.
 */
static gid_t
as_caller(int callers)
{
	gid_t egid = getegid();

	if (!callers || !raised() || setegid(getgid()) != 0)
		return (gid_t)-1;
	return egid;
}

static void
back(gid_t egid)
{
	if (egid != (gid_t)-1 && setegid(egid) != 0)
		_exit(71);	/* cannot happen: the saved set-group-ID has it */
}

/* The file name for an address: what could climb out of the directory
 * or hide becomes '_'. */
static void
file_name(struct buf *p, const char *address)
{
	for (const char *c = address; *c; c++) {
		char ch = (char)((*c >= 'A' && *c <= 'Z') ? *c | 0x20 : *c);

		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789@._+-", ch) ||
		    (c == address && ch == '.'))
			ch = '_';
		buf_addc(p, ch);
	}
}

static char *
callers_dir(void)
{
	struct passwd *pw = getpwuid(getuid());
	struct buf p = BUF_INIT;

	if (pw == NULL || pw->pw_dir == NULL || *pw->pw_dir != '/')
		return NULL;
	buf_printf(&p, "%s/.local/state/saatja", pw->pw_dir);
	return buf_take(&p);
}

void
token_locate(const struct config *c, const char *spool)
{
	for (size_t i = 0; i < c->naccounts; i++) {
		struct account *a = &c->accounts[i];
		struct buf p = BUF_INIT;
		char *dir;

		if (!a->oauth.store || a->oauth.token_file != NULL)
			continue;
		dir = c->callers_file && raised() ? callers_dir() :
		    spool ? xstrdup(spool) : NULL;
		if (dir == NULL)
			continue;	/* nothing stored yet: token_get says so */
		buf_printf(&p, "%s/oauth/", dir);
		file_name(&p, a->address);
		a->oauth.token_file = buf_take(&p);
		free(dir);
	}
}

/* Reads the token file into t. 0; 1 when there is none; -1 with the
 * reason in err. */
static int
store_read(const struct account *a, struct stored *t, struct buf *err)
{
	struct oauth_msg m = OAUTH_MSG_INIT;
	struct buf in = BUF_INIT, why = BUF_INIT;
	const char *v;
	int fd, got, rc = -1;

	memset(t, 0, sizeof *t);
	if (a->oauth.token_file == NULL)
		return 1;
	fd = open(a->oauth.token_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		buf_printf(err, _("cannot read the token file %s: %s"), a->oauth.token_file,
		    strerror(errno));
		return -1;
	}
	got = buf_read_fd(&in, fd, FILE_MAX);
	close(fd);
	if (got != 0 || in.len == 0 || oauth_msg_parse(&m, in.data, in.len, &why) < 0 ||
	    (v = oauth_msg_get(&m, "account")) == NULL || strcasecmp(v, a->address) != 0 ||
	    (oauth_msg_get(&m, "refresh_token") == NULL && !oauth_conf_app(&a->oauth))) {
		buf_printf(err, _("the token file %s is damaged (%s); run `sendmail --authorize %s` to make it again"),
		    a->oauth.token_file, why.len ? buf_str(&why) : _("it is not for this account or holds no refresh token"),
		    a->address);
		goto out;
	}
	v = oauth_msg_get(&m, "refresh_token");
	t->refresh = v ? xstrdup(v) : NULL;
	v = oauth_msg_get(&m, "access_token");
	t->access = v ? xstrdup(v) : NULL;
	v = oauth_msg_get(&m, "expires");
	t->expires = v ? atoll(v) : 0;
	rc = 0;
out:
	oauth_msg_free(&m);
	buf_free_secret(&in);
	buf_free(&why);
	return rc;
}

static void
fsync_parent(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');

	if (slash != NULL && slash != dir)
		*slash = '\0';
	fsync_dir(dir);
	free(dir);
}

/* mkdir -p of the token file's directory (0770 less the umask). */
static int
make_parent(const char *path)
{
	char *dir = xstrdup(path);
	int rc = 0;

	for (char *p = dir + 1; *p && rc == 0; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0770) != 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	free(dir);
	return rc;
}

/* Replaces the token file with t, atomically; the caller holds the lock. */
static enum status
store_write(const struct account *a, const struct stored *t, struct buf *err)
{
	struct buf text = BUF_INIT, tmp = BUF_INIT;
	char n[32];
	int fd, rc;

	snprintf(n, sizeof n, "%lld", t->expires);
	oauth_msg_add(&text, "account", a->address);
	rc = oauth_msg_add(&text, "refresh_token", t->refresh);
	rc |= oauth_msg_add(&text, "access_token", t->access);
	oauth_msg_add(&text, "expires", n);
	buf_printf(&tmp, "%s.tmp", a->oauth.token_file);
	fd = rc < 0 ? -1 : open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0660);
	if (fd < 0 || write_all(fd, text.data, text.len) < 0 || fsync(fd) < 0 ||
	    close(fd) < 0 || rename(tmp.data, a->oauth.token_file) < 0) {
		buf_printf(err, _("cannot write the token file %s: %s"), a->oauth.token_file,
		    rc < 0 ? _("the service sent a token with a line break") : strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp.data);
		}
		rc = -1;
	} else {
		fsync_parent(a->oauth.token_file);
		rc = 0;
	}
	buf_free_secret(&text);
	buf_free(&tmp);
	return rc < 0 ? ST_CANTCREAT : ST_OK;
}

/* Takes the exclusive lock beside the token file; the fd, or -1. */
static int
lock_store(const struct account *a, struct buf *err)
{
	struct buf p = BUF_INIT;
	int fd;

	make_parent(a->oauth.token_file);
	buf_printf(&p, "%s.lock", a->oauth.token_file);
	fd = open(p.data, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		buf_printf(err, _("cannot lock %s: %s"), p.data, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	buf_free(&p);
	return fd;
}

static int
fresh(const struct stored *t)
{
	return t->access != NULL && t->expires - (long long)time(NULL) >= TOKEN_MIN_LEFT;
}

/* The stored access token will do: not the refused one, and fresh. */
static int
usable(const struct stored *t, const char *refused)
{
	return fresh(t) && (refused == NULL || strcmp(t->access, refused) != 0);
}

static void
keep(char **access, long long *expires, struct stored *t)
{
	xfree_secret(*access);
	*access = t->access;
	*expires = t->expires;
	t->access = NULL;
}

static void
not_stored(const struct account *a, struct buf *err)
{
	buf_printf(err, _("no OAuth2 token is stored for %s (%s); sign in once with `sendmail --authorize %s`"),
	    a->address, a->oauth.token_file ? a->oauth.token_file : _("no token file yet"), a->address);
}

/* The secret that oauth_client_secret_command prints, or the systemd
 * credential oauth_client_secret_file names, into req; fetched for
 * each request, so a rotated secret is picked up. */
static enum status
client_secret(const struct account *a, int callers, struct buf *req,
    struct buf *err)
{
	const char *file = a->oauth.client_secret_file;
	char *secret;
	enum status st;

	if (file && secret_source_is_credential(file))
		st = secret_file_read(a->address, "oauth_client_secret_file",
		    file, callers, &secret, err);
	else if (a->oauth.client_secret_command)
		st = password_run(a, callers, "oauth_client_secret_command",
		    a->oauth.client_secret_command, &secret, err);
	else
		return ST_OK;
	if (st == ST_OK && oauth_msg_add(req, "client_secret", secret) < 0) {
		buf_printf(err, file ? _("[%s] the credential of oauth_client_secret_file holds a control character") :
		    _("[%s] oauth_client_secret_command printed a control character"),
		    a->address);
		st = ST_CONFIG;
	}
	xfree_secret(secret);
	return st;
}

/* Under the lock, with t the file's content: refresh and store. */
static enum status
refresh(const struct account *a, int callers, struct stored *t,
    struct buf *err)
{
	struct oauth_msg ans = OAUTH_MSG_INIT;
	struct buf req = BUF_INIT;
	const char *v;
	enum status st;

	oauth_client_request(a, oauth_conf_app(&a->oauth) ? "grant" : "refresh", &req);
	if (!oauth_conf_app(&a->oauth))
		oauth_msg_add(&req, "refresh_token", t->refresh);
	st = client_secret(a, callers, &req, err);
	if (st == ST_OK)
		st = oauth_client_run(callers, &req, 0, &ans, err);
	buf_free_secret(&req);
	if (st != ST_OK)
		return st;
	if (strcmp(oauth_msg_get(&ans, "result"), "ok") != 0 ||
	    oauth_msg_get(&ans, "access_token") == NULL) {
		st = oauth_client_failure(a, &ans, err);
		log_msg(LOG_WARNING, "%s: OAuth2 token %s failed", a->address,
		    oauth_conf_app(&a->oauth) ? "request" : "refresh");
		oauth_msg_free(&ans);
		return st;
	}
	xfree_secret(t->access);
	t->access = xstrdup(oauth_msg_get(&ans, "access_token"));
	if ((v = oauth_msg_get(&ans, "refresh_token")) != NULL) {
		xfree_secret(t->refresh);
		t->refresh = xstrdup(v);
	}
	v = oauth_msg_get(&ans, "expires_in");
	t->expires = (long long)time(NULL) + (v ? atoll(v) : DEFAULT_LIFETIME);
	oauth_msg_free(&ans);
	/* The rotated refresh token is stored before the access token is
	 * used: once the service answered, the old one is dead. */
	st = a->oauth.token_file ? store_write(a, t, err) : ST_OK;
	if (st == ST_OK)
		log_msg(LOG_INFO, "%s: OAuth2 token %s", a->address,
		    oauth_conf_app(&a->oauth) ? "fetched" : "refreshed");
	return st;
}

enum status
token_get(const struct account *a, int callers, char **access,
    long long *expires, const char *refused, struct buf *err)
{
	struct stored t;
	enum status st = ST_OK;
	gid_t egid;
	int rc, lock, app = oauth_conf_app(&a->oauth);

	if (*access != NULL && (refused == NULL || strcmp(*access, refused) != 0) &&
	    *expires - (long long)time(NULL) >= TOKEN_MIN_LEFT)
		return ST_OK;
	egid = as_caller(callers);
	rc = store_read(a, &t, err);
	if (rc == 0 && usable(&t, refused)) {
		keep(access, expires, &t);
		goto out;
	}
	if (rc < 0 || (rc > 0 && !app)) {
		if (rc > 0)
			not_stored(a, err);
		st = rc > 0 ? ST_NOPERM : ST_IOERR;
		goto out;
	}
	stored_free(&t);
	if (a->oauth.token_file == NULL) {	/* nowhere to keep it: this run's */
		st = refresh(a, callers, &t, err);
		if (st == ST_OK)
			keep(access, expires, &t);
		goto out;
	}
	if ((lock = lock_store(a, err)) < 0) {
		st = ST_CANTCREAT;
		goto out;
	}
	/* Another process may have refreshed while this one waited. */
	rc = store_read(a, &t, err);
	if (rc > 0 && app)
		rc = 0;		/* nothing stored yet: fetch the first */
	if (rc == 0 && !usable(&t, refused))
		st = refresh(a, callers, &t, err);
	else if (rc != 0)
		st = rc > 0 ? ST_NOPERM : ST_IOERR;
	if (rc > 0)
		not_stored(a, err);
	if (st == ST_OK)
		keep(access, expires, &t);
	close(lock);
out:
	stored_free(&t);
	back(egid);
	return st;
}

/* --authorize for an application's grant: one token, fetched and kept. */
static enum status
authorize_app(const struct account *a, int callers, struct buf *err)
{
	struct stored t = { NULL, NULL, 0 };
	gid_t egid = as_caller(callers);
	enum status st;
	int lock;

	if ((lock = lock_store(a, err)) < 0) {
		back(egid);
		return ST_CANTCREAT;
	}
	st = refresh(a, callers, &t, err);
	stored_free(&t);
	close(lock);
	back(egid);
	return st;
}

enum status
token_authorize(const struct account *a, int callers, struct buf *err)
{
	struct oauth_msg ans = OAUTH_MSG_INIT;
	struct buf req = BUF_INIT;
	struct stored t = { NULL, NULL, 0 };
	enum status st;
	gid_t egid = as_caller(callers);
	const char *v;
	int lock;

	if (oauth_conf_app(&a->oauth)) {
		back(egid);
		return authorize_app(a, callers, err);
	}
	/* Can the result be kept? Better to know before the user signs in;
	 * but the lock is not held while the user does, or senders that
	 * need a refresh would wait for as long. */
	if ((lock = lock_store(a, err)) < 0) {
		back(egid);
		return ST_CANTCREAT;
	}
	close(lock);
	lock = -1;
	oauth_client_request(a, "authorize", &req);
	st = oauth_client_run(callers, &req, 1, &ans, err);
	buf_free(&req);
	if (st == ST_OK && (lock = lock_store(a, err)) < 0)
		st = ST_CANTCREAT;
	if (st == ST_OK && (strcmp(oauth_msg_get(&ans, "result"), "ok") != 0 ||
	    oauth_msg_get(&ans, "access_token") == NULL ||
	    oauth_msg_get(&ans, "refresh_token") == NULL)) {
		if (strcmp(oauth_msg_get(&ans, "result"), "ok") == 0) {
			buf_printf(err, _("the token service gave no refresh token for %s, so saatja could not renew the access by itself; for Microsoft the scope needs offline_access"),
			    a->address);
			st = ST_NOPERM;
		} else {
			st = oauth_client_failure(a, &ans, err);
		}
	} else if (st == ST_OK) {
		t.access = xstrdup(oauth_msg_get(&ans, "access_token"));
		t.refresh = xstrdup(oauth_msg_get(&ans, "refresh_token"));
		v = oauth_msg_get(&ans, "expires_in");
		t.expires = (long long)time(NULL) + (v ? atoll(v) : DEFAULT_LIFETIME);
		st = store_write(a, &t, err);
	}
	oauth_msg_free(&ans);
	stored_free(&t);
	if (lock >= 0)
		close(lock);
	back(egid);
	return st;
}

enum status
token_peek(const struct account *a, int callers, struct token_info *ti,
    char **access, struct buf *err)
{
	struct stored t;
	gid_t egid = as_caller(callers);
	int rc;

	memset(ti, 0, sizeof *ti);
	*access = NULL;
	rc = store_read(a, &t, err);
	if (rc == 0) {
		ti->stored = 1;
		ti->has_access = t.access != NULL;
		ti->expires = t.expires;
		*access = t.access;
		t.access = NULL;
	}
	if (a->oauth.token_file != NULL) {
		char *dir = xstrdup(a->oauth.token_file), *slash = strrchr(dir, '/');

		if (slash)
			*slash = '\0';
		/* A new file is renamed into the directory. */
		ti->writable = faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0;
		free(dir);
	}
	stored_free(&t);
	back(egid);
	return rc < 0 ? ST_IOERR : ST_OK;
}

int
token_basic_auth_off(const struct smtp_reply *r)
{
	return strcmp(r->enh, "5.7.139") == 0 || strcmp(r->enh, "5.7.30") == 0;
}

int
token_login_hint(const struct account *a, const char *mech,
    const struct smtp_reply *r, const char *refusal, struct buf *err)
{
	if (!oauth_conf_mech(mech)) {
		if (!token_basic_auth_off(r))
			return 0;
		buf_printf(err, _("; Microsoft no longer lets this mailbox log in with a password: it needs OAuth2. Add to [%s] the three lines \"auth = xoauth2\", \"oauth = microsoft\" and \"oauth_client_id = <your application's ID>\" (saatja.ini(5), OAUTH2, says how to register the application), then run: sendmail --authorize %s"),
		    a->address, a->address);
		return 1;
	}
	if (refusal)
		buf_printf(err, " [%s]", refusal);
	if (oauth_conf_app(&a->oauth) && token_basic_auth_off(r))
		buf_printf(err, _("; SMTP AUTH is turned off for the mailbox %s: an Exchange administrator turns it on with: Set-CASMailbox -Identity %s -SmtpClientAuthenticationDisabled $false"),
		    a->address, a->address);
	else if (oauth_conf_app(&a->oauth) && strcmp(a->oauth.grant, "service_account") == 0)
		buf_printf(err, _("; the server refused the service account's token for %s: the Google Workspace user must exist with Gmail on, and domain-wide delegation must grant the scope https://mail.google.com/ (Google Admin console, Security, API controls)"),
		    a->address);
	else if (oauth_conf_app(&a->oauth))
		buf_printf(err, _("; the server refused the application's token for %s: the application may not use this mailbox. An Exchange administrator registers it and gives it the mailbox with: New-ServicePrincipal -AppId <Application (client) ID> -ObjectId <Object ID of the Enterprise application>; Add-MailboxPermission -Identity %s -User <that Object ID> -AccessRights FullAccess (or assigns the application RBAC role \"Application SMTP.SendAsApp\"); the application also needs SMTP.SendAsApp with admin consent"),
		    a->address, a->address);
	else if (a->oauth.store)
		buf_printf(err, _("; the server refused even a freshly refreshed OAuth2 token of %s: check that the application may send mail (Microsoft: SMTP.Send, and SMTP AUTH allowed for the mailbox; Google: the https://mail.google.com/ scope), then run `sendmail --authorize %s`"),
		    a->address, a->address);
	else
		buf_printf(err, _("; the server refused the OAuth2 access token that the password or password_command of [%s] gives; tokens expire within hours, so the command must print a fresh one (or let saatja keep the token: see saatja.ini(5), OAUTH2)"),
		    a->address);
	return 1;
}
