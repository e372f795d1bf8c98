/* SPDX-License-Identifier: MIT */
/*
 * oauth_client - running saatja-oauth; see oauth_client.h.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "i18n.h"
#include "oauth_client.h"
#include "util.h"

#define REQUEST_FD 3
#define ANSWER_FD 4

static const char *
helper_path(void)
{
	const char *env = getenv("SAATJA_OAUTH_HELPER");
	int raised = getuid() != geteuid() || getgid() != getegid();

	if (!raised && env != NULL && *env == '/')
		return env;
	return PKGLIBEXECDIR "/saatja-oauth";
}

void
oauth_client_request(const struct account *a, const char *op, struct buf *req)
{
	const struct oauth_conf *o = &a->oauth;
	char n[16];

	snprintf(n, sizeof n, "%u", a->timeout);
	oauth_msg_add(req, "op", op);
	oauth_msg_add(req, "token_url", o->token_url);
	oauth_msg_add(req, "device_url", o->device_url);
	/* With a device URL the device flow is used; the browser flow is
	 * for services that have none. */
	if (o->device_url == NULL)
		oauth_msg_add(req, "auth_url", o->auth_url);
	oauth_msg_add(req, "client_id", o->client_id);
	oauth_msg_add(req, "client_secret", o->client_secret);
	oauth_msg_add(req, "scope", o->scope);
	oauth_msg_add(req, "login_hint", a->address);
	oauth_msg_add(req, "ca_file", a->ca_file);
	oauth_msg_add(req, "timeout", n);
}

/* Moves fd to want in the child (want may be taken by the other pipe). */
static int
place(int fd, int want)
{
	if (fd == want)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, want) < 0 ? -1 : 0;
}

static void
child(int callers, int req_r, int ans_w, int interactive)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (callers && setregid(getgid(), getgid()) != 0)
		_exit(126);
	/* Out of the way of 3 and 4 first. */
	req_r = fcntl(req_r, F_DUPFD_CLOEXEC, 10);
	ans_w = fcntl(ans_w, F_DUPFD_CLOEXEC, 10);
	if (req_r < 0 || ans_w < 0 || null < 0)
		_exit(126);
	if (!interactive && (dup2(null, 0) < 0 || dup2(null, 1) < 0))
		_exit(126);
	if (place(req_r, REQUEST_FD) < 0 || place(ans_w, ANSWER_FD) < 0)
		_exit(126);
	signal(SIGPIPE, SIG_DFL);
	execl(helper_path(), "saatja-oauth", (char *)NULL);
	_exit(127);
}

enum status
oauth_client_run(int callers,
    const struct buf *req, int interactive, struct oauth_msg *ans, struct buf *err)
{
	struct buf in = BUF_INIT, why = BUF_INIT;
	int rq[2], an[2], status = 0;
	void (*old)(int);
	enum status st = ST_OK;
	char block[4096];
	ssize_t got;
	pid_t pid;

	if (pipe2(rq, O_CLOEXEC) != 0) {
		buf_printf(err, _("cannot run %s: %s"), helper_path(), strerror(errno));
		return ST_OSERR;
	}
	if (pipe2(an, O_CLOEXEC) != 0) {
		close(rq[0]);
		close(rq[1]);
		buf_printf(err, _("cannot run %s: %s"), helper_path(), strerror(errno));
		return ST_OSERR;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		child(callers, rq[0], an[1], interactive);
	close(rq[0]);
	close(an[1]);
	if (pid < 0) {
		close(rq[1]);
		close(an[0]);
		buf_printf(err, _("cannot run %s: %s"), helper_path(), strerror(errno));
		return ST_OSERR;
	}
	old = signal(SIGPIPE, SIG_IGN);
	write_all(rq[1], req->data ? req->data : "", req->len);
	close(rq[1]);
	while ((got = read(an[0], block, sizeof block)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || in.len > OAUTH_MSG_MAX)
			break;
		buf_add(&in, block, (size_t)got);
	}
	explicit_bzero(block, sizeof block);
	close(an[0]);
	signal(SIGPIPE, old);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (in.len == 0 || oauth_msg_parse(ans, in.data, in.len, &why) < 0 ||
	    oauth_msg_get(ans, "result") == NULL) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			buf_printf(err, _("cannot run %s (is saatja installed completely?)"), helper_path());
		else
			buf_printf(err, _("%s ended without an answer (%s)"), helper_path(),
			    why.len ? buf_str(&why) : _("it was stopped or crashed"));
		oauth_msg_free(ans);
		st = WIFEXITED(status) && WEXITSTATUS(status) >= 126 ? ST_OSERR : ST_PROTOCOL;
	}
	if (in.data)
		explicit_bzero(in.data, in.cap);
	buf_free(&in);
	buf_free(&why);
	return st;
}

/* What to do about an OAuth2 error code (RFC 6749 5.2, RFC 8628 3.5). */
static void
advice(const struct account *a, const char *code, struct buf *err)
{
	if (strcmp(code, "invalid_grant") == 0)
		buf_printf(err, _("the sign-in of %s is no longer valid (revoked, expired, or the password changed): run `sendmail --authorize %s`, then send what waits with `sendmail -qI`"),
		    a->address, a->address);
	else if (strcmp(code, "access_denied") == 0)
		buf_printf(err, _("the sign-in for %s was declined; run `sendmail --authorize %s` again and agree to let the application send mail"),
		    a->address, a->address);
	else if (strcmp(code, "expired_token") == 0)
		buf_printf(err, _("the sign-in code expired before it was used; run `sendmail --authorize %s` again and sign in within the time shown"),
		    a->address);
	else if (strcmp(code, "invalid_client") == 0 || strcmp(code, "unauthorized_client") == 0)
		buf_printf(err, _("the token service does not accept the application (oauth_client_id, oauth_client_secret) of [%s]: check the registration (Entra ID: a public client with \"Allow public client flows\"; Google: a Desktop client) and the IDs in the config"),
		    a->address);
	else if (strcmp(code, "invalid_scope") == 0)
		buf_printf(err, _("the token service refuses the scope of [%s]; check oauth_scope and the permissions (SMTP.Send, https://mail.google.com/) of the application"),
		    a->address);
	else if (strcmp(code, "invalid_request") == 0)
		buf_printf(err, _("the token service refused the request for [%s]; check oauth_tenant (Microsoft: consumers for a personal account, organizations or the tenant ID for a work account) and the service's URLs"),
		    a->address);
	else
		buf_printf(err, _("the token service refused the sign-in of %s"), a->address);
}

enum status
oauth_client_failure(const struct account *a, const struct oauth_msg *ans,
    struct buf *err)
{
	const char *result = oauth_msg_get(ans, "result");
	const char *code = oauth_msg_get(ans, "error");
	const char *desc = oauth_msg_get(ans, "description");

	if (strcmp(result, "oauth") == 0 && code != NULL) {
		if (strcmp(code, "temporarily_unavailable") == 0 ||
		    strcmp(code, "server_error") == 0) {
			buf_printf(err, _("the token service of %s is busy (%s); trying again later"),
			    a->address, code);
			return ST_TEMP_SERVER;
		}
		advice(a, code, err);
		buf_printf(err, " (%s%s%s)", code, desc ? ": " : "", desc ? desc : "");
		return ST_NOPERM;
	}
	buf_printf(err, _("the token service of %s: %s"), a->address, desc ? desc : result);
	if (strcmp(result, "network") == 0)
		return ST_TEMP_NETWORK;
	if (strcmp(result, "protocol") == 0)
		return ST_TEMP_PROTOCOL;
	return ST_OSERR;
}
