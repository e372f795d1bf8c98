/* SPDX-License-Identifier: MIT */
/*
 * smtp_mail - the mail transactions of a submission session; see smtp.h.
 *
 * The envelope goes out in flights: MAIL and at most RCPT_FLIGHT RCPTs in
 * one write, then their replies are read before more is written, so that
 * neither side can block on a full socket buffer however many recipients
 * there are (msmtp caps at 100 too). The flight that holds a
 * transaction's last RCPT also carries DATA or, when the server offers
 * CHUNKING (RFC 3030), "BDAT n LAST" with the whole message: a message
 * to a few recipients then costs one round trip.
 *
 * A transaction takes the recipients still waiting, at most the account's
 * max_rcpt, or as many as the server accepted before it said 452 / x.5.3
 * (too many recipients) in this session. Recipients answered so wait for
 * the next transaction in the same session (RFC 5321 §4.5.3.1.10); a
 * transaction in which the server accepts none ends the attempt. A
 * recipient counts as given the message only after the reply to the end
 * of its transaction's data, and is in no later transaction: each gets
 * the message once.
 *
 * The body is streamed from its spool in CHUNK writes: after DATA
 * dot-stuffed and ended by a dot; after BDAT, which counts octets, as it
 * is, with neither.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "i18n.h"
#include "smtp.h"
#include "smtp_io.h"

/* Body writes: large, so that TLS records are full (16 KiB) and few. */
#define CHUNK (64 * 1024)
/* RCPTs written before their replies are read. */
#define RCPT_FLIGHT 100

/* Where a recipient stands during one smtp_send. */
enum fate {
	WAITING,	/* for a transaction (again, after "too many") */
	TAKEN,		/* accepted in the transaction under way */
	GIVEN,		/* the message was delivered to it */
	REFUSED,	/* refused for good (5xx) */
	LEFT		/* not now (4xx, or the attempt ended) */
};

/* One mail transaction. */
struct txn {
	size_t *idx;		/* its recipients, indexes into the envelope */
	size_t n;
	size_t written;		/* RCPTs written */
	size_t answered;	/* RCPT replies read */
	size_t taken;		/* RCPTs accepted */
	int too_many;		/* the server said 452 / x.5.3 */
	int data_sent;		/* DATA, or BDAT with the message, went out */
	int bdat;		/* the message goes as one BDAT LAST chunk */
	off_t octets;		/* of the message as BDAT sends it */
};

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

/* Octets of the message as it goes out, without dot-stuffing: what
 * message_size counts and, when the body does not end with one, the
 * last CRLF that is added. */
static off_t
message_octets(const struct message *m)
{
	char last = '\n';

	if (m->body_fd >= 0 && m->body_size > 0 &&
	    pread(m->body_fd, &last, 1, m->body_size - 1) != 1)
		last = '\n';	/* a short body is caught when sent */
	return message_size(m) + (last == '\n' ? 0 : 2);
}

