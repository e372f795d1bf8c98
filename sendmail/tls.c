/* SPDX-License-Identifier: MIT */
/*
 * tls - handshake and certificate verification; see tls.h.
 *
 * Session tickets are not asked for (GNUTLS_NO_TICKETS): saatja never
 * resumes a session, and a TLS 1.3 ticket that the server sends right
 * before its EHLO reply stalls that reply for a delayed-ACK period
 * (about 40 ms) on Postfix.
 *
 * The system trust store is not loaded before the handshake. GnuTLS's
 * gnutls_certificate_set_x509_system_trust parses all of it (145
 * certificates on Debian 12): 8-10 ms of CPU and 3.5 MiB of memory a
 * message, more than the rest of the send (doc/PERFORMANCE.md). Instead
 * verify_server, called by GnuTLS once the server's chain is in, loads
 * from the store file only the certificates that the chain names
 * (trust.h), and asks GnuTLS's whole store when they do not verify. Of
 * the other ways weighed: the pick reads the file in under a millisecond
 * (against 8-10 ms for the whole store, measured on the same machine),
 * so a per-host memory of the issuing CA in the queue directory could
 * save at most that, while adding a file that other users must not be
 * able to plant or damage; p11-kit's trust module, which finds issuers
 * on demand, is not installed on Debian by default (p11-kit-modules) and
 * parses the same file itself.
 */
#include "autoconf.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "tls.h"
#include "trust.h"

/* What a session carries besides GnuTLS's own state: its credentials and
 * how its certificate was judged. */
struct tls_state {
	gnutls_certificate_credentials_t cred;
	const char *host;	/* during tls_start only */
	const char *store;	/* the file trusted CAs came from */
	int system;		/* store is the system trust store */
	int whole;		/* the whole store is loaded */
	int no_trust;		/* the store held no certificate */
	unsigned status;	/* the verdict, GNUTLS_CERT_* bits */
	struct buf picked;	/* the picked CAs (PEM), for --check */
};

