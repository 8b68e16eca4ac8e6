/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Short-lived certificates: thresholds that follow the lifetime
 * (model/threshold.c, checks/validity.c), ACME Renewal Information (the
 * certID and the parsers of model/ari.c, the findings of checks/ari.c,
 * "-w renewal"), and the CA/B Forum's validity calendar
 * (checks/maxvalidity.c). Certificates made here; the evidence an ARI
 * stage would gather is written by hand.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../common/evaluation.h"

/* A leaf for mail.test issued by ev_inter, valid from NOW+@from to NOW+@to days. */
static void leaf(struct mc_fixture_cert *c, double from, double to)
{
	static const char *const dns[] = {"mail.test", NULL};
	const struct mc_fixture_cert_spec spec = {.cn = "mail.test",
						  .dns = dns,
						  .issuer = &ev_inter,
						  .not_before = NOW + (time_t)(from * DAY),
						  .not_after = NOW + (time_t)(to * DAY)};

	ev_make(c, &spec);
}

/* @c with ev_inter, evaluated with @ev (NULL: none) by @p as of @now. */
static mailcert_report *judge(const struct mc_fixture_cert *c, const struct mc_evidence *ev,
			      const mailcert_policy *p, time_t now)
{
	const struct mc_fixture_cert *chain[] = {c, &ev_inter};
	mailcert_observation *obs = ev_observe("smtp://mail.test:25", "mail.test", chain, 2);
	mailcert_report *r = NULL;

	ck_assert_int_eq(mc_evaluate_evidence(&r, obs, ev, p, now), 0);
	mailcert_observation_free(obs);
	return r;
}

/* ---- thresholds that follow the lifetime ---------------------------- */

/* A 45-day certificate: warned at 15 days left, critical at 7.5, each saying why. */
START_TEST(test_45_days)
{
	mailcert_policy *p = ev_policy();
	struct mc_fixture_cert c;
	mailcert_report *r;

	leaf(&c, -1, 44);
	r = judge(&c, NULL, p, NOW + 29 * DAY); /* 15 days left: still OK */
	ck_assert_codes(r, "", MAILCERT_OK);
	ck_assert_int_eq(mailcert_report_cert(r, 0)->warning_s, 15 * DAY);
	ck_assert_int_eq(mailcert_report_cert(r, 0)->critical_s, 15 * DAY / 2);
	mailcert_report_free(r);
	r = judge(&c, NULL, p, NOW + 29 * DAY + 1);
	ck_assert_codes(r, "cert.expiring ", MAILCERT_WARNING);
	ck_assert_str_eq(ev_message(r, "cert.expiring"),
			 "leaf CN=mail.test expires in 14 days (2027-01-11 10:00 UTC), under the "
			 "warning threshold of 15 days (1/3 of a 45-day lifetime)");
	mailcert_report_free(r);
	r = judge(&c, NULL, p, NOW + 36 * DAY + DAY / 2 + 1);
	ck_assert_codes(r, "cert.expiring ", MAILCERT_CRITICAL);
	ck_assert_contains(ev_message(r, "cert.expiring"),
			   "under the critical threshold of 7.5 days (1/6 of a 45-day lifetime)");
	mailcert_report_free(r);
	mc_fixture_cert_clear(&c);
	mailcert_policy_free(p);
}
END_TEST

