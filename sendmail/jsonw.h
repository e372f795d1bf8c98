/* SPDX-License-Identifier: MIT */
/*
 * jsonw - writing JSON text (RFC 8259) into a buf, for the JSON log
 * (saatja.ini(5), log_format).
 *
 * Only writing: saatja never parses JSON in sendmail, so this is small
 * and no JSON library is linked (each shared library costs every start).
 * The output is always valid JSON whatever the input bytes: a string is
 * escaped (quote, backslash, every control character, U+2028 and
 * U+2029), and a byte that is not part of well-formed UTF-8 becomes
 * U+FFFD. Nothing fails; allocation failure exits, as buf does.
 *
 * Members are added to an object that the caller opened with '{': a
 * comma goes before each member unless it is the first.
 */
#ifndef SAATJA_JSONW_H
#define SAATJA_JSONW_H

#include <stddef.h>

#include "buf.h"

/* The n octets at s as a JSON string, quotes included. */
void jsonw_string(struct buf *b, const char *s, size_t n);
/* "key":"s" (s NUL-terminated; NULL gives null). */
void jsonw_str(struct buf *b, const char *key, const char *s);
/* "key":"s" for the n octets at s, which may hold any byte. */
void jsonw_strn(struct buf *b, const char *key, const char *s, size_t n);
/* "key":n */
void jsonw_int(struct buf *b, const char *key, long long n);
/* "key":x with two decimals (a finite number; not finite gives null). */
void jsonw_num(struct buf *b, const char *key, double x);
/* "key":[ then jsonw_item for each string, then jsonw_close(b, ']'). */
void jsonw_array(struct buf *b, const char *key);
void jsonw_item(struct buf *b, const char *s);
void jsonw_close(struct buf *b, char c);

#endif
