/* SPDX-License-Identifier: MIT */
/*
 * buf - a growable byte string that cannot overflow.
 *
 * Every piece of text saatja builds (header fields, SMTP commands, error
 * messages) goes through this type, so no code computes a buffer size by
 * hand. The data is always NUL-terminated after len bytes, but may itself
 * contain NUL bytes when it holds raw input.
 *
 * Allocation failure is not recoverable for a mail submission program: the
 * helpers print a message and exit with EX_OSERR, which tells the caller the
 * message was not taken.
 */
#ifndef SAATJA_BUF_H
#define SAATJA_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* Empties b but keeps its memory. */
void buf_reset(struct buf *b);
/* For a buffer that held a secret: overwrites all of its memory, then
 * empties it (buf_wipe, memory kept) or frees it (buf_free_secret). */
void buf_wipe(struct buf *b);
void buf_free_secret(struct buf *b);
/*
 * Appends what fd gives until its end, going on after EINTR, at most max
 * octets; the rest is read and dropped, so a writer is never left
 * blocked. The read buffer is wiped: what came may be a secret. Returns
 * 0; 1 when more than max came; -1 with errno when a read failed.
 */
int buf_read_fd(struct buf *b, int fd, size_t max);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Appends one item of a list: sep, unless b is still empty, then the
 * item as fmt says. */
void buf_list_add(struct buf *b, const char *sep, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Appends the n octets at p as one line that no terminal, log or SMTP
 * client can misread: CR and LF become a space, any other control
 * character (TAB stays) a '?'. With ascii, so does an octet >= 0x80
 * (SMTP replies); else UTF-8 stays.
 */
void buf_add_line(struct buf *b, const char *p, size_t n, int ascii);
/* The contents as a C string ("" when empty, never NULL). */
const char *buf_str(const struct buf *b);
/* Hands the contents to the caller (to free) and empties b. */
char *buf_take(struct buf *b);

/* Out-of-memory-safe allocation helpers used across the program. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows an array of elem-sized items so that it holds at least need items. */
void *xgrow(void *p, size_t *cap, size_t need, size_t elem);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Overwrites then frees a secret (a password); NULL is fine. */
void xfree_secret(char *s);

/* A list of owned strings. */
struct strlist {
	char **v;
	size_t n;
	size_t cap;
};

#define STRLIST_INIT { NULL, 0, 0 }

void strlist_add(struct strlist *l, const char *s);
void strlist_add_owned(struct strlist *l, char *s);
/* Adds each word of s, words being separated by any of seps. */
void strlist_split(struct strlist *l, const char *s, const char *seps);
/* The index of word among the NULL-terminated words (case-blind), or
 * -1: a value that must be one of a few keywords. */
int word_index(const char *const *words, const char *word);
/* Case-insensitive membership test. */
int strlist_has(const struct strlist *l, const char *s);
void strlist_free(struct strlist *l);

#endif
