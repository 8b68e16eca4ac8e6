/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * checks/domain.c: mailcert_domain_evaluate() on mail domains filled in
 * by hand, as mailcert_domain_lookup() would leave them: the MX lookup,
 * one summary per MX host carrying its own report's state, MTA-STS and
 * TLS-RPT. The MX reports are real evaluations of chains made here.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include <gnutls/crypto.h>

#include "../common/evaluation.h"
#include "model/domain_data.h"

#define DOMAIN "example.test"
#define MX1 "mx1.example.test"
#define POLICY_URL "https://mta-sts.example.test/.well-known/mta-sts.txt"
#define ENFORCE "version: STSv1\r\nmode: enforce\r\nmx: " MX1 "\r\nmax_age: 604800\r\n"
#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

enum mx_kind { MX_NONE, MX_OK, MX_EXPIRED, MX_DANE };

/* The report of smtp://mx1.example.test:25 serving a chain of @kind (MX_NONE: NULL). */
static mailcert_report *mx_report(enum mx_kind kind)
{
	static const char *const dns[] = {MX1, NULL};
	const struct mc_fixture_cert_spec spec = {.cn = MX1,
						  .dns = dns,
						  .issuer = &ev_inter,
						  .not_before = NOW - 100 * DAY,
						  .not_after = kind == MX_EXPIRED ? NOW - DAY
										  : NOW + 80 * DAY};
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &ev_inter};
	mailcert_policy *p;
	mailcert_report *r;

	if (kind == MX_NONE)
		return NULL;
	p = ev_policy();
	ev_make(&leaf, &spec);
	if (kind == MX_DANE) {
		/* A DANE-TA record of the intermediate: the simplest to write here. */
		gnutls_datum_t der;
		unsigned char digest[32];
		char rec[80], err[256];
		int k;

		ck_assert_int_eq(mc_fixture_cert_der(&ev_inter, &der), 0);
		ck_assert_int_eq(gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, digest),
				 0);
		gnutls_free(der.data);
		k = snprintf(rec, sizeof(rec), "2 0 1 ");
		for (size_t i = 0; i < sizeof(digest); i++)
			k += snprintf(rec + k, sizeof(rec) - (size_t)k, "%02x", digest[i]);
		ck_assert_msg(mailcert_policy_add_tlsa(p, rec, err, sizeof(err)) == 0, "%s", err);
	}
	r = ev_check(MX1, chain, 2, p);
	/* The host's own report is what the domain's summary of it stands on. */
	if (kind == MX_DANE)
		ck_assert_codes(r, "dane.match ", MAILCERT_OK);
	if (kind == MX_EXPIRED)
		ck_assert_int_eq(mailcert_report_state(r), MAILCERT_CRITICAL);
	mailcert_policy_free(p);
	mc_fixture_cert_clear(&leaf);
	return r;
}

enum rpt { RPT_FOUND, RPT_MISSING, RPT_INVALID };

#define SUMMARY_OK "MX 10 " MX1 " (192.0.2.1): OK"
#define NOT_FETCHED(e)                                                                             \
	"_mta-sts." DOMAIN " announces policy id 20261128, but " POLICY_URL                        \
	" could not be fetched: " e "; senders without a cached policy deliver without MTA-STS"
#define MISMATCH "MX " MX1 " matches none of the MTA-STS policy's mx patterns"
#define IN_ENFORCE "in enforce mode, senders will not deliver to it"
#define IN_TESTING "in testing mode, senders deliver but report the failure"
#define LOOKUP_FAILED(what, status, nx, msg)                                                       \
	{                                                                                          \
		.name = what, .mx_status = status, .mx_nxdomain = nx, .no_mx = 1,                  \
		.mx_why = "timed out", .codes = "mx.lookup-failed mta-sts.none tls-rpt.ok ",       \
		.state = MAILCERT_CRITICAL, .sev = {{"mx.lookup-failed", MAILCERT_CRITICAL}},      \
		.is = { {"mx.lookup-failed", msg} }                                                \
	}
/* RFC 8461 §3.3: a policy that cannot be fetched is as none, unless cached. */
#define FETCH_FAILED(http, e, code)                                                                \
	{                                                                                          \
		.name = e, .sts_http = http, .sts_error = e,                                       \
		.codes = "mx.summary " code " tls-rpt.ok ", .state = MAILCERT_CRITICAL,            \
		.sev = {{code, MAILCERT_CRITICAL}},                                                \
		.is = { {code, NOT_FETCHED(e)} }                                                   \
	}
