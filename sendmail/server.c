/* SPDX-License-Identifier: MIT */
/*
 * server - sendmail -bs, an SMTP server on standard input and output; see
 * server.h.
 *
 * Input is read in blocks into one buffer, and replies are collected in
 * another that is written out only when the input buffer runs empty: a
 * pipelining client that sends MAIL, RCPT and DATA in one write gets its
 * replies in one write, in order, and a client that waits for each reply
 * gets it before saatja waits for more input. Lines may end in CRLF or a
 * bare LF. A command line longer than RFC 5321 allows is answered with
 * 500 and skipped up to its line end, so the session stays in step.
 *
 * The message after DATA is never held in memory: message_read() reads
 * it through a stdio stream (fopencookie) whose read function takes the
 * bytes straight from the input buffer, removes the dot-stuffing and
 * reports the end of file at the line holding only ".". Whatever
 * message_read() leaves unread is skipped up to that line before the
 * reply. When the input ends inside DATA (the caller died or gave up),
 * nothing is queued, nothing is sent, and the session ends with
 * ST_IOERR and no message on stderr: the failure is the caller's own.
 *
 * Reply texts built from reasons (a sender refusal, a queue error) are
 * made one line of printable ASCII, so no reason can break the protocol.
 */
#include "autoconf.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "address.h"
#include "i18n.h"
#include "log.h"
#include "message.h"
#include "queue.h"
#include "server.h"
#include "server_cmd.h"
#include "submit.h"
#include "util.h"

/* RFC 5321 4.5.3.1.4: 512 octets with the CRLF. */
#define COMMAND_MAX 510
#define RCPT_MAX 10000
/* Advertised in EHLO: saatja has no size limit of its own (the
 * provider's applies), but some clients read SIZE 0 as "nothing". */
#define SIZE_ADVERTISED 2147483647UL
#define REPLY_TEXT_MAX 400
#define IN_BLOCK (64 * 1024)

enum line_result { LINE_EOF, LINE_OK, LINE_TOO_LONG };

/* Where the DATA reader stands in the current line. */
enum data_state {
	DATA_LINE_START,
	DATA_DOT,		/* a "." began the line, held back */
	DATA_DOT_CR,		/* ".\r" began the line, held back */
	DATA_MID_LINE,
	DATA_END,		/* the line holding only "." was read */
	DATA_EOF,		/* the input ended first */
};

struct session {
	const struct config *c;
	const struct request *base;	/* the command line's -F, -B, -N, -R, -V */
	const struct submit_how *how;
	char *in;		/* IN_BLOCK bytes */
	size_t in_pos, in_len;
	int in_eof;
	struct buf out;		/* replies not yet written */
	int out_errno;		/* set when a write failed */
	int quit;
	enum data_state data;
	/* the transaction */
	int in_mail;
	char *sender;		/* MAIL FROM, NULL for <> */
	const char *body_type;	/* BODY=, or NULL */
	struct strlist rcpts;
	struct queue queue;	/* opened at the first DATA */
};

static void
flush_replies(struct session *s)
{
	struct sigaction ign, old;
	size_t done = 0;

	if (s->out_errno || s->out.len == 0) {
		buf_reset(&s->out);
		return;
	}
	/* A client that has gone away must end the session with a status,
	 * not kill the process; nothing is forked while this holds. */
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	while (done < s->out.len) {
		ssize_t n = write(STDOUT_FILENO, s->out.data + done,
		    s->out.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->out_errno = n < 0 ? errno : EIO;
			break;
		}
		done += (size_t)n;
	}
	sigaction(SIGPIPE, &old, NULL);
	buf_reset(&s->out);
}

/* Makes input available; replies wait only while input is at hand.
 * Returns 0 at the end of the input. */
static int
fill_input(struct session *s)
{
	ssize_t n;

	if (s->in_pos < s->in_len)
		return 1;
	if (s->in_eof)
		return 0;
	flush_replies(s);
	do
		n = read(STDIN_FILENO, s->in, IN_BLOCK);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		if (n < 0)
			log_msg(LOG_WARNING, "-bs: cannot read standard input: %s",
			    strerror(errno));
		s->in_eof = 1;
		return 0;
	}
	s->in_pos = 0;
	s->in_len = (size_t)n;
	return 1;
}

