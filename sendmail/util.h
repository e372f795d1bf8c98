/*
 * util - facts about this machine and the caller that several modules need.
 */
#ifndef SAATJA_UTIL_H
#define SAATJA_UTIL_H

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
/* Fills out with n random bytes (getrandom, falling back to time). */
void random_bytes(void *out, unsigned n);

#endif
