/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DNS with DNSSEC validation, for DANE and the mail-domain checks: a thin
 * asynchronous layer over libunbound (dns.c), driven by the engine's loop
 * like c-ares is for connections. The answers and the parsers of their
 * record data are model/dnsrr.h's. Not installed.
 */
#ifndef MAILCERT_DNS_H
#define MAILCERT_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "model/dnsrr.h"

struct mc_dns;
struct mc_dns_query;

/*
 * A resolver context. @server is "ADDR", "ADDR:PORT" or "[ADDR6]:PORT", a
 * resolver to send queries to (it must pass DNSSEC records through), or
 * NULL for those of /etc/resolv.conf. @anchor is a file of DS or DNSKEY
 * records (unbound's trust-anchor-file format), or NULL for the root key
 * of the dns-root-data package. NULL with a reason in @err. Free with
 * mc_dns_free(), which cancels what is still pending without callbacks.
 */
struct mc_dns *mc_dns_new(const char *server, const char *anchor, char *err, size_t errlen);
void mc_dns_free(struct mc_dns *dns);

/*
 * Called once per query from mc_dns_process(): the answer, or its absence
 * (status MC_DNS_FAILED, with why: no answer by the deadline, SERVFAIL,
 * …). @answer and its records are freed when @done returns: copy what is
 * kept. @done may start and cancel queries.
 */
typedef void (*mc_dns_done_fn)(void *user, struct mc_dns_answer *answer);

/*
 * Starts looking up @name/@type, validating, to be answered by @deadline
 * (mc_now_ms() clock). @done never runs from inside this call, even for a
 * query that fails at once. NULL when out of memory.
 */
struct mc_dns_query *mc_dns_start(struct mc_dns *dns, const char *name, int type,
				  int64_t deadline, mc_dns_done_fn done, void *user);

/* Abandons @q: its callback will not run. NULL is a no-op. */
void mc_dns_cancel(struct mc_dns_query *q);

/* The descriptor to poll for reading while queries are pending, else -1. */
int mc_dns_fd(const struct mc_dns *dns);

/* Milliseconds until a deadline passes or an answer waits: 0 for at once, -1 for none. */
int mc_dns_timeout_ms(const struct mc_dns *dns);

/*
 * Reads libunbound's answers when its descriptor was @readable, and ends
 * the queries that are answered or past their deadline, each through its
 * callback.
 */
void mc_dns_process(struct mc_dns *dns, int readable);

#endif
