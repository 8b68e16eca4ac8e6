/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the stages after a handshake wait for, shared by an engine's jobs:
 * DNSSEC lookups (one libunbound context per resolver and trust anchor,
 * io/dns.h) and HTTP transfers (one libcurl multi handle, io/http.h).
 * The engine polls their descriptors beside its probes' and lets them
 * process what is ready; their callbacks then advance the jobs
 * (check.c, domain_lookup.c). Each is made when first needed, so a check
 * without lookups loads neither library. Not installed.
 */
#ifndef MAILCERT_STAGES_H
#define MAILCERT_STAGES_H

#include <poll.h>
#include <stddef.h>

#include "io/dns.h"
#include "io/http.h"

struct mc_stages;

struct mc_stages *mc_stages_new(void);
/* Frees @st, abandoning its lookups and transfers without callbacks; NULL is a no-op. */
void mc_stages_free(struct mc_stages *st);

/*
 * The DNS context for @resolver and @anchor (NULL: the defaults, as
 * mc_dns_new() takes them), made on first use and kept; lives as long as
 * @st. NULL with the reason in @err when it cannot be set up (said again
 * at every call, without trying again).
 */
struct mc_dns *mc_stages_dns(struct mc_stages *st, const char *resolver, const char *anchor,
			     char *err, size_t errlen);

/* The HTTP multi handle, made on first use; NULL with the reason in @err. */
struct mc_http *mc_stages_http(struct mc_stages *st, char *err, size_t errlen);

/*
 * A GET shared by every job that asks for the same URL while it runs (the
 * CRL of one CA, wanted by a whole scan): one transfer, many waiters.
 * Called once per waiter: @why NULL and the response (borrowed for the
 * call), or why not, as mc_http_done_fn says. A waiter's callback must
 * not cancel another waiter.
 */
struct mc_get;
typedef void (*mc_get_done_fn)(void *user, const char *why,
			       const struct mc_http_response *resp);

/*
 * Waits for a GET of @req (no resolve override; the first waiter's
 * timeout bounds the transfer), starting it unless one for the same URL
 * and bounds runs. @done never runs from inside this call. NULL with the
 * reason in @err.
 */
struct mc_get *mc_stages_get(struct mc_stages *st, const struct mc_http_request *req,
			     mc_get_done_fn done, void *user, char *err, size_t errlen);

/* Stops waiting: @done will not run; the transfer ends with its last waiter. NULL is a no-op. */
void mc_get_cancel(struct mc_get *g);

/*
 * The ACME store @was (a policy's) as it is on disk now: read again when
 * the engine's copy is a minute old, else that copy. A new reference, or
 * NULL with the reason in @why when it cannot be read now.
 */
struct mailcert_acme_store *mc_stages_acme(struct mc_stages *st,
					   const struct mailcert_acme_store *was, char *why,
					   size_t whylen);

/* Every descriptor to watch, as mailcert_engine_fds(): written up to @max, counted in all. */
size_t mc_stages_fds(const struct mc_stages *st, struct pollfd *fds, size_t max);

/* Milliseconds until a stage needs mc_stages_process(): 0 for at once, -1 for none. */
int mc_stages_timeout_ms(const struct mc_stages *st);

/* Lets every DNS context and the HTTP transfers act on what @fds say is ready, and on time. */
void mc_stages_process(struct mc_stages *st, const struct pollfd *fds, size_t n);

#endif
