/* SPDX-License-Identifier: MIT */
/*
 * saatja-oauth - the HTTP side of saatja's OAuth2 accounts, in a program
 * of its own so that sendmail never loads libcurl, json-c and expat: a
 * message whose stored token is still valid would start slower with them
 * linked in (they add 21 shared libraries to every start). sendmail runs
 * it for a refresh, for --authorize and for --setup only.
 *
 * sendmail writes one request on fd 3 and reads one answer on fd 4 (the
 * "key value" lines of oauth_proto.h; secrets travel only there, never in
 * argv or the environment). stdin, stdout and stderr are the user's for
 * --authorize, /dev/null but stderr for a refresh. It keeps no state and
 * writes no file: sendmail owns the config and the token store.
 *
 * It does: refresh (RFC 6749 6); the device flow (RFC 8628), polling at
 * the service's interval; the browser flow (RFC 6749 4.1) with PKCE S256
 * (RFC 7636) and a loopback redirect on 127.0.0.1 (RFC 8252 7.3), taking
 * the final address or the code from stdin too, for a machine without a
 * browser; and an application's own grants, with nobody signing in:
 * client credentials (RFC 6749 4.4) with a secret or a certificate-signed
 * assertion (RFC 7523 2.2), and a service account's JWT bearer grant
 * (RFC 7523 2.1). It reads their key files itself (sendmail passes only
 * the names), so no key passes through sendmail. For `sendmail --setup`
 * it also fetches and reads a provider's mail settings (op autoconfig,
 * oauth_autoconfig_op.h), keeping XML out of sendmail too.
 * Its answer is "result ok" with the tokens, or a result saying
 * whose fault it was (oauth: the service refused, network, protocol,
 * usage, local) with a printable description; exit status 0 whenever an
 * answer was written.
 *
 * Its memory holds tokens: it makes itself non-dumpable (no core, no
 * ptrace by the same user) before it reads the request.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "oauth_autoconfig_op.h"
#include "oauth_http.h"
#include "oauth_json.h"
#include "oauth_jwt.h"
#include "oauth_proto.h"
#include "oauth_url.h"
#include "util.h"

#define REQUEST_FD 3
#define ANSWER_FD 4
/* How long the browser flow waits for the user. */
#define BROWSER_WAIT_S (15 * 60)
/* Where a service account's key file names no token_uri. */
#define GOOGLE_TOKEN_URI "https://oauth2.googleapis.com/token"

static const struct oauth_msg *req;
static struct oauth_http http;

static void
answer_result(struct buf *a, const char *result, const char *error, const char *desc)
{
	buf_reset(a);
	oauth_msg_add(a, "result", result);
	oauth_msg_add(a, "error", error);
	if (desc != NULL) {
		struct buf d = BUF_INIT;

		oauth_printable(&d, desc, strlen(desc), 600);
		oauth_msg_add(a, "description", buf_str(&d));
		buf_free(&d);
	}
}

static void
answer_tokens(struct buf *a, const struct oauth_tokens *t)
{
	char n[32];

	buf_reset(a);
	oauth_msg_add(a, "result", "ok");
	oauth_msg_add(a, "access_token", t->access_token);
	oauth_msg_add(a, "refresh_token", t->refresh_token);
	if (t->expires_in > 0) {
		snprintf(n, sizeof n, "%ld", t->expires_in);
		oauth_msg_add(a, "expires_in", n);
	}
}

static const char *
http_result_name(enum oauth_http_result r)
{
	return r == OAUTH_HTTP_NETWORK ? "network" : "protocol";
}

/*
 * POSTs form to url and reads the answer as token endpoint JSON into t.
 * Returns 0 with t->access_token or t->error set; -1 with the answer
 * written into a.
 */
static int
post_json(const char *url, const char *form, struct oauth_tokens *t,
    struct oauth_device *d, struct buf *a)
{
	struct buf body = BUF_INIT, err = BUF_INIT;
	enum oauth_http_result r;
	long code;
	int rc = -1;

