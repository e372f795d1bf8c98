/* SPDX-License-Identifier: MIT */
/*
 * runner - is anything set to retry the queue; see runner.h.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "paths.h"
#include "runner.h"

/*
 * A queue run leaves its time here (the file's mtime), so that mailq and
 * --check can tell a queue that something retries from one that nothing
 * does, whoever runs it: the timer, cron, a user's crontab.
 */
#define RUN_MARK "last-run"
#define RUN_FRESH (3600)	/* seconds a run counts as "recent" */

void
runner_mark(const struct queue *q)
{
	struct buf p = BUF_INIT;
	int fd;

	buf_printf(&p, "%s/%s", q->dir, RUN_MARK);
	fd = open(p.data, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
	if (fd >= 0) {
		futimens(fd, NULL);
		close(fd);
	}
	buf_free(&p);
}

int
runner_unattended(const struct queue *q, size_t n, struct buf *warning)
{
	struct buf p = BUF_INIT;
	struct stat sb;
	int recent;

	if (n == 0 || q->dir == NULL)
		return 0;
	if (strcmp(q->dir, PATH_SYSTEM_SPOOL) == 0 &&
	    (access(PATH_RUNNER_TIMER, F_OK) == 0 || access(PATH_RUNNER_CRON, F_OK) == 0))
		return 0;
	buf_printf(&p, "%s/%s", q->dir, RUN_MARK);
	recent = stat(p.data, &sb) == 0 && time(NULL) - sb.st_mtime < RUN_FRESH;
	buf_free(&p);
	if (recent)
		return 0;
	buf_printf(warning, ngettext("%zu message waits for a retry, but nothing will retry it: no queue runner is enabled and no queue run happened in the last hour; run saatja-runner enable as root (or sendmail -q now)",
	    "%zu messages wait for a retry, but nothing will retry them: no queue runner is enabled and no queue run happened in the last hour; run saatja-runner enable as root (or sendmail -q now)",
	    n), n);
	return 1;
}

