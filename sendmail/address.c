/* SPDX-License-Identifier: MIT */
/*
 * address - RFC 5322 address-list parser; see address.h.
 *
 * Two passes: a tokenizer turns the text into words (atoms, quoted strings,
 * domain literals), comments and specials, remembering whether white space
 * came before each; a small recursive-descent parser then reads
 * address-list = address *("," address) from the tokens. Comments are kept
 * only so that "root (Cron Daemon)" can lend its comment as display name.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "address.h"

enum tok_kind {
	T_ATOM,		/* atext run */
	T_QSTRING,	/* quoted string, text unescaped */
	T_DLITERAL,	/* [domain literal], text as written */
	T_COMMENT,	/* (comment), text unescaped, outer parens removed */
	T_SPECIAL,	/* one of < > @ , ; : . and any other lone special */
};

struct tok {
	enum tok_kind kind;
	int space_before;
	char special;
	char *text;
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

static void
toks_free(struct toks *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
}

static void
toks_push(struct toks *t, enum tok_kind k, int sp, char special, char *text)
{
	t->v = xgrow(t->v, &t->cap, t->n + 1, sizeof *t->v);
	t->v[t->n].kind = k;
	t->v[t->n].space_before = sp;
	t->v[t->n].special = special;
	t->v[t->n].text = text;
	t->n++;
}

static int
is_atext(unsigned char c)
{
	if (c >= 0x80)
		return 1;	/* RFC 6532: UTF-8 is atext */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Reads a quoted string or comment body starting after its opening mark. */
static const char *
scan_delimited(const char *p, char close, int nests, struct buf *text,
    int *ok)
{
	int depth = 1;

	*ok = 0;
	while (*p) {
		unsigned char c = (unsigned char)*p;

		/* A quoted pair holds a visible character or white space,
		 * never a line end that could split a header or command. */
		if (c == '\\' && p[1] && p[1] != '\r' && p[1] != '\n') {
			buf_addc(text, p[1]);
			p += 2;
			continue;
		}
		if (c == '\r' || c == '\n') {
			p++;	/* folding inside a quoted string or comment */
			continue;
		}
		if (nests && c == '(')
			depth++;
		else if (c == close && --depth == 0) {
			*ok = 1;
			return p + 1;
		}
		buf_addc(text, (char)c);
		p++;
	}
	return p;
}

static enum status
tokenize(const char *p, struct toks *out, struct buf *err)
{
	int sp = 0;

	while (*p) {
		unsigned char c = (unsigned char)*p;
		struct buf text = BUF_INIT;
		int ok;

		if (is_wsp(c)) {
			sp = 1;
			p++;
			continue;
		}
		if (c == '"' || c == '(') {
			p = scan_delimited(p + 1, c == '"' ? '"' : ')',
			    c == '(', &text, &ok);
			if (!ok) {
				buf_free(&text);
				buf_adds(err, c == '"' ? _("a quoted string is not closed (missing '\"')") :
				    _("a comment is not closed (missing ')')"));
				return ST_DATAERR;
			}
			toks_push(out, c == '"' ? T_QSTRING : T_COMMENT, sp, 0,
			    buf_take(&text));
		} else if (c == '[') {
			const char *end = strchr(p, ']');

			if (end == NULL) {
				buf_adds(err, _("a domain literal is not closed (missing ']')"));
				return ST_DATAERR;
			}
			toks_push(out, T_DLITERAL, sp, 0,
			    xstrndup(p, (size_t)(end - p + 1)));
			p = end + 1;
		} else if (is_atext(c)) {
			const char *s = p;

			while (*p && is_atext((unsigned char)*p))
				p++;
			toks_push(out, T_ATOM, sp, 0, xstrndup(s, (size_t)(p - s)));
		} else {
			if (c < 0x20 || c == 0x7f) {
				buf_printf(err, _("a control character (0x%02x) is not allowed in an address"), c);
				return ST_DATAERR;
			}
			toks_push(out, T_SPECIAL, sp, (char)c, NULL);
			p++;
		}
		sp = 0;
	}
	return ST_OK;
}

struct parser {
	struct toks t;
	size_t i;
	struct buf *err;
};

static int
at_special(struct parser *ps, char c)
{
	return ps->i < ps->t.n && ps->t.v[ps->i].kind == T_SPECIAL &&
	    ps->t.v[ps->i].special == c;
}

static void
skip_comments(struct parser *ps, char **last_comment)
{
	while (ps->i < ps->t.n && ps->t.v[ps->i].kind == T_COMMENT) {
		if (last_comment) {
			free(*last_comment);
			*last_comment = xstrdup(ps->t.v[ps->i].text);
		}
		ps->i++;
	}
}

static int
is_word(const struct tok *t)
{
	return t->kind == T_ATOM || t->kind == T_QSTRING;
}

static enum status
unexpected(struct parser *ps, const char *where)	/* translated */
{
	if (ps->i >= ps->t.n) {
		buf_printf(ps->err, _("the address ends too early (%s)"), where);
	} else {
		const struct tok *t = &ps->t.v[ps->i];

		if (t->kind == T_SPECIAL)
			/* TRANSLATORS: the second %s says where, such as
			 * "in the domain" */
			buf_printf(ps->err, _("unexpected '%c' %s"), t->special, where);
		else
			buf_printf(ps->err, _("unexpected \"%s\" %s"), t->text, where);
	}
	return ST_DATAERR;
}

/* Is s atoms joined by single seps ("a.b.c" for '.', "Ann Lee" for ' ')? */
static int
atoms_joined_by(const char *s, char sep)
{
	if (*s == '\0' || *s == sep)
		return 0;
	for (; *s; s++) {
		if (*s == sep) {
			if (s[1] == sep || s[1] == '\0')
				return 0;
		} else if (!is_atext((unsigned char)*s))
			return 0;
	}
	return 1;
}

/* Does s need quoting to be a dot-atom local part? */
static int
needs_quotes(const char *s)
{
	return !atoms_joined_by(s, '.');
}

static void
add_quoted(struct buf *out, const char *s)
{
	buf_addc(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(out, '\\');
		buf_addc(out, *s);
	}
	buf_addc(out, '"');
}

/* local-part: word *("." word), with obsolete CFWS anywhere between. */
static enum status
parse_local(struct parser *ps, struct buf *local)
{
	size_t mark;

	for (;;) {
		skip_comments(ps, NULL);
		if (ps->i >= ps->t.n || !is_word(&ps->t.v[ps->i]))
			return unexpected(ps, _("in the local part"));
		buf_adds(local, ps->t.v[ps->i].text);
		ps->i++;
		mark = ps->i;
		skip_comments(ps, NULL);
		if (!at_special(ps, '.')) {
			ps->i = mark;	/* a trailing comment may be a name */
			return ST_OK;
		}
		while (at_special(ps, '.')) {	/* "a..b" seen in the wild */
			buf_addc(local, '.');
			ps->i++;
		}
		skip_comments(ps, NULL);
		if (ps->i >= ps->t.n || !is_word(&ps->t.v[ps->i]))
			return ST_OK;	/* trailing dot, obsolete but seen */
	}
}

static enum status
parse_domain(struct parser *ps, struct buf *domain)
{
	size_t mark;

	skip_comments(ps, NULL);
	if (ps->i < ps->t.n && ps->t.v[ps->i].kind == T_DLITERAL) {
		buf_adds(domain, ps->t.v[ps->i++].text);
		return ST_OK;
	}
	for (;;) {
		skip_comments(ps, NULL);
		if (ps->i >= ps->t.n || ps->t.v[ps->i].kind != T_ATOM)
			return unexpected(ps, _("in the domain"));
		buf_adds(domain, ps->t.v[ps->i++].text);
		mark = ps->i;
		skip_comments(ps, NULL);
		if (!at_special(ps, '.')) {
			ps->i = mark;
			return ST_OK;
		}
		buf_addc(domain, '.');
		ps->i++;
	}
}

static void
set_mailbox(struct mailbox *m, char *display, struct buf *local,
    struct buf *domain, int has_domain)
{
	struct buf addr = BUF_INIT;

	m->display = display;
	m->local = buf_take(local);
	m->domain = has_domain ? buf_take(domain) : NULL;
	/* Only the empty address of "<>" stays empty; ""@domain is quoted. */
	if (needs_quotes(m->local) && (*m->local || has_domain))
		add_quoted(&addr, m->local);
	else
		buf_adds(&addr, m->local);
	if (m->domain) {
		buf_addc(&addr, '@');
		buf_adds(&addr, m->domain);
	}
	m->addr = buf_take(&addr);
}

/* Non-zero when b holds a control character (TAB included). */
static int
has_control(const struct buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if ((unsigned char)b->data[i] < 0x20 || b->data[i] == 0x7f)
			return 1;
	return 0;
}

/* addr-spec, or the empty address inside "<>". */
static enum status
parse_addr_spec(struct parser *ps, struct mailbox *m, char *display,
    int allow_empty)
{
	struct buf local = BUF_INIT, domain = BUF_INIT;
	enum status st;
	int has_domain = 0;

	skip_comments(ps, NULL);
	if (allow_empty && at_special(ps, '>')) {
		set_mailbox(m, display, &local, &domain, 0);
		return ST_OK;
	}
	st = parse_local(ps, &local);
	if (st == ST_OK) {
		size_t mark = ps->i;

		skip_comments(ps, NULL);
		if (at_special(ps, '@')) {
			ps->i++;
			has_domain = 1;
			st = parse_domain(ps, &domain);
		} else
			ps->i = mark;
	}
	/* RFC 5321 has no way to send a TAB or other control character in
	 * a path, not even quoted, though RFC 5322 lets one stand in a
	 * quoted local part or a domain literal. */
	if (st == ST_OK && (has_control(&local) || has_control(&domain))) {
		buf_adds(ps->err, _("a TAB or control character in an address cannot be sent over SMTP"));
		st = ST_DATAERR;
	}
	if (st != ST_OK) {
		buf_free(&local);
		buf_free(&domain);
		free(display);
		return st;
	}
	set_mailbox(m, display, &local, &domain, has_domain);
	return ST_OK;
}

/* Phrase tokens [from, to) as display text; NULL when empty. */
static char *
phrase_text(struct parser *ps, size_t from, size_t to)
{
	struct buf b = BUF_INIT;

	for (size_t k = from; k < to; k++) {
		const struct tok *t = &ps->t.v[k];

		if (t->kind == T_COMMENT)
			continue;
		if (b.len && t->space_before)
			buf_addc(&b, ' ');
		if (t->kind == T_SPECIAL)
			buf_addc(&b, t->special);
		else
			buf_adds(&b, t->text);
	}
	if (b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

static enum status
parse_mailbox(struct parser *ps, struct mailbox *m)
{
	size_t start = ps->i, j;
	char *comment = NULL;
	enum status st;

	/* Find whether this is name-addr ("<" ahead) or addr-spec. */
	for (j = ps->i; j < ps->t.n; j++) {
		const struct tok *t = &ps->t.v[j];

		if (t->kind != T_SPECIAL || t->special == '.')
			continue;
		break;
	}
	if (j < ps->t.n && ps->t.v[j].special == '<') {
		char *display = phrase_text(ps, start, j);

		if (display == NULL) {	/* "(Name) <a@b>" */
			for (size_t k = start; k < j; k++)
				if (ps->t.v[k].kind == T_COMMENT) {
					display = xstrdup(ps->t.v[k].text);
					break;
				}
		}
		ps->i = j + 1;
		skip_comments(ps, NULL);
		if (at_special(ps, '@')) {	/* obsolete source route */
			while (ps->i < ps->t.n && !at_special(ps, ':'))
				ps->i++;
			if (!at_special(ps, ':')) {
				free(display);
				return unexpected(ps, _("in a source route"));
			}
			ps->i++;
		}
		st = parse_addr_spec(ps, m, display, 1);
		if (st != ST_OK)
			return st;
		skip_comments(ps, NULL);
		if (!at_special(ps, '>')) {
			addr_free(m);
			return unexpected(ps, _("where '>' should close the address"));
		}
		ps->i++;
		skip_comments(ps, NULL);
		return ST_OK;
	}
	st = parse_addr_spec(ps, m, NULL, 0);
	if (st != ST_OK)
		return st;
	skip_comments(ps, &comment);
	if (comment && *comment)
		m->display = comment;	/* "root (Cron Daemon)" */
	else
		free(comment);
	return ST_OK;
}

static void
list_push(struct addrlist *l, struct mailbox *m)
{
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof *l->v);
	l->v[l->n++] = *m;
}

static enum status
parse_mailbox_into(struct parser *ps, struct addrlist *out)
{
	struct mailbox m;
	enum status st = parse_mailbox(ps, &m);

	if (st == ST_OK)
		list_push(out, &m);
	return st;
}

/* Is the address at ps->i a group ("name:" before any "<" or "@")? */
static int
starts_group(struct parser *ps)
{
	for (size_t j = ps->i; j < ps->t.n; j++) {
		const struct tok *t = &ps->t.v[j];

		if (t->kind != T_SPECIAL || t->special == '.')
			continue;
		return t->special == ':';
	}
	return 0;
}

static enum status
parse_group(struct parser *ps, struct addrlist *out)
{
	enum status st;

	while (!at_special(ps, ':'))
		ps->i++;
	ps->i++;
	for (;;) {
		skip_comments(ps, NULL);
		while (at_special(ps, ','))
			ps->i++, skip_comments(ps, NULL);
		if (ps->i >= ps->t.n)
			return ST_OK;	/* a group missing its ';' is common */
		if (at_special(ps, ';')) {
			ps->i++;
			return ST_OK;
		}
		st = parse_mailbox_into(ps, out);
		if (st != ST_OK)
			return st;
		skip_comments(ps, NULL);
		if (!at_special(ps, ',') && !at_special(ps, ';') &&
		    ps->i < ps->t.n)
			return unexpected(ps, _("after an address in a group"));
	}
}

enum status
addr_parse_list(const char *text, struct addrlist *out, struct buf *err)
{
	struct parser ps = { { NULL, 0, 0 }, 0, err };
	enum status st = tokenize(text, &ps.t, err);

	while (st == ST_OK) {
		skip_comments(&ps, NULL);
		while (at_special(&ps, ','))
			ps.i++, skip_comments(&ps, NULL);
		if (ps.i >= ps.t.n)
			break;
		if (starts_group(&ps))
			st = parse_group(&ps, out);
		else
			st = parse_mailbox_into(&ps, out);
		if (st != ST_OK)
			break;
		skip_comments(&ps, NULL);
		if (ps.i < ps.t.n && !at_special(&ps, ','))
			st = unexpected(&ps, _("where ',' should separate addresses"));
	}
	toks_free(&ps.t);
	return st;
}

enum status
addr_parse_one(const char *text, struct mailbox *out, struct buf *err)
{
	struct addrlist l = ADDRLIST_INIT;
	enum status st = addr_parse_list(text, &l, err);

	if (st == ST_OK && l.n != 1) {
		buf_adds(err, l.n ? _("more than one address where one is expected") :
		    _("no address found"));
		st = ST_DATAERR;
	}
	if (st == ST_OK) {
		*out = l.v[0];
		l.n = 0;
	}
	addrlist_free(&l);
	return st;
}

void
addr_free(struct mailbox *m)
{
	free(m->display);
	free(m->local);
	free(m->domain);
	free(m->addr);
	memset(m, 0, sizeof *m);
}

void
addrlist_free(struct addrlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		addr_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int
addr_equal(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

int
addr_is_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* Can text stand as a phrase of atoms without quoting? */
static int
phrase_is_atoms(const char *s)
{
	return atoms_joined_by(s, ' ');
}

static void
add_phrase(struct buf *out, const char *text)
{
	if (phrase_is_atoms(text))
		buf_adds(out, text);
	else
		add_quoted(out, text);
}

void
addr_encode_phrase(struct buf *out, const char *text)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)text;
	size_t n = strlen(text);

	if (!addr_is_8bit(text)) {
		add_phrase(out, text);
		return;
	}
	/*
	 * "=?UTF-8?B?" + "?=" is 12 octets, leaving 63 for base64: 45 input
	 * octets. Cut only before a UTF-8 lead byte so that no word splits a
	 * character (RFC 2047 §5).
	 */
	while (n > 0) {
		size_t take = n < 45 ? n : 45;

		while (take < n && take > 1 && (p[take] & 0xc0) == 0x80)
			take--;
		buf_adds(out, "=?UTF-8?B?");
		for (size_t k = 0; k < take; k += 3) {
			unsigned v = (unsigned)p[k] << 16;

			if (k + 1 < take)
				v |= (unsigned)p[k + 1] << 8;
			if (k + 2 < take)
				v |= p[k + 2];
			buf_addc(out, b64[(v >> 18) & 63]);
			buf_addc(out, b64[(v >> 12) & 63]);
			buf_addc(out, k + 1 < take ? b64[(v >> 6) & 63] : '=');
			buf_addc(out, k + 2 < take ? b64[v & 63] : '=');
		}
		buf_adds(out, "?=");
		p += take;
		n -= take;
		if (n)
			buf_adds(out, "\r\n ");
	}
}

void
addr_format(struct buf *out, const char *display, const char *addr)
{
	if (display == NULL || *display == '\0') {
		buf_adds(out, addr);
		return;
	}
	add_phrase(out, display);
	buf_printf(out, " <%s>", addr);
}