	r = oauth_http_post(&http, url, form, &body, &code, &err);
	if (r != OAUTH_HTTP_OK) {
		answer_result(a, http_result_name(r), NULL, buf_str(&err));
		goto out;
	}
	if (code != 200 && code != 400 && code != 401) {
		buf_printf(&err, "%s answered with HTTP status %ld", url, code);
		answer_result(a, "protocol", NULL, buf_str(&err));
		goto out;
	}
	if ((d != NULL ? oauth_json_device(body.data, body.len, d, t, &err)
	     : oauth_json_tokens(body.data, body.len, t, &err)) < 0) {
		struct buf why = BUF_INIT;

		buf_printf(&why, "%s: %s", url, buf_str(&err));
		answer_result(a, "protocol", NULL, buf_str(&why));
		buf_free(&why);
		goto out;
	}
	if (code != 200 && t->error == NULL) {
		buf_printf(&err, "%s answered with HTTP status %ld", url, code);
		answer_result(a, "protocol", NULL, buf_str(&err));
		oauth_tokens_free(t);
		if (d != NULL)
			oauth_device_free(d);
		goto out;
	}
	rc = 0;
out:
	buf_free_secret(&body);
	buf_free(&err);
	return rc;
}

/* Adds the client's identity (and secret, when it has one) to a form. */
static void
form_client(struct buf *f)
{
	oauth_form_add(f, "client_id", oauth_msg_get(req, "client_id"));
	oauth_form_add(f, "client_secret", oauth_msg_get(req, "client_secret"));
}

static void
free_form(struct buf *f)
{
	buf_free_secret(f);
}

/* Token endpoint exchange at url; the answer goes into a either way. */
static void
exchange_at(const char *url, struct buf *form, struct buf *a)
{
	struct oauth_tokens t = { 0 };

	if (post_json(url, buf_str(form), &t, NULL, a) == 0) {
		if (t.error != NULL)
			answer_result(a, "oauth", t.error, t.error_description);
		else
			answer_tokens(a, &t);
	}
	oauth_tokens_free(&t);
	free_form(form);
}

static void
exchange(struct buf *form, struct buf *a)
{
	exchange_at(oauth_msg_get(req, "token_url"), form, a);
}

static void
do_refresh(struct buf *a)
{
	struct buf f = BUF_INIT;

	if (oauth_msg_get(req, "refresh_token") == NULL) {
		answer_result(a, "usage", NULL, "no refresh_token in the request");
		return;
	}
	oauth_form_add(&f, "grant_type", "refresh_token");
	oauth_form_add(&f, "refresh_token", oauth_msg_get(req, "refresh_token"));
	form_client(&f);
	oauth_form_add(&f, "scope", oauth_msg_get(req, "scope"));
	exchange(&f, a);
}

