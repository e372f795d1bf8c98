/* SPDX-License-Identifier: MIT */
/*
 * notice - failure notices; see notice.h.
 *
 * Written in English, like the log: a notice says what the log says, to
 * a person who may not read the log.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "account.h"
#include "log.h"
#include "notice.h"
#include "request.h"
#include "util.h"

/*
 * Queues a short notice to the account about message qm (what: the
 * body's first part; then the message's headers). Returns 0 with its ID
 * in id, or "" when none is made (qm is itself a notice); -1 when it
 * could not be queued.
 */
static int
queue_notice(const struct config *c, struct queue *q,
    const struct queue_entry *qm, const struct message *failed,
    const char *what, char id[QUEUE_ID_LEN + 1])
{
	struct buf text = BUF_INIT, err = BUF_INIT;
	struct request r;
	struct message m;
	struct plan p;
	long subj;
	char *subject;
	int queued = 0;
	FILE *in;

	id[0] = '\0';
	if (qm->notice)
		return 0;	/* never a notice about a notice */
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
	memset(&r, 0, sizeof r);
	r.notice = 1;	/* to the account alone: never its cc/bcc */
	strlist_add(&r.rcpts, qm->account);
	message_init(&m);
	in = fmemopen(text.data, text.len, "r");
	if (in && message_read(&m, in, 0, q->tmp, &err) == ST_OK &&
	    account_plan(&p, c, &r, &m, &err) == ST_OK) {
		if (queue_add(q, &p, &m, id, &err) == ST_OK) {
			log_msg(LOG_INFO, "%s: failure notice for %s queued to <%s>",
			    id, qm->id, qm->account);
			queued = 1;
		}
		plan_free(&p);
	}
	if (err.len)
		log_msg(LOG_ERR, "%s: cannot queue a failure notice: %s", qm->id,
		    buf_str(&err));
	if (in)
		fclose(in);
	message_free(&m);
	strlist_free(&r.rcpts);
	buf_free(&text);
	buf_free(&err);
	return queued ? 0 : -1;
}

int
notice_failed(const struct config *c, struct queue *q,
    const struct queue_entry *qm, const struct message *m,
    const char *reason, char id[QUEUE_ID_LEN + 1])
{
	struct buf what = BUF_INIT;
	int rc;

	buf_printf(&what, "saatja could not deliver message %s to:\n\n", qm->id);
	for (size_t i = 0; i < qm->rcpts.n; i++)
		buf_printf(&what, "    %s\n", qm->rcpts.v[i]);
	buf_printf(&what, "\nReason: %s\n\nThe message is kept in the failed area of the queue;"
	    " after fixing the cause, `sendmail -qI %s` sends it again.\n", reason, qm->id);
	rc = queue_notice(c, q, qm, m, buf_str(&what), id);
	buf_free(&what);
	return rc;
}

int
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
	rc = queue_notice(c, q, qm, m, buf_str(&what), id);
	buf_free(&what);
	return rc;
}

