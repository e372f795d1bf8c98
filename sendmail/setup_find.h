/* SPDX-License-Identifier: MIT */
/*
 * setup_find - where sendmail --setup looks for the submission server of
 * an address, in this order, stopping at the first answer that verifies:
 *	the preset for the address's domain (providers.h);
 *	the domain's MX records matched against the presets' mail
 *	exchangers (a company domain at Microsoft 365 or Google);
 *	the SRV records of RFC 6186 and RFC 8314, _submissions._tcp
 *	(implicit TLS) before _submission._tcp (STARTTLS);
 *	autoconfig files (Thunderbird's config-v1.1.xml): the provider's
 *	own https://autoconfig.DOMAIN/... and https://DOMAIN/.well-known/...,
 *	then Thunderbird's ISPDB for the domain and for the MX's domain,
 *	fetched and read by the helper saatja-oauth, so that HTTP and XML
 *	stay out of sendmail;
 *	last, smtp.DOMAIN and mail.DOMAIN on 465, then on 587.
 * An answer counts only when its server's certificate verifies for its
 * name (the system's trust store) and it offers AUTH. An answer that
 * points outside the address's domain and that no preset, the domain's
 * own HTTPS or the ISPDB vouches for (an SRV target elsewhere) is shown
 * and must be confirmed. Each step prints one line saying what it found.
 */
#ifndef SAATJA_SETUP_FIND_H
#define SAATJA_SETUP_FIND_H

#include "buf.h"
#include "providers.h"
#include "report.h"
#include "status.h"

enum found_from {
	FROM_PRESET, FROM_MX, FROM_SRV, FROM_AUTOCONFIG, FROM_ISPDB, FROM_GUESS,
};

struct found {
	char *host;
	unsigned port;
	enum tls_mode tls;
	const struct provider *preset;	/* when the answer is a preset */
	enum found_from from;
	char *where;		/* the record or URL it came from */
	int outside;		/* needs the user's confirmation */
	int oauth;		/* the provider lists OAuth2 */
	int password;		/* the provider lists a password login */
	char *login;		/* the login the provider's file names */
	char *tls_version;	/* what the probe negotiated */
	struct strlist auth;	/* what the server offered, upper case */
};

struct setup_find_how {
	int callers;		/* run the helper with the caller's rights */
	unsigned timeout;	/* seconds for each probe */
	/* Asked for an answer with outside set: non-zero to take it. */
	int (*confirm)(void *arg, const struct found *f);
	void *arg;
};

/*
 * Looks for the server of address (a valid address: local@domain),
 * reporting each step on r. ST_OK with the answer in f (freed with
 * found_free). Otherwise ST_UNAVAILABLE, and err says what was tried
 * (and whether the DNS failed to answer) and what to do.
 */
enum status setup_find(const char *address, const struct setup_find_how *how,
    struct report *r, struct found *f, struct buf *err);

void found_free(struct found *f);

/* "the preset", "the MX record", ...: where an answer came from. */
const char *found_from_name(enum found_from from);

#endif
