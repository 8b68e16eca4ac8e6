/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mail domains: will other mail servers deliver to this domain securely?
 * The MX hosts (each then checked like any SMTP server, with DANE), the
 * MTA-STS policy (RFC 8461) and the TLS-RPT record (RFC 8460).
 *
 * Looking up (I/O) and judging (pure) are separate, as for servers. In an
 * engine, with everything else at once:
 *
 *   mailcert_engine_add_domain(engine, "example.com", policy, MAILCERT_FAMILY_ANY,
 *                              10000, looked_up, user, err, sizeof(err));
 *   looked_up(d): for each i < mailcert_domain_mx_count(d), a check
 *       (include/mailcert/check.h) of smtp://HOST:25 at
 *       mailcert_domain_mx_address(d, i) → mx_reports[i]
 *   when they are done: mailcert_domain_evaluate(&report, d, mx_reports, policy, now);
 *
 * or blocking, mailcert_domain_lookup() in place of the first two steps.
 */
#ifndef MAILCERT_DOMAIN_H
#define MAILCERT_DOMAIN_H

#include <stddef.h>
#include <time.h>
#include <mailcert/common.h>
#include <mailcert/engine.h>
#include <mailcert/policy.h>
#include <mailcert/probe.h>
#include <mailcert/report.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mailcert_domain mailcert_domain;

/*
 * Looks up mail domain @domain within @timeout_ms, through the resolver
 * and trust anchor of @policy (mailcert_policy_set_resolver(),
 * mailcert_policy_set_trust_anchor()), validating with DNSSEC: the MX
 * hosts by preference (at most 8; the domain itself when it has no MX,
 * none for a null MX), the addresses of each (A and AAAA; only the one of
 * @family when it is not MAILCERT_FAMILY_ANY), the _mta-sts TXT record and,
 * when there is one, the policy at
 * https://mta-sts.DOMAIN/.well-known/mta-sts.txt (libcurl, trusting the
 * policy's --ca-file/--ca-dir or the system store, no redirects, at most
 * 64 KiB), and the _smtp._tls TXT record, blocking until they are done
 * (a one-job engine: mailcert_engine_add_domain()). What went wrong is
 * recorded for mailcert_domain_evaluate(), not returned. On success
 * *@out is the caller's, to free with mailcert_domain_free().
 * MAILCERT_E_INVALID when @domain is not a domain name, MAILCERT_E_IO
 * when no resolver can be set up (no trust anchor), each with the reason
 * in @err; MAILCERT_E_NOMEM.
 */
MAILCERT_EXPORT int mailcert_domain_lookup(mailcert_domain **out, const char *domain,
					   const mailcert_policy *policy, mailcert_family family,
					   unsigned timeout_ms, char *err, unsigned errlen);

/*
 * Called once when the lookups of mailcert_engine_add_domain() are done:
 * @domain is the caller's, to free with mailcert_domain_free(), or NULL
 * when memory ran out.
 */
typedef void (*mailcert_domain_done_fn)(mailcert_domain *domain, void *user);

/*
 * mailcert_domain_lookup() as a job of @engine: the lookups start now,
 * all at once where one does not need another's answer, and wait in the
 * engine's loop beside its probes and checks; @done runs from a later
 * mailcert_engine_process() (never from inside this call) when they are
 * done or @timeout_ms has passed. Errors as mailcert_domain_lookup()'s,
 * with nothing added. Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_engine_add_domain(mailcert_engine *engine, const char *domain,
					       const mailcert_policy *policy,
					       mailcert_family family, unsigned timeout_ms,
					       mailcert_domain_done_fn done, void *user, char *err,
					       unsigned errlen);

/* Frees @domain; NULL is a no-op. */
MAILCERT_EXPORT void mailcert_domain_free(mailcert_domain *domain);

/* The domain name as looked up (lowercase, no final dot); lives as long as @domain. */
MAILCERT_EXPORT const char *mailcert_domain_name(const mailcert_domain *domain);

/*
 * Number of MX entries to check, by preference: one for each address of
 * each MX host (its A records, then its AAAA records, the first two of
 * each, sorted), or one for a host without an address. A host's entries
 * are adjacent.
 */
MAILCERT_EXPORT size_t mailcert_domain_mx_count(const mailcert_domain *domain);

/* The MX host of entry @index ("mx1.example.com"), or NULL out of range; lives as long as @domain.
 */
MAILCERT_EXPORT const char *mailcert_domain_mx_host(const mailcert_domain *domain, size_t index);

/*
 * The address of entry @index as DNS gave it ("192.0.2.1", "2001:db8::1"),
 * to connect to; NULL when its host has none (the evaluation says so).
 */
MAILCERT_EXPORT const char *mailcert_domain_mx_address(const mailcert_domain *domain, size_t index);

/*
 * Judges @domain as of @now: a report whose findings are mx.* (one
 * mx.summary per MX entry, with the state of its report in
 * @mx_reports[i], NULL when not probed), mta-sts.* and tls-rpt.*. Pure.
 * On success *@out is the caller's, to free with mailcert_report_free().
 */
MAILCERT_EXPORT int mailcert_domain_evaluate(mailcert_report **out, const mailcert_domain *domain,
					     const mailcert_report *const *mx_reports,
					     const mailcert_policy *policy, time_t now);

/* The domain a report of mailcert_domain_evaluate() is about, else NULL; lives as long as @obs. */
MAILCERT_EXPORT const char *mailcert_observation_domain(const mailcert_observation *obs);

#ifdef __cplusplus
}
#endif

#endif