/* A 6-day certificate is OK for its first four days (30 days would always fire). */
START_TEST(test_6_days)
{
	mailcert_policy *p = ev_policy();
	struct mc_fixture_cert c;
	mailcert_report *r;

	leaf(&c, 0, 6);
	r = judge(&c, NULL, p, NOW + 4 * DAY);
	ck_assert_codes(r, "", MAILCERT_OK);
	mailcert_report_free(r);
	r = judge(&c, NULL, p, NOW + 4 * DAY + 1);
	ck_assert_codes(r, "cert.expiring ", MAILCERT_WARNING);
	ck_assert_contains(ev_message(r, "cert.expiring"),
			   "under the warning threshold of 2 days (1/3 of a 6-day lifetime)");
	mailcert_report_free(r);
	r = judge(&c, NULL, p, NOW + 5 * DAY + 1);
	ck_assert_codes(r, "cert.expiring ", MAILCERT_CRITICAL);
	ck_assert_contains(ev_message(r, "cert.expiring"),
			   "under the critical threshold of 1 day (1/6 of a 6-day lifetime)");
	mailcert_report_free(r);
	mc_fixture_cert_clear(&c);
	mailcert_policy_free(p);
}
END_TEST

/* An explicit -w or -c wins; the other still follows the lifetime. */
START_TEST(test_explicit_wins)
{
	mailcert_policy *p = ev_policy();
	struct mc_fixture_cert c;
	mailcert_report *r;

	leaf(&c, -1, 44);
	ck_assert_int_eq(mailcert_policy_set_threshold(p, 0, "30d", NULL, 0), 0);
	r = judge(&c, NULL, p, NOW + 15 * DAY);
	ck_assert_codes(r, "cert.expiring ", MAILCERT_WARNING);
	ck_assert_contains(ev_message(r, "cert.expiring"), "under the warning threshold of 30 days");
	mailcert_report_free(r);
	r = judge(&c, NULL, p, NOW + 37 * DAY);
	ck_assert_codes(r, "cert.expiring ", MAILCERT_CRITICAL);
	mailcert_report_free(r);
	mc_fixture_cert_clear(&c);
	mailcert_policy_free(p);
}
END_TEST

/* -w renewal without ARI: the renewal point is a third of the lifetime, and says so. */
START_TEST(test_renewal_point)
{
	mailcert_policy *p = ev_policy();
	struct mc_fixture_cert c;
	mailcert_report *r;

	leaf(&c, -10, 80); /* 90 days: 30 left is the point */
	ck_assert_int_eq(mailcert_policy_set_threshold(p, 0, "renewal", NULL, 0), 0);
	r = judge(&c, NULL, p, NOW + 50 * DAY + 1);
	ck_assert_codes(r, "cert.expiring ", MAILCERT_WARNING);
	ck_assert_contains(ev_message(r, "cert.expiring"),
			   "under the warning threshold of 30 days (the renewal point: 1/3 of a "
			   "90-day lifetime)");
	mailcert_report_free(r);
	mc_fixture_cert_clear(&c);
	mailcert_policy_free(p);
}
END_TEST

/* ---- ARI ------------------------------------------------------------ */

/*
 * RFC 9773 §4.1's example: keyIdentifier 69:88:5B:6B:87:46:40:41:E1:B3:7B:
 * 84:7B:A0:AE:2C:DE:01:C8:D4 and serial 00:87:65:43:21 make the certID
 * aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE.
 */
START_TEST(test_cert_id)
{
	static const unsigned char aki[] = {0x69, 0x88, 0x5b, 0x6b, 0x87, 0x46, 0x40,
					    0x41, 0xe1, 0xb3, 0x7b, 0x84, 0x7b, 0xa0,
					    0xae, 0x2c, 0xde, 0x01, 0xc8, 0xd4};
	static const unsigned char serial[] = {0x00, 0x87, 0x65, 0x43, 0x21};
	gnutls_x509_crt_t crt;
	char id[200], why[256];

	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)), 0);
	ck_assert_int_eq(mc_ari_cert_id(crt, id, sizeof(id), why, sizeof(why)), -1);
	ck_assert_str_eq(why, "the leaf has no Authority Key Identifier, which its ARI certID needs");
	ck_assert_int_eq(gnutls_x509_crt_set_authority_key_id(crt, aki, sizeof(aki)), 0);
	ck_assert_int_eq(mc_ari_cert_id(crt, id, sizeof(id), why, sizeof(why)), 0);
	ck_assert_str_eq(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
	ck_assert_int_eq(mc_ari_cert_id(crt, id, 20, why, sizeof(why)), -1);
	gnutls_x509_crt_deinit(crt);
}
END_TEST

