/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The judgement of a mail domain (mailcert_domain_evaluate): what its MX
 * lookup, MTA-STS policy and TLS-RPT record mean for senders, and one
 * summary per MX host carrying the state of that host's own report.
 * Pure: the lookups were made by domain.c.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "model/domain_data.h"
#include "model/internal.h"
#include "model/mtasts.h"

#define SHORT_MAX_AGE 86400 /* an MTA-STS max_age under a day protects little */
#define CODES_SHOWN 4       /* finding codes named in an MX summary */

static const char *const state_names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

/* Whether MX entry @i is another address of the host of entry @i - 1. */
static int same_host_as_previous(const mailcert_domain *d, size_t i)
{
	return i > 0 && strcmp(d->mx[i].host, d->mx[i - 1].host) == 0;
}

static int has_code(const mailcert_report *r, const char *code)
{
	for (size_t i = 0; r && i < r->findings_len; i++)
		if (strcmp(r->findings[i].code, code) == 0)
			return 1;
	return 0;
}

/*
 * "MX 10 mx1.example.com (192.0.2.1): CRITICAL: dane.mismatch,
 * cert.expiring", one for each address of a host.
 */
static int mx_summary(mailcert_report *out, const mailcert_domain *d, size_t i,
		      const mailcert_report *r)
{
	const struct mc_mx *m = &d->mx[i];
	char codes[256] = "", unchecked[800] = "";
	size_t shown = 0, more = 0;

	/* Our own network's limit, not the domain's fault: not checked. */
	if (!m->addr[0] && m->unroutable)
		return mc_report_add(out, "mx.summary", MAILCERT_UNKNOWN, -1,
				     "MX %u %s: not checked: %s; check from a machine that reaches "
				     "it",
				     m->pref, m->host, m->why);
	if (!m->addr[0])
		return mc_report_add(out, "mx.no-address", MAILCERT_CRITICAL, -1,
				     "MX %u %s has no address (%s), so no mail reaches it", m->pref,
				     m->host, m->why);
	if (!r)
		return mc_report_add(out, "mx.summary", MAILCERT_UNKNOWN, -1,
				     "MX %u %s (%s): not checked", m->pref, m->host, m->addr);
	for (size_t k = 0; k < r->findings_len; k++) {
		if (r->findings[k].severity == MAILCERT_OK)
			continue;
		if (shown == CODES_SHOWN) {
			more++;
			continue;
		}
		snprintf(codes + strlen(codes), sizeof(codes) - strlen(codes), "%s%s",
			 shown ? ", " : ": ", r->findings[k].code);
		shown++;
	}
	if (more)
		snprintf(codes + strlen(codes), sizeof(codes) - strlen(codes), " and %zu more",
			 more);
	if (m->more)
		snprintf(unchecked, sizeof(unchecked),
			 "; %zu more address%s of %s not checked (the first %d A and %d AAAA "
			 "are)",
			 m->more, m->more == 1 ? "" : "es", m->host, MC_MAX_ADDR, MC_MAX_ADDR);
	if (m->unroutable)
		snprintf(unchecked + strlen(unchecked), sizeof(unchecked) - strlen(unchecked),
			 "; %zu address%s of %s not checked: no route from this machine to %s",
			 m->unroutable, m->unroutable == 1 ? "" : "es", m->host,
			 m->unroutable_addr);
	return mc_report_add(out, "mx.summary", r->state, -1, "MX %u %s (%s): %s%s%s%s", m->pref,
			     m->host, m->addr, state_names[r->state], codes,
			     has_code(r, "dane.match") ? "; DANE authenticates it" : "", unchecked);
}