#define TYPE_OK(t)                                                                                 \
	{                                                                                          \
		.name = "served as \"" t "\"", .sts_type = t, .sts_body = ENFORCE,                 \
		.reports = {MX_OK}, .codes = "mx.summary mta-sts.policy tls-rpt.ok ",              \
		.is = { {"mta-sts.policy", "MTA-STS policy id 20261128: mode enforce, mx " MX1     \
					   ", max_age 604800 s"} }                                 \
	}
#define TYPE_BAD(t)                                                                                \
	{                                                                                          \
		.name = "served as \"" t "\"", .sts_type = t, .sts_body = ENFORCE,                 \
		.reports = {MX_OK}, .codes = "mx.summary mta-sts.policy-invalid tls-rpt.ok ",      \
		.state = MAILCERT_CRITICAL,                                                        \
		.is = { {"mta-sts.policy-invalid",                                                 \
			 POLICY_URL " is served as \"" t "\", not text/plain "                     \
				    "(RFC 8461 §3.2), so senders may ignore it"} }                 \
	}

/*
 * What differs from the domain domain_new() makes: one MX host,
 * mx1 (192.0.2.1), all lookups secure, no MTA-STS, a TLS-RPT record.
 */
static const struct domain_case {
	const char *name;
	int mx_status, mx_nxdomain, mx_null, mx_implicit, mx_skipped;
	int no_mx; /* mx_len 0 */
	const char *mx_why;
	struct {
		const char *host;
		unsigned pref;
		const char *addr, *why;
	} mx[2]; /* host NULL: mx[0] as by default; no mx[1] */
	enum mx_kind reports[2];
	int empty_reports; /* all MX_NONE: an array of NULL reports, not NULL */
	int sts_status;
	const char *sts_why;
	const char *sts_invalid;         /* the TXT record is invalid: why */
	const char *sts_type, *sts_body; /* the policy fetched */
	long sts_http;
	const char *sts_error; /* the policy not fetched */
	enum rpt rpt;
	int rpt_status;
	const char *rpt_why;
	const char *quiet[2]; /* --severity code=ok */
	const char *codes;    /* every finding, in order */
	mailcert_state state;
	struct {
		const char *code;
		mailcert_state state;
	} sev[2];
	struct {
		const char *code, *text;
	} is[3], has[3]; /* the whole message, a part of it */
} domain_cases[] = {
    /* clang-format off */
    {.name = "baseline", .reports = {MX_OK}, .codes = "mx.summary mta-sts.none tls-rpt.ok ",
     .is = {{"mx.summary", SUMMARY_OK},
	    {"mta-sts.none", "no MTA-STS: no v=STSv1 TXT record at _mta-sts." DOMAIN},
	    {"tls-rpt.ok", "TLS-RPT reports go to mailto:tlsrpt@example.test"}}},

    /* An MX lookup that fails is no answer: senders defer mail (RFC 5321 §5.1). */
    LOOKUP_FAILED("failed", MC_DNS_FAILED, 0, "the MX records of " DOMAIN " could not be looked "
		  "up (timed out); senders defer mail while it lasts"),
    LOOKUP_FAILED("bogus", MC_DNS_BOGUS, 0, "the MX records of " DOMAIN " fail DNSSEC validation "
		  "(timed out); senders defer mail while it lasts. If other signed domains fail so "
		  "too, the resolver drops DNSSEC records: choose one with --resolver"),
    LOOKUP_FAILED("NXDOMAIN", MC_DNS_SECURE, 1, DOMAIN " does not exist in DNS"),
    LOOKUP_FAILED("NXDOMAIN, insecure", MC_DNS_INSECURE, 1, DOMAIN " does not exist in DNS"),
    {.name = "null MX", .mx_null = 1, .no_mx = 1, .codes = "mx.null mta-sts.none tls-rpt.ok ",
     .is = {{"mx.null", DOMAIN " publishes a null MX (RFC 7505): it accepts no mail"}}},
    {.name = "no MX: the domain itself", .mx_implicit = 1, .mx = {{DOMAIN, 0, "192.0.2.7"}},
     .reports = {MX_OK}, .codes = "mx.implicit mx.summary mta-sts.none tls-rpt.ok ",
     .has = {{"mx.implicit", DOMAIN " has no MX records, so senders deliver to the domain's own "
	      "address (RFC 5321 §5.1)"}},
     .is = {{"mx.summary", "MX 0 " DOMAIN " (192.0.2.7): OK"}}},
    {.name = "an MX host without address",
     .mx = {{MX1, 10, "192.0.2.1"}, {"mx2.example.test", 20, "", "no A or AAAA record"}},
     .reports = {MX_OK}, .codes = "mx.summary mx.no-address mta-sts.none tls-rpt.ok ",
     .state = MAILCERT_CRITICAL, .sev = {{"mx.no-address", MAILCERT_CRITICAL}},
     .is = {{"mx.no-address", "MX 20 mx2.example.test has no address (no A or AAAA record), so "
	     "no mail reaches it"}}},
    {.name = "MX records skipped", .mx_skipped = 2, .reports = {MX_OK},
     .codes = "mx.skipped mx.summary mta-sts.none tls-rpt.ok ", .state = MAILCERT_WARNING,
     .sev = {{"mx.skipped", MAILCERT_WARNING}},
     .has = {{"mx.skipped", "2 MX records of " DOMAIN " are not checked: malformed host names, "
	      "or beyond the first 8 by preference"}}},
    /* mx.summary has the state of the MX host's own report, and names its problems. */
    {.name = "an MX host's report is CRITICAL", .reports = {MX_EXPIRED},
     .codes = "mx.summary mta-sts.none tls-rpt.ok ", .state = MAILCERT_CRITICAL,
     .sev = {{"mx.summary", MAILCERT_CRITICAL}},
     .is = {{"mx.summary", "MX 10 " MX1 " (192.0.2.1): CRITICAL: cert.expired"}}},
    /* No reports at all, or none for this host: UNKNOWN, "not checked". */
    {.name = "no reports", .codes = "mx.summary mta-sts.none tls-rpt.ok ",
     .state = MAILCERT_UNKNOWN, .sev = {{"mx.summary", MAILCERT_UNKNOWN}},
     .is = {{"mx.summary", "MX 10 " MX1 " (192.0.2.1): not checked"}}},
    {.name = "no report for the host", .empty_reports = 1, .reports = {MX_NONE},
     .codes = "mx.summary mta-sts.none tls-rpt.ok ",
     .state = MAILCERT_UNKNOWN, .sev = {{"mx.summary", MAILCERT_UNKNOWN}},
     .is = {{"mx.summary", "MX 10 " MX1 " (192.0.2.1): not checked"}}},
    /* RFC 7672 §2.2.1: senders use an MX host's TLSA records only if the MX lookup is signed. */
    {.name = "DANE on an unsigned MX", .mx_status = MC_DNS_INSECURE, .reports = {MX_DANE},
     .codes = "mx.summary dane.mx-insecure mta-sts.none tls-rpt.ok ", .state = MAILCERT_WARNING,
     .sev = {{"dane.mx-insecure", MAILCERT_WARNING}},
     .has = {{"dane.mx-insecure", "the MX records of " DOMAIN " are not DNSSEC-signed"}},
     .is = {{"mx.summary", SUMMARY_OK "; DANE authenticates it"}}},
    {.name = "DANE on a signed MX", .reports = {MX_DANE},
     .codes = "mx.summary mta-sts.none tls-rpt.ok "},
    /* Without DANE on the host, an unsigned MX lookup is nothing to say. */
    {.name = "no DANE, unsigned MX", .mx_status = MC_DNS_INSECURE, .reports = {MX_OK},
     .codes = "mx.summary mta-sts.none tls-rpt.ok "},

    /* RFC 8461 §3.1: one valid v=STSv1 record, or senders ignore MTA-STS. */
    {.name = "STS record invalid", .sts_invalid = "two v=STSv1 records",
     .codes = "mx.summary mta-sts.txt-invalid tls-rpt.ok ", .state = MAILCERT_CRITICAL,
     .sev = {{"mta-sts.txt-invalid", MAILCERT_CRITICAL}},
     .is = {{"mta-sts.txt-invalid", "the TXT record at _mta-sts." DOMAIN " is invalid (two "
	     "v=STSv1 records), so senders ignore MTA-STS"}}},
    {.name = "STS lookup failed", .sts_status = MC_DNS_FAILED, .sts_why = "SERVFAIL",
     .codes = "mx.summary mta-sts.lookup-failed tls-rpt.ok ", .state = MAILCERT_UNKNOWN,
     .sev = {{"mta-sts.lookup-failed", MAILCERT_WARNING}},
     .is = {{"mta-sts.lookup-failed", "the TXT record at _mta-sts." DOMAIN " could not be looked "
	     "up (SERVFAIL)"}}},
    FETCH_FAILED(404, "HTTP 404", "mta-sts.policy-missing"),
    FETCH_FAILED(410, "HTTP 410", "mta-sts.policy-missing"),
    FETCH_FAILED(500, "HTTP 500", "mta-sts.fetch-failed"),
    FETCH_FAILED(0, "connection refused", "mta-sts.fetch-failed"),
    /* RFC 8461 §3.2: the policy is text/plain, parameters allowed. */
    TYPE_OK("text/plain"),
    TYPE_OK("text/plain; charset=utf-8"),
    TYPE_OK("TEXT/PLAIN;charset=us-ascii"),
    TYPE_BAD("text/html"),
    TYPE_BAD("text/plainx"),
    TYPE_BAD("application/octet-stream"),
    TYPE_BAD(""),
    {.name = "a policy that does not parse", .sts_type = "text/plain",
     .sts_body = "version: STSv1\nmode: enforcing\nmx: " MX1 "\nmax_age: 86400\n",
     .codes = "mx.summary mta-sts.policy-invalid tls-rpt.ok ", .state = MAILCERT_CRITICAL,
     .has = {{"mta-sts.policy-invalid", "the MTA-STS policy at " POLICY_URL " is invalid: line 2"},
	     {"mta-sts.policy-invalid", "; senders ignore it"}}},
    /* RFC 8461 §4.1, §5: an MX outside the patterns is refused in enforce, reported in testing. */
    {.name = "enforce, MX outside the patterns", .sts_type = "text/plain",
     .sts_body = "version: STSv1\nmode: enforce\nmx: mail.other.test\nmax_age: 604800\n",
     .reports = {MX_OK}, .codes = "mx.summary mta-sts.mx-mismatch mta-sts.policy tls-rpt.ok ",
     .state = MAILCERT_CRITICAL, .sev = {{"mta-sts.mx-mismatch", MAILCERT_CRITICAL}},
     .has = {{"mta-sts.policy", "mode enforce, mx mail.other.test,"},
	     {"mta-sts.mx-mismatch", MISMATCH}, {"mta-sts.mx-mismatch", IN_ENFORCE}}},
    {.name = "testing, MX outside the patterns", .sts_type = "text/plain",
     .sts_body = "version: STSv1\nmode: testing\nmx: mail.other.test\nmx: *.other.test\n"
		 "max_age: 604800\n",
     .reports = {MX_OK}, .codes = "mx.summary mta-sts.mx-mismatch mta-sts.policy tls-rpt.ok ",
     .state = MAILCERT_WARNING, .sev = {{"mta-sts.mx-mismatch", MAILCERT_WARNING}},
     .has = {{"mta-sts.policy", "mode testing, mx mail.other.test, *.other.test,"},
	     {"mta-sts.mx-mismatch", MISMATCH}, {"mta-sts.mx-mismatch", IN_TESTING}}},
    {.name = "none: no mismatch", .sts_type = "text/plain",
     .sts_body = "version: STSv1\nmode: none\nmx: mail.other.test\nmax_age: 3600\n",
     .reports = {MX_OK}, .codes = "mx.summary mta-sts.policy tls-rpt.ok ",
     .has = {{"mta-sts.policy", "mode none (MTA-STS is off)"}}},
    {.name = "none without mx", .sts_type = "text/plain",
     .sts_body = "version: STSv1\nmode: none\nmax_age: 86400\n",
     .reports = {MX_OK}, .codes = "mx.summary mta-sts.policy tls-rpt.ok ",
     .has = {{"mta-sts.policy", "mx (none)"}}},
    {.name = "a wildcard pattern", .sts_type = "text/plain",
     .sts_body = "version: STSv1\nmode: enforce\nmx: *.example.test\nmax_age: 604800\n",
     .reports = {MX_OK}, .codes = "mx.summary mta-sts.policy tls-rpt.ok ",
     .has = {{"mta-sts.policy", "mode enforce, mx *.example.test,"}}},
    {.name = "a wildcard does not cover two labels", .sts_type = "text/plain",
     .sts_body = "version: STSv1\nmode: enforce\nmx: *.test\nmax_age: 604800\n",
     .reports = {MX_OK}, .codes = "mx.summary mta-sts.mx-mismatch mta-sts.policy tls-rpt.ok ",
     .state = MAILCERT_CRITICAL, .sev = {{"mta-sts.mx-mismatch", MAILCERT_CRITICAL}},
     .has = {{"mta-sts.policy", "mx *.test,"},
	     {"mta-sts.mx-mismatch", MISMATCH}, {"mta-sts.mx-mismatch", IN_ENFORCE}}},
    /* RFC 8461 §3.2: max_age should be weeks; under a day a policy barely caches. */
    {.name = "max_age 3600", .sts_type = "text/plain",
     .sts_body = "version: STSv1\nmode: enforce\nmx: " MX1 "\nmax_age: 3600\n",
     .reports = {MX_OK}, .codes = "mx.summary mta-sts.max-age-short mta-sts.policy tls-rpt.ok ",
     .state = MAILCERT_WARNING, .sev = {{"mta-sts.max-age-short", MAILCERT_WARNING}},
     .has = {{"mta-sts.policy", "max_age 3600 s"},
	     {"mta-sts.max-age-short", "the MTA-STS policy's max_age is 3600 s, under a day"}}},
    {.name = "max_age a day", .sts_type = "text/plain",
     .sts_body = "version: STSv1\nmode: testing\nmx: " MX1 "\nmax_age: 86400\n",
     .reports = {MX_OK}, .codes = "mx.summary mta-sts.policy tls-rpt.ok ",
     .has = {{"mta-sts.policy", "max_age 86400 s"}}},
    /* One mismatch finding per MX host outside the patterns, none for those inside. */
    {.name = "two MX hosts, one outside the patterns",
     .mx = {{MX1, 10, "192.0.2.1"}, {"backup.other.test", 20, "192.0.2.2"}},
     .empty_reports = 1, .sts_type = "text/plain", .sts_body = ENFORCE,
     .codes = "mx.summary mx.summary mta-sts.mx-mismatch mta-sts.policy tls-rpt.ok ",
     .state = MAILCERT_CRITICAL,
     .has = {{"mta-sts.mx-mismatch", "MX backup.other.test matches"}}},

    /* RFC 8460: TLS-RPT matters once something asks senders to insist on TLS. */
    {.name = "TLS-RPT missing, no MTA-STS or DANE", .rpt = RPT_MISSING, .reports = {MX_OK},
     .codes = "mx.summary mta-sts.none tls-rpt.missing ",
     .sev = {{"tls-rpt.missing", MAILCERT_OK}},
     .has = {{"tls-rpt.missing", "no TLS-RPT: no v=TLSRPTv1 TXT record at _smtp._tls." DOMAIN}}},
    {.name = "TLS-RPT missing, with MTA-STS", .rpt = RPT_MISSING, .reports = {MX_OK},
     .sts_type = "text/plain", .sts_body = ENFORCE,
     .codes = "mx.summary mta-sts.policy tls-rpt.missing ", .state = MAILCERT_WARNING,
     .sev = {{"tls-rpt.missing", MAILCERT_WARNING}}},
    {.name = "TLS-RPT missing, with DANE", .rpt = RPT_MISSING, .reports = {MX_DANE},
     .codes = "mx.summary mta-sts.none tls-rpt.missing ", .state = MAILCERT_WARNING},
    {.name = "TLS-RPT invalid", .rpt = RPT_INVALID, .rpt_why = "no rua field",
     .reports = {MX_OK}, .codes = "mx.summary mta-sts.none tls-rpt.invalid ",
     .state = MAILCERT_WARNING,
     .is = {{"tls-rpt.invalid", "the TXT record at _smtp._tls." DOMAIN " is invalid (no rua "
	     "field), so senders send no reports"}}},
    {.name = "TLS-RPT lookup failed", .rpt = RPT_INVALID, .rpt_status = MC_DNS_BOGUS,
     .rpt_why = "signature expired", .reports = {MX_OK},
     .codes = "mx.summary mta-sts.none tls-rpt.lookup-failed ", .state = MAILCERT_WARNING},
    /* Severity overrides reach domain findings too. */
    {.name = "--severity on domain findings", .rpt = RPT_INVALID,
     .quiet = {"tls-rpt.invalid", "mx.summary"},
     .codes = "mx.summary mta-sts.none tls-rpt.invalid "},
    /* clang-format on */
};

