/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Validating DNS lookups through libunbound. libunbound validates itself
 * with the trust anchor it is given, so a forwarding resolver only has to
 * pass DNSSEC records through; its own validation is not trusted (an AD
 * bit on the wire proves nothing to us).
 *
 * Queries are asynchronous (a libunbound thread, never a forked process,
 * which a library must not do behind its caller's back) and waited for
 * with poll() until the caller's deadline, so a silent resolver costs at
 * most the check's timeout.
 *
 * libunbound (with libevent) is loaded on first use, like libcurl (dl.h):
 * most checks never look up DNSSEC, and linking it cost every process
 * about 0.2 ms of CPU to start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <unbound.h>

#include "io/dl.h"
#include "io/dns.h"
#include "model/internal.h"
#include "io/net.h"

/* The root key as the dns-root-data package installs it. */
#define ROOT_ANCHOR "/usr/share/dns/root.key"

struct mc_dns {
	struct ub_ctx *ctx;
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

int mc_dns_server_parse(const char *server, char *out, size_t outlen)
{
	char host[64];
	const char *port = NULL, *end;
	unsigned char buf[16];
	size_t hlen;
	char *stop;
	long p = 53;

	if (server[0] == '[') {
		end = strchr(server, ']');
		if (!end || (end[1] != '\0' && end[1] != ':'))
			return -1;
		hlen = (size_t)(end - server - 1);
		server++;
		if (end[1] == ':')
			port = end + 2;
	} else {
		end = strchr(server, ':');
		/* Two colons or more: an IPv6 address without a port. */
		if (end && strchr(end + 1, ':'))
			end = NULL;
		hlen = end ? (size_t)(end - server) : strlen(server);
		if (end)
			port = end + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, server, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, buf) != 1 && inet_pton(AF_INET6, host, buf) != 1)
		return -1;
	if (port) {
		errno = 0;
		p = strtol(port, &stop, 10);
		if (*port < '0' || *port > '9' || *stop || errno || p < 1 || p > 65535)
			return -1;
	}
	return snprintf(out, outlen, "%s@%ld", host, p) < (int)outlen ? 0 : -1;
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
	ub.ctx_delete(dns->ctx);
	free(dns);
}

void mc_dns_answer_clear(struct mc_dns_answer *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->rr[i].data);
	memset(a, 0, sizeof(*a));
}

struct pending {
	int done, err;
	struct ub_result *result;
};

static void on_result(void *arg, int err, struct ub_result *result)
{
	struct pending *p = arg;

	p->done = 1;
	p->err = err;
	p->result = result;
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

int mc_dns_query(struct mc_dns *dns, const char *name, int type, long long deadline_ms,
		 struct mc_dns_answer *out)
{
	struct pending p = {0};
	int id = 0, rc;

	memset(out, 0, sizeof(*out));
	out->status = MC_DNS_FAILED;
	rc = ub.resolve_async(dns->ctx, name, type, 1, &p, on_result, &id);
	if (rc != 0) {
		set_why(out, ub.strerror(rc));
		return 0;
	}
	while (!p.done) {
		long long left = deadline_ms - mc_now_ms();
		struct pollfd pfd = {.fd = ub.fd(dns->ctx), .events = POLLIN};

		if (left <= 0) {
			ub.cancel(dns->ctx, id);
			set_why(out, "no answer from the resolver within the timeout");
			return 0;
		}
		if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR) {
			ub.cancel(dns->ctx, id);
			set_why(out, strerror(errno));
			return 0;
		}
		if (pfd.revents && ub.process(dns->ctx) != 0) {
			set_why(out, "the resolver thread failed");
			return 0;
		}
	}
	if (p.err) {
		set_why(out, ub.strerror(p.err));
		return 0;
	}
	rc = take(out, p.result);
	ub.resolve_free(p.result);
	if (rc < 0) {
		mc_dns_answer_clear(out);
		out->status = MC_DNS_FAILED;
	}
	return rc;
}