#define WINDOW "{\"suggestedWindow\":{\"start\":\"2026-12-10T00:00:00Z\",\"end\":\"2026-12-12T00:00:00Z\"}"

static const struct ari_case {
	const char *body, *why; /* why NULL: it parses */
	time_t start, end;
	const char *explanation;
} ari_cases[] = {
    {WINDOW "}", NULL, 1796860800, 1797033600, ""},
    {WINDOW ",\"explanationURL\":\"https://ca.test/why\"}\n", NULL, 1796860800, 1797033600,
     "https://ca.test/why"},
    /* Offsets and fractions of RFC 3339. */
    {"{\"suggestedWindow\":{\"start\":\"2026-12-10T01:00:00.123+01:00\",\"end\":"
     "\"2026-12-11T23:59:59.9-00:00\"}}",
     NULL, 1796860800, 1797033599, ""},
    /* An explanation that is not a plain http(s) URL is not quoted. */
    {WINDOW ",\"explanationURL\":\"javascript:alert(1)\"}", NULL, 1796860800, 1797033600, ""},
    {WINDOW ",\"explanationURL\":\"https://ca.test/a b\"}", NULL, 1796860800, 1797033600, ""},
    {"", "the renewalInfo answer is empty"},
    {"[]", "the renewalInfo answer is not a JSON object"},
    {"{\"suggestedWindow\":", "the renewalInfo answer is not a JSON object"},
    {WINDOW "} {}", "the renewalInfo answer is not a JSON object"},
    {"{}", "the renewalInfo answer has no suggestedWindow"},
    {"{\"suggestedWindow\":[]}", "the renewalInfo answer has no suggestedWindow"},
    {"{\"suggestedWindow\":{\"start\":\"2026-12-10\",\"end\":\"2026-12-12T00:00:00Z\"}}",
     "the renewalInfo answer's suggestedWindow has no start and end in RFC 3339 form"},
    {"{\"suggestedWindow\":{\"start\":\"2026-02-30T00:00:00Z\",\"end\":\"2026-12-12T00:00:00Z\"}}",
     "the renewalInfo answer's suggestedWindow has no start and end in RFC 3339 form"},
    {"{\"suggestedWindow\":{\"start\":\"2026-12-10T00:00:00Z\",\"end\":12}}",
     "the renewalInfo answer's suggestedWindow has no start and end in RFC 3339 form"},
    {"{\"suggestedWindow\":{\"start\":\"2026-12-12T00:00:00Z\",\"end\":\"2026-12-10T00:00:00Z\"}}",
     "the renewalInfo answer's suggestedWindow ends before it starts"},
};

START_TEST(test_ari_parse)
{
	const struct ari_case *c = &ari_cases[_i];
	struct mc_ari a = {0};
	char why[256] = "";
	int rc = mc_ari_parse(c->body, strlen(c->body), &a, why, sizeof(why));

	if (c->why) {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(why, c->why);
		return;
	}
	ck_assert_msg(rc == 0, "%s: %s", c->body, why);
	ck_assert_int_eq(a.start, c->start);
	ck_assert_int_eq(a.end, c->end);
	ck_assert_str_eq(a.explanation, c->explanation);
}
END_TEST

