/* SPDX-License-Identifier: MIT */
/*
 * trust - reading names out of DER certificates and picking certificates
 * out of a PEM store by subject; see trust.h for why.
 *
 * Only the start of each certificate is decoded: the subject comes before
 * the key and the extensions, within the first few hundred bytes, and a
 * certificate whose subject matches no name is skipped up to its END
 * line. The DER walk reads the fixed order of RFC 5280 section 4.1
 * (Certificate, tbsCertificate, [0] version, serialNumber, signature,
 * issuer, validity, subject) and trusts no length it has not checked
 * against the bytes it has.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trust.h"

/* One DER header at p: its tag, header length and content length.
 * 1 when all of the header is there, 0 when cut short, -1 when bad. */
static int
der_header(const unsigned char *p, size_t n, unsigned *tag, size_t *hdr,
    size_t *len)
{
	size_t k;

	if (n < 2)
		return 0;
	*tag = p[0];
	if ((p[0] & 0x1f) == 0x1f)
		return -1;	/* multi-byte tags never occur before the subject */
	if (p[1] < 0x80) {
		*hdr = 2;
		*len = p[1];
		return 1;
	}
	k = p[1] & 0x7f;
	if (k == 0 || k > 4)
		return -1;
	if (n < 2 + k)
		return 0;
	*len = 0;
	for (size_t i = 0; i < k; i++)
		*len = *len << 8 | p[2 + i];
	*hdr = 2 + k;
	return 1;
}

/* Steps over one whole element with tag want at *pos, or enters it
 * (enter != 0: only its header). The element is stored in *el when el is
 * not NULL. Returns as der_header does. */
static int
der_step(const unsigned char *der, size_t n, size_t *pos, unsigned want,
    int enter, struct trust_name *el)
{
	unsigned tag;
	size_t hdr, len;
	int r = der_header(der + *pos, n - *pos, &tag, &hdr, &len);

	if (r <= 0)
		return r;
	if (tag != want)
		return -1;
	if (enter) {
		*pos += hdr;
		return 1;
	}
	if (len > n - *pos - hdr)
		return 0;
	if (el) {
		el->p = der + *pos;
		el->n = hdr + len;
	}
	*pos += hdr + len;
	return 1;
}

int
trust_der_names(const unsigned char *der, size_t n,
    struct trust_name *issuer, struct trust_name *subject)
{
	size_t pos = 0;
	int r;

	if ((r = der_step(der, n, &pos, 0x30, 1, NULL)) <= 0 ||	/* Certificate */
	    (r = der_step(der, n, &pos, 0x30, 1, NULL)) <= 0)	/* tbsCertificate */
		return r;
	if (pos >= n)
		return 0;
	if (der[pos] == 0xa0 && (r = der_step(der, n, &pos, 0xa0, 0, NULL)) <= 0)
		return r;	/* [0] version */
	if ((r = der_step(der, n, &pos, 0x02, 0, NULL)) <= 0 ||	/* serial */
	    (r = der_step(der, n, &pos, 0x30, 0, NULL)) <= 0 ||	/* signature */
	    (r = der_step(der, n, &pos, 0x30, 0, issuer)) <= 0 ||
	    (r = der_step(der, n, &pos, 0x30, 0, NULL)) <= 0 ||	/* validity */
	    (r = der_step(der, n, &pos, 0x30, 0, subject)) <= 0)
		return r;
	return 1;
}

/* The base64 digits (RFC 4648 section 4); -1 for anything else, which a
 * PEM body only holds as line ends and the closing '='. */
static int
b64_digit(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* A certificate block being read. */
struct block {
	struct buf der;		/* decoded so far */
	unsigned long acc;	/* bits of an unfinished group of four */
	int k;			/* digits in acc */
	int verdict;		/* 1 wanted, -1 not, 0 not known yet */
	struct buf pem;		/* the block's text, while it may be wanted */
};

static void
b64_add(struct block *b, const char *line, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int d = b64_digit((unsigned char)line[i]);

		if (line[i] == '=' && b->k >= 2) {
			/* the end: the bits of one or two bytes wait in acc */
			buf_addc(&b->der, (char)(b->acc >> (b->k == 2 ? 4 : 10)));
			if (b->k == 3)
				buf_addc(&b->der, (char)(b->acc >> 2));
			b->k = 0;
		}
		if (d < 0)
			continue;
		b->acc = (b->acc << 6 | (unsigned)d) & 0xffffff;
		if (++b->k == 4) {
			buf_addc(&b->der, (char)(b->acc >> 16));
			buf_addc(&b->der, (char)(b->acc >> 8));
			buf_addc(&b->der, (char)b->acc);
			b->k = 0;
		}
	}
}

static int
wanted(const struct block *b, const struct trust_name *names, size_t n)
{
	struct trust_name issuer, subject;
	int r = trust_der_names((const unsigned char *)b->der.data, b->der.len,
	    &issuer, &subject);

	if (r <= 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (names[i].n == subject.n &&
		    memcmp(names[i].p, subject.p, subject.n) == 0)
			return 1;
	return -1;
}

static int
starts(const char *line, const char *prefix)
{
	return strncmp(line, prefix, strlen(prefix)) == 0;
}

/* Feeds one line of the file to b; *open says whether a block is open. */
static void
pick_line(struct block *b, int *open, int *count, const char *line,
    size_t len, const struct trust_name *names, size_t n, struct buf *out)
{
	if (!*open) {
		if (!starts(line, "-----BEGIN CERTIFICATE-----") &&
		    !starts(line, "-----BEGIN X509 CERTIFICATE-----"))
			return;
		*open = 1;
		++*count;
		buf_reset(&b->der);
		buf_reset(&b->pem);
		b->acc = 0;
		b->k = 0;
		b->verdict = 0;
		buf_add(&b->pem, line, len);
		return;
	}
	if (starts(line, "-----END ")) {
		if (b->verdict > 0) {
			buf_add(out, b->pem.data, b->pem.len);
			buf_add(out, line, len);
		}
		*open = 0;
		return;
	}
	if (b->verdict < 0)
		return;
	buf_add(&b->pem, line, len);
	if (b->verdict == 0 && memchr(line, ':', len) == NULL) {
		b64_add(b, line, len);
		b->verdict = wanted(b, names, n);
	}
}

int
trust_pick(const char *path, const struct trust_name *names, size_t n,
    struct buf *pem)
{
	struct block b = { BUF_INIT, 0, 0, 0, BUF_INIT };
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int open = 0, count = 0;

	if (f == NULL)
		return -1;
	while ((len = getline(&line, &cap, f)) > 0)
		pick_line(&b, &open, &count, line, (size_t)len, names, n, pem);
	if (ferror(f))
		count = -1;
	free(line);
	fclose(f);
	buf_free(&b.der);
	buf_free(&b.pem);
	return count;
}
