/* SPDX-License-Identifier: MIT */
/*
 * log - one line per outcome (doc/DESIGN.md, Logging) to syslog (facility
 * mail, ident saatja), standard error, or a file, as the config's log key
 * says; as text or, with log_format = json, one JSON object a line
 * (saatja.ini(5), JSON LOG).
 *
 * Callers never pass a password; the formats are fixed strings in the
 * callers, so nothing from outside picks a format. A line reaches a file
 * or standard error in one write(2), the file opened O_APPEND, so lines
 * of concurrent queue runners never mix.
 */
#ifndef SAATJA_LOG_H
#define SAATJA_LOG_H

#include <syslog.h>

/* target: "syslog", "stderr" or an absolute path; NULL means syslog.
 * json: one JSON object a line instead of text. */
void log_open(const char *target, int json);
/* A line of text; as JSON, the object {time, pid, level, event "log",
 * message}. */
void log_msg(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * An event with fields of its own: text is the line in text form (and
 * the message of the JSON form); members are the JSON members that
 * follow time, pid and level, "event":"NAME" first, written by jsonw.h.
 */
void log_event(int priority, const char *text, const char *members);
void log_close(void);

#endif
