/* SPDX-License-Identifier: MIT */
/*
 * smtp_io - the command and reply plumbing of an SMTP session, shared by
 * the files of the smtp module (smtp.c, smtp_mail.c) and by no one else.
 *
 * Commands queue up in s->out (the trace shows them, AUTH data as
 * ********) until smtp_flush writes them in one go; replies come back one
 * at a time through smtp_read_reply. A failure of either closes the
 * session for good (s->open = 0).
 */
#ifndef SAATJA_SMTP_IO_H
#define SAATJA_SMTP_IO_H

#include "buf.h"
#include "smtp.h"
#include "status.h"

/* Queues a command line (CRLF added). */
void smtp_put(struct smtp *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Queues shown followed by secret; the trace shows shown and ********. */
void smtp_put_secret(struct smtp *s, const char *shown, const char *secret);
/* Writes what is queued. ST_OK, or net's and tls's failures. */
enum status smtp_flush(struct smtp *s, struct buf *err);
/* Reads one whole reply into s->reply. ST_OK, ST_PROTOCOL for a broken
 * reply, or net's and tls's failures. */
enum status smtp_read_reply(struct smtp *s, struct buf *err);
/*
 * For a reply other than the one expected: err := "the server H[ip]:p
 * refused <what>: <reply>". Returns ST_TEMP_SERVER for 4xx,
 * ST_UNAVAILABLE for 5xx, ST_PROTOCOL for anything else.
 */
enum status smtp_refused(struct smtp *s, const char *what, struct buf *err);

#endif
