/* SPDX-License-Identifier: MIT */
/*
 * trust - picking out of a PEM trust store the few CA certificates that
 * can anchor one server's chain, without parsing the others.
 *
 * Why: parsing the whole system store (/etc/ssl/certs/ca-certificates.crt,
 * about 145 certificates on Debian 12) with GnuTLS costs more CPU than the
 * rest of a send and a third of the memory (doc/PERFORMANCE.md). GnuTLS
 * only ever uses a trusted certificate whose subject is the issuer of a
 * certificate in the server's chain, or one that equals a certificate of
 * the chain (it then cuts the chain there); both are found by comparing
 * the DER bytes of names, the same byte comparison GnuTLS makes. So the
 * certificates this module picks, handed to GnuTLS, give the verdict the
 * whole file would give when they verify; tls.c asks the whole store
 * whenever they do not. Nothing is kept between runs: the file is read
 * each time, so a changed store counts for the next message.
 */
#ifndef SAATJA_TRUST_H
#define SAATJA_TRUST_H

#include <stddef.h>

#include "buf.h"

/* A name as DER bytes (the whole Name, tag and length included). */
struct trust_name {
	const unsigned char *p;
	size_t n;
};

/*
 * Finds the issuer and subject Names in the DER certificate der. Returns
 * 1 when both were found, 0 when der is cut short before the end of the
 * subject (more bytes may find them), -1 when it is not a certificate.
 */
int trust_der_names(const unsigned char *der, size_t n,
    struct trust_name *issuer, struct trust_name *subject);

/*
 * Reads the PEM file path and appends to pem every certificate block
 * (BEGIN CERTIFICATE or BEGIN X509 CERTIFICATE) whose subject equals one
 * of the n names, byte for byte, in the order of the file. Returns how
 * many certificate blocks the file holds, or -1 (errno set) when it
 * cannot be read. A block that does not decode is skipped.
 */
int trust_pick(const char *path, const struct trust_name *names, size_t n,
    struct buf *pem);

#endif