static const char priority[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";

const char *
tls_version(const struct conn *c)
{
	const char *v;

	if (c->tls == NULL)
		return "none";
	switch (gnutls_protocol_get_version(c->tls)) {
	case GNUTLS_TLS1_2:	return "TLSv1.2";
	case GNUTLS_TLS1_3:	return "TLSv1.3";
	default:
		v = gnutls_protocol_get_name(gnutls_protocol_get_version(c->tls));
		return v ? v : "TLS";
	}
}

const char *
tls_cipher(const struct conn *c)
{
	const char *name;

	if (c->tls == NULL)
		return "none";
	name = gnutls_ciphersuite_get(c->tls);
	return name ? name : "unknown";
}

/*
 * Frees the TLS state without a word to the server: for a session that
 * never finished its handshake, which may not even have a transport yet
 * (gnutls_bye on such a session reads freed or unset state), and for one
 * that another process took over.
 */
void
tls_discard(struct conn *c)
{
	struct tls_state *t;

	if (c->tls == NULL)
		return;
	t = gnutls_session_get_ptr(c->tls);
	gnutls_deinit(c->tls);
	if (t) {
		gnutls_certificate_free_credentials(t->cred);
		buf_free(&t->picked);
		free(t);
	}
	c->tls = NULL;
}

void
tls_end(struct conn *c)
{
	if (c->tls == NULL)
		return;
	/* One try: the socket is non-blocking and nobody waits for the reply. */
	gnutls_bye(c->tls, GNUTLS_SHUT_WR);
	tls_discard(c);
}

static int
is_ip_literal(const char *h)
{
	unsigned char a[16];

	return inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1;
}

static void
add_hex(struct buf *out, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s%02X", i ? ":" : "", p[i]);
}

/* The server's leaf certificate, or NULL. */
static gnutls_x509_crt_t
peer_cert(gnutls_session_t s, gnutls_datum_t *der)
{
	const gnutls_datum_t *list;
	unsigned n = 0;
	gnutls_x509_crt_t crt;

	list = gnutls_certificate_get_peers(s, &n);
	if (list == NULL || n == 0)
		return NULL;
	if (gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	if (gnutls_x509_crt_import(crt, &list[0], GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return NULL;
	}
	if (der)
		*der = list[0];
	return crt;
}

static void
add_dn(struct buf *out, gnutls_x509_crt_t crt, int issuer)
{
	gnutls_datum_t dn = { NULL, 0 };
	int rc = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) :
	    gnutls_x509_crt_get_dn3(crt, &dn, 0);

	if (rc >= 0 && dn.data) {
		buf_printf(out, "\"%.*s\"", (int)dn.size, (const char *)dn.data);
		gnutls_free(dn.data);
	} else {
		buf_adds(out, "(unreadable)");
	}
}

/* The DNS and IP names the certificate is made out to. */
static void
add_names(struct buf *out, gnutls_x509_crt_t crt)
{
	char name[256];
	size_t n = 0;

	for (unsigned i = 0; i < 16; i++) {
		size_t len = sizeof name;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, name,
		    &len, NULL);

		if (type < 0)
			break;
		if (type == GNUTLS_SAN_DNSNAME) {
			buf_printf(out, "%s%.*s", n++ ? ", " : "", (int)len, name);
		} else if (type == GNUTLS_SAN_IPADDRESS && (len == 4 || len == 16)) {
			char ip[INET6_ADDRSTRLEN];

			if (inet_ntop(len == 4 ? AF_INET : AF_INET6, name, ip,
			    sizeof ip))
				buf_printf(out, "%s%s", n++ ? ", " : "", ip);
		}
	}
	if (n == 0)
		add_dn(out, crt, 0);
}

static void
add_time(struct buf *out, time_t t)
{
	char s[64];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(s, sizeof s, "%Y-%m-%d %H:%M UTC", &tm);
	buf_adds(out, s);
}

int
tls_describe_peer(const struct conn *c, struct buf *out)
{
	gnutls_x509_crt_t crt = c->tls ? peer_cert(c->tls, NULL) : NULL;

	if (crt == NULL)
		return -1;
	buf_adds(out, _("certificate "));
	add_dn(out, crt, 0);
	buf_adds(out, _(" for "));
	add_names(out, crt);
	buf_adds(out, _(", issued by "));
	add_dn(out, crt, 1);
	buf_adds(out, _(", expires "));
	add_time(out, gnutls_x509_crt_get_expiration_time(crt));
	gnutls_x509_crt_deinit(crt);
	return 0;
}

/* Explains a failed chain or name check in plain words. */
static enum status
explain_untrusted(const struct conn *c, unsigned status, int ca_file,
    struct buf *err)
{
	gnutls_datum_t der = { NULL, 0 };
	gnutls_x509_crt_t crt = peer_cert(c->tls, &der);
	unsigned char fp[32];
	size_t fplen = sizeof fp;

	buf_printf(err, _("the certificate of %s is not trusted: "), net_name(c));
	if (crt == NULL) {
		buf_adds(err, _("the server sent no usable certificate"));
	} else if (status & GNUTLS_CERT_EXPIRED) {
		buf_adds(err, _("it expired on "));
		add_time(err, gnutls_x509_crt_get_expiration_time(crt));
	} else if (status & GNUTLS_CERT_NOT_ACTIVATED) {
		buf_adds(err, _("it is not valid until "));
		add_time(err, gnutls_x509_crt_get_activation_time(crt));
		buf_adds(err, _(" (is this machine's clock right?)"));
	} else if (status & GNUTLS_CERT_REVOKED) {
		buf_adds(err, _("its issuer has revoked it"));
	} else if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND |
	    GNUTLS_CERT_SIGNER_NOT_CA)) {
		buf_adds(err, _("it was issued by "));
		add_dn(err, crt, 1);
		buf_adds(err, ca_file ?
		    _(", which is not a certificate authority that ca_file holds") :
		    _(", which is not a certificate authority that this machine trusts"));
	} else if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
		buf_adds(err, _("it is made out to "));
		add_names(err, crt);
		buf_printf(err, _(", not to %s"), c->host);
	} else if (status & GNUTLS_CERT_INSECURE_ALGORITHM) {
		buf_adds(err, _("it is signed with an insecure algorithm"));
	} else {
		gnutls_datum_t why = { NULL, 0 };

		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &why, 0) >= 0 && why.data) {
			buf_printf(err, "%.*s", (int)why.size, (const char *)why.data);
			gnutls_free(why.data);
		} else {
			buf_adds(err, _("verification failed"));
		}
	}
	if (crt) {
		buf_adds(err, _(" (certificate subject "));
		add_dn(err, crt, 0);
		if (gnutls_fingerprint(GNUTLS_DIG_SHA256, &der, fp, &fplen) >= 0) {
			buf_adds(err, _(", SHA-256 fingerprint "));
			add_hex(err, fp, fplen);
		}
		buf_adds(err, ")");
		gnutls_x509_crt_deinit(crt);
	}
	buf_adds(err, _("; nothing was sent. Check host = in the config; for a server with its own CA set ca_file =, or pin the certificate with fingerprint = once you know it is the right one"));
	return ST_NOPERM;
}

