/* SPDX-License-Identifier: MIT */
/*
 * oauth_autoconfig_op - saatja-oauth's "autoconfig" request: fetch one
 * candidate URL of a provider's mail settings (config-v1.1.xml) and
 * answer with the SMTP servers it names, for `sendmail --setup`. sendmail
 * asks once per URL, in its own order (autoconfig.DOMAIN, the domain's
 * .well-known, the ISPDB); this side keeps no list and guesses nothing.
 *
 * Request ("key value" lines of oauth_proto.h):
 *   op autoconfig
 *   address   user@domain: fills %EMAILADDRESS%, %EMAILLOCALPART%,
 *             %EMAILDOMAIN%
 *   url       https:// only
 *   ca_file   trust only these CAs (else the system store)
 *   timeout   seconds for the whole fetch, 1 to 300 (default 15);
 *             connecting gives up after 10 s or that, if shorter
 * The fetch: https only, redirects too (at most 3), TLS 1.2 or newer,
 * the certificate and its name verified, at most 256 KiB.
 *
 * Answer:
 *   result ok|not_found|unreachable|too_large|malformed|usage|local
 *   url           where the fetch ended, after redirects (all but usage
 *                 and local)
 *   error         (unreachable) network (name lookup, connect, time
 *                 limit, a cut connection), tls (certificate or
 *                 handshake refused), protocol (a redirect to other than
 *                 https, too many redirects, a broken answer) or status
 *                 (an HTTP status other than 200, 404, 410)
 *   status        the HTTP status (not_found; unreachable with error
 *                 status)
 *   description   a printable one-line explanation (all but ok; ok too
 *                 when servers were skipped: why the first was)
 * and with result ok:
 *   provider      emailProvider's id ("" when it has none)
 *   display_name  ("" when none)
 *   servers       N, 1 to 16
 *   skipped       SMTP servers of the file left out (invalid, or past 16)
 *   host.I port.I socket.I auth.I username.I    for I = 1..N, in the
 *                 file's order: a DNS name; 1-65535; SSL, STARTTLS or
 *                 plain; the file's <authentication> values joined by
 *                 ',' (may be ""); the username after its placeholders
 *                 (may be "")
 * Every value is printable ASCII (what is not becomes '?').
 */
#ifndef SAATJA_OAUTH_AUTOCONFIG_OP_H
#define SAATJA_OAUTH_AUTOCONFIG_OP_H

#include "buf.h"
#include "oauth_proto.h"

/* Runs the autoconfig request req; the answer (whatever it says) goes
 * into a. */
void oauth_autoconfig_op(const struct oauth_msg *req, struct buf *a);

#endif
