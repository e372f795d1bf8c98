/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the queue: the ID.env text read back as written (the
 * format at the top of queue.c), what queue_find finds, one message
 * through queue_add, queue_list, queue_take and queue_done, and settled
 * recipients kept out of later attempts (ID.state "done:"), and a
 * queue_done that cannot remove ID.env saying so and keeping the message
 * whole; queue_sweep removing what killed writers leave once it is old
 * and unlocked, keeping the rest, and putting a message half moved to
 * failed/ back whole.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "account.h"
#include "config.h"
#include "message.h"
#include "queue.h"
#include "queue_env.h"
#include "../lib/tap.h"

static char work[] = "/tmp/saatja-test-queue-XXXXXX";

/* A message read from text, its body spooled in dir. */
static void
read_message(struct message *m, const char *text, const char *dir)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	struct buf err = BUF_INIT;

	message_init(m);
	is_int(message_read(m, in, 0, dir, &err), ST_OK, "the message reads");
	fclose(in);
	buf_free(&err);
}

static void
test_env_round_trip(void)
{
	struct account a;
	struct plan p;
	struct message m, back;
	struct queue_entry qm;
	struct buf text = BUF_INIT;
	FILE *f;

	memset(&a, 0, sizeof a);
	a.address = "arved@firma.test";
	memset(&p, 0, sizeof p);
	p.account = &a;
	strlist_add(&p.rcpts, "klient@example.test");
	strlist_add(&p.rcpts, "j\xc3\xbcri@example.test");
	p.needs_smtputf8 = 1;
	p.body_type = "8BITMIME";
	p.dsn_notify = "success,failure";
	p.dsn_ret = "hdrs";
	p.dsn_envid = "env42";
	p.notice = 1;
	read_message(&m, "From: arved@firma.test\nSubject: a long\n subject\n\nbody\n", work);
	queue_env_text(&text, &p, &m);
	ok(strncmp(buf_str(&text), "saatja-queue: 1\naccount: arved@firma.test\n", 42) == 0,
	    "ID.env starts with its version and the account");

	f = fmemopen(text.data, text.len, "r");
	memset(&qm, 0, sizeof qm);
	message_init(&back);
	is_int(queue_env_parse(f, &qm), 0, "ID.env reads back");
	queue_env_headers(f, &back);
	fclose(f);
	is_str(qm.account, "arved@firma.test", "account");
	is_int(qm.rcpts.n, 2, "both recipients");
	is_str(qm.rcpts.n > 1 ? qm.rcpts.v[1] : NULL, "j\xc3\xbcri@example.test", "UTF-8 recipient");
	is_int((long)qm.size, (long)message_size(&m), "size is the message's");
	ok(qm.arrival > 0, "arrival time");
	is_str(qm.body_type, "8BITMIME", "body type");
	is_str(qm.dsn_notify, "success,failure", "DSN notify");
	is_str(qm.dsn_ret, "hdrs", "DSN ret");
	is_str(qm.dsn_envid, "env42", "DSN envid");
	ok(qm.smtputf8 && qm.notice && !qm.body_8bit, "flags");
	is_int(back.nhdrs, 2, "the header section");
	is_str(back.nhdrs > 1 ? back.hdrs[1].field : NULL, "Subject: a long\r\n subject",
	    "a folded field stays folded");

	qm.attempts = 3;
	qm.next_try = 1764150000;
	qm.reason = xstrdup("the server said:\r\n421 busy");
	buf_reset(&text);
	queue_state_text(&text, &qm);
	is_str(buf_str(&text), "attempts: 3\nnext: 1764150000\nreason: the server said:  421 busy\n",
	    "ID.state, the reason on one line");
	queue_entry_free(&qm);
	message_free(&m);
	message_free(&back);
	strlist_free(&p.rcpts);
	buf_free(&text);
}

