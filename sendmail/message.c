/* SPDX-License-Identifier: MIT */
/*
 * message - reading, editing and writing a message; see message.h.
 *
 * Reading is one pass over the input in 64 KiB blocks. Bytes are split
 * into lines by a small state machine that treats LF, CRLF, CR...CRLF and
 * a lone CR as line ends. Header lines are collected in memory (bounded by
 * HEADER_SECTION_MAX); body lines go straight to the spool file, so a
 * single body line of any length never sits in memory whole.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "i18n.h"
#include "message.h"

#define HEADER_SECTION_MAX (1024 * 1024)
#define IO_BLOCK (64 * 1024)

void
message_init(struct message *m)
{
	memset(m, 0, sizeof *m);
	m->body_fd = -1;
}

void
message_free(struct message *m)
{
	for (size_t i = 0; i < m->nhdrs; i++) {
		free(m->hdrs[i].name);
		free(m->hdrs[i].field);
	}
	free(m->hdrs);
	free(m->spool_dir);
	if (m->body_fd >= 0)
		close(m->body_fd);
	message_init(m);
}

/* An unlinked read-write file in dir: nothing is left behind on a crash. */
static int
spool_open(const char *dir, struct buf *err)
{
	struct buf path = BUF_INIT;
	int fd;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0660);
	if (fd >= 0)
		return fd;
#endif
	buf_printf(&path, "%s/saatja-body.XXXXXX", dir);
	fd = mkostemp(path.data, O_CLOEXEC);
	if (fd >= 0)
		unlink(path.data);
	else
		buf_printf(err, _("cannot create a spool file in %s: %s"), dir,
		    strerror(errno));
	buf_free(&path);
	return fd;
}

/* The length of the field name when line (without line end) starts a
 * header field ("Name:"), else 0. */
static size_t
field_name_len(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == ':')
			break;
		if (c < 33 || c > 126)
			return 0;
	}
	if (i == 0 || i == len)
		return 0;
	return i;
}

/*
 * Where a line of n > max octets can be folded so that at most max stay
 * before the fold: the last white space within the limit, else just after
 * the last comma outside quotes and comments (address lists written
 * without spaces: folding white space may stand after any comma there).
 * 0 when there is no such place.
 */
static size_t
fold_point(const char *p, size_t n, size_t max)
{
	size_t cut = max, comma = 0;
	int quoted = 0, depth = 0;

	while (cut > 1 && p[cut] != ' ' && p[cut] != '\t')
		cut--;
	if (cut > 1)
		return cut;
	for (size_t i = 0; i < n && i < max; i++) {
		if (p[i] == '\\') {
			i++;
		} else if (p[i] == '"' && depth == 0) {
			quoted = !quoted;
		} else if (!quoted && p[i] == '(') {
			depth++;
		} else if (!quoted && p[i] == ')' && depth > 0) {
			depth--;
		} else if (!quoted && depth == 0 && p[i] == ',')
			comma = i + 1;
	}
	return comma;
}

/*
 * Folds every physical line of field longer than MESSAGE_LINE_MAX, never
 * within its first name_len octets (the field name). Returns 0 when some
 * line has nowhere to fold.
 */
static int
fold_field(struct buf *field, size_t name_len)
{
	struct buf out = BUF_INIT;
	const char *p = field->data, *end = field->data + field->len;
	int ok = 1;

	while (p < end) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
		size_t lead = 0;	/* the space a fold at a comma adds */

		while (len + lead > MESSAGE_LINE_MAX) {
			size_t cut = fold_point(p, len, MESSAGE_LINE_MAX - lead);

			if (cut <= name_len) {	/* none, or inside the name */
				ok = 0;
				break;
			}
			name_len = 0;
			buf_add(&out, p, cut);
			lead = p[cut] != ' ' && p[cut] != '\t';
			buf_adds(&out, lead ? "\r\n " : "\r\n");
			p += cut;
			len -= cut;
		}
		name_len = 0;
		buf_add(&out, p, len);
		p += len;
		if (eol) {
			buf_adds(&out, "\r\n");
			p += 2;
		}
	}
	if (ok) {
		buf_free(field);
		*field = out;
	} else
		buf_free(&out);
	return ok;
}