/*
 * Reads one command line into line, without its line end. An over-long
 * line is consumed to its end and reported, never split into commands.
 * A line cut off by the end of the input counts as no line.
 */
static enum line_result
read_line(struct session *s, struct buf *line)
{
	int too_long = 0;

	buf_reset(line);
	for (;;) {
		const char *p;
		const char *nl;
		size_t take;

		if (!fill_input(s))
			return LINE_EOF;
		p = s->in + s->in_pos;
		nl = memchr(p, '\n', s->in_len - s->in_pos);
		take = nl ? (size_t)(nl - p) + 1 : s->in_len - s->in_pos;
		if (!too_long && line->len + take > COMMAND_MAX + 2) {
			too_long = 1;
			buf_reset(line);
		}
		if (!too_long)
			buf_add(line, p, take);
		s->in_pos += take;
		if (nl)
			break;
	}
	if (too_long)
		return LINE_TOO_LONG;
	line->len--;		/* the LF */
	if (line->len && line->data[line->len - 1] == '\r')
		line->len--;
	line->data[line->len] = '\0';
	return line->len > COMMAND_MAX ? LINE_TOO_LONG : LINE_OK;
}

static void
reply(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
reply(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&s->out, fmt, ap);
	va_end(ap);
	buf_adds(&s->out, "\r\n");
}

/* "code text" with text made one line of printable ASCII. */
static void
reply_reason(struct session *s, const char *code, const char *text)
{
	buf_adds(&s->out, code);
	buf_addc(&s->out, ' ');
	buf_add_line(&s->out, text, strnlen(text, REPLY_TEXT_MAX), 1);
	if (*text == '\0')
		buf_adds(&s->out, "Error");
	buf_adds(&s->out, "\r\n");
}

static void
transaction_reset(struct session *s)
{
	free(s->sender);
	s->sender = NULL;
	s->body_type = NULL;
	s->in_mail = 0;
	strlist_free(&s->rcpts);
}

/*
 * The DATA stream's read function: the message bytes, unstuffed, up to
 * the line holding only "."; then end of file, for good.
 */
static ssize_t
data_read(void *cookie, char *dst, size_t size)
{
	struct session *s = cookie;
	size_t got = 0;

	while (got < size && s->data != DATA_END && s->data != DATA_EOF) {
		char ch;

		if (s->in_pos == s->in_len && (got > 0 || !fill_input(s))) {
			if (got == 0)
				s->data = DATA_EOF;
			break;
		}
		ch = s->in[s->in_pos];
		switch (s->data) {
		case DATA_LINE_START:
			s->in_pos++;
			if (ch == '.') {
				s->data = DATA_DOT;
				continue;
			}
			break;
		case DATA_DOT:
			s->in_pos++;
			if (ch == '\n') {
				s->data = DATA_END;
				continue;
			}
			if (ch == '\r') {
				s->data = DATA_DOT_CR;
				continue;
			}
			break;	/* ".x": the stuffed dot is dropped */
		case DATA_DOT_CR:
			if (ch == '\n') {
				s->in_pos++;
				s->data = DATA_END;
				continue;
			}
			ch = '\r';	/* ".\rx": pass the CR, then x */
			break;
		default:
			s->in_pos++;
			break;
		}
		dst[got++] = ch;
		s->data = ch == '\n' ? DATA_LINE_START : DATA_MID_LINE;
	}
	return (ssize_t)got;
}

/* Skips what is left of the message, up to its final "." line. */
static void
data_skip(struct session *s)
{
	char scratch[4096];

	while (data_read(s, scratch, sizeof scratch) > 0)
		;
}

/* The name saatja gives itself: helo = from the config, else the FQDN. */
static const char *
own_name(const struct session *s)
{
	return s->c->helo ? s->c->helo : host_fqdn();
}

static enum status
cmd_helo(struct session *s, const struct server_cmd *cmd)
{
	transaction_reset(s);
	if (cmd->verb == CMD_HELO) {
		reply(s, "250 %s", own_name(s));
		return ST_OK;
	}
	reply(s, "250-%s", own_name(s));
	reply(s, "250-PIPELINING");
	reply(s, "250-SIZE %lu", SIZE_ADVERTISED);
	reply(s, "250-8BITMIME");
	reply(s, "250-SMTPUTF8");
	reply(s, "250 ENHANCEDSTATUSCODES");
	return ST_OK;
}

