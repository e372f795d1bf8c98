/* SPDX-License-Identifier: MIT */
/*
 * util - facts about this machine and the caller that several modules need,
 * and writing a whole buffer or fsyncing a directory, for every module that
 * puts a file durably in place.
 */
#ifndef SAATJA_UTIL_H
#define SAATJA_UTIL_H

#include <stddef.h>

/* The host name as gethostname() gives it ("web1"). */
const char *host_name(void);
/*
 * The fully qualified name ("web1.firma.ee"): the host name when it holds
 * a dot, else its canonical name from the resolver (usually /etc/hosts),
 * else the host name. Looked up once, on first use.
 */
const char *host_fqdn(void);
/* The caller's full name from the password file (GECOS up to ','), or
 * NULL. */
const char *caller_full_name(void);
/* Non-zero when this process runs with raised privileges (set-group-ID
 * or set-user-ID): then the caller's environment picks nothing. */
int raised_privileges(void);
/* Writes all n bytes of p to fd, going on after EINTR and short writes.
 * Returns 0, or -1 with errno set (0 from write() counts as an error). */
int write_all(int fd, const char *p, size_t n);
/* fsyncs the directory dir, so that a rename or unlink in it is on disk.
 * Returns 0, or -1 with errno set. */
int fsync_dir(const char *dir);
/* Fills out with n random bytes (getrandom, falling back to time). */
void random_bytes(void *out, unsigned n);
/*
 * For a child that delivers while the caller goes on (-odb, the
 * backlog): no terminal, none of the caller's pipes (which it waits to
 * see closed), its own session, and a lower priority, so that the
 * caller's own exit and whatever it does next come first.
 */
void detach_from_caller(void);
/* The value of hexadecimal digit c (either case), or -1. */
int hex_value(int c);

#endif
