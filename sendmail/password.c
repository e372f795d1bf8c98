/* SPDX-License-Identifier: MIT */
/*
 * password - an account's password, from the config or its
 * password_command; see password.h.
 */
#include "autoconf.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "i18n.h"
#include "password.h"

enum status
password_run(const struct account *a, int callers, const char *key,
    const char *command, char **secret, struct buf *err)
{
	static char *const clean_env[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", NULL
	};
	struct buf out = BUF_INIT;
	int fds[2], status;
	pid_t pid;

	*secret = NULL;
	if (pipe(fds) != 0) {
		buf_printf(err, _("cannot run %s: %s"), key, strerror(errno));
		return ST_OSERR;
	}
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		buf_printf(err, _("cannot run %s: %s"), key, strerror(errno));
		return ST_OSERR;
	}
	if (pid == 0) {
		gid_t g = callers ? getgid() : getegid();

		if (setregid(g, g) != 0)
			_exit(126);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execle("/bin/sh", "sh", "-c", command, (char *)NULL,
		    clean_env);
		_exit(127);
	}
	close(fds[1]);
	(void)buf_read_fd(&out, fds[0], 4096);	/* the first line is wanted */
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	out.len = strcspn(buf_str(&out), "\r\n");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || out.len == 0) {
		xfree_secret(buf_take(&out));
		buf_printf(err, _("[%s] %s failed (%s); run it by hand to see why"),
		    a->address, key, WIFEXITED(status) && WEXITSTATUS(status) == 0 ?
		    _("it printed nothing") : _("it exited with an error"));
		return ST_CONFIG;
	}
	out.data[out.len] = '\0';
	*secret = buf_take(&out);
	return ST_OK;
}
