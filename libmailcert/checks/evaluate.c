/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The evaluator: (observation, evidence, policy, now) → report. It parses the chain
 * as sent, has describe.c record the facts of each certificate, and runs
 * the check families in order. Pure: no I/O, no clock; every time
 * judgement uses @now, so tests and --at are deterministic.
 */
#include <string.h>

#include "model/internal.h"

static void free_chain(gnutls_x509_crt_t *crts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (crts[i])
			gnutls_x509_crt_deinit(crts[i]);
}

/*
 * Parses every certificate sent. One that does not parse is a finding,
 * not an error: the server's bytes are the server's problem.
 */
static int parse_chain(struct mc_eval *ev, int *malformed)
{
	const mailcert_observation *obs = ev->obs;
	int rc;

	*malformed = 0;
	for (size_t i = 0; i < ev->n; i++) {
		if (gnutls_x509_crt_init(&ev->crts[i]) < 0)
			return MAILCERT_E_NOMEM;
		rc = gnutls_x509_crt_import(ev->crts[i], &obs->chain[i], GNUTLS_X509_FMT_DER);
		if (rc >= 0)
			continue;
		*malformed = 1;
		rc = mc_report_add(ev->report, "cert.malformed", MAILCERT_CRITICAL, (int)i,
				   "%s (%zu of %zu sent) is not a valid X.509 certificate: %s; "
				   "fix the certificate file the server uses",
				   i == 0 ? "the leaf certificate" : "a chain certificate", i + 1,
				   ev->n, gnutls_strerror(rc));
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The check families, in the order their findings are listed. */
static int (*const checks[])(struct mc_eval *) = {
    mc_check_validity,
    mc_check_trust,
    mc_check_max_validity, /* after trust: the calendar is for publicly trusted chains */
    mc_check_chain,
    mc_check_names,
    mc_check_deploy,
    mc_check_expect,
    mc_check_crypto,
    mc_check_revocation,
    mc_check_ct,
    mc_check_ari,
    mc_check_dane, /* last: a DANE match lowers PKIX findings made before it */
};

static int evaluate_chain(struct mc_eval *ev)
{
	gnutls_x509_crt_t crts[MC_MAX_CHAIN] = {NULL};
	int malformed, rc;

	if (ev->obs->chain_len == 0)
		return mc_report_add(
		    ev->report, "tls.handshake", MAILCERT_CRITICAL, -1,
		    "the server completed the handshake without sending a certificate");
	ev->crts = crts;
	ev->n = ev->obs->chain_len;
	rc = parse_chain(ev, &malformed);
	if (rc == 0 && !malformed)
		rc = mc_report_describe_chain(ev->report, crts, ev->n, ev->policy);
	for (size_t i = 0; rc == 0 && !malformed && i < sizeof(checks) / sizeof(checks[0]); i++)
		rc = checks[i](ev);
	free_chain(crts, ev->n);
	return rc;
}

int mc_evaluate_evidence(mailcert_report **out, const mailcert_observation *obs,
			 const struct mc_evidence *evidence, const mailcert_policy *policy,
			 time_t now)
{
	static const struct mc_evidence none;
	struct mc_eval ev = {
	    .obs = obs, .evidence = evidence ? evidence : &none, .policy = policy, .now = now};
	int rc;

	if (!out)
		return MAILCERT_E_INVALID;
	*out = NULL;
	if (!obs || !policy)
		return MAILCERT_E_INVALID;
	ev.report = mc_report_new(obs, now);
	if (!ev.report)
		return MAILCERT_E_NOMEM;
	/* A key type the server does not have (probe.c) is a fact, not a fault. */
	if (obs->failure_code && strcmp(obs->failure_code, "tls.key-type-absent") == 0)
		rc = mc_report_add(ev.report, obs->failure_code, MAILCERT_OK, -1, "%s",
				   obs->failure_msg);
	/* Failures before a certificate arrived are findings like any other. */
	else if (obs->failure_code)
		rc = mc_report_add(ev.report, obs->failure_code, MAILCERT_CRITICAL, -1, "%s",
				   obs->failure_msg);
	else
		rc = evaluate_chain(&ev);
	if (rc < 0) {
		mailcert_report_free(ev.report);
		return rc;
	}
	/* Last, so an override reaches every finding, network ones included. */
	mc_severity_apply(ev.report, policy);
	*out = ev.report;
	return 0;
}

MAILCERT_EXPORT int mailcert_evaluate(mailcert_report **out, const mailcert_observation *obs,
				      const mailcert_policy *policy, time_t now)
{
	/* What the deprecated mailcert_policy_fetch_*() gathered, if any. */
	return mc_evaluate_evidence(out, obs, obs ? obs->legacy : NULL, policy, now);
}
