/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HTTP(S) GETs through libcurl's multi interface, for CRLs
 * (engine/crl_stage.c) and MTA-STS policies (engine/domain_lookup.c): the
 * engine polls the transfers' sockets beside its probes'
 * (CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION), so a slow server
 * holds up only the checks that wait for it. libcurl is loaded when first
 * needed, not linked: it brings some twenty libraries whose loading would
 * cost every run of mailcert about 1.8 ms of CPU (docs/performance.md)
 * for opt-in features. Not installed.
 */
#ifndef MAILCERT_HTTP_H
#define MAILCERT_HTTP_H

#include <poll.h>
#include <stddef.h>

struct mc_http_request {
	const char *url;
	const char *ca_file, *ca_dir; /* trust for https (NULL: libcurl's default store) */
	const char *resolve;          /* "host:port:address": connect there, or NULL */
	int follow_redirects;         /* up to 3, http and https only */
	size_t max_bytes;             /* a longer body is a failure */
	long long timeout_ms;         /* the whole transfer */
};

struct mc_http_response {
	unsigned char *body; /* malloc'ed, NUL-terminated (not counted in len) */
	size_t len;
	long status;
	char content_type[128]; /* as sent, printable, or "" */
	long retry_after;       /* seconds the server asked to wait (Retry-After), or -1 */
};

struct mc_http;
struct mc_http_transfer;

/* A multi handle, loading libcurl if needed. NULL with the reason in @err. */
struct mc_http *mc_http_new(char *err, size_t errlen);

/* Frees @h, abandoning its transfers without callbacks; NULL is a no-op. */
void mc_http_free(struct mc_http *h);

/*
 * Called once per transfer from mc_http_process(): @why is NULL when the
 * answer is status 200 with a body, otherwise why not, one printable line
 * ("HTTP status 404", "a redirect (HTTP 301), not followed", "larger than
 * 64 KiB", libcurl's reason). @resp->body may be taken (set it to NULL);
 * what is left is freed when @done returns. @done may start and cancel
 * transfers.
 */
typedef void (*mc_http_done_fn)(void *user, const char *why, struct mc_http_response *resp);

/*
 * Starts GETting @req->url (its strings are copied). @done never runs
 * from inside this call. NULL when out of memory.
 */
struct mc_http_transfer *mc_http_start(struct mc_http *h, const struct mc_http_request *req,
				       mc_http_done_fn done, void *user);

/* Abandons @t: its callback will not run. NULL is a no-op. */
void mc_http_cancel(struct mc_http_transfer *t);

/* The sockets to watch, as mailcert_engine_fds() writes them. */
size_t mc_http_fds(const struct mc_http *h, struct pollfd *fds, size_t max);

/* Milliseconds until libcurl wants mc_http_process() for a timer: 0 for at once, -1 for none. */
int mc_http_timeout_ms(const struct mc_http *h);

/*
 * Lets libcurl act on its sockets that @fds (as polled) say are ready and
 * on its expired timers; finished transfers end through their callbacks.
 */
void mc_http_process(struct mc_http *h, const struct pollfd *fds, size_t n);

#endif
