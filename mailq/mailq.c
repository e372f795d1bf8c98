/* SPDX-License-Identifier: MIT */
/*
 * mailq - the queue listing; see mailq.h.
 *
 * The table has Postfix's columns, so that people and scripts used to
 * `mailq` read it as they always did: ID (with "!" for a failed message),
 * size, arrival time, the sender, then the reason of the last failure in
 * parentheses and the recipients, indented under the sender.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mailq.h"

static void
json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void
print_json(const struct queue_entry *m, FILE *out)
{
	fputs("{\"queue_id\": ", out);
	json_string(out, m->id);
	fprintf(out, ", \"queue_name\": \"%s\", \"arrival_time\": %lld, "
	    "\"message_size\": %lld, \"sender\": ",
	    m->in_failed ? "failed" : "deferred", (long long)m->arrival,
	    (long long)m->size);
	json_string(out, m->account);
	fprintf(out, ", \"attempts\": %u, \"next_try\": %lld, \"reason\": ",
	    m->attempts, (long long)m->next_try);
	if (m->reason)
		json_string(out, m->reason);
	else
		fputs("null", out);
	fputs(", \"recipients\": [", out);
	for (size_t i = 0; i < m->rcpts.n; i++) {
		fputs(i ? ", {\"address\": " : "{\"address\": ", out);
		json_string(out, m->rcpts.v[i]);
		fputc('}', out);
	}
	fputs("]}\n", out);
}

static void
print_row(const struct queue_entry *m, FILE *out)
{
	char when[32];
	struct tm tm;

	localtime_r(&m->arrival, &tm);
	strftime(when, sizeof when, "%a %b %e %H:%M:%S", &tm);
	fprintf(out, "%-10s%c%9lld %-20s %s\n", m->id, m->in_failed ? '!' : ' ',
	    (long long)m->size, when, m->account);
	if (m->reason)
		fprintf(out, "%41s(%s)\n", "", m->reason);
	for (size_t i = 0; i < m->rcpts.n; i++)
		fprintf(out, "%41s%s\n", "", m->rcpts.v[i]);
	fputc('\n', out);
}

enum status
mailq_print(struct queue *q, int json, FILE *out, size_t *waiting,
    struct buf *err)
{
	struct queue_entry *v;
	size_t n;
	long long total = 0;
	enum status st = queue_list(q, &v, &n, err);

	*waiting = 0;
	if (st != ST_OK)
		return st;
	if (n == 0 && !json)
		fputs("Mail queue is empty\n", out);
	else if (!json)
		fputs("-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n", out);
	for (size_t i = 0; i < n; i++) {
		total += v[i].size;
		*waiting += !v[i].in_failed;
		if (json)
			print_json(&v[i], out);
		else
			print_row(&v[i], out);
	}
	if (n && !json)
		fprintf(out, "-- %lld Kbytes in %zu Request%s.\n", (total + 1023) / 1024,
		    n, n == 1 ? "" : "s");
	queue_list_free(v, n);
	return ferror(out) ? ST_IOERR : ST_OK;
}
