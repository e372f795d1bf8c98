/* SPDX-License-Identifier: MIT */
/*
 * net - connecting and timed, buffered I/O; see net.h.
 *
 * Nagle's algorithm is switched off (TCP_NODELAY): the SMTP layer already
 * hands over whole command groups and large body chunks, and a second
 * small segment waiting for a delayed ACK costs 40 ms per round trip.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "net.h"

long long
net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
net_deadline(const struct conn *c)
{
	return net_now_ms() + c->timeout_ms;
}

const char *
net_name(const struct conn *c)
{
	static struct buf name = BUF_INIT;

	buf_reset(&name);
	net_describe(c, &name);
	return buf_str(&name);
}

void
net_describe(const struct conn *c, struct buf *out)
{
	if (c->ip[0])
		buf_printf(out, "%s[%s]:%u", c->host ? c->host : "?", c->ip,
		    c->port);
	else
		buf_printf(out, "%s:%u", c->host ? c->host : "?", c->port);
	if (c->via)
		buf_printf(out, " via %s", c->via);
}

enum status
net_wait(const struct conn *c, short events, long long deadline,
    const char *what, struct buf *err)
{
	struct pollfd p = { c->fd, events, 0 };
	int one = 1;

	/*
	 * Acknowledge what has arrived before waiting: a server whose own
	 * Nagle holds its reply until the previous segment (a TLS 1.3
	 * session ticket) is acknowledged would otherwise wait for our
	 * delayed ACK, about 40 ms.
	 */
	if (events & POLLIN)
		setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
	for (;;) {
		long long left = deadline - net_now_ms();
		int n;

		if (left <= 0)
			break;
		n = poll(&p, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
		if (n > 0)
			return ST_OK;
		if (n < 0 && errno != EINTR) {
			buf_printf(err, "poll: %s", strerror(errno));
			return ST_TEMP_NETWORK;
		}
	}
	/* TRANSLATORS: the second %s is "sending to", "waiting for a reply
	 * from" or "during the TLS handshake with", the third the server */
	buf_printf(err, _("timed out after %d s %s %s (the account's timeout setting)"),
	    c->timeout_ms / 1000, what, net_name(c));
	return ST_TEMP_NETWORK;
}

static int
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(a))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return 0;
}

/*
 * Happy Eyeballs (RFC 8305): the addresses in the order the resolver
 * sorted them, but alternating families from the first one's, so that a
 * family whose route silently drops packets costs one stagger step, not
 * the whole timeout.
 */
#define STAGGER_MS 250

struct attempt {
	const struct addrinfo *ai;
	int fd;			/* -1 before the start and after the end */
	int err;		/* why it failed, or 0 */
	int started;
};

static size_t
interleave(struct addrinfo *res, struct attempt **out)
{
	size_t n = 0, k = 0;
	struct addrinfo *ai;
	struct attempt *v;
	int first;

	for (ai = res; ai; ai = ai->ai_next)
		n++;
	v = xcalloc(n ? n : 1, sizeof *v);
	first = res ? res->ai_family : 0;
	/* Take, in turn, the next unused address of the first family and
	 * the next of any other family. */
	for (struct addrinfo *a = res, *b = res; k < n;) {
		while (a && a->ai_family != first)
			a = a->ai_next;
		while (b && b->ai_family == first)
			b = b->ai_next;
		if (a) {
			v[k++].ai = a;
			a = a->ai_next;
		}
		if (b && k < n) {
			v[k++].ai = b;
			b = b->ai_next;
		}
	}
	for (size_t i = 0; i < n; i++)
		v[i].fd = -1;
	*out = v;
	return n;
}

/* Starts one non-blocking connect, from source when not NULL. Returns 1
 * when it connected at once, 0 when it is under way or failed (t->err). */
static int
attempt_start(struct attempt *t, const struct route *source)
{
	int one = 1;

	t->started = 1;
	t->fd = socket(t->ai->ai_family, t->ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, t->ai->ai_protocol);
	if (t->fd < 0) {
		t->err = errno;
		return 0;
	}
	setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (source && bind(t->fd, (const struct sockaddr *)&source->source,
	    source->source_len) != 0) {
		t->err = errno;
		close(t->fd);
		t->fd = -1;
		return 0;
	}
	if (connect(t->fd, t->ai->ai_addr, t->ai->ai_addrlen) == 0)
		return 1;
	if (errno != EINPROGRESS) {
		t->err = errno;
		close(t->fd);
		t->fd = -1;
	}
	return 0;
}

