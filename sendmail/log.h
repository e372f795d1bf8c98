/* SPDX-License-Identifier: MIT */
/*
 * log - one line per outcome (doc/DESIGN.md, Logging) to syslog (facility
 * mail, ident saatja), standard error, or a file, as the config's log key
 * says.
 *
 * Callers never pass a password; the formats are fixed strings in the
 * callers, so nothing from outside picks a format.
 */
#ifndef SAATJA_LOG_H
#define SAATJA_LOG_H

#include <syslog.h>

/* target: "syslog", "stderr" or an absolute path; NULL means syslog. */
void log_open(const char *target);
void log_msg(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_close(void);

#endif
