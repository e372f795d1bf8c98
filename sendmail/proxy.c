/* SPDX-License-Identifier: MIT */
/*
 * proxy - the SOCKS5 client; see proxy.h.
 *
 * The exchange, each step one write and one read (RFC 1928, 1929):
 *
 *	greeting	05 N METHODS...	-> 05 METHOD  (00 none, 02 user and
 *			password, FF none acceptable)
 *	login (02)	01 ULEN USER PLEN PASS -> 01 STATUS  (00 accepted)
 *	CONNECT		05 01 00 ATYP ADDR PORT -> 05 REP 00 ATYP ADDR PORT
 *
 * Each reply is read exactly, octet count by octet count, so nothing
 * that follows it (the server's greeting, its TLS handshake) is taken
 * from the socket here.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "confval.h"
#include "i18n.h"
#include "proxy.h"

#define SOCKS_VERSION 5
#define AUTH_VERSION 1		/* RFC 1929's sub-negotiation */
#define METHOD_NONE 0x00
#define METHOD_PASSWORD 0x02
#define METHOD_NO_ACCEPTABLE 0xff
#define CMD_CONNECT 1
#define ATYP_IPV4 1
#define ATYP_DOMAIN 3
#define ATYP_IPV6 4

static const char *
proxy_name(const struct route *r)
{
	static struct buf name = BUF_INIT;

	buf_reset(&name);
	route_proxy_name(r, &name);
	return buf_str(&name);
}

const char *
proxy_reply_text(int code)
{
	switch (code) {
	case 1:	return _("the proxy failed (general SOCKS server failure)");
	case 2:	return _("the proxy's rules do not allow this connection");
	case 3:	return _("the network is unreachable from the proxy");
	case 4:	return _("the host is unreachable from the proxy");
	case 5:	return _("connection refused");
	case 6:	return _("the connection timed out (TTL expired)");
	case 7:	return _("the proxy does not support CONNECT");
	case 8:	return _("the proxy does not support this address type");
	}
	return _("an unknown refusal");
}

int
proxy_parse_reply(const unsigned char *p, size_t n, size_t *need, int *code)
{
	size_t addr;

	*need = 5;
	*code = -1;
	if (n >= 1 && p[0] != SOCKS_VERSION)
		return -1;
	if (n >= 3 && p[2] != 0)
		return -1;
	if (n < 5)
		return 0;
	switch (p[3]) {
	case ATYP_IPV4:		addr = 4; break;
	case ATYP_IPV6:		addr = 16; break;
	case ATYP_DOMAIN:	addr = 1 + (size_t)p[4]; break;
	default:		return -1;
	}
	*need = 4 + addr + 2;
	if (n < *need)
		return 0;
	*code = p[1];
	return 1;
}

/* The proxy sent what is not SOCKS5: ST_TEMP_PROTOCOL. */
static enum status
garbage(const struct route *r, const unsigned char *p, size_t n,
    struct buf *err)
{
	struct buf hex = BUF_INIT;

	for (size_t i = 0; i < n && i < 8; i++)
		buf_list_add(&hex, " ", "%02x", p[i]);
	buf_printf(err, _("the proxy %s did not answer as a SOCKS5 proxy (it sent %s); check that proxy = names a SOCKS5 proxy (not an HTTP proxy) and its port"),
	    proxy_name(r), buf_str(&hex));
	buf_free(&hex);
	return ST_TEMP_PROTOCOL;
}

static enum status
send_all(struct conn *c, const struct route *r, const unsigned char *p,
    size_t n, long long deadline, struct buf *err)
{
	enum status st;

	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			st = net_wait(c, POLLOUT, deadline, _("talking to the proxy"), err);
			if (st != ST_OK)
				return st;
			continue;
		}
		if (w < 0) {
			buf_printf(err, _("the connection to the proxy %s broke during the SOCKS handshake: %s; try again later"),
			    proxy_name(r), strerror(errno));
			return ST_TEMP_PROTOCOL;
		}
		p += w;
		n -= (size_t)w;
	}
	return ST_OK;
}

/* Reads exactly n octets into p, within deadline. */
static enum status
recv_all(struct conn *c, const struct route *r, unsigned char *p, size_t n,
    long long deadline, struct buf *err)
{
	enum status st;

	while (n > 0) {
		ssize_t got = recv(c->fd, p, n, 0);

		if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
			st = net_wait(c, POLLIN, deadline,
			    _("waiting for the SOCKS handshake of the proxy"), err);
			if (st != ST_OK)
				return st;
			continue;
		}
		if (got <= 0) {
			buf_printf(err, _("the proxy %s closed the connection during the SOCKS handshake%s%s; check proxy = (is it a SOCKS5 proxy?) and try again later"),
			    proxy_name(r), got < 0 ? ": " : "",
			    got < 0 ? strerror(errno) : "");
			return ST_TEMP_PROTOCOL;
		}
		p += got;
		n -= (size_t)got;
	}
	return ST_OK;
}

