/*
 * smtp_mail - one mail transaction of a submission session, cut as msmtp
 * cuts it: the envelope (RSET ahead, MAIL, RCPT, DATA and their replies),
 * then the data phase (the message, dot-stuffed and streamed from its
 * spool, and the end of data). See smtp.h.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "smtp.h"
#include "smtp_io.h"

/* Body writes: large, so that TLS records are full (16 KiB) and few. */
#define CHUNK (64 * 1024)

static int
headers_8bit(const struct message *m)
{
	for (size_t i = 0; i < m->nhdrs; i++)
		for (const unsigned char *p = (const unsigned char *)m->hdrs[i].field;
		    *p; p++)
			if (*p >= 0x80)
				return 1;
	return 0;
}

/* Appends p to out, doubling a '.' that starts a line. */
static void
stuff(struct buf *out, const char *p, size_t n, int *bol)
{
	while (n) {
		const char *lf = memchr(p, '\n', n);
		size_t take = lf ? (size_t)(lf - p) + 1 : n;

		if (*bol && *p == '.')
			buf_addc(out, '.');
		buf_add(out, p, take);
		*bol = lf != NULL;
		p += take;
		n -= take;
	}
}

/* The message on its way out: dot-stuffed, written in large blocks. */
struct data_out {
	struct smtp *s;
	struct buf out;
	int bol;		/* at the beginning of a line */
	off_t *size;		/* octets written */
	struct buf *err;
	enum status st;
};

static int
stuff_block(void *arg, const char *p, size_t n)
{
	struct data_out *d = arg;

	stuff(&d->out, p, n, &d->bol);
	if (d->out.len >= CHUNK) {
		*d->size += (off_t)d->out.len;
		d->st = net_write(&d->s->conn, d->out.data, d->out.len, d->err);
		buf_reset(&d->out);
	}
	return d->st != ST_OK;
}

/* Streams m after 354: header fields, empty line, body, final dot. */
static enum status
send_message(struct smtp *s, const struct message *m, off_t *size,
    struct buf *err)
{
	struct data_out d = { s, BUF_INIT, 1, size, err, ST_OK };
	struct buf out;
	int bol;
	enum status st;

	*size = 0;
	for (size_t i = 0; i < m->nhdrs; i++) {
		stuff(&d.out, m->hdrs[i].field, strlen(m->hdrs[i].field), &d.bol);
		stuff(&d.out, "\r\n", 2, &d.bol);
	}
	stuff(&d.out, "\r\n", 2, &d.bol);
	if (message_body_blocks(m, stuff_block, &d) < 0) {
		buf_printf(err, _("cannot read the spooled message back: %s"),
		    errno ? strerror(errno) : _("it is shorter than it was"));
		d.st = ST_IOERR;
	}
	out = d.out;
	bol = d.bol;
	st = d.st;
	if (st != ST_OK) {
		buf_free(&out);
		s->open = 0;	/* DATA cannot be ended cleanly any more */
		return st;
	}
	if (!bol)
		buf_adds(&out, "\r\n");
	*size += (off_t)out.len;
	if (s->trace)
		fprintf(s->trace, ">>> (%lld octets of message)\n>>> .\n",
		    (long long)*size);
	buf_adds(&out, ".\r\n");
	buf_add(&s->out, out.data, out.len);
	buf_free(&out);
	return smtp_flush(s, err);
}

static void
mail_command(struct smtp *s, const struct smtp_envelope *e,
    const struct message *m, off_t size)
{
	struct buf params = BUF_INIT;
	int eight = m->body_8bit || headers_8bit(m) ||
	    (e->body_type && strcasecmp(e->body_type, "8BITMIME") == 0);

	if (s->caps.has_size)
		buf_printf(&params, " SIZE=%lld", (long long)size);
	if (s->caps.eightbitmime)
		buf_adds(&params, eight ? " BODY=8BITMIME" :
		    e->body_type ? " BODY=7BIT" : "");
	if (e->smtputf8)
		buf_adds(&params, " SMTPUTF8");
	if (s->caps.dsn && e->dsn_ret)
		buf_printf(&params, " RET=%s",
		    strcasecmp(e->dsn_ret, "full") == 0 ? "FULL" : "HDRS");
	if (s->caps.dsn && e->dsn_envid)
		buf_printf(&params, " ENVID=%s", e->dsn_envid);
	smtp_put(s, "MAIL FROM:<%s>%s", e->from, buf_str(&params));
	buf_free(&params);
}

