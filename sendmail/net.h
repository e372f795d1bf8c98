/* SPDX-License-Identifier: MIT */
/*
 * net - the byte stream to the mail server: connecting, and reading and
 * writing with a timeout, over plain TCP or, once tls_start has run, TLS.
 *
 * The socket is non-blocking and every wait goes through poll, so no step
 * waits longer than the account's timeout. The timeout is counted per
 * step (one connect over all addresses, one reply, one write), never
 * multiplied by the number of addresses or retries. Reads are buffered
 * here so that the SMTP layer asks for whole lines.
 *
 * Failures: a refused or timed-out connection and a failed name lookup
 * are ST_TEMP_NETWORK; a connection the server closes or resets is
 * ST_TEMP_PROTOCOL. The message in err names the host, address and port.
 */
#ifndef SAATJA_NET_H
#define SAATJA_NET_H

#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "buf.h"
#include "route.h"
#include "status.h"

#define NET_INBUF 16384

struct conn {
	int fd;			/* -1 when closed */
	int timeout_ms;		/* per step */
	char *host;		/* as configured */
	unsigned port;
	char ip[INET6_ADDRSTRLEN];	/* the connected peer address */
	int loopback;		/* the peer address is a loopback address */
	gnutls_session_t tls;	/* NULL until TLS is up */
	char in[NET_INBUF];
	size_t in_off, in_len;
	unsigned long reads;	/* reads that waited for the server */
	int cert_refused;	/* TLS failed on the server's certificate */
	int no_trust;		/* TLS had no trusted certificates to verify with */
	const struct route *route;	/* the proxy and source address, or NULL */
	char *via;		/* "host:port" of the proxy it goes through, or NULL */
	/* Opens another connection the way this one was opened (through
	 * the proxy), for net_plain_greeting; NULL: net_connect_from. */
	enum status (*redial)(struct conn *c, const struct route *r,
	    const char *host, unsigned port, unsigned timeout, struct buf *err);
};

/*
 * Connects to host:port within one timeout, racing the addresses
 * getaddrinfo gives as RFC 8305 says: families alternate from the first
 * one's, a new attempt starts every 250 ms (at once when the running
 * ones have failed), the first to connect wins and the others are
 * closed. Returns ST_OK, or ST_TEMP_NETWORK when the name does not
 * resolve or no address answers (err says which and why).
 */
enum status net_connect(struct conn *c, const char *host, unsigned port,
    unsigned timeout, struct buf *err);

/*
 * net_connect from r's source address when r has one (r may be NULL):
 * only the host's addresses of the source address's family are tried.
 * ST_CONFIG when this machine has no such address (EADDRNOTAVAIL) or the
 * host has no address of that family. With NET_TO_PROXY, err speaks of
 * the proxy (proxy.h) rather than of a mail server.
 */
#define NET_TO_PROXY 1
enum status net_connect_from(struct conn *c, const char *host, unsigned port,
    unsigned timeout, const struct route *r, int flags, struct buf *err);

/*
 * Writes all n bytes (through TLS when it is up) within one timeout.
 * ST_TEMP_NETWORK on timeout, ST_TEMP_PROTOCOL when the connection broke.
 */
enum status net_write(struct conn *c, const void *p, size_t n,
    struct buf *err);

/*
 * Reads one line up to and including LF into line (emptied first); the
 * line ends are kept. At most max octets are taken: a longer line is
 * ST_PROTOCOL. ST_TEMP_NETWORK on timeout; ST_TEMP_PROTOCOL when the
 * server closes the connection.
 */
enum status net_read_line(struct conn *c, struct buf *line, size_t max,
    struct buf *err);

/* Non-zero when a read would not wait (data already buffered). */
int net_pending(const struct conn *c);

/*
 * Waits until fd is ready for events (POLLIN or POLLOUT) or the per-step
 * deadline (a CLOCK_MONOTONIC time in ms, see net_deadline) passes.
 * Returns ST_OK, or ST_TEMP_NETWORK with what was waited for in err.
 */
enum status net_wait(const struct conn *c, short events, long long deadline,
    const char *what, struct buf *err);
/* CLOCK_MONOTONIC in milliseconds, for deadlines and durations. */
long long net_now_ms(void);
/* The deadline for a step that starts now. */
long long net_deadline(const struct conn *c);

/*
 * Opens a second connection to the address c is connected to and reads
 * the first line within ms milliseconds. Returns non-zero when it is a
 * plain-text SMTP greeting ("220 ..."), its start (printable ASCII) in
 * line: how a failed TLS handshake is told apart from a port that
 * expects STARTTLS.
 */
int net_plain_greeting(const struct conn *c, int ms, struct buf *line);

/*
 * Waits up to ms for the first bytes on plain connection c and copies up
 * to n of them into p, leaving them unread. Returns how many came (0 for
 * none in time): how --check tells a TLS port from an SMTP one before
 * anything is sent.
 */
size_t net_peek(const struct conn *c, int ms, unsigned char *p, size_t n);

/* Closes the socket (TLS is torn down by tls_end first). */
void net_close(struct conn *c);

/* "host[ip]:port" for messages and logs, followed by " via PROXY:PORT"
 * through a proxy. */
void net_describe(const struct conn *c, struct buf *out);
/* The same in a buffer of its own, valid until the next call. */
const char *net_name(const struct conn *c);

#endif