/* The domain @c describes, as mailcert_domain_lookup() would leave it. */
static mailcert_domain *domain_new(const struct domain_case *c)
{
	mailcert_domain *d = calloc(1, sizeof(*d));

	ck_assert_ptr_nonnull(d);
	snprintf(d->name, sizeof(d->name), DOMAIN);
	d->mx_status = c->mx_status;
	d->mx_nxdomain = c->mx_nxdomain;
	d->mx_null = c->mx_null;
	d->mx_implicit = c->mx_implicit;
	d->mx_skipped = c->mx_skipped;
	snprintf(d->mx_why, sizeof(d->mx_why), "%s", c->mx_why ? c->mx_why : "");
	d->mx[0] = (struct mc_mx){.host = MX1, .pref = 10, .addr = "192.0.2.1"};
	d->mx_len = c->no_mx ? 0 : c->mx[1].host ? 2 : 1;
	for (size_t i = 0; i < 2 && c->mx[i].host; i++) {
		struct mc_mx *m = &d->mx[i];

		snprintf(m->host, sizeof(m->host), "%s", c->mx[i].host);
		m->pref = c->mx[i].pref;
		snprintf(m->addr, sizeof(m->addr), "%s", c->mx[i].addr);
		snprintf(m->why, sizeof(m->why), "%s", c->mx[i].why ? c->mx[i].why : "");
	}

	d->sts_status = c->sts_status;
	snprintf(d->sts_why, sizeof(d->sts_why), "%s", c->sts_why ? c->sts_why : "");
	if (c->sts_invalid) {
		d->sts_found = -1;
		snprintf(d->sts_why, sizeof(d->sts_why), "%s", c->sts_invalid);
	}
	if (c->sts_body || c->sts_error) {
		d->sts_found = 1;
		snprintf(d->sts_id, sizeof(d->sts_id), "20261128");
		snprintf(d->sts_url, sizeof(d->sts_url), POLICY_URL);
	}
	if (c->sts_body) {
		snprintf(d->sts_type, sizeof(d->sts_type), "%s", c->sts_type);
		d->sts_http = 200;
		d->sts_body = strdup(c->sts_body);
		ck_assert_ptr_nonnull(d->sts_body);
		d->sts_len = strlen(c->sts_body);
	}
	if (c->sts_error) {
		d->sts_http = c->sts_http;
		d->sts_error = strdup(c->sts_error);
		ck_assert_ptr_nonnull(d->sts_error);
	}

	d->rpt_status = c->rpt_status;
	d->rpt_found = c->rpt == RPT_FOUND ? 1 : c->rpt == RPT_MISSING ? 0 : -1;
	snprintf(d->rpt_why, sizeof(d->rpt_why), "%s", c->rpt_why ? c->rpt_why : "");
	snprintf(d->rpt_rua, sizeof(d->rpt_rua), "mailto:tlsrpt@example.test");
	return d;
}