/* Appends p to out, doubling a '.' that starts a line when stuffed. */
static void
add_text(struct buf *out, const char *p, size_t n, int stuffed, int *bol)
{
	if (!stuffed) {
		buf_add(out, p, n);
		if (n)
			*bol = p[n - 1] == '\n';
		return;
	}
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

/* The message on its way out, written in large blocks. */
struct data_out {
	struct smtp *s;
	struct buf out;
	int stuffed;		/* dot-stuffing (DATA), or none (BDAT) */
	int bol;		/* at the beginning of a line */
	off_t size;		/* octets of the message */
	struct buf *err;
	enum status st;
};

static int
out_block(void *arg, const char *p, size_t n)
{
	struct data_out *d = arg;
	size_t before = d->out.len;

	add_text(&d->out, p, n, d->stuffed, &d->bol);
	d->size += (off_t)(d->out.len - before);
	if (d->out.len >= CHUNK) {
		d->st = net_write(&d->s->conn, d->out.data, d->out.len, d->err);
		buf_reset(&d->out);
	}
	return d->st != ST_OK;
}

/*
 * Writes what is queued in s->out, then the message: header fields,
 * empty line, body, a last CRLF when missing and, when stuffed (DATA),
 * the final dot. *size gets the octets of the message itself.
 */
static enum status
write_message(struct smtp *s, const struct message *m, int stuffed,
    off_t *size, struct buf *err)
{
	struct data_out d = { s, BUF_INIT, stuffed, 1, 0, err, ST_OK };

	buf_add(&d.out, s->out.data ? s->out.data : "", s->out.len);
	buf_reset(&s->out);
	for (size_t i = 0; i < m->nhdrs && d.st == ST_OK; i++) {
		out_block(&d, m->hdrs[i].field, strlen(m->hdrs[i].field));
		out_block(&d, "\r\n", 2);
	}
	if (d.st == ST_OK)
		out_block(&d, "\r\n", 2);
	if (d.st == ST_OK && message_body_blocks(m, out_block, &d) < 0) {
		buf_printf(err, _("cannot read the spooled message back: %s"),
		    errno ? strerror(errno) : _("it is shorter than it was"));
		d.st = ST_IOERR;
	}
	*size = d.size;
	if (d.st != ST_OK) {
		buf_free(&d.out);
		s->open = 0;	/* the data cannot be ended cleanly any more */
		return d.st;
	}
	if (!d.bol) {
		buf_adds(&d.out, "\r\n");
		*size += 2;
	}
	if (s->trace)
		fprintf(s->trace, ">>> (%lld octets of message)\n%s",
		    (long long)*size, stuffed ? ">>> .\n" : "");
	if (stuffed)
		buf_adds(&d.out, ".\r\n");
	buf_add(&s->out, d.out.data ? d.out.data : "", d.out.len);
	buf_free(&d.out);
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

/* The reply says there are too many recipients (RFC 5321 §4.5.3.1.10:
 * 452, or 552 from older servers, with x.5.3). */
static int
too_many(const struct smtp_reply *r)
{
	return r->code == 452 || (r->code / 100 >= 4 && r->enh[0] &&
	    strcmp(r->enh + 1, ".5.3") == 0);
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

/* Records the server's reply for recipient i. */
static void
note_reply(struct smtp *s, struct smtp_result *r, size_t i)
{
	struct buf d = BUF_INIT;

	smtp_reply_describe(&s->reply, &d);
	free(r->rcpts[i].reply);
	r->rcpts[i].reply = buf_take(&d);
}

/* Reads the reply to the next RCPT of t and settles that recipient. */
static enum status
rcpt_reply(struct smtp *s, struct txn *t, enum fate *fate,
    struct smtp_result *r, struct buf *err)
{
	size_t i = t->idx[t->answered++];
	enum status st;

	if ((st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	if (s->reply.code / 100 == 2) {
		fate[i] = TAKEN;
		t->taken++;
		return ST_OK;
	}
	note_reply(s, r, i);
	if (too_many(&s->reply))
		t->too_many = 1;	/* WAITING: the next transaction */
	else if (s->reply.code >= 500) {
		fate[i] = REFUSED;
		r->rcpts[i].refused = 1;
		r->refused++;
	} else
		fate[i] = LEFT;
	return ST_OK;
}

/* Writes what is queued with the data command after it: DATA, or BDAT
 * and the message itself. */
static enum status
data_command(struct smtp *s, const struct message *m, struct txn *t,
    struct smtp_result *r, struct buf *err)
{
	t->data_sent = 1;
	if (!t->bdat) {
		smtp_put(s, "DATA");
		return smtp_flush(s, err);
	}
	smtp_put(s, "BDAT %lld LAST", (long long)t->octets);
	return write_message(s, m, 0, &r->size, err);
}

/*
 * Queues and writes the next flight: MAIL (behind a pending RSET) when
 * none went yet, at most RCPT_FLIGHT RCPTs (one without PIPELINING), and
 * with the transaction's last RCPT its data command.
 */
static enum status
write_flight(struct smtp *s, const struct smtp_envelope *e,
    const struct message *m, struct txn *t, struct smtp_result *r,
    int first, struct buf *err)
{
	int pipe = s->caps.pipelining;
	size_t end = t->written + (pipe ? RCPT_FLIGHT : 1);

	if (first) {
		if (s->rset_pending)
			smtp_put(s, "RSET");
		mail_command(s, e, m, t->octets);
		if (!pipe)
			return smtp_flush(s, err);
	}
	for (; t->written < end && t->written < t->n; t->written++)
		rcpt_command(s, e, t->idx[t->written]);
	if (pipe && t->written == t->n)
		return data_command(s, m, t, r, err);
	return smtp_flush(s, err);
}

/*
 * The envelope of t: flights of RCPTs until all are written or the server
 * says too many. Returns ST_OK with the recipients' fates set, or the
 * refusal of the sender, or the failure that ended the session.
 */
static enum status
envelope(struct smtp *s, const struct smtp_envelope *e,
    const struct message *m, struct txn *t, enum fate *fate,
    struct smtp_result *r, struct buf *err)
{
	int pipe = s->caps.pipelining, rset = s->rset_pending;
	enum status st, verdict = ST_OK;

	if ((st = write_flight(s, e, m, t, r, 1, err)) != ST_OK)
		return st;
	if (rset && (st = read_pending_rset(s, err)) != ST_OK)
		return st;
	if ((st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	if (s->reply.code / 100 != 2) {
		struct buf what = BUF_INIT;

		buf_printf(&what, _("the sender MAIL FROM:<%s>"), e->from);
		verdict = smtp_refused(s, buf_str(&what), err);
		buf_free(&what);
		if (!pipe)
			return verdict;
	}
	for (;;) {
		if (!pipe && (st = write_flight(s, e, m, t, r, 0, err)) != ST_OK)
			return st;
		while (t->answered < t->written) {
			if (verdict == ST_OK)
				st = rcpt_reply(s, t, fate, r, err);
			else {	/* a refused MAIL: the RCPTs fail with it */
				st = smtp_read_reply(s, err);
				t->answered++;
			}
			if (st != ST_OK)
				return st;
		}
		if (verdict != ST_OK || t->too_many || t->written == t->n)
			break;
		if (pipe && (st = write_flight(s, e, m, t, r, 0, err)) != ST_OK)
			return st;
	}
	return verdict;
}

/*
 * The data phase of t: DATA (unless it rode with the last flight) and the
 * dot-stuffed message, or the reply to the BDAT chunk already sent. ST_OK
 * when the server took the message for the recipients it accepted.
 */
static enum status
data_phase(struct smtp *s, const struct message *m, struct txn *t,
    enum status verdict, struct smtp_result *r, struct buf *err)
{
	enum status st;

	if (!t->data_sent) {
		if (verdict != ST_OK || t->taken == 0)
			return verdict;
		if ((st = data_command(s, m, t, r, err)) != ST_OK)
			return st;
	}
	if ((st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	if (t->bdat || s->reply.code != 354) {
		if (verdict != ST_OK || t->taken == 0)
			return verdict;
		buf_reset(&r->reply);
		smtp_reply_describe(&s->reply, &r->reply);
		if (s->reply.code / 100 == 2)
			return ST_OK;
		return smtp_refused(s, t->bdat ? _("the message") : "DATA", err);
	}
	if (verdict != ST_OK || t->taken == 0) {
		/* The server wants data it will not deliver: send none. */
		smtp_put(s, ".");
		if ((st = smtp_flush(s, err)) != ST_OK ||
		    (st = smtp_read_reply(s, err)) != ST_OK)
			return st;
		return verdict;
	}
	if ((st = write_message(s, m, 1, &r->size, err)) != ST_OK ||
	    (st = smtp_read_reply(s, err)) != ST_OK)
		return st;
	buf_reset(&r->reply);
	smtp_reply_describe(&s->reply, &r->reply);
	if (s->reply.code / 100 == 2)
		return ST_OK;
	return smtp_refused(s, _("the message"), err);
}

/* Picks the waiting recipients of the next transaction, at most max
 * (0: all). Returns how many. */
static size_t
pick(struct txn *t, const enum fate *fate, size_t n, size_t max)
{
	t->n = 0;
	for (size_t i = 0; i < n && (max == 0 || t->n < max); i++)
		if (fate[i] == WAITING)
			t->idx[t->n++] = i;
	t->written = t->answered = t->taken = 0;
	t->too_many = t->data_sent = 0;
	return t->n;
}

/* One transaction; settles its recipients. */
static enum status
transaction(struct smtp *s, const struct smtp_envelope *e,
    const struct message *m, struct txn *t, enum fate *fate,
    struct smtp_result *r, struct buf *err)
{
	enum status st = envelope(s, e, m, t, fate, r, err);

	if (s->open)
		st = data_phase(s, m, t, st, r, err);
	r->transactions++;
	for (size_t k = 0; k < t->n; k++) {
		size_t i = t->idx[k];

		if (fate[i] != TAKEN)
			continue;
		fate[i] = st == ST_OK ? GIVEN : WAITING;
		r->rcpts[i].accepted = st == ST_OK;
	}
	/* The server's limit, learned for the rest of the session. */
	if (st == ST_OK && t->too_many &&
	    (s->rcpt_limit == 0 || t->taken < s->rcpt_limit))
		s->rcpt_limit = t->taken;
	return st;
}

/* The outcome when nobody was given the message. */
static enum status
nobody(struct smtp *s, const struct smtp_result *r, struct buf *err)
{
	int temporary = 0;

	buf_printf(err, _("the server %s refused every recipient:"), net_name(&s->conn));
	for (size_t i = 0; i < r->n; i++) {
		buf_printf(err, "%s %s (%s)", i ? "," : "", r->rcpts[i].addr,
		    r->rcpts[i].reply ? r->rcpts[i].reply : "no reply");
		temporary |= !r->rcpts[i].refused;
	}
	return temporary ? ST_TEMP_SERVER : ST_NOUSER;
}

/* The outcome when some were given the message and others must wait. */
static enum status
some_wait(struct smtp *s, const struct smtp_result *r, struct buf *err)
{
	size_t k = 0;

	buf_printf(err, _("the server %s did not take the message for every recipient yet:"),
	    net_name(&s->conn));
	for (size_t i = 0; i < r->n; i++)
		if (!r->rcpts[i].accepted && !r->rcpts[i].refused)
			buf_printf(err, "%s %s (%s)", k++ ? "," : "",
			    r->rcpts[i].addr,
			    r->rcpts[i].reply ? r->rcpts[i].reply : "no reply");
	return ST_TEMP_SERVER;
}

enum status
smtp_send(struct smtp *s, const struct smtp_envelope *e,
    const struct message *m, struct smtp_result *r, struct buf *err)
{
	struct txn t;
	enum fate *fate;
	enum status st = ST_OK;
	size_t given = 0, left = 0;
	int ended = 1;		/* the last transaction reached its end */

	memset(r, 0, sizeof *r);
	buf_init(&r->reply);
	r->n = e->rcpts->n;
	r->rcpts = xcalloc(r->n ? r->n : 1, sizeof *r->rcpts);
	for (size_t i = 0; i < r->n; i++)
		r->rcpts[i].addr = e->rcpts->v[i];
	if (!s->open)
		return ST_TEMP_PROTOCOL;
	memset(&t, 0, sizeof t);
	t.octets = message_octets(m);
	t.bdat = s->caps.chunking;
	if ((st = precheck(s, e, t.octets, err)) != ST_OK)
		return st;
	fate = xcalloc(r->n ? r->n : 1, sizeof *fate);
	t.idx = xcalloc(r->n ? r->n : 1, sizeof *t.idx);
	for (;;) {
		size_t max = s->account ? s->account->max_rcpt : 0;

		if (s->rcpt_limit && (max == 0 || s->rcpt_limit < max))
			max = s->rcpt_limit;
		if (pick(&t, fate, r->n, max) == 0)
			break;
		st = transaction(s, e, m, &t, fate, r, err);
		ended = st == ST_OK && t.taken > 0;
		if (!ended || !s->open)
			break;
	}
	for (size_t i = 0; i < r->n; i++) {
		given += fate[i] == GIVEN;
		left += fate[i] == WAITING || fate[i] == LEFT;
	}
	free(fate);
	free(t.idx);
	if (st == ST_OK && left)
		st = given ? some_wait(s, r, err) : nobody(s, r, err);
	else if (st == ST_OK && given == 0)
		st = nobody(s, r, err);
	/* After a refusal, leave the session ready for the next
	 * transaction. */
	if ((st != ST_OK || !ended) && s->open) {
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