static void
rcpt_command(struct smtp *s, const struct smtp_envelope *e, size_t i)
{
	struct buf notify = BUF_INIT;

	if (s->caps.dsn && e->dsn_notify) {
		buf_adds(&notify, " NOTIFY=");
		for (const char *p = e->dsn_notify; *p; p++)
			buf_addc(&notify, (char)toupper((unsigned char)*p));
	}
	smtp_put(s, "RCPT TO:<%s>%s", e->rcpts->v[i], buf_str(&notify));
	buf_free(&notify);
}

/* Refuses before MAIL what the server said it cannot take. */
static enum status
precheck(struct smtp *s, const struct smtp_envelope *e, off_t size,
    struct buf *err)
{
	if (s->caps.size && (unsigned long long)size > s->caps.size) {
		buf_printf(err, _("the message is %lld octets, but the server %s accepts at most %llu; nothing was sent. Send the attachment another way (a link, or split it)"),
		    (long long)size, net_name(&s->conn), s->caps.size);
		return ST_UNAVAILABLE;
	}
	if (e->smtputf8 && !s->caps.smtputf8) {
		buf_printf(err, _("an address of this message is not plain ASCII and needs SMTPUTF8, which the server %s does not offer; nothing was sent"),
		    net_name(&s->conn));
		return ST_UNAVAILABLE;
	}
	return ST_OK;
}

/* The outcome when every recipient was refused. */
static enum status
all_refused(struct smtp *s, const struct smtp_result *r, struct buf *err)
{
	int permanent = 0;

	buf_printf(err, _("the server %s refused every recipient:"), net_name(&s->conn));
	for (size_t i = 0; i < r->n; i++) {
		buf_printf(err, "%s %s (%s)", i ? "," : "", r->rcpts[i].addr,
		    r->rcpts[i].reply ? r->rcpts[i].reply : "no reply");
		if (r->rcpts[i].reply && r->rcpts[i].reply[0] == '5')
			permanent = 1;
	}
	return permanent ? ST_NOUSER : ST_TEMP_SERVER;
}

/*
 * Reads the reply to the RSET that rode ahead of this transaction's MAIL
 * (smtp_reset with PIPELINING).
 */
