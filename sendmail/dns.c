/* SPDX-License-Identifier: MIT */
/*
 * dns - MX and SRV lookups for sendmail --setup, and the parser of their
 * answers (dns.h).
 */
#include "autoconf.h"

#include <netdb.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "i18n.h"

#define HEADER_LEN 12
/* Compression pointers followed in one name: more is a loop. */
#define MAX_JUMPS 32

static int
get16(const unsigned char *msg, size_t len, size_t off, unsigned *v)
{
	if (off + 2 > len)
		return -1;
	*v = (unsigned)msg[off] << 8 | msg[off + 1];
	return 0;
}

/*
 * Reads the name at *off into out (dotted, no final dot; "." for the
 * root) and moves *off past it. Pointers must point before the place
 * they are read from, so that a name cannot loop.
 */
static int
get_name(const unsigned char *msg, size_t len, size_t *off, char *out)
{
	size_t p = *off, o = 0, end = 0;
	int jumps = 0;

	for (;;) {
		unsigned l;

		if (p >= len)
			return -1;
		l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (p + 1 >= len || ++jumps > MAX_JUMPS)
				return -1;
			to = (size_t)(l & 0x3f) << 8 | msg[p + 1];
			if (to >= p)
				return -1;
			if (end == 0)
				end = p + 2;
			p = to;
			continue;
		}
		if ((l & 0xc0) != 0)
			return -1;	/* the obsolete label types */
		if (l == 0) {
			if (end == 0)
				end = p + 1;
			break;
		}
		if (p + 1 + l > len || o + l + 2 > DNS_NAME_MAX)
			return -1;
		if (o > 0)
			out[o++] = '.';
		memcpy(out + o, msg + p + 1, l);
		o += l;
		p += 1 + l;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	/* A name with a NUL or a control octet in a label is no host. */
	for (size_t i = 0; i < o; i++)
		if ((unsigned char)out[i] <= ' ' || out[i] == 0x7f)
			return -1;
	*off = end;
	return 0;
}

static int
by_preference(const void *x, const void *y)
{
	const struct dns_rr *a = x, *b = y;

	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	return strcmp(a->host, b->host);
}

static int
malformed(struct buf *err, const char *what)
{
	if (err != NULL)
		buf_printf(err, _("the DNS answer is malformed (%s)"), what);
	return -1;
}

int
dns_parse(const unsigned char *msg, size_t len, int type,
    struct dns_rr *rr, size_t max, size_t *n, struct buf *err)
{
	unsigned qd, an;
	size_t off = HEADER_LEN;
	char name[DNS_NAME_MAX];

	*n = 0;
	if (len < HEADER_LEN)
		return malformed(err, "shorter than its header");
	get16(msg, len, 4, &qd);
	get16(msg, len, 6, &an);
	for (unsigned i = 0; i < qd; i++) {
		if (get_name(msg, len, &off, name) < 0 || off + 4 > len)
			return malformed(err, "question");
		off += 4;
	}
	for (unsigned i = 0; i < an; i++) {
		unsigned t, cls, rdlen;
		size_t rd, p;
		struct dns_rr r;

		if (get_name(msg, len, &off, name) < 0 ||
		    get16(msg, len, off, &t) < 0 ||
		    get16(msg, len, off + 2, &cls) < 0 ||
		    get16(msg, len, off + 8, &rdlen) < 0)
			return malformed(err, "answer record");
		rd = off + 10;
		if (rd + rdlen > len)
			return malformed(err, "record longer than the message");
		off = rd + rdlen;
		if ((int)t != type || cls != 1 || *n >= max)
			continue;
		memset(&r, 0, sizeof r);
		p = rd;
		if (type == DNS_T_MX) {
			if (rdlen < 3 || get16(msg, rd + rdlen, p, &r.pref) < 0)
				return malformed(err, "MX record");
			p += 2;
		} else if (type == DNS_T_SRV) {
			if (rdlen < 7 || get16(msg, rd + rdlen, p, &r.pref) < 0 ||
			    get16(msg, rd + rdlen, p + 2, &r.weight) < 0 ||
			    get16(msg, rd + rdlen, p + 4, &r.port) < 0)
				return malformed(err, "SRV record");
			p += 6;
		} else {
			continue;
		}
		/* The name may point back into the message, but must end
		 * within the record. */
		if (get_name(msg, len, &p, r.host) < 0 || p > rd + rdlen)
			return malformed(err, "name in a record");
		rr[(*n)++] = r;
	}
	qsort(rr, *n, sizeof *rr, by_preference);
	return 0;
}

enum status
dns_lookup(const char *name, int type, struct dns_rr *rr, size_t max,
    size_t *n, struct buf *err)
{
	struct __res_state res;
	unsigned char answer[4096];
	int len, h;
	enum status st = ST_OK;

	*n = 0;
	memset(&res, 0, sizeof res);
	if (res_ninit(&res) != 0) {
		buf_printf(err, _("the resolver cannot start (see /etc/resolv.conf)"));
		return ST_TEMP_NETWORK;
	}
	/* At most a few seconds for each server, whatever resolv.conf says. */
	if (res.retrans > 3)
		res.retrans = 3;
	if (res.retry > 2)
		res.retry = 2;
	len = res_nquery(&res, name, C_IN, type, answer, sizeof answer);
	h = res.res_h_errno;
	res_nclose(&res);
	if (len < 0) {
		if (h == HOST_NOT_FOUND || h == NO_DATA)
			return ST_OK;
		if (h == TRY_AGAIN)
			buf_printf(err, _("the name server did not answer for %s in time, or failed"), name);
		else
			buf_printf(err, _("the name server refused the query for %s"), name);
		return ST_TEMP_NETWORK;
	}
	if ((size_t)len > sizeof answer)
		len = sizeof answer;	/* what did not fit is cut off */
	if (dns_parse(answer, (size_t)len, type, rr, max, n, err) < 0)
		st = ST_PROTOCOL;
	return st;
}