/* Asserts that @msg, the message of @code, is @want (or has it, @part), naming the case. */
static void assert_message(const char *name, const char *code, const char *msg, const char *want,
			   int part)
{
	ck_assert_msg(msg && (part ? strstr(msg, want) != NULL : strcmp(msg, want) == 0),
		      "%s: %s says \"%s\"\n  %s \"%s\"", name, code, msg ? msg : "(absent)",
		      part ? "without" : "not", want);
}

START_TEST(test_domain)
{
	const struct domain_case *c = &domain_cases[_i];
	mailcert_domain *d = domain_new(c);
	mailcert_report *mx[2] = {mx_report(c->reports[0]), mx_report(c->reports[1])};
	const mailcert_report *mxs[2] = {mx[0], mx[1]};
	mailcert_policy *p;
	mailcert_report *r = NULL;
	char got[1024];

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	for (int i = 0; i < N(c->quiet) && c->quiet[i]; i++)
		ck_assert_int_eq(mailcert_policy_set_severity(p, c->quiet[i], MAILCERT_OK), 0);
	ck_assert_int_eq(
	    mailcert_domain_evaluate(&r, d, mx[0] || c->empty_reports ? mxs : NULL, p, NOW), 0);

	ev_codes(got, sizeof(got), r);
	ck_assert_msg(strcmp(got, c->codes) == 0, "%s: findings: want [%s], got [%s]", c->name,
		      c->codes, got);
	ck_assert_msg(mailcert_report_state(r) == c->state, "%s: state %s, want %s", c->name,
		      mailcert_state_name(mailcert_report_state(r)), mailcert_state_name(c->state));
	ck_assert_str_eq(mailcert_observation_domain(mailcert_report_observation(r)), DOMAIN);
	for (int i = 0; i < N(c->sev) && c->sev[i].code; i++) {
		mailcert_state s = ev_severity(r, c->sev[i].code);

		ck_assert_msg(s == c->sev[i].state, "%s: %s is %s, want %s", c->name,
			      c->sev[i].code, mailcert_state_name(s),
			      mailcert_state_name(c->sev[i].state));
	}
	for (int i = 0; i < N(c->is) && c->is[i].code; i++)
		assert_message(c->name, c->is[i].code, ev_message(r, c->is[i].code), c->is[i].text,
			       0);
	for (int i = 0; i < N(c->has) && c->has[i].code; i++)
		assert_message(c->name, c->has[i].code, ev_message(r, c->has[i].code),
			       c->has[i].text, 1);
	mailcert_report_free(r);
	mailcert_report_free(mx[1]);
	mailcert_report_free(mx[0]);
	mailcert_policy_free(p);
	mailcert_domain_free(d);
}
END_TEST