/* RFC 1929: the user name and password; wiped once sent. */
static enum status
login(struct conn *c, const struct route *r, long long deadline,
    struct buf *err)
{
	size_t ulen = strlen(r->proxy_user), plen = strlen(r->proxy_pass);
	unsigned char msg[3 + 255 + 255], got[2];
	enum status st;

	msg[0] = AUTH_VERSION;
	msg[1] = (unsigned char)ulen;
	memcpy(msg + 2, r->proxy_user, ulen);
	msg[2 + ulen] = (unsigned char)plen;
	memcpy(msg + 3 + ulen, r->proxy_pass, plen);
	st = send_all(c, r, msg, 3 + ulen + plen, deadline, err);
	explicit_bzero(msg, sizeof msg);
	if (st == ST_OK)
		st = recv_all(c, r, got, sizeof got, deadline, err);
	if (st != ST_OK)
		return st;
	if (got[0] != AUTH_VERSION && got[0] != SOCKS_VERSION)
		return garbage(r, got, sizeof got, err);
	if (got[1] != 0) {
		buf_printf(err, _("the proxy %s refused the user name and password given in proxy = (RFC 1929 status %u); check them, and write a character that is not a letter or digit as %%XX"),
		    proxy_name(r), got[1]);
		return ST_TEMP_NETWORK;
	}
	return ST_OK;
}

/* The greeting, and the login the proxy picks. */
static enum status
handshake(struct conn *c, const struct route *r, struct buf *err)
{
	long long deadline = net_deadline(c);
	unsigned char hello[4] = { SOCKS_VERSION, 1, METHOD_NONE, 0 }, got[2];
	enum status st;

	if (r->proxy_user) {
		hello[1] = 2;
		hello[3] = METHOD_PASSWORD;
	}
	st = send_all(c, r, hello, r->proxy_user ? 4 : 3, deadline, err);
	if (st == ST_OK)
		st = recv_all(c, r, got, sizeof got, deadline, err);
	if (st != ST_OK)
		return st;
	if (got[0] != SOCKS_VERSION)
		return garbage(r, got, sizeof got, err);
	if (got[1] == METHOD_NO_ACCEPTABLE && r->proxy_user == NULL) {
		const char *name = proxy_name(r);

		buf_printf(err, _("the proxy %s wants a user name and password: write them into proxy = as socks5://USER:PASSWORD@%s"),
		    name, name);
		return ST_TEMP_NETWORK;
	}
	if (got[1] == METHOD_NO_ACCEPTABLE) {
		buf_printf(err, _("the proxy %s accepts neither a user name and password nor no login, the two ways saatja offers (RFC 1928); ask the proxy's administrator which it wants"),
		    proxy_name(r));
		return ST_TEMP_NETWORK;
	}
	if (got[1] == METHOD_PASSWORD && r->proxy_user)
		return login(c, r, deadline, err);
	if (got[1] != METHOD_NONE)
		return garbage(r, got, sizeof got, err);
	return ST_OK;
}

enum status
proxy_open(struct conn *c, const struct route *r, unsigned timeout,
    struct buf *err)
{
	enum status st = net_connect_from(c, r->proxy_host, r->proxy_port,
	    timeout, r, NET_TO_PROXY, err);

	if (st == ST_OK)
		st = handshake(c, r, err);
	return st;
}

/*
 * The address part of CONNECT for host (ATYP and ADDR) into msg, and the
 * address given, when saatja resolved it, into ip. Returns the length,
 * or 0 after saying why in err.
 */
static size_t
target(const struct route *r, const char *host, unsigned which,
    unsigned *count, unsigned char *msg, char *ip, size_t iplen,
    struct buf *err)
{
	struct addrinfo hints, *res = NULL, *ai, *pick = NULL;
	char *bare = xstrndup(host + (host[0] == '['), strcspn(host + (host[0] == '['), "]"));
	size_t n = 0;
	int rc;

	*count = 1;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	rc = getaddrinfo(bare, NULL, &hints, &res);
	if (rc != 0 && r->proxy == PROXY_SOCKS5H) {
		size_t len = strlen(bare);

		if (len > 255) {
			buf_printf(err, _("the server name %s is too long for a SOCKS5 proxy (255 octets)"), host);
		} else {
			msg[0] = ATYP_DOMAIN;
			msg[1] = (unsigned char)len;
			memcpy(msg + 2, bare, len);
			n = 2 + len;
		}
		free(bare);
		return n;
	}
	if (rc != 0) {
		hints.ai_flags = 0;
		rc = getaddrinfo(bare, NULL, &hints, &res);
	}
	if (rc != 0) {
		buf_printf(err, _("cannot find the server %s: %s%s"), host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc),
		    rc == EAI_NONAME ? _(" (check host = in the config, and the network's DNS; with proxy = socks5h:// the proxy looks the name up instead)") : "");
	} else {
		/* The addresses in getaddrinfo's order (RFC 6724): the
		 * caller asks for them one after the other. */
		*count = 0;
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
				continue;
			if ((*count)++ == which)
				pick = ai;
		}
	}
	if (pick != NULL && pick->ai_family == AF_INET) {
		msg[0] = ATYP_IPV4;
		memcpy(msg + 1, &((struct sockaddr_in *)pick->ai_addr)->sin_addr, 4);
		n = 5;
	} else if (pick != NULL) {
		msg[0] = ATYP_IPV6;
		memcpy(msg + 1, &((struct sockaddr_in6 *)pick->ai_addr)->sin6_addr, 16);
		n = 17;
	}
	if (n && getnameinfo(pick->ai_addr, pick->ai_addrlen, ip, (socklen_t)iplen,
	    NULL, 0, NI_NUMERICHOST) != 0)
		ip[0] = '\0';
	if (rc == 0 && n == 0)
		buf_printf(err, _("cannot find the server %s: no IPv4 or IPv6 address"), host);
	if (res)
		freeaddrinfo(res);
	free(bare);
	return n;
}