static void
sleep_s(long s)
{
	struct timespec ts = { s, 0 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---------------------------------------------------------- device flow */

static void
do_device(struct buf *a)
{
	struct oauth_device d = { 0 };
	struct oauth_tokens t = { 0 };
	struct buf f = BUF_INIT;
	time_t deadline;
	const char *account = oauth_msg_get(req, "login_hint");

	form_client(&f);
	oauth_form_add(&f, "scope", oauth_msg_get(req, "scope"));
	if (post_json(oauth_msg_get(req, "device_url"), buf_str(&f), &t, &d, a) < 0) {
		free_form(&f);
		return;
	}
	free_form(&f);
	if (t.error != NULL) {
		answer_result(a, "oauth", t.error, t.error_description);
		oauth_tokens_free(&t);
		return;
	}
	printf(_("To authorize %s, open this page in a browser (on any device):\n"
	    "    %s\n"
	    "and enter the code:\n"
	    "    %s\n"), account != NULL ? account : "", d.verification_uri, d.user_code);
	printf(ngettext("The code is valid for %ld minute. Waiting for you to sign in...\n",
	    "The code is valid for %ld minutes. Waiting for you to sign in...\n",
	    (d.expires_in + 59) / 60), (d.expires_in + 59) / 60);
	fflush(stdout);
	deadline = time(NULL) + d.expires_in;
	for (;;) {
		sleep_s(d.interval);
		oauth_form_add(&f, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
		oauth_form_add(&f, "device_code", d.device_code);
		form_client(&f);
		if (post_json(oauth_msg_get(req, "token_url"), buf_str(&f), &t, NULL, a) < 0)
			break;
		free_form(&f);
		if (t.error == NULL) {
			answer_tokens(a, &t);
			break;
		}
		if (strcmp(t.error, "slow_down") == 0) {
			d.interval += 5;	/* RFC 8628 3.5 */
		} else if (strcmp(t.error, "authorization_pending") != 0) {
			answer_result(a, "oauth", t.error, t.error_description);
			break;
		}
		oauth_tokens_free(&t);
		if (time(NULL) + d.interval > deadline) {
			answer_result(a, "oauth", "expired_token", "the code expired before it was entered");
			break;
		}
	}
	free_form(&f);
	oauth_tokens_free(&t);
	oauth_device_free(&d);
}

/* --------------------------------------------------------- browser flow */

/* A random base64url string from n secret random octets. */
static int
random_text(struct buf *out, size_t n)
{
	unsigned char r[32];

	if (n > sizeof r || gnutls_rnd(GNUTLS_RND_KEY, r, n) < 0)
		return -1;
	oauth_base64url(out, r, n);
	explicit_bzero(r, sizeof r);
	return 0;
}

/* A listening socket on 127.0.0.1 at a port the system picks. */
static int
listen_loopback(unsigned *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Reads the request head from a browser (at most OAUTH_REDIRECT_MAX
 * octets, 10 s) into b, up to the end of its first line. */
static int
read_request_line(int fd, struct buf *b)
{
	char chunk[1024];

	while (b->len < OAUTH_REDIRECT_MAX && memchr(buf_str(b), '\n', b->len) == NULL) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 10000) <= 0)
			return -1;
		n = read(fd, chunk, sizeof chunk);
		if (n <= 0)
			return -1;
		buf_add(b, chunk, (size_t)n);
	}
	if (memchr(buf_str(b), '\n', b->len) == NULL)
		return -1;
	b->len = (size_t)((char *)memchr(b->data, '\n', b->len) - b->data);
	b->data[b->len] = '\0';
	return 0;
}

static void
send_page(int fd, const char *status, const char *text)
{
	struct buf p = BUF_INIT;

	buf_printf(&p, "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n%s",
	    status, strlen(text), text);
	if (write(fd, p.data, p.len) < 0) {
		/* The browser left; the code it brought still counts. */
	}
	buf_free(&p);
}

/*
 * What came back (a request line or a pasted line) as a redirect in r;
 * 0 when it is the answer to this attempt, -1 (with a message for the
 * user in why) when it is to be ignored.
 */
static int
take_redirect(const char *s, size_t n, const char *state, struct oauth_redirect *r,
    struct buf *why)
{
	if (oauth_redirect_parse(s, n, r, why) < 0)
		return -1;
	if (r->state != NULL ? strcmp(r->state, state) == 0
	    : r->code != NULL && memchr(s, '=', n) == NULL)
		return 0;	/* a pasted bare code has no state: the user vouches */
	oauth_redirect_free(r);
	buf_adds(why, _("it belongs to another sign-in attempt (its state differs)"));
	return -1;
}

/* Waits for the redirect on lfd or a line on stdin; 0 with r filled, -1
 * when the time ran out. */
static int
wait_redirect(int lfd, const char *state, struct oauth_redirect *r)
{
	time_t deadline = time(NULL) + BROWSER_WAIT_S;
	struct buf line = BUF_INIT;
	int in_open = 1, rc = -1;

	while (time(NULL) < deadline && rc < 0) {
		struct pollfd p[2] = { { lfd, POLLIN, 0 }, { 0, POLLIN, 0 } };
		struct buf why = BUF_INIT;

		if (poll(p, in_open ? 2 : 1, 1000) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			struct buf head = BUF_INIT;
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0 && read_request_line(c, &head) == 0) {
				if (take_redirect(head.data, head.len, state, r, &why) == 0) {
					send_page(c, "200 OK", r->code != NULL ?
					    _("saatja received the authorization. You can close this page.\n") :
					    _("The sign-in was not completed; saatja says why in its window.\n"));
					rc = 0;
				} else {
					send_page(c, "404 Not Found", "\n");
				}
			}
			buf_free(&head);
			if (c >= 0)
				close(c);
		}
		if (rc < 0 && in_open && (p[1].revents & (POLLIN | POLLHUP))) {
			char chunk[512];
			ssize_t n = read(0, chunk, sizeof chunk);

			if (n <= 0) {
				in_open = 0;	/* no terminal: wait for the browser */
			} else {
				buf_add(&line, chunk, (size_t)n);
			}
			while (rc < 0 && memchr(buf_str(&line), '\n', line.len) != NULL) {
				size_t len = (size_t)((char *)memchr(line.data, '\n', line.len) - line.data);

				if (take_redirect(line.data, len, state, r, &why) == 0) {
					rc = 0;
				} else {
					printf(_("That is not the address the browser ended on: %s. Paste it again:\n"),
					    buf_str(&why));
					fflush(stdout);
					buf_reset(&why);
				}
				memmove(line.data, line.data + len + 1, line.len - len - 1);
				line.len -= len + 1;
				line.data[line.len] = '\0';
			}
			if (line.len > OAUTH_REDIRECT_MAX)
				buf_reset(&line);
		}
		buf_free(&why);
	}
	buf_free_secret(&line);
	return rc;
}

