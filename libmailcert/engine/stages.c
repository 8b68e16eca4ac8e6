/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The DNS contexts and the HTTP multi handle an engine's stages share (stages.h). */
#include <stdlib.h>
#include <string.h>

#include "engine/stages.h"
#include "io/net.h"
#include "model/acmestore.h"
#include "model/internal.h"

/* Resolvers and trust anchors in one engine: policies rarely differ in them. */
#define MAX_CONTEXTS 8

struct dns_context {
	char *resolver, *anchor; /* as asked for; NULL for the defaults */
	struct mc_dns *dns;      /* NULL when it could not be set up: */
	char why[256];
};

/* A transfer and the waiters of its URL. */
struct shared {
	struct shared *prev, *next;
	struct mc_stages *st;
	struct mc_http_transfer *t;
	char *url;
	size_t max_bytes;
	struct mc_get *waiters;
};

struct mc_get {
	struct mc_get *next;
	struct shared *shared;
	mc_get_done_fn done;
	void *user;
};

struct mc_stages {
	struct dns_context dns[MAX_CONTEXTS];
	size_t n_dns;
	struct mc_http *http;
	char http_why[256]; /* why there is no multi handle, once that is known */
	struct shared *shared;
	/* The ACME store read for this engine's checks, by the path it was read
	 * from, and when: read again when older than MC_ACME_FRESH_MS. */
	mailcert_acme_store *acme;
	int64_t acme_read_ms;
};

/* A scan's thousand checks read the store once, a long-lived engine every minute. */
#define MC_ACME_FRESH_MS 60000

struct mc_stages *mc_stages_new(void)
{
	return calloc(1, sizeof(struct mc_stages));
}

void mc_stages_free(struct mc_stages *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n_dns; i++) {
		mc_dns_free(st->dns[i].dns);
		free(st->dns[i].resolver);
		free(st->dns[i].anchor);
	}
	while (st->shared) {
		struct shared *sh = st->shared;

		while (sh->waiters)
			mc_get_cancel(sh->waiters); /* the last one frees @sh */
	}
	mc_http_free(st->http);
	mailcert_acme_store_free(st->acme);
	free(st);
}

