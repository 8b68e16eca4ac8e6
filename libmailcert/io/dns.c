/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Validating DNS lookups through libunbound. libunbound validates itself
 * with the trust anchor it is given, so a forwarding resolver only has to
 * pass DNSSEC records through; its own validation is not trusted (an AD
 * bit on the wire proves nothing to us).
 *
 * Queries are asynchronous (a libunbound thread, never a forked process,
 * which a library must not do behind its caller's back): the engine polls
 * ub_fd() beside its other descriptors and calls mc_dns_process() when it
 * is readable or a deadline passes. Each query has its own deadline, so a
 * silent resolver costs a check its timeout, and nothing else any time.
 *
 * libunbound (with libevent) is loaded on first use, like libcurl (dl.h):
 * most checks never look up DNSSEC, and linking it cost every process
 * about 0.2 ms of CPU to start.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <unbound.h>

#include "io/dl.h"
#include "io/dns.h"
#include "io/net.h"
#include "model/internal.h"

/* The root key as the dns-root-data package installs it. */
#define ROOT_ANCHOR "/usr/share/dns/root.key"

struct mc_dns_query {
	struct mc_dns_query *prev, *next;
	struct mc_dns *dns;
	int id;     /* libunbound's, while it has the query */
	int asked;  /* libunbound has it: cancel it there */
	int answered;
	int err;                  /* libunbound's error code, when answered */
	struct ub_result *result; /* when answered without error */
	char why[256];            /* failed before libunbound had it */
	int64_t deadline;
	mc_dns_done_fn done;
	void *user;
};

struct mc_dns {
	struct ub_ctx *ctx;
	struct mc_dns_query *head;
};

static struct {
	struct ub_ctx *(*ctx_create)(void);
	void (*ctx_delete)(struct ub_ctx *ctx);
	int (*ctx_async)(struct ub_ctx *ctx, int dothread);
	int (*ctx_set_fwd)(struct ub_ctx *ctx, const char *addr);
	int (*ctx_set_option)(struct ub_ctx *ctx, const char *opt, const char *val);
	int (*ctx_resolvconf)(struct ub_ctx *ctx, const char *fname);
	int (*ctx_add_ta_file)(struct ub_ctx *ctx, const char *fname);
	int (*resolve_async)(struct ub_ctx *ctx, const char *name, int rrtype, int rrclass,
			     void *mydata, ub_callback_type callback, int *async_id);
	int (*fd)(struct ub_ctx *ctx);
	int (*process)(struct ub_ctx *ctx);
	int (*cancel)(struct ub_ctx *ctx, int async_id);
	void (*resolve_free)(struct ub_result *result);
	const char *(*strerror)(int err);
} ub;
static pthread_once_t ub_once = PTHREAD_ONCE_INIT;
static char ub_error[256]; /* why libunbound is not usable, or "" */

static void ub_load(void)
{
	static const char *const sonames[] = {"libunbound.so.8", NULL};
	const struct mc_dl_sym syms[] = {
	    {"ub_ctx_create", (void **)&ub.ctx_create},
	    {"ub_ctx_delete", (void **)&ub.ctx_delete},
	    {"ub_ctx_async", (void **)&ub.ctx_async},
	    {"ub_ctx_set_fwd", (void **)&ub.ctx_set_fwd},
	    {"ub_ctx_set_option", (void **)&ub.ctx_set_option},
	    {"ub_ctx_resolvconf", (void **)&ub.ctx_resolvconf},
	    {"ub_ctx_add_ta_file", (void **)&ub.ctx_add_ta_file},
	    {"ub_resolve_async", (void **)&ub.resolve_async},
	    {"ub_fd", (void **)&ub.fd},
	    {"ub_process", (void **)&ub.process},
	    {"ub_cancel", (void **)&ub.cancel},
	    {"ub_resolve_free", (void **)&ub.resolve_free},
	    {"ub_strerror", (void **)&ub.strerror},
	};

	mc_dl_load(sonames, "libunbound8", syms, sizeof(syms) / sizeof(syms[0]), ub_error,
		   sizeof(ub_error));
}

struct mc_dns *mc_dns_new(const char *server, const char *anchor, char *err, size_t errlen)
{
	struct mc_dns *dns;
	char fwd[80];
	int rc;

	pthread_once(&ub_once, ub_load);
	if (ub_error[0]) {
		mc_set_error(err, errlen, "%s", ub_error);
		return NULL;
	}
	dns = calloc(1, sizeof(*dns));
	if (!dns || !(dns->ctx = ub.ctx_create())) {
		free(dns);
		mc_set_error(err, errlen, "out of memory");
		return NULL;
	}
	rc = ub.ctx_async(dns->ctx, 1);
	if (rc == 0 && server) {
		if (mc_dns_server_parse(server, fwd, sizeof(fwd)) < 0) {
			mc_set_error(
			    err, errlen,
			    "resolver \"%.64s\" is not an IP address with an optional port "
			    "(127.0.0.1, 127.0.0.1:5353, [::1]:53)",
			    server);
			goto fail;
		}
		rc = ub.ctx_set_fwd(dns->ctx, fwd);
		/* A resolver on loopback is the common case (a local Unbound). */
		if (rc == 0)
			rc = ub.ctx_set_option(dns->ctx, "do-not-query-localhost:", "no");
	} else if (rc == 0) {
		rc = ub.ctx_resolvconf(dns->ctx, NULL);
		if (rc == 0)
			rc = ub.ctx_set_option(dns->ctx, "do-not-query-localhost:", "no");
	}
	/* RFC 8145 key-tag queries tell the resolver's operator nothing useful here. */
	if (rc == 0)
		rc = ub.ctx_set_option(dns->ctx, "trust-anchor-signaling:", "no");
	if (rc != 0) {
		mc_set_error(err, errlen, "the DNS resolver could not be set up: %s",
			     ub.strerror(rc));
		goto fail;
	}
	if (!anchor && access(ROOT_ANCHOR, R_OK) != 0) {
		mc_set_error(err, errlen,
			     "no DNSSEC trust anchor: %s is missing; apt-get install "
			     "dns-root-data, or give one with --trust-anchor FILE",
			     ROOT_ANCHOR);
		goto fail;
	}
	rc = ub.ctx_add_ta_file(dns->ctx, anchor ? anchor : ROOT_ANCHOR);
	if (rc != 0) {
		mc_set_error(
		    err, errlen,
		    "the DNSSEC trust anchor %.200s could not be read: %s (it must hold DS "
		    "or DNSKEY records in zone-file form)",
		    anchor ? anchor : ROOT_ANCHOR, ub.strerror(rc));
		goto fail;
	}
	return dns;
fail:
	mc_dns_free(dns);
	return NULL;
}

void mc_dns_free(struct mc_dns *dns)
{
	if (!dns)
		return;
	while (dns->head)
		mc_dns_cancel(dns->head);
	ub.ctx_delete(dns->ctx);
	free(dns);
}

static void set_why(struct mc_dns_answer *out, const char *why)
{
	mc_quote(out->why, sizeof(out->why), why, strlen(why), 200);
}

/* Copies what @r says into @out. */
static int take(struct mc_dns_answer *out, const struct ub_result *r)
{
	if (r->bogus) {
		out->status = MC_DNS_BOGUS;
		set_why(out, r->why_bogus ? r->why_bogus : "validation failed");
		return 0;
	}
	/* NOERROR and NXDOMAIN answer the question; anything else does not. */
	if (r->rcode != 0 && r->rcode != 3) {
		out->status = MC_DNS_FAILED;
		snprintf(out->why, sizeof(out->why), "the resolver answered %s",
			 r->rcode == 2   ? "SERVFAIL"
			 : r->rcode == 5 ? "REFUSED"
					 : "with an error");
		return 0;
	}
	out->status = r->secure ? MC_DNS_SECURE : MC_DNS_INSECURE;
	out->nxdomain = r->nxdomain;
	for (size_t i = 0; r->havedata && r->data[i]; i++) {
		if (out->n == MC_DNS_MAX_RR) {
			out->dropped++;
			continue;
		}
		out->rr[out->n].data = malloc(r->len[i] ? (size_t)r->len[i] : 1);
		if (!out->rr[out->n].data)
			return MAILCERT_E_NOMEM;
		memcpy(out->rr[out->n].data, r->data[i], (size_t)r->len[i]);
		out->rr[out->n].len = (size_t)r->len[i];
		out->n++;
	}
	return 0;
}

static void on_result(void *arg, int err, struct ub_result *result)
{
	struct mc_dns_query *q = arg;

	q->answered = 1;
	q->asked = 0;
	q->err = err;
	q->result = result;
}

static void unlink_query(struct mc_dns_query *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		q->dns->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
}

struct mc_dns_query *mc_dns_start(struct mc_dns *dns, const char *name, int type,
				  int64_t deadline, mc_dns_done_fn done, void *user)
{
	struct mc_dns_query *q = calloc(1, sizeof(*q));
	int rc;

	if (!q)
		return NULL;
	*q = (struct mc_dns_query){
	    .dns = dns, .deadline = deadline, .done = done, .user = user, .next = dns->head};
	if (dns->head)
		dns->head->prev = q;
	dns->head = q;
	rc = ub.resolve_async(dns->ctx, name, type, 1, q, on_result, &q->id);
	if (rc == 0) {
		q->asked = 1;
	} else {
		/* Said in the next mc_dns_process(), never from inside this call. */
		mc_quote(q->why, sizeof(q->why), ub.strerror(rc), strlen(ub.strerror(rc)), 200);
		q->deadline = 0;
	}
	return q;
}

void mc_dns_cancel(struct mc_dns_query *q)
{
	if (!q)
		return;
	if (q->asked)
		ub.cancel(q->dns->ctx, q->id);
	if (q->result)
		ub.resolve_free(q->result);
	unlink_query(q);
	free(q);
}

int mc_dns_fd(const struct mc_dns *dns)
{
	return dns->head ? ub.fd(dns->ctx) : -1;
}

int mc_dns_timeout_ms(const struct mc_dns *dns)
{
	int64_t now = mc_now_ms(), soonest = -1;

	for (const struct mc_dns_query *q = dns->head; q; q = q->next) {
		int64_t left = q->answered ? 0 : q->deadline - now;

		if (left <= 0)
			return 0;
		if (soonest < 0 || left < soonest)
			soonest = left;
	}
	return soonest > INT_MAX ? INT_MAX : (int)soonest;
}

/* The query's answer, or why there is none, into @out. */
static int answer_of(struct mc_dns_query *q, struct mc_dns_answer *out)
{
	memset(out, 0, sizeof(*out));
	out->status = MC_DNS_FAILED;
	if (!q->answered) {
		set_why(out, q->why[0] ? q->why : "no answer from the resolver within the timeout");
		return 0;
	}
	if (q->err) {
		set_why(out, ub.strerror(q->err));
		return 0;
	}
	return take(out, q->result);
}

void mc_dns_process(struct mc_dns *dns, int readable)
{
	struct mc_dns_query *q;

	if (readable && dns->head && ub.process(dns->ctx) != 0)
		for (q = dns->head; q; q = q->next)
			if (q->asked)
				snprintf(q->why, sizeof(q->why), "the resolver thread failed");
	/* One at a time from the head: a callback may start or cancel queries. */
	for (;;) {
		int64_t now = mc_now_ms();
		struct mc_dns_answer a;

		for (q = dns->head; q; q = q->next)
			if (q->answered || now >= q->deadline || (q->asked && q->why[0]))
				break;
		if (!q)
			return;
		if (q->asked)
			ub.cancel(dns->ctx, q->id);
		q->asked = 0;
		unlink_query(q);
		if (answer_of(q, &a) < 0) {
			mc_dns_answer_clear(&a);
			snprintf(a.why, sizeof(a.why), "out of memory");
		}
		if (q->result)
			ub.resolve_free(q->result);
		q->done(q->user, &a);
		mc_dns_answer_clear(&a);
		free(q);
	}
}
