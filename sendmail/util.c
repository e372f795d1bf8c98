/* SPDX-License-Identifier: MIT */
/*
 * util - host and caller facts, and the two file-writing helpers that
 * the queue and the token store share; see util.h.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

const char *
host_name(void)
{
	static char name[256];

	if (name[0] == '\0') {
		if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0')
			strcpy(name, "localhost");
		name[sizeof name - 1] = '\0';
	}
	return name;
}

const char *
host_fqdn(void)
{
	static char *fqdn;
	struct addrinfo hints, *res = NULL;
	const char *name = host_name();

	if (fqdn)
		return fqdn;
	if (strchr(name, '.')) {
		fqdn = xstrdup(name);
		return fqdn;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_flags = AI_CANONNAME;
	hints.ai_family = AF_UNSPEC;
	if (getaddrinfo(name, NULL, &hints, &res) == 0 && res &&
	    res->ai_canonname && strchr(res->ai_canonname, '.'))
		fqdn = xstrdup(res->ai_canonname);
	else
		fqdn = xstrdup(name);
	if (res)
		freeaddrinfo(res);
	return fqdn;
}

const char *
caller_full_name(void)
{
	static char *name;
	struct passwd *pw;

	if (name)
		return *name ? name : NULL;
	pw = getpwuid(getuid());
	if (pw && pw->pw_gecos)
		name = xstrndup(pw->pw_gecos, strcspn(pw->pw_gecos, ","));
	else
		name = xstrdup("");
	return *name ? name : NULL;
}

int
raised_privileges(void)
{
	return getuid() != geteuid() || getgid() != getegid();
}

void
random_bytes(void *out, unsigned n)
{
	unsigned char *p = out;

	if (getrandom(out, n, 0) == (ssize_t)n)
		return;
	/* Only uniqueness is needed here, not secrecy. */
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	for (unsigned i = 0; i < n; i++)
		p[i] = (unsigned char)random();
}

int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w == 0)
			errno = EIO;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
detach_from_caller(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	setsid();
	signal(SIGHUP, SIG_IGN);
	(void)!nice(10);
}