static void
do_browser(struct buf *a)
{
	struct buf verifier = BUF_INIT, challenge = BUF_INIT, state = BUF_INIT;
	struct buf url = BUF_INIT, redirect = BUF_INIT, q = BUF_INIT, f = BUF_INIT;
	struct oauth_redirect r = { 0 };
	const char *auth_url = oauth_msg_get(req, "auth_url");
	unsigned char digest[32];
	unsigned port;
	int lfd;

	if (random_text(&verifier, 32) < 0 || random_text(&state, 16) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, verifier.data, verifier.len, digest) < 0) {
		answer_result(a, "local", NULL, "no random numbers or SHA-256 from GnuTLS");
		goto out;
	}
	oauth_base64url(&challenge, digest, sizeof digest);
	lfd = listen_loopback(&port);
	if (lfd < 0) {
		answer_result(a, "local", NULL, "cannot listen on 127.0.0.1 for the redirect");
		goto out;
	}
	buf_printf(&redirect, "http://127.0.0.1:%u/", port);
	oauth_form_add(&q, "response_type", "code");
	oauth_form_add(&q, "client_id", oauth_msg_get(req, "client_id"));
	oauth_form_add(&q, "redirect_uri", buf_str(&redirect));
	oauth_form_add(&q, "scope", oauth_msg_get(req, "scope"));
	oauth_form_add(&q, "state", buf_str(&state));
	oauth_form_add(&q, "code_challenge", buf_str(&challenge));
	oauth_form_add(&q, "code_challenge_method", "S256");
	oauth_form_add(&q, "login_hint", oauth_msg_get(req, "login_hint"));
	/* Google sends a refresh token only when asked for offline access. */
	if (strstr(auth_url, "://accounts.google.com/") != NULL) {
		oauth_form_add(&q, "access_type", "offline");
		oauth_form_add(&q, "prompt", "consent");
	}
	buf_printf(&url, "%s%c%s", auth_url, strchr(auth_url, '?') ? '&' : '?', buf_str(&q));
	printf(_("To authorize %s, open this address in a browser on this machine:\n"
	    "    %s\n"
	    "After you sign in, the browser comes back to saatja by itself.\n"
	    "Without a browser here: open the address on another device, sign in, then\n"
	    "paste the address the browser ended on (it starts with %s) here:\n"),
	    oauth_msg_get(req, "login_hint"), buf_str(&url), buf_str(&redirect));
	fflush(stdout);
	if (wait_redirect(lfd, buf_str(&state), &r) < 0) {
		close(lfd);
		answer_result(a, "oauth", "expired_token", "nobody signed in within 15 minutes");
		goto out;
	}
	close(lfd);
	if (r.error != NULL) {
		answer_result(a, "oauth", r.error, r.error_description);
		goto out;
	}
	oauth_form_add(&f, "grant_type", "authorization_code");
	oauth_form_add(&f, "code", r.code);
	oauth_form_add(&f, "redirect_uri", buf_str(&redirect));
	oauth_form_add(&f, "code_verifier", buf_str(&verifier));
	form_client(&f);
	exchange(&f, a);
