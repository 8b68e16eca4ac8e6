/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mailcert_probe_set_key_type() against the fixture SMTP server (GnuTLS),
 * serving one ECDSA or one RSA chain: the restricted handshake gets the
 * certificate of its type, labels the target, and a type the server does
 * not have becomes tls.key-type-absent (OK when evaluated), never a bare
 * handshake failure.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture/fixture.h"
#include "model/internal.h"

#define DAY 86400

static struct mc_fixture_cert root, ec_leaf, rsa_leaf;
static struct mc_fixture_smtpd *ec_server, *rsa_server;
static unsigned ec_port, rsa_port;

static void setup(void)
{
	static const char *const dns[] = {"mail.test", NULL};
	time_t now = time(NULL);
	const struct mc_fixture_cert_spec root_spec = {
	    .cn = "Key Root", .is_ca = 1, .not_before = now - DAY, .not_after = now + 365 * DAY};
	struct mc_fixture_cert_spec leaf_spec = {.cn = "mail.test",
						 .dns = dns,
						 .issuer = &root,
						 .not_before = now - DAY,
						 .not_after = now + 90 * DAY};
	const struct mc_fixture_cert *ec_chain[] = {&ec_leaf, &root};
	const struct mc_fixture_cert *rsa_chain[] = {&rsa_leaf, &root};

	ck_assert_int_eq(mc_fixture_cert_make(&root, &root_spec), 0);
	ck_assert_int_eq(mc_fixture_cert_make(&ec_leaf, &leaf_spec), 0);
	leaf_spec.pk = GNUTLS_PK_RSA;
	ck_assert_int_eq(mc_fixture_cert_make(&rsa_leaf, &leaf_spec), 0);
	ck_assert_int_eq(mc_fixture_smtpd_start(&ec_server, &ec_port, ec_chain, 2, &ec_leaf), 0);
	ck_assert_int_eq(mc_fixture_smtpd_start(&rsa_server, &rsa_port, rsa_chain, 2, &rsa_leaf),
			 0);
}

static void teardown(void)
{
	mc_fixture_smtpd_stop(ec_server);
	mc_fixture_smtpd_stop(rsa_server);
	mc_fixture_cert_clear(&ec_leaf);
	mc_fixture_cert_clear(&rsa_leaf);
	mc_fixture_cert_clear(&root);
}

static mailcert_observation *probe(unsigned port, mailcert_key_type type)
{
	mailcert_target *t;
	mailcert_probe *p;
	mailcert_observation *obs = NULL;
	char url[64];

	snprintf(url, sizeof(url), "smtp://mail.test:%u", port);
	ck_assert_int_eq(mailcert_target_parse(&t, url, NULL, NULL, 0), 0);
	ck_assert_int_eq(mailcert_probe_new(&p, t), 0);
	ck_assert_int_eq(mailcert_probe_set_connect_to(p, "127.0.0.1"), 0);
	ck_assert_int_eq(mailcert_probe_set_timeout_ms(p, 5000), 0);
	ck_assert_int_eq(mailcert_probe_set_key_type(p, type), 0);
	ck_assert_int_eq(mailcert_probe_run(p, &obs), 0);
	mailcert_probe_free(p);
	mailcert_target_free(t);
	return obs;
}

/* The leaf's key algorithm, as GnuTLS names it. */
static const char *leaf_pk(const mailcert_observation *obs)
{
	const unsigned char *der;
	size_t len;
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	int pk;

	ck_assert_int_eq(mailcert_observation_cert_der(obs, 0, &der, &len), 0);
	d.data = (unsigned char *)der;
	d.size = (unsigned)len;
	ck_assert_int_ge(gnutls_x509_crt_init(&crt), 0);
	ck_assert_int_ge(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER), 0);
	pk = gnutls_x509_crt_get_pk_algorithm(crt, NULL);
	gnutls_x509_crt_deinit(crt);
	return gnutls_pk_get_name((gnutls_pk_algorithm_t)pk);
}