START_TEST(test_ari_directory)
{
	static const char good[] = "{\"newNonce\":\"https://ca.test/nonce\","
				   "\"renewalInfo\":\"https://ca.test/renewal-info\"}";
	char url[100], why[256];

	ck_assert_int_eq(mc_ari_directory(good, strlen(good), url, sizeof(url), why, sizeof(why)), 0);
	ck_assert_str_eq(url, "https://ca.test/renewal-info");
	ck_assert_int_eq(mc_ari_directory("{}", 2, url, sizeof(url), why, sizeof(why)), -1);
	ck_assert_str_eq(why, "the ACME directory has no renewalInfo URL: the CA offers no ARI");
	ck_assert_int_eq(mc_ari_directory("{\"renewalInfo\":\"http://ca.test/r\"}", 34, url,
					  sizeof(url), why, sizeof(why)),
			 -1);
	ck_assert_str_eq(why, "the ACME directory's renewalInfo is not an https URL");
	ck_assert_int_eq(mc_ari_directory(good, strlen(good), url, 10, why, sizeof(why)), -1);
	ck_assert_str_eq(mc_ari_known_directory("CN=R10,O=Let's Encrypt,C=US"),
			 "https://acme-v02.api.letsencrypt.org/directory");
	ck_assert_str_eq(mc_ari_known_directory("CN=WR1,O=Google Trust Services,C=US"),
			 "https://dv.acme-v02.api.pki.goog/directory");
	ck_assert_ptr_null(mc_ari_known_directory("CN=Test Intermediate,O=Test"));
}
END_TEST

/* The evidence of a stage that asked, with a window from NOW+@from to NOW+@to days. */
static struct mc_evidence *window(double from, double to, const char *explanation)
{
	struct mc_evidence *ev = mc_evidence_new();

	ck_assert_ptr_nonnull(ev);
	ev->ari = (struct mc_ari){.done = 1,
				  .known = 1,
				  .start = NOW + (time_t)(from * DAY),
				  .end = NOW + (time_t)(to * DAY),
				  .fetched_at = NOW - 3600};
	snprintf(ev->ari.explanation, sizeof(ev->ari.explanation), "%s", explanation);
	return ev;
}

/* Before the window: nothing; in it: WARNING; past it: CRITICAL; --at moves it all. */
START_TEST(test_ari_findings)
{
	mailcert_policy *p = ev_policy();
	struct mc_evidence *ev = window(10, 12, "https://ca.test/incident");
	const mailcert_ari_window *w;
	struct mc_fixture_cert c;
	mailcert_report *r;

	leaf(&c, -10, 80);
	r = judge(&c, ev, p, NOW);
	ck_assert_codes(r, "", MAILCERT_OK);
	w = mailcert_report_ari(r);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(w->start, NOW + 10 * DAY);
	ck_assert_int_eq(w->end, NOW + 12 * DAY);
	ck_assert_str_eq(w->explanation_url, "https://ca.test/incident");
	ck_assert_int_eq(w->fetched_at, NOW - 3600);
	mailcert_report_free(r);
	r = judge(&c, ev, p, NOW + 10 * DAY);
	ck_assert_codes(r, "ari.window-open ", MAILCERT_WARNING);
	ck_assert_str_eq(ev_message(r, "ari.window-open"),
			 "the CA suggests renewing leaf CN=mail.test between 2026-12-08 10:00 UTC "
			 "and 2026-12-10 10:00 UTC (ARI), and it is still served: renew it; the CA "
			 "explains why at https://ca.test/incident");
	mailcert_report_free(r);
	r = judge(&c, ev, p, NOW + 12 * DAY);
	ck_assert_codes(r, "ari.window-passed ", MAILCERT_CRITICAL);
	ck_assert_contains(ev_message(r, "ari.window-passed"),
			   "the CA's suggested renewal window (ARI) for leaf CN=mail.test ended on "
			   "2026-12-10 10:00 UTC (it opened on 2026-12-08 10:00 UTC)");
	mailcert_report_free(r);
	mc_evidence_free(ev);

	/* Not known: an OK note that says why, and no window. */
	ev = mc_evidence_new();
	ev->ari = (struct mc_ari){.done = 1};
	snprintf(ev->ari.why, sizeof(ev->ari.why), "https://ca.test/r/x.y: HTTP status 500");
	r = judge(&c, ev, p, NOW);
	ck_assert_codes(r, "ari.unavailable ", MAILCERT_OK);
	ck_assert_str_eq(ev_message(r, "ari.unavailable"),
			 "no renewal information (ARI) for leaf CN=mail.test: "
			 "https://ca.test/r/x.y: HTTP status 500");
	ck_assert_ptr_null(mailcert_report_ari(r));
	mailcert_report_free(r);
	mc_evidence_free(ev);
	mc_fixture_cert_clear(&c);
	mailcert_policy_free(p);
}
END_TEST

