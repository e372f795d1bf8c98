/* SPDX-License-Identifier: MIT */
/*
 * proxy - the SOCKS5 client (RFC 1928, with the user name and password
 * login of RFC 1929): the way to the mail server through the proxy an
 * account names (route.h), and the choice between that and a direct
 * connection.
 *
 * The proxy's own addresses are raced as net_connect races a server's
 * (RFC 8305), from the source address when one is set; the server's
 * address is one the proxy is asked to reach. With socks5:// saatja
 * resolves the server's name and hands the proxy its addresses one after
 * the other, on a new connection each, while the proxy says it cannot
 * reach them (network or host unreachable, refused, TTL expired); with
 * socks5h:// the proxy gets the name (ATYP domain name), so that only
 * the proxy's side needs to know it (Tor). TLS then runs through the
 * tunnel as over any connection, verified against the server's name.
 * The account's timeout bounds each step, as net.h counts them:
 * connecting to the proxy, the greeting and login, and the request that
 * the proxy reach the server.
 *
 * Failures are temporary, so the message waits in the queue: a proxy
 * that cannot be reached or that refuses (each SOCKS reply code named in
 * words) is ST_TEMP_NETWORK, one that answers what is not SOCKS5 or
 * closes the connection half way is ST_TEMP_PROTOCOL. err names the
 * proxy as host:port, never with its user name or password. A source
 * address this machine lacks is ST_CONFIG (net.h).
 */
#ifndef SAATJA_PROXY_H
#define SAATJA_PROXY_H

#include <stddef.h>

#include "buf.h"
#include "net.h"
#include "route.h"
#include "status.h"

/*
 * Connects c to host:port: through r's proxy when it has one, else
 * directly (net_connect_from). r may be NULL. Afterwards c names the
 * mail server, with the proxy in c->via.
 */
enum status proxy_connect(struct conn *c, const struct route *r,
    const char *host, unsigned port, unsigned timeout, struct buf *err);

/*
 * The two halves of proxy_connect, which --check shows as steps of their
 * own: proxy_open connects to r's proxy and agrees on a login (none, or
 * the user name and password); proxy_request asks it for host:port.
 */
enum status proxy_open(struct conn *c, const struct route *r,
    unsigned timeout, struct buf *err);
enum status proxy_request(struct conn *c, const struct route *r,
    const char *host, unsigned port, struct buf *err);

/*
 * Reads a SOCKS5 reply to CONNECT (RFC 1928, section 6) in p[0..n).
 * Returns 1 when it is whole (*need is its length, *code its REP field),
 * 0 when more octets are needed (*need says how many in all, once the
 * first five are there), -1 when it is not a SOCKS5 reply.
 */
int proxy_parse_reply(const unsigned char *p, size_t n, size_t *need,
    int *code);

/* The REP code of a reply in words ("connection refused"). */
const char *proxy_reply_text(int code);

#endif
