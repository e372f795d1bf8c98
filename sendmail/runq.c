/* SPDX-License-Identifier: MIT */
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "credential.h"
#include "i18n.h"
#include "jsonw.h"
#include "log.h"
#include "net.h"
#include "notice.h"
#include "ratelimit.h"
#include "runner.h"
#include "runq.h"
#include "smtp.h"
#include "util.h"

struct account_session {
	struct account *account;
	struct credential cred;	/* its secret, fetched once a session */
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
    const struct runq_how *how)
{
	s->opened = 1;
	s->trace = smtp_trace_open(how->transcript, how->verbose);
	credential_init(&s->cred, c, s->account);
	s->st = smtp_open(&s->smtp, s->account, &s->cred, c->helo, s->trace,
	    &s->why);
	if (s->st == ST_OK)
		s->st = smtp_auth(&s->smtp, &s->why);
	net_describe(&s->smtp.conn, &s->relay);
}

static void
session_close(struct account_session *s)
{
	if (s->opened)
		smtp_close(&s->smtp);
	credential_free(&s->cred);
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

/* One attempt at one taken message. */
struct attempt {
	const struct queue_entry *qm;
	struct smtp_result r;	/* what smtp_send said of each recipient */
	enum status st;
	double start;		/* seconds_now() when it began */
};

/* The longest reply or reason a JSON line carries whole. */
#define JSON_REPLY_MAX 2000

/*
 * One outcome line (doc/DESIGN.md, Logging) for recipients to[0..n):
 * as text "ID: from=<account> to=<r>,... size=N relay=HOST[IP]:PORT
 * tls=V status=sent|deferred|failed (why) delay=Ds", and as JSON the
 * same fields (saatja.ini(5), JSON LOG).
 */
static void
log_line(const struct account_session *s, const struct attempt *t,
    const char *const *to, size_t n, const char *status, const char *why)
{
	struct buf reason = BUF_INIT, text = BUF_INIT, json = BUF_INIT;
	long long size = (long long)(t->st == ST_OK ? t->r.size : t->qm->size);
	const char *tls = s->opened ? smtp_tls_version(&s->smtp) : "none";
	double delay = seconds_now() - t->start;

	/* A reason on one line: the server's reply is ours to shorten. */
	buf_add_line(&reason, why, strnlen(why, 400), 0);
	buf_printf(&text, "%s: from=<%s> to=", t->qm->id, s->account->address);
	for (size_t i = 0; i < n; i++)
		buf_printf(&text, "%s<%s>", i ? "," : "", to[i]);
	buf_printf(&text, " size=%lld relay=%s tls=%s status=%s (%s) delay=%.2fs",
	    size, buf_str(&s->relay), tls, status, buf_str(&reason), delay);
	jsonw_str(&json, "event", "delivery");
	jsonw_str(&json, "id", t->qm->id);
	jsonw_str(&json, "account", s->account->address);
	jsonw_str(&json, "from", s->account->address);
	jsonw_array(&json, "to");
	for (size_t i = 0; i < n; i++)
		jsonw_item(&json, to[i]);
	jsonw_close(&json, ']');
	jsonw_int(&json, "size", size);
	jsonw_str(&json, "relay", buf_str(&s->relay));
	jsonw_str(&json, "tls", tls);
	jsonw_str(&json, "status", status);
	buf_reset(&reason);
	buf_add(&reason, why, strnlen(why, JSON_REPLY_MAX));
	jsonw_strn(&json, "reply", buf_str(&reason), reason.len);
	jsonw_num(&json, "delay", delay);
	jsonw_int(&json, "attempt", (long long)t->qm->attempts + 1);
	log_event(!strcmp(status, "sent") ? LOG_INFO : LOG_WARNING,
	    buf_str(&text), buf_str(&json));
	buf_free(&reason);
	buf_free(&text);
	buf_free(&json);
}

/* Non-zero when the server refused addr for good in r. */
static int
rcpt_refused(const struct smtp_result *r, const char *addr)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->rcpts[i].refused && strcmp(r->rcpts[i].addr, addr) == 0)
			return 1;
	return 0;
}