/* The reply to CONNECT. */
static enum status
connect_reply(struct conn *c, const struct route *r, const char *host,
    unsigned port, long long deadline, int *code, struct buf *err)
{
	unsigned char got[4 + 1 + 255 + 2];
	size_t have = 5, need;
	int done;
	enum status st = recv_all(c, r, got, have, deadline, err);

	*code = -1;
	while (st == ST_OK && (done = proxy_parse_reply(got, have, &need, code)) == 0) {
		st = recv_all(c, r, got + have, need - have, deadline, err);
		have = need;
	}
	if (st != ST_OK)
		return st;
	if (done < 0)
		return garbage(r, got, have, err);
	if (*code != 0) {
		buf_printf(err, _("the proxy %s could not reach %s:%u: %s (SOCKS reply %d); check that the server and port are right and that the proxy may reach them, then try again later"),
		    proxy_name(r), host, port, proxy_reply_text(*code), *code);
		return ST_TEMP_NETWORK;
	}
	return ST_OK;
}

/* One CONNECT for the address number which of host; *count says how
 * many there are, *code what the proxy replied (-1: no reply). */
static enum status
request_one(struct conn *c, const struct route *r, const char *host,
    unsigned port, unsigned which, unsigned *count, int *code, char *ip,
    size_t iplen, struct buf *err)
{
	unsigned char msg[4 + 1 + 255 + 2] = { SOCKS_VERSION, CMD_CONNECT, 0 };
	size_t n = target(r, host, which, count, msg + 3, ip, iplen, err);
	enum status st;

	*code = -1;
	if (n == 0)
		return ST_TEMP_NETWORK;
	msg[3 + n] = (unsigned char)(port >> 8);
	msg[4 + n] = (unsigned char)(port & 0xff);
	st = send_all(c, r, msg, 5 + n, net_deadline(c), err);
	if (st == ST_OK)
		st = connect_reply(c, r, host, port, net_deadline(c), code, err);
	return st;
}

/* A reply that another address of the server may not get. */
static int
address_failed(int code)
{
	return code == 3 || code == 4 || code == 5 || code == 6;
}

enum status
proxy_request(struct conn *c, const struct route *r, const char *host,
    unsigned port, struct buf *err)
{
	char ip[INET6_ADDRSTRLEN] = "";
	int proxy_local = c->loopback, code;
	unsigned which = 0, count = 1, timeout = (unsigned)(c->timeout_ms / 1000);
	enum status st = request_one(c, r, host, port, 0, &count, &code, ip,
	    sizeof ip, err);

	/* With socks5:// saatja chose the address: when the proxy cannot
	 * reach it, the next of the server's addresses gets its turn, on a
	 * new connection to the proxy (one CONNECT a connection). */
	while (st != ST_OK && address_failed(code) && ++which < count) {
		buf_reset(err);
		net_close(c);
		st = proxy_open(c, r, timeout ? timeout : 1, err);
		if (st == ST_OK)
			st = request_one(c, r, host, port, which, &count, &code,
			    ip, sizeof ip, err);
	}
	if (st != ST_OK)
		return st;
	/* From here on c is the way to the mail server. */
	free(c->via);
	c->via = xstrdup(proxy_name(r));
	free(c->host);
	c->host = xstrdup(host);
	c->port = port;
	snprintf(c->ip, sizeof c->ip, "%s", ip);
	/* tls = none is for this machine only: the proxy must be here too,
	 * or the password would cross the network to it in the clear. */
	c->loopback = proxy_local && (ip[0] ? confval_loopback_host(ip) :
	    confval_loopback_host(host));
	c->redial = proxy_connect;
	return ST_OK;
}

enum status
proxy_connect(struct conn *c, const struct route *r, const char *host,
    unsigned port, unsigned timeout, struct buf *err)
{
	enum status st;

	if (r == NULL || r->proxy == PROXY_NONE)
		return net_connect_from(c, host, port, timeout, r, 0, err);
	st = proxy_open(c, r, timeout, err);
	if (st == ST_OK)
		st = proxy_request(c, r, host, port, err);
	return st;
}
