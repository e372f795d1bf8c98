/* SPDX-License-Identifier: MIT */
/*
 * oauth_autoconfig - reading a provider's mail settings in Thunderbird's
 * format, config-v1.1.xml (from autoconfig.DOMAIN, DOMAIN/.well-known or
 * the ISPDB), into the SMTP servers it names. Only the bytes: fetching
 * them is oauth_autoconfig_op's, so this part can be fuzzed and tested
 * on its own.
 *
 * The document comes from whoever answers for the domain, so nothing in
 * it is trusted. expat reads it; a document type declaration is refused
 * outright (the format never has one, and without one no entity can be
 * defined, so no entity expansion can blow up), and so is an element
 * nested deeper than OAUTH_AUTOCONFIG_DEPTH, a root other than
 * <clientConfig>, and a document over OAUTH_AUTOCONFIG_MAX octets. A
 * value longer than OAUTH_AUTOCONFIG_TEXT makes its server skipped (a
 * display name is cut instead).
 *
 * What counts: the first <emailProvider> of <clientConfig>, its id
 * attribute, its first <displayName>, and its <outgoingServer type="smtp">
 * elements in document order (those of another type are ignored). In
 * one of those, <hostname>, <port>, <socketType>, <authentication>
 * (repeatable) and <username>; %EMAILADDRESS%, %EMAILLOCALPART% and
 * %EMAILDOMAIN% in the hostname and username (and in the id and the
 * display name, as Thunderbird does) become the address's. A
 * server whose hostname is not a DNS name (letters, digits, '-', '.',
 * labels of 1 to 63, at most 253 octets), whose port is not 1 to 65535
 * or whose socketType is not SSL, STARTTLS or plain is skipped, and so
 * is every one after the first OAUTH_AUTOCONFIG_SERVERS; the count and
 * the first reason are kept. An <authentication> that is not a plain
 * word ([A-Za-z0-9_-], at most 40) is left out of the list, and so is
 * every one after the first OAUTH_AUTOCONFIG_AUTHS.
 *
 * Every string of the result is printable ASCII on one line (what is not
 * becomes '?').
 */
#ifndef SAATJA_OAUTH_AUTOCONFIG_H
#define SAATJA_OAUTH_AUTOCONFIG_H

#include <stddef.h>

#include "buf.h"

#define OAUTH_AUTOCONFIG_MAX (256 * 1024)
#define OAUTH_AUTOCONFIG_SERVERS 16
#define OAUTH_AUTOCONFIG_AUTHS 8
#define OAUTH_AUTOCONFIG_DEPTH 32
/* The longest text of an element, and so of a display name, a username
 * or a hostname before its placeholders are replaced. */
#define OAUTH_AUTOCONFIG_TEXT 1024

struct oauth_autoconfig_server {
	char *host;		/* a DNS name */
	unsigned port;		/* 1 to 65535 */
	char *socket;		/* "SSL", "STARTTLS" or "plain" */
	char *auth;		/* "password-cleartext,OAuth2", or "" */
	char *username;		/* after the placeholders, or "" */
};

struct oauth_autoconfig {
	char *provider;		/* emailProvider's id, or "" */
	char *display_name;	/* or "" */
	struct oauth_autoconfig_server server[OAUTH_AUTOCONFIG_SERVERS];
	size_t n;		/* 1 or more after a success */
	size_t skipped;		/* SMTP servers not in server[] */
	struct buf skipped_why;	/* why the first of them was skipped */
};

/*
 * Reads the document xml (len octets) for address (user@domain, which
 * fills the placeholders) into c, which must be zeroed. Returns 0 with
 * at least one server, or -1 with the reason in err (c is then freed):
 * not well-formed XML (with its line), a DOCTYPE, too deep or too long,
 * another root, no SMTP server, or none that could be used (with why
 * the first was skipped).
 */
int oauth_autoconfig_parse(const char *xml, size_t len, const char *address,
    struct oauth_autoconfig *c, struct buf *err);
void oauth_autoconfig_free(struct oauth_autoconfig *c);

#endif