/*
 * Races the attempts until deadline: one starts every STAGGER_MS, or at
 * once when all running ones have failed; the first to connect wins and
 * the others are closed. Returns the winner's index, or -1.
 */
static long
race(struct attempt *v, size_t n, long long deadline,
    const struct route *source)
{
	struct pollfd *p = xcalloc(n ? n : 1, sizeof *p);
	size_t started = 0;
	long long next = 0;
	long won = -1;

	while (won < 0) {
		long long now = net_now_ms(), until;
		size_t running = 0;
		int r;

		for (size_t i = 0; i < started; i++)
			if (v[i].fd >= 0) {
				p[running].fd = v[i].fd;
				p[running].events = POLLOUT;
				p[running].revents = 0;
				running++;
			}
		if (started < n && (now >= next || running == 0)) {
			if (attempt_start(&v[started], source))
				won = (long)started;
			started++;
			next = now + STAGGER_MS;
			continue;
		}
		if (running == 0 || now >= deadline)
			break;
		until = started < n && next < deadline ? next : deadline;
		r = poll(p, running, (int)(until - now));
		if (r < 0 && errno != EINTR)
			break;
		for (size_t i = 0; r > 0 && i < started && won < 0; i++) {
			int e = 0;
			socklen_t elen = sizeof e;
			short rev = 0;

			for (size_t j = 0; j < running; j++)
				if (p[j].fd == v[i].fd)
					rev = p[j].revents;
			if (v[i].fd < 0 || rev == 0)
				continue;
			if (getsockopt(v[i].fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0)
				e = errno;
			if (e == 0) {
				won = (long)i;
				break;
			}
			v[i].err = e;
			close(v[i].fd);
			v[i].fd = -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if ((long)i == won || v[i].fd < 0)
			continue;
		close(v[i].fd);
		v[i].fd = -1;
		v[i].err = ETIMEDOUT;
	}
	free(p);
	return won;
}

static void
numeric(const struct addrinfo *ai, char *ip, size_t len)
{
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, (socklen_t)len, NULL,
	    0, NI_NUMERICHOST) != 0)
		snprintf(ip, len, "?");
}

enum status
net_connect(struct conn *c, const char *host, unsigned port,
    unsigned timeout, struct buf *err)
{
	return net_connect_from(c, host, port, timeout, NULL, 0, err);
}

/*
 * Keeps in *res only the addresses of the source address's family.
 * Returns 0, or -1 when none is left (*res is then freed).
 */
static int
same_family(struct addrinfo **res, int family)
{
	struct addrinfo **p = res;

	while (*p) {
		struct addrinfo *ai = *p;

		if (ai->ai_family == family) {
			p = &ai->ai_next;
			continue;
		}
		*p = ai->ai_next;
		ai->ai_next = NULL;
		freeaddrinfo(ai);
	}
	if (*res == NULL)
		return -1;
	return 0;
}

/* What went wrong when no address answered: err says it. */
static enum status
not_connected(const char *host, unsigned port, const struct route *r,
    int flags, const struct attempt *v, size_t n, struct buf *err)
{
	struct buf tried = BUF_INIT;
	int refused = 0;

	for (size_t i = 0; i < n; i++) {
		char ip[INET6_ADDRSTRLEN];

		if (v[i].err == EADDRNOTAVAIL && r && r->has_source) {
			buf_printf(err, _("this machine has no address %s; source_ip must be one of this machine's addresses (ip address shows them)"),
			    r->source_text);
			buf_free(&tried);
			return ST_CONFIG;
		}
		numeric(v[i].ai, ip, sizeof ip);
		buf_printf(&tried, "%s%s: %s", tried.len ? "; " : "", ip,
		    strerror(v[i].started ? v[i].err : ETIMEDOUT));
		refused |= v[i].err == ECONNREFUSED;
	}
	if (flags & NET_TO_PROXY)
		buf_printf(err, _("cannot connect to the proxy %s port %u (%s); is the proxy running, and are its host and port right in proxy = ?"),
		    host, port, buf_str(&tried));
	else
		buf_printf(err, _("cannot connect to %s port %u (%s)%s"), host,
		    port, buf_str(&tried),
		    refused ? _("; is the port right (587 with tls = starttls, 465 with tls = tls)?") : "");
	buf_free(&tried);
	return ST_TEMP_NETWORK;
}