static int judge_mx(mailcert_report *out, const mailcert_domain *d,
		    const mailcert_report *const *mx_reports)
{
	int rc = 0, dane = 0;

	if (d->mx_status == MC_DNS_FAILED)
		return mc_report_add(out, "mx.lookup-failed", MAILCERT_CRITICAL, -1,
				     "the MX records of %s could not be looked up (%s); senders "
				     "defer mail while it lasts",
				     d->name, d->mx_why);
	/* Every domain bogus at once is the resolver's doing, not the zones'. */
	if (d->mx_status == MC_DNS_BOGUS)
		return mc_report_add(out, "mx.lookup-failed", MAILCERT_CRITICAL, -1,
				     "the MX records of %s fail DNSSEC validation (%s); senders "
				     "defer mail while it lasts. If other signed domains fail so "
				     "too, the resolver drops DNSSEC records: choose one with "
				     "--resolver",
				     d->name, d->mx_why);
	if (d->mx_nxdomain)
		return mc_report_add(out, "mx.lookup-failed", MAILCERT_CRITICAL, -1,
				     "%s does not exist in DNS", d->name);
	if (d->mx_null)
		rc =
		    mc_report_add(out, "mx.null", MAILCERT_OK, -1,
				  "%s publishes a null MX (RFC 7505): it accepts no mail", d->name);
	else if (d->mx_implicit)
		rc = mc_report_add(out, "mx.implicit", MAILCERT_OK, -1,
				   "%s has no MX records, so senders deliver to the domain's own "
				   "address (RFC 5321 §5.1)",
				   d->name);
	if (rc == 0 && d->mx_skipped)
		rc = mc_report_add(out, "mx.skipped", MAILCERT_WARNING, -1,
				   "%zu MX records of %s are not checked: malformed host names, or "
				   "beyond the first %d by preference",
				   d->mx_skipped, d->name, MC_MAX_MX);
	for (size_t i = 0; rc == 0 && i < d->mx_len; i++) {
		rc = mx_summary(out, d, i, mx_reports ? mx_reports[i] : NULL);
		/* Each host with an mx.summary (not mx.no-address) counts once. */
		if (!same_host_as_previous(d, i) && (d->mx[i].addr[0] || d->mx[i].unroutable))
			out->obs->domain_hosts++;
		dane |= mx_reports && (has_code(mx_reports[i], "dane.match") ||
				       has_code(mx_reports[i], "dane.mismatch"));
	}
	if (rc == 0 && dane && d->mx_status == MC_DNS_INSECURE)
		rc = mc_report_add(out, "dane.mx-insecure", MAILCERT_WARNING, -1,
				   "the MX records of %s are not DNSSEC-signed, so senders do not "
				   "use the TLSA records of its MX hosts (RFC 7672 §2.2.1): sign "
				   "the domain's zone",
				   d->name);
	return rc;
}

/* RFC 8461 §3.2: "text/plain", with or without parameters. */
static int text_plain(const char *type)
{
	size_t n = strlen("text/plain");

	return strncasecmp(type, "text/plain", n) == 0 &&
	       (type[n] == '\0' || type[n] == ';' || type[n] == ' ');
}

static int judge_policy(mailcert_report *out, const mailcert_domain *d,
			const struct mc_mtasts_policy *pol)
{
	char patterns[512] = "";
	mailcert_state miss = pol->mode == MC_MTASTS_ENFORCE   ? MAILCERT_CRITICAL
			      : pol->mode == MC_MTASTS_TESTING ? MAILCERT_WARNING
							       : MAILCERT_OK;
	int rc = 0;

	for (size_t k = 0; k < pol->mx_len; k++)
		snprintf(patterns + strlen(patterns), sizeof(patterns) - strlen(patterns), "%s%s",
			 k ? ", " : "", pol->mx[k]);
	for (size_t i = 0; rc == 0 && miss != MAILCERT_OK && i < d->mx_len; i++) {
		size_t k = 0;

		if (same_host_as_previous(d, i))
			continue;
		while (k < pol->mx_len && !mc_mtasts_mx_match(pol->mx[k], d->mx[i].host))
			k++;
		if (k == pol->mx_len)
			rc = mc_report_add(
			    out, "mta-sts.mx-mismatch", miss, -1,
			    "MX %s matches none of the MTA-STS policy's mx patterns (%s): %s",
			    d->mx[i].host, patterns,
			    miss == MAILCERT_CRITICAL
				? "in enforce mode, senders will not deliver to it"
				: "in testing mode, senders deliver but report the failure");
	}
	if (rc == 0 && pol->mode != MC_MTASTS_NONE && pol->max_age < SHORT_MAX_AGE)
		rc = mc_report_add(out, "mta-sts.max-age-short", MAILCERT_WARNING, -1,
				   "the MTA-STS policy's max_age is %lld s, under a day: senders "
				   "forget it quickly (RFC 8461 §3.2 suggests weeks)",
				   pol->max_age);
	if (rc == 0)
		rc =
		    mc_report_add(out, "mta-sts.policy", MAILCERT_OK, -1,
				  "MTA-STS policy id %s: mode %s, mx %s, max_age %lld s", d->sts_id,
				  pol->mode == MC_MTASTS_ENFORCE   ? "enforce"
				  : pol->mode == MC_MTASTS_TESTING ? "testing"
								   : "none (MTA-STS is off)",
				  patterns[0] ? patterns : "(none)", pol->max_age);
	return rc;
}