static enum status
cmd_mail(struct session *s, struct server_cmd *cmd)
{
	if (cmd->size > SIZE_ADVERTISED) {
		reply(s, "552 5.3.4 Message size exceeds fixed limit");
		return ST_OK;
	}
	s->sender = cmd->addr;
	cmd->addr = NULL;
	s->body_type = cmd->body;
	s->in_mail = 1;
	reply(s, "250 2.1.0 Ok");
	return ST_OK;
}

static enum status
cmd_rcpt(struct session *s, struct server_cmd *cmd)
{
	if (s->rcpts.n >= RCPT_MAX) {
		reply(s, "452 4.5.3 Error: too many recipients");
		return ST_OK;
	}
	strlist_add_owned(&s->rcpts, cmd->addr);
	cmd->addr = NULL;
	reply(s, "250 2.1.5 Ok");
	return ST_OK;
}

/* The reply to the final "." for the outcome of submit_message. */
static void
reply_outcome(struct session *s, enum status st,
    const struct submit_result *r, const struct buf *why)
{
	switch (st) {
	case ST_OK:
		if (why->len)
			log_msg(LOG_WARNING, "%s: %s", r->queue_id, buf_str(why));
		if (r->queue_id[0])
			reply(s, "250 2.0.0 Ok: queued as %s", r->queue_id);
		else
			reply(s, "250 2.0.0 Ok");
		return;
	case ST_NOPERM:
		reply_reason(s, "550 5.7.1", buf_str(why));
		break;
	case ST_DATAERR:
		reply_reason(s, "554 5.6.0", buf_str(why));
		break;
	case ST_USAGE:
		reply_reason(s, "554 5.5.1", buf_str(why));
		break;
	case ST_CONFIG:
	case ST_OSERR:
	case ST_CANTCREAT:
	case ST_IOERR:
		/* Nothing was queued: the client may try again later. */
		reply_reason(s, r->queue_id[0] ? "554 5.3.0" : "451 4.3.0",
		    buf_str(why));
		break;
	default:
		reply_reason(s, "554 5.0.0", buf_str(why));
		break;
	}
	if (st != ST_NOPERM)	/* submit_message logged the refusal */
		log_msg(LOG_NOTICE, "-bs: message not accepted (%s): %s",
		    status_name(st), buf_str(why));
}

/* Reads the message and hands it to the same path as sendmail -t. */
static enum status
submit(struct session *s, FILE *in)
{
	struct message m;
	struct submit_result r;
	struct request t;
	struct buf why = BUF_INIT;
	enum status st;

	message_init(&m);
	memset(&r, 0, sizeof r);
	st = message_read(&m, in, 0, s->queue.tmp, &why);
	data_skip(s);
	if (s->data == DATA_EOF) {
		log_msg(LOG_NOTICE, "-bs: the input ended inside DATA; nothing was queued");
		message_free(&m);
		buf_free(&why);
		return ST_IOERR;
	}
	if (st == ST_OK) {
		/* This transaction's request: its envelope, and what the
		 * command line asked for every message. */
		t = *s->base;
		t.headers_give_rcpts = 0;
		t.rcpts = s->rcpts;	/* borrowed: t is never freed */
		t.sender = s->sender;
		if (s->body_type)
			t.body_type = s->body_type;
		st = submit_message(s->c, &t, s->how, &s->queue, &m, &r, &why);
	}
	reply_outcome(s, st, &r, &why);
	message_free(&m);
	buf_free(&why);
	return ST_OK;
}

static enum status
cmd_data(struct session *s)
{
	static const cookie_io_functions_t io = { data_read, NULL, NULL, NULL };
	struct buf why = BUF_INIT;
	enum status st;
	FILE *in;

	if (s->rcpts.n == 0) {
		reply(s, "503 5.5.1 Error: need RCPT command");
		return ST_OK;
	}
	/* Bodies are spooled where the queue will hold them. */
	if (s->queue.dir == NULL && queue_open(&s->queue, s->c, &why) != ST_OK) {
		queue_close(&s->queue);
		log_msg(LOG_WARNING, "-bs: %s", buf_str(&why));
		reply_reason(s, "451 4.3.0", buf_str(&why));
		buf_free(&why);
		return ST_OK;
	}
	buf_free(&why);
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
	s->data = DATA_LINE_START;
	in = fopencookie(s, "r", io);
	if (in == NULL) {
		data_skip(s);
		if (s->data == DATA_EOF)
			return ST_IOERR;
		reply(s, "451 4.3.0 Out of memory");
		transaction_reset(s);
		return ST_OK;
	}
	st = submit(s, in);
	fclose(in);
	transaction_reset(s);
	return st;
}

