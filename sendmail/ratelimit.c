/* SPDX-License-Identifier: MIT */
/*
 * ratelimit - max_per_hour; see ratelimit.h.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "ratelimit.h"

time_t
ratelimit_wait(struct ratelimit *r, const char *dir, const struct account *a)
{
	static int warned;
	struct buf all = BUF_INIT, p = BUF_INIT;
	time_t now = time(NULL), oldest = 0;
	size_t n = 0;
	char block[4096];
	ssize_t got;

	r->fd = -1;
	buf_init(&r->recent);
	if (a->max_per_hour == 0)
		return 0;
	buf_printf(&p, "%s/%s.rate", dir, a->address);
	r->fd = open(p.data, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
	if (r->fd < 0) {
		/* Said once a run: every message of the run would say it. */
		if (!warned)
			log_msg(LOG_WARNING, "cannot open %s: %s; max_per_hour of %s is"
			    " not applied", p.data, strerror(errno), a->address);
		warned = 1;
		buf_free(&p);
		return 0;
	}
	buf_free(&p);
	flock(r->fd, LOCK_EX);
	while ((got = pread(r->fd, block, sizeof block, (off_t)all.len)) > 0)
		buf_add(&all, block, (size_t)got);
	for (char *line = all.data; line && *line;) {
		char *end = strchr(line, '\n');
		time_t t = (time_t)strtoll(line, NULL, 10);

		if (t > now - 3600) {
			if (n == 0 || t < oldest)
				oldest = t;
			n++;
			buf_printf(&r->recent, "%lld\n", (long long)t);
		}
		line = end ? end + 1 : NULL;
	}
	buf_free(&all);
	return n >= a->max_per_hour ? oldest + 3600 : 0;
}

void
ratelimit_record(struct ratelimit *r)
{
	if (r->fd < 0)
		return;
	buf_printf(&r->recent, "%lld\n", (long long)time(NULL));
	if (ftruncate(r->fd, 0) == 0)
		(void)!pwrite(r->fd, r->recent.data, r->recent.len, 0);
}

void
ratelimit_done(struct ratelimit *r)
{
	if (r->fd >= 0)
		close(r->fd);	/* drops the lock */
	r->fd = -1;
	buf_free(&r->recent);
}

