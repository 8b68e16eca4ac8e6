/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Between the engine (engine.c: the loop, the descriptors, the cap, the
 * callbacks) and what it runs: one probe's run (probe.c: resolve,
 * connect, dialogue, handshake, diagnosis), a check's stages and
 * evaluation (check.c), a mail domain's lookups (domain_lookup.c).
 * Nothing here waits: each says what it waits for.
 */
#ifndef MAILCERT_RUN_H
#define MAILCERT_RUN_H

#include <poll.h>
#include <stdint.h>

#include "engine/stages.h"
#include "io/resolve.h"
#include "model/internal.h"

#include <mailcert/check.h>

struct mc_run;

/* What a run waits for: @fd (-1: none) to be ready for @events, or the clock to reach @until. */
struct mc_wait {
	int fd;
	short events;
	int64_t until; /* monotonic ms */
};

/*
 * A run of @p (borrowed until the run is freed), resolving through
 * @resolver; its deadline starts with the first mc_run_advance(). NULL
 * with MAILCERT_E_NOMEM in *@err, or MAILCERT_E_INVALID for a probe that
 * has a run already.
 */
struct mc_run *mc_run_new(mailcert_probe *p, struct mc_resolver *resolver, int *err);

/*
 * Advances as far as it can without waiting: @revents is what polling the
 * descriptor of the last wait returned (0 when woken for another reason).
 * Returns 0 with what to wait for in @wait, or 1 when finished.
 */
int mc_run_advance(struct mc_run *r, short revents, struct mc_wait *wait);

/* Whether a lookup the run waits for has finished since (so advance it now). */
int mc_run_lookup_done(const struct mc_run *r);

/* After finishing: the observation (the caller's), or NULL when memory ran out. */
mailcert_observation *mc_run_take(struct mc_run *r);

/* Frees @r, closing its socket, and releases its probe; NULL is a no-op. */
void mc_run_free(struct mc_run *r);

/* The probe's target host and port, and its timeout (ms): what a check's stages need. */
const char *mc_probe_host(const mailcert_probe *p);
unsigned mc_probe_port(const mailcert_probe *p);
unsigned mc_probe_timeout_ms(const mailcert_probe *p);

/* ---- a check's life in an engine (check.c) ------------------------- */

/* The check's probe, borrowed. */
mailcert_probe *mc_check_probe(const mailcert_check *c);

/*
 * Whether @c is in an engine: set by mailcert_engine_add_check() with the
 * engine's handle for it (@job), cleared (NULL) when it leaves.
 */
void mc_check_attach(mailcert_check *c, mailcert_engine *e, void *job);
int mc_check_attached(const mailcert_check *c);

/* The check starts (its probe took a slot): its deadline runs, its TLSA lookup starts. */
int mc_check_begin(mailcert_check *c, struct mc_stages *st);

/* Its probe ended with @obs (taken): the stages that need the chain start. */
int mc_check_probed(mailcert_check *c, struct mc_stages *st, mailcert_observation *obs);

/* Whether it still waits for a stage (and until when, in *@until). */
int mc_check_waiting(const mailcert_check *c, int64_t now, int64_t *until);

/*
 * Ends the stages (what did not answer by the deadline is recorded so)
 * and evaluates: the report, or NULL when memory ran out.
 */
mailcert_report *mc_check_end(mailcert_check *c);

/* Abandons whatever the check holds or waits for, without a report. */
void mc_check_abandon(mailcert_check *c);

/* mailcert_check_cancel() for the engine that has @job (engine.c). */
void mc_engine_cancel(mailcert_engine *e, void *job);

/* ---- a mail domain's lookups (domain_lookup.c) ---------------------- */

struct mc_domain_job;

/*
 * The lookups of mail domain @name (see mailcert_domain_lookup()), not yet
 * started. NULL with *@rc MAILCERT_E_INVALID (not a domain name; the
 * reason in @err) or MAILCERT_E_NOMEM.
 */
struct mc_domain_job *mc_domain_job_new(const char *name, const mailcert_policy *policy,
					mailcert_family family, unsigned timeout_ms, char *err,
					size_t errlen, int *rc);

/*
 * Starts the lookups through @st. 0; MAILCERT_E_IO when no resolver can
 * be set up (the reason in @err); MAILCERT_E_NOMEM.
 */
int mc_domain_job_begin(struct mc_domain_job *j, struct mc_stages *st, char *err, size_t errlen);

/* Whether it still waits for a lookup or the policy (and until when, in *@until). */
int mc_domain_job_waiting(const struct mc_domain_job *j, int64_t now, int64_t *until);

/* Frees @j and returns what it found, the caller's (NULL when memory ran out). */
mailcert_domain *mc_domain_job_end(struct mc_domain_job *j);

/* Frees @j, abandoning its lookups; NULL is a no-op. */
void mc_domain_job_free(struct mc_domain_job *j);

/* Test hooks (tests/unit/test-engine.c): probes running now, and the most that ever ran at once. */
size_t mc_engine_running(const mailcert_engine *e);
size_t mc_engine_peak(const mailcert_engine *e);

#endif
