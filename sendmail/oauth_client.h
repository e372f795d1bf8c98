/* SPDX-License-Identifier: MIT */
/*
 * oauth_client - sendmail's side of the helper program saatja-oauth
 * (oauth_helper.c): runs it, hands it one request over a pipe (fd 3 in
 * the helper) and reads its answer from another (fd 4), and turns a
 * refusal into a status and a sentence that says what to do.
 *
 * The helper is $(pkglibexecdir)/saatja-oauth. SAATJA_OAUTH_HELPER names
 * another one, but only when sendmail runs with the caller's own rights
 * (the tests use it for the build tree); a set-group-ID sendmail never
 * lets the environment pick a program.
 */
#ifndef SAATJA_OAUTH_CLIENT_H
#define SAATJA_OAUTH_CLIENT_H

#include "buf.h"
#include "config.h"
#include "oauth_proto.h"
#include "status.h"

/* The request for op ("refresh", "authorize", "grant") about a, without
 * the refresh token, into req. */
void oauth_client_request(const struct account *a, const char *op, struct buf *req);

/*
 * Runs the helper with req and parses its answer into ans (empty at the
 * call). interactive: the helper shares sendmail's stdin and stdout (for
 * --authorize); otherwise stdin and stdout are /dev/null. callers (an
 * account of a file the caller chose, token.h) runs it with the
 * caller's group only. ST_OK
 * when an answer came, whatever it says; ST_OSERR when the helper cannot
 * run; ST_PROTOCOL when it ended without a readable answer.
 */
enum status oauth_client_run(int callers,
    const struct buf *req, int interactive, struct oauth_msg *ans,
    struct buf *err);

/*
 * For an answer whose result is not ok: ST_NOPERM when the service
 * refused (with what to do: --authorize again for invalid_grant, the
 * application's registration for invalid_client, Entra ID's AADSTS and
 * Google's service account refusals in their own words, ...) or a file
 * of the application cannot be used, ST_TEMP_SERVER when the service is
 * busy (temporarily_unavailable, server_error), ST_TEMP_NETWORK
 * or ST_TEMP_PROTOCOL when it could not be reached or answered nonsense,
 * ST_OSERR for the helper's own trouble. The message goes into err.
 */
enum status oauth_client_failure(const struct account *a,
    const struct oauth_msg *ans, struct buf *err);

#endif
