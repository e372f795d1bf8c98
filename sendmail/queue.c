/* SPDX-License-Identifier: MIT */
/*
 * queue - the durable spool; see queue.h.
 *
 * On-disk format, in the queue directory (files 0600 and directories
 * 0700; 0660 and 0770, group-owned through a 2770 spool, when sendmail
 * is installed set-group-ID):
 *
 *	ID.body		the message body, CRLF line ends, exactly as sent
 *	ID.env		the envelope and the header section (see below);
 *			its presence is what puts ID in the queue
 *	ID.state	the delivery state, absent until the first failure
 *	tmp/		bodies while they are read, envelopes while written
 *	failed/		the same three files for messages that failed
 *	ACCOUNT.rate	the sending times of max_per_hour (runq.c)
 *	last-run	touched by every queue run (runq.c), for mailq
 *
 * ID is ten upper-case hexadecimal digits. ID.env is text:
 *
 *	saatja-queue: 1
 *	account: arved@firma.ee
 *	arrival: 1764150000		(seconds since the epoch)
 *	size: 1342			(octets of header section and body)
 *	rcpt: klient@example.ee		(one line per recipient)
 *	body-type: 8BITMIME		(optional, likewise dsn-notify,
 *	smtputf8: 1			 dsn-ret, dsn-envid, notice,
 *					 body-8bit)
 *	<empty line>
 *	the header section, CRLF line ends, then nothing
 *
 * ID.state is "attempts: N", "next: T", "reason: TEXT" and "done: ADDRESS"
 * lines, replaced whole (write, fsync, rename) on every change. A done
 * recipient was settled by an earlier attempt (given the message, or
 * refused for good) and is no longer one of the message's recipients:
 * a session broken after some transactions never sends to it again. The text of both files is
 * queue_env.c's; the files, their places and their locks are this file's.
 *
 * Writing a message: the body was spooled by message_read into an
 * unlinked O_TMPFILE in tmp/; it is fsynced and linked in as ID.body
 * (copied where O_TMPFILE is missing). Then ID.env is written in tmp/,
 * fsynced and renamed into place, and the directory is fsynced: a crash
 * before that rename leaves at most an orphan body; after it, the whole
 * message.
 *
 * Debris: a process killed mid-write leaves tmp/ID.env.new, ID.state.new
 * or ID.body.new, an ID.body without ID.env (queue_add), or an ID.body
 * and ID.state whose ID.env is gone (removal). Every queue run's
 * queue_sweep removes such a file once it is certainly stale: untouched
 * for QUEUE_STALE_AGE and unlocked, for each writer holds flock() on
 * what it writes until the message's ID.env is in place (the sender on
 * its spooled body until it exits). None of it is a message: only an
 * ID.env is listed.
 *
 * Locking: a process works on a message only while it holds flock() on
 * its ID.env. Removal unlinks ID.env first (leaving the queue), then the
 * rest, still under the lock; a process that locks a message checks that
 * its ID.env still has a link, so a message is never delivered twice by
 * two queue runs.
 */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "paths.h"
#include "queue.h"
#include "queue_env.h"
#include "util.h"

#define BACKOFF_FIRST (5 * 60)
#define BACKOFF_MAX (2 * 3600)

char *
queue_path(const char *dir, const char *id, const char *ext)
{
	struct buf p = BUF_INIT;

	buf_printf(&p, "%s/%s%s", dir, id, ext);
	return buf_take(&p);
}

static int
make_dir(const char *path, struct buf *err)
{
	if (mkdir(path, 0770) == 0 || errno == EEXIST)
		return 0;
	buf_printf(err, _("cannot create the queue directory %s: %s"), path,
	    strerror(errno));
	return -1;
}

/* mkdir -p for the per-user state directory: the parents quietly, for
 * the last mkdir says what went wrong. */
static int
make_dirs(const char *path, struct buf *err)
{
	char *copy = xstrdup(path);

	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		(void)mkdir(copy, 0770);
		*p = '/';
	}
	free(copy);
	return make_dir(path, err);
}

static void
set_dirs(struct queue *q, char *dir)
{
	q->dir = dir;
	q->tmp = queue_path(dir, "tmp", "");
	q->failed = queue_path(dir, "failed", "");
}

