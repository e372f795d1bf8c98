/* SPDX-License-Identifier: MIT */
/*
 * tls - putting TLS on a connection (GnuTLS), and deciding whether the
 * server's certificate is the one to send a password to.
 *
 * TLS 1.2 is the minimum. The certificate chain and host name are
 * checked against the system trust store, or the account's ca_file; an
 * account with a fingerprint pin trusts exactly the certificate with that
 * SHA-256 fingerprint instead. Of the system store only the CA
 * certificates that the server's chain names are loaded (trust.h); when
 * they do not verify the chain, the whole store decides. Every refusal says in plain words why
 * (untrusted issuer, expired, made out to another name), naming the
 * certificate's subject, and that nothing was sent.
 */
#ifndef SAATJA_TLS_H
#define SAATJA_TLS_H

#include "buf.h"
#include "net.h"
#include "status.h"

/* What tls_start needs to know, as plain values. */
struct tls_params {
	const char *host;	/* the name the certificate must be made out to */
	const char *ca_file;	/* PEM file of trusted CAs; NULL: the system store */
	const unsigned char *pin;	/* the certificate's SHA-256 (32 bytes), which
				 * alone is trusted; NULL: no pin */
	int timeout_ms;		/* for the whole handshake */
	int implicit;		/* TLS from the first byte (tls = tls): a plain
				 * text greeting means the wrong port */
};

/*
 * Runs the TLS handshake on c (connected, with nothing unread buffered)
 * and verifies the server as p says. On ST_OK, c->tls is set and net_read_line and
 * net_write go through TLS. Failures: ST_NOPERM when the certificate is
 * not trusted, the pin does not match, or the server offers only TLS
 * older than 1.2; ST_TEMP_PROTOCOL when the handshake was cut short;
 * ST_TEMP_NETWORK on timeout; ST_CONFIG when there are no trusted
 * certificates to verify with (c->no_trust set) or, with p->implicit,
 * the server greets in plain text; ST_OSERR when GnuTLS cannot be set up;
 * ST_PROTOCOL for any other handshake error.
 */
enum status tls_start(struct conn *c, const struct tls_params *p,
    struct buf *err);

/* The negotiated protocol ("TLSv1.3"), or "none" without TLS. */
const char *tls_version(const struct conn *c);

/* The negotiated cipher suite ("TLS_AES_256_GCM_SHA384"), or "none"
 * without TLS. */
const char *tls_cipher(const struct conn *c);

/*
 * Appends a description of the server's certificate to out, for --check:
 * its subject, its issuer and when it expires. Returns 0, or -1 (out
 * unchanged) when TLS is not up or the certificate cannot be read.
 */
int tls_describe_peer(const struct conn *c, struct buf *out);

/*
 * Appends, for --check, what verified the server's certificate: the
 * store (ca_file = and its path, or the system trust store and its file)
 * and the trusted CA certificate(s) it took from there, or that the whole
 * store was needed. Returns 0, or -1 (out unchanged) when TLS is not up
 * or nothing was verified against a store (a pin).
 */
int tls_describe_trust(const struct conn *c, struct buf *out);

/* When the PEM certificate in the file path expires (seconds since the
 * epoch) into *when, for --check. Returns 0, or -1 when the file cannot
 * be read or holds no certificate. */
int tls_cert_file_expiry(const char *path, long long *when);

/* Sends close_notify without waiting for the answer and frees the TLS
 * state; c->tls is NULL afterwards. */
void tls_end(struct conn *c);
/* Frees the TLS state without a word to the server (a session another
 * process took over after fork); c->tls is NULL afterwards. */
void tls_discard(struct conn *c);

#endif