static void
test_queue_find(void)
{
	struct config c;
	struct queue q;
	struct buf dir = BUF_INIT, user = BUF_INIT;

	memset(&c, 0, sizeof c);
	buf_printf(&dir, "%s/configured", work);
	c.queue_dir = dir.data;
	queue_find(&q, &c);
	is_str(q.dir, dir.data, "the queue key names the queue, made or not");
	queue_close(&q);

	c.queue_dir = NULL;
	if (access(LOCALSTATEDIR "/spool/saatja", W_OK | X_OK) == 0) {
		ok(1, "# SKIP the system spool is writable here");
	} else {
		setenv("XDG_STATE_HOME", work, 1);
		queue_find(&q, &c);
		ok(q.dir == NULL, "no queue anywhere: none, and none made");
		queue_close(&q);
		buf_printf(&user, "%s/saatja", work);
		mkdir(user.data, 0700);
		queue_find(&q, &c);
		is_str(q.dir, user.data, "the per-user state directory once it exists");
		queue_close(&q);
		rmdir(user.data);
	}
	buf_free(&dir);
	buf_free(&user);
}

/* A queue in work/name holding one message of arved@firma.test, with
 * body text, to the NULL-terminated recipients. */
struct fixture {
	struct config c;
	struct account a;
	struct plan p;
	struct queue q;
	struct message m;
	struct buf dir;
	char id[QUEUE_ID_LEN + 1];
};

static void
fixture_add(struct fixture *f, const char *name, const char *text,
    const char *const *rcpts)
{
	struct buf err = BUF_INIT;

	memset(f, 0, sizeof *f);
	buf_printf(&f->dir, "%s/%s", work, name);
	f->c.queue_dir = f->dir.data;
	is_int(queue_open(&f->q, &f->c, &err), ST_OK, "queue_open makes the queue");
	f->a.address = "arved@firma.test";
	f->p.account = &f->a;
	for (; *rcpts; rcpts++)
		strlist_add(&f->p.rcpts, *rcpts);
	read_message(&f->m, text, f->q.tmp);
	is_int(queue_add(&f->q, &f->p, &f->m, f->id, &err), ST_OK, "queue_add");
	buf_free(&err);
}

static void
fixture_free(struct fixture *f)
{
	message_free(&f->m);
	strlist_free(&f->p.rcpts);
	queue_close(&f->q);
	buf_free(&f->dir);
}

static void
test_add_list_take_done(void)
{
	static const char *const rcpts[] = { "klient@example.test", NULL };
	struct fixture f;
	struct message taken;
	struct queue_entry *v, qm;
	struct buf err = BUF_INIT;
	size_t n;

	fixture_add(&f, "q", "From: arved@firma.test\n\nline 1\nline 2\n", rcpts);
	is_int(strlen(f.id), QUEUE_ID_LEN, "a queue ID");
	is_int(queue_list(&f.q, &v, &n, &err), ST_OK, "queue_list");
	is_int(n, 1, "one message listed");
	is_str(n ? v[0].id : NULL, f.id, "by its ID");
	queue_list_free(v, n);
	message_init(&taken);
	is_int(queue_take(&f.q, f.id, 0, &qm, &taken, &err), ST_OK, "queue_take");
	is_int((long)taken.body_size, (long)f.m.body_size, "the body comes back whole");
	is_int(queue_done(&f.q, &qm, &err), ST_OK, "queue_done");
	queue_entry_free(&qm);
	is_int(queue_list(&f.q, &v, &n, &err), ST_OK, "queue_list after done");
	is_int(n, 0, "the queue is empty");
	queue_list_free(v, n);
	message_free(&taken);
	fixture_free(&f);
	buf_free(&err);
}

