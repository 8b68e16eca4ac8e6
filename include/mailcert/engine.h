/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine: many jobs at once in one thread. A job is a probe — resolve,
 * connect, the plaintext dialogue, the TLS handshake, as
 * mailcert_probe_run() takes them — a check (include/mailcert/check.h: a
 * probe, the stages that gather evidence beside and after it, and the
 * evaluation), or a mail domain's lookups (mailcert_engine_add_domain(),
 * include/mailcert/domain.h). Nothing blocks: name resolution through
 * c-ares, non-blocking connects and handshakes, the sans-I/O dialogues,
 * DNSSEC lookups through libunbound and HTTP fetches through libcurl, all
 * waited for in one loop; a deadline per job (its probe's timeout) and a
 * cap on how many probe at once. Results are delivered as they complete.
 *
 * Two ways to drive it:
 *  - mailcert_engine_run(): the engine's own poll() loop, until every
 *    job added has completed;
 *  - the caller's event loop, as with c-ares or curl's multi interface:
 *    mailcert_engine_fds() says which file descriptors to watch for what,
 *    mailcert_engine_timeout_ms() how long at most to wait, and
 *    mailcert_engine_process() is told what became ready (or that the
 *    timeout passed) and advances every job it can.
 *
 * An engine is not thread-safe: use it from one thread. Callbacks run
 * inside mailcert_engine_run() or mailcert_engine_process(); they may add
 * and cancel jobs, but not free the engine.
 */
#ifndef MAILCERT_ENGINE_H
#define MAILCERT_ENGINE_H

#include <poll.h>
#include <stddef.h>

#include <mailcert/common.h>
#include <mailcert/observation.h>
#include <mailcert/probe.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mailcert_engine mailcert_engine;

/*
 * Called once per probe when it completes. @obs is the caller's to free
 * with mailcert_observation_free(), or NULL when memory ran out during the
 * probe; @probe is still the caller's (the engine only borrowed it: free
 * it here, add it again, or keep it, never free it while it runs).
 * @user is what was passed to mailcert_engine_add().
 */
typedef void (*mailcert_engine_done_fn)(mailcert_probe *probe, mailcert_observation *obs,
					void *user);

/*
 * Creates an engine running at most @max_concurrent probes at once (0:
 * a default of 64), a check's counting only while it probes; further
 * probes and checks wait, in the order added, and their timeout starts
 * when they start. Free with mailcert_engine_free().
 */
MAILCERT_EXPORT int mailcert_engine_new(mailcert_engine **out, unsigned max_concurrent);

/*
 * Frees @engine; NULL is a no-op. Jobs still running or waiting are
 * abandoned without their callback (their sockets closed, their lookups
 * and fetches cancelled); the caller still owns the probes and checks.
 */
MAILCERT_EXPORT void mailcert_engine_free(mailcert_engine *engine);

/*
 * Adds @probe, configured with the mailcert_probe_set_*() setters, which
 * must not be called again until @done ran for it. @done is required.
 * The probe starts in a later mailcert_engine_process() (or _run()),
 * never inside this call, so @done never runs from here. Its timeout
 * covers name resolution, connecting, the dialogue and the handshake.
 * MAILCERT_E_INVALID for a probe already added whose @done has not run
 * (in this or another engine); MAILCERT_E_NOMEM.
 */
MAILCERT_EXPORT int mailcert_engine_add(mailcert_engine *engine, mailcert_probe *probe,
					mailcert_engine_done_fn done, void *user);

/* Jobs added whose callback has not run yet (waiting, probing, in a stage). */
MAILCERT_EXPORT size_t mailcert_engine_pending(const mailcert_engine *engine);

/*
 * Runs its own poll() loop until mailcert_engine_pending() is 0. Returns 0,
 * or MAILCERT_E_NOMEM / MAILCERT_E_IO (poll failed) with the remaining
 * probes still pending.
 */
MAILCERT_EXPORT int mailcert_engine_run(mailcert_engine *engine);

/*
 * For the caller's loop: writes up to @max entries (fd and events; revents
 * zeroed) of the descriptors to watch into @fds and returns how many
 * there are in all (which may exceed @max: call again with more room).
 * The set changes after every mailcert_engine_process().
 */
MAILCERT_EXPORT size_t mailcert_engine_fds(mailcert_engine *engine, struct pollfd *fds, size_t max);

/*
 * Milliseconds until the earliest deadline or pending internal timer, 0
 * when there is work to do at once, -1 when nothing is pending.
 */
MAILCERT_EXPORT int mailcert_engine_timeout_ms(const mailcert_engine *engine);

/*
 * Advances every job that can advance: @fds as returned by
 * mailcert_engine_fds() with revents filled in by the caller's poll (or
 * epoll translated), @n entries; @n may be 0 after a timeout. Expired
 * deadlines are handled, completed probes' callbacks run, and waiting
 * jobs start as room frees up. Returns 0, or MAILCERT_E_INVALID for a
 * NULL @engine (or NULL @fds with @n > 0).
 */
MAILCERT_EXPORT int mailcert_engine_process(mailcert_engine *engine, const struct pollfd *fds,
					    size_t n);

#ifdef __cplusplus
}
#endif

#endif