START_TEST(test_invalid_arguments)
{
	static const struct domain_case plain = {.name = "plain"};
	mailcert_domain *d = domain_new(&plain);
	mailcert_policy *p;
	mailcert_report *r = (mailcert_report *)1;

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	ck_assert_int_eq(mailcert_domain_evaluate(NULL, d, NULL, p, NOW), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_domain_evaluate(&r, NULL, NULL, p, NOW), MAILCERT_E_INVALID);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(mailcert_domain_evaluate(&r, d, NULL, NULL, NOW), MAILCERT_E_INVALID);
	mailcert_domain_free(NULL);
	mailcert_policy_free(p);
	mailcert_domain_free(d);
}
END_TEST

/* JSON and Nagios name the domain, not a host and port that it lacks. */
START_TEST(test_render)
{
	static const struct domain_case plain = {.name = "plain"};
	mailcert_domain *d = domain_new(&plain);
	const mailcert_report *mxs[1];
	mailcert_policy *p;
	mailcert_report *mx, *r;
	char *out = NULL;

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	mxs[0] = mx = mx_report(MX_EXPIRED);
	ck_assert_int_eq(mailcert_domain_evaluate(&r, d, mxs, p, NOW), 0);
	ck_assert_int_eq(mailcert_render(&out, r, MAILCERT_FORMAT_JSON, 0), 0);
	ck_assert_contains(out, "\"target\":\"" DOMAIN "\"");
	ck_assert_contains(out, "\"protocol\":\"domain\"");
	ck_assert_contains(out, "\"host\":\"" DOMAIN "\"");
	ck_assert_contains(out, "\"port\":null,\"peer\":null,");
	ck_assert_contains(out, "\"state\":\"CRITICAL\"");
	ck_assert_contains(out, "\"code\":\"mx.summary\"");
	ck_assert_msg(strchr(out, '\n') == out + strlen(out) - 1, "not one line: %s", out);
	free(out);

	/* The worst finding first; no perfdata, as nothing was timed. */
	ck_assert_int_eq(mailcert_render(&out, r, MAILCERT_FORMAT_NAGIOS, 0), 0);
	ck_assert_msg(!strchr(out, '|'), "perfdata without a connection: %s", out);
	*strchr(out, '\n') = '\0';
	ck_assert_str_eq(out, "MAILCERT CRITICAL - " DOMAIN ": MX 10 " MX1
			      " (192.0.2.1): CRITICAL: cert.expired (and 2 more)");
	free(out);
	mailcert_report_free(r);
	mailcert_report_free(mx);

	/* All well: the count of MX hosts. */
	mxs[0] = mx = mx_report(MX_OK);
	ck_assert_int_eq(mailcert_domain_evaluate(&r, d, mxs, p, NOW), 0);
	ck_assert_int_eq(mailcert_render(&out, r, MAILCERT_FORMAT_NAGIOS, 0), 0);
	*strchr(out, '\n') = '\0';
	ck_assert_str_eq(out, "MAILCERT OK - " DOMAIN ": 1 MX host OK");
	free(out);
	mailcert_report_free(r);
	mailcert_report_free(mx);
	mailcert_policy_free(p);
	mailcert_domain_free(d);
}
END_TEST

