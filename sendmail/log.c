/* SPDX-License-Identifier: MIT */
/*
 * log - syslog, stderr or file logging; see log.h.
 *
 * A log file that cannot be opened falls back to syslog: losing the log
 * must not lose the message.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "jsonw.h"
#include "log.h"
#include "util.h"

static enum { TO_SYSLOG, TO_STDERR, TO_FILE } where = TO_SYSLOG;
static int fd = -1;
static int opened, as_json;

void
log_open(const char *target, int json)
{
	log_close();
	as_json = json;
	if (target && strcmp(target, "stderr") == 0)
		where = TO_STDERR;
	else if (target && target[0] == '/' &&
	    (fd = open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOCTTY, 0666)) >= 0)
		where = TO_FILE;
	else {
		where = TO_SYSLOG;
		openlog("saatja", LOG_PID, LOG_MAIL);
	}
	opened = 1;
}

static const char *
level_name(int priority)
{
	static const char *const names[] = { "emerg", "alert", "crit", "err",
	    "warning", "notice", "info", "debug" };

	return names[LOG_PRI(priority) & 7];
}

/* RFC 3339, UTC, milliseconds: 2026-12-04T16:40:00.123Z */
static void
add_time(struct buf *b)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	buf_printf(b, "%s.%03ldZ", stamp, ts.tv_nsec / 1000000);
}

/* One line, in one write: concurrent writers' lines never mix. */
static void
emit(int priority, const char *text, const char *members)
{
	struct buf line = BUF_INIT;

	if (as_json) {
		buf_adds(&line, "{\"time\":");
		buf_addc(&line, '"');
		add_time(&line);
		buf_addc(&line, '"');
		jsonw_int(&line, "pid", (long long)getpid());
		jsonw_str(&line, "level", level_name(priority));
		if (members)
			buf_printf(&line, ",%s", members);
		else
			jsonw_str(&line, "event", "log");
		jsonw_str(&line, "message", text);
		buf_addc(&line, '}');
	} else if (where != TO_SYSLOG) {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
		buf_printf(&line, "%s saatja[%ld]: %s", stamp, (long)getpid(),
		    text);
	} else {
		buf_adds(&line, text);
	}
	if (where == TO_SYSLOG) {
		syslog(priority, "%s", buf_str(&line));
	} else {
		buf_addc(&line, '\n');
		(void)write_all(where == TO_FILE ? fd : STDERR_FILENO,
		    line.data, line.len);
	}
	buf_free(&line);
}

void
log_msg(int priority, const char *fmt, ...)
{
	struct buf text = BUF_INIT;
	va_list ap;

	if (!opened)
		log_open(NULL, 0);
	va_start(ap, fmt);
	buf_vprintf(&text, fmt, ap);
	va_end(ap);
	emit(priority, buf_str(&text), NULL);
	buf_free(&text);
}

void
log_event(int priority, const char *text, const char *members)
{
	if (!opened)
		log_open(NULL, 0);
	emit(priority, text, members);
}

void
log_close(void)
{
	if (!opened)
		return;
	if (where == TO_FILE && fd >= 0)
		close(fd);
	else if (where == TO_SYSLOG)
		closelog();
	fd = -1;
	opened = 0;
}
