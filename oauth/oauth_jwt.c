/* SPDX-License-Identifier: MIT */
/*
 * oauth_jwt - signed assertions for an application's grant; see
 * oauth_jwt.h.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "oauth_jwt.h"

void
oauth_base64url(struct buf *out, const unsigned char *p, size_t n)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		buf_addc(out, b64[(v >> 18) & 63]);
		buf_addc(out, b64[(v >> 12) & 63]);
		if (i + 1 < n)
			buf_addc(out, b64[(v >> 6) & 63]);
		if (i + 2 < n)
			buf_addc(out, b64[v & 63]);
	}
}

enum oauth_jwt_file
oauth_jwt_read(const char *path, int secret, struct buf *out, struct buf *err)
{
	struct stat sb;
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		buf_adds(err, strerror(errno));
		return OAUTH_JWT_FILE_UNREADABLE;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		buf_adds(err, "not a regular file");
		close(fd);
		return OAUTH_JWT_FILE_UNREADABLE;
	}
	if (secret && (sb.st_mode & S_IROTH)) {
		close(fd);
		return OAUTH_JWT_FILE_PUBLIC;
	}
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || out->len > OAUTH_JWT_FILE_MAX) {
			buf_adds(err, n < 0 ? strerror(errno) : "the file is too big");
			close(fd);
			explicit_bzero(chunk, sizeof chunk);
			return n < 0 ? OAUTH_JWT_FILE_UNREADABLE : OAUTH_JWT_FILE_INVALID;
		}
		buf_add(out, chunk, (size_t)n);
	}
	explicit_bzero(chunk, sizeof chunk);
	close(fd);
	return OAUTH_JWT_FILE_OK;
}

enum oauth_jwt_file
oauth_jwt_cert(const struct buf *pem, struct buf *x5t, struct buf *x5t256,
    long long *expires, struct buf *err)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = { (unsigned char *)pem->data, (unsigned)pem->len };
	unsigned char sha1[20], sha256[32];
	size_t n = sizeof sha1, n256 = sizeof sha256;
	int rc;

	if (gnutls_x509_crt_init(&crt) < 0) {
		buf_adds(err, "out of memory");
		return OAUTH_JWT_FILE_INVALID;
	}
	rc = pem->len ? gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) : GNUTLS_E_BASE64_DECODING_ERROR;
	if (rc >= 0)
		rc = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA1, sha1, &n);
	if (rc >= 0)
		rc = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, sha256, &n256);
	if (rc < 0) {
		buf_printf(err, "not a PEM certificate (%s)", gnutls_strerror(rc));
		gnutls_x509_crt_deinit(crt);
		return OAUTH_JWT_FILE_INVALID;
	}
	oauth_base64url(x5t, sha1, n);
	oauth_base64url(x5t256, sha256, n256);
	*expires = (long long)gnutls_x509_crt_get_expiration_time(crt);
	gnutls_x509_crt_deinit(crt);
	return OAUTH_JWT_FILE_OK;
}

static void
part(struct buf *out, const char *json)
{
	oauth_base64url(out, (const unsigned char *)json, strlen(json));
}

enum oauth_jwt_file
oauth_jwt_sign(const char *header, const char *claims, const char *key_pem,
    size_t key_len, struct buf *out, struct buf *err)
{
	gnutls_privkey_t key;
	gnutls_datum_t k = { (unsigned char *)key_pem, (unsigned)key_len };
	gnutls_datum_t data, sig = { NULL, 0 };
	size_t start = out->len;
	int rc;

	if (gnutls_privkey_init(&key) < 0) {
		buf_adds(err, "out of memory");
		return OAUTH_JWT_FILE_INVALID;
	}
	rc = key_len ? gnutls_privkey_import_x509_raw(key, &k, GNUTLS_X509_FMT_PEM, NULL, 0)
	    : GNUTLS_E_BASE64_DECODING_ERROR;
	if (rc >= 0 && gnutls_privkey_get_pk_algorithm(key, NULL) != GNUTLS_PK_RSA) {
		buf_adds(err, "not an RSA key (RS256 needs one)");
		gnutls_privkey_deinit(key);
		return OAUTH_JWT_FILE_INVALID;
	}
	part(out, header);
	buf_addc(out, '.');
	part(out, claims);
	data.data = (unsigned char *)out->data + start;
	data.size = (unsigned)(out->len - start);
	if (rc >= 0)
		rc = gnutls_privkey_sign_data(key, GNUTLS_DIG_SHA256, 0, &data, &sig);
	gnutls_privkey_deinit(key);
	if (rc < 0) {
		buf_printf(err, "not a PEM private key without a passphrase, or it cannot sign (%s)",
		    gnutls_strerror(rc));
		return OAUTH_JWT_FILE_INVALID;
	}
	buf_addc(out, '.');
	oauth_base64url(out, sig.data, sig.size);
	gnutls_free(sig.data);
	return OAUTH_JWT_FILE_OK;
}

void
oauth_jwt_set(json_object *o, const char *name, const char *v)
{
	json_object_object_add(o, name, json_object_new_string(v));
}

json_object *
oauth_jwt_header(const char *name, const char *value)
{
	json_object *h = json_object_new_object();

	oauth_jwt_set(h, "alg", "RS256");
	oauth_jwt_set(h, "typ", "JWT");
	if (value != NULL)
		oauth_jwt_set(h, name, value);
	return h;
}

json_object *
oauth_jwt_claims(const char *aud, long lifetime, int nbf)
{
	json_object *c = json_object_new_object();
	time_t now = time(NULL);

	oauth_jwt_set(c, "aud", aud);
	json_object_object_add(c, "iat", json_object_new_int64(now));
	if (nbf)
		json_object_object_add(c, "nbf", json_object_new_int64(now));
	json_object_object_add(c, "exp", json_object_new_int64(now + lifetime));
	return c;
}

enum oauth_jwt_file
oauth_jwt_sign_json(json_object *head, json_object *claims, const struct buf *pem,
    struct buf *out, struct buf *err)
{
	const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

	return oauth_jwt_sign(json_object_to_json_string_ext(head, flags),
	    json_object_to_json_string_ext(claims, flags), buf_str(pem), pem->len, out, err);
}
