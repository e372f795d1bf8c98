/* SPDX-License-Identifier: MIT */
/*
 * test_trust - finding names in DER certificates (which come from the
 * server, so from anyone) and picking certificates out of a PEM store by
 * subject.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trust.h"
#include "../lib/tap.h"

/* The start of a certificate as RFC 5280 lays it out, with the issuer
 * and subject Names given; the rest (key, extensions, signature) is
 * left out, as the walk never reaches it. */
static size_t
fake_cert(unsigned char *out, const char *issuer, const char *subject)
{
	unsigned char tbs[512];
	size_t n = 0, is = strlen(issuer), su = strlen(subject), o = 0;
	static const unsigned char head[] = {
		0xa0, 0x03, 0x02, 0x01, 0x02,		/* [0] version 3 */
		0x02, 0x01, 0x07,			/* serial 7 */
		0x30, 0x03, 0x06, 0x01, 0x2a,		/* signature */
	};
	static const unsigned char validity[] = { 0x30, 0x02, 0x05, 0x00 };

	memcpy(tbs, head, sizeof head);
	n = sizeof head;
	tbs[n++] = 0x30;
	tbs[n++] = (unsigned char)is;
	memcpy(tbs + n, issuer, is);
	n += is;
	memcpy(tbs + n, validity, sizeof validity);
	n += sizeof validity;
	tbs[n++] = 0x30;
	tbs[n++] = (unsigned char)su;
	memcpy(tbs + n, subject, su);
	n += su;
	/* Certificate and tbsCertificate in the long length form. */
	out[o++] = 0x30;
	out[o++] = 0x82;
	out[o++] = (unsigned char)((n + 4) >> 8);
	out[o++] = (unsigned char)(n + 4);
	out[o++] = 0x30;
	out[o++] = 0x82;
	out[o++] = (unsigned char)(n >> 8);
	out[o++] = (unsigned char)n;
	memcpy(out + o, tbs, n);
	return o + n;
}

static void
test_names_are_found(void)
{
	unsigned char der[600];
	size_t n = fake_cert(der, "issuer-name", "subject-name");
	struct trust_name is, su;

	is_int(trust_der_names(der, n, &is, &su), 1, "a whole certificate");
	ok(is.n == 13 && memcmp(is.p + 2, "issuer-name", 11) == 0,
	    "the issuer, tag and length included");
	ok(su.n == 14 && memcmp(su.p + 2, "subject-name", 12) == 0,
	    "the subject, tag and length included");
}

static void
test_every_cut_is_short_never_wrong(void)
{
	unsigned char der[600];
	size_t n = fake_cert(der, "issuer-name", "subject-name");
	struct trust_name is, su;
	int bad = 0;

	for (size_t k = 0; k < n; k++) {
		unsigned char *copy = malloc(k ? k : 1);

		memcpy(copy, der, k);	/* exactly k bytes: ASan sees overreads */
		if (trust_der_names(copy, k, &is, &su) != 0)
			bad++;
		free(copy);
	}
	is_int(bad, 0, "every prefix asks for more bytes");
}

static void
test_not_a_certificate_is_refused(void)
{
	unsigned char der[600];
	size_t n = fake_cert(der, "i", "s");
	struct trust_name is, su;

	der[0] = 0x31;
	is_int(trust_der_names(der, n, &is, &su), -1, "a SET is no certificate");
	n = fake_cert(der, "i", "s");
	der[1] = 0x85;
	is_int(trust_der_names(der, n, &is, &su), -1, "a length of 5 bytes");
	n = fake_cert(der, "i", "s");
	der[8 + 5] = 0x1f;
	is_int(trust_der_names(der, n, &is, &su), -1, "a multi-byte tag");
}

static void
b64(FILE *f, const unsigned char *p, size_t n)
{
	static const char d[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) |
		    (i + 2 < n ? p[i + 2] : 0);

		fputc(d[v >> 18], f);
		fputc(d[v >> 12 & 63], f);
		fputc(i + 1 < n ? d[v >> 6 & 63] : '=', f);
		fputc(i + 2 < n ? d[v & 63] : '=', f);
		if (i % 48 == 45)
			fputs("\r\n", f);
	}
	fputs("\r\n", f);
}

static void
pem(FILE *f, const char *kind, const char *issuer, const char *subject)
{
	unsigned char der[600];
	size_t n = fake_cert(der, issuer, subject);

	fprintf(f, "-----BEGIN %s-----\r\n", kind);
	b64(f, der, n);
	fprintf(f, "-----END %s-----\r\n", kind);
}

static void
test_pick_takes_every_block_with_the_name(void)
{
	char path[] = "/tmp/saatja-test-trust-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	unsigned char der[600];
	struct trust_name want, other;
	struct buf out = BUF_INIT;
	const char *end = "-----END X509 CERTIFICATE-----\r\n";
	size_t n;

	fputs("# a comment\nCA one\n", f);
	pem(f, "CERTIFICATE", "root", "ca-one");
	pem(f, "CERTIFICATE", "root", "ca-two");
	fputs("-----BEGIN CERTIFICATE-----\n!!!! not base64\n-----END CERTIFICATE-----\n", f);
	pem(f, "X509 CERTIFICATE", "other", "ca-one");
	pem(f, "PUBLIC KEY", "root", "ca-one");
	fclose(f);
	n = fake_cert(der, "x", "ca-one");
	is_int(trust_der_names(der, n, &other, &want), 1, "the wanted name");
	is_int(trust_pick(path, &want, 1, &out), 4, "four certificate blocks");
	is_int((long)(strstr(out.data, "BEGIN CERTIFICATE") != NULL) +
	    (strstr(out.data, "BEGIN X509 CERTIFICATE") != NULL), 2,
	    "both blocks named ca-one");
	ok(strstr(out.data, "PUBLIC KEY") == NULL, "no other kind of block");
	is_str(out.data + out.len - strlen(end), end, "whole blocks, in order");
	is_int((long)strlen(out.data), (long)out.len, "nothing but text");
	buf_reset(&out);
	is_int(trust_pick(path, &want, 0, &out), 4, "no names: the blocks counted");
	is_int((long)out.len, 0, "no names: nothing picked");
	unlink(path);
	is_int(trust_pick(path, &want, 1, &out), -1, "a missing file");
	buf_free(&out);
}

int
main(void)
{
	test_names_are_found();
	test_every_cut_is_short_never_wrong();
	test_not_a_certificate_is_refused();
	test_pick_takes_every_block_with_the_name();
	return done_testing();
}
