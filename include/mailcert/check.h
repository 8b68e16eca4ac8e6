/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Checks: one job from a target to its report. A check is a probe
 * (resolve, connect, the plaintext dialogue, the TLS handshake), the
 * stages that gather evidence beside and after the handshake — the TLSA
 * lookup of mailcert_policy_set_dane() through libunbound, the CRL fetches
 * of mailcert_policy_set_crl_fetch() through libcurl — and the evaluation
 * of what they found against a policy.
 *
 * The stages wait in the engine's loop like the probes: their descriptors
 * are among those mailcert_engine_fds() lists, so a resolver or a CRL
 * server that does not answer delays only the checks that wait for it.
 * One deadline, the probe's timeout (mailcert_probe_set_timeout_ms()),
 * covers every stage of a check; a stage still waiting then is recorded as
 * unanswered (dane.lookup-failed, crl.unavailable), never as the server's
 * timeout. A check's probe counts against the engine's cap on concurrent
 * probes only while it connects and handshakes.
 *
 *   mailcert_check_new(&check, probe, policy);
 *   mailcert_engine_add_check(engine, check, done, user);  // many at once
 *   mailcert_check_run(check, &report);                     // or one, blocking
 */
#ifndef MAILCERT_CHECK_H
#define MAILCERT_CHECK_H

#include <time.h>

#include <mailcert/common.h>
#include <mailcert/engine.h>
#include <mailcert/policy.h>
#include <mailcert/probe.h>
#include <mailcert/report.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mailcert_check mailcert_check;

/*
 * A check of @probe against @policy. Both are borrowed: they must outlive
 * the check, and @probe is not to be run or changed by anyone else while
 * the check runs (a policy may be shared by any number of checks). Free
 * with mailcert_check_free(). MAILCERT_E_INVALID for NULL arguments;
 * MAILCERT_E_NOMEM.
 * Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_check_new(mailcert_check **out, mailcert_probe *probe,
				       const mailcert_policy *policy);

/* Frees @check, cancelling it first if it is in an engine; NULL is a no-op. Since: 0.2. */
MAILCERT_EXPORT void mailcert_check_free(mailcert_check *check);

/*
 * Judges the check as of @now (mailcert_evaluate()'s @now, as --at does)
 * instead of the time its evaluation runs (the default, or @now = 0).
 * MAILCERT_E_STATE while the check runs. Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_check_set_now(mailcert_check *check, time_t now);

/*
 * Called once when a check completes: @report is the caller's, to free
 * with mailcert_report_free(), or NULL when memory ran out. @check is the
 * caller's again: free it, add it again, or keep it.
 */
typedef void (*mailcert_check_done_fn)(mailcert_check *check, mailcert_report *report,
				       void *user);

/*
 * Adds @check to @engine, as mailcert_engine_add() adds a probe: it
 * starts in a later mailcert_engine_process() (never inside this call),
 * waiting for a slot under the engine's cap, and @done runs once it is
 * evaluated. MAILCERT_E_INVALID for a check (or its probe) already
 * running; MAILCERT_E_NOMEM.
 * Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_engine_add_check(mailcert_engine *engine, mailcert_check *check,
					      mailcert_check_done_fn done, void *user);

/*
 * Stops @check wherever it is (waiting, probing, in a stage): its sockets,
 * lookups and fetches are abandoned and its callback will not run. It may
 * be called from inside another check's callback. MAILCERT_E_STATE when
 * @check is not in an engine. Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_check_cancel(mailcert_check *check);

/*
 * Runs @check to completion, blocking for at most its probe's timeout: a
 * one-check engine. On success (0) *@out is its report, the caller's.
 * MAILCERT_E_NOMEM, MAILCERT_E_INVALID.
 * Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_check_run(mailcert_check *check, mailcert_report **out);

/*
 * Checks and probes added to @engine whose probe has not finished: those
 * waiting for a slot and those connecting, in the dialogue or in the
 * handshake (a check in its later stages no longer counts). A caller that
 * paces what it adds (mailcert scan) keeps this at its concurrency.
 * Since: 0.2.
 */
MAILCERT_EXPORT size_t mailcert_engine_probing(const mailcert_engine *engine);

#ifdef __cplusplus
}
#endif

#endif