struct reader {
	struct message *m;
	int dot_ends;
	int in_body;
	int done;
	int first_line;
	struct buf line;	/* header line being collected */
	struct buf field;	/* header field being collected */
	size_t header_bytes;
	FILE *body;		/* spool stream */
	size_t body_line_len;
	int body_line_is_dot;
	enum status st;
	struct buf *err;
};

static void
add_field(struct reader *r)
{
	struct message *m = r->m;
	size_t n;

	if (r->field.len == 0)
		return;
	if (!fold_field(&r->field, field_name_len(r->field.data, r->field.len))) {
		n = field_name_len(r->field.data, r->field.len);
		buf_printf(r->err, ngettext("the %.*s header has a line longer than %d character with no space to fold it at; shorten it",
		    "the %.*s header has a line longer than %d characters with no space to fold it at; shorten it",
		    MESSAGE_LINE_MAX),
		    (int)(n > 60 ? 60 : n), r->field.data, MESSAGE_LINE_MAX);
		r->st = ST_DATAERR;
		buf_reset(&r->field);
		return;
	}
	n = field_name_len(r->field.data, r->field.len);
	m->hdrs = xgrow(m->hdrs, &m->cap, m->nhdrs + 1, sizeof *m->hdrs);
	m->hdrs[m->nhdrs].name = xstrndup(r->field.data, n);
	m->hdrs[m->nhdrs].field = buf_take(&r->field);
	m->nhdrs++;
}

/*
 * A "." that starts a line is held back until the next byte shows whether
 * the line is the lone dot that ends the message.
 */
static void
body_byte(struct reader *r, char c)
{
	if (r->body_line_is_dot) {
		putc_unlocked('.', r->body);
		r->body_line_is_dot = 0;
	}
	if (r->body_line_len++ == 0 && c == '.' && r->dot_ends) {
		r->body_line_is_dot = 1;
		return;
	}
	if ((unsigned char)c >= 0x80)
		r->m->body_8bit = 1;
	putc_unlocked(c, r->body);
}

static void
body_line_end(struct reader *r)
{
	if (r->body_line_is_dot) {
		r->done = 1;	/* the lone dot: the message ends here */
		return;
	}
	if (r->body_line_len > r->m->longest_line)
		r->m->longest_line = r->body_line_len;
	putc_unlocked('\r', r->body);
	putc_unlocked('\n', r->body);
	r->body_line_len = 0;
	r->body_line_is_dot = 0;
}

static void
start_body_with(struct reader *r, const char *s, size_t n)
{
	r->in_body = 1;
	for (size_t i = 0; i < n; i++)
		body_byte(r, s[i]);
	body_line_end(r);
}

static void
header_line_end(struct reader *r)
{
	const char *s = r->line.data ? r->line.data : "";
	size_t n = r->line.len;
	int first = r->first_line;

	r->first_line = 0;
	if (r->dot_ends && n == 1 && s[0] == '.') {
		add_field(r);
		r->done = 1;
	} else if (n == 0) {
		add_field(r);
		r->in_body = 1;
	} else if ((s[0] == ' ' || s[0] == '\t') && r->field.len) {
		buf_adds(&r->field, "\r\n");
		buf_add(&r->field, s, n);
	} else if (field_name_len(s, n)) {
		add_field(r);
		buf_add(&r->field, s, n);
	} else if (first && n >= 5 && memcmp(s, "From ", 5) == 0) {
		;	/* an mbox "From " line is not part of the message */
	} else {
		/* Not a header: the header section ended without its empty
		 * line, and this line is the first of the body. */
		add_field(r);
		start_body_with(r, s, n);
	}
	buf_reset(&r->line);
}

static void
line_end(struct reader *r)
{
	if (r->in_body)
		body_line_end(r);
	else
		header_line_end(r);
}

