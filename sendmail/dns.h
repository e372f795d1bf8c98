/* SPDX-License-Identifier: MIT */
/*
 * dns - the two lookups that sendmail --setup needs beyond getaddrinfo:
 * a domain's MX records (RFC 5321, section 5) and the submission SRV
 * records of RFC 6186 and RFC 8314 (_submissions._tcp, _submission._tcp).
 *
 * The query goes through glibc's resolver (res_nquery, which reads
 * /etc/resolv.conf) with a short timeout and one retry; the answer is
 * taken into a fixed 4 KiB buffer and read by dns_parse, which trusts
 * nothing in it: every length is checked against the buffer, compressed
 * names may only point backwards, and a name is at most 255 octets.
 * The parser is fuzzed (tests/fuzz/fuzz_dns.c).
 */
#ifndef SAATJA_DNS_H
#define SAATJA_DNS_H

#include <stddef.h>

#include "buf.h"
#include "status.h"

#define DNS_T_MX 15
#define DNS_T_SRV 33
#define DNS_NAME_MAX 256
#define DNS_RR_MAX 16

struct dns_rr {
	unsigned pref;		/* MX preference, SRV priority */
	unsigned weight;	/* SRV */
	unsigned port;		/* SRV */
	char host[DNS_NAME_MAX];	/* exchange or target, no final dot;
					 * "." for SRV's "service not here" */
};

/*
 * Reads the records of type (DNS_T_MX or DNS_T_SRV) in the answer
 * section of the DNS message msg[0..len) into rr (at most max, sorted by
 * pref, then for SRV by weight, highest first), and sets *n. Records of
 * other types (a CNAME on the way) are skipped. Returns 0, or -1 for a
 * message that is malformed (why in err, when not NULL).
 */
int dns_parse(const unsigned char *msg, size_t len, int type,
    struct dns_rr *rr, size_t max, size_t *n, struct buf *err);

/*
 * Looks up name's records of type. ST_OK with *n records (0 when the
 * name or the type does not exist); ST_TEMP_NETWORK when the resolver
 * gave no answer in time or failed (err says which); ST_PROTOCOL for a
 * malformed answer.
 */
enum status dns_lookup(const char *name, int type, struct dns_rr *rr,
    size_t max, size_t *n, struct buf *err);

#endif