/* -w renewal with the window known: its start, in the finding and in perfdata. */
START_TEST(test_renewal_with_ari)
{
	mailcert_policy *p = ev_policy();
	struct mc_evidence *ev = window(40, 45, "");
	struct mc_fixture_cert c;
	mailcert_report *r;

	leaf(&c, -10, 80);
	ck_assert_int_eq(mailcert_policy_set_threshold(p, 0, "renewal", NULL, 0), 0);
	r = judge(&c, ev, p, NOW + 40 * DAY - 1);
	ck_assert_codes(r, "", MAILCERT_OK);
	ck_assert_int_eq(mailcert_report_cert(r, 0)->warning_s, 40 * DAY);
	/* No ACME client renews the intermediate: it keeps the default, not
	 * a third of its years. */
	ck_assert_int_eq(mailcert_report_cert(r, 1)->warning_s, 30 * DAY);
	mailcert_report_free(r);
	r = judge(&c, ev, p, NOW + 40 * DAY);
	ck_assert_codes(r, "cert.expiring ari.window-open ", MAILCERT_WARNING);
	ck_assert_str_eq(ev_message(r, "cert.expiring"),
			 "leaf CN=mail.test expires in 40 days (2027-02-16 10:00 UTC), inside the "
			 "CA's suggested renewal window (ARI), open since 2027-01-07 10:00 UTC");
	mailcert_report_free(r);
	mc_evidence_free(ev);
	mc_fixture_cert_clear(&c);
	mailcert_policy_free(p);
}
END_TEST

/* ---- the CA/B validity calendar -------------------------------------- */

/* Days 1773532800 (2026-03-15), 1805068800 (2027-03-15), 1868227200 (2029-03-15). */
static const struct cabf_case {
	long long not_before;
	double days; /* validity */
	int too_long;
	const char *rule;
} cabf_cases[] = {
    {1773532800LL - DAY, 398, 0, NULL},
    {1773532800LL - DAY, 398.01, 1, "the 398 days the CA/Browser Forum's Baseline Requirements "
				    "allow a certificate issued before 2026-03-15 (ballot SC-081)"},
    {1773532800LL, 200, 0, NULL},
    {1773532800LL, 201, 1, "the 200 days the CA/Browser Forum's Baseline Requirements allow a "
			   "certificate issued from 2026-03-15 (ballot SC-081)"},
    {1805068800LL, 100, 0, NULL},
    {1805068800LL, 100.5, 1, "the 100 days the CA/Browser Forum's Baseline Requirements allow a "
			     "certificate issued from 2027-03-15 (ballot SC-081)"},
    {1868227200LL - 1, 100, 0, NULL},
    {1868227200LL, 47, 0, NULL},
    {1868227200LL, 48, 1, "the 47 days the CA/Browser Forum's Baseline Requirements allow a "
			  "certificate issued from 2029-03-15 (ballot SC-081)"},
};

