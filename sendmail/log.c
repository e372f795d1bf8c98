/* SPDX-License-Identifier: MIT */
/*
 * log - syslog, stderr or file logging; see log.h.
 *
 * A log file that cannot be opened falls back to syslog: losing the log
 * must not lose the message.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

static enum { TO_SYSLOG, TO_STDERR, TO_FILE } where = TO_SYSLOG;
static FILE *file;
static int opened;

void
log_open(const char *target)
{
	log_close();
	if (target && strcmp(target, "stderr") == 0)
		where = TO_STDERR;
	else if (target && target[0] == '/' &&
	    (file = fopen(target, "ae")) != NULL)
		where = TO_FILE;
	else {
		where = TO_SYSLOG;
		openlog("saatja", LOG_PID, LOG_MAIL);
	}
	opened = 1;
}

void
log_msg(int priority, const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	va_list ap;

	if (!opened)
		log_open(NULL);
	va_start(ap, fmt);
	buf_vprintf(&line, fmt, ap);
	va_end(ap);
	if (where == TO_SYSLOG) {
		syslog(priority, "%s", buf_str(&line));
	} else {
		FILE *out = where == TO_FILE ? file : stderr;
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(out, "%s saatja[%ld]: %s\n", stamp, (long)getpid(),
		    buf_str(&line));
		fflush(out);
	}
	buf_free(&line);
}

void
log_close(void)
{
	if (!opened)
		return;
	if (where == TO_FILE && file)
		fclose(file);
	else if (where == TO_SYSLOG)
		closelog();
	file = NULL;
	opened = 0;
}