out:
	oauth_redirect_free(&r);
	free_form(&verifier);
	buf_free(&challenge);
	buf_free(&state);
	buf_free(&url);
	buf_free(&redirect);
	buf_free(&q);
}

/* ------------------------------------------------- an application's grant */

/* The answer for a file of the request's key that cannot be used: sendmail
 * says what to do in the user's language. */
static void
answer_file(struct buf *a, const char *key, enum oauth_jwt_file f, const struct buf *why)
{
	static const char *const codes[] = { "ok", "unreadable", "public", "invalid" };
	struct buf d = BUF_INIT;

	buf_printf(&d, "%s%s%s", oauth_msg_get(req, key), why->len ? ": " : "", buf_str(why));
	answer_result(a, "file", codes[f], buf_str(&d));
	oauth_msg_add(a, "file_key", key);
	buf_free(&d);
}

/* Reads the file the request names under key into out; 0, or -1 with the
 * answer written. */
static int
read_file(const char *key, int secret, struct buf *out, struct buf *a)
{
	struct buf why = BUF_INIT;
	enum oauth_jwt_file f = oauth_jwt_read(oauth_msg_get(req, key), secret, out, &why);

	if (f != OAUTH_JWT_FILE_OK)
		answer_file(a, key, f, &why);
	buf_free(&why);
	return f == OAUTH_JWT_FILE_OK ? 0 : -1;
}

/* Signs the claims with the key (PEM in pem) into jwt; 0, or -1 with the
 * answer written (the key named by key). */
static int
sign(json_object *head, json_object *claims, const struct buf *pem,
    const char *key, struct buf *jwt, struct buf *a)
{
	struct buf why = BUF_INIT;
	enum oauth_jwt_file f = oauth_jwt_sign_json(head, claims, pem, jwt, &why);

	if (f != OAUTH_JWT_FILE_OK)
		answer_file(a, key, f, &why);
	buf_free(&why);
	return f == OAUTH_JWT_FILE_OK ? 0 : -1;
}

/* Entra ID's certificate credential: an assertion with the certificate's
 * thumbprints (SHA-1 and SHA-256) in its header, iss = sub = the client, a one-time jti. */
