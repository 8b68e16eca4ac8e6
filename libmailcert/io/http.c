/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HTTP(S) GETs through libcurl's multi interface, loaded on first use
 * (see http.h). Every transfer is bounded in time and size, speaks only
 * http and https, and turns whatever went wrong into one printable line.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "io/dl.h"
#include "io/http.h"
#include "io/net.h"
#include "model/internal.h"

#define MAX_REDIRS 3L
#define MAX_SOCKETS 1024 /* watched at once; libcurl needs one or two per transfer */

static struct {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *m);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption opt, ...);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *c);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *c);
	CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int mask, int *running);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
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
	    {"curl_easy_getinfo", (void **)&curl.easy_getinfo},
	    {"curl_easy_cleanup", (void **)&curl.easy_cleanup},
	    {"curl_easy_strerror", (void **)&curl.easy_strerror},
	    {"curl_slist_append", (void **)&curl.slist_append},
	    {"curl_slist_free_all", (void **)&curl.slist_free_all},
	    {"curl_multi_init", (void **)&curl.multi_init},
	    {"curl_multi_cleanup", (void **)&curl.multi_cleanup},
	    {"curl_multi_setopt", (void **)&curl.multi_setopt},
	    {"curl_multi_add_handle", (void **)&curl.multi_add_handle},
	    {"curl_multi_remove_handle", (void **)&curl.multi_remove_handle},
	    {"curl_multi_socket_action", (void **)&curl.multi_socket_action},
	    {"curl_multi_info_read", (void **)&curl.multi_info_read},
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

struct mc_http_transfer {
	struct mc_http_transfer *prev, *next;
	struct mc_http *h;
	CURL *easy;
	struct curl_slist *resolve;
	char *url;
	long long timeout_ms;
	size_t max_bytes;
	struct body body;
	long retry_after; /* from the last response's headers, or -1 */
	int finished;
	CURLcode rc;
	mc_http_done_fn done;
	void *user;
};

struct mc_http {
	CURLM *multi;
	struct mc_http_transfer *head;
	struct pollfd socks[MAX_SOCKETS]; /* what libcurl asked to watch */
	size_t n_socks;
	int64_t timer; /* when libcurl wants its timeout action (mc_now_ms()), or -1 */
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

/*
 * Retry-After (RFC 9110 §10.2.3) in seconds: delta-seconds, or an
 * HTTP-date from which the time now is taken. -1 when it is neither.
 */
static long retry_after(const char *v, size_t n)
{
	char text[64];
	struct tm tm = {0};
	char *end;
	long s;

	while (n && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	if (n == 0 || n >= sizeof(text))
		return -1;
	memcpy(text, v, n);
	text[n] = '\0';
	s = strtol(text, &end, 10);
	if (end != text && *end == '\0')
		return s < 0 ? -1 : s;
	end = strptime(text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *end)
		return -1;
	s = (long)(timegm(&tm) - time(NULL));
	return s < 0 ? 0 : s;
}

/* CURLOPT_HEADERFUNCTION: a redirect's headers are replaced by the next response's. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct mc_http_transfer *t = user;
	size_t n = size * nmemb;

	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
		t->retry_after = -1;
	else if (n > 12 && strncasecmp(ptr, "retry-after:", 12) == 0)
		t->retry_after = retry_after(ptr + 12, n - 12);
	return n;
}

/* CURLMOPT_SOCKETFUNCTION: which sockets to watch for what. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *user, void *socketp)
{
	struct mc_http *h = user;
	size_t i;

	(void)easy;
	(void)socketp;
	for (i = 0; i < h->n_socks && h->socks[i].fd != s; i++)
		;
	if (what == CURL_POLL_REMOVE) {
		if (i < h->n_socks)
			h->socks[i] = h->socks[--h->n_socks];
		return 0;
	}
	if (i == h->n_socks) {
		if (h->n_socks == MAX_SOCKETS)
			return -1; /* libcurl fails the transfer */
		h->n_socks++;
	}
	h->socks[i] = (struct pollfd){
	    .fd = s,
	    .events = (short)((what & CURL_POLL_IN ? POLLIN : 0) | (what & CURL_POLL_OUT ? POLLOUT : 0))};
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: when libcurl wants to be called for its timers. */
static int on_timer(CURLM *multi, long timeout_ms, void *user)
{
	struct mc_http *h = user;

	(void)multi;
	h->timer = timeout_ms < 0 ? -1 : mc_now_ms() + timeout_ms;
	return 0;
}

struct mc_http *mc_http_new(char *err, size_t errlen)
{
	struct mc_http *h;

