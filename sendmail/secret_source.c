/* SPDX-License-Identifier: MIT */
/*
 * secret_source - which key gives an account's password; see
 * secret_source.h.
 */
#include "autoconf.h"

#include <string.h>
#include <sys/stat.h>

#include "i18n.h"
#include "secret_source.h"

int
secret_source_given(const struct account *a)
{
	return a->password || a->password_command || a->password_file;
}

int
secret_source_is_credential(const char *value)
{
	return strchr(value, '/') == NULL;
}

int
secret_source_file_ok(const char *v)
{
	if (v[0] == '/')
		return 1;
	return v[0] != '\0' && strchr(v, '/') == NULL &&
	    strcmp(v, ".") != 0 && strcmp(v, "..") != 0;
}

int
secret_source_check(const struct account *a, int needs_password,
    const char **key, const char **why)
{
	static struct buf msg = BUF_INIT;	/* *why outlives this call */
	struct stat sb;

	buf_reset(&msg);
	*key = NULL;
	if (!!a->password + !!a->password_command + !!a->password_file > 1) {
		*key = a->password_file ? "password_file" : "password_command";
		*why = _("give one of password, password_command and password_file, not more");
		return -1;
	}
	if (needs_password && !secret_source_given(a)) {
		*why = _("no password: add password = (in double quotes if it holds ; or #), password_command = or password_file =");
		return -1;
	}
	if (a->password_file == NULL)
		return 0;
	*key = "password_file";
	if (!secret_source_file_ok(a->password_file))
		buf_printf(&msg, _("\"%s\" is neither an absolute path nor the name of a systemd credential (a name without a slash, read from $CREDENTIALS_DIRECTORY)"),
		    a->password_file);
	else if (a->password_file[0] == '/' && stat(a->password_file, &sb) == 0 &&
	    (sb.st_mode & S_IROTH))
		buf_printf(&msg, _("every user of this machine can read %s, and it holds a secret; run: chmod 600 %s (chmod 640 with the group of sendmail for the system config)"),
		    a->password_file, a->password_file);
	*why = buf_str(&msg);
	return msg.len ? -1 : 0;
}

void
secret_source_describe(const struct account *a, struct buf *out)
{
	if (a->password_file && secret_source_is_credential(a->password_file))
		buf_printf(out, _("the systemd credential %s (password_file)"),
		    a->password_file);
	else if (a->password_file)
		buf_printf(out, "password_file %s", a->password_file);
	else
		buf_adds(out, a->password_command ? "password_command" :
		    "password =");
}
