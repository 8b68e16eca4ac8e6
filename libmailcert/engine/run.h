/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Between the engine (engine.c: the loop, the descriptors, the cap, the
 * callbacks) and one probe's run (probe.c: resolve, connect, dialogue,
 * handshake, diagnosis). A run never waits: it says what it waits for.
 */
#ifndef MAILCERT_RUN_H
#define MAILCERT_RUN_H

#include <poll.h>
#include <stdint.h>

#include "model/internal.h"
#include "io/resolve.h"

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

/* Test hooks (tests/unit/test-engine.c): probes running now, and the most that ever ran at once. */
size_t mc_engine_running(const mailcert_engine *e);
size_t mc_engine_peak(const mailcert_engine *e);

#endif
