/* SPDX-License-Identifier: MIT */
/*
 * oauth_json - strict reading of token service answers; see oauth_json.h.
 */
#include "autoconf.h"

#include <json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oauth_json.h"
#include "oauth_proto.h"

enum kind { TOKEN, ERRCODE, TEXT, URL };

void
oauth_tokens_free(struct oauth_tokens *t)
{
	xfree_secret(t->access_token);
	xfree_secret(t->refresh_token);
	free(t->error);
	free(t->error_description);
	memset(t, 0, sizeof *t);
}

void
oauth_device_free(struct oauth_device *d)
{
	xfree_secret(d->device_code);
	free(d->user_code);
	free(d->verification_uri);
	memset(d, 0, sizeof *d);
}

/* The body as one JSON object, or NULL with the reason in err. */
static json_object *
parse_object(const char *body, size_t len, struct buf *err)
{
	json_tokener *tok;
	json_object *o;
	size_t end;

	if (len == 0 || memchr(body, '\0', len) != NULL || len > 1000000) {
		buf_adds(err, "the answer is empty, binary or too long");
		return NULL;
	}
	tok = json_tokener_new_ex(OAUTH_JSON_DEPTH);
	if (tok == NULL) {
		buf_adds(err, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, body, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		buf_printf(err, "the answer is not JSON (%s)",
		    json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(o);
		o = NULL;
	} else {
		while (end < len && strchr(" \t\r\n", body[end]) != NULL)
			end++;
		if (end != len || !json_object_is_type(o, json_type_object)) {
			buf_adds(err, "the answer is not one JSON object");
			json_object_put(o);
			o = NULL;
		}
	}
	json_tokener_free(tok);
	return o;
}

static int
chars_ok(const char *s, size_t n, enum kind k)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (k) {
		case TOKEN:
		case URL:
			if (c <= 0x20 || c >= 0x7f)
				return 0;
			break;
		case ERRCODE:	/* RFC 6749 5.2: %x20-21 / %x23-5B / %x5D-7E */
			if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
				return 0;
			break;
		case TEXT:
			break;
		}
	}
	return 1;
}

/* Reads the string field name of o into *out (NULL when absent). Returns
 * 0, or -1 with the reason in err. */
static int
get_string(json_object *o, const char *name, enum kind k, char **out, struct buf *err)
{
	json_object *v;
	const char *s;
	size_t n;

	*out = NULL;
	if (!json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		buf_printf(err, "\"%s\" is not a string", name);
		return -1;
	}
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n == 0 || n > OAUTH_TOKEN_MAX || memchr(s, '\0', n) != NULL || !chars_ok(s, n, k)) {
		buf_printf(err, "\"%s\" is empty, too long or holds characters a %s cannot have",
		    name, k == URL ? "URL" : "token");
		return -1;
	}
	if (k == URL && strncmp(s, "https://", 8) != 0) {
		buf_printf(err, "\"%s\" is not an https:// URL", name);
		return -1;
	}
	if (k == TEXT) {
		struct buf b = BUF_INIT;

		oauth_printable(&b, s, n, 400);
		*out = buf_take(&b);
	} else {
		*out = xstrndup(s, n);
	}
	return 0;
}

/* A number of seconds (JSON integer, or a string of digits as some
 * services send), 1 to max; absent gives dflt. */
static int
get_seconds(json_object *o, const char *name, long dflt, long max, long *out, struct buf *err)
{
	json_object *v;
	long long x = -1;

	*out = dflt;
	if (!json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		x = (long long)json_object_get_int64(v);
	} else if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		size_t n = (size_t)json_object_get_string_len(v);

		if (n >= 1 && n <= 9 && strspn(s, "0123456789") == n)
			x = atoll(s);
	}
	if (x < 1 || x > max) {
		buf_printf(err, "\"%s\" is not a number of seconds from 1 to %ld", name, max);
		return -1;
	}
	*out = (long)x;
	return 0;
}

/*
 * The start of every answer of the token service: -1 when it is malformed
 * (t freed), 0 when it is an error answer (t->error set), 1 with *out the
 * object otherwise (the caller puts it).
 */
