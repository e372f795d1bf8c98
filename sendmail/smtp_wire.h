/*
 * smtp_wire - the session's command buffer and reply reader, shared by
 * the two halves of the SMTP client: smtp.c (connect, TLS, AUTH, RSET,
 * QUIT) and smtp_send.c (the mail transaction). Not for other modules;
 * they use smtp.h.
 */
#ifndef SAATJA_SMTP_WIRE_H
#define SAATJA_SMTP_WIRE_H

#include "buf.h"
#include "smtp.h"
#include "status.h"

/* Queues one command line (without CRLF) and shows it in the trace. */
void smtp_wire_put(struct smtp *s, const char *command);
/*
 * Writes what is queued in one go. ST_TEMP_NETWORK or ST_TEMP_PROTOCOL
 * when the connection fails (the session is then closed for use).
 */
enum status smtp_wire_flush(struct smtp *s, struct buf *err);
/* Reads one whole reply into s->reply; the failures of net_read_line,
 * or ST_PROTOCOL for a malformed reply. */
enum status smtp_wire_read(struct smtp *s, struct buf *err);
/*
 * For a reply that is not the one expected: err := "the server ...
 * refused <what>: <reply>"; returns ST_TEMP_SERVER (4xx),
 * ST_UNAVAILABLE (5xx) or ST_PROTOCOL.
 */
enum status smtp_wire_refused(struct smtp *s, const char *what,
    struct buf *err);

#endif