static void
test_settled_recipients_stay_settled(void)
{
	static const char *const rcpts[] = {
		"a@example.test", "b@example.test", "c@example.test", NULL
	};
	struct fixture f;
	struct message taken;
	struct queue_entry *v, qm;
	struct buf err = BUF_INIT;
	const char *given;
	size_t n;

	fixture_add(&f, "settled", "From: arved@firma.test\n\nbody\n", rcpts);
	message_init(&taken);
	is_int(queue_take(&f.q, f.id, 0, &qm, &taken, &err), ST_OK, "queue_take");
	given = qm.rcpts.v[0];
	queue_settled(&qm, "a@example.test");
	queue_settled(&qm, "c@example.test");
	is_int(qm.rcpts.n, 1, "one recipient left");
	is_str(qm.rcpts.n ? qm.rcpts.v[0] : NULL, "b@example.test", "the one not settled");
	is_str(given, "a@example.test", "a settled address stays readable where it was pointed to");
	is_int(queue_defer(&f.q, &qm, "452 too many", 0, &err), ST_OK, "queue_defer");
	queue_entry_free(&qm);
	is_int(queue_list(&f.q, &v, &n, &err), ST_OK, "queue_list");
	is_int(n == 1 ? v[0].rcpts.n : 0, 1, "mailq shows the one left");
	queue_list_free(v, n);
	message_free(&taken);
	message_init(&taken);
	is_int(queue_take(&f.q, f.id, 0, &qm, &taken, &err), ST_OK, "taken again");
	is_int(qm.rcpts.n, 1, "the next attempt has only the one left");
	is_str(qm.rcpts.n ? qm.rcpts.v[0] : NULL, "b@example.test", "b");
	is_int(qm.done.n, 2, "the settled two are remembered");
	is_int(queue_done(&f.q, &qm, &err), ST_OK, "queue_done");
	queue_entry_free(&qm);
	message_free(&taken);
	fixture_free(&f);
	buf_free(&err);
}

/* ID.env that cannot be unlinked (here a directory in its place; root
 * can unlink a file in any directory it may not write): queue_done says
 * so, naming the file, and leaves the message whole. */
static void
test_done_cannot_remove(void)
{
	static const char *const rcpts[] = { "klient@example.test", NULL };
	struct fixture f;
	struct message taken;
	struct queue_entry qm;
	struct buf err = BUF_INIT, env = BUF_INIT, aside = BUF_INIT,
	    body = BUF_INIT, inner = BUF_INIT;
	struct stat sb;
	FILE *fp;

	fixture_add(&f, "q-stuck", "From: arved@firma.test\n\nline\n", rcpts);
	message_init(&taken);
	is_int(queue_take(&f.q, f.id, 0, &qm, &taken, &err), ST_OK, "queue_take");
	buf_printf(&env, "%s/%s.env", f.dir.data, f.id);
	buf_printf(&aside, "%s/aside.env", work);
	buf_printf(&body, "%s/%s.body", f.dir.data, f.id);
	buf_printf(&inner, "%s/x", env.data);
	ok(rename(env.data, aside.data) == 0 && mkdir(env.data, 0700) == 0 &&
	    (fp = fopen(inner.data, "w")) != NULL && fclose(fp) == 0,
	    "a directory stands in for ID.env");
	is_int(queue_done(&f.q, &qm, &err), ST_IOERR, "queue_done fails");
	ok(strstr(buf_str(&err), env.data) != NULL, "naming ID.env");
	ok(strstr(buf_str(&err), "send it again") != NULL, "saying it would go again");
	ok(stat(body.data, &sb) == 0, "the body is kept");
	queue_entry_free(&qm);
	message_free(&taken);
	fixture_free(&f);
	buf_free(&err);
	buf_free(&env);
	buf_free(&aside);
	buf_free(&body);
	buf_free(&inner);
}

/* Writes dir/name, its time age seconds ago; the path (freed by the caller). */
static char *
plant(const char *dir, const char *name, time_t age)
{
	struct buf p = BUF_INIT;
	struct utimbuf t;
	FILE *f;

	buf_printf(&p, "%s/%s", dir, name);
	f = fopen(p.data, "w");
	if (f) {
		fputs("debris\n", f);
		fclose(f);
	}
	t.actime = t.modtime = time(NULL) - age;
	utime(p.data, &t);
	return buf_take(&p);
}