static enum status
check_pin(const struct conn *c, const unsigned char *pin, struct buf *err)
{
	gnutls_datum_t der = { NULL, 0 };
	gnutls_x509_crt_t crt = peer_cert(c->tls, &der);
	unsigned char fp[32];
	size_t fplen = sizeof fp;
	int same;

	if (crt == NULL || gnutls_fingerprint(GNUTLS_DIG_SHA256, &der, fp,
	    &fplen) < 0 || fplen != sizeof fp) {
		if (crt)
			gnutls_x509_crt_deinit(crt);
		buf_printf(err, _("the server %s sent no usable certificate; nothing was sent"),
		    net_name(c));
		return ST_NOPERM;
	}
	same = memcmp(fp, pin, sizeof fp) == 0;
	if (!same) {
		buf_printf(err, _("the certificate of %s does not match the fingerprint pinned in the config: it has "),
		    net_name(c));
		add_hex(err, fp, fplen);
		buf_adds(err, _(" (subject "));
		add_dn(err, crt, 0);
		buf_adds(err, _("); nothing was sent. If the provider changed its certificate, check the new one and update fingerprint ="));
	}
	gnutls_x509_crt_deinit(crt);
	return same ? ST_OK : ST_NOPERM;
}

/* No trusted certificates to verify with: rc is GnuTLS's error, or 0
 * when the file held none. */
static enum status
no_trust(const struct tls_params *p, int rc, struct buf *err)
{
	if (p->ca_file)
		buf_printf(err, _("cannot load trusted certificates from ca_file = %s: %s; set ca_file = to a file with a CA certificate in it (PEM), or remove the line to trust the system store"),
		    p->ca_file, rc < 0 ? gnutls_strerror(rc) :
		    _("it holds no certificate"));
	else
		buf_printf(err, _("cannot load trusted certificates from the system trust store: %s; install the package ca-certificates, or set ca_file = to a file with a CA certificate in it"),
		    rc < 0 ? gnutls_strerror(rc) : _("it holds none"));
	return ST_CONFIG;
}

static enum status
handshake_failed(struct conn *c, int rc, const struct tls_params *p,
    struct buf *err)
{
	struct tls_state *t = gnutls_session_get_ptr(c->tls);
	struct buf greeting = BUF_INIT;

	if (t->no_trust) {
		c->no_trust = 1;
		return no_trust(p, 0, err);
	}
	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
		return explain_untrusted(c, t->status, p->ca_file != NULL, err);
	/* tls = tls towards a port that greets in plain text: a config
	 * mistake (the guide's "SSL" ticked for port 587), not a broken
	 * server, so say what to change. */
	if (p->implicit && rc != GNUTLS_E_FATAL_ALERT_RECEIVED &&
	    net_plain_greeting(c, 3000, &greeting)) {
		buf_printf(err, _("the server %s answers in plain text (\"%s\"), not with TLS: this port expects tls = starttls (usually port 587); for tls = tls use the provider's TLS port, usually 465; nothing was sent"),
		    net_name(c), buf_str(&greeting));
		buf_free(&greeting);
		return ST_CONFIG;
	}
	buf_free(&greeting);
	if (rc == GNUTLS_E_UNSUPPORTED_VERSION_PACKET ||
	    (rc == GNUTLS_E_FATAL_ALERT_RECEIVED &&
	    gnutls_alert_get(c->tls) == GNUTLS_A_PROTOCOL_VERSION)) {
		buf_printf(err, _("the server %s does not speak TLS 1.2 or newer, the minimum that saatja (and the provider rules) require; nothing was sent"),
		    net_name(c));
		return ST_NOPERM;
	}
	if (rc == GNUTLS_E_PREMATURE_TERMINATION || rc == GNUTLS_E_PULL_ERROR ||
	    rc == GNUTLS_E_PUSH_ERROR) {
		buf_printf(err, _("TLS handshake with %s was cut short (%s); nothing was sent"),
		    net_name(c), gnutls_strerror(rc));
		return ST_TEMP_PROTOCOL;
	}
	if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED)
		buf_printf(err, _("TLS handshake with %s failed: the server said \"%s\""),
		    net_name(c), gnutls_alert_get_name(gnutls_alert_get(c->tls)));
	else
		buf_printf(err, _("TLS handshake with %s failed: %s"), net_name(c),
		    gnutls_strerror(rc));
	buf_adds(err, _("; nothing was sent (is the port right? 465 speaks TLS at once, 587 needs tls = starttls)"));
	return ST_PROTOCOL;
}