	pthread_once(&curl_once, curl_load);
	if (curl_error[0]) {
		mc_set_error(err, errlen, "%s", curl_error);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h || !(h->multi = curl.multi_init())) {
		free(h);
		mc_set_error(err, errlen, "out of memory");
		return NULL;
	}
	h->timer = -1;
	curl.multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl.multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl.multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl.multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
}

static void transfer_free(struct mc_http_transfer *t)
{
	if (t->easy) {
		curl.multi_remove_handle(t->h->multi, t->easy);
		curl.easy_cleanup(t->easy);
	}
	if (t->resolve)
		curl.slist_free_all(t->resolve);
	free(t->url);
	free(t->body.data);
	free(t);
}

static void unlink_transfer(struct mc_http_transfer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		t->h->head = t->next;
	if (t->next)
		t->next->prev = t->prev;
}

void mc_http_cancel(struct mc_http_transfer *t)
{
	if (!t)
		return;
	unlink_transfer(t);
	transfer_free(t);
}

void mc_http_free(struct mc_http *h)
{
	if (!h)
		return;
	while (h->head)
		mc_http_cancel(h->head);
	curl.multi_cleanup(h->multi);
	free(h);
}

struct mc_http_transfer *mc_http_start(struct mc_http *h, const struct mc_http_request *req,
				       mc_http_done_fn done, void *user)
{
	struct mc_http_transfer *t = calloc(1, sizeof(*t));
	CURL *c;

	if (!t)
		return NULL;
	*t = (struct mc_http_transfer){.h = h,
				       .url = mc_strdup(req->url),
				       .timeout_ms = req->timeout_ms,
				       .max_bytes = req->max_bytes,
				       .body = {.max = req->max_bytes},
				       .retry_after = -1,
				       .done = done,
				       .user = user,
				       .next = h->head};
	if (h->head)
		h->head->prev = t;
	h->head = t;
	if (!t->url || !(t->easy = c = curl.easy_init()) ||
	    (req->resolve && !(t->resolve = curl.slist_append(NULL, req->resolve)))) {
		mc_http_cancel(t);
		return NULL;
	}
	curl.easy_setopt(c, CURLOPT_URL, t->url);
	curl.easy_setopt(c, CURLOPT_PRIVATE, t);
	curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, (long)(req->follow_redirects != 0));
	curl.easy_setopt(c, CURLOPT_MAXREDIRS, MAX_REDIRS);
	/* A transfer with no time left still ends through libcurl, at once. */
	curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? (long)req->timeout_ms : 1L);
	curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl.easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_bytes);
	curl.easy_setopt(c, CURLOPT_USERAGENT, "mailcert/" MAILCERT_VERSION_STRING);
	curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl.easy_setopt(c, CURLOPT_WRITEDATA, &t->body);
	curl.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl.easy_setopt(c, CURLOPT_HEADERDATA, t);
	if (req->ca_file)
		curl.easy_setopt(c, CURLOPT_CAINFO, req->ca_file);
	if (req->ca_dir)
		curl.easy_setopt(c, CURLOPT_CAPATH, req->ca_dir);
	if (req->ca_file && !req->ca_dir)
		curl.easy_setopt(c, CURLOPT_CAPATH, (char *)NULL);
	if (t->resolve)
		curl.easy_setopt(c, CURLOPT_RESOLVE, t->resolve);
	if (curl.multi_add_handle(h->multi, c) != CURLM_OK) {
		curl.easy_cleanup(c);
		t->easy = NULL;
		mc_http_cancel(t);
		return NULL;
	}
	return t;
}