/*
 * Logs the attempt: one line for the recipients that got the message,
 * one for each the server refused for good, and, when the message is not
 * done, one for those still left (t->qm->rcpts once the others were
 * settled, less the refused), with why: each recipient is on one line an
 * attempt.
 */
static void
log_attempt(const struct account_session *s, const struct attempt *t,
    const char *why)
{
	const char **to = xcalloc(t->r.n + t->qm->rcpts.n + 1, sizeof *to);
	size_t n = 0;

	for (size_t i = 0; i < t->r.n; i++)
		if (t->r.rcpts[i].accepted)
			to[n++] = t->r.rcpts[i].addr;
	if (n)
		log_line(s, t, to, n, "sent", buf_str(&t->r.reply));
	for (size_t i = 0; i < t->r.n; i++)
		if (t->r.rcpts[i].refused)
			log_line(s, t, &t->r.rcpts[i].addr, 1, "failed",
			    t->r.rcpts[i].reply);
	/* The rest, less those just logged as refused: one line a
	 * recipient and outcome. */
	for (size_t i = n = 0; t->st != ST_OK && i < t->qm->rcpts.n; i++)
		if (!rcpt_refused(&t->r, t->qm->rcpts.v[i]))
			to[n++] = t->qm->rcpts.v[i];
	if (n)
		log_line(s, t, to, n, status_is_temporary(t->st) ?
		    "deferred" : "failed", why);
	free(to);
}

/* Tries a notice just queued at once, as a queue run would (no -v or
 * -X of the caller's); a notice never causes another. */
