/* SPDX-License-Identifier: MIT */
/*
 * queue_env - the text of ID.env and ID.state (the format is at the top
 * of queue.c); see queue_env.h.
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "queue_env.h"

void
queue_env_text(struct buf *b, const struct plan *p, const struct message *m)
{
	buf_printf(b, "saatja-queue: 1\naccount: %s\narrival: %lld\nsize: %lld\n",
	    p->account->address, (long long)time(NULL),
	    (long long)message_size(m));
	for (size_t i = 0; i < p->rcpts.n; i++)
		buf_printf(b, "rcpt: %s\n", p->rcpts.v[i]);
	if (p->body_type)
		buf_printf(b, "body-type: %s\n", p->body_type);
	if (p->dsn_notify)
		buf_printf(b, "dsn-notify: %s\n", p->dsn_notify);
	if (p->dsn_ret)
		buf_printf(b, "dsn-ret: %s\n", p->dsn_ret);
	if (p->dsn_envid)
		buf_printf(b, "dsn-envid: %s\n", p->dsn_envid);
	if (p->needs_smtputf8)
		buf_adds(b, "smtputf8: 1\n");
	if (m->body_8bit)
		buf_adds(b, "body-8bit: 1\n");
	if (p->notice)
		buf_adds(b, "notice: 1\n");
	buf_adds(b, "\n");
	for (size_t i = 0; i < m->nhdrs; i++) {
		buf_adds(b, m->hdrs[i].field);
		buf_adds(b, "\r\n");
	}
}

void
queue_state_text(struct buf *b, const struct queue_entry *qm)
{
	buf_printf(b, "attempts: %u\nnext: %lld\n", qm->attempts,
	    (long long)qm->next_try);
	if (qm->reason) {
		buf_adds(b, "reason: ");
		buf_add_line(b, qm->reason, strlen(qm->reason), 0);
		buf_addc(b, '\n');
	}
	for (size_t i = 0; i < qm->done.n; i++)
		buf_printf(b, "done: %s\n", qm->done.v[i]);
}

/* The kinds of value of the key lines of ID.env and ID.state. */
enum env_kind { ENV_STRING, ENV_TIME, ENV_SIZE, ENV_COUNT, ENV_FLAG, ENV_RCPT };

/* A key line and the field of struct queue_entry that it fills. */
static const struct env_key {
	const char *name;
	enum env_kind kind;
	size_t off;
} env_keys[] = {
	{ "account", ENV_STRING, offsetof(struct queue_entry, account) },
	{ "arrival", ENV_TIME, offsetof(struct queue_entry, arrival) },
	{ "size", ENV_SIZE, offsetof(struct queue_entry, size) },
	{ "rcpt", ENV_RCPT, offsetof(struct queue_entry, rcpts) },
	{ "body-type", ENV_STRING, offsetof(struct queue_entry, body_type) },
	{ "dsn-notify", ENV_STRING, offsetof(struct queue_entry, dsn_notify) },
	{ "dsn-ret", ENV_STRING, offsetof(struct queue_entry, dsn_ret) },
	{ "dsn-envid", ENV_STRING, offsetof(struct queue_entry, dsn_envid) },
	{ "smtputf8", ENV_FLAG, offsetof(struct queue_entry, smtputf8) },
	{ "notice", ENV_FLAG, offsetof(struct queue_entry, notice) },
	{ "body-8bit", ENV_FLAG, offsetof(struct queue_entry, body_8bit) },
	{ "attempts", ENV_COUNT, offsetof(struct queue_entry, attempts) },
	{ "next", ENV_TIME, offsetof(struct queue_entry, next_try) },
	{ "reason", ENV_STRING, offsetof(struct queue_entry, reason) },
	{ "done", ENV_RCPT, offsetof(struct queue_entry, done) },
};

/* Sets the field of qm that key names to v; an unknown key is skipped. */
static void
parse_env_line(struct queue_entry *qm, const char *key, const char *v)
{
	for (size_t i = 0; i < sizeof env_keys / sizeof env_keys[0]; i++) {
		const struct env_key *k = &env_keys[i];
		void *field = (char *)qm + k->off;

		if (strcmp(k->name, key) != 0)
			continue;
		switch (k->kind) {
		case ENV_STRING:
			free(*(char **)field);
			*(char **)field = xstrdup(v);
			break;
		case ENV_TIME:
			*(time_t *)field = (time_t)strtoll(v, NULL, 10);
			break;
		case ENV_SIZE:
			*(off_t *)field = (off_t)strtoll(v, NULL, 10);
			break;
		case ENV_COUNT:
			*(unsigned *)field = (unsigned)strtoul(v, NULL, 10);
			break;
		case ENV_FLAG:
			*(int *)field = 1;
			break;
		case ENV_RCPT:
			strlist_add(field, v);
			break;
		}
		return;
	}
}

int
queue_env_parse(FILE *f, struct queue_entry *qm)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, f)) > 0) {
		char *colon;

		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0)
			break;
		colon = strstr(line, ": ");
		if (colon == NULL)
			continue;
		*colon = '\0';
		parse_env_line(qm, line, colon + 2);
	}
	free(line);
	return qm->account ? 0 : -1;
}

void
queue_env_headers(FILE *f, struct message *m)
{
	struct buf field = BUF_INIT;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, f)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if ((line[0] == ' ' || line[0] == '\t') && field.len) {
			buf_adds(&field, "\r\n");
			buf_adds(&field, line);
			continue;
		}
		if (field.len)
			message_add_field(m, buf_str(&field));
		buf_reset(&field);
		buf_adds(&field, line);
	}
	if (field.len)
		message_add_field(m, buf_str(&field));
	free(line);
	buf_free(&field);
}