/*
 * Loads into t->cred, before the handshake, what p trusts: the ca_file,
 * or the whole system store when its file cannot be picked from (then
 * GnuTLS's own error or count decides). Returns the number of
 * certificates, 1 when the pick waits for the chain, or a GnuTLS error.
 */
static int
load_before(struct tls_state *t, const struct tls_params *p)
{
	if (p->ca_file) {
		t->store = p->ca_file;
		t->whole = 1;
		return gnutls_certificate_set_x509_trust_file(t->cred, p->ca_file,
		    GNUTLS_X509_FMT_PEM);
	}
	t->system = 1;
#ifdef TRUST_STORE_FILE
	if (access(TRUST_STORE_FILE, R_OK) == 0) {
		t->store = TRUST_STORE_FILE;
		return 1;
	}
#endif
	t->whole = 1;
	return gnutls_certificate_set_x509_system_trust(t->cred);
}

/* The most certificates of a server's chain whose names the pick
 * looks for; a longer chain only makes the whole store decide. */
#define CHAIN_MAX 16

/*
 * Loads from the store file the certificates whose subject is the issuer
 * or the subject of a certificate in the server's chain, and keeps their
 * text for --check. Returns how many were loaded; 0 when none (or the
 * file could not be read), so that the whole store decides.
 */
static int
load_picked(gnutls_session_t s, struct tls_state *t)
{
	struct trust_name names[2 * CHAIN_MAX];
	const gnutls_datum_t *chain;
	gnutls_datum_t pem;
	unsigned n = 0;
	size_t k = 0;
	int rc;

	chain = gnutls_certificate_get_peers(s, &n);
	for (unsigned i = 0; chain && i < n && i < CHAIN_MAX; i++)
		if (trust_der_names(chain[i].data, chain[i].size, &names[k],
		    &names[k + 1]) == 1)
			k += 2;
	buf_reset(&t->picked);
	if (k == 0 || trust_pick(t->store, names, k, &t->picked) <= 0 ||
	    t->picked.len == 0)
		return 0;
	pem.data = (unsigned char *)t->picked.data;
	pem.size = (unsigned)t->picked.len;
	rc = gnutls_certificate_set_x509_trust_mem(t->cred, &pem,
	    GNUTLS_X509_FMT_PEM);
	return rc > 0 ? rc : 0;
}

/*
 * GnuTLS's verify function for the session, called once the server's
 * chain is in: the picked certificates first; when they do not verify
 * (or there are none: the provider changed its CA, or the chain names a
 * CA the store lacks) the whole store decides, as if loaded up front.
 * The verdict is kept in t->status for the error message.
 */
static int
verify_server(gnutls_session_t s)
{
	struct tls_state *t = gnutls_session_get_ptr(s);
	int rc;

	t->status = 0;
	if (!t->whole && load_picked(s, t) > 0 &&
	    gnutls_certificate_verify_peers3(s, t->host, &t->status) >= 0 &&
	    t->status == 0)
		return 0;
	if (!t->whole) {
		buf_reset(&t->picked);
		t->whole = 1;
		rc = gnutls_certificate_set_x509_system_trust(t->cred);
		if (rc <= 0) {
			t->no_trust = 1;
			return GNUTLS_E_CERTIFICATE_ERROR;
		}
	}
	if (gnutls_certificate_verify_peers3(s, t->host, &t->status) < 0)
		return GNUTLS_E_CERTIFICATE_ERROR;
	return t->status ? GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR : 0;
}

