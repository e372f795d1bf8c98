/*
 * transport - deliver one message now; see transport.h.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "net.h"
#include "smtp.h"
#include "transport.h"
#include "util.h"

static double
seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
transport_log_id(const struct message *m, char id[11])
{
	long i = message_find(m, "Message-ID", 0);
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	if (i >= 0) {
		char *v = message_value(m, (size_t)i);

		for (const unsigned char *p = (const unsigned char *)v; *p; p++)
			h = (h ^ *p) * 1099511628211ULL;
		free(v);
	} else {
		random_bytes(&h, sizeof h);
	}
	snprintf(id, 11, "%010llX", (unsigned long long)(h & 0xFFFFFFFFFFULL));
}

void
transport_log_outcome(const char *id, const struct account *a, const char *relay,
    const char *tls, const char **to, size_t nto, off_t size,
    const char *status, const char *why, double delay)
{
	struct buf rcpts = BUF_INIT, reason = BUF_INIT;

	for (size_t i = 0; i < nto; i++)
		buf_printf(&rcpts, "%s<%s>", i ? "," : "", to[i]);
	/* A reason on one line: the server's reply is ours to shorten. */
	for (const char *p = why; *p && reason.len < 400; p++)
		buf_addc(&reason, *p == '\n' || *p == '\r' ? ' ' : *p);
	log_msg(!strcmp(status, "sent") ? LOG_INFO : LOG_WARNING,
	    "%s: from=<%s> to=%s size=%lld relay=%s tls=%s status=%s (%s) delay=%.2fs",
	    id, a->address, buf_str(&rcpts), (long long)size, relay, tls,
	    status, buf_str(&reason), delay);
	buf_free(&rcpts);
	buf_free(&reason);
}

static FILE *
open_trace(const struct options *o, struct buf *err)
{
	FILE *f;

	if (o->transcript == NULL)
		return o->verbose ? stderr : NULL;
	f = fopen(o->transcript, "ae");
	if (f == NULL)
		buf_printf(err, "cannot open the transcript file %s (-X): %s",
		    o->transcript, strerror(errno));
	return f;
}

enum status
transport_deliver(const struct config *c, const struct options *o,
    struct plan *p, const struct message *m, struct buf *err)
{
	struct smtp s;
	struct smtp_result r;
	struct smtp_envelope e;
	struct buf relay = BUF_INIT;
	const char *tls;
	const char **to = xcalloc(p->rcpts.n + 1, sizeof *to);
	size_t nto = 0;
	double start = seconds_now();
	char id[11];
	FILE *trace;
	enum status st;

	transport_log_id(m, id);
	trace = open_trace(o, err);
	if (o->transcript && trace == NULL) {
		free(to);
		return ST_CANTCREAT;
	}
	memset(&e, 0, sizeof e);
	e.from = p->account->address;
	e.rcpts = &p->rcpts;
	e.smtputf8 = p->needs_smtputf8;
	e.body_type = o->body_type;
	e.dsn_notify = o->dsn_notify;
	e.dsn_ret = o->dsn_ret;
	e.dsn_envid = o->dsn_envid;
	memset(&r, 0, sizeof r);

	st = smtp_open(&s, p->account, c->helo, trace, err);
	if (st == ST_OK)
		st = smtp_auth(&s, err);
	if (st == ST_OK)
		st = smtp_send(&s, &e, m, &r, err);
	net_describe(&s.conn, &relay);
	tls = smtp_tls_version(&s);	/* a static string */
	smtp_close(&s);

	if (st == ST_OK) {
		for (size_t i = 0; i < r.n; i++)
			if (r.rcpts[i].accepted)
				to[nto++] = r.rcpts[i].addr;
		transport_log_outcome(id, p->account, relay.data, tls, to, nto, r.size, "sent",
		    buf_str(&r.reply), seconds_now() - start);
		for (size_t i = 0; i < r.n; i++) {
			if (r.rcpts[i].accepted)
				continue;
			transport_log_outcome(id, p->account, relay.data, tls, &r.rcpts[i].addr, 1,
			    r.size, "failed", r.rcpts[i].reply,
			    seconds_now() - start);
			buf_printf(err, "%s%s was refused by the server (%s)",
			    err->len ? "; " : "not delivered to some recipients: ",
			    r.rcpts[i].addr, r.rcpts[i].reply);
		}
	} else {
		for (size_t i = 0; i < p->rcpts.n; i++)
			to[nto++] = p->rcpts.v[i];
		transport_log_outcome(id, p->account, relay.data, tls, to, nto, r.size,
		    status_is_temporary(st) ? "deferred" : "failed",
		    buf_str(err), seconds_now() - start);
	}
	smtp_result_free(&r);
	buf_free(&relay);
	free(to);
	if (trace && trace != stderr)
		fclose(trace);
	return st;
}
