/*
 * password - an account's password, from the config or its
 * password_command; see password.h.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "i18n.h"
#include "password.h"

enum status
password_run(const struct account *a, const char *key, const char *command,
    char **secret, struct buf *err)
{
	static char *const clean_env[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", NULL
	};
	struct buf out = BUF_INIT;
	int fds[2], status;
	pid_t pid;
	char block[512];
	ssize_t got;

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
		gid_t g = a->callers_command ? getgid() : getegid();

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
	while ((got = read(fds[0], block, sizeof block)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (out.len < 4096)
			buf_add(&out, block, (size_t)got);
	}
	explicit_bzero(block, sizeof block);
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

enum status
password_get(struct account *a, struct buf *err)
{
	if (a->password)
		return ST_OK;
	return password_run(a, "password_command", a->password_command, &a->password, err);
}

void
password_unspace(char *p)
{
	size_t n = strlen(p);

	if (n != 19)
		return;
	for (size_t i = 0; i < n; i++) {
		if (i % 5 == 4 ? p[i] != ' ' : !islower((unsigned char)p[i]))
			return;
	}
	for (size_t i = 0, j = 0; i <= n; i++)
		if (p[i] != ' ')
			p[j++] = p[i];
}
