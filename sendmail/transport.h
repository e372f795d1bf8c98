/*
 * transport - delivering one planned message now: one SMTP session
 * (connect, TLS, AUTH, the transaction, QUIT) and one log line per
 * outcome (SPEC §9).
 *
 * The queue will call the smtp module itself to send several messages
 * over one session; this layer is the "deliver this one now" path.
 */
#ifndef SAATJA_TRANSPORT_H
#define SAATJA_TRANSPORT_H

#include "account.h"
#include "buf.h"
#include "config.h"
#include "message.h"
#include "options.h"
#include "status.h"

/*
 * Sends m as plan p says, with the -v/-X trace and -B/-N/-R/-V from o.
 * Returns ST_OK when the server took the message for at least one
 * recipient; then err, when not empty, is a warning naming the refused
 * recipients. Otherwise the smtp module's status (see smtp.h) with the
 * reason in err, or ST_CANTCREAT when the -X file cannot be opened.
 */
enum status transport_deliver(const struct config *c, const struct options *o,
    struct plan *p, const struct message *m, struct buf *err);

/*
 * The short log ID of a message: derived from its Message-ID, or random
 * when it has none. Ten upper-case hex digits, like a Postfix queue ID.
 */
void transport_log_id(const struct message *m, char id[11]);

/*
 * Logs one outcome (SPEC §9): "ID: from=<account> to=<r>,... size=N
 * relay=HOST[IP]:PORT tls=V status=sent|deferred|failed (why) delay=Ds".
 */
void transport_log_outcome(const char *id, const struct account *a,
    const char *relay, const char *tls, const char **to, size_t nto,
    off_t size, const char *status, const char *why, double delay);

#endif
