/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HTTP(S) GETs with libcurl, for CRLs (crlfetch.c) and MTA-STS policies
 * (domain.c). libcurl is loaded when first needed, not linked: it brings
 * some twenty libraries whose loading would cost every run of mailcert
 * about 1.8 ms of CPU (docs/performance.md) for opt-in features.
 */
#ifndef MAILCERT_HTTP_H
#define MAILCERT_HTTP_H

#include <stddef.h>

struct mc_http_request {
	const char *url;
	const char *ca_file, *ca_dir; /* trust for https (NULL: libcurl's default store) */
	const char *resolve;          /* "host:port:address": connect there, or NULL */
	int follow_redirects;         /* up to 3, http and https only */
	size_t max_bytes;             /* a longer body is a failure */
	long long timeout_ms;
};

struct mc_http_response {
	unsigned char *body; /* malloc'ed, NUL-terminated (not counted in len) */
	size_t len;
	long status;
	char content_type[128]; /* as sent, printable, or "" */
};

/*
 * GETs @req->url into @resp. NULL when the answer is status 200 with a
 * body; otherwise why not, malloc'ed, one line ("HTTP status 404", "a
 * redirect (HTTP 301), not followed", libcurl's reason), with @resp->status
 * and nothing to free in @resp.
 */
char *mc_http_get(const struct mc_http_request *req, struct mc_http_response *resp);

#endif
