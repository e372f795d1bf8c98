/* SPDX-License-Identifier: MIT */
/*
 * ini - the syntax of saatja.ini; see ini.h.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "i18n.h"
#include "ini.h"

/* iniparser reports syntax errors through a printf-like callback. */
static struct buf *ini_errors;

static int
collect_ini_error(const char *fmt, ...)
{
	va_list ap;

	if (ini_errors == NULL)
		return 0;
	va_start(ap, fmt);
	buf_vprintf(ini_errors, fmt, ap);
	va_end(ap);
	return 0;
}

static enum status
fail(struct buf *err, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* err := "PATH: what" */
static enum status
fail(struct buf *err, const char *path, const char *fmt, ...)
{
	va_list ap;

	buf_printf(err, "%s: ", path);
	va_start(ap, fmt);
	buf_vprintf(err, fmt, ap);
	va_end(ap);
	return ST_CONFIG;
}

/*
 * Checks the raw lines for what iniparser would mangle without a word:
 * keys outside any section, a section name with ':' in it, and an
 * unquoted password, password_command or proxy that holds ';' or '#'.
 * Also tells whether the file holds a password at all (a proxy URL with
 * a user name holds one). Only the text between
 * a section's brackets is ever repeated in an error, never a value.
 */
static enum status
prescan(const char *path, FILE *f, int *has_password, struct buf *err)
{
	char line[4096];
	int lineno = 0, in_section = 0;

	*has_password = 0;
	while (fgets(line, sizeof line, f)) {
		char *p = line, *eq, *v, *end;

		lineno++;
		p += strspn(p, " \t");
		if (*p == '[') {
			size_t n = strcspn(p + 1, "]\r\n");

			/* iniparser reads "[a:b]" as a key b of section a,
			 * kept silently when there is no [a] at all */
			if (memchr(p + 1, ':', n))
				return fail(err, path, _("line %d: the section name \"[%.*s]\" holds ':', which makes it a key of another section; remove the ':' from it"),
				    lineno, (int)n, p + 1);
			in_section = 1;
			continue;
		}
		if (*p == ';' || *p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
			continue;
		eq = strchr(p, '=');
		if (eq == NULL)
			continue;	/* iniparser reports syntax errors */
		if (!in_section)	/* the key only: its value may be secret */
			return fail(err, path, _("line %d: the key \"%.*s\" is outside any section; put it under [saatja] or an account"),
			    lineno, (int)strcspn(p, " \t="), p);
		end = eq;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (((size_t)(end - p) == 16 && strncasecmp(p, "password_command", 16) == 0) ||
		    ((size_t)(end - p) == 27 && strncasecmp(p, "oauth_client_secret_command", 27) == 0)) {
			v = eq + 1 + strspn(eq + 1, " \t");
			if (*v != '"' && *v != '\'' && strpbrk(v, ";#"))
				return fail(err, path, _("line %d: %.*s holds ';' or '#', which start a comment in an ini file, so the command would be cut short there; put it in double quotes: %.*s = \"...\""),
				    lineno, (int)(end - p), p, (int)(end - p), p);
			continue;
		}
		/* A proxy URL with a user name holds the proxy's password. */
		if ((size_t)(end - p) == 5 && strncasecmp(p, "proxy", 5) == 0) {
			v = eq + 1 + strspn(eq + 1, " \t");
			*has_password |= strchr(v, '@') != NULL;
			if (*v != '"' && *v != '\'' && strpbrk(v, ";#"))
				return fail(err, path, _("line %d: proxy holds ';' or '#', which start a comment in an ini file; write them in the proxy's password as %%3B and %%23"),
				    lineno);
			continue;
		}
		if (!((size_t)(end - p) == 8 && strncasecmp(p, "password", 8) == 0) &&
		    !((size_t)(end - p) == 19 && strncasecmp(p, "oauth_client_secret", 19) == 0))
			continue;
		*has_password = 1;
		v = eq + 1 + strspn(eq + 1, " \t");
		if (*v == '"' || *v == '\'') {
			size_t n = strcspn(v, "\r\n");

			while (n > 1 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				n--;
			if (n < 2 || v[n - 1] != *v)
				return fail(err, path, _("line %d: the password's opening quote is not closed; end the line with %c"),
				    lineno, *v);
		} else if (strpbrk(v, ";#"))
			return fail(err, path, _("line %d: the password holds ';' or '#', which start a comment in an ini file; put the password in double quotes: password = \"...\""),
			    lineno);
	}
	return ST_OK;
}

static enum status
check_file(const char *path, struct buf *err)
{
	struct stat sb;
	FILE *f;
	int has_password;
	enum status st;

	f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT)
			return fail(err, path, _("no such file; create it (see saatja.ini(5)) or name another with -C"));
		return fail(err, path, _("cannot read it: %s"), strerror(errno));
	}
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return fail(err, path, _("not a regular file"));
	}
	st = prescan(path, f, &has_password, err);
	fclose(f);
	if (st == ST_OK && has_password && (sb.st_mode & S_IROTH))
		st = fail(err, path, _("the file holds passwords and every user of this machine can read it; run: chmod 640 %s"),
		    path);
	return st;
}

enum status
ini_load(const char *path, dictionary **d, struct buf *err)
{
	struct buf ini_msg = BUF_INIT;
	enum status st = check_file(path, err);

	*d = NULL;
	if (st != ST_OK)
		return st;
	ini_errors = &ini_msg;
	iniparser_set_error_callback(collect_ini_error);
	*d = iniparser_load(path);
	iniparser_set_error_callback(NULL);
	ini_errors = NULL;
	if (*d == NULL) {
		/*
		 * iniparser's own words name the line, then repeat it after
		 * "->": the line may hold a password, and a set-group-ID
		 * sendmail must not show it, so only the first line is kept.
		 */
		ini_msg.len = strcspn(buf_str(&ini_msg), "\n");
		if (ini_msg.data)
			ini_msg.data[ini_msg.len] = '\0';
		{
			const char *open = strrchr(buf_str(&ini_msg), '(');
			int line = open ? atoi(open + 1) : 0;

			if (line > 0)
				st = fail(err, path, _("line %d is not valid ini syntax: a [section], key = value, or a ; comment was expected"),
				    line);
			else
				st = fail(err, path, _("not a valid ini file: %s"),
				    buf_str(&ini_msg));
		}
		buf_free(&ini_msg);
		return st;
	}
	buf_free(&ini_msg);
	buf_free(&ini_msg);
	return ST_OK;
}