static void
deliver_notice(const struct config *c, struct queue *q, const char *id)
{
	static const struct runq_how quiet;
	struct buf ignore = BUF_INIT;

	runq_deliver_one(c, &quiet, q, id, 0, &ignore);
	buf_free(&ignore);
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
	char notice[QUEUE_ID_LEN + 1];

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
		if (notice_failed(c, q, qm, m, reason, notice) != 0) {
			queue_defer(q, qm, reason, 0, &err);
			st = ST_TEMP_SERVER;
			log_msg(LOG_WARNING, "%s: kept in the queue, for its failure"
			    " notice could not be queued: %s", qm->id, reason);
		} else {
			queue_fail(q, qm, reason, &err);
			log_msg(LOG_WARNING, "%s: moved to the failed area: %s",
			    qm->id, reason);
			if (notice[0])
				deliver_notice(c, q, notice);
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
send_over(const struct config *c, const struct runq_how *how,
    struct account_session *s, struct attempt *t, const struct message *m,
    struct buf *err)
{
	struct smtp_envelope e;
	enum status st;

	if (!s->opened)
		session_open(s, c, how);
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

/*
 * The refused recipients' notice is queued before they are settled or
 * the message leaves the queue, and sent once it has; without it they
 * stay, to be refused again (and noticed) at the next try. Returns
 * non-zero when it could not be queued: a message that went then waits
 * for that notice.
 */
static int
queue_refused_notice(const struct config *c, struct queue *q,
    struct attempt *t, const struct message *m, char id[QUEUE_ID_LEN + 1],
    struct buf *err)
{
	if (notice_refused(c, q, t->qm, m, &t->r, id) == 0)
		return 0;
	if (t->st == ST_OK) {
		t->st = ST_TEMP_SERVER;
		buf_adds(err, _("the notice about the refused recipients"
		    " could not be queued (is the queue's disk full?)"));
	}
	return 1;
}

/* One attempt at a taken message over session s, within the account's
 * max_per_hour; settles the message. */
static enum status
attempt(const struct config *c, const struct runq_how *how, struct queue *q,
    struct account_session *s, struct queue_entry *qm, struct message *m,
    struct buf *err)
{
	struct attempt t;
	struct ratelimit rate;
	struct buf reason = BUF_INIT;
	time_t until = ratelimit_wait(&rate, q->dir, s->account);
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
		ratelimit_done(&rate);
		return ST_TEMP_SERVER;
	}
	t.st = send_over(c, how, s, &t, m, err);
	for (size_t i = 0; i < t.r.n; i++)
		given += t.r.rcpts[i].accepted;
	if (t.r.refused && given)
		unnoticed = queue_refused_notice(c, q, &t, m, notice, err);
	if (t.st == ST_OK) {
		struct buf gone = BUF_INIT;

		/* Out of the queue first: until ID.env is gone, a crash means
		 * a second delivery. Logging can wait. */
		if (queue_done(q, qm, &gone) != ST_OK)
			log_msg(LOG_ERR, "%s: %s", qm->id, buf_str(&gone));
		buf_free(&gone);
		ratelimit_record(&rate);
	} else if (given) {
		/* Some got it before the rest failed: never again to them,
		 * nor to those refused for good (written with the state). */
		for (size_t i = 0; i < t.r.n; i++)
			if (t.r.rcpts[i].accepted ||
			    (t.r.rcpts[i].refused && !unnoticed))
				queue_settled(qm, t.r.rcpts[i].addr);
		ratelimit_record(&rate);
	}
	ratelimit_done(&rate);
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
		deliver_notice(c, q, notice);
	return out;
}

/* Takes id and attempts it over s; a message that has no account now
 * fails with that reason. */
static enum status
take_and_send(const struct config *c, const struct runq_how *how,
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
		st = attempt(c, how, q, s, &qm, &m, err);
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
deliver_waiting(const struct config *c, const struct runq_how *how,
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
		sent += take_and_send(c, how, q, s, v[i].id, 0, &why) == ST_OK;
		buf_free(&why);
	}
	return sent;
}

/*
 * The backlog: session s has just delivered a message, so its account
 * works now and its waiting messages go too, over s. A detached child
 * takes s over; this process lets go of it without a word and returns
 * at once. Nothing happens when no message waits at all.
 */
static void
flush_backlog(const struct config *c, const struct runq_how *how,
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
	detach_from_caller();
	if (queue_list(q, &v, &n, &ignore) == ST_OK)
		deliver_waiting(c, how, q, s, s->account->address, v, n, ALL, 0);
	queue_list_free(v, n);
	buf_free(&ignore);
	session_close(s);
	_exit(0);
}

enum status
runq_deliver_one(const struct config *c, const struct runq_how *how,
    struct queue *q, const char *id, unsigned flags, struct buf *err)
{
	struct account_session s;
	enum status st;
	locale_t saved = i18n_plain_begin();

	memset(&s, 0, sizeof s);
	st = take_and_send(c, how, q, &s, id, (flags & RUNQ_FROM_FAILED) != 0, err);
	if (st == ST_OK && (flags & RUNQ_BACKLOG))
		flush_backlog(c, how, q, &s);
	session_close(&s);
	i18n_plain_end(saved);
	return st;
}

enum status
runq_run(const struct config *c, const struct runq_how *how, struct buf *err)
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
	runner_mark(&q);
	queue_sweep(&q);
	st = queue_list(&q, &v, &n, err);
	if (st == ST_OK)
		queue_sort_by_account(v, n);
	for (size_t i = 0; st == ST_OK && i < n;) {
		struct account_session s;
		size_t end = i;

		while (end < n && strcasecmp(v[end].account, v[i].account) == 0)
			end++;
		memset(&s, 0, sizeof s);
		s.account = config_account(c, v[i].account);
		/* Once the account delivered, its other messages go too. */
		if (deliver_waiting(c, how, &q, &s, v[i].account, v + i, end - i,
		    how->due_only ? DUE : ALL, now) && how->due_only)
			deliver_waiting(c, how, &q, &s, v[i].account, v + i,
			    end - i, NOT_DUE, now);
		i = end;
		session_close(&s);
	}
	queue_list_free(v, n);
	queue_close(&q);
	i18n_plain_end(saved);
	return st;
}
