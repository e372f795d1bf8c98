/* SPDX-License-Identifier: MIT */
/*
 * address - RFC 5322 address lists, parsed into mailboxes.
 *
 * Understands what real mail carries: display names as phrases, quoted
 * strings or trailing comments ("root (Cron Daemon)"), nested comments,
 * groups ("undisclosed-recipients:;"), RFC 2047 encoded words (kept as
 * written, they are valid in a phrase), UTF-8 (RFC 6532), and the obsolete
 * forms still seen in the wild: source routes (<@a,@b:u@d>), dots and
 * spaces in local parts and phrases, empty list elements.
 *
 * A mailbox without "@" (root, www-data, <fail2ban>) is kept with a NULL
 * domain: to saatja it is a local name, not an error.
 */
#ifndef SAATJA_ADDRESS_H
#define SAATJA_ADDRESS_H

#include <stddef.h>

#include "buf.h"
#include "status.h"

struct mailbox {
	char *display;	/* display name as it may be written back, or NULL */
	char *local;	/* local part, unquoted */
	char *domain;	/* domain, or NULL for a bare local name */
	char *addr;	/* addr-spec as sent on the wire: local[@domain] */
};

struct addrlist {
	struct mailbox *v;
	size_t n;
	size_t cap;
};

#define ADDRLIST_INIT { NULL, 0, 0 }

/*
 * Parses text (a header value or a command-line argument) and appends its
 * mailboxes to out; group names are dropped, their members kept. Returns
 * ST_OK, or ST_DATAERR with a reason in err ("unbalanced quote", ...); on
 * failure out holds what was appended before the error.
 */
enum status addr_parse_list(const char *text, struct addrlist *out,
    struct buf *err);

/*
 * Parses text as exactly one mailbox. ST_DATAERR when there is none or
 * more than one.
 */
enum status addr_parse_one(const char *text, struct mailbox *out,
    struct buf *err);

void addr_free(struct mailbox *m);
void addrlist_free(struct addrlist *l);

/* Non-zero when the two addr-specs are the same address (case-blind). */
int addr_equal(const char *a, const char *b);

/* Non-zero when s holds any byte >= 0x80 (needs SMTPUTF8 on the wire). */
int addr_is_8bit(const char *s);

/*
 * Appends to out a mailbox for a header: 'display <addr>' when display is
 * non-empty, else the bare addr. The display text (as parsed: unquoted,
 * encoded words and UTF-8 kept as written) is quoted when it is not a
 * plain run of atoms.
 */
void addr_format(struct buf *out, const char *display, const char *addr);

/*
 * Appends the RFC 2047 encoded form of UTF-8 text (one or more encoded
 * words, each within 75 octets) when it needs it, else the text itself,
 * quoted if it holds specials.
 */
void addr_encode_phrase(struct buf *out, const char *text);

#endif