static const struct {
	const char *name;
	int rsa_server; /* else the ECDSA one */
	mailcert_key_type type;
	const char *key_type; /* mailcert_observation_key_type() */
	const char *pk;     /* leaf key, or NULL when absent */
	const char *says;   /* in the absence message */
} cases[] = {
    {"ECDSA server, any", 0, MAILCERT_KEY_ANY, NULL, "EC/ECDSA", NULL},
    {"ECDSA server, ECDSA", 0, MAILCERT_KEY_ECDSA, "ECDSA", "EC/ECDSA", NULL},
    {"ECDSA server, RSA", 0, MAILCERT_KEY_RSA, "RSA", NULL,
     "the server has no RSA certificate: offered only RSA signature algorithms, it failed the "
     "handshake (TLS handshake failed: "},
    {"RSA server, any", 1, MAILCERT_KEY_ANY, NULL, "RSA", NULL},
    {"RSA server, RSA", 1, MAILCERT_KEY_RSA, "RSA", "RSA", NULL},
    {"RSA server, ECDSA", 1, MAILCERT_KEY_ECDSA, "ECDSA", NULL,
     "without that restriction it serves a certificate with key type RSA"},
};

START_TEST(test_key_type)
{
	unsigned port = cases[_i].rsa_server ? rsa_port : ec_port;
	mailcert_observation *obs = probe(port, cases[_i].type);
	mailcert_policy *policy;
	mailcert_report *report;
	const char *code, *msg;
	char want[128];

	snprintf(want, sizeof(want), "smtp://mail.test:%u", port);
	ck_assert_str_eq(mailcert_observation_target(obs), want);
	if (cases[_i].key_type)
		ck_assert_str_eq(mailcert_observation_key_type(obs), cases[_i].key_type);
	else
		ck_assert_ptr_null(mailcert_observation_key_type(obs));
	code = mailcert_observation_failure(obs, &msg);
	if (cases[_i].pk) {
		ck_assert_msg(code == NULL, "%s: %s: %s", cases[_i].name, code, msg);
		ck_assert_uint_eq(mailcert_observation_chain_length(obs), 2);
		ck_assert_str_eq(leaf_pk(obs), cases[_i].pk);
		ck_assert_str_eq(mailcert_observation_tls_version(obs), "TLS1.3");
	} else {
		ck_assert_msg(code && strcmp(code, "tls.key-type-absent") == 0, "%s: %s: %s",
			      cases[_i].name, code ? code : "(none)", code ? msg : "");
		ck_assert_msg(strstr(msg, cases[_i].says), "%s: \"%s\"", cases[_i].name, msg);
		ck_assert_uint_eq(mailcert_observation_chain_length(obs), 0);
		/* Evaluated, it is a note: the state stays OK. */
		ck_assert_int_eq(mailcert_policy_new(&policy), 0);
		ck_assert_int_eq(mailcert_evaluate(&report, obs, policy, time(NULL)), 0);
		ck_assert_int_eq(mailcert_report_state(report), MAILCERT_OK);
		ck_assert_uint_eq(mailcert_report_finding_count(report), 1);
		ck_assert_str_eq(mailcert_finding_code(mailcert_report_finding(report, 0)),
				 "tls.key-type-absent");
		ck_assert_int_eq(mailcert_finding_severity(mailcert_report_finding(report, 0)),
				 MAILCERT_OK);
		mailcert_report_free(report);
		mailcert_policy_free(policy);
	}
	mailcert_observation_free(obs);
}
END_TEST

/* A failure before TLS is not second-guessed: no retry, no absence. */
START_TEST(test_refused_stays_refused)
{
	mailcert_observation *obs = probe(1, MAILCERT_KEY_RSA);

	ck_assert_str_eq(mailcert_observation_failure(obs, NULL), "connect.refused");
	mailcert_observation_free(obs);
}
END_TEST

START_TEST(test_bad_arguments)
{
	mailcert_target *t;
	mailcert_probe *p;

	ck_assert_int_eq(mailcert_target_parse(&t, "smtp://mail.test", NULL, NULL, 0), 0);
	ck_assert_int_eq(mailcert_probe_new(&p, t), 0);
	ck_assert_int_eq(mailcert_probe_set_key_type(p, (mailcert_key_type)3), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_probe_set_key_type(p, (mailcert_key_type)-1), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_probe_set_key_type(NULL, MAILCERT_KEY_RSA), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_probe_set_key_type(p, MAILCERT_KEY_ECDSA), 0);
	ck_assert_int_eq(mailcert_probe_set_key_type(p, MAILCERT_KEY_ANY), 0);
	mailcert_probe_free(p);
	mailcert_target_free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("probe-key-type");
	TCase *tc = tcase_create("key-type");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_key_type, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_refused_stays_refused);
	tcase_add_test(tc, test_bad_arguments);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	/*
	 * The servers are threads of this process, started once: a test
	 * forked from it could inherit a lock one of them held (seen once
	 * under ASan, a probe that never returned). No fork.
	 */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