static void
line_byte(struct reader *r, char c)
{
	if (r->in_body) {
		body_byte(r, c);
		return;
	}
	if (c == '\0') {
		buf_adds(r->err, _("the header section contains a NUL byte; the message is not usable as mail"));
		r->st = ST_DATAERR;
		return;
	}
	if (++r->header_bytes > HEADER_SECTION_MAX) {
		buf_printf(r->err, ngettext("the header section is larger than %d byte (or the message has no empty line after its headers); the message is not usable as mail",
		    "the header section is larger than %d bytes (or the message has no empty line after its headers); the message is not usable as mail",
		    HEADER_SECTION_MAX), HEADER_SECTION_MAX);
		r->st = ST_DATAERR;
		return;
	}
	buf_addc(&r->line, c);
}

/*
 * Feeds the lines of in to r until the message ends: end of input, or a
 * line holding only "." with dot_ends. CRLF, a bare LF and a lone CR
 * each end a line.
 */
static void
read_lines(struct reader *r, FILE *in)
{
	char *block = xmalloc(IO_BLOCK);
	size_t pending_cr = 0;

	while (!r->done && r->st == ST_OK) {
		size_t got = fread(block, 1, IO_BLOCK, in);

		if (got == 0)
			break;
		for (size_t i = 0; i < got && !r->done && r->st == ST_OK; i++) {
			char c = block[i];

			if (c == '\r') {
				pending_cr++;
				continue;
			}
			if (c == '\n') {
				pending_cr = 0;
				line_end(r);
				continue;
			}
			for (; pending_cr && !r->done; pending_cr--)
				line_end(r);	/* a lone CR ends a line */
			pending_cr = 0;
			if (!r->done)
				line_byte(r, c);
		}
	}
	free(block);
	if (r->st == ST_OK && !r->done && ferror(in)) {
		buf_printf(r->err, _("cannot read the message: %s"), strerror(errno));
		r->st = ST_IOERR;
	}
	if (r->st == ST_OK && !r->done) {
		for (; pending_cr && !r->done; pending_cr--)
			line_end(r);
		if (!r->done && (r->in_body ? r->body_line_len > 0 : r->line.len > 0))
			line_end(r);	/* last line without a line end */
		if (!r->in_body)
			add_field(r);
	}
}

/* Flushes the spooled body, whose file is fd, and keeps a descriptor of
 * it in the message. Returns the reader's status, or the spool's
 * failure. */
static enum status
spool_keep(struct reader *r, int fd, const char *spool_dir)
{
	struct message *m = r->m;

	if (r->st == ST_OK && (fflush(r->body) != 0 || ferror(r->body))) {
		buf_printf(r->err, _("cannot write the message to the spool in %s: %s"),
		    spool_dir, strerror(errno));
		r->st = ST_IOERR;
	}
	m->body_size = ftello(r->body);
	m->body_fd = dup(fd);
	fclose(r->body);
	if (m->body_fd < 0 && r->st == ST_OK) {
		buf_printf(r->err, _("cannot keep the spool file: %s"), strerror(errno));
		r->st = ST_OSERR;
	}
	return r->st;
}

enum status
message_read(struct message *m, FILE *in, int dot_ends,
    const char *spool_dir, struct buf *err)
{
	struct reader r;
	int fd;

	memset(&r, 0, sizeof r);
	r.m = m;
	r.dot_ends = dot_ends;
	r.first_line = 1;
	r.err = err;
	r.st = ST_OK;
	fd = spool_open(spool_dir, err);
	if (fd < 0)
		return ST_CANTCREAT;
	free(m->spool_dir);
	m->spool_dir = xstrdup(spool_dir);
	r.body = fdopen(fd, "w+");
	if (r.body == NULL) {
		close(fd);
		buf_printf(err, _("cannot open a spool stream: %s"), strerror(errno));
		return ST_OSERR;
	}
	setvbuf(r.body, NULL, _IOFBF, IO_BLOCK);
	read_lines(&r, in);
	buf_free(&r.line);
	buf_free(&r.field);
	return spool_keep(&r, fd, spool_dir);
}

long
message_find(const struct message *m, const char *name, size_t from)
{
	for (size_t i = from; i < m->nhdrs; i++)
		if (strcasecmp(m->hdrs[i].name, name) == 0)
			return (long)i;
	return -1;
}

