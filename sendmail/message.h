/* SPDX-License-Identifier: MIT */
/*
 * message - reading a message from the caller and writing it out again.
 *
 * The header section is kept in memory as a list of fields (edited by the
 * account module: From rewritten, Bcc removed, Date added); the body is
 * streamed once into a spool file with canonical CRLF line ends, so memory
 * stays flat whatever the size of the message. Writing the message out
 * (message_write) streams the spool again; SMTP dot-stuffing is the
 * transport's business, not this module's.
 *
 * Line ends: LF, CRLF, CR CR LF and a lone CR all end a line; what is
 * written is always CRLF, never CR CR LF.
 */
#ifndef SAATJA_MESSAGE_H
#define SAATJA_MESSAGE_H

#include <stdio.h>
#include <sys/types.h>

#include "buf.h"
#include "status.h"

/* Longest line (without CRLF) that RFC 5322 allows. */
#define MESSAGE_LINE_MAX 998

struct header {
	char *name;	/* field name as written */
	char *field;	/* the whole field, "Name: value", folded lines joined
			 * with CRLF, without the final CRLF */
};

struct message {
	struct header *hdrs;
	size_t nhdrs, cap;
	int body_fd;		/* spooled body, CRLF, -1 when none yet */
	off_t body_size;	/* octets in the spool */
	size_t longest_line;	/* octets, body lines without CRLF */
	int body_8bit;		/* a body octet >= 0x80 was seen */
	char *spool_dir;	/* where the body was spooled */
};

/*
 * Reads a message from in. With dot_ends, a line holding only "." ends it
 * (sendmail without -i). The body goes to an unlinked file in spool_dir.
 * Returns ST_OK; ST_DATAERR for an unusable header section (NUL bytes, a
 * header section over 1 MiB, an unfoldable over-long header line);
 * ST_CANTCREAT or ST_IOERR when the body cannot be spooled. err says why.
 */
enum status message_read(struct message *m, FILE *in, int dot_ends,
    const char *spool_dir, struct buf *err);

void message_init(struct message *m);
void message_free(struct message *m);

/* Index of the first field named name (case-blind) at or after from,
 * or -1. */
long message_find(const struct message *m, const char *name, size_t from);
/* The value of field i: after the colon, unfolded, leading space
 * removed. The caller frees it. */
char *message_value(const struct message *m, size_t i);
/* Removes every field named name. */
void message_remove(struct message *m, const char *name);
/* Removes field i. */
void message_remove_at(struct message *m, size_t i);
/* Replaces field i with "Name: value" (value may hold CRLF folds). */
void message_replace(struct message *m, size_t i, const char *value);
/* Appends a field "name: value" at the end of the header section. */
void message_append(struct message *m, const char *name, const char *value);
/* Appends a field given whole ("Name: value", folds as CRLF WSP), as
 * read back from the queue. */
void message_add_field(struct message *m, const char *field);

/*
 * Reads the spooled body back, in order, in blocks of up to 64 KiB,
 * handing each to fn. Returns 0 when fn took the whole body; what fn
 * returned when that was not 0 (it stops the reading); -1 when the spool
 * cannot be read back (errno says why, or is 0 when the spool is shorter
 * than it was).
 */
int message_body_blocks(const struct message *m,
    int (*fn)(void *arg, const char *p, size_t n), void *arg);

/* Octets of the message as written out: header section, empty line and
 * body, CRLF line ends, before any dot-stuffing. */
off_t message_size(const struct message *m);

/*
 * Writes the header section, the empty line and the body to out, CRLF
 * line ends, no dot-stuffing. ST_IOERR on a read or write error.
 */
enum status message_write(const struct message *m, FILE *out,
    struct buf *err);

/*
 * Makes every line fit MESSAGE_LINE_MAX. A single-part body with long
 * lines is re-encoded as quoted-printable (soft line breaks keep the text
 * exactly) into a new spool file beside the old one, with
 * Content-Transfer-Encoding and MIME-Version set; a multipart body cannot
 * be re-encoded without rewriting its parts, so it is left as it is and
 * the server decides. Returns ST_OK or the spool error.
 */
enum status message_fit_lines(struct message *m, struct buf *err);

#endif