static char *
user_queue_dir(void)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	struct buf p = BUF_INIT;

	if (raised_privileges())
		return NULL;	/* the caller's environment picks nothing */
	if (state && *state == '/')
		buf_printf(&p, "%s/saatja", state);
	else if (home && *home == '/')
		buf_printf(&p, "%s/.local/state/saatja", home);
	else
		return NULL;
	return buf_take(&p);
}

void
queue_find(struct queue *q, const struct config *c)
{
	char *user;

	memset(q, 0, sizeof *q);
	if (c->queue_dir) {
		set_dirs(q, xstrdup(c->queue_dir));
		return;
	}
	/* The effective IDs: set-group-ID, the spool is the group's. */
	if (faccessat(AT_FDCWD, PATH_SYSTEM_SPOOL, W_OK | X_OK, AT_EACCESS) == 0) {
		set_dirs(q, xstrdup(PATH_SYSTEM_SPOOL));
		return;
	}
	user = user_queue_dir();
	if (user && access(user, F_OK) == 0)
		set_dirs(q, user);
	else
		free(user);
}

static enum status
prepare(struct queue *q, struct buf *err)
{
	if (make_dir(q->dir, err) || make_dir(q->tmp, err) ||
	    make_dir(q->failed, err))
		return ST_CANTCREAT;
	if (faccessat(AT_FDCWD, q->dir, W_OK | X_OK, AT_EACCESS) != 0) {
		buf_printf(err, _("cannot write to the queue directory %s: %s"),
		    q->dir, strerror(errno));
		return ST_CANTCREAT;
	}
	return ST_OK;
}

enum status
queue_open(struct queue *q, const struct config *c, struct buf *err)
{
	struct buf why = BUF_INIT;
	char *user;
	enum status st;

	memset(q, 0, sizeof *q);
	if (c->queue_dir) {
		set_dirs(q, xstrdup(c->queue_dir));
		return prepare(q, err);
	}
	set_dirs(q, xstrdup(PATH_SYSTEM_SPOOL));
	st = prepare(q, &why);
	if (st == ST_OK) {
		buf_free(&why);
		return ST_OK;
	}
	queue_close(q);
	user = user_queue_dir();
	if (user == NULL || make_dirs(user, &why) != 0) {
		free(user);
		buf_printf(err, _("%s; set queue = in the [saatja] section to a directory you can write"),
		    buf_str(&why));
		buf_free(&why);
		return ST_CANTCREAT;
	}
	buf_free(&why);
	set_dirs(q, user);
	return prepare(q, err);
}

void
queue_close(struct queue *q)
{
	free(q->dir);
	free(q->tmp);
	free(q->failed);
	memset(q, 0, sizeof *q);
}

static void
new_id(char id[QUEUE_ID_LEN + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char r[QUEUE_ID_LEN / 2];

	random_bytes(r, sizeof r);
	for (size_t i = 0; i < sizeof r; i++) {
		id[2 * i] = hex[r[i] >> 4];
		id[2 * i + 1] = hex[r[i] & 15];
	}
	id[QUEUE_ID_LEN] = '\0';
}

/* Writes data to dir/name through tmp/, fsynced: all or nothing. */
static int
write_file_atomic(struct queue *q, const char *dir, const char *name,
    const struct buf *data)
{
	char *tmp = queue_path(q->tmp, name, ".new");
	char *dst = queue_path(dir, name, "");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0660);
	int rc = -1;

	if (fd >= 0) {
		(void)flock(fd, LOCK_EX);	/* ours: queue_sweep keeps it */
		if (write_all(fd, buf_str(data), data->len) == 0 &&
		    fsync(fd) == 0)
			rc = 0;
		if (close(fd) != 0)
			rc = -1;
		if (rc == 0)
			rc = rename(tmp, dst);
		if (rc != 0)
			unlink(tmp);
	}
	free(tmp);
	free(dst);
	return rc;
}

static int
write_block(void *fd, const char *p, size_t n)
{
	return write_all(*(int *)fd, p, n);
}