static int
exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static void
test_sweep_removes_stale_debris_only(void)
{
	static const char *const rcpts[] = { "klient@example.test", NULL };
	const time_t old = QUEUE_STALE_AGE + 60;
	struct fixture f;
	struct queue_entry *v;
	struct buf err = BUF_INIT, name = BUF_INIT;
	size_t n;
	char *env_new, *fresh, *locked, *body, *state, *failed_body, *live_body;
	int fd;

	fixture_add(&f, "debris", "From: arved@firma.test\n\nline\n", rcpts);
	env_new = plant(f.q.tmp, "0123456789.env.new", old);
	fresh = plant(f.q.tmp, "ABCDEF0123.env.new", 0);
	locked = plant(f.q.tmp, "ABCDEF0124.state.new", old);
	body = plant(f.q.dir, "00000000AA.body", old);
	state = plant(f.q.dir, "00000000AA.state", old);
	failed_body = plant(f.q.failed, "00000000BB.body", old);
	buf_printf(&name, "%s.body", f.id);
	live_body = plant(f.q.dir, name.data, old);	/* the message's own */
	fd = open(locked, O_RDONLY);
	ok(fd >= 0 && flock(fd, LOCK_EX) == 0, "a writer holds a lock on one");
	is_int(queue_list(&f.q, &v, &n, &err), ST_OK, "queue_list with debris");
	is_int(n, 1, "debris is no message: mailq counts one");
	queue_list_free(v, n);

	queue_sweep(&f.q);
	ok(!exists(env_new), "an old tmp/ID.env.new goes");
	ok(exists(fresh), "a fresh one stays (its writer may be alive)");
	ok(exists(locked), "a locked one stays, however old");
	ok(!exists(body) && !exists(state), "an old body and state without ID.env go");
	ok(!exists(failed_body), "likewise in failed/");
	ok(exists(live_body), "a queued message's body stays, however old");
	close(fd);
	queue_sweep(&f.q);
	ok(!exists(locked), "the lock gone, the next sweep removes it");
	is_int(queue_list(&f.q, &v, &n, &err), ST_OK, "queue_list after the sweep");
	is_int(n, 1, "the message is still queued");
	queue_list_free(v, n);
	free(env_new);
	free(fresh);
	free(locked);
	free(body);
	free(state);
	free(failed_body);
	free(live_body);
	buf_free(&name);
	buf_free(&err);
	fixture_free(&f);
}

/* A queue_fail killed after moving ID.body to failed/: the sweep puts
 * it back, and the message can be taken again. */
static void
test_sweep_puts_a_half_failed_message_back(void)
{
	static const char *const rcpts[] = { "klient@example.test", NULL };
	struct fixture f;
	struct message taken;
	struct queue_entry qm;
	struct buf err = BUF_INIT, from = BUF_INIT, to = BUF_INIT;

	fixture_add(&f, "half", "From: arved@firma.test\n\nline\n", rcpts);
	buf_printf(&from, "%s/%s.body", f.q.dir, f.id);
	buf_printf(&to, "%s/%s.body", f.q.failed, f.id);
	ok(rename(from.data, to.data) == 0, "the body moved, ID.env not");
	message_init(&taken);
	is_int(queue_take(&f.q, f.id, 0, &qm, &taken, &err), ST_IOERR,
	    "without the sweep it cannot be taken");
	message_free(&taken);
	buf_reset(&err);
	queue_sweep(&f.q);
	ok(exists(from.data) && !exists(to.data), "the body is back");
	message_init(&taken);
	is_int(queue_take(&f.q, f.id, 0, &qm, &taken, &err), ST_OK, "taken whole");
	is_int((long)taken.body_size, (long)f.m.body_size, "with its body");
	queue_entry_free(&qm);
	message_free(&taken);
	buf_free(&err);
	buf_free(&from);
	buf_free(&to);
	fixture_free(&f);
}

int
main(void)
{
	if (mkdtemp(work) == NULL)
		return 1;
	test_env_round_trip();
	test_queue_find();
	test_add_list_take_done();
	test_settled_recipients_stay_settled();
	test_done_cannot_remove();
	test_sweep_removes_stale_debris_only();
	test_sweep_puts_a_half_failed_message_back();
	return done_testing();
}
