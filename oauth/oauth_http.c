/* SPDX-License-Identifier: MIT */
/*
 * oauth_http - HTTPS POST and GET through libcurl; see oauth_http.h.
 */
#include "autoconf.h"

#include <curl/curl.h>
#include <string.h>

#include "oauth_http.h"

struct sink {
	struct buf *body;
	size_t max;
	int overflow;
};

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	/* Whether or not a Content-Length came: the count is what arrived. */
	if ((n != 0 && size > s->max / n) || s->body->len + size * n > s->max) {
		s->overflow = 1;
		return 0;	/* libcurl ends the transfer with an error */
	}
	buf_add(s->body, p, size * n);
	return size * n;
}

int
oauth_http_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static enum oauth_http_result
classify(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return OAUTH_HTTP_NETWORK;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return OAUTH_HTTP_TLS;
	default:
		return OAUTH_HTTP_PROTOCOL;
	}
}

/* The rules both requests keep: https only, TLS 1.2 or newer, the
 * certificate and its name verified, the time limit, the size limit. */
static void
setup(CURL *c, const struct oauth_http *h, const char *url, struct sink *sink,
    char *errbuf)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_file != NULL) {
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT, h->timeout > 0 ? h->timeout : 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
}

/* Runs the transfer set up on c; fills *code, or err. */
static enum oauth_http_result
perform(CURL *c, const char *url, struct sink *sink, char *errbuf, long *code,
    struct buf *err)
{
	CURLcode rc = curl_easy_perform(c);

	if (sink->overflow) {
		buf_printf(err, "the answer from %s is over %zu octets", url, sink->max);
		return OAUTH_HTTP_TOO_LARGE;
	}
	if (rc != CURLE_OK) {
		buf_printf(err, "%s: %s", url, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		return classify(rc);
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	return OAUTH_HTTP_OK;
}

/* A curl handle for url, which must be https://; NULL after saying why. */
static CURL *
start(const char *url, struct buf *err)
{
	CURL *c;

	if (strncmp(url, "https://", 8) != 0) {
		buf_printf(err, "%s is not an https:// URL", url);
		return NULL;
	}
	if ((c = curl_easy_init()) == NULL)
		buf_adds(err, "libcurl could not start");
	return c;
}

enum oauth_http_result
oauth_http_post(const struct oauth_http *h, const char *url, const char *form,
    struct buf *body, long *code, struct buf *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink sink = { body, OAUTH_HTTP_MAX, 0 };
	struct curl_slist *hdr = NULL;
	enum oauth_http_result res;
	CURL *c;

	*code = 0;
	if ((c = start(url, err)) == NULL)
		return OAUTH_HTTP_PROTOCOL;
	hdr = curl_slist_append(hdr, "Accept: application/json");
	setup(c, h, url, &sink, errbuf);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	res = perform(c, url, &sink, errbuf, code, err);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return res;
}

enum oauth_http_result
oauth_http_get(const struct oauth_http *h, const char *url, size_t max,
    struct buf *body, long *code, struct buf *final_url, struct buf *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink sink = { body, max, 0 };
	struct buf why = BUF_INIT;
	enum oauth_http_result res;
	char *where = NULL;
	CURL *c;

	*code = 0;
	buf_adds(final_url, url);
	if ((c = start(url, err)) == NULL)
		return OAUTH_HTTP_PROTOCOL;
	setup(c, h, url, &sink, errbuf);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)OAUTH_HTTP_REDIRECTS);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
	    h->timeout > 0 && h->timeout < OAUTH_HTTP_CONNECT_S ? h->timeout : (long)OAUTH_HTTP_CONNECT_S);
	res = perform(c, url, &sink, errbuf, code, &why);
	if (curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &where) == CURLE_OK && where != NULL) {
		buf_reset(final_url);
		buf_adds(final_url, where);
	}
	/* libcurl's words for it blame itself ("disabled in libcurl"). */
	if (res == OAUTH_HTTP_PROTOCOL && strncmp(buf_str(final_url), "https://", 8) != 0)
		buf_printf(err, "%s redirects to %s, which is not https://", url, buf_str(final_url));
	else
		buf_adds(err, buf_str(&why));
	buf_free(&why);
	curl_easy_cleanup(c);
	return res;
}
