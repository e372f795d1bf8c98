/* SPDX-License-Identifier: MIT */
/*
 * conffile - an account section written into a config file, the rest
 * kept (conffile.h).
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conffile.h"
#include "i18n.h"
#include "util.h"

/* The length of the line at p, its LF included. */
static size_t
line_len(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? (size_t)(nl - p) + 1 : strlen(p);
}

/* When the line at p is a section header, its name's start and length. */
static int
header(const char *p, size_t len, const char **name, size_t *nlen)
{
	const char *e;

	while (len > 0 && (*p == ' ' || *p == '\t'))
		p++, len--;
	if (len == 0 || *p != '[')
		return 0;
	e = memchr(p, ']', len);
	if (e == NULL)
		return 0;
	p++;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	*name = p;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*nlen = (size_t)(e - p);
	return 1;
}

static int
is_header_of(const char *p, size_t len, const char *name)
{
	const char *n;
	size_t nlen;

	return header(p, len, &n, &nlen) && nlen == strlen(name) &&
	    strncasecmp(n, name, nlen) == 0;
}

/* A blank line or a comment (; or #). */
static int
is_filler(const char *p, size_t len)
{
	while (len > 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++, len--;
	return len == 0 || *p == ';' || *p == '#';
}

int
conffile_has_section(const char *text, const char *name)
{
	for (const char *p = text; *p; p += line_len(p))
		if (is_header_of(p, line_len(p), name))
			return 1;
	return 0;
}

int
conffile_put_section(const char *text, const char *name,
    const char *section, struct buf *out)
{
	const char *p = text, *start = NULL, *end = NULL, *keep = NULL;

	for (; *p; p += line_len(p)) {
		size_t len = line_len(p);
		const char *n;
		size_t nlen;

		if (start == NULL) {
			if (is_header_of(p, len, name))
				start = p;
			continue;
		}
		if (header(p, len, &n, &nlen)) {
			end = p;
			break;
		}
		/* Where the trailing comments and blank lines begin. */
		if (is_filler(p, len)) {
			if (keep == NULL)
				keep = p;
		} else {
			keep = NULL;
		}
	}
	if (start == NULL) {
		size_t tl = strlen(text);

		buf_adds(out, text);
		if (tl > 0 && text[tl - 1] != '\n')
			buf_addc(out, '\n');
		if (tl > 0)
			buf_addc(out, '\n');
		buf_adds(out, section);
		return 0;
	}
	if (end == NULL)
		end = p;
	if (keep == NULL)
		keep = end;
	buf_add(out, text, (size_t)(start - text));
	buf_adds(out, section);
	/* A blank line between the new section and what follows. */
	if (keep < end && is_filler(keep, line_len(keep)) &&
	    keep[strspn(keep, " \t\r")] != '\n')
		buf_addc(out, '\n');
	else if (keep == end && *end)
		buf_addc(out, '\n');
	buf_adds(out, keep);
	return 1;
}

enum status
conffile_write_temp(const char *path, const char *text, mode_t mode,
    gid_t group, char **temp, struct buf *err)
{
	struct stat st;
	struct buf name = BUF_INIT;
	const char *slash = strrchr(path, '/');
	int fd, have = stat(path, &st) == 0;
	size_t len = strlen(text);

	if (slash == NULL)
		buf_printf(&name, ".%s.XXXXXX", path);
	else
		buf_printf(&name, "%.*s.%s.XXXXXX", (int)(slash - path + 1), path, slash + 1);
	*temp = buf_take(&name);
	fd = mkstemp(*temp);
	if (fd < 0) {
		buf_printf(err, _("cannot create a file beside %s: %s"), path, strerror(errno));
		free(*temp);
		*temp = NULL;
		return ST_CANTCREAT;
	}
	if (have) {
		mode = st.st_mode & 07777;
		if (fchown(fd, st.st_uid, st.st_gid) != 0)
			goto failed;
	} else if (group != (gid_t)-1 && fchown(fd, (uid_t)-1, group) != 0) {
		goto failed;
	}
	if (fchmod(fd, mode) != 0 || write_all(fd, text, len) != 0 || fsync(fd) != 0)
		goto failed;
	if (close(fd) != 0) {
		fd = -1;
		goto failed;
	}
	return ST_OK;
failed:
	buf_printf(err, _("cannot write %s: %s"), *temp, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(*temp);
	free(*temp);
	*temp = NULL;
	return ST_IOERR;
}

enum status
conffile_commit(const char *temp, const char *path, struct buf *err)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');

	if (rename(temp, path) != 0) {
		buf_printf(err, _("cannot replace %s: %s"), path, strerror(errno));
		unlink(temp);
		free(dir);
		return ST_IOERR;
	}
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fsync_dir(dir);
	free(dir);
	return ST_OK;
}