static enum status
read_pending_rset(struct smtp *s, struct buf *err)
{
	enum status st;

	s->rset_pending = 0;
	if ((st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	if (s->reply.code != 250) {
		/* Not this message's fault, and the rest of the pipeline is
		 * answered, unread: the session cannot go on, the message
		 * waits for the next one. */
		smtp_refused(s, "RSET", err);
		s->open = 0;
		return ST_TEMP_PROTOCOL;
	}
	return ST_OK;
}

/* Reads the reply to RCPT i into r (sending the RCPT first without
 * PIPELINING). */
static enum status
rcpt_reply(struct smtp *s, const struct smtp_envelope *e, size_t i,
    struct smtp_result *r, struct buf *err)
{
	enum status st;

	if (!s->caps.pipelining) {
		rcpt_command(s, e, i);
		if ((st = smtp_flush(s, err)) != ST_OK)
			return st;
	}
	if ((st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	if (s->reply.code / 100 == 2) {
		r->rcpts[i].accepted = 1;
	} else {
		struct buf d = BUF_INIT;

		smtp_reply_describe(&s->reply, &d);
		r->rcpts[i].reply = buf_take(&d);
		r->refused++;
	}
	return ST_OK;
}

/*
 * The envelope: MAIL, every RCPT and DATA with their replies, in one
 * write with PIPELINING (behind a pending RSET). Returns ST_OK when the
 * server waits for the message; else the refusal (of the sender, of
 * every recipient, of DATA) or the failure that ended the session.
 * *data_open tells whether the server answered DATA with 354 all the
 * same (possible with PIPELINING): then it waits for an end of data.
 */
static enum status
send_envelope(struct smtp *s, const struct smtp_envelope *e,
    const struct message *m, off_t size, struct smtp_result *r,
    int *data_open, struct buf *err)
{
	int pipe = s->caps.pipelining;
	enum status st, verdict = ST_OK;
	struct buf what = BUF_INIT;

	*data_open = 0;
	if (s->rset_pending)
		smtp_put(s, "RSET");
	mail_command(s, e, m, size);
	for (size_t i = 0; pipe && i < r->n; i++)
		rcpt_command(s, e, i);
	if (pipe)
		smtp_put(s, "DATA");
	if ((st = smtp_flush(s, err)) != ST_OK)
		return st;
	if (s->rset_pending && (st = read_pending_rset(s, err)) != ST_OK)
		return st;
	if ((st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	if (s->reply.code / 100 != 2) {
		buf_printf(&what, _("the sender MAIL FROM:<%s>"), e->from);
		verdict = smtp_refused(s, buf_str(&what), err);
		buf_free(&what);
	}
	for (size_t i = 0; i < r->n && (pipe || verdict == ST_OK); i++)
		if ((st = rcpt_reply(s, e, i, r, err)) != ST_OK)
			return st;
	if (verdict == ST_OK && r->refused == r->n)
		verdict = all_refused(s, r, err);
	if (!pipe && verdict != ST_OK)
		return verdict;
	if (!pipe) {
		smtp_put(s, "DATA");
		if ((st = smtp_flush(s, err)) != ST_OK)
			return st;
	}
	if ((st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	*data_open = s->reply.code == 354;
	if (!*data_open && verdict == ST_OK)
		verdict = smtp_refused(s, "DATA", err);
	return verdict;
}

/* The data phase: the message, its end, and the reply to it. */
static enum status
send_data(struct smtp *s, const struct message *m, struct smtp_result *r,
    struct buf *err)
{
	enum status st;

	if ((st = send_message(s, m, &r->size, err)) != ST_OK ||
	    (st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	smtp_reply_describe(&s->reply, &r->reply);
	if (s->reply.code / 100 == 2)
		return ST_OK;
	return smtp_refused(s, _("the message"), err);
}

/* Ends a data phase the server opened for a refused envelope: no data. */
static enum status
end_empty_data(struct smtp *s, enum status verdict, struct buf *err)
{
	enum status st;

	smtp_put(s, ".");
	if ((st = smtp_flush(s, err)) != ST_OK || (st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	return verdict;
}

enum status
smtp_send(struct smtp *s, const struct smtp_envelope *e,
    const struct message *m, struct smtp_result *r, struct buf *err)
{
	off_t size = message_size(m);
	int data_open;
	enum status st;

	memset(r, 0, sizeof *r);
	buf_init(&r->reply);
	r->n = e->rcpts->n;
	r->rcpts = xcalloc(r->n ? r->n : 1, sizeof *r->rcpts);
	for (size_t i = 0; i < r->n; i++)
		r->rcpts[i].addr = e->rcpts->v[i];
	if (!s->open)
		return ST_TEMP_PROTOCOL;
	if ((st = precheck(s, e, size, err)) != ST_OK)
		return st;
	st = send_envelope(s, e, m, size, r, &data_open, err);
	if (data_open)
		st = st == ST_OK ? send_data(s, m, r, err) :
		    end_empty_data(s, st, err);
	/* After a refusal, leave the session ready for the next
	 * transaction. */
	if (st != ST_OK && s->open) {
		struct buf ignore = BUF_INIT;

		smtp_reset(s, &ignore);
		buf_free(&ignore);
	}
	return st;
}

void
smtp_result_free(struct smtp_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->rcpts[i].reply);
	free(r->rcpts);
	buf_free(&r->reply);
	memset(r, 0, sizeof *r);
}

enum status
smtp_reset(struct smtp *s, struct buf *err)
{
	enum status st;

	if (!s->open)
		return ST_TEMP_PROTOCOL;
	if (s->caps.pipelining) {
		s->rset_pending = 1;
		return ST_OK;
	}
	smtp_put(s, "RSET");
	if ((st = smtp_flush(s, err)) != ST_OK || (st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	return s->reply.code == 250 ? ST_OK : smtp_refused(s, "RSET", err);
}

enum status
smtp_try_sender(struct smtp *s, const char *from, struct buf *err)
{
	struct buf what = BUF_INIT;
	enum status st, verdict = ST_OK;

	if (!s->open)
		return ST_TEMP_PROTOCOL;
	smtp_put(s, "MAIL FROM:<%s>", from);
	if (s->caps.pipelining)
		smtp_put(s, "RSET");
	if ((st = smtp_flush(s, err)) != ST_OK || (st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	if (s->reply.code / 100 != 2) {
		buf_printf(&what, "the sender MAIL FROM:<%s>", from);
		verdict = smtp_refused(s, buf_str(&what), err);
		buf_free(&what);
	}
	if (!s->caps.pipelining) {
		smtp_put(s, "RSET");
		if ((st = smtp_flush(s, err)) != ST_OK)
			return st;
	}
	if ((st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	return verdict;
}