char *
message_value(const struct message *m, size_t i)
{
	const char *p = m->hdrs[i].field + strlen(m->hdrs[i].name) + 1;
	struct buf v = BUF_INIT;

	while (*p == ' ' || *p == '\t')
		p++;
	for (; *p; p++) {
		if (*p == '\r' && p[1] == '\n') {
			p++;
			continue;
		}
		buf_addc(&v, *p);
	}
	while (v.len && (v.data[v.len - 1] == ' ' || v.data[v.len - 1] == '\t'))
		v.data[--v.len] = '\0';
	return buf_take(&v);
}

void
message_remove_at(struct message *m, size_t i)
{
	free(m->hdrs[i].name);
	free(m->hdrs[i].field);
	memmove(&m->hdrs[i], &m->hdrs[i + 1],
	    (m->nhdrs - i - 1) * sizeof *m->hdrs);
	m->nhdrs--;
}

void
message_remove(struct message *m, const char *name)
{
	long i;

	while ((i = message_find(m, name, 0)) >= 0)
		message_remove_at(m, (size_t)i);
}

static char *
make_field(const char *name, const char *value)
{
	struct buf f = BUF_INIT;

	buf_printf(&f, "%s: %s", name, value);
	/* a value we build always has spaces to fold at */
	fold_field(&f, strlen(name));
	return buf_take(&f);
}

void
message_replace(struct message *m, size_t i, const char *value)
{
	char *field = make_field(m->hdrs[i].name, value);

	free(m->hdrs[i].field);
	m->hdrs[i].field = field;
}

static void
insert_at(struct message *m, size_t at, const char *name, const char *value)
{
	m->hdrs = xgrow(m->hdrs, &m->cap, m->nhdrs + 1, sizeof *m->hdrs);
	memmove(&m->hdrs[at + 1], &m->hdrs[at],
	    (m->nhdrs - at) * sizeof *m->hdrs);
	m->hdrs[at].name = xstrdup(name);
	m->hdrs[at].field = make_field(name, value);
	m->nhdrs++;
}

void
message_append(struct message *m, const char *name, const char *value)
{
	insert_at(m, m->nhdrs, name, value);
}

void
message_add_field(struct message *m, const char *field)
{
	size_t n = field_name_len(field, strlen(field));

	m->hdrs = xgrow(m->hdrs, &m->cap, m->nhdrs + 1, sizeof *m->hdrs);
	m->hdrs[m->nhdrs].name = xstrndup(field, n);
	m->hdrs[m->nhdrs].field = xstrdup(field);
	m->nhdrs++;
}

int
message_body_blocks(const struct message *m,
    int (*fn)(void *arg, const char *p, size_t n), void *arg)
{
	char *block;
	off_t off = 0;
	int rc = 0;

	if (m->body_fd < 0)
		return 0;
	block = xmalloc(IO_BLOCK);
	while (rc == 0 && off < m->body_size) {
		ssize_t got = pread(m->body_fd, block, IO_BLOCK, off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == 0)
				errno = 0;
			rc = -1;
			break;
		}
		off += got;
		rc = fn(arg, block, (size_t)got);
	}
	free(block);
	return rc;
}

off_t
message_size(const struct message *m)
{
	off_t n = 2 + (m->body_fd >= 0 ? m->body_size : 0);

	for (size_t i = 0; i < m->nhdrs; i++)
		n += (off_t)strlen(m->hdrs[i].field) + 2;
	return n;
}

static enum status
write_error(struct buf *err, const char *what)	/* translated */
{
	/* TRANSLATORS: %s is "write", "read back" or "re-encode" */
	buf_printf(err, _("cannot %s the message: %s"), what, strerror(errno));
	return ST_IOERR;
}

static int
write_block(void *out, const char *p, size_t n)
{
	return fwrite(p, 1, n, out) == n ? 0 : 1;
}

enum status
message_write(const struct message *m, FILE *out, struct buf *err)
{
	for (size_t i = 0; i < m->nhdrs; i++) {
		fputs(m->hdrs[i].field, out);
		fputs("\r\n", out);
	}
	fputs("\r\n", out);
	if (message_body_blocks(m, write_block, out) < 0)
		return write_error(err, _("read back"));
	if (fflush(out) != 0 || ferror(out))
		return write_error(err, _("write"));
	return ST_OK;
}

