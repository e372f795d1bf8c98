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
#include "server.h"
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
	const struct options *o;
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
};

static void
flush(struct session *s)
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
fill(struct session *s)
{
	ssize_t n;

	if (s->in_pos < s->in_len)
		return 1;
	if (s->in_eof)
		return 0;
	flush(s);
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

		if (!fill(s))
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
	size_t n = 0;

	buf_adds(&s->out, code);
	buf_addc(&s->out, ' ');
	for (const char *p = text; *p && n < REPLY_TEXT_MAX; p++, n++) {
		unsigned char ch = (unsigned char)*p;

		buf_addc(&s->out, ch >= 0x20 && ch < 0x7f ? (char)ch :
		    ch >= 0x80 ? '?' : ' ');
	}
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

		if (s->in_pos == s->in_len && (got > 0 || !fill(s))) {
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

/*
 * Finds the path of a MAIL or RCPT argument: "<addr>", "Name <addr>" or
 * a bare address. Returns it as a new string (brackets kept, for the
 * address parser) and sets *rest to the parameters, or NULL when the
 * brackets do not close.
 */
static char *
split_path(const char *arg, const char **rest)
{
	const char *p = arg, *start, *lt;
	int quoted = 0;

	while (*p == ' ')
		p++;
	start = p;
	lt = *p == '<' ? p : strchr(p, '<');
	if (lt == NULL) {
		p += strcspn(p, " ");
	} else {
		for (p = start; *p; p++) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				quoted = !quoted;
			else if (*p == '>' && !quoted && p > lt)
				break;
		}
		if (*p != '>')
			return NULL;
		p++;
	}
	*rest = p;
	return xstrndup(start, (size_t)(p - start));
}

/* Parses a path into one address; NULL for "<>"; sets *bad when the
 * path is not an address. */
static char *
path_address(const char *path, int *bad)
{
	struct mailbox mb;
	struct buf why = BUF_INIT;
	char *addr = NULL;

	*bad = 0;
	if (strcmp(path, "<>") == 0)
		return NULL;
	memset(&mb, 0, sizeof mb);
	if (*path && addr_parse_one(path, &mb, &why) == ST_OK && mb.addr &&
	    *mb.addr)
		addr = xstrdup(mb.addr);
	else
		*bad = 1;
	addr_free(&mb);
	buf_free(&why);
	return addr;
}

/* Non-zero when arg starts with word (case-blind); *after is past it. */
static int
starts_with(const char *arg, const char *word, const char **after)
{
	size_t n = strlen(word);

	if (strncasecmp(arg, word, n) != 0)
		return 0;
	*after = arg + n;
	return 1;
}

/*
 * Checks the MAIL parameters. Returns 1 when they are all acceptable
 * (BODY= noted in the session), else 0 after replying.
 */
static int
mail_params(struct session *s, const char *p)
{
	while (*p) {
		const char *end, *value;
		size_t n;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		end = p + strcspn(p, " ");
		n = (size_t)(end - p);
		if (starts_with(p, "BODY=", &value)) {
			if ((size_t)(end - value) == 8 &&
			    strncasecmp(value, "8BITMIME", 8) == 0)
				s->body_type = "8BITMIME";
			else if ((size_t)(end - value) == 4 &&
			    strncasecmp(value, "7BIT", 4) == 0)
				s->body_type = "7BIT";
			else {
				reply(s, "501 5.5.4 Syntax: BODY=7BIT or BODY=8BITMIME");
				return 0;
			}
		} else if (starts_with(p, "SIZE=", &value)) {
			unsigned long size = 0;

			if (value == end || strspn(value, "0123456789") !=
			    (size_t)(end - value) || end - value > 19) {
				reply(s, "501 5.5.4 Syntax: SIZE=number");
				return 0;
			}
			size = strtoul(value, NULL, 10);
			if (size > SIZE_ADVERTISED) {
				reply(s, "552 5.3.4 Message size exceeds fixed limit");
				return 0;
			}
		} else if (n == 8 && strncasecmp(p, "SMTPUTF8", 8) == 0) {
			;	/* addresses are checked for UTF-8 anyway */
		} else {
			reply(s, "555 5.5.4 Unsupported option: %.*s",
			    (int)(n > 60 ? 60 : n), p);
			return 0;
		}
		p = end;
	}
	return 1;
}

static enum status
cmd_helo(struct session *s, const char *arg, int extended)
{
	while (*arg == ' ')
		arg++;
	if (*arg == '\0') {
		reply(s, "501 5.5.4 Syntax: %s hostname", extended ? "EHLO" : "HELO");
		return ST_OK;
	}
	transaction_reset(s);
	if (!extended) {
		reply(s, "250 %s", host_fqdn());
		return ST_OK;
	}
	reply(s, "250-%s", host_fqdn());
	reply(s, "250-PIPELINING");
	reply(s, "250-SIZE %lu", SIZE_ADVERTISED);
	reply(s, "250-8BITMIME");
	reply(s, "250-SMTPUTF8");
	reply(s, "250 ENHANCEDSTATUSCODES");
	return ST_OK;
}

static enum status
cmd_mail(struct session *s, const char *arg)
{
	const char *rest;
	char *path;
	char *addr;
	int bad;

	if (s->in_mail) {
		reply(s, "503 5.5.1 Error: nested MAIL command");
		return ST_OK;
	}
	if (!starts_with(arg, "FROM:", &arg) ||
	    (path = split_path(arg, &rest)) == NULL) {
		reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return ST_OK;
	}
	addr = path_address(path, &bad);
	free(path);
	if (bad) {
		reply(s, "501 5.1.7 Bad sender address syntax");
		return ST_OK;
	}
	s->body_type = NULL;
	if (!mail_params(s, rest)) {
		free(addr);
		s->body_type = NULL;
		return ST_OK;
	}
	s->sender = addr;
	s->in_mail = 1;
	reply(s, "250 2.1.0 Ok");
	return ST_OK;
}

static enum status
cmd_rcpt(struct session *s, const char *arg)
{
	const char *rest;
	char *path;
	char *addr;
	int bad;

	if (!s->in_mail) {
		reply(s, "503 5.5.1 Error: need MAIL command");
		return ST_OK;
	}
	if (!starts_with(arg, "TO:", &arg) ||
	    (path = split_path(arg, &rest)) == NULL) {
		reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return ST_OK;
	}
	addr = path_address(path, &bad);
	free(path);
	if (bad || addr == NULL) {
		reply(s, "501 5.1.3 Bad recipient address syntax");
		free(addr);
		return ST_OK;
	}
	while (*rest == ' ')
		rest++;
	if (*rest) {
		size_t n = strcspn(rest, " ");

		reply(s, "555 5.5.4 Unsupported option: %.*s",
		    (int)(n > 60 ? 60 : n), rest);
		free(addr);
		return ST_OK;
	}
	if (s->rcpts.n >= RCPT_MAX) {
		reply(s, "452 4.5.3 Error: too many recipients");
		free(addr);
		return ST_OK;
	}
	strlist_add_owned(&s->rcpts, addr);
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
submit(struct session *s, FILE *in, const char *spool)
{
	struct message m;
	struct submit_result r;
	struct options t;
	struct buf why = BUF_INIT;
	enum status st;

	message_init(&m);
	memset(&r, 0, sizeof r);
	st = message_read(&m, in, 0, spool, &why);
	data_skip(s);
	if (s->data == DATA_EOF) {
		log_msg(LOG_NOTICE, "-bs: the input ended inside DATA; nothing was queued");
		message_free(&m);
		buf_free(&why);
		return ST_IOERR;
	}
	if (st == ST_OK) {
		t = *s->o;
		t.headers_give_rcpts = 0;
		t.dot_ends = 0;
		t.rcpts = s->rcpts;	/* borrowed: t is never freed */
		t.sender = s->sender;
		if (s->body_type)
			t.body_type = s->body_type;
		st = submit_message(s->c, &t, &m, &r, &why);
	}
	reply_outcome(s, st, &r, &why);
	message_free(&m);
	buf_free(&why);
	return ST_OK;
}

static enum status
cmd_data(struct session *s, const char *arg)
{
	static const cookie_io_functions_t io = { data_read, NULL, NULL, NULL };
	struct buf why = BUF_INIT;
	const char *spool;
	enum status st;
	FILE *in;

	if (*arg) {
		reply(s, "501 5.5.4 Syntax: DATA");
		return ST_OK;
	}
	if (!s->in_mail) {
		reply(s, "503 5.5.1 Error: need MAIL command");
		return ST_OK;
	}
	if (s->rcpts.n == 0) {
		reply(s, "503 5.5.1 Error: need RCPT command");
		return ST_OK;
	}
	spool = submit_spool_dir(s->c, &why);
	if (spool == NULL) {
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
	st = submit(s, in, spool);
	fclose(in);
	transaction_reset(s);
	return st;
}

static enum status
cmd_simple(struct session *s, const char *verb, const char *arg)
{
	if (strcasecmp(verb, "RSET") == 0) {
		transaction_reset(s);
		reply(s, "250 2.0.0 Ok");
	} else if (strcasecmp(verb, "NOOP") == 0) {
		reply(s, "250 2.0.0 Ok");
	} else if (strcasecmp(verb, "QUIT") == 0) {
		reply(s, "221 2.0.0 Bye");
		s->quit = 1;
	} else if (strcasecmp(verb, "HELP") == 0) {
		reply(s, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT HELP VRFY");
	} else if (strcasecmp(verb, "VRFY") == 0) {
		if (*arg)
			reply(s, "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery");
		else
			reply(s, "501 5.5.4 Syntax: VRFY address");
	} else if (strcasecmp(verb, "AUTH") == 0) {
		reply(s, "503 5.5.1 Error: authentication not needed, the caller is local");
	} else {
		reply(s, "500 5.5.1 Error: command not recognized");
	}
	return ST_OK;
}

/* Non-zero when line holds a byte that no command may hold. */
static int
has_control(const struct buf *line)
{
	for (size_t i = 0; i < line->len; i++) {
		unsigned char ch = (unsigned char)line->data[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return 1;
	}
	return 0;
}

static enum status
command(struct session *s, struct buf *line)
{
	char verb[8];
	size_t n = strcspn(line->data, " ");
	const char *arg = line->data + n;

	if (has_control(line) || n == 0 || n >= sizeof verb) {
		reply(s, n >= sizeof verb ? "500 5.5.1 Error: command not recognized" :
		    "500 5.5.2 Error: bad syntax");
		return ST_OK;
	}
	memcpy(verb, line->data, n);
	verb[n] = '\0';
	while (*arg == ' ')
		arg++;
	if (strcasecmp(verb, "HELO") == 0)
		return cmd_helo(s, arg, 0);
	if (strcasecmp(verb, "EHLO") == 0)
		return cmd_helo(s, arg, 1);
	if (strcasecmp(verb, "MAIL") == 0)
		return cmd_mail(s, arg);
	if (strcasecmp(verb, "RCPT") == 0)
		return cmd_rcpt(s, arg);
	if (strcasecmp(verb, "DATA") == 0)
		return cmd_data(s, arg);
	return cmd_simple(s, verb, arg);
}

enum status
server_run(const struct config *c, const struct options *o,
    struct buf *err)
{
	struct session s;
	struct buf line = BUF_INIT;
	enum status st = ST_OK;
	int write_failed;
	locale_t saved;

	if (o->dry_run) {
		buf_adds(err, _("-bs cannot be combined with --dry-run: the SMTP replies use standard output"));
		return ST_USAGE;
	}
	/* SMTP replies, and the log, are English. */
	saved = i18n_plain_begin();
	memset(&s, 0, sizeof s);
	s.c = c;
	s.o = o;
	s.in = xmalloc(IN_BLOCK);
	reply(&s, "220 %s ESMTP saatja", host_fqdn());
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
	flush(&s);	/* the client may be gone after QUIT: not an error */
	i18n_plain_end(saved);
	if (write_failed && st == ST_OK) {
		buf_printf(err, _("-bs: cannot write the SMTP reply to standard output: %s"),
		    strerror(write_failed));
		st = ST_IOERR;
	}
	transaction_reset(&s);
	buf_free(&s.out);
	buf_free(&line);
	free(s.in);
	return st;
}