static int
form_assertion(struct buf *f, struct buf *a)
{
	struct buf cert = BUF_INIT, key = BUF_INIT, x5t = BUF_INIT, x5t256 = BUF_INIT, jwt = BUF_INIT;
	struct buf why = BUF_INIT, jti = BUF_INIT;
	json_object *head = NULL, *claims = NULL;
	enum oauth_jwt_file fc;
	long long until;
	int rc = -1;

	if (read_file("client_certificate", 0, &cert, a) < 0 || read_file("client_key", 1, &key, a) < 0)
		goto out;
	if ((fc = oauth_jwt_cert(&cert, &x5t, &x5t256, &until, &why)) != OAUTH_JWT_FILE_OK) {
		answer_file(a, "client_certificate", fc, &why);
		goto out;
	}
	head = oauth_jwt_header("x5t", buf_str(&x5t));
	oauth_jwt_set(head, "x5t#S256", buf_str(&x5t256));
	claims = oauth_jwt_claims(oauth_msg_get(req, "token_url"), 600, 1);
	oauth_jwt_set(claims, "iss", oauth_msg_get(req, "client_id"));
	oauth_jwt_set(claims, "sub", oauth_msg_get(req, "client_id"));
	random_text(&jti, 18);
	oauth_jwt_set(claims, "jti", buf_str(&jti));
	if (sign(head, claims, &key, "client_key", &jwt, a) < 0)
		goto out;
	oauth_form_add(f, "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
	oauth_form_add(f, "client_assertion", buf_str(&jwt));
	rc = 0;
out:
	json_object_put(head);
	json_object_put(claims);
	free_form(&key);
	free_form(&jwt);
	buf_free(&cert);
	buf_free(&x5t);
	buf_free(&x5t256);
	buf_free(&why);
	buf_free(&jti);
	return rc;
}

/* The client's secret: the request's, or the first line of its file. */
static int
form_secret(struct buf *f, struct buf *a)
{
	struct buf s = BUF_INIT;

	if (oauth_msg_get(req, "client_secret_file") == NULL) {
		oauth_form_add(f, "client_secret", oauth_msg_get(req, "client_secret"));
		return 0;
	}
	if (read_file("client_secret_file", 1, &s, a) < 0)
		return -1;
	s.len = strcspn(buf_str(&s), "\r\n");
	if (s.len == 0) {
		struct buf why = BUF_INIT;

		buf_adds(&why, "its first line is empty");
		answer_file(a, "client_secret_file", OAUTH_JWT_FILE_INVALID, &why);
		buf_free(&why);
		free_form(&s);
		return -1;
	}
	s.data[s.len] = '\0';
	oauth_form_add(f, "client_secret", s.data);
	free_form(&s);
	return 0;
}

static void
do_client_credentials(struct buf *a)
{
	struct buf f = BUF_INIT;
	int rc;

	oauth_form_add(&f, "grant_type", "client_credentials");
	oauth_form_add(&f, "client_id", oauth_msg_get(req, "client_id"));
	oauth_form_add(&f, "scope", oauth_msg_get(req, "scope"));
	rc = oauth_msg_get(req, "client_certificate") != NULL ? form_assertion(&f, a) : form_secret(&f, a);
	if (rc < 0)
		free_form(&f);
	else
		exchange(&f, a);
}

/* Google's service account: a JWT grant for the mailbox (sub), signed
 * with the key file's private key, sent to the key file's token_uri. */
static void
do_service_account(struct buf *a)
{
	struct buf file = BUF_INIT, why = BUF_INIT, pem = BUF_INIT, jwt = BUF_INIT, f = BUF_INIT;
	struct oauth_key_file k = { 0 };
	json_object *head = NULL, *claims = NULL;
	const char *url;

	if (read_file("key_file", 1, &file, a) < 0)
		goto out;
	if (oauth_json_key_file(buf_str(&file), file.len, &k, &why) < 0) {
		answer_file(a, "key_file", OAUTH_JWT_FILE_INVALID, &why);
		goto out;
	}
	/* oauth_token_url, when the config gives it, overrides the key file. */
	url = oauth_msg_get(req, "token_url") ? oauth_msg_get(req, "token_url")
	    : k.token_uri ? k.token_uri : GOOGLE_TOKEN_URI;
	head = oauth_jwt_header("kid", k.private_key_id);
	claims = oauth_jwt_claims(url, 3600, 0);
	oauth_jwt_set(claims, "iss", k.client_email);
	oauth_jwt_set(claims, "sub", oauth_msg_get(req, "login_hint"));
	oauth_jwt_set(claims, "scope", oauth_msg_get(req, "scope"));
	buf_adds(&pem, k.private_key);
	if (sign(head, claims, &pem, "key_file", &jwt, a) < 0)
		goto out;
	oauth_form_add(&f, "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
	oauth_form_add(&f, "assertion", buf_str(&jwt));
	exchange_at(url, &f, a);
out:
	json_object_put(head);
	json_object_put(claims);
	oauth_key_file_free(&k);
	free_form(&file);
	free_form(&pem);
	free_form(&jwt);
	buf_free(&why);
}

static void
do_grant(struct buf *a)
{
	const char *g = oauth_msg_get(req, "grant");

	if (g != NULL && strcmp(g, "client_credentials") == 0 &&
	    oauth_msg_get(req, "client_id") != NULL && oauth_msg_get(req, "token_url") != NULL)
		do_client_credentials(a);
	else if (g != NULL && strcmp(g, "service_account") == 0 &&
	    oauth_msg_get(req, "key_file") != NULL && oauth_msg_get(req, "login_hint") != NULL)
		do_service_account(a);
	else
		answer_result(a, "usage", NULL, "grant is not client_credentials with client_id and token_url, or service_account with key_file and login_hint");
}

/* ---------------------------------------------------------------- main */

static int
read_all(int fd, struct buf *b)
{
	char chunk[4096];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf_add(b, chunk, (size_t)n);
		if (b->len > OAUTH_MSG_MAX)
			return -1;
	}
	return 0;
}

/* Both pipes from sendmail are there. */
static int
fcntl_ok(void)
{
	return fcntl(REQUEST_FD, F_GETFD) < 0 || fcntl(ANSWER_FD, F_GETFD) < 0 ? -1 : 0;
}

static int
url_ok(const char *key)
{
	const char *u = oauth_msg_get(req, key);

	return u == NULL || strncmp(u, "https://", 8) == 0;
}

int
main(int argc, char **argv)
{
	struct oauth_msg m = OAUTH_MSG_INIT;
	struct buf in = BUF_INIT, a = BUF_INIT, err = BUF_INIT;
	struct rlimit no_core = { 0, 0 };
	const char *op;
	int rc;

	(void)argv;
	prctl(PR_SET_DUMPABLE, 0);
	setrlimit(RLIMIT_CORE, &no_core);
	signal(SIGPIPE, SIG_IGN);
	i18n_init(LOCALEDIR);
	if (argc != 1 || fcntl_ok() < 0) {
		fprintf(stderr, _("saatja-oauth: this program is run by sendmail (see sendmail(8), --authorize)\n"));
		return EX_USAGE;
	}
	rc = read_all(REQUEST_FD, &in);
	close(REQUEST_FD);
	if (rc < 0 || oauth_msg_parse(&m, in.data != NULL ? in.data : "", in.len, &err) < 0) {
		answer_result(&a, "usage", NULL, err.len ? buf_str(&err) : "unreadable request");
	} else {
		const char *t = oauth_msg_get(&m, "timeout");

		req = &m;
		op = oauth_msg_get(&m, "op");
		http.ca_file = oauth_msg_get(&m, "ca_file");
		http.timeout = t != NULL ? atol(t) : 60;
		if (op != NULL && strcmp(op, "autoconfig") == 0)
			oauth_autoconfig_op(&m, &a);
		else if (op == NULL || ((oauth_msg_get(&m, "token_url") == NULL ||
		    oauth_msg_get(&m, "client_id") == NULL) && strcmp(op, "grant") != 0))
			answer_result(&a, "usage", NULL, "op, token_url or client_id missing");
		else if (!url_ok("token_url") || !url_ok("device_url") || !url_ok("auth_url"))
			answer_result(&a, "usage", NULL, "a token service URL is not https://");
		else if (oauth_http_init() < 0)
			answer_result(&a, "local", NULL, "libcurl could not start");
		else if (strcmp(op, "refresh") == 0)
			do_refresh(&a);
		else if (strcmp(op, "grant") == 0)
			do_grant(&a);
		else if (strcmp(op, "authorize") == 0 && oauth_msg_get(&m, "device_url") != NULL)
			do_device(&a);
		else if (strcmp(op, "authorize") == 0 && oauth_msg_get(&m, "auth_url") != NULL)
			do_browser(&a);
		else
			answer_result(&a, "usage", NULL, "unknown op, or authorize without a device or browser URL");
	}
	rc = write_all(ANSWER_FD, a.data, a.len);
	free_form(&in);
	free_form(&a);
	buf_free(&err);
	oauth_msg_free(&m);
	return rc < 0 ? EX_IOERR : 0;
}