mailcert_acme_store *mc_stages_acme(struct mc_stages *st, const mailcert_acme_store *was,
				    char *why, size_t whylen)
{
	mailcert_acme_store *fresh;
	int64_t now = mc_now_ms();

	if (!st->acme || strcmp(st->acme->path, was->path) != 0 ||
	    now - st->acme_read_ms >= MC_ACME_FRESH_MS) {
		if (mailcert_acme_store_open(&fresh, was->path, why, (unsigned)whylen) < 0)
			return NULL;
		mailcert_acme_store_free(st->acme);
		st->acme = fresh;
		st->acme_read_ms = now;
	}
	return mc_acme_store_ref(st->acme);
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

struct mc_dns *mc_stages_dns(struct mc_stages *st, const char *resolver, const char *anchor,
			     char *err, size_t errlen)
{
	struct dns_context *c;

	for (size_t i = 0; i < st->n_dns; i++) {
		c = &st->dns[i];
		if (same(c->resolver, resolver) && same(c->anchor, anchor)) {
			if (!c->dns)
				mc_set_error(err, errlen, "%s", c->why);
			return c->dns;
		}
	}
	if (st->n_dns == MAX_CONTEXTS) {
		mc_set_error(err, errlen, "more than %d resolvers or trust anchors in one run",
			     MAX_CONTEXTS);
		return NULL;
	}
	c = &st->dns[st->n_dns];
	c->resolver = resolver ? mc_strdup(resolver) : NULL;
	c->anchor = anchor ? mc_strdup(anchor) : NULL;
	if ((resolver && !c->resolver) || (anchor && !c->anchor)) {
		free(c->resolver);
		free(c->anchor);
		*c = (struct dns_context){0};
		mc_set_error(err, errlen, "out of memory");
		return NULL;
	}
	st->n_dns++;
	c->dns = mc_dns_new(resolver, anchor, c->why, sizeof(c->why));
	if (!c->dns)
		mc_set_error(err, errlen, "%s", c->why);
	return c->dns;
}

struct mc_http *mc_stages_http(struct mc_stages *st, char *err, size_t errlen)
{
	if (!st->http && !st->http_why[0])
		st->http = mc_http_new(st->http_why, sizeof(st->http_why));
	if (!st->http)
		mc_set_error(err, errlen, "%s", st->http_why);
	return st->http;
}

static void shared_free(struct shared *sh)
{
	if (sh->prev)
		sh->prev->next = sh->next;
	else
		sh->st->shared = sh->next;
	if (sh->next)
		sh->next->prev = sh->prev;
	mc_http_cancel(sh->t);
	free(sh->url);
	free(sh);
}

/* The transfer ended: every waiter hears it, in the order they came. */
static void shared_done(void *user, const char *why, struct mc_http_response *resp)
{
	struct shared *sh = user;
	struct mc_get *g;

	sh->t = NULL; /* io/http.c frees it when this returns */
	while ((g = sh->waiters)) {
		sh->waiters = g->next;
		g->done(g->user, why, resp);
		free(g);
	}
	shared_free(sh);
}

struct mc_get *mc_stages_get(struct mc_stages *st, const struct mc_http_request *req,
			     mc_get_done_fn done, void *user, char *err, size_t errlen)
{
	struct mc_http *h = mc_stages_http(st, err, errlen);
	struct mc_get *g, **tail;
	struct shared *sh;

	if (!h)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g) {
		mc_set_error(err, errlen, "out of memory");
		return NULL;
	}
	*g = (struct mc_get){.done = done, .user = user};
	for (sh = st->shared; sh; sh = sh->next)
		if (strcmp(sh->url, req->url) == 0 && sh->max_bytes == req->max_bytes)
			break;
	if (!sh) {
		sh = calloc(1, sizeof(*sh));
		if (!sh || !(sh->url = mc_strdup(req->url))) {
			free(sh);
			free(g);
			mc_set_error(err, errlen, "out of memory");
			return NULL;
		}
		sh->st = st;
		sh->max_bytes = req->max_bytes;
		sh->next = st->shared;
		if (st->shared)
			st->shared->prev = sh;
		st->shared = sh;
		sh->t = mc_http_start(h, req, shared_done, sh);
		if (!sh->t) {
			shared_free(sh);
			free(g);
			mc_set_error(err, errlen, "out of memory");
			return NULL;
		}
	}
	g->shared = sh;
	for (tail = &sh->waiters; *tail; tail = &(*tail)->next)
		;
	*tail = g;
	return g;
}

void mc_get_cancel(struct mc_get *g)
{
	struct shared *sh;
	struct mc_get **p;

	if (!g)
		return;
	sh = g->shared;
	for (p = &sh->waiters; *p != g; p = &(*p)->next)
		;
	*p = g->next;
	free(g);
	if (!sh->waiters)
		shared_free(sh);
}

size_t mc_stages_fds(const struct mc_stages *st, struct pollfd *fds, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n_dns; i++) {
		int fd = st->dns[i].dns ? mc_dns_fd(st->dns[i].dns) : -1;

		if (fd < 0)
			continue;
		if (n < max)
			fds[n] = (struct pollfd){.fd = fd, .events = POLLIN};
		n++;
	}
	if (st->http)
		n += mc_http_fds(st->http, n < max ? fds + n : NULL, n < max ? max - n : 0);
	return n;
}

/* The sooner of two timeouts where -1 is none. */
static int sooner(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

int mc_stages_timeout_ms(const struct mc_stages *st)
{
	int t = st->http ? mc_http_timeout_ms(st->http) : -1;

	for (size_t i = 0; i < st->n_dns; i++)
		if (st->dns[i].dns)
			t = sooner(t, mc_dns_timeout_ms(st->dns[i].dns));
	return t;
}

void mc_stages_process(struct mc_stages *st, const struct pollfd *fds, size_t n)
{
	int readable[MAX_CONTEXTS] = {0};

	/* Who is ready, before any callback opens or closes a descriptor. */
	for (size_t i = 0; i < st->n_dns; i++) {
		int fd = st->dns[i].dns ? mc_dns_fd(st->dns[i].dns) : -1;

		for (size_t k = 0; fd >= 0 && k < n; k++)
			if (fds[k].fd == fd && fds[k].revents)
				readable[i] = 1;
	}
	if (st->http)
		mc_http_process(st->http, fds, n);
	for (size_t i = 0; i < st->n_dns; i++)
		if (st->dns[i].dns)
			mc_dns_process(st->dns[i].dns, readable[i]);
}