/*
 * Answers one command line. The parser knows the syntax; what is allowed
 * at this point of the session is decided here, before the syntax, as
 * Postfix does (a nested MAIL is 503 whatever its argument).
 */
static enum status
command(struct session *s, const struct buf *line)
{
	struct server_cmd cmd;
	enum status st = ST_OK;
	int bad = server_cmd_parse(line->data, line->len, &cmd);

	if ((cmd.verb == CMD_MAIL && s->in_mail) ||
	    ((cmd.verb == CMD_RCPT || (cmd.verb == CMD_DATA && !bad)) &&
	    !s->in_mail)) {
		reply(s, cmd.verb == CMD_MAIL ? "503 5.5.1 Error: nested MAIL command" :
		    "503 5.5.1 Error: need MAIL command");
	} else if (bad) {
		reply(s, "%s", cmd.reply);
	} else {
		switch (cmd.verb) {
		case CMD_HELO:
		case CMD_EHLO:
			st = cmd_helo(s, &cmd);
			break;
		case CMD_MAIL:
			st = cmd_mail(s, &cmd);
			break;
		case CMD_RCPT:
			st = cmd_rcpt(s, &cmd);
			break;
		case CMD_DATA:
			st = cmd_data(s);
			break;
		case CMD_RSET:
			transaction_reset(s);
			reply(s, "250 2.0.0 Ok");
			break;
		case CMD_QUIT:
			reply(s, "221 2.0.0 Bye");
			s->quit = 1;
			break;
		case CMD_HELP:
			reply(s, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT HELP VRFY");
			break;
		case CMD_VRFY:
			reply(s, "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery");
			break;
		case CMD_AUTH:
			reply(s, "503 5.5.1 Error: authentication not needed, the caller is local");
			break;
		default:	/* NOOP */
			reply(s, "250 2.0.0 Ok");
			break;
		}
	}
	server_cmd_free(&cmd);
	return st;
}

enum status
server_run(const struct config *c, const struct request *base,
    const struct submit_how *how, struct buf *err)
{
	struct session s;
	struct buf line = BUF_INIT;
	enum status st = ST_OK;
	int write_failed;
	locale_t saved;

	if (how->action != SUBMIT_SEND) {
		buf_adds(err, _("-bs cannot be combined with --dry-run: the SMTP replies use standard output"));
		return ST_USAGE;
	}
	/* SMTP replies, and the log, are English. */
	saved = i18n_plain_begin();
	memset(&s, 0, sizeof s);
	s.c = c;
	s.base = base;
	s.how = how;
	s.in = xmalloc(IN_BLOCK);
	reply(&s, "220 %s ESMTP saatja", own_name(&s));
	while (st == ST_OK && !s.quit && !s.out_errno) {
		switch (read_line(&s, &line)) {
		case LINE_EOF:
			if (s.in_mail) {
				log_msg(LOG_NOTICE, "-bs: the input ended inside a transaction; nothing was queued");
				st = ST_IOERR;
			}
			s.quit = 1;
			break;
		case LINE_TOO_LONG:
			reply(&s, "500 5.5.2 Error: line too long");
			break;
		case LINE_OK:
			st = command(&s, &line);
			break;
		}
	}
	write_failed = s.out_errno;
	flush_replies(&s);	/* the client may be gone after QUIT: not an error */
	i18n_plain_end(saved);
	if (write_failed && st == ST_OK) {
		buf_printf(err, _("-bs: cannot write the SMTP reply to standard output: %s"),
		    strerror(write_failed));
		st = ST_IOERR;
	}
	transaction_reset(&s);
	queue_close(&s.queue);
	buf_free(&s.out);
	buf_free(&line);
	free(s.in);
	return st;
}
