/* SPDX-License-Identifier: MIT */
/*
 * secret_file - a secret from a file or a systemd credential; see
 * secret_file.h.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "secret_file.h"
#include "secret_source.h"
#include "util.h"

#define SECRET_MAX 4096

/* $CREDENTIALS_DIRECTORY, when this process may trust it, else NULL. */
static const char *
credentials_directory(void)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");

	if (raised_privileges() || dir == NULL || dir[0] != '/')
		return NULL;
	return dir;
}

int
secret_file_elsewhere(const char *value)
{
	return value && secret_source_is_credential(value) &&
	    credentials_directory() == NULL;
}

const char *
secret_file_account_elsewhere(const struct account *a)
{
	if (secret_file_elsewhere(a->password_file))
		return a->password_file;
	if (oauth_conf_app(&a->oauth) &&
	    secret_file_elsewhere(a->oauth.client_secret_file))
		return a->oauth.client_secret_file;
	return NULL;
}

/* Opens path read-only, with the caller's group alone when callers is
 * set in a set-group-ID run. Returns the descriptor, or -1 with errno. */
static int
open_as(const char *path, int callers)
{
	gid_t egid = getegid();
	int fd, saved;

	if (!callers || !raised_privileges())
		return open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (setegid(getgid()) != 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	saved = errno;
	if (setegid(egid) != 0) {
		if (fd >= 0)
			close(fd);
		errno = EPERM;
		return -1;
	}
	errno = saved;
	return fd;
}

/* Reads the open file fd (path) into out; ST_CONFIG with err when it is
 * not a private plain file, or when its first line is empty. */
static enum status
read_private(int fd, const char *address, const char *key, const char *path,
    struct buf *out, struct buf *err)
{
	struct stat sb;
	int rc;

	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		buf_printf(err, _("[%s] %s: %s is not a plain file"), address, key, path);
		return ST_CONFIG;
	}
	if (sb.st_mode & S_IROTH) {
		buf_printf(err, _("[%s] %s: every user of this machine can read %s, and it holds a secret; run: chmod 600 %s (chmod 640 with the group of sendmail for the system config)"),
		    address, key, path, path);
		return ST_CONFIG;
	}
	rc = buf_read_fd(out, fd, SECRET_MAX);
	if (rc < 0) {
		buf_printf(err, _("[%s] %s: cannot read %s: %s"), address, key,
		    path, strerror(errno));
		return ST_CONFIG;
	}
	/* The first line is the password, as with password_command. */
	out->data[out->len] = '\0';
	out->len = strcspn(out->data, "\n");
	if (out->len && out->data[out->len - 1] == '\r')
		out->len--;
	out->data[out->len] = '\0';
	if (rc > 0)
		buf_printf(err, _("[%s] %s: %s is longer than 4096 octets; put only the password in it"),
		    address, key, path);
	else if (out->len == 0)
		buf_printf(err, _("[%s] %s: %s is empty; put the password in it, on one line"),
		    address, key, path);
	else if (strlen(out->data) != out->len)
		buf_printf(err, _("[%s] %s: %s holds a NUL octet; put only the password in it"),
		    address, key, path);
	else
		return ST_OK;
	return ST_CONFIG;
}

enum status
secret_file_read(const char *address, const char *key, const char *value,
    int callers, char **secret, struct buf *err)
{
	struct buf path = BUF_INIT, out = BUF_INIT;
	enum status st;
	int fd;

	*secret = NULL;
	if (secret_source_is_credential(value)) {
		const char *dir = credentials_directory();

		if (dir == NULL) {
			buf_printf(err, _("the password of %s is the systemd credential \"%s\" (%s), which only the queue runner's service has ($CREDENTIALS_DIRECTORY, set by LoadCredential= or LoadCredentialEncrypted= in saatja-queue.service); the message waits in the queue for that service: run systemctl start saatja-queue.service, or give %s an absolute path"),
			    address, value, key, key);
			return ST_TEMP_SERVER;
		}
		buf_printf(&path, "%s/%s", dir, value);
	} else {
		buf_adds(&path, value);
	}
	fd = open_as(buf_str(&path), callers);
	if (fd < 0) {
		buf_printf(err, _("[%s] %s: cannot read %s: %s"), address, key,
		    buf_str(&path), strerror(errno));
		buf_free(&path);
		return ST_CONFIG;
	}
	st = read_private(fd, address, key, buf_str(&path), &out, err);
	close(fd);
	buf_free(&path);
	if (st == ST_OK)
		*secret = buf_take(&out);
	else
		buf_free_secret(&out);
	return st;
}
