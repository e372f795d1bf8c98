/*
 * runq - delivering from the queue; see runq.h.
 *
 * A session is opened lazily, the first time a message of its account is
 * due, and reused for the account's other messages. When the session
 * cannot be opened, every message of the account gets that outcome: a
 * temporary one defers them, a permanent one (login refused, untrusted
 * certificate) fails them.
 *
 * Delivery runs in English (i18n_plain_begin): its reasons go to the log,
 * into the queue for mailq, and into the failure notice.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "i18n.h"
#include "log.h"
#include "net.h"
#include "runq.h"
#include "smtp.h"

/*
 * A queue run leaves its time here (the file's mtime), so that mailq and
 * --check can tell a queue that something retries from one that nothing
 * does, whoever runs it: the timer, cron, a user's crontab.
 */
#define RUN_MARK "last-run"
#define RUN_FRESH (3600)	/* seconds a run counts as "recent" */

/* Enabled by saatja-runner; they run the system spool. */
static const char *const runners[] = {
	"/etc/systemd/system/timers.target.wants/saatja-queue.timer",
	"/etc/cron.d/saatja",
};

struct account_session {
	struct account *account;
	struct smtp smtp;
	int opened;		/* smtp_open was called */
	enum status st;		/* outcome of opening; ST_OK when usable */
	struct buf why;		/* the reason when st is not ST_OK */
	struct buf relay;
	FILE *trace;
	unsigned sent;		/* transactions tried on this session */
};

static double
seconds_now(void)
{
	return (double)net_now_ms() / 1000.0;
}

static void
session_open(struct account_session *s, const struct config *c,
    const struct options *o)
{
	s->opened = 1;
	s->trace = smtp_trace_open(o->transcript, o->verbose);
	s->st = smtp_open(&s->smtp, s->account, c->helo, s->trace, &s->why);
	if (s->st == ST_OK)
		s->st = smtp_auth(&s->smtp, &s->why);
	net_describe(&s->smtp.conn, &s->relay);
}

static void
session_close(struct account_session *s)
{
	if (s->opened)
		smtp_close(&s->smtp);
	smtp_trace_close(s->trace);
	buf_free(&s->why);
	buf_free(&s->relay);
	memset(s, 0, sizeof *s);
}

/* Lets go of the session without a word: another process has it. */
static void
session_abandon(struct account_session *s)
{
	if (s->opened)
		smtp_abandon(&s->smtp);
	s->opened = 0;
	session_close(s);
}

/*
 * max_per_hour: the times of an account's sends in the last hour, one a
 * line in QUEUE/ACCOUNT.rate, shared by all runs under flock.
 */
struct rate {
	int fd;			/* the file, locked; -1: no limit applies */
	struct buf recent;	/* the sends of the last hour, one a line */
};

/*
 * Opens and reads the account's rate file. Returns 0 when a message may
 * go now, else the time when it may (the oldest send of the last hour
 * leaves the hour). Without a limit, or without the file, it may (the
 * file that cannot be opened is logged, once a run).
 */