/* Puts the spooled body in place as ID.body: a link, else a copy. */
static int
place_body(struct queue *q, const struct message *m, const char *path)
{
	char proc[64];
	char *tmp;
	int fd, rc;

	if (m->body_fd >= 0 && fsync(m->body_fd) != 0)
		return -1;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", m->body_fd);
	/* Held until this process ends: until ID.env is in place, the body
	 * is an orphan to queue_sweep, which leaves a locked one alone. */
	if (m->body_fd >= 0)
		(void)flock(m->body_fd, LOCK_SH);
	if (m->body_fd >= 0 &&
	    linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno == EEXIST)
		return -1;
	/* Not an O_TMPFILE (or /proc is missing): copy it. */
	tmp = queue_path(q->tmp, strrchr(path, '/') + 1, ".new");
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
	if (fd < 0) {
		free(tmp);
		return -1;
	}
	(void)flock(fd, LOCK_EX);
	rc = message_body_blocks(m, write_block, &fd) == 0 ? 0 : -1;
	if (rc == 0 && fsync(fd) != 0)
		rc = -1;
	if (close(fd) != 0)
		rc = -1;
	if (rc == 0 && link(tmp, path) != 0)
		rc = -1;
	unlink(tmp);
	free(tmp);
	return rc;
}

enum status
queue_add(struct queue *q, const struct plan *p, const struct message *m,
    char id[QUEUE_ID_LEN + 1], struct buf *err)
{
	struct buf env = BUF_INIT;
	char *body = NULL, *name = NULL;
	int tries;

	for (tries = 0; tries < 20; tries++) {
		new_id(id);
		free(body);
		body = queue_path(q->dir, id, ".body");
		if (place_body(q, m, body) == 0)
			break;
		if (errno != EEXIST) {
			buf_printf(err, _("cannot write the message to the queue %s: %s"),
			    q->dir, strerror(errno));
			free(body);
			id[0] = '\0';	/* no ID: nothing was queued */
			return errno == ENOSPC || errno == EDQUOT || errno == EIO ?
			    ST_IOERR : ST_CANTCREAT;
		}
	}
	queue_env_text(&env, p, m);
	name = xmalloc(QUEUE_ID_LEN + 5);
	snprintf(name, QUEUE_ID_LEN + 5, "%s.env", id);
	if (tries == 20 || write_file_atomic(q, q->dir, name, &env) != 0 ||
	    fsync_dir(q->dir) != 0) {
		int e = errno;

		buf_printf(err, _("cannot write the message to the queue %s: %s"),
		    q->dir, strerror(e));
		id[0] = '\0';	/* no ID: nothing was queued (-bs answers 451) */
		unlink(body);
		free(body);
		free(name);
		buf_free(&env);
		return e == ENOSPC || e == EDQUOT || e == EIO ? ST_IOERR :
		    ST_CANTCREAT;
	}
	free(body);
	free(name);
	buf_free(&env);
	return ST_OK;
}

