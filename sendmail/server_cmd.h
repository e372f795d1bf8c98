/* SPDX-License-Identifier: MIT */
/*
 * server_cmd - the parser of one SMTP command line as the -bs server
 * receives it from its caller (RFC 5321 §4.1).
 *
 * The parser knows the syntax only; whether a command is allowed now
 * (MAIL inside a transaction, DATA before RCPT) is the server's
 * business. The caller is not trusted: a line with a control character
 * (CR, LF, NUL and the others, TAB excepted) is refused as a whole, so
 * nothing taken from a command can carry a line break into a header or
 * an SMTP command further on.
 */
#ifndef SAATJA_SERVER_CMD_H
#define SAATJA_SERVER_CMD_H

#include <stddef.h>

enum smtp_verb {
	CMD_BAD,		/* not a command at all; see reply */
	CMD_HELO,
	CMD_EHLO,
	CMD_MAIL,
	CMD_RCPT,
	CMD_DATA,
	CMD_RSET,
	CMD_NOOP,
	CMD_QUIT,
	CMD_HELP,
	CMD_VRFY,
	CMD_AUTH,
	CMD_UNKNOWN,		/* a word, but not one saatja knows */
};

#define SERVER_CMD_REPLY_MAX 128

struct server_cmd {
	enum smtp_verb verb;
	const char *arg;	/* into the line: after the verb and spaces */
	char *addr;		/* MAIL, RCPT: the address; NULL for <> */
	const char *body;	/* MAIL BODY=: "7BIT", "8BITMIME" or NULL */
	unsigned long size;	/* MAIL SIZE=, 0 when not given */
	int smtputf8;		/* MAIL SMTPUTF8 */
	/* The reply when the line cannot be accepted as it stands ("501 ..."),
	 * "" when it can. One line of printable ASCII without CRLF. */
	char reply[SERVER_CMD_REPLY_MAX];
};

/*
 * Parses the line of len octets (its line end already removed; it must
 * be followed by a NUL, which len does not count). Returns 0 and fills c
 * when the line is acceptable, -1 with c->reply set when not; either way
 * c->verb says what it was, and server_cmd_free releases c.
 */
int server_cmd_parse(const char *line, size_t len, struct server_cmd *c);
void server_cmd_free(struct server_cmd *c);

#endif
