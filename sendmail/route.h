/* SPDX-License-Identifier: MIT */
/*
 * route - how an account's connections leave this machine: the values of
 * the keys proxy (a SOCKS5 proxy, RFC 1928, with RFC 1929 user name and
 * password) and source_ip (the local address to send from), as
 * saatja.ini(5) describes them.
 *
 * Pure parsing: config.c calls route_set and words nothing itself; the
 * SOCKS5 client that uses these values is proxy.c. The proxy's password
 * is as secret as the account's: it is wiped when freed and never
 * repeated, not even in an error about the value that holds it
 * (route_proxy_url shows it as "***").
 */
#ifndef SAATJA_ROUTE_H
#define SAATJA_ROUTE_H

#include <sys/socket.h>

#include "buf.h"

enum proxy_kind {
	PROXY_NONE,
	PROXY_SOCKS5,		/* saatja resolves the server's name */
	PROXY_SOCKS5H,		/* the proxy resolves it (ATYP domain name) */
};

#define ROUTE_DEFAULT_PROXY_PORT 1080

struct route {
	enum proxy_kind proxy;
	char *proxy_host;	/* a name or an address, without [ ] */
	unsigned proxy_port;
	char *proxy_user;	/* percent-decoded, or NULL */
	char *proxy_pass;	/* percent-decoded, or NULL; secret */
	int has_source;		/* source_ip was given */
	struct sockaddr_storage source;	/* its address, port 0 */
	socklen_t source_len;
	char source_text[48];	/* the address as written back */
};

/*
 * Parses value v of key ("proxy" or "source_ip") into r, replacing
 * what the key set before. Returns 0, or -1 with a translated sentence in
 * why that says what is accepted; it never repeats a password.
 */
int route_set(struct route *r, const char *key, const char *v,
    struct buf *why);

/* Parses a proxy URL (socks5://[user[:password]@]host[:port], or
 * socks5h://...) into r; route_set for key "proxy". */
int route_parse_proxy(struct route *r, const char *v, struct buf *why);

/* Parses an IPv4 or IPv6 address into r's source address. */
int route_parse_source(struct route *r, const char *v, struct buf *why);

/* "host:port" or "[v6]:port" of the proxy, for messages and logs. */
void route_proxy_name(const struct route *r, struct buf *out);

/* The proxy as a URL with the password shown as "***". */
void route_proxy_url(const struct route *r, struct buf *out);

/* "IPv4" or "IPv6" for the source address's family. */
const char *route_source_family(const struct route *r);

/* Frees what r holds; the password is wiped first. */
void route_free(struct route *r);

#endif