enum status
net_connect_from(struct conn *c, const char *host, unsigned port,
    unsigned timeout, const struct route *r, int flags, struct buf *err)
{
	struct addrinfo hints, *res = NULL;
	struct attempt *v = NULL;
	const struct route *source = r && r->has_source ? r : NULL;
	char service[16];
	size_t n;
	long won;
	int rc;
	enum status st = ST_OK;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->host = xstrdup(host);
	c->port = port;
	c->route = r;
	c->timeout_ms = (int)(timeout ? timeout : 60) * 1000;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(service, sizeof service, "%u", port);
	/* A bracketed IPv6 literal, as in [::1], is a plain address here. */
	if (host[0] == '[') {
		char *h = xstrndup(host + 1, strcspn(host + 1, "]"));

		rc = getaddrinfo(h, service, &hints, &res);
		free(h);
	} else {
		rc = getaddrinfo(host, service, &hints, &res);
	}
	if (rc != 0) {
		if (flags & NET_TO_PROXY)
			buf_printf(err, _("cannot find the proxy %s: %s (check proxy = in the config, and the network's DNS)"),
			    host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		else
			buf_printf(err, _("cannot find the server %s: %s%s"), host,
			    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc),
			    rc == EAI_NONAME ? _(" (check host = in the config, and the network's DNS)") : "");
		return ST_TEMP_NETWORK;
	}
	if (source && same_family(&res, source->source.ss_family) < 0) {
		buf_printf(err, _("%s has no %s address, and source_ip = %s is one: change or remove source_ip"),
		    host, route_source_family(source), source->source_text);
		return ST_CONFIG;
	}
	n = interleave(res, &v);
	won = race(v, n, net_deadline(c), source);
	if (won >= 0) {
		c->fd = v[won].fd;
		numeric(v[won].ai, c->ip, sizeof c->ip);
		c->loopback = is_loopback(v[won].ai->ai_addr);
	} else {
		st = not_connected(host, port, source, flags, v, n, err);
	}
	free(v);
	freeaddrinfo(res);
	return st;
}

static enum status
broken(const struct conn *c, const char *what, const char *why,
    struct buf *err)
{
	/* TRANSLATORS: the second %s is "broke while sending", "was closed
	 * by the server" or "broke" */
	buf_printf(err, _("connection to %s %s%s%s"), net_name(c), what,
	    why ? ": " : "", why ? why : "");
	return ST_TEMP_PROTOCOL;
}

enum status
net_write(struct conn *c, const void *p, size_t n, struct buf *err)
{
	const char *s = p;
	long long deadline = net_deadline(c);
	enum status st;

	while (n > 0) {
		ssize_t w;

		if (c->tls) {
			w = gnutls_record_send(c->tls, s, n);
			if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) {
				st = net_wait(c, gnutls_record_get_direction(c->tls) ?
				    POLLOUT : POLLIN, deadline, _("sending to"), err);
				if (st != ST_OK)
					return st;
				continue;
			}
			if (w < 0)
				return broken(c, _("broke while sending"),
				    gnutls_strerror((int)w), err);
		} else {
			w = send(c->fd, s, n, MSG_NOSIGNAL);
			if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
				st = net_wait(c, POLLOUT, deadline, _("sending to"), err);
				if (st != ST_OK)
					return st;
				continue;
			}
			if (w < 0)
				return broken(c, _("broke while sending"),
				    strerror(errno), err);
		}
		s += w;
		n -= (size_t)w;
	}
	return ST_OK;
}