START_TEST(test_cabf)
{
	const struct cabf_case *k = &cabf_cases[_i];
	static const char *const dns[] = {"mail.test", NULL};
	/* RFC 5280's inclusive end: @days of validity end a second before. */
	const struct mc_fixture_cert_spec spec = {
	    .cn = "mail.test",
	    .dns = dns,
	    .issuer = &ev_inter,
	    .not_before = (time_t)k->not_before,
	    .not_after = (time_t)(k->not_before + (long long)(k->days * DAY) - 1)};
	mailcert_policy *p = ev_policy();
	struct mc_fixture_cert c;
	mailcert_report *r;

	ev_make(&c, &spec);
	/* A private CA: not judged unless asked for. */
	r = judge(&c, NULL, p, (time_t)k->not_before + DAY);
	ck_assert_ptr_null(ev_message(r, "cert.validity-too-long"));
	mailcert_report_free(r);
	ck_assert_int_eq(mailcert_policy_set_max_validity(p, "cabf", NULL, 0), 0);
	r = judge(&c, NULL, p, (time_t)k->not_before + DAY);
	if (!k->too_long) {
		ck_assert_ptr_null(ev_message(r, "cert.validity-too-long"));
	} else {
		ck_assert_int_eq(ev_severity(r, "cert.validity-too-long"), MAILCERT_WARNING);
		ck_assert_contains(ev_message(r, "cert.validity-too-long"), k->rule);
		ck_assert_contains(ev_message(r, "cert.validity-too-long"), "leaf CN=mail.test is valid for");
	}
	mailcert_report_free(r);
	mc_fixture_cert_clear(&c);
	mailcert_policy_free(p);
}
END_TEST

START_TEST(test_max_validity_days)
{
	mailcert_policy *p = ev_policy();
	struct mc_fixture_cert c;
	mailcert_report *r;
	char err[256];

	leaf(&c, -10, 80);
	/* notBefore + 90 days: 90 days and the second of its inclusive end. */
	ck_assert_int_eq(mailcert_policy_set_max_validity(p, "91", NULL, 0), 0);
	r = judge(&c, NULL, p, NOW);
	ck_assert_codes(r, "", MAILCERT_OK);
	mailcert_report_free(r);
	ck_assert_int_eq(mailcert_policy_set_max_validity(p, "90", NULL, 0), 0);
	r = judge(&c, NULL, p, NOW);
	ck_assert_codes(r, "cert.validity-too-long ", MAILCERT_WARNING);
	ck_assert_str_eq(ev_message(r, "cert.validity-too-long"),
			 "leaf CN=mail.test is valid for 90 days and 1 second from 2026-11-18 "
			 "10:00 UTC, more than the 90 days of --max-validity");
	mailcert_report_free(r);
	ck_assert_int_eq(mailcert_policy_set_max_validity(p, "off", NULL, 0), 0);
	r = judge(&c, NULL, p, NOW);
	ck_assert_codes(r, "", MAILCERT_OK);
	mailcert_report_free(r);
	ck_assert_int_eq(mailcert_policy_set_max_validity(p, "0", err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_str_eq(err, "\"0\" is not a validity: give the most days a certificate may be "
			      "valid for (1 to 3650), cabf (the CA/Browser Forum's calendar) or off");
	ck_assert_int_eq(mailcert_policy_set_max_validity(p, "90d", NULL, 0), MAILCERT_E_INVALID);
	mc_fixture_cert_clear(&c);
	mailcert_policy_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lifetime");
	TCase *tc = tcase_create("lifetime");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, ev_pki_setup, ev_pki_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_45_days);
	tcase_add_test(tc, test_6_days);
	tcase_add_test(tc, test_explicit_wins);
	tcase_add_test(tc, test_renewal_point);
	tcase_add_test(tc, test_cert_id);
	tcase_add_loop_test(tc, test_ari_parse, 0, sizeof(ari_cases) / sizeof(ari_cases[0]));
	tcase_add_test(tc, test_ari_directory);
	tcase_add_test(tc, test_ari_findings);
	tcase_add_test(tc, test_renewal_with_ari);
	tcase_add_loop_test(tc, test_cabf, 0, sizeof(cabf_cases) / sizeof(cabf_cases[0]));
	tcase_add_test(tc, test_max_validity_days);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