size_t mc_http_fds(const struct mc_http *h, struct pollfd *fds, size_t max)
{
	for (size_t i = 0; i < h->n_socks && i < max; i++)
		fds[i] = (struct pollfd){.fd = h->socks[i].fd, .events = h->socks[i].events};
	return h->n_socks;
}

int mc_http_timeout_ms(const struct mc_http *h)
{
	int64_t left;

	for (const struct mc_http_transfer *t = h->head; t; t = t->next)
		if (t->finished)
			return 0;
	if (h->timer < 0)
		return -1;
	left = h->timer - mc_now_ms();
	return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

static char *failure(const struct mc_http_transfer *t, long status)
{
	if (t->rc == CURLE_OK && status >= 300 && status < 400)
		return mc_asprintf("a redirect (HTTP %ld), not followed", status);
	if (t->rc == CURLE_OK && status != 200)
		return mc_asprintf("HTTP status %ld", status);
	if (t->rc == CURLE_OK)
		return mc_strdup("the server sent nothing");
	if (t->body.too_big || t->rc == CURLE_FILESIZE_EXCEEDED)
		return t->max_bytes >= (1u << 20) ? mc_asprintf("larger than %zu MiB", t->max_bytes >> 20)
						  : mc_asprintf("larger than %zu KiB", t->max_bytes >> 10);
	if (t->rc == CURLE_OPERATION_TIMEDOUT)
		return mc_asprintf("no answer within the timeout (%lld ms)", t->timeout_ms);
	return mc_strdup(curl.easy_strerror(t->rc));
}

/* Hands @t's outcome to its callback; @t is unlinked and freed after. */
static void finish(struct mc_http_transfer *t)
{
	struct mc_http_response resp = {.retry_after = t->retry_after};
	const char *type = NULL;
	char *why;

	unlink_transfer(t);
	curl.easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &resp.status);
	if (curl.easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type)
		mc_quote(resp.content_type, sizeof(resp.content_type), type, strlen(type), 100);
	if (t->rc == CURLE_OK && resp.status == 200 && t->body.len > 0) {
		resp.body = t->body.data;
		resp.len = t->body.len;
		t->body.data = NULL;
		why = NULL;
	} else {
		why = failure(t, resp.status);
	}
	t->done(t->user, why ? why : (resp.body ? NULL : "out of memory"), &resp);
	free(why);
	free(resp.body);
	transfer_free(t);
}

void mc_http_process(struct mc_http *h, const struct pollfd *fds, size_t n)
{
	struct {
		int fd, mask;
	} ready[MAX_SOCKETS];
	size_t n_ready = 0;
	int running;
	CURLMsg *msg;

	/* Which of our sockets are ready, before libcurl acts on any of them
	 * and closes or opens others. */
	for (size_t i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		for (size_t k = 0; k < h->n_socks && n_ready < MAX_SOCKETS; k++)
			if (h->socks[k].fd == fds[i].fd) {
				ready[n_ready].fd = fds[i].fd;
				ready[n_ready++].mask =
				    (fds[i].revents & POLLIN ? CURL_CSELECT_IN : 0) |
				    (fds[i].revents & POLLOUT ? CURL_CSELECT_OUT : 0) |
				    (fds[i].revents & (POLLERR | POLLHUP) ? CURL_CSELECT_ERR : 0);
				break;
			}
	}
	for (size_t i = 0; i < n_ready; i++)
		curl.multi_socket_action(h->multi, ready[i].fd, ready[i].mask, &running);
	if (h->timer >= 0 && mc_now_ms() >= h->timer) {
		h->timer = -1;
		curl.multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	while ((msg = curl.multi_info_read(h->multi, &running))) {
		struct mc_http_transfer *t = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl.easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		if (t) {
			t->finished = 1;
			t->rc = msg->data.result;
		}
	}
	/* One at a time from the head: a callback may start or cancel transfers. */
	for (;;) {
		struct mc_http_transfer *t = h->head;

		while (t && !t->finished)
			t = t->next;
		if (!t)
			return;
		finish(t);
	}
}