static int
read_answer(const char *body, size_t len, struct oauth_tokens *t,
    json_object **out, struct buf *err)
{
	json_object *o = parse_object(body, len, err);

	if (o == NULL)
		return -1;
	if (get_string(o, "error", ERRCODE, &t->error, err) < 0 ||
	    get_string(o, "error_description", TEXT, &t->error_description, err) < 0) {
		json_object_put(o);
		oauth_tokens_free(t);
		return -1;
	}
	if (t->error != NULL) {
		json_object_put(o);
		return 0;
	}
	*out = o;
	return 1;
}

int
oauth_json_tokens(const char *body, size_t len, struct oauth_tokens *t, struct buf *err)
{
	json_object *o = NULL, *v;
	int rc = read_answer(body, len, t, &o, err);

	if (rc <= 0)
		return rc;
	rc = -1;
	free(t->error_description);
	t->error_description = NULL;
	if (get_string(o, "access_token", TOKEN, &t->access_token, err) < 0 ||
	    get_string(o, "refresh_token", TOKEN, &t->refresh_token, err) < 0 ||
	    get_seconds(o, "expires_in", 0, 10L * 365 * 86400, &t->expires_in, err) < 0)
		goto out;
	if (t->access_token == NULL) {
		buf_adds(err, "the answer holds neither \"access_token\" nor \"error\"");
		goto out;
	}
	if (json_object_object_get_ex(o, "token_type", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	     strcasecmp(json_object_get_string(v), "Bearer") != 0)) {
		buf_adds(err, "\"token_type\" is not Bearer");
		goto out;
	}
	rc = 0;
out:
	json_object_put(o);
	if (rc < 0)
		oauth_tokens_free(t);
	return rc;
}

int
oauth_json_device(const char *body, size_t len, struct oauth_device *d,
    struct oauth_tokens *t, struct buf *err)
{
	json_object *o = NULL;
	int rc = read_answer(body, len, t, &o, err);

	if (rc <= 0)
		return rc;
	rc = -1;
	if (get_string(o, "device_code", TOKEN, &d->device_code, err) < 0 ||
	    get_string(o, "user_code", TOKEN, &d->user_code, err) < 0 ||
	    get_string(o, "verification_uri", URL, &d->verification_uri, err) < 0 ||
	    get_seconds(o, "expires_in", 0, 86400, &d->expires_in, err) < 0 ||
	    get_seconds(o, "interval", 5, 600, &d->interval, err) < 0)
		goto out;
	/* Google names it verification_url. */
	if (d->verification_uri == NULL &&
	    get_string(o, "verification_url", URL, &d->verification_uri, err) < 0)
		goto out;
	if (d->device_code == NULL || d->user_code == NULL ||
	    d->verification_uri == NULL || d->expires_in == 0) {
		buf_adds(err, "the answer lacks device_code, user_code, verification_uri or expires_in");
		goto out;
	}
	rc = 0;
out:
	json_object_put(o);
	if (rc < 0) {
		oauth_device_free(d);
		oauth_tokens_free(t);
	}
	return rc;
}

void
oauth_key_file_free(struct oauth_key_file *k)
{
	free(k->client_email);
	xfree_secret(k->private_key);
	free(k->private_key_id);
	free(k->token_uri);
	memset(k, 0, sizeof *k);
}

int
oauth_json_key_file(const char *body, size_t len, struct oauth_key_file *k,
    struct buf *err)
{
	json_object *o = parse_object(body, len, err), *v;
	char *type = NULL;
	int rc = -1;

	if (o == NULL)
		return -1;
	if (get_string(o, "type", ERRCODE, &type, err) < 0 ||
	    get_string(o, "client_email", TOKEN, &k->client_email, err) < 0 ||
	    get_string(o, "private_key_id", TOKEN, &k->private_key_id, err) < 0 ||
	    get_string(o, "token_uri", URL, &k->token_uri, err) < 0)
		goto out;
	if (type == NULL || strcmp(type, "service_account") != 0 || k->client_email == NULL ||
	    !json_object_object_get_ex(o, "private_key", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		buf_printf(err, "it is not a service account key (\"type\" is %s%s%s, and it needs client_email and private_key)",
		    type ? "\"" : "", type ? type : "missing", type ? "\"" : "");
		goto out;
	}
	/* PEM: its line breaks stay. */
	k->private_key = xstrndup(json_object_get_string(v), (size_t)json_object_get_string_len(v));
	rc = 0;
out:
	if (rc < 0)
		oauth_key_file_free(k);
	free(type);
	json_object_put(o);
	return rc;
}