static int judge_mta_sts(mailcert_report *out, const mailcert_domain *d)
{
	struct mc_mtasts_policy pol;
	char why[512];

	if (d->sts_status == MC_DNS_FAILED || d->sts_status == MC_DNS_BOGUS)
		return mc_report_add(out, "mta-sts.lookup-failed", MAILCERT_WARNING, -1,
				     "the TXT record at _mta-sts.%s could not be looked up (%s)",
				     d->name, d->sts_why);
	if (d->sts_found == 0)
		return mc_report_add(out, "mta-sts.none", MAILCERT_OK, -1,
				     "no MTA-STS: no v=STSv1 TXT record at _mta-sts.%s", d->name);
	if (d->sts_found < 0)
		return mc_report_add(out, "mta-sts.txt-invalid", MAILCERT_CRITICAL, -1,
				     "the TXT record at _mta-sts.%s is invalid (%s), so senders "
				     "ignore MTA-STS",
				     d->name, d->sts_why);
	if (d->sts_error)
		return mc_report_add(out,
				     d->sts_http == 404 || d->sts_http == 410
					 ? "mta-sts.policy-missing"
					 : "mta-sts.fetch-failed",
				     MAILCERT_CRITICAL, -1,
				     "_mta-sts.%s announces policy id %s, but %s could not be "
				     "fetched: %s; senders without a cached policy deliver without "
				     "MTA-STS",
				     d->name, d->sts_id, d->sts_url, d->sts_error);
	if (!text_plain(d->sts_type))
		return mc_report_add(out, "mta-sts.policy-invalid", MAILCERT_CRITICAL, -1,
				     "%s is served as \"%s\", not text/plain (RFC 8461 §3.2), so "
				     "senders may ignore it",
				     d->sts_url, d->sts_type);
	if (mc_mtasts_policy_parse(d->sts_body, d->sts_len, &pol, why, sizeof(why)) < 0)
		return mc_report_add(out, "mta-sts.policy-invalid", MAILCERT_CRITICAL, -1,
				     "the MTA-STS policy at %s is invalid: %s; senders ignore it",
				     d->sts_url, why);
	return judge_policy(out, d, &pol);
}

static int judge_tls_rpt(mailcert_report *out, const mailcert_domain *d, int uses_policy)
{
	if (d->rpt_status == MC_DNS_FAILED || d->rpt_status == MC_DNS_BOGUS)
		return mc_report_add(out, "tls-rpt.lookup-failed", MAILCERT_WARNING, -1,
				     "the TXT record at _smtp._tls.%s could not be looked up (%s)",
				     d->name, d->rpt_why);
	if (d->rpt_found == 0)
		/* Reports matter to a domain that asks senders to insist on TLS. */
		return mc_report_add(out, "tls-rpt.missing",
				     uses_policy ? MAILCERT_WARNING : MAILCERT_OK, -1,
				     "no TLS-RPT: no v=TLSRPTv1 TXT record at _smtp._tls.%s, so "
				     "senders cannot report failed TLS deliveries (RFC 8460)",
				     d->name);
	if (d->rpt_found < 0)
		return mc_report_add(out, "tls-rpt.invalid", MAILCERT_WARNING, -1,
				     "the TXT record at _smtp._tls.%s is invalid (%s), so senders "
				     "send no reports",
				     d->name, d->rpt_why);
	return mc_report_add(out, "tls-rpt.ok", MAILCERT_OK, -1, "TLS-RPT reports go to %s",
			     d->rpt_rua);
}

MAILCERT_EXPORT int mailcert_domain_evaluate(mailcert_report **out, const mailcert_domain *d,
					     const mailcert_report *const *mx_reports,
					     const mailcert_policy *policy, time_t now)
{
	mailcert_observation *obs;
	mailcert_report *r;
	int rc, uses_policy;

	if (!out)
		return MAILCERT_E_INVALID;
	*out = NULL;
	if (!d || !policy)
		return MAILCERT_E_INVALID;
	obs = mc_observation_new(d->name, d->name);
	if (!obs || !(obs->domain = mc_strdup(d->name))) {
		mailcert_observation_free(obs);
		return MAILCERT_E_NOMEM;
	}
	r = mc_report_new(obs, now);
	mailcert_observation_free(obs); /* the report holds a reference */
	if (!r)
		return MAILCERT_E_NOMEM;
	rc = judge_mx(r, d, mx_reports);
	if (rc == 0)
		rc = judge_mta_sts(r, d);
	uses_policy = d->sts_found == 1;
	for (size_t i = 0; mx_reports && i < d->mx_len; i++)
		uses_policy |= has_code(mx_reports[i], "dane.match");
	if (rc == 0)
		rc = judge_tls_rpt(r, d, uses_policy);
	if (rc < 0) {
		mailcert_report_free(r);
		return rc;
	}
	mc_severity_apply(r, policy);
	*out = r;
	return 0;
}