int
queue_is_id(const char *s, size_t n)
{
	if (n != QUEUE_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

static void
read_state(const char *dir, struct queue_entry *qm)
{
	char *path = queue_path(dir, qm->id, ".state");
	FILE *f = fopen(path, "re");

	free(path);
	if (f == NULL)
		return;
	queue_env_parse(f, qm);
	fclose(f);
	if (qm->done.n) {
		struct strlist left = STRLIST_INIT;

		for (size_t i = 0; i < qm->rcpts.n; i++)
			if (!strlist_has(&qm->done, qm->rcpts.v[i]))
				strlist_add(&left, qm->rcpts.v[i]);
		strlist_free(&qm->rcpts);
		qm->rcpts = left;
	}
}

void
queue_settled(struct queue_entry *qm, const char *addr)
{
	for (size_t i = 0; i < qm->rcpts.n; i++) {
		if (strcmp(qm->rcpts.v[i], addr) != 0)
			continue;
		/* The string moves, so pointers to it stay good. */
		strlist_add_owned(&qm->done, qm->rcpts.v[i]);
		memmove(qm->rcpts.v + i, qm->rcpts.v + i + 1,
		    (qm->rcpts.n - i - 1) * sizeof *qm->rcpts.v);
		qm->rcpts.n--;
		return;
	}
}

void
queue_entry_free(struct queue_entry *qm)
{
	queue_release(qm);
	free(qm->account);
	strlist_free(&qm->rcpts);
	strlist_free(&qm->done);
	free(qm->body_type);
	free(qm->dsn_notify);
	free(qm->dsn_ret);
	free(qm->dsn_envid);
	free(qm->reason);
	memset(qm, 0, sizeof *qm);
	qm->env_fd = -1;
}

void
queue_list_free(struct queue_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		queue_entry_free(&v[i]);
	free(v);
}

/* Adds the messages of dir to v. A missing dir holds none; ST_IOERR
 * when it cannot be read. */
static enum status
list_dir(const char *dir, int failed, struct queue_entry **v, size_t *n,
    size_t *cap, struct buf *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL && errno == ENOENT)
		return ST_OK;
	if (d == NULL) {
		buf_printf(err, _("cannot read the queue directory %s: %s"), dir,
		    strerror(errno));
		return ST_IOERR;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		struct queue_entry qm;
		char *path;
		FILE *f;

		if (len != QUEUE_ID_LEN + 4 || strcmp(e->d_name + QUEUE_ID_LEN, ".env") != 0 ||
		    !queue_is_id(e->d_name, QUEUE_ID_LEN))
			continue;
		memset(&qm, 0, sizeof qm);
		qm.env_fd = -1;
		memcpy(qm.id, e->d_name, QUEUE_ID_LEN);
		qm.in_failed = failed;
		path = queue_path(dir, e->d_name, "");
		f = fopen(path, "re");
		free(path);
		if (f == NULL)
			continue;	/* delivered meanwhile */
		if (queue_env_parse(f, &qm) != 0) {
			fclose(f);
			queue_entry_free(&qm);
			continue;
		}
		fclose(f);
		read_state(dir, &qm);
		*v = xgrow(*v, cap, *n + 1, sizeof **v);
		(*v)[(*n)++] = qm;
	}
	closedir(d);
	return ST_OK;
}

static int
by_arrival(const void *a, const void *b)
{
	const struct queue_entry *x = a, *y = b;

	if (x->arrival != y->arrival)
		return x->arrival < y->arrival ? -1 : 1;
	return strcmp(x->id, y->id);
}

enum status
queue_list(struct queue *q, struct queue_entry **out, size_t *n, struct buf *err)
{
	size_t cap = 0;
	enum status st;

	*out = NULL;
	*n = 0;
	if (q->dir == NULL)
		return ST_OK;
	st = list_dir(q->dir, 0, out, n, &cap, err);
	if (st == ST_OK)
		st = list_dir(q->failed, 1, out, n, &cap, err);
	if (st != ST_OK) {
		queue_list_free(*out, *n);
		*out = NULL;
		*n = 0;
		return st;
	}
	if (*n)
		qsort(*out, *n, sizeof **out, by_arrival);
	return ST_OK;
}

enum status
queue_take(struct queue *q, const char *id, int from_failed,
    struct queue_entry *qm, struct message *m, struct buf *err)
{
	const char *dir = NULL;
	char *path;
	struct stat sb;
	FILE *f;
	int fd = -1;

	memset(qm, 0, sizeof *qm);
	qm->env_fd = -1;
	if (!queue_is_id(id, strlen(id))) {
		buf_printf(err, _("%s is not a queue ID (see mailq)"), id);
		return ST_USAGE;
	}
	for (int pass = 0; pass < 2 && fd < 0; pass++) {
		if (pass == 1 && !from_failed)
			break;
		dir = pass == 0 ? q->dir : q->failed;
		path = queue_path(dir, id, ".env");
		fd = open(path, O_RDWR | O_CLOEXEC);
		free(path);
		qm->in_failed = pass;
	}
	if (fd < 0) {
		buf_printf(err, _("message %s is not in the queue (delivered, or see mailq)"), id);
		return ST_TEMP_SERVER;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 || fstat(fd, &sb) != 0 ||
	    sb.st_nlink == 0) {
		close(fd);
		buf_printf(err, _("message %s is being delivered by another process"), id);
		return ST_TEMP_SERVER;
	}
	memcpy(qm->id, id, QUEUE_ID_LEN + 1);
	qm->env_fd = fd;
	f = fdopen(dup(fd), "r");
	if (f == NULL || queue_env_parse(f, qm) != 0) {
		if (f)
			fclose(f);
		buf_printf(err, _("queue file %s/%s.env is damaged"), dir, id);
		queue_entry_free(qm);
		return ST_IOERR;
	}
	read_state(dir, qm);
	queue_env_headers(f, m);
	fclose(f);
	path = queue_path(dir, id, ".body");
	m->body_fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (m->body_fd < 0 || fstat(m->body_fd, &sb) != 0) {
		buf_printf(err, _("the body of message %s is missing from %s"), id, dir);
		queue_entry_free(qm);
		return ST_IOERR;
	}
	m->body_size = sb.st_size;
	m->body_8bit = qm->body_8bit;
	return ST_OK;
}

void
queue_release(struct queue_entry *qm)
{
	if (qm->env_fd >= 0)
		close(qm->env_fd);	/* drops the lock */
	qm->env_fd = -1;
}

enum status
queue_done(struct queue *q, struct queue_entry *qm, struct buf *err)
{
	static const char *const exts[] = { ".state", ".body" };
	const char *dir = qm->in_failed ? q->failed : q->dir;
	char *path = queue_path(dir, qm->id, ".env");
	enum status st = ST_OK;

	/* ID.env first: out of the queue. If it stays, so does the rest:
	 * the message is still whole, queued, and will go again. */
	if (unlink(path) != 0 && errno != ENOENT) {
		buf_printf(err, _("message %s was delivered, but %s cannot be removed (%s):"
		    " the next queue run will send it again unless the file is removed"),
		    qm->id, path, strerror(errno));
		st = ST_IOERR;
	} else {
		for (size_t i = 0; i < 2; i++) {
			char *p = queue_path(dir, qm->id, exts[i]);

			unlink(p);
			free(p);
		}
		fsync_dir(dir);
	}
	free(path);
	queue_release(qm);
	return st;
}

static enum status
save_state(struct queue *q, const char *dir, struct queue_entry *qm,
    struct buf *err)
{
	struct buf text = BUF_INIT;
	char name[QUEUE_ID_LEN + 7];
	int rc;

	snprintf(name, sizeof name, "%s.state", qm->id);
	queue_state_text(&text, qm);
	rc = write_file_atomic(q, dir, name, &text);
	buf_free(&text);
	if (rc != 0) {
		buf_printf(err, _("cannot record the state of message %s in %s: %s"),
		    qm->id, dir, strerror(errno));
		return ST_IOERR;
	}
	return ST_OK;
}

enum status
queue_defer(struct queue *q, struct queue_entry *qm, const char *reason,
    time_t at, struct buf *err)
{
	time_t wait = BACKOFF_FIRST;

	for (unsigned i = 0; i < qm->attempts && wait < BACKOFF_MAX; i++)
		wait *= 2;
	if (wait > BACKOFF_MAX)
		wait = BACKOFF_MAX;
	qm->attempts++;
	qm->next_try = at ? at : time(NULL) + wait;
	free(qm->reason);
	qm->reason = xstrdup(reason);
	return save_state(q, qm->in_failed ? q->failed : q->dir, qm, err);
}

enum status
queue_fail(struct queue *q, struct queue_entry *qm, const char *reason,
    struct buf *err)
{
	static const char *const exts[] = { ".body", ".state", ".env" };
	enum status st;

	qm->attempts++;
	qm->next_try = 0;
	free(qm->reason);
	qm->reason = xstrdup(reason);
	st = save_state(q, qm->in_failed ? q->failed : q->dir, qm, err);
	if (st != ST_OK || qm->in_failed)
		return st;
	/* ID.env moves last: until then the message is still queued. */
	for (size_t i = 0; i < 3; i++) {
		char *from = queue_path(q->dir, qm->id, exts[i]);
		char *to = queue_path(q->failed, qm->id, exts[i]);

		if (rename(from, to) != 0 && errno != ENOENT) {
			buf_printf(err, _("cannot move message %s to %s: %s"), qm->id,
			    q->failed, strerror(errno));
			st = ST_IOERR;
		}
		free(from);
		free(to);
	}
	fsync_dir(q->failed);
	fsync_dir(q->dir);
	qm->in_failed = 1;
	return st;
}

int
queue_has_waiting(const struct queue *q)
{
	DIR *d = q->dir ? opendir(q->dir) : NULL;
	struct dirent *e;
	int found = 0;

	while (d && !found && (e = readdir(d)) != NULL)
		found = strlen(e->d_name) == QUEUE_ID_LEN + 6 &&
		    strcmp(e->d_name + QUEUE_ID_LEN, ".state") == 0 &&
		    queue_is_id(e->d_name, QUEUE_ID_LEN);
	if (d)
		closedir(d);
	return found;
}

static int
by_account(const void *a, const void *b)
{
	const struct queue_entry *x = a, *y = b;
	int d = strcasecmp(x->account, y->account);

	if (d)
		return d;
	if (x->arrival != y->arrival)
		return x->arrival < y->arrival ? -1 : 1;
	return strcmp(x->id, y->id);
}

void
queue_sort_by_account(struct queue_entry *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof *v, by_account);
}
