/* SPDX-License-Identifier: MIT */
/*
 * submit - the path of one message from a caller; see submit.h.
 *
 * The order is fixed: decide (plan), then queue durably, then deliver as
 * the mode says. A refusal happens before anything is queued or sent; a
 * message that was queued is never lost afterwards, whatever the
 * delivery does.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "account.h"
#include "i18n.h"
#include "log.h"
#include "queue.h"
#include "runq.h"
#include "secret_file.h"
#include "submit.h"
#include "util.h"

static void
print_envelope(const struct plan *p, FILE *out)
{
	fprintf(out, "account: %s\n", p->account->address);
	fprintf(out, "mail-from: %s\n", p->account->address);
	for (size_t i = 0; i < p->rcpts.n; i++)
		fprintf(out, "rcpt-to: %s\n", p->rcpts.v[i]);
}

static void
log_decisions(const struct plan *p, const char *id)
{
	if (p->asked_sender)
		log_msg(LOG_NOTICE, "%s: sender %s asked with -f was replaced by the account address %s",
		    id, p->asked_sender, p->account->address);
	if (p->replaced_from)
		log_msg(LOG_INFO, "%s: header sender %s shown as the account address %s",
		    id, p->replaced_from, p->account->address);
}

/*
 * Background delivery: a detached child delivers while the caller (a PHP
 * request) goes on. The child lets go of the caller's pipes so that
 * nobody waits for it.
 */
static void
deliver_in_background(const struct config *c, const struct runq_how *how,
    struct queue *q, const char *id)
{
	pid_t pid = fork();

	if (pid != 0) {
		if (pid < 0)
			log_msg(LOG_WARNING, "%s: cannot start a background delivery; the next queue run sends it", id);
		return;
	}
	detach_from_caller();
	{
		struct buf err = BUF_INIT;

		runq_deliver_one(c, how, q, id, RUNQ_BACKLOG, &err);
		buf_free(&err);
	}
	_exit(0);
}

/* Delivers the message just queued as r->queue_id, as mode says. */
static enum status
deliver(const struct config *c, const struct runq_how *how, struct queue *q,
    enum delivery_mode mode, struct submit_result *r, struct buf *err)
{
	struct buf w = BUF_INIT;
	enum status st = ST_OK;

	if (mode == DELIVERY_QUEUE) {
		r->queued_for_later = 1;
	} else if (mode == DELIVERY_BACKGROUND) {
		r->queued_for_later = 1;
		fflush(NULL);
		deliver_in_background(c, how, q, r->queue_id);
	} else {
		st = runq_deliver_one(c, how, q, r->queue_id, RUNQ_BACKLOG, err);
		if (status_is_temporary(st)) {
			buf_printf(&w, _("queued as %s, will retry (%s)"), r->queue_id,
			    buf_str(err));
			r->queued_for_later = 1;
			st = ST_OK;
		} else if (st != ST_OK) {
			buf_printf(&w, _("not sent: message %s is kept in the failed area (mailq lists it; once the cause is fixed, sendmail -qI %s sends it). The reason: %s"),
			    r->queue_id, r->queue_id, buf_str(err));
		}
		/* The reason stays English (it is also the log's and the
		 * queue's); what it means and what to do is said in the
		 * caller's language. */
		if (w.len) {
			buf_reset(err);
			buf_adds(err, buf_str(&w));
		}
	}
	buf_free(&w);
	return st;
}

enum status
submit_message(const struct config *c, const struct request *rq,
    const struct submit_how *how, struct queue *q, struct message *m,
    struct submit_result *r, struct buf *err)
{
	struct plan p;
	enum delivery_mode mode = how->delivery;
	const char *cred;
	enum status st;

	memset(r, 0, sizeof *r);
	/* A refusal (ST_NOPERM) was logged where it was decided. */
	st = account_plan(&p, c, rq, m, err);
	if (st == ST_OK)
		st = message_fit_lines(m, err);
	if (st == ST_OK && how->action == SUBMIT_DRY_RUN) {
		log_decisions(&p, "dry-run");
		print_envelope(&p, stdout);
		fputc('\n', stdout);
		st = message_write(m, stdout, err);
	} else if (st == ST_OK && how->action == SUBMIT_VERIFY) {
		print_envelope(&p, stdout);
	} else if (st == ST_OK) {
		st = queue_add(q, &p, m, r->queue_id, err);
		if (st == ST_OK && mode != DELIVERY_QUEUE &&
		    (cred = secret_file_account_elsewhere(p.account)) != NULL) {
			/* Trying would only defer it for minutes. */
			log_msg(LOG_NOTICE, "%s: left for the queue runner: the password of %s is the systemd credential \"%s\", which only the queue runner's service has",
			    r->queue_id, p.account->address, cred);
			mode = DELIVERY_QUEUE;
		}
		if (st == ST_OK) {
			log_decisions(&p, r->queue_id);
			log_msg(LOG_INFO, "%s: queued from=<%s> nrcpt=%zu size=%lld (%s delivery)",
			    r->queue_id, p.account->address, p.rcpts.n,
			    (long long)m->body_size,
			    mode == DELIVERY_QUEUE ? "queue" :
			    mode == DELIVERY_BACKGROUND ? "background" : "interactive");
			/* The queued copy is what gets delivered. */
			message_free(m);
			st = deliver(c, &how->run, q, mode, r, err);
		}
	}
	plan_free(&p);
	return st;
}
