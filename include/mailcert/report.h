/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Evaluation: (observation, policy, now) → report. A report holds the
 * overall state and the findings; it keeps what it needs of the
 * observation, so either may be freed first.
 */
#ifndef MAILCERT_REPORT_H
#define MAILCERT_REPORT_H

#include <stddef.h>
#include <time.h>
#include <mailcert/common.h>
#include <mailcert/observation.h>
#include <mailcert/policy.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mailcert_report mailcert_report;

/*
 * Evaluates @obs against @policy as of @now. Pure: no I/O, no clock.
 * On success *@out is a new report, the caller's to free with
 * mailcert_report_free(). Errors: MAILCERT_E_NOMEM, MAILCERT_E_INVALID.
 */
MAILCERT_EXPORT int mailcert_evaluate(mailcert_report **out, const mailcert_observation *obs,
				      const mailcert_policy *policy, time_t now);

/* Frees @report; NULL is a no-op. */
MAILCERT_EXPORT void mailcert_report_free(mailcert_report *report);

/* The worst severity of the findings; MAILCERT_OK when there are none. */
MAILCERT_EXPORT mailcert_state mailcert_report_state(const mailcert_report *report);

/* The observation evaluated; borrowed, lives as long as @report. */
MAILCERT_EXPORT const mailcert_observation *mailcert_report_observation(const mailcert_report *report);

/* The time the report was evaluated at. */
MAILCERT_EXPORT time_t mailcert_report_now(const mailcert_report *report);

typedef struct mailcert_finding mailcert_finding;

MAILCERT_EXPORT size_t mailcert_report_finding_count(const mailcert_report *report);

/* Finding @index (in order of evaluation), or NULL; lives as long as @report. */
MAILCERT_EXPORT const mailcert_finding *mailcert_report_finding(const mailcert_report *report,
								size_t index);

/* The stable dotted code, e.g. "cert.expiring"; lives as long as the report. */
MAILCERT_EXPORT const char *mailcert_finding_code(const mailcert_finding *finding);
MAILCERT_EXPORT mailcert_state mailcert_finding_severity(const mailcert_finding *finding);
/* One line for people; untrusted text in it is already escaped. */
MAILCERT_EXPORT const char *mailcert_finding_message(const mailcert_finding *finding);
/* The chain element concerned (0 = leaf), or -1 when none. */
MAILCERT_EXPORT int mailcert_finding_cert(const mailcert_finding *finding);

/*
 * Per-certificate facts, in the order sent, for renderers. Strings live as
 * long as @report. Returns NULL for an index out of range.
 */
typedef struct mailcert_cert_info {
	const char *subject;     /* RFC 4514 DN */
	const char *issuer;
	const char *serial;      /* lowercase hex, no separators */
	const char *sha256;      /* lowercase hex of the DER */
	const char *key;         /* "RSA-2048", "EC-P256", "Ed25519" */
	const char *signature;   /* "RSA-SHA256", "ECDSA-SHA384", … */
	const char *const *san;  /* DNS and IP SANs, NULL terminated */
	time_t not_before;
	time_t not_after;
	long long remaining_s;   /* not_after - now; negative when expired */
	long long warning_s;     /* the thresholds resolved for this certificate */
	long long critical_s;
} mailcert_cert_info;

MAILCERT_EXPORT size_t mailcert_report_cert_count(const mailcert_report *report);
MAILCERT_EXPORT const mailcert_cert_info *mailcert_report_cert(const mailcert_report *report,
							       size_t index);

/* The window in which the leaf's CA suggests renewing it (ACME Renewal Information, RFC 9773). */
typedef struct mailcert_ari_window {
	time_t start, end;
	const char *explanation_url; /* the CA's page on why, or "" */
	time_t fetched_at;           /* when the CA gave it (a cached answer's time) */
} mailcert_ari_window;

/*
 * The leaf's renewal window when the check asked for it
 * (mailcert_policy_set_ari()) and the CA answered; NULL otherwise. Lives
 * as long as @report. Since: 0.2.
 */
MAILCERT_EXPORT const mailcert_ari_window *mailcert_report_ari(const mailcert_report *report);

/* One Signed Certificate Timestamp the server presented for its leaf. */
typedef struct mailcert_sct {
	const char *log_id;         /* base64, as log lists write it */
	const char *log_name;       /* the log's description in the log list, or NULL */
	long long timestamp_ms;     /* when the log saw the certificate, ms since the epoch */
	const char *source;         /* "embedded" (the certificate), "tls" (the TLS
				       extension) or "ocsp" (the stapled response) */
	int valid;                  /* 1 its signature verifies, 0 it does not (or it is
				       dated after the evaluation's now), -1 not verified:
				       no log list, or a log the list does not name */
} mailcert_sct;

/*
 * The SCTs of the leaf, from the certificate, the TLS handshake and stapled
 * OCSP responses, at most 16; each lives as long as @report. Since: 0.2.
 */
MAILCERT_EXPORT size_t mailcert_report_sct_count(const mailcert_report *report);
MAILCERT_EXPORT const mailcert_sct *mailcert_report_sct(const mailcert_report *report,
							size_t index);

/* The name that matched the leaf, or NULL when none did or none was checked. */
MAILCERT_EXPORT const char *mailcert_report_matched_name(const mailcert_report *report);

#ifdef __cplusplus
}
#endif

#endif