/* A client session with its state and (empty) credentials. */
static enum status
new_session(struct conn *c, struct buf *err)
{
	struct tls_state *t = xcalloc(1, sizeof *t);

	buf_init(&t->picked);
	if (gnutls_certificate_allocate_credentials(&t->cred) < 0 ||
	    gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NO_TICKETS |
	    GNUTLS_NO_SIGNAL) < 0) {
		if (t->cred)
			gnutls_certificate_free_credentials(t->cred);
		free(t);
		c->tls = NULL;
		buf_adds(err, _("cannot set up TLS: out of memory"));
		return ST_OSERR;
	}
	gnutls_session_set_ptr(c->tls, t);
	return ST_OK;
}

static enum status
configure(struct conn *c, const struct tls_params *p, struct buf *err)
{
	struct tls_state *t = gnutls_session_get_ptr(c->tls);

	if (gnutls_priority_set_direct(c->tls, priority, NULL) < 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, t->cred) < 0) {
		buf_adds(err, _("cannot set up TLS: the GnuTLS library refused the settings"));
		return ST_OSERR;
	}
	if (!is_ip_literal(p->host))
		gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, p->host,
		    strlen(p->host));
	if (p->pin == NULL)
		gnutls_session_set_verify_function(c->tls, verify_server);
	gnutls_transport_set_int(c->tls, c->fd);
	return ST_OK;
}

static enum status
handshake(struct conn *c, const struct tls_params *p, struct buf *err)
{
	long long deadline = net_now_ms() + p->timeout_ms;
	enum status st;
	int rc;

	while ((rc = gnutls_handshake(c->tls)) < 0) {
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			st = net_wait(c, gnutls_record_get_direction(c->tls) ?
			    POLLOUT : POLLIN, deadline,
			    _("during the TLS handshake with"), err);
			if (st != ST_OK)
				return st;
			continue;
		}
		if (!gnutls_error_is_fatal(rc))
			continue;	/* a warning alert */
		c->cert_refused = rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
		return handshake_failed(c, rc, p, err);
	}
	return ST_OK;
}

enum status
tls_start(struct conn *c, const struct tls_params *p, struct buf *err)
{
	struct tls_state *t;
	enum status st;
	int rc;

	c->cert_refused = 0;
	c->no_trust = 0;
	if ((st = new_session(c, err)) != ST_OK)
		return st;
	t = gnutls_session_get_ptr(c->tls);
	t->host = p->host;
	rc = p->pin ? 1 : load_before(t, p);	/* a pin decides after the handshake */
	if (rc <= 0) {
		c->no_trust = 1;
		st = no_trust(p, rc, err);
	} else if ((st = configure(c, p, err)) == ST_OK &&
	    (st = handshake(c, p, err)) == ST_OK && p->pin &&
	    (st = check_pin(c, p->pin, err)) != ST_OK) {
		c->cert_refused = 1;
	}
	t->host = NULL;
	if (st != ST_OK)
		tls_discard(c);
	return st;
}

/* The subjects of the picked certificates, quoted, comma-separated. */
static void
add_picked(struct buf *out, const struct buf *pem)
{
	gnutls_datum_t d = { (unsigned char *)pem->data, (unsigned)pem->len };
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;

	if (gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM,
	    0) < 0)
		return;
	for (unsigned i = 0; i < n; i++) {
		if (i)
			buf_adds(out, ", ");
		add_dn(out, crts[i], 0);
		gnutls_x509_crt_deinit(crts[i]);
	}
	gnutls_free(crts);
}

int
tls_describe_trust(const struct conn *c, struct buf *out)
{
	const struct tls_state *t = c->tls ? gnutls_session_get_ptr(c->tls) :
	    NULL;

	if (t == NULL || (!t->system && t->store == NULL))
		return -1;
	if (!t->system) {
		buf_printf(out, "ca_file = %s", t->store);
		return 0;
	}
	buf_adds(out, _("the system trust store"));
	if (t->picked.len) {
		buf_printf(out, _(" %s: its CA "), t->store);
		add_picked(out, &t->picked);
	} else {
		buf_adds(out, _(", all of it"));
	}
	return 0;
}

int
tls_cert_file_expiry(const char *path, long long *when)
{
	gnutls_datum_t d = { NULL, 0 };
	gnutls_x509_crt_t crt;
	int rc = -1;

	if (gnutls_load_file(path, &d) < 0)
		return -1;
	if (gnutls_x509_crt_init(&crt) >= 0) {
		if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) >= 0) {
			*when = (long long)gnutls_x509_crt_get_expiration_time(crt);
			rc = 0;
		}
		gnutls_x509_crt_deinit(crt);
	}
	gnutls_free(d.data);
	return rc;
}
