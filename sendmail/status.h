/* SPDX-License-Identifier: MIT */
/*
 * status - the outcome of every step saatja takes, and the one place that
 * turns an outcome into an exit code (sysexits.h) and a delivery decision.
 *
 * Modules return an enum status plus a message in a struct buf; only main
 * maps it to an exit code. Temporary outcomes are kept apart by kind so that
 * the queue can retry them and, where nothing could be queued, the exit code
 * still says what went wrong. EX_TEMPFAIL (75) is never used: PHP counts it
 * as success.
 */
#ifndef SAATJA_STATUS_H
#define SAATJA_STATUS_H

enum status {
	ST_OK = 0,
	ST_USAGE,		/* bad options, no recipients */
	ST_DATAERR,		/* unusable message */
	ST_NOUSER,		/* every recipient refused */
	ST_UNAVAILABLE,		/* server refused the message permanently */
	ST_OSERR,		/* out of memory, fork failed */
	ST_CANTCREAT,		/* could not create a queue or spool file */
	ST_IOERR,		/* read or write failed */
	ST_PROTOCOL,		/* the server broke the protocol */
	ST_NOPERM,		/* sender rule, AUTH refused, certificate */
	ST_CONFIG,		/* config missing, invalid or unsafe */
	ST_TEMP_SERVER,		/* 4xx reply: try again later */
	ST_TEMP_NETWORK,	/* connect refused, timeout, name lookup */
	ST_TEMP_PROTOCOL,	/* TLS handshake or connection cut short */
};

/* The sysexits.h code for s when the message could not be queued. */
int status_exit_code(enum status s);
/* Non-zero when s is worth retrying later. */
int status_is_temporary(enum status s);
/* A short English name of s, for logs ("temporary server failure"). */
const char *status_name(enum status s);

#endif