/* Refills the input buffer; the buffer is empty on entry. */
static enum status
fill(struct conn *c, long long deadline, struct buf *err)
{
	enum status st;

	c->in_off = c->in_len = 0;
	for (;;) {
		ssize_t r;

		if (c->tls) {
			r = gnutls_record_recv(c->tls, c->in, sizeof c->in);
			if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
				st = net_wait(c, gnutls_record_get_direction(c->tls) ?
				    POLLOUT : POLLIN, deadline,
				    _("waiting for a reply from"), err);
				if (st != ST_OK)
					return st;
				c->reads++;
				continue;
			}
			if (r == 0 || r == GNUTLS_E_PREMATURE_TERMINATION)
				return broken(c, _("was closed by the server"), NULL, err);
			if (r < 0)
				return broken(c, _("broke"), gnutls_strerror((int)r), err);
		} else {
			r = recv(c->fd, c->in, sizeof c->in, 0);
			if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
				st = net_wait(c, POLLIN, deadline,
				    _("waiting for a reply from"), err);
				if (st != ST_OK)
					return st;
				c->reads++;
				continue;
			}
			if (r == 0)
				return broken(c, _("was closed by the server"), NULL, err);
			if (r < 0)
				return broken(c, _("broke"), strerror(errno), err);
		}
		c->in_len = (size_t)r;
		return ST_OK;
	}
}

enum status
net_read_line(struct conn *c, struct buf *line, size_t max, struct buf *err)
{
	long long deadline = net_deadline(c);
	enum status st;

	buf_reset(line);
	for (;;) {
		const char *start = c->in + c->in_off;
		size_t avail = c->in_len - c->in_off;
		const char *lf = memchr(start, '\n', avail);
		size_t take = lf ? (size_t)(lf - start) + 1 : avail;

		if (line->len + take > max) {
			buf_printf(err, _("the server %s sent a line longer than %zu octets"),
			    net_name(c), max);
			return ST_PROTOCOL;
		}
		buf_add(line, start, take);
		c->in_off += take;
		if (lf)
			return ST_OK;
		st = fill(c, deadline, err);
		if (st != ST_OK)
			return st;
	}
}

int
net_pending(const struct conn *c)
{
	return c->in_off < c->in_len ||
	    (c->tls && gnutls_record_check_pending(c->tls) > 0);
}

size_t
net_peek(const struct conn *c, int ms, unsigned char *p, size_t n)
{
	struct buf ignore = BUF_INIT;
	ssize_t got = 0;

	if (net_wait(c, POLLIN, net_now_ms() + ms, "", &ignore) == ST_OK)
		got = recv(c->fd, p, n, MSG_PEEK);
	buf_free(&ignore);
	return got > 0 ? (size_t)got : 0;
}

int
net_plain_greeting(const struct conn *c, int ms, struct buf *line)
{
	struct conn probe;
	struct buf got = BUF_INIT, ignore = BUF_INIT;
	int plain = 0;

	memset(&probe, 0, sizeof probe);
	probe.fd = -1;
	if ((c->redial ? c->redial(&probe, c->route, c->host, c->port,
	    (unsigned)(ms + 999) / 1000, &ignore) :
	    net_connect_from(&probe, c->ip[0] ? c->ip : c->host, c->port,
	    (unsigned)(ms + 999) / 1000, c->route, 0, &ignore)) == ST_OK) {
		probe.timeout_ms = ms;
		if (net_read_line(&probe, &got, 512, &ignore) == ST_OK &&
		    got.len >= 4 && got.data[0] >= '2' && got.data[0] <= '5' &&
		    isdigit((unsigned char)got.data[1]) &&
		    isdigit((unsigned char)got.data[2]) &&
		    (got.data[3] == ' ' || got.data[3] == '-')) {
			plain = 1;
			for (size_t i = 0; i < got.len && i < 80 &&
			    got.data[i] != '\r' && got.data[i] != '\n'; i++)
				buf_addc(line, got.data[i] >= 0x20 &&
				    got.data[i] < 0x7f ? got.data[i] : '?');
		}
	}
	net_close(&probe);
	buf_free(&got);
	buf_free(&ignore);
	return plain;
}

void
net_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->host);
	c->host = NULL;
	free(c->via);
	c->via = NULL;
}
