/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HTTP(S) GETs through libcurl, loaded on first use (see http.h). Every
 * transfer is bounded in time and size, speaks only http and https, and
 * turns whatever went wrong into one printable line.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "io/dl.h"
#include "io/http.h"
#include "model/internal.h"

#define MAX_REDIRS 3L

static struct {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
} curl;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static char curl_error[256]; /* why libcurl is not usable, or "" */

static void curl_load(void)
{
	static const char *const sonames[] = {"libcurl-gnutls.so.4", "libcurl.so.4", NULL};
	const struct mc_dl_sym syms[] = {
	    {"curl_global_init", (void **)&curl.global_init},
	    {"curl_easy_init", (void **)&curl.easy_init},
	    {"curl_easy_setopt", (void **)&curl.easy_setopt},
	    {"curl_easy_perform", (void **)&curl.easy_perform},
	    {"curl_easy_getinfo", (void **)&curl.easy_getinfo},
	    {"curl_easy_cleanup", (void **)&curl.easy_cleanup},
	    {"curl_easy_strerror", (void **)&curl.easy_strerror},
	    {"curl_slist_append", (void **)&curl.slist_append},
	    {"curl_slist_free_all", (void **)&curl.slist_free_all},
	};

	if (mc_dl_load(sonames, "libcurl3-gnutls", syms, sizeof(syms) / sizeof(syms[0]), curl_error,
		       sizeof(curl_error)) < 0)
		return;
	if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		snprintf(curl_error, sizeof(curl_error), "libcurl could not be initialised");
}

struct body {
	unsigned char *data;
	size_t len, cap, max;
	int too_big;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct body *b = user;
	size_t n = size * nmemb;

	if (n > b->max - b->len) {
		b->too_big = 1;
		return 0; /* aborts the transfer */
	}
	/* One byte more than the body, for the NUL. */
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		unsigned char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return 0;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static char *failure(CURLcode rc, const struct body *b, const struct mc_http_request *req,
		     long status)
{
	if (rc == CURLE_OK && status >= 300 && status < 400)
		return mc_asprintf("a redirect (HTTP %ld), not followed", status);
	if (rc == CURLE_OK && status != 200)
		return mc_asprintf("HTTP status %ld", status);
	if (rc == CURLE_OK)
		return mc_strdup("the server sent nothing");
	if (b->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return req->max_bytes >= (1u << 20)
			   ? mc_asprintf("larger than %zu MiB", req->max_bytes >> 20)
			   : mc_asprintf("larger than %zu KiB", req->max_bytes >> 10);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return mc_asprintf("no answer within the timeout (%lld ms)", req->timeout_ms);
	return mc_strdup(curl.easy_strerror(rc));
}

char *mc_http_get(const struct mc_http_request *req, struct mc_http_response *resp)
{
	struct body b = {.max = req->max_bytes};
	struct curl_slist *resolve = NULL;
	const char *type = NULL;
	CURL *c;
	CURLcode rc;
	char *why;

	memset(resp, 0, sizeof(*resp));
	if (req->timeout_ms <= 0)
		return mc_strdup("no time left within the timeout");
	pthread_once(&curl_once, curl_load);
	if (curl_error[0])
		return mc_strdup(curl_error);
	if (!(c = curl.easy_init()))
		return mc_strdup("libcurl could not be initialised");
	if (req->resolve && !(resolve = curl.slist_append(NULL, req->resolve))) {
		curl.easy_cleanup(c);
		return mc_strdup("out of memory");
	}
	curl.easy_setopt(c, CURLOPT_URL, req->url);
	curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, (long)(req->follow_redirects != 0));
	curl.easy_setopt(c, CURLOPT_MAXREDIRS, MAX_REDIRS);
	curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
	curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl.easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_bytes);
	curl.easy_setopt(c, CURLOPT_USERAGENT, "mailcert/" MAILCERT_VERSION_STRING);
	curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl.easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (req->ca_file)
		curl.easy_setopt(c, CURLOPT_CAINFO, req->ca_file);
	if (req->ca_dir)
		curl.easy_setopt(c, CURLOPT_CAPATH, req->ca_dir);
	if (req->ca_file && !req->ca_dir)
		curl.easy_setopt(c, CURLOPT_CAPATH, (char *)NULL);
	if (resolve)
		curl.easy_setopt(c, CURLOPT_RESOLVE, resolve);
	rc = curl.easy_perform(c);
	curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (curl.easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type)
		mc_quote(resp->content_type, sizeof(resp->content_type), type, strlen(type), 100);
	if (rc == CURLE_OK && resp->status == 200 && b.len > 0) {
		resp->body = b.data;
		resp->len = b.len;
		why = NULL;
	} else {
		free(b.data);
		why = failure(rc, &b, req, resp->status);
	}
	curl.easy_cleanup(c);
	if (resolve)
		curl.slist_free_all(resolve);
	return why;
}
