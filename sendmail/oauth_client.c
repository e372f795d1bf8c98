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
	/* With a device URL the device flow is used unless the browser
	 * grant is asked for; the browser flow is for services that have
	 * none. An application's grant uses neither. */
	if (oauth_conf_app(o))
		oauth_msg_add(req, "grant", o->grant);
	else if (o->device_url != NULL && (o->grant == NULL || strcmp(o->grant, "browser") != 0))
		oauth_msg_add(req, "device_url", o->device_url);
	else
		oauth_msg_add(req, "auth_url", o->auth_url);
	oauth_msg_add(req, "client_id", o->client_id);
	oauth_msg_add(req, "client_secret", o->client_secret);
	/* Files by name: the helper reads them, so no key passes through
	 * this process; but a systemd credential is this process's to
	 * read (token.c), for the helper has no $CREDENTIALS_DIRECTORY. */
	if (o->client_secret_file && o->client_secret_file[0] == '/')
		oauth_msg_add(req, "client_secret_file", o->client_secret_file);
	oauth_msg_add(req, "client_certificate", o->certificate);
	oauth_msg_add(req, "client_key", o->private_key);
	oauth_msg_add(req, "key_file", o->key_file);
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
	/* Too long an answer is no answer: a cut one could be misread. */
	if (buf_read_fd(&in, an[0], OAUTH_MSG_MAX) != 0)
		buf_wipe(&in);
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
	buf_free_secret(&in);
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
	else if (oauth_conf_app(&a->oauth) && (strcmp(code, "invalid_client") == 0 ||
	    strcmp(code, "unauthorized_client") == 0))
		buf_printf(err, _("the token service does not accept the application of [%s] (oauth_client_id, its secret or certificate): check them against the application's registration"),
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

/* The helper could not use a file the account names (its key in file_key). */
static void
file_advice(const struct account *a, const struct oauth_msg *ans, struct buf *err)
{
	const char *code = oauth_msg_get(ans, "error");
	const char *key = oauth_msg_get(ans, "file_key");
	const char *desc = oauth_msg_get(ans, "description");
	char name[40];

	snprintf(name, sizeof name, "oauth_%s", key ? key : "?");
	if (strcmp(name, "oauth_client_secret_file") != 0 && strcmp(name, "oauth_key_file") != 0 &&
	    strcmp(name, "oauth_client_certificate") != 0 && strcmp(name, "oauth_client_key") != 0)
		snprintf(name, sizeof name, "oauth_*");
	if (code && strcmp(code, "public") == 0)
		buf_printf(err, _("[%s] %s: every user of this machine can read the file, and it holds a secret; run chmod 600 on it"),
		    a->address, name);
	else if (code && strcmp(code, "invalid") == 0 && strcmp(name, "oauth_key_file") == 0)
		buf_printf(err, _("[%s] %s is not a service account key: in the Google Cloud console, open IAM, Service accounts, the account, Keys, Add key, and save the JSON key (not an OAuth client's client_secret file)"),
		    a->address, name);
	else if (code && strcmp(code, "invalid") == 0)
		buf_printf(err, _("[%s] %s cannot be used (a PEM certificate, and an RSA private key without a passphrase, are needed)"),
		    a->address, name);
	else
		buf_printf(err, _("[%s] %s cannot be read"), a->address, name);
	if (desc)
		buf_printf(err, " (%s)", desc);
}

/* Entra ID's own codes (AADSTS...) in the description, where they say
 * more than the OAuth2 error code does; 1 when it added advice. */
static int
entra_advice(const struct account *a, const char *desc, struct buf *err)
{
	if (desc == NULL)
		return 0;
	if (strstr(desc, "AADSTS7000215") || strstr(desc, "AADSTS7000222"))
		buf_printf(err, _("Entra ID refuses the client secret of [%s]: it is wrong or has expired (secrets expire after at most two years). In the Entra admin center, open App registrations, the application, Certificates & secrets, add a new client secret and put its Value (not its Secret ID) in the config; or use a certificate"),
		    a->address);
	else if (strstr(desc, "AADSTS700027"))
		buf_printf(err, _("Entra ID does not know the certificate of [%s]: upload oauth_client_certificate (the .pem or .cer, never the key) under App registrations, the application, Certificates & secrets, Certificates, and check that oauth_client_key belongs to it"),
		    a->address);
	else if (strstr(desc, "AADSTS65001") || strstr(desc, "AADSTS501051") || strstr(desc, "AADSTS7000112"))
		buf_printf(err, _("the application of [%s] has no admin consent, or is disabled: in the Entra admin center, under API permissions, add Office 365 Exchange Online, Application permissions, SMTP.SendAsApp, and press \"Grant admin consent\""),
		    a->address);
	else if (strstr(desc, "AADSTS700082"))
		buf_printf(err, _("the sign-in of %s was not used for 90 days and has expired: run `sendmail --authorize %s`, then send what waits with `sendmail -qI`; a server that nobody signs into is better served by client credentials (saatja.ini(5), OAUTH2)"),
		    a->address, a->address);
	else if (strstr(desc, "AADSTS53003") || strstr(desc, "AADSTS50076") ||
	    strstr(desc, "AADSTS50079") || strstr(desc, "AADSTS50158"))
		buf_printf(err, _("a sign-in policy of the organisation (Conditional Access, MFA) refuses this sign-in of %s: sign in with the browser grant (oauth_grant = browser, then `sendmail --authorize %s`), or ask the administrator for client credentials (oauth_grant = client_credentials)"),
		    a->address, a->address);
	else
		return 0;
	return 1;
}

/* Google's refusals that have a cause worth naming. */
static int
google_advice(const struct account *a, const char *code, struct buf *err)
{
	int google = (a->oauth.preset && strcmp(a->oauth.preset, "google") == 0) ||
	    (a->oauth.token_url && strstr(a->oauth.token_url, "googleapis.com") != NULL);
	int sa = a->oauth.grant && strcmp(a->oauth.grant, "service_account") == 0;

	if (sa && strcmp(code, "unauthorized_client") == 0)
		buf_printf(err, _("Google refuses the service account for %s: domain-wide delegation is not granted for the scope. In the Google Admin console, open Security, Access and data control, API controls, Manage domain wide delegation, add the service account's client ID with the scope https://mail.google.com/"),
		    a->address);
	else if (sa && strcmp(code, "invalid_grant") == 0)
		buf_printf(err, _("Google refuses the service account's grant for %s: the mailbox is not a user of the Workspace domain, the key was deleted, or this machine's clock is wrong"),
		    a->address);
	else if (google && !sa && strcmp(code, "invalid_grant") == 0)
		buf_printf(err, _("the sign-in of %s is no longer valid. If it lasted about a week, the Google Cloud project is in \"Testing\", which gives 7-day refresh tokens: publish it (OAuth consent screen, \"In production\"). Then run `sendmail --authorize %s`, and send what waits with `sendmail -qI`"),
		    a->address, a->address);
	else
		return 0;
	return 1;
}

enum status
oauth_client_failure(const struct account *a, const struct oauth_msg *ans,
    struct buf *err)
{
	const char *result = oauth_msg_get(ans, "result");
	const char *code = oauth_msg_get(ans, "error");
	const char *desc = oauth_msg_get(ans, "description");

	if (strcmp(result, "file") == 0) {
		file_advice(a, ans, err);
		return ST_NOPERM;
	}
	if (strcmp(result, "oauth") == 0 && code != NULL) {
		if (strcmp(code, "temporarily_unavailable") == 0 ||
		    strcmp(code, "server_error") == 0) {
			buf_printf(err, _("the token service of %s is busy (%s); trying again later"),
			    a->address, code);
			return ST_TEMP_SERVER;
		}
		if (!entra_advice(a, desc, err) && !google_advice(a, code, err))
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
