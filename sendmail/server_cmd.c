/* SPDX-License-Identifier: MIT */
/*
 * server_cmd - parser of one SMTP command line; see server_cmd.h.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "buf.h"
#include "server_cmd.h"

static const struct {
	const char *word;
	enum smtp_verb verb;
} verbs[] = {
	{ "HELO", CMD_HELO }, { "EHLO", CMD_EHLO }, { "MAIL", CMD_MAIL },
	{ "RCPT", CMD_RCPT }, { "DATA", CMD_DATA }, { "RSET", CMD_RSET },
	{ "NOOP", CMD_NOOP }, { "QUIT", CMD_QUIT }, { "HELP", CMD_HELP },
	{ "VRFY", CMD_VRFY }, { "AUTH", CMD_AUTH },
};

/* Longest verb looked at; a longer first word is no command. */
#define VERB_MAX 7

#if defined(__GNUC__)
static int refuse(struct server_cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#endif

/* Sets the reply and returns -1, for "return refuse(...)". */
static int
refuse(struct server_cmd *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->reply, sizeof c->reply, fmt, ap);
	va_end(ap);
	return -1;
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

/*
 * Reads the path after MAIL FROM: or RCPT TO: into c->addr (NULL for
 * "<>"). Returns the parameters after it, or NULL when the brackets do
 * not close or (*bad set) the path is not one address.
 */
static const char *
path(struct server_cmd *c, const char *arg, int *bad)
{
	struct mailbox mb;
	struct buf why = BUF_INIT;
	const char *rest;
	char *p;
	int ok;

	*bad = 0;
	if ((p = split_path(arg, &rest)) == NULL)
		return NULL;
	if (strcmp(p, "<>") == 0) {
		free(p);
		return rest;
	}
	memset(&mb, 0, sizeof mb);
	ok = *p && addr_parse_one(p, &mb, &why) == ST_OK && mb.addr &&
	    *mb.addr;
	if (ok)
		c->addr = xstrdup(mb.addr);
	addr_free(&mb);
	buf_free(&why);
	free(p);
	*bad = !ok;
	return ok ? rest : NULL;
}

/* The reply for a parameter that is not understood, naming its first
 * 60 octets with anything but printable ASCII shown as '?'. */
static int
unsupported(struct server_cmd *c, const char *p, size_t n)
{
	char shown[61];

	if (n > 60)
		n = 60;
	for (size_t i = 0; i < n; i++)
		shown[i] = p[i] > 0x20 && p[i] < 0x7f ? p[i] : '?';
	shown[n] = '\0';
	return refuse(c, "555 5.5.4 Unsupported option: %s", shown);
}

/* MAIL parameters: BODY=, SIZE= and SMTPUTF8. */
static int
mail_params(struct server_cmd *c, const char *p)
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
			if (end - value == 8 && strncasecmp(value, "8BITMIME", 8) == 0)
				c->body = "8BITMIME";
			else if (end - value == 4 && strncasecmp(value, "7BIT", 4) == 0)
				c->body = "7BIT";
			else
				return refuse(c, "501 5.5.4 Syntax: BODY=7BIT or BODY=8BITMIME");
		} else if (starts_with(p, "SIZE=", &value)) {
			if (value == end || end - value > 19 ||
			    strspn(value, "0123456789") != (size_t)(end - value))
				return refuse(c, "501 5.5.4 Syntax: SIZE=number");
			c->size = strtoul(value, NULL, 10);
		} else if (n == 8 && strncasecmp(p, "SMTPUTF8", 8) == 0) {
			c->smtputf8 = 1;
		} else {
			return unsupported(c, p, n);
		}
		p = end;
	}
	return 0;
}

static int
parse_mail(struct server_cmd *c)
{
	const char *arg = c->arg, *rest = NULL;
	int bad = 0;

	if (!starts_with(arg, "FROM:", &arg) ||
	    (rest = path(c, arg, &bad)) == NULL)
		return refuse(c, bad ? "501 5.1.7 Bad sender address syntax" :
		    "501 5.5.4 Syntax: MAIL FROM:<address>");
	return mail_params(c, rest);
}

static int
parse_rcpt(struct server_cmd *c)
{
	const char *arg = c->arg, *rest = NULL;
	int bad = 0;

	if (!starts_with(arg, "TO:", &arg) ||
	    (rest = path(c, arg, &bad)) == NULL) {
		if (!bad)
			return refuse(c, "501 5.5.4 Syntax: RCPT TO:<address>");
	}
	if (bad || c->addr == NULL)
		return refuse(c, "501 5.1.3 Bad recipient address syntax");
	while (*rest == ' ')
		rest++;
	if (*rest)
		return unsupported(c, rest, strcspn(rest, " "));
	return 0;
}

int
server_cmd_parse(const char *line, size_t len, struct server_cmd *c)
{
	size_t n = strcspn(line, " ");

	memset(c, 0, sizeof *c);
	c->verb = CMD_BAD;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return refuse(c, "500 5.5.2 Error: bad syntax");
	}
	if (n == 0)
		return refuse(c, "500 5.5.2 Error: bad syntax");
	c->arg = line + n;
	while (*c->arg == ' ')
		c->arg++;
	c->verb = CMD_UNKNOWN;
	for (size_t i = 0; n <= VERB_MAX && i < sizeof verbs / sizeof verbs[0]; i++)
		if (strlen(verbs[i].word) == n &&
		    strncasecmp(line, verbs[i].word, n) == 0)
			c->verb = verbs[i].verb;

	switch (c->verb) {
	case CMD_HELO:
	case CMD_EHLO:
		if (*c->arg == '\0')
			return refuse(c, "501 5.5.4 Syntax: %s hostname",
			    c->verb == CMD_EHLO ? "EHLO" : "HELO");
		return 0;
	case CMD_MAIL:
		return parse_mail(c);
	case CMD_RCPT:
		return parse_rcpt(c);
	case CMD_DATA:
		return *c->arg ? refuse(c, "501 5.5.4 Syntax: DATA") : 0;
	case CMD_VRFY:
		return *c->arg ? 0 : refuse(c, "501 5.5.4 Syntax: VRFY address");
	case CMD_UNKNOWN:
		return refuse(c, "500 5.5.1 Error: command not recognized");
	default:
		return 0;
	}
}

void
server_cmd_free(struct server_cmd *c)
{
	free(c->addr);
	c->addr = NULL;
}