static time_t
rate_wait(struct rate *r, struct queue *q, const struct account *a)
{
	static int warned;
	struct buf all = BUF_INIT, p = BUF_INIT;
	time_t now = time(NULL), oldest = 0;
	size_t n = 0;
	char block[4096];
	ssize_t got;

	r->fd = -1;
	buf_init(&r->recent);
	if (a->max_per_hour == 0)
		return 0;
	buf_printf(&p, "%s/%s.rate", q->dir, a->address);
	r->fd = open(p.data, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
	if (r->fd < 0) {
		/* Said once a run: every message of the run would say it. */
		if (!warned)
			log_msg(LOG_WARNING, "cannot open %s: %s; max_per_hour of %s is"
			    " not applied", p.data, strerror(errno), a->address);
		warned = 1;
		buf_free(&p);
		return 0;
	}
	buf_free(&p);
	flock(r->fd, LOCK_EX);
	while ((got = pread(r->fd, block, sizeof block, (off_t)all.len)) > 0)
		buf_add(&all, block, (size_t)got);
	for (char *line = all.data; line && *line;) {
		char *end = strchr(line, '\n');
		time_t t = (time_t)strtoll(line, NULL, 10);

		if (t > now - 3600) {
			if (n == 0 || t < oldest)
				oldest = t;
			n++;
			buf_printf(&r->recent, "%lld\n", (long long)t);
		}
		line = end ? end + 1 : NULL;
	}
	buf_free(&all);
	return n >= a->max_per_hour ? oldest + 3600 : 0;
}

/* Counts a send now. */
static void
rate_record(struct rate *r)
{
	if (r->fd < 0)
		return;
	buf_printf(&r->recent, "%lld\n", (long long)time(NULL));
	if (ftruncate(r->fd, 0) == 0)
		(void)!pwrite(r->fd, r->recent.data, r->recent.len, 0);
}

static void
rate_done(struct rate *r)
{
	if (r->fd >= 0)
		close(r->fd);	/* drops the lock */
	r->fd = -1;
	buf_free(&r->recent);
}

/* One attempt at one taken message. */
struct attempt {
	const struct queue_entry *qm;
	struct smtp_result r;	/* what smtp_send said of each recipient */
	enum status st;
	double start;		/* seconds_now() when it began */
};

/* One log line (SPEC §9): "ID: from=<account> to=<r>,... size=N
 * relay=HOST[IP]:PORT tls=V status=sent|deferred|failed (why) delay=Ds". */
static void
log_line(const struct account_session *s, const struct attempt *t,
    const struct buf *to, const char *status, const char *why)
{
	struct buf reason = BUF_INIT;

	/* A reason on one line: the server's reply is ours to shorten. */
	buf_add_line(&reason, why, strnlen(why, 400), 0);
	log_msg(!strcmp(status, "sent") ? LOG_INFO : LOG_WARNING,
	    "%s: from=<%s> to=%s size=%lld relay=%s tls=%s status=%s (%s) delay=%.2fs",
	    t->qm->id, s->account->address, buf_str(to),
	    (long long)(t->st == ST_OK ? t->r.size : t->qm->size),
	    buf_str(&s->relay), s->opened ? smtp_tls_version(&s->smtp) : "none",
	    status, buf_str(&reason), seconds_now() - t->start);
	buf_free(&reason);
}

/*
 * Logs the attempt: one line for the recipients that got the message,
 * one for each the server refused for good, and, when the message is not
 * done, one for those still left (t->qm->rcpts once the others were
 * settled), with why.
 */
static void
log_attempt(const struct account_session *s, const struct attempt *t,
    const char *why)
{
	struct buf to = BUF_INIT;

	for (size_t i = 0; i < t->r.n; i++)
		if (t->r.rcpts[i].accepted)
			buf_list_add(&to, ",", "<%s>", t->r.rcpts[i].addr);
	if (to.len)
		log_line(s, t, &to, "sent", buf_str(&t->r.reply));
	for (size_t i = 0; i < t->r.n; i++) {
		if (!t->r.rcpts[i].refused)
			continue;
		buf_reset(&to);
		buf_printf(&to, "<%s>", t->r.rcpts[i].addr);
		log_line(s, t, &to, "failed", t->r.rcpts[i].reply);
	}
	if (t->st != ST_OK) {
		buf_reset(&to);
		for (size_t i = 0; i < t->qm->rcpts.n; i++)
			buf_list_add(&to, ",", "<%s>", t->qm->rcpts.v[i]);
		log_line(s, t, &to, status_is_temporary(t->st) ? "deferred" :
		    "failed", why);
	}
	buf_free(&to);
}

/* Tries notice id at once; a notice never causes another. */
static void
deliver_notice(const struct config *c, struct queue *q, const char *account,
    const char *id)
{
	struct buf err = BUF_INIT;
	struct options o;

	memset(&o, 0, sizeof o);
	o.notice = 1;
	strlist_add(&o.rcpts, account);
	runq_deliver_one(c, &o, q, id, 0, &err);
	options_free(&o);
	buf_free(&err);
}

/*
 * Queues a short notice to the account about message qm (what: the
 * body's first part; then the message's headers) as id, and tries it at
 * once unless id_out is given (it gets the ID then; "" when none is
 * needed). A notice is never sent about a notice. -1 when it could not
 * be queued.
 */
static int
send_notice(const struct config *c, struct queue *q,
    const struct queue_entry *qm, const struct message *failed,
    const char *what, char *id_out)
{
	struct buf text = BUF_INIT, err = BUF_INIT;
	struct options o;
	struct message m;
	struct plan p;
	long subj;
	char *subject;
	char id[QUEUE_ID_LEN + 1];
	FILE *in;
	int queued = 0;

	if (id_out)
		id_out[0] = '\0';
	if (qm->notice)
		return 0;
	subj = message_find(failed, "Subject", 0);
	subject = subj >= 0 ? message_value(failed, (size_t)subj) : xstrdup("");
	buf_printf(&text, "From: Mail Delivery System <%s>\nTo: %s\n"
	    "Subject: Undelivered Mail: %.200s\nAuto-Submitted: auto-replied\n\n",
	    qm->account, qm->account, subject);
	buf_printf(&text, "%s\nIts headers were:\n\n", what);
	for (size_t i = 0; i < failed->nhdrs; i++)
		buf_printf(&text, "%s\n", failed->hdrs[i].field);
	free(subject);

	/* Planned as "sendmail ACCOUNT" would plan it. */
	memset(&o, 0, sizeof o);
	o.notice = 1;	/* to the account alone: never its cc/bcc */
	strlist_add(&o.rcpts, qm->account);
	message_init(&m);
	in = fmemopen(text.data, text.len, "r");
	if (in && message_read(&m, in, 0, q->tmp, &err) == ST_OK &&
	    account_plan(&p, c, &o, &m, &err) == ST_OK) {
		if (queue_add(q, &p, &m, id, &err) == ST_OK) {
			queued = 1;
			log_msg(LOG_INFO, "%s: failure notice for %s queued to <%s>",
			    id, qm->id, qm->account);
			if (id_out)
				memcpy(id_out, id, QUEUE_ID_LEN + 1);
			else
				deliver_notice(c, q, qm->account, id);
		}
		plan_free(&p);
	}
	if (err.len)
		log_msg(LOG_ERR, "%s: cannot queue a failure notice: %s", qm->id,
		    buf_str(&err));
	if (in)
		fclose(in);
	message_free(&m);
	options_free(&o);
	buf_free(&text);
	buf_free(&err);
	return queued ? 0 : -1;
}

/* The notice about a message that failed: to whom, why, what now. -1
 * when it could not be queued. */
static int
notice_failed(const struct config *c, struct queue *q,
    const struct queue_entry *qm, const struct message *m,
    const char *reason)
{
	struct buf what = BUF_INIT;
	int rc;

	buf_printf(&what, "saatja could not deliver message %s to:\n\n", qm->id);
	for (size_t i = 0; i < qm->rcpts.n; i++)
		buf_printf(&what, "    %s\n", qm->rcpts.v[i]);
	buf_printf(&what, "\nReason: %s\n\nThe message is kept in the failed area of the queue;"
	    " after fixing the cause, `sendmail -qI %s` sends it again.\n", reason, qm->id);
	rc = send_notice(c, q, qm, m, buf_str(&what), NULL);
	buf_free(&what);
	return rc;
}

/* The notice about recipients the server refused for good, one for all
 * of them, while the message went to others (SPEC §5); queued as id,
 * for the caller to send. -1 when it could not be queued. */
static int
notice_refused(const struct config *c, struct queue *q,
    const struct queue_entry *qm, const struct message *m,
    const struct smtp_result *r, char id[QUEUE_ID_LEN + 1])
{
	struct buf what = BUF_INIT;
	int rc;

	buf_printf(&what, "saatja delivered message %s, but the server refused it for good"
	    " for these recipients:\n\n", qm->id);
	for (size_t i = 0; i < r->n; i++)
		if (r->rcpts[i].refused)
			buf_printf(&what, "    %s\n        %s\n", r->rcpts[i].addr,
			    r->rcpts[i].reply ? r->rcpts[i].reply : "");
	buf_adds(&what, "\nThe other recipients were given the message; nothing more is"
	    " tried for these. Check the addresses.\n");
	rc = send_notice(c, q, qm, m, buf_str(&what), id);
	buf_free(&what);
	return rc;
}

/*
 * Settles a message after an attempt with outcome st: removes, defers or
 * fails it. Returns what the caller of an interactive delivery should
 * see: ST_OK, the temporary status (deferred), or the permanent one.
 */
static enum status
settle(const struct config *c, struct queue *q, struct queue_entry *qm,
    const struct message *m, enum status st, const char *reason)
{
	struct buf err = BUF_INIT, why = BUF_INIT;

	if (st == ST_OK) {
		if (qm->env_fd >= 0)
			queue_done(q, qm, &err);
	} else if (status_is_temporary(st) &&
	    time(NULL) - qm->arrival < c->retry_for) {
		queue_defer(q, qm, reason, 0, &err);
	} else {
		if (status_is_temporary(st)) {
			buf_printf(&why, "%s (gave up after %ld hours of retries)",
			    reason, (long)(c->retry_for / 3600));
			reason = buf_str(&why);
			st = ST_UNAVAILABLE;
		}
		/* The notice is queued first, so that neither a full disk
		 * nor a kill leaves the message failed without one; without
		 * it the message stays queued, to fail again later (and the
		 * caller is told it waits). */
		if (notice_failed(c, q, qm, m, reason) != 0) {
			queue_defer(q, qm, reason, 0, &err);
			st = ST_TEMP_SERVER;
			log_msg(LOG_WARNING, "%s: kept in the queue, for its failure"
			    " notice could not be queued: %s", qm->id, reason);
		} else {
			queue_fail(q, qm, reason, &err);
			log_msg(LOG_WARNING, "%s: moved to the failed area: %s",
			    qm->id, reason);
		}
	}
	if (err.len)
		log_msg(LOG_ERR, "%s: %s", qm->id, buf_str(&err));
	buf_free(&err);
	buf_free(&why);
	return st;
}

/* Sends qm over session s; the session is opened at its first use. */
static enum status
send_over(const struct config *c, const struct options *o,
    struct account_session *s, struct attempt *t, const struct message *m,
    struct buf *err)
{
	struct smtp_envelope e;
	enum status st;

	if (!s->opened)
		session_open(s, c, o);
	/* Transactions on one session are kept apart by RSET. */
	if (s->st == ST_OK && s->sent++ > 0 &&
	    (st = smtp_reset(&s->smtp, &s->why)) != ST_OK)
		s->st = st;
	if (s->st != ST_OK) {
		buf_adds(err, buf_str(&s->why));
		return s->st;
	}
	memset(&e, 0, sizeof e);
	e.from = t->qm->account;
	e.rcpts = &t->qm->rcpts;
	e.smtputf8 = t->qm->smtputf8;
	e.body_type = t->qm->body_type;
	e.dsn_notify = t->qm->dsn_notify;
	e.dsn_ret = t->qm->dsn_ret;
	e.dsn_envid = t->qm->dsn_envid;
	st = smtp_send(&s->smtp, &e, m, &t->r, err);
	if (st != ST_OK && !s->smtp.open) {
		s->st = st;	/* the session is gone for the rest */
		buf_adds(&s->why, buf_str(err));
	}
	return st;
}

/* One attempt at a taken message over session s, within the account's
 * max_per_hour; settles the message. */
static enum status
attempt(const struct config *c, const struct options *o, struct queue *q,
    struct account_session *s, struct queue_entry *qm, struct message *m,
    struct buf *err)
{
	struct attempt t;
	struct rate rate;
	struct buf reason = BUF_INIT;
	time_t until = rate_wait(&rate, q, s->account);
	enum status out;
	size_t given = 0;
	char notice[QUEUE_ID_LEN + 1] = "";
	int unnoticed = 0;

	memset(&t, 0, sizeof t);
	t.qm = qm;
	t.start = seconds_now();
	if (until) {
		buf_printf(&reason, "waiting: %s may send %u messages an hour (max_per_hour)",
		    s->account->address, s->account->max_per_hour);
		queue_defer(q, qm, buf_str(&reason), until, err);
		buf_reset(err);
		buf_adds(err, buf_str(&reason));
		buf_free(&reason);
		rate_done(&rate);
		return ST_TEMP_SERVER;
	}
	t.st = send_over(c, o, s, &t, m, err);
	for (size_t i = 0; i < t.r.n; i++)
		given += t.r.rcpts[i].accepted;
	/* The refused recipients' notice is queued before they are settled
	 * or the message leaves the queue; without it they stay, to be
	 * refused again (and noticed) at the next try. Sent below. */
	if (t.r.refused && given &&
	    notice_refused(c, q, qm, m, &t.r, notice) != 0) {
		unnoticed = 1;
		if (t.st == ST_OK) {
			t.st = ST_TEMP_SERVER;
			buf_adds(err, _("the notice about the refused recipients"
			    " could not be queued (is the queue's disk full?)"));
		}
	}
	if (t.st == ST_OK) {
		struct buf gone = BUF_INIT;

		/* Out of the queue first: until ID.env is gone, a crash means
		 * a second delivery. Logging can wait. */
		if (queue_done(q, qm, &gone) != ST_OK)
			log_msg(LOG_ERR, "%s: %s", qm->id, buf_str(&gone));
		buf_free(&gone);
		rate_record(&rate);
	} else if (given) {
		/* Some got it before the rest failed: never again to them,
		 * nor to those refused for good (written with the state). */
		for (size_t i = 0; i < t.r.n; i++)
			if (t.r.rcpts[i].accepted ||
			    (t.r.rcpts[i].refused && !unnoticed))
				queue_settled(qm, t.r.rcpts[i].addr);
		rate_record(&rate);
	}
	rate_done(&rate);
	log_attempt(s, &t, buf_str(err));
	for (size_t i = 0; t.st == ST_OK && i < t.r.n; i++)
		if (t.r.rcpts[i].refused)
			buf_printf(err, "%s%s was refused by the server (%s)",
			    err->len ? "; " : "not delivered to some recipients: ",
			    t.r.rcpts[i].addr, t.r.rcpts[i].reply);
	smtp_result_free(&t.r);
	buf_adds(&reason, buf_str(err));
	out = settle(c, q, qm, m, t.st, buf_str(&reason));
	buf_free(&reason);
	if (notice[0])
		deliver_notice(c, q, qm->account, notice);
	return out;
}

/* Takes id and attempts it over s; a message that has no account now
 * fails with that reason. */
static enum status
take_and_send(const struct config *c, const struct options *o,
    struct queue *q, struct account_session *s, const char *id, int from_failed,
    struct buf *err)
{
	struct queue_entry qm;
	struct message m;
	enum status st;

	message_init(&m);
	st = queue_take(q, id, from_failed, &qm, &m, err);
	if (st != ST_OK) {
		message_free(&m);
		return st;
	}
	if (s->account == NULL)
		s->account = config_account(c, qm.account);
	if (s->account == NULL) {
		buf_printf(err, "the account %s is no longer in %s", qm.account, c->path);
		st = settle(c, q, &qm, &m, ST_CONFIG, buf_str(err));
	} else
		st = attempt(c, o, q, s, &qm, &m, err);
	queue_entry_free(&qm);
	message_free(&m);
	return st;
}

enum which { ALL, DUE, NOT_DUE };

/*
 * Delivers over s the waiting messages of v[0..n) that belong to
 * account, all of them or those whose retry time has (not) come at now.
 * Returns how many were delivered.
 */
static size_t
deliver_waiting(const struct config *c, const struct options *o,
    struct queue *q, struct account_session *s, const char *account,
    const struct queue_entry *v, size_t n, enum which which, time_t now)
{
	size_t sent = 0;

	for (size_t i = 0; i < n; i++) {
		struct buf why = BUF_INIT;

		if (v[i].in_failed || strcasecmp(v[i].account, account) != 0 ||
		    (which == DUE && v[i].next_try > now) ||
		    (which == NOT_DUE && v[i].next_try <= now))
			continue;
		sent += take_and_send(c, o, q, s, v[i].id, 0, &why) == ST_OK;
		buf_free(&why);
	}
	return sent;
}

void
runq_detach(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	setsid();
	signal(SIGHUP, SIG_IGN);
	(void)!nice(10);
}

/*
 * The backlog: session s has just delivered a message, so its account
 * works now and its waiting messages go too, over s. A detached child
 * takes s over; this process lets go of it without a word and returns
 * at once. Nothing happens when no message waits at all.
 */
static void
flush_backlog(const struct config *c, const struct options *o,
    struct queue *q, struct account_session *s)
{
	struct queue_entry *v = NULL;
	size_t n = 0;
	struct buf ignore = BUF_INIT;
	pid_t pid;

	if (s->st != ST_OK || !s->smtp.open || !queue_has_waiting(q))
		return;
	fflush(NULL);
	pid = fork();
	if (pid != 0) {
		if (pid < 0)
			log_msg(LOG_WARNING, "cannot start delivering the waiting mail of %s: %s; the next queue run sends it",
			    s->account->address, strerror(errno));
		else
			session_abandon(s);
		return;
	}
	runq_detach();
	if (queue_list(q, &v, &n, &ignore) == ST_OK)
		deliver_waiting(c, o, q, s, s->account->address, v, n, ALL, 0);
	queue_list_free(v, n);
	buf_free(&ignore);
	session_close(s);
	_exit(0);
}

enum status
runq_deliver_one(const struct config *c, const struct options *o,
    struct queue *q, const char *id, unsigned flags, struct buf *err)
{
	struct account_session s;
	enum status st;
	locale_t saved = i18n_plain_begin();

	memset(&s, 0, sizeof s);
	st = take_and_send(c, o, q, &s, id, (flags & RUNQ_FROM_FAILED) != 0, err);
	if (st == ST_OK && (flags & RUNQ_BACKLOG))
		flush_backlog(c, o, q, &s);
	session_close(&s);
	i18n_plain_end(saved);
	return st;
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

static void
mark_run(const struct queue *q)
{
	struct buf p = BUF_INIT;
	int fd;

	buf_printf(&p, "%s/%s", q->dir, RUN_MARK);
	fd = open(p.data, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
	if (fd >= 0) {
		futimens(fd, NULL);
		close(fd);
	}
	buf_free(&p);
}

int
runq_unattended(const struct queue *q, size_t n, struct buf *warning)
{
	struct buf p = BUF_INIT;
	struct stat sb;
	int recent;

	if (n == 0 || q->dir == NULL)
		return 0;
	if (strcmp(q->dir, LOCALSTATEDIR "/spool/saatja") == 0)
		for (size_t i = 0; i < sizeof runners / sizeof runners[0]; i++)
			if (access(runners[i], F_OK) == 0)
				return 0;
	buf_printf(&p, "%s/%s", q->dir, RUN_MARK);
	recent = stat(p.data, &sb) == 0 && time(NULL) - sb.st_mtime < RUN_FRESH;
	buf_free(&p);
	if (recent)
		return 0;
	buf_printf(warning, ngettext("%zu message waits for a retry, but nothing will retry it: no queue runner is enabled and no queue run happened in the last hour; run saatja-runner enable as root (or sendmail -q now)",
	    "%zu messages wait for a retry, but nothing will retry them: no queue runner is enabled and no queue run happened in the last hour; run saatja-runner enable as root (or sendmail -q now)",
	    n), n);
	return 1;
}

enum status
runq_run(const struct config *c, const struct options *o, struct buf *err)
{
	struct queue q;
	struct queue_entry *v = NULL;
	size_t n = 0;
	time_t now = time(NULL);
	enum status st;
	locale_t saved;

	queue_find(&q, c);
	if (q.dir == NULL)
		return ST_OK;
	saved = i18n_plain_begin();
	mark_run(&q);
	queue_sweep(&q);
	st = queue_list(&q, &v, &n, err);
	if (st == ST_OK && n)
		qsort(v, n, sizeof *v, by_account);
	for (size_t i = 0; st == ST_OK && i < n;) {
		struct account_session s;
		size_t end = i;

		while (end < n && strcasecmp(v[end].account, v[i].account) == 0)
			end++;
		memset(&s, 0, sizeof s);
		s.account = config_account(c, v[i].account);
		/* Once the account delivered, its other messages go too. */
		if (deliver_waiting(c, o, &q, &s, v[i].account, v + i, end - i,
		    o->due_only ? DUE : ALL, now) && o->due_only)
			deliver_waiting(c, o, &q, &s, v[i].account, v + i,
			    end - i, NOT_DUE, now);
		i = end;
		session_close(&s);
	}
	queue_list_free(v, n);
	queue_close(&q);
	i18n_plain_end(saved);
	return st;
}
