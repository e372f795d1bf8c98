/* SPDX-License-Identifier: MIT */
/*
 * smtp - an SMTP submission session (RFC 5321, 6409): connect, greeting,
 * EHLO, STARTTLS, AUTH, then one or more mail transactions, then QUIT.
 *
 * The steps are separate calls so that one session can carry several
 * messages (smtp_send, smtp_reset between them, as a queue run does) and
 * so that a check can stop after any step:
 *
 *	smtp_open	connect, TLS (implicit or STARTTLS), EHLO
 *	smtp_auth	AUTH with the account's login and password
 *	smtp_send	MAIL, RCPT..., DATA or BDAT, the message, end of
 *			data: as many transactions as the recipients need
 *	smtp_try_sender	MAIL FROM then RSET: is this sender accepted?
 *	smtp_reset	RSET
 *	smtp_close	QUIT, without waiting long for its reply
 *
 * Nothing but STARTTLS is sent before TLS is up (unless the account says
 * tls = none and the server's address is a loopback address), and the
 * session never falls back to plaintext. With PIPELINING, MAIL, up to 100
 * RCPTs and DATA (or BDAT with the message, when the server offers
 * CHUNKING) go out as one write. The message is streamed from its spool
 * in large writes, so memory stays flat. The mail transaction lives in
 * smtp_mail.c; both files share the wire through smtp_io.h.
 *
 * Results: ST_OK; ST_TEMP_SERVER for a 4xx reply; ST_UNAVAILABLE for a
 * 5xx reply; ST_NOPERM for no encryption offered, an untrusted
 * certificate or a refused login; ST_NOUSER when every recipient was
 * refused; ST_PROTOCOL for a broken reply; ST_TEMP_NETWORK and
 * ST_TEMP_PROTOCOL from net and tls. err names the server, the command
 * and the server's reply.
 */
#ifndef SAATJA_SMTP_H
#define SAATJA_SMTP_H

#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "message.h"
#include "net.h"
#include "smtp_reply.h"
#include "tls.h"
#include "status.h"

struct credential;

struct smtp {
	struct conn conn;
	struct account *account;
	struct credential *cred;	/* the login's secret: credential.h */
	struct smtp_caps caps;
	struct smtp_reply reply;	/* the last reply read */
	FILE *trace;		/* the dialogue goes here (-v, -X), or NULL */
	char *helo;
	struct buf out;		/* commands not yet written */
	struct buf line;
	int open;		/* connected and not yet closed */
	unsigned long turns;	/* writes that waited for a reply */
	const char *mech;	/* the AUTH mechanism that logged in, or NULL */
	int rset_pending;	/* RSET to go ahead of the next MAIL */
	size_t rcpt_limit;	/* recipients a transaction, learned from a
				 * 452 "too many recipients"; 0 = none */
};

/* One mail transaction. */
struct smtp_envelope {
	const char *from;
	const struct strlist *rcpts;
	int smtputf8;		/* an address needs SMTPUTF8 */
	const char *body_type;	/* -B: "7BIT", "8BITMIME", or NULL */
	const char *dsn_notify;	/* -N, or NULL */
	const char *dsn_ret;	/* -R, or NULL */
	const char *dsn_envid;	/* -V, or NULL */
};

/* What became of each recipient, in envelope order. */
struct smtp_rcpt {
	const char *addr;	/* points into the envelope */
	int accepted;		/* the message was delivered to it */
	int refused;		/* refused for good (5xx) */
	char *reply;		/* the server's reply when not accepted */
};

struct smtp_result {
	struct smtp_rcpt *rcpts;
	size_t n;
	size_t refused;
	struct buf reply;	/* the reply to the last end of data */
	off_t size;		/* octets of the message as sent */
	unsigned transactions;	/* MAIL transactions it took */
};

/*
 * Connects to the account's server, reads the greeting, sends EHLO (helo,
 * or this host's FQDN when NULL), starts TLS as the account says and
 * repeats EHLO. smtp_auth asks cred for the secret. trace, when not
 * NULL, gets the dialogue with AUTH redacted. The session must be closed
 * with smtp_close whatever this returns.
 */
enum status smtp_open(struct smtp *s, struct account *a,
    struct credential *cred, const char *helo, FILE *trace,
    struct buf *err);

/*
 * Logs in with the first mechanism of the account's auth list that the
 * server offers. ST_NOPERM when the login is refused (with a hint about
 * the password), when no mechanism is shared, or when TLS is not up;
 * ST_TEMP_SERVER for a 4xx reply; ST_CONFIG when the password cannot be
 * had.
 */
enum status smtp_auth(struct smtp *s, struct buf *err);

/*
 * Sends message m to the envelope e, in as many transactions of the
 * session as the server's recipient limit (a 452 / x.5.3 reply) or the
 * account's max_rcpt require, each recipient in one. RCPTs are pipelined
 * 100 at a time, their replies read before more are written; with
 * CHUNKING the message goes as one BDAT LAST chunk. r (initialised here,
 * freed with smtp_result_free) tells each recipient's fate.
 *
 * ST_OK when every recipient was given the message or refused for good
 * (5xx), and one at least was given it. ST_NOUSER when all were refused
 * for good. ST_UNAVAILABLE before anything is sent when the message is
 * larger than the server's SIZE, or needs SMTPUTF8 that the server does
 * not offer. ST_TEMP_SERVER when some recipients must wait (a 4xx, or a
 * server that accepts none of the rest). Otherwise the refusal (of the
 * sender, of the message) or the failure that ended the session. With
 * any status, recipients marked accepted were given the message and must
 * not get it again. After a failure the transaction is reset when the
 * session still works, so the next smtp_send can follow.
 */
enum status smtp_send(struct smtp *s, const struct smtp_envelope *e,
    const struct message *m, struct smtp_result *r, struct buf *err);
void smtp_result_free(struct smtp_result *r);

/* MAIL FROM:<from> then RSET; ST_OK when the server accepts the sender. */
enum status smtp_try_sender(struct smtp *s, const char *from,
    struct buf *err);

/*
 * RSET: ends a transaction. With PIPELINING the RSET waits to go out in
 * one write with the next transaction's MAIL (smtp_send reads its reply
 * first), which saves a round trip a message in a queue run; at QUIT it
 * is dropped.
 */
enum status smtp_reset(struct smtp *s, struct buf *err);

/* Sends QUIT (when the session works) and closes; always safe to call. */
void smtp_close(struct smtp *s);
/*
 * Closes this process's end without a word to the server: after fork,
 * when the other process carries the session on.
 */
void smtp_abandon(struct smtp *s);

/*
 * Where the -v/-X dialogue goes: the file transcript (-X, opened for
 * appending with the caller's own rights: a set-group-ID sendmail must
 * not write where the caller cannot), else standard error when verbose
 * (-v), else NULL. NULL with transcript set: it cannot be opened (errno
 * says why). Close with smtp_trace_close.
 */
FILE *smtp_trace_open(const char *transcript, int verbose);
void smtp_trace_close(FILE *trace);

/* The TLS protocol in use ("TLSv1.3"), or "none". */
const char *smtp_tls_version(const struct smtp *s);

/* What tls_start needs from account a, for a handshake on c (whose
 * per-step timeout it takes). */
struct tls_params smtp_tls_params(const struct account *a,
    const struct conn *c);

/* The AUTH mechanism that logged in ("PLAIN"), or NULL before a login. */
const char *smtp_auth_mechanism(const struct smtp *s);

#endif