/* Does the header section allow re-encoding the body as a whole? */
static int
body_recodable(const struct message *m)
{
	long i = message_find(m, "Content-Type", 0);
	int ok = 1;

	if (i >= 0) {
		char *v = message_value(m, (size_t)i);

		ok = strncasecmp(v, "multipart/", 10) != 0 &&
		    strncasecmp(v, "message/", 8) != 0;
		free(v);
	}
	i = message_find(m, "Content-Transfer-Encoding", 0);
	if (ok && i >= 0) {
		char *v = message_value(m, (size_t)i);

		ok = strcasecmp(v, "7bit") == 0 || strcasecmp(v, "8bit") == 0 ||
		    strcasecmp(v, "binary") == 0;
		free(v);
	}
	return ok;
}

struct qp {
	FILE *out;
	size_t col;
	int held;	/* a space or tab waiting to see what follows */
	int cr;		/* the last octet was a CR */
};

static void
qp_emit(struct qp *q, const char *s, size_t n)
{
	if (q->col + n > 75) {
		fputs("=\r\n", q->out);
		q->col = 0;
	}
	fwrite(s, 1, n, q->out);
	q->col += n;
}

static void
qp_byte(struct qp *q, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char enc[3] = { '=', hex[c >> 4], hex[c & 15] };

	if (q->held) {
		char h = (char)q->held;

		q->held = 0;
		qp_emit(q, &h, 1);
	}
	if (c == ' ' || c == '\t')
		q->held = c;
	else if (c >= 33 && c <= 126 && c != '=' &&
	    !(c == '.' && q->col == 0))
		qp_emit(q, (const char *)&c, 1);
	else
		qp_emit(q, enc, 3);
}

static void
qp_line_end(struct qp *q)
{
	if (q->held) {
		static const char hex[] = "0123456789ABCDEF";
		char enc[3] = { '=', hex[q->held >> 4], hex[q->held & 15] };

		q->held = 0;
		qp_emit(q, enc, 3);	/* trailing white space is encoded */
	}
	fputs("\r\n", q->out);
	q->col = 0;
}

/* Encodes a block of the spooled body. */
static int
qp_block(void *arg, const char *p, size_t n)
{
	struct qp *q = arg;

	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)p[k];

		/* The spool holds only CRLF line ends, so a CR is always
		 * followed by LF. */
		if (c == '\r') {
			q->cr = 1;
			continue;
		}
		if (c == '\n' && q->cr)
			qp_line_end(q);
		else
			qp_byte(q, c);
		q->cr = 0;
	}
	return 0;
}

enum status
message_fit_lines(struct message *m, struct buf *err)
{
	struct qp q = { NULL, 0, 0, 0 };
	int fd, rc;
	long i;

	if (m->longest_line <= MESSAGE_LINE_MAX || !body_recodable(m) ||
	    m->spool_dir == NULL)
		return ST_OK;
	fd = spool_open(m->spool_dir, err);
	if (fd < 0)
		return ST_CANTCREAT;
	q.out = fdopen(fd, "w+");
	if (q.out == NULL) {
		close(fd);
		return write_error(err, _("re-encode"));
	}
	setvbuf(q.out, NULL, _IOFBF, IO_BLOCK);
	rc = message_body_blocks(m, qp_block, &q);
	if (rc != 0 || fflush(q.out) != 0 || ferror(q.out)) {
		fclose(q.out);
		return write_error(err, _("re-encode"));
	}
	close(m->body_fd);
	m->body_fd = dup(fd);
	m->body_size = ftello(q.out);
	m->longest_line = 76;
	fclose(q.out);
	i = message_find(m, "Content-Transfer-Encoding", 0);
	if (i >= 0)
		message_replace(m, (size_t)i, "quoted-printable");
	else
		message_append(m, "Content-Transfer-Encoding", "quoted-printable");
	if (message_find(m, "MIME-Version", 0) < 0)
		message_append(m, "MIME-Version", "1.0");
	return ST_OK;
}