/* The messages of every finding @code of @r, joined by newlines, into @out. */
static void messages_of(char *out, size_t size, const mailcert_report *r, const char *code)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < mailcert_report_finding_count(r); i++) {
		const mailcert_finding *f = mailcert_report_finding(r, i);

		if (strcmp(mailcert_finding_code(f), code) == 0)
			len += (size_t)snprintf(out + len, size - len, "%s\n",
						mailcert_finding_message(f));
		ck_assert_uint_lt(len, size);
	}
}

/*
 * An MX host at two addresses (one serving an expired certificate, three
 * more not checked) and another at one: a summary for each address, the
 * MTA-STS mismatch said once for the host, and the Nagios line counting
 * hosts, not addresses.
 */
START_TEST(test_addresses)
{
	static const struct domain_case c = {
	    .name = "addresses",
	    .sts_type = "text/plain",
	    .sts_body = "version: STSv1\r\nmode: enforce\r\nmx: mx2.example.test\r\n"
			"max_age: 604800\r\n"};
	mailcert_domain *d = domain_new(&c);
	mailcert_report *mx[3] = {mx_report(MX_OK), mx_report(MX_EXPIRED), mx_report(MX_OK)};
	const mailcert_report *mxs[3] = {mx[0], mx[1], mx[2]};
	mailcert_policy *p;
	mailcert_report *r;
	char got[2048], *out = NULL;

	d->mx[1] = d->mx[0];
	snprintf(d->mx[1].addr, sizeof(d->mx[1].addr), "2001:db8::1");
	d->mx[1].more = 3;
	d->mx[2] = (struct mc_mx){.host = "mx2.example.test", .pref = 20, .addr = "192.0.2.2"};
	d->mx_len = 3;
	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	ck_assert_int_eq(mailcert_domain_evaluate(&r, d, mxs, p, NOW), 0);
	ev_codes(got, sizeof(got), r);
	ck_assert_str_eq(got, "mx.summary mx.summary mx.summary mta-sts.mx-mismatch "
			      "mta-sts.policy tls-rpt.ok ");
	ck_assert_int_eq(mailcert_report_state(r), MAILCERT_CRITICAL);
	messages_of(got, sizeof(got), r, "mx.summary");
	ck_assert_str_eq(got, "MX 10 " MX1 " (192.0.2.1): OK\n"
			      "MX 10 " MX1 " (2001:db8::1): CRITICAL: cert.expired; 3 "
			      "more addresses of " MX1 " not checked (the "
			      "first 2 A and 2 AAAA are)\n"
			      "MX 20 mx2.example.test (192.0.2.2): OK\n");
	messages_of(got, sizeof(got), r, "mta-sts.mx-mismatch");
	ck_assert_str_eq(got, MISMATCH " (mx2.example.test): " IN_ENFORCE "\n");
	mailcert_report_free(r);

	/* All well: two hosts, three addresses. */
	mailcert_report_free(mx[1]);
	mxs[1] = mx[1] = mx_report(MX_OK);
	free(d->sts_body);
	d->sts_body = NULL;
	d->sts_found = 0;
	ck_assert_int_eq(mailcert_domain_evaluate(&r, d, mxs, p, NOW), 0);
	ck_assert_int_eq(mailcert_render(&out, r, MAILCERT_FORMAT_NAGIOS, 0), 0);
	*strchr(out, '\n') = '\0';
	ck_assert_str_eq(out, "MAILCERT OK - " DOMAIN ": 2 MX hosts OK");
	free(out);
	mailcert_report_free(r);

	/*
	 * Addresses this machine has no route to are not the domain's fault:
	 * noted beside the others of their host; a host with only those is
	 * UNKNOWN, not checked, never mx.no-address.
	 */
	d->mx[1].more = 0;
	d->mx[1].unroutable = 2;
	snprintf(d->mx[1].unroutable_addr, sizeof(d->mx[1].unroutable_addr), "2001:db8::9");
	d->mx[2].addr[0] = '\0';
	d->mx[2].unroutable = 1;
	snprintf(d->mx[2].why, sizeof(d->mx[2].why), "no route from this machine to 2001:db8::2");
	mxs[2] = NULL;
	ck_assert_int_eq(mailcert_domain_evaluate(&r, d, mxs, p, NOW), 0);
	ev_codes(got, sizeof(got), r);
	ck_assert_str_eq(got, "mx.summary mx.summary mx.summary mta-sts.none tls-rpt.ok ");
	ck_assert_int_eq(mailcert_report_state(r), MAILCERT_UNKNOWN);
	messages_of(got, sizeof(got), r, "mx.summary");
	ck_assert_str_eq(got, "MX 10 " MX1 " (192.0.2.1): OK\n"
			      "MX 10 " MX1 " (2001:db8::1): OK; 2 addresses of " MX1 " not "
			      "checked: no route from this machine to 2001:db8::9\n"
			      "MX 20 mx2.example.test: not checked: no route from this machine to "
			      "2001:db8::2; check from a machine that reaches it\n");
	mailcert_report_free(r);
	for (int i = 0; i < 3; i++)
		mailcert_report_free(mx[i]);
	mailcert_policy_free(p);
	mailcert_domain_free(d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("domain-eval");
	TCase *tc = tcase_create("domain");

	tcase_add_unchecked_fixture(tc, ev_pki_setup, ev_pki_teardown);
	tcase_add_loop_test(tc, test_domain, 0, N(domain_cases));
	tcase_add_test(tc, test_invalid_arguments);
	tcase_add_test(tc, test_render);
	tcase_add_test(tc, test_addresses);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
