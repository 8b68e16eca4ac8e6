/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The evaluator against certificates made here: a test root, an
 * intermediate and leaves with dates relative to a pinned `now`, so every
 * state, finding code and message is exact and does not age.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture/fixture.h"
#include "model/internal.h"

#define DAY 86400LL
#define NOW ((time_t)1795860000) /* 2026-11-28 10:00:00 UTC */

/* Made once per test case, before the tests fork. */
static struct mc_fixture_cert root, inter;
static char ca_path[] = "/tmp/test-evaluate-ca-XXXXXX";

static const char *const mail_dns[] = {"mail.test", "www.mail.test", NULL};
static const char *const mail_ips[] = {"192.0.2.25", "2001:db8::25", NULL};

static void make(struct mc_fixture_cert *c, const struct mc_fixture_cert_spec *spec)
{
	int rc = mc_fixture_cert_make(c, spec);

	ck_assert_msg(rc == 0, "%s: %s", spec->cn, gnutls_strerror(rc));
}

static void pki_setup(void)
{
	const struct mc_fixture_cert_spec root_spec = {.cn = "Test Root",
						       .is_ca = 1,
						       .not_before = NOW - 365 * DAY,
						       .not_after = NOW + 3650 * DAY};
	const struct mc_fixture_cert_spec inter_spec = {.cn = "Test Intermediate",
							.is_ca = 1,
							.issuer = &root,
							.not_before = NOW - 365 * DAY,
							.not_after = NOW + 1000 * DAY};
	int fd = mkstemp(ca_path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	make(&root, &root_spec);
	make(&inter, &inter_spec);
	ck_assert_int_eq(mc_fixture_cert_append_pem(&root, ca_path), 0);
}

static void pki_teardown(void)
{
	mc_fixture_cert_clear(&inter);
	mc_fixture_cert_clear(&root);
	unlink(ca_path);
}

/* A leaf for mail.test (DNS and IP SANs) valid from @from to @to days from NOW. */
static void make_leaf(struct mc_fixture_cert *c, const struct mc_fixture_cert *issuer, double from,
		      double to)
{
	const struct mc_fixture_cert_spec spec = {.cn = "mail.test",
						  .dns = mail_dns,
						  .ips = mail_ips,
						  .issuer = issuer,
						  .not_before = NOW + (time_t)(from * DAY),
						  .not_after = NOW + (time_t)(to * DAY)};

	make(c, &spec);
}

/* What a probe of smtp://@host would have seen: @n certificates, in the order given. */
static mailcert_observation *observe(const char *host, const struct mc_fixture_cert *const *chain,
				     size_t n)
{
	char target[256];
	mailcert_observation *obs;

	snprintf(target, sizeof(target), "smtp://%s:25", host);
	obs = mc_observation_new(target, host);
	ck_assert_ptr_nonnull(obs);
	for (size_t i = 0; i < n; i++) {
		gnutls_datum_t der;

		ck_assert_int_eq(mc_fixture_cert_der(chain[i], &der), 0);
		ck_assert_int_eq(mc_observation_add_cert(obs, der.data, der.size), 0);
		gnutls_free(der.data);
	}
	return obs;
}

/* A policy trusting only the test root, with optional thresholds. */
static mailcert_policy *test_policy(const char *warning, const char *critical)
{
	mailcert_policy *p;
	char err[256];

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	ck_assert_msg(mailcert_policy_add_ca_file(p, ca_path, err, sizeof(err)) == 0, "%s", err);
	if (warning)
		ck_assert_msg(mailcert_policy_set_threshold(p, 0, warning, err, sizeof(err)) == 0,
			      "%s", err);
	if (critical)
		ck_assert_msg(mailcert_policy_set_threshold(p, 1, critical, err, sizeof(err)) == 0,
			      "%s", err);
	return p;
}

static mailcert_report *evaluate(const mailcert_observation *obs, const mailcert_policy *p,
				 time_t now)
{
	mailcert_report *r = NULL;

	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, now), 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(mailcert_report_now(r), now);
	return r;
}

/* Evaluates @chain as sent by @host under @p at @now; frees the observation. */
static mailcert_report *check(const char *host, const struct mc_fixture_cert *const *chain,
			      size_t n, const mailcert_policy *p, time_t now)
{
	mailcert_observation *obs = observe(host, chain, n);
	mailcert_report *r = evaluate(obs, p, now);

	mailcert_observation_free(obs); /* the report keeps what it needs */
	return r;
}

/* Asserts the state and the exact list of finding codes (NULL terminated). */
static void expect(const mailcert_report *r, mailcert_state state, ...)
{
	char want[512] = "", got[512] = "";
	const char *code;
	va_list ap;

	va_start(ap, state);
	while ((code = va_arg(ap, const char *)))
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s ", code);
	va_end(ap);
	for (size_t i = 0; i < mailcert_report_finding_count(r); i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s ",
			 mailcert_finding_code(mailcert_report_finding(r, i)));
	ck_assert_msg(strcmp(want, got) == 0, "findings: want [%s], got [%s]; first message: %s",
		      want, got,
		      mailcert_report_finding_count(r)
			  ? mailcert_finding_message(mailcert_report_finding(r, 0))
			  : "-");
	ck_assert_str_eq(mailcert_state_name(mailcert_report_state(r)), mailcert_state_name(state));
}

static const char *message(const mailcert_report *r, size_t i)
{
	ck_assert_uint_gt(mailcert_report_finding_count(r), i);
	return mailcert_finding_message(mailcert_report_finding(r, i));
}

#define ck_assert_contains(hay, needle)                                                            \
	ck_assert_msg(strstr((hay), (needle)), "\"%s\"\n  does not contain \"%s\"", (hay), (needle))

static void free_all(mailcert_report *r, mailcert_policy *p, struct mc_fixture_cert *leaf)
{
	mailcert_report_free(r);
	mailcert_policy_free(p);
	mc_fixture_cert_clear(leaf);
}

START_TEST(test_good)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_leaf(&leaf, &inter, -10, 80);
	r = check("mail.test", chain, 2, p, NOW);
	expect(r, MAILCERT_OK, NULL);
	ck_assert_str_eq(mailcert_report_matched_name(r), "mail.test");
	ck_assert_uint_eq(mailcert_report_cert_count(r), 2);
	ck_assert_ptr_null(mailcert_report_cert(r, 2));
	free_all(r, p, &leaf);
}
END_TEST

START_TEST(test_cert_info)
{
	static const char *const dns[] = {"mail.test", NULL};
	const struct mc_fixture_cert_spec spec = {.cn = "mail.test",
						  .dns = dns,
						  .ips = mail_ips,
						  .issuer = &inter,
						  .serial = 0x81c0ffee,
						  .not_before = NOW - 10 * DAY,
						  .not_after = NOW + 80 * DAY};
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	const mailcert_cert_info *info;
	unsigned char sha[32];
	size_t sha_len = sizeof(sha);
	char sha_hex[65];
	mailcert_report *r;

	make(&leaf, &spec);
	r = check("mail.test", chain, 2, p, NOW);
	expect(r, MAILCERT_OK, NULL);
	info = mailcert_report_cert(r, 0);
	ck_assert_str_eq(info->subject, "CN=mail.test");
	ck_assert_str_eq(info->issuer, "CN=Test Intermediate");
	/* High bit set: DER adds a 00 sign byte, which is not part of the serial. */
	ck_assert_str_eq(info->serial, "81c0ffee");
	ck_assert_int_eq(
	    gnutls_x509_crt_get_fingerprint(leaf.crt, GNUTLS_DIG_SHA256, sha, &sha_len), 0);
	mc_hex(sha_hex, sha, sha_len);
	ck_assert_uint_eq(strlen(info->sha256), 64);
	ck_assert_str_eq(info->sha256, sha_hex);
	ck_assert_str_eq(info->key, "EC-P256");
	ck_assert_str_eq(info->signature, "ECDSA-SHA256");
	ck_assert_str_eq(info->san[0], "mail.test");
	ck_assert_str_eq(info->san[1], "192.0.2.25");
	ck_assert_str_eq(info->san[2], "2001:db8::25");
	ck_assert_ptr_null(info->san[3]);
	ck_assert_int_eq(info->not_before, NOW - 10 * DAY);
	ck_assert_int_eq(info->not_after, NOW + 80 * DAY);
	ck_assert_int_eq(info->remaining_s, 80 * DAY);
	ck_assert_int_eq(info->warning_s, 30 * DAY);
	ck_assert_int_eq(info->critical_s, 15 * DAY);
	info = mailcert_report_cert(r, 1);
	ck_assert_str_eq(info->subject, "CN=Test Intermediate");
	ck_assert_str_eq(info->issuer, "CN=Test Root");
	ck_assert_ptr_null(info->san[0]);
	ck_assert_int_eq(info->remaining_s, 1000 * DAY);
	free_all(r, p, &leaf);
}
END_TEST

/* RSA keys and signatures are named like ECDSA ones; Ed25519 too. */
START_TEST(test_key_and_signature_names)
{
	static const struct {
		gnutls_pk_algorithm_t pk;
		unsigned bits;
		const char *key, *signature;
	} cases[] = {{GNUTLS_PK_RSA, 0, "RSA-2048", "RSA-SHA256"},
		     {GNUTLS_PK_ECDSA, 384, "EC-P384", "ECDSA-SHA256"},
		     {GNUTLS_PK_EDDSA_ED25519, 0, "Ed25519", "Ed25519"}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mc_fixture_cert_spec spec = {.cn = "mail.test",
							  .dns = mail_dns,
							  .pk = cases[i].pk,
							  .bits = cases[i].bits,
							  .not_before = NOW - DAY,
							  .not_after = NOW + 80 * DAY};
		struct mc_fixture_cert leaf;
		const struct mc_fixture_cert *chain[] = {&leaf};
		mailcert_policy *p = test_policy(NULL, NULL);
		mailcert_report *r;

		make(&leaf, &spec);
		mailcert_policy_set_allow_self_signed(p, 1);
		r = check("mail.test", chain, 1, p, NOW);
		expect(r, MAILCERT_OK, NULL);
		ck_assert_str_eq(mailcert_report_cert(r, 0)->key, cases[i].key);
		ck_assert_str_eq(mailcert_report_cert(r, 0)->signature, cases[i].signature);
		free_all(r, p, &leaf);
	}
}
END_TEST

START_TEST(test_expiring_warning)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_leaf(&leaf, &inter, -70, 20);
	r = check("mail.test", chain, 2, p, NOW);
	expect(r, MAILCERT_WARNING, "cert.expiring", NULL);
	ck_assert_str_eq(message(r, 0),
			 "leaf CN=mail.test expires in 20 days (2026-12-18 10:00 UTC), "
			 "under the warning threshold of 30 days");
	ck_assert_int_eq(mailcert_finding_cert(mailcert_report_finding(r, 0)), 0);
	ck_assert_int_eq(mailcert_finding_severity(mailcert_report_finding(r, 0)),
			 MAILCERT_WARNING);
	free_all(r, p, &leaf);
}
END_TEST

START_TEST(test_expiring_critical)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_leaf(&leaf, &inter, -80, 10.5);
	r = check("mail.test", chain, 2, p, NOW);
	expect(r, MAILCERT_CRITICAL, "cert.expiring", NULL);
	ck_assert_str_eq(message(r, 0),
			 "leaf CN=mail.test expires in 10 days (2026-12-08 22:00 UTC), "
			 "under the critical threshold of 15 days");
	free_all(r, p, &leaf);
}
END_TEST

/* Thresholds in hours and seconds are named in the unit they were given in. */
START_TEST(test_expiring_hours)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy("36h", "900s");
	mailcert_report *r;

	make_leaf(&leaf, &inter, -80, 1);
	r = check("mail.test", chain, 2, p, NOW);
	expect(r, MAILCERT_WARNING, "cert.expiring", NULL);
	ck_assert_contains(message(r, 0), "expires in 1 day (2026-11-29 10:00 UTC), under the "
					  "warning threshold of 36 hours");
	mailcert_report_free(r);
	r = check("mail.test", chain, 2, p, NOW + DAY - 600);
	expect(r, MAILCERT_CRITICAL, "cert.expiring", NULL);
	ck_assert_contains(message(r, 0), "expires in 10 minutes (2026-11-29 10:00 UTC), under the "
					  "critical threshold of 15 minutes");
	free_all(r, p, &leaf);
}
END_TEST

START_TEST(test_expired_leaf)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_leaf(&leaf, &inter, -92, -2);
	r = check("mail.test", chain, 2, p, NOW);
	/* Trust and names still pass: GnuTLS's own clock is not consulted. */
	expect(r, MAILCERT_CRITICAL, "cert.expired", NULL);
	ck_assert_str_eq(message(r, 0),
			 "leaf CN=mail.test expired 2 days ago (2026-11-26 10:00 UTC)");
	ck_assert_int_eq(mailcert_report_cert(r, 0)->remaining_s, -2 * DAY);
	ck_assert_str_eq(mailcert_report_matched_name(r), "mail.test");
	free_all(r, p, &leaf);
}
END_TEST

START_TEST(test_not_yet_valid)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_leaf(&leaf, &inter, 3, 93);
	r = check("mail.test", chain, 2, p, NOW);
	expect(r, MAILCERT_CRITICAL, "cert.not-yet-valid", NULL);
	ck_assert_str_eq(message(r, 0),
			 "leaf CN=mail.test is not valid until 2026-12-01 10:00 UTC "
			 "(in 3 days); check the clocks of the server and of the CA");
	free_all(r, p, &leaf);
}
END_TEST

/* RFC 5280: both ends of the validity period are inside it. */
START_TEST(test_validity_boundaries)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy("0", "0");
	mailcert_report *r;

	make_leaf(&leaf, &inter, 0, 90);
	r = check("mail.test", chain, 2, p, NOW);
	expect(r, MAILCERT_OK, NULL);
	mailcert_report_free(r);
	r = check("mail.test", chain, 2, p, NOW - 1);
	expect(r, MAILCERT_CRITICAL, "cert.not-yet-valid", NULL);
	ck_assert_contains(message(r, 0), "(in 1 second)");
	mailcert_report_free(r);
	r = check("mail.test", chain, 2, p, NOW + 90 * DAY);
	expect(r, MAILCERT_OK, NULL);
	mailcert_report_free(r);
	r = check("mail.test", chain, 2, p, NOW + 90 * DAY + 1);
	expect(r, MAILCERT_CRITICAL, "cert.expired", NULL);
	ck_assert_contains(message(r, 0), "expired 1 second ago");
	free_all(r, p, &leaf);
}
END_TEST

static void make_self_signed(struct mc_fixture_cert *c)
{
	const struct mc_fixture_cert_spec spec = {.cn = "mail.test",
						  .dns = mail_dns,
						  .not_before = NOW - DAY,
						  .not_after = NOW + 365 * DAY};

	make(c, &spec);
}

START_TEST(test_self_signed_rejected)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_self_signed(&leaf);
	r = check("mail.test", chain, 1, p, NOW);
	expect(r, MAILCERT_CRITICAL, "trust.self-signed", NULL);
	ck_assert_str_eq(message(r, 0),
			 "leaf CN=mail.test is self-signed; use a certificate from a "
			 "CA, or accept it with --allow-self-signed");
	ck_assert_str_eq(mailcert_report_matched_name(r), "mail.test");
	free_all(r, p, &leaf);
}
END_TEST

START_TEST(test_self_signed_allowed)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_self_signed(&leaf);
	ck_assert_int_eq(mailcert_policy_set_allow_self_signed(p, 1), 0);
	r = check("mail.test", chain, 1, p, NOW);
	expect(r, MAILCERT_OK, NULL);
	mailcert_report_free(r);
	/* Accepting self-signed leaves does not hide their other problems. */
	r = check("other.test", chain, 1, p, NOW + 366 * DAY);
	expect(r, MAILCERT_CRITICAL, "cert.expired", "name.mismatch", NULL);
	free_all(r, p, &leaf);
}
END_TEST

/* A self-signed certificate given as a CA is pinned: it is trusted as is. */
START_TEST(test_self_signed_pinned)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf};
	char pin_path[] = "/tmp/test-evaluate-pin-XXXXXX";
	mailcert_policy *p;
	mailcert_report *r;
	int fd = mkstemp(pin_path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	make_self_signed(&leaf);
	ck_assert_int_eq(mc_fixture_cert_append_pem(&leaf, pin_path), 0);
	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	ck_assert_int_eq(mailcert_policy_add_ca_file(p, pin_path, NULL, 0), 0);
	r = check("mail.test", chain, 1, p, NOW);
	expect(r, MAILCERT_OK, NULL);
	unlink(pin_path);
	free_all(r, p, &leaf);
}
END_TEST

START_TEST(test_wrong_name)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_leaf(&leaf, &inter, -10, 80);
	r = check("mx.example.org", chain, 2, p, NOW);
	expect(r, MAILCERT_CRITICAL, "name.mismatch", NULL);
	ck_assert_str_eq(message(r, 0),
			 "leaf CN=mail.test is not valid for \"mx.example.org\"; its names are "
			 "\"mail.test\", \"www.mail.test\", \"192.0.2.25\", \"2001:db8::25\"; "
			 "reissue it with the right name, or check the name you connect to");
	ck_assert_ptr_null(mailcert_report_matched_name(r));
	free_all(r, p, &leaf);
}
END_TEST

/* -n names replace the target host; any one of them is enough, the first match is reported. */
START_TEST(test_policy_names)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	/* Every name given must be covered: one finding per name that is not. */
	make_leaf(&leaf, &inter, -10, 80);
	ck_assert_int_eq(mailcert_policy_add_name(p, "a.example"), 0);
	ck_assert_int_eq(mailcert_policy_add_name(p, "mail.test"), 0);
	ck_assert_int_eq(mailcert_policy_add_name(p, "b.example"), 0);
	r = check("mail.test", chain, 2, p, NOW);
	expect(r, MAILCERT_CRITICAL, "name.mismatch", "name.mismatch", NULL);
	ck_assert_contains(message(r, 0), "is not valid for \"a.example\";");
	ck_assert_contains(message(r, 1), "is not valid for \"b.example\";");
	mailcert_report_free(r);
	mailcert_policy_free(p);
	/* The target host is not expected once names are given; case does not matter. */
	p = test_policy(NULL, NULL);
	ck_assert_int_eq(mailcert_policy_add_name(p, "WWW.Mail.Test"), 0);
	ck_assert_int_eq(mailcert_policy_add_name(p, "mail.test"), 0);
	r = check("unrelated.example", chain, 2, p, NOW);
	expect(r, MAILCERT_OK, NULL);
	ck_assert_str_eq(mailcert_report_matched_name(r), "WWW.Mail.Test, mail.test");
	free_all(r, p, &leaf);
}
END_TEST

START_TEST(test_bad_policy_names)
{
	mailcert_policy *p;

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	ck_assert_int_eq(mailcert_policy_add_name(p, ""), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_add_name(p, "two words"), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_add_name(p, "x\r\n"), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_add_name(p, NULL), MAILCERT_E_INVALID);
	ck_assert_uint_eq(p->names_len, 0);
	mailcert_policy_free(p);
	mailcert_policy_free(NULL);
}
END_TEST

START_TEST(test_ip_san)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_leaf(&leaf, &inter, -10, 80);
	r = check("192.0.2.25", chain, 2, p, NOW);
	expect(r, MAILCERT_OK, NULL);
	ck_assert_str_eq(mailcert_report_matched_name(r), "192.0.2.25");
	mailcert_report_free(r);
	r = check("2001:db8:0::25", chain, 2, p, NOW);
	expect(r, MAILCERT_OK, NULL);
	mailcert_report_free(r);
	r = check("192.0.2.26", chain, 2, p, NOW);
	expect(r, MAILCERT_CRITICAL, "name.mismatch", NULL);
	free_all(r, p, &leaf);
}
END_TEST

/* RFC 6125 section 6.4.3: "*" stands for exactly one whole left-most label. */
START_TEST(test_wildcard)
{
	static const char *const dns[] = {"*.mail.test", NULL};
	const struct mc_fixture_cert_spec spec = {.cn = "*.mail.test",
						  .dns = dns,
						  .issuer = &inter,
						  .not_before = NOW - DAY,
						  .not_after = NOW + 80 * DAY};
	static const struct {
		const char *host;
		int match;
	} cases[] = {{"a.mail.test", 1},
		     {"IMAP.MAIL.TEST", 1},
		     {"b.a.mail.test", 0},
		     {"mail.test", 0},
		     {"a.mail.test.evil", 0}};
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);

	make(&leaf, &spec);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mailcert_report *r = check(cases[i].host, chain, 2, p, NOW);

		ck_assert_msg((mailcert_report_matched_name(r) != NULL) == cases[i].match, "%s",
			      cases[i].host);
		mailcert_report_free(r);
	}
	mailcert_policy_free(p);
	mc_fixture_cert_clear(&leaf);
}
END_TEST

/* RFC 6125 section 6.4.4: the CN counts only when there is no DNS name in the SANs. */
START_TEST(test_cn_fallback)
{
	static const char *const dns[] = {"san.test", NULL};
	const struct mc_fixture_cert_spec with_san = {.cn = "cn.test",
						      .dns = dns,
						      .issuer = &inter,
						      .not_before = NOW - DAY,
						      .not_after = NOW + 80 * DAY};
	const struct mc_fixture_cert_spec cn_only = {.cn = "cn.test",
						     .issuer = &inter,
						     .not_before = NOW - DAY,
						     .not_after = NOW + 80 * DAY};
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make(&leaf, &with_san);
	r = check("cn.test", chain, 2, p, NOW);
	expect(r, MAILCERT_CRITICAL, "name.mismatch", NULL);
	mailcert_report_free(r);
	mc_fixture_cert_clear(&leaf);

	make(&leaf, &cn_only);
	r = check("cn.test", chain, 2, p, NOW);
	expect(r, MAILCERT_OK, NULL);
	mailcert_report_free(r);
	r = check("other.test", chain, 2, p, NOW);
	expect(r, MAILCERT_CRITICAL, "name.mismatch", NULL);
	ck_assert_contains(message(r, 0), "; it has no DNS or IP subject alternative name;");
	free_all(r, p, &leaf);
}
END_TEST

/* Long SAN lists are cut in messages; the report keeps them all. */
START_TEST(test_many_sans)
{
	static const char *const dns[] = {"a.test", "b.test", "c.test", "d.test",
					  "e.test", "f.test", "g.test", NULL};
	const struct mc_fixture_cert_spec spec = {.cn = "a.test",
						  .dns = dns,
						  .issuer = &inter,
						  .not_before = NOW - DAY,
						  .not_after = NOW + 80 * DAY};
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make(&leaf, &spec);
	r = check("z.test", chain, 2, p, NOW);
	expect(r, MAILCERT_CRITICAL, "name.mismatch", NULL);
	ck_assert_contains(message(r, 0), "its names are \"a.test\", \"b.test\", \"c.test\", "
					  "\"d.test\", \"e.test\" and 2 more;");
	ck_assert_str_eq(mailcert_report_cert(r, 0)->san[6], "g.test");
	free_all(r, p, &leaf);
}
END_TEST

START_TEST(test_missing_intermediate)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_leaf(&leaf, &inter, -10, 80);
	r = check("mail.test", chain, 1, p, NOW);
	expect(r, MAILCERT_CRITICAL, "chain.incomplete", NULL);
	ck_assert_str_eq(
	    message(r, 0),
	    "the server did not send the issuer of leaf CN=mail.test "
	    "(CN=Test Intermediate) and the trust store does not have it; serve the "
	    "full chain (e.g. fullchain.pem), or trust that CA with --ca-file if it is "
	    "your own");
	ck_assert_int_eq(mailcert_finding_cert(mailcert_report_finding(r, 0)), 0);
	free_all(r, p, &leaf);
}
END_TEST

/*
 * The chain is followed by issuer, not by position: an unordered chain
 * still verifies, and only the order and the root sent are warned about.
 */
START_TEST(test_unordered_chain)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &root, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_leaf(&leaf, &inter, -10, 80);
	r = check("mail.test", chain, 3, p, NOW);
	expect(r, MAILCERT_WARNING, "chain.order", "chain.root-included", NULL);
	free_all(r, p, &leaf);
}
END_TEST

START_TEST(test_expired_intermediate)
{
	const struct mc_fixture_cert_spec old_spec = {.cn = "Old Intermediate",
						      .is_ca = 1,
						      .issuer = &root,
						      .not_before = NOW - 400 * DAY,
						      .not_after = NOW - DAY};
	struct mc_fixture_cert old, leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &old};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make(&old, &old_spec);
	make_leaf(&leaf, &old, -10, 80);
	r = check("mail.test", chain, 2, p, NOW);
	expect(r, MAILCERT_CRITICAL, "cert.expired", NULL);
	ck_assert_str_eq(message(r, 0), "intermediate CN=Old Intermediate expired 1 day ago "
					"(2026-11-27 10:00 UTC)");
	ck_assert_int_eq(mailcert_finding_cert(mailcert_report_finding(r, 0)), 1);
	free_all(r, p, &leaf);
	mc_fixture_cert_clear(&old);
}
END_TEST

/* An intermediate that expires before the leaf is found on its own element. */
START_TEST(test_intermediate_expires_first)
{
	const struct mc_fixture_cert_spec short_spec = {.cn = "Short Intermediate",
							.is_ca = 1,
							.issuer = &root,
							.not_before = NOW - 400 * DAY,
							.not_after = NOW + 10 * DAY};
	struct mc_fixture_cert shortlived, leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &shortlived};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make(&shortlived, &short_spec);
	make_leaf(&leaf, &shortlived, -10, 80);
	r = check("mail.test", chain, 2, p, NOW);
	expect(r, MAILCERT_CRITICAL, "cert.expiring", NULL);
	ck_assert_str_eq(message(r, 0), "intermediate CN=Short Intermediate expires in 10 days "
					"(2026-12-08 10:00 UTC), under the critical threshold of "
					"15 days");
	ck_assert_int_eq(mailcert_finding_cert(mailcert_report_finding(r, 0)), 1);
	free_all(r, p, &leaf);
	mc_fixture_cert_clear(&shortlived);
}
END_TEST

/* A root that the store does not have, sent by the server or not. */
START_TEST(test_untrusted_root)
{
	struct mc_fixture_cert rogue, rogue_inter, leaf;
	const struct mc_fixture_cert_spec rogue_spec = {
	    .cn = "Rogue Root", .is_ca = 1, .not_before = NOW - DAY, .not_after = NOW + 900 * DAY};
	const struct mc_fixture_cert_spec rogue_inter_spec = {.cn = "Rogue Intermediate",
							      .is_ca = 1,
							      .issuer = &rogue,
							      .not_before = NOW - DAY,
							      .not_after = NOW + 800 * DAY};
	const struct mc_fixture_cert *sent_root[] = {&leaf, &rogue_inter, &rogue};
	const struct mc_fixture_cert *no_root[] = {&leaf, &rogue_inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make(&rogue, &rogue_spec);
	make(&rogue_inter, &rogue_inter_spec);
	make_leaf(&leaf, &rogue_inter, -10, 80);

	r = check("mail.test", sent_root, 3, p, NOW);
	expect(r, MAILCERT_CRITICAL, "trust.untrusted", "chain.root-included", NULL);
	ck_assert_str_eq(message(r, 0),
			 "the chain ends at root CN=Rogue Root, which the trust store "
			 "does not have; if it is your own CA, trust it with --ca-file");
	ck_assert_int_eq(mailcert_finding_cert(mailcert_report_finding(r, 0)), 2);
	mailcert_report_free(r);

	/* Without the root (as servers should send it), the chain is complete:
	 * what is missing is trust in its root, named by the intermediate. */
	r = check("mail.test", no_root, 2, p, NOW);
	expect(r, MAILCERT_CRITICAL, "trust.untrusted", NULL);
	ck_assert_str_eq(message(r, 0),
			 "the chain ends at intermediate CN=Rogue Intermediate, issued by "
			 "CN=Rogue Root, which the trust store does not have; if it is your own "
			 "CA, trust it with --ca-file");
	ck_assert_int_eq(mailcert_finding_cert(mailcert_report_finding(r, 0)), 1);
	free_all(r, p, &leaf);
	mc_fixture_cert_clear(&rogue_inter);
	mc_fixture_cert_clear(&rogue);
}
END_TEST

/* A leaf whose signature was damaged on the way still parses, but does not verify. */
START_TEST(test_bad_signature)
{
	struct mc_fixture_cert leaf;
	gnutls_datum_t der, inter_der;
	mailcert_observation *obs = mc_observation_new("smtp://mail.test:25", "mail.test");
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_leaf(&leaf, &inter, -10, 80);
	ck_assert_int_eq(mc_fixture_cert_der(&leaf, &der), 0);
	ck_assert_int_eq(mc_fixture_cert_der(&inter, &inter_der), 0);
	der.data[der.size - 1] ^= 0x01; /* the last byte of the signature */
	ck_assert_int_eq(mc_observation_add_cert(obs, der.data, der.size), 0);
	ck_assert_int_eq(mc_observation_add_cert(obs, inter_der.data, inter_der.size), 0);
	gnutls_free(der.data);
	gnutls_free(inter_der.data);
	r = evaluate(obs, p, NOW);
	expect(r, MAILCERT_CRITICAL, "trust.untrusted", NULL);
	ck_assert_str_eq(message(r, 0),
			 "leaf CN=mail.test is not trusted: a signature in the chain "
			 "does not verify");
	mailcert_observation_free(obs);
	free_all(r, p, &leaf);
}
END_TEST

START_TEST(test_percent_threshold)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy("25%", "20%");
	mailcert_report *r;

	/* 20 days left of 90: 22% of the lifetime. */
	make_leaf(&leaf, &inter, -70, 20);
	r = check("mail.test", chain, 2, p, NOW);
	expect(r, MAILCERT_WARNING, "cert.expiring", NULL);
	ck_assert_str_eq(message(r, 0),
			 "leaf CN=mail.test expires in 20 days (2026-12-18 10:00 UTC), "
			 "under the warning threshold of 25% of its lifetime (22 days)");
	ck_assert_int_eq(mailcert_report_cert(r, 0)->warning_s, 22 * DAY + DAY / 2);
	ck_assert_int_eq(mailcert_report_cert(r, 0)->critical_s, 18 * DAY);
	/* Each certificate's own lifetime: 20% of the intermediate's 1365 days. */
	ck_assert_int_eq(mailcert_report_cert(r, 1)->critical_s, 273 * DAY);
	mailcert_report_free(r);
	mailcert_policy_free(p);

	p = test_policy("50%", "22.5%");
	r = check("mail.test", chain, 2, p, NOW);
	expect(r, MAILCERT_CRITICAL, "cert.expiring", NULL);
	ck_assert_contains(message(r, 0), "under the critical threshold of 22.5% of its lifetime");
	free_all(r, p, &leaf);
}
END_TEST

/*
 * Boundaries: a finding starts one second under a threshold, never at it;
 * short-lived certificates (1 hour, and the 6-day kind) judged in percent.
 */
START_TEST(test_threshold_boundaries)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	/* The defaults, 30 and 15 days: exactly 30 days left is still OK. */
	make_leaf(&leaf, &inter, -60, 30);
	r = check("mail.test", chain, 2, p, NOW);
	expect(r, MAILCERT_OK, NULL);
	mailcert_report_free(r);
	r = check("mail.test", chain, 2, p, NOW + 1);
	expect(r, MAILCERT_WARNING, "cert.expiring", NULL);
	mailcert_report_free(r);
	r = check("mail.test", chain, 2, p, NOW + 15 * DAY);
	expect(r, MAILCERT_WARNING, "cert.expiring", NULL);
	mailcert_report_free(r);
	r = check("mail.test", chain, 2, p, NOW + 15 * DAY + 1);
	expect(r, MAILCERT_CRITICAL, "cert.expiring", NULL);
	mailcert_report_free(r);
	mc_fixture_cert_clear(&leaf);

	/* Valid for one hour: the defaults follow the lifetime, a third (1200 s)
	 * and a sixth (600 s) of it, rather than fire from the start. */
	make_leaf(&leaf, &inter, 0, 1.0 / 24);
	r = check("mail.test", chain, 2, p, NOW + 600);
	expect(r, MAILCERT_OK, NULL);
	mailcert_report_free(r);
	r = check("mail.test", chain, 2, p, NOW + 3600 - 1199);
	expect(r, MAILCERT_WARNING, "cert.expiring", NULL);
	ck_assert_contains(message(r, 0),
			   "expires in 19 minutes (2026-11-28 11:00 UTC), under the warning "
			   "threshold of 20 minutes (1/3 of a 1-hour lifetime)");
	mailcert_report_free(r);
	r = check("mail.test", chain, 2, p, NOW + 3600 - 599);
	expect(r, MAILCERT_CRITICAL, "cert.expiring", NULL);
	mailcert_report_free(r);
	mailcert_policy_free(p);
	/* Percentages are still there for those who want other shares: 33% of
	 * an hour is 1188 s, 10% is 360 s. */
	p = test_policy("33%", "10%");
	r = check("mail.test", chain, 2, p, NOW + 600);
	expect(r, MAILCERT_OK, NULL);
	mailcert_report_free(r);
	r = check("mail.test", chain, 2, p, NOW + 3600 - 1188);
	expect(r, MAILCERT_OK, NULL);
	mailcert_report_free(r);
	r = check("mail.test", chain, 2, p, NOW + 3600 - 1187);
	expect(r, MAILCERT_WARNING, "cert.expiring", NULL);
	mailcert_report_free(r);
	r = check("mail.test", chain, 2, p, NOW + 3600 - 359);
	expect(r, MAILCERT_CRITICAL, "cert.expiring", NULL);
	mailcert_report_free(r);
	mc_fixture_cert_clear(&leaf);

	/* A 6-day certificate: 33% is 171072 s (1.98 days). */
	make_leaf(&leaf, &inter, 0, 6);
	r = check("mail.test", chain, 2, p, NOW + 4 * DAY);
	expect(r, MAILCERT_OK, NULL);
	mailcert_report_free(r);
	r = check("mail.test", chain, 2, p, NOW + 6 * DAY - 171072);
	expect(r, MAILCERT_OK, NULL);
	mailcert_report_free(r);
	r = check("mail.test", chain, 2, p, NOW + 6 * DAY - 171071);
	expect(r, MAILCERT_WARNING, "cert.expiring", NULL);
	ck_assert_contains(message(r, 0), "under the warning threshold of 33% of its lifetime");
	free_all(r, p, &leaf);
}
END_TEST

START_TEST(test_nagios_range)
{
	static const struct {
		const char *warning, *critical;
		mailcert_state state;
		const char *why;
	} cases[] = {
	    {"@10:25", "0", MAILCERT_WARNING, "inside the warning range @10d:25d"},
	    {"10:19", "0", MAILCERT_WARNING, "outside the warning range 10d:19d"},
	    {"~:480h", "0", MAILCERT_OK, NULL},
	    {"~:479h", "0", MAILCERT_WARNING, "outside the warning range ~:479h"},
	    {"0", "30:", MAILCERT_CRITICAL, "under the critical threshold of 30 days"},
	    {"0", "21:", MAILCERT_CRITICAL, "under the critical threshold of 21 days"},
	    {"0", "20:", MAILCERT_OK, NULL},
	    {"0", "@20:", MAILCERT_CRITICAL, "inside the critical range @20d:"},
	    {"30", "@~:1", MAILCERT_WARNING, "under the warning threshold of 30 days"},
	};
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf};
	const struct mc_fixture_cert_spec spec = {.cn = "mail.test",
						  .dns = mail_dns,
						  .issuer = &root,
						  .not_before = NOW - 70 * DAY,
						  .not_after = NOW + 20 * DAY};

	make(&leaf, &spec);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mailcert_policy *p = test_policy(cases[i].warning, cases[i].critical);
		mailcert_report *r = check("mail.test", chain, 1, p, NOW);

		if (cases[i].why) {
			expect(r, cases[i].state, "cert.expiring", NULL);
			ck_assert_contains(message(r, 0), cases[i].why);
		} else {
			expect(r, MAILCERT_OK, NULL);
		}
		mailcert_report_free(r);
		mailcert_policy_free(p);
	}
	mc_fixture_cert_clear(&leaf);
}
END_TEST

/* --at: the same observation judged later. */
START_TEST(test_evaluate_at_later_time)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_observation *obs;
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_leaf(&leaf, &inter, -10, 80);
	obs = observe("mail.test", chain, 2);
	r = evaluate(obs, p, NOW);
	expect(r, MAILCERT_OK, NULL);
	mailcert_report_free(r);
	r = evaluate(obs, p, NOW + 60 * DAY);
	expect(r, MAILCERT_WARNING, "cert.expiring", NULL);
	ck_assert_contains(message(r, 0), "expires in 20 days");
	ck_assert_int_eq(mailcert_report_cert(r, 0)->remaining_s, 20 * DAY);
	mailcert_report_free(r);
	r = evaluate(obs, p, NOW + 70 * DAY);
	expect(r, MAILCERT_CRITICAL, "cert.expiring", NULL);
	mailcert_report_free(r);
	r = evaluate(obs, p, NOW + 81 * DAY);
	expect(r, MAILCERT_CRITICAL, "cert.expired", NULL);
	ck_assert_contains(message(r, 0), "expired 1 day ago (2027-02-16 10:00 UTC)");
	mailcert_observation_free(obs);
	free_all(r, p, &leaf);
}
END_TEST

/* A self-signed leaf is recognised by its signature, not by its names alone. */
START_TEST(test_forged_self_signed)
{
	struct mc_fixture_cert leaf;
	gnutls_datum_t der;
	mailcert_observation *obs = mc_observation_new("smtp://mail.test:25", "mail.test");
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_self_signed(&leaf);
	ck_assert_int_eq(mc_fixture_cert_der(&leaf, &der), 0);
	der.data[der.size - 1] ^= 0x01;
	ck_assert_int_eq(mc_observation_add_cert(obs, der.data, der.size), 0);
	gnutls_free(der.data);
	ck_assert_int_eq(mailcert_policy_set_allow_self_signed(p, 1), 0);
	r = evaluate(obs, p, NOW);
	expect(r, MAILCERT_CRITICAL, "trust.untrusted", NULL);
	ck_assert_str_eq(message(r, 0), "leaf CN=mail.test names itself as its issuer, but its "
					"signature does not verify with its own key");
	mailcert_observation_free(obs);
	free_all(r, p, &leaf);
}
END_TEST

/* A certificate that is not a CA cannot issue others (RFC 5280 section 4.2.1.9). */
START_TEST(test_issuer_not_ca)
{
	static const char *const dns[] = {"fake-ca.test", NULL};
	const struct mc_fixture_cert_spec fake_spec = {.cn = "Not A CA",
						       .dns = dns,
						       .issuer = &inter,
						       .not_before = NOW - DAY,
						       .not_after = NOW + 80 * DAY};
	struct mc_fixture_cert fake, leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &fake, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make(&fake, &fake_spec);
	make_leaf(&leaf, &fake, -10, 80);
	r = check("mail.test", chain, 3, p, NOW);
	expect(r, MAILCERT_CRITICAL, "trust.untrusted", NULL);
	ck_assert_str_eq(message(r, 0),
			 "leaf CN=mail.test is not trusted: a certificate is signed by "
			 "one that is not a CA; an issuer's key usage, path length or "
			 "name constraints forbid the chain");
	free_all(r, p, &leaf);
	mc_fixture_cert_clear(&fake);
}
END_TEST

/* Findings come in check order: validity, trust, names. */
START_TEST(test_several_findings)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_self_signed(&leaf);
	r = check("other.test", chain, 1, p, NOW + 400 * DAY);
	expect(r, MAILCERT_CRITICAL, "cert.expired", "trust.self-signed", "name.mismatch", NULL);
	free_all(r, p, &leaf);
}
END_TEST

START_TEST(test_failure_observation)
{
	mailcert_observation *obs = mc_observation_new("smtp://mail.test:25", "mail.test");
	mailcert_policy *p = test_policy(NULL, NULL);
	const mailcert_finding *f;
	mailcert_report *r;

	mc_observation_fail(obs, "connect.refused", "connection to %s refused", "192.0.2.25:25");
	r = evaluate(obs, p, NOW);
	expect(r, MAILCERT_CRITICAL, "connect.refused", NULL);
	f = mailcert_report_finding(r, 0);
	ck_assert_str_eq(mailcert_finding_message(f), "connection to 192.0.2.25:25 refused");
	ck_assert_int_eq(mailcert_finding_cert(f), -1);
	ck_assert_uint_eq(mailcert_report_cert_count(r), 0);
	ck_assert_ptr_null(mailcert_report_matched_name(r));
	ck_assert_ptr_eq(mailcert_report_observation(r), obs);
	mailcert_observation_free(obs);
	mailcert_report_free(r);
	mailcert_policy_free(p);
}
END_TEST

START_TEST(test_malformed_der)
{
	static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	struct mc_fixture_cert leaf;
	gnutls_datum_t der;
	mailcert_observation *obs = mc_observation_new("smtp://mail.test:25", "mail.test");
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	ck_assert_int_eq(mc_observation_add_cert(obs, junk, sizeof(junk)), 0);
	r = evaluate(obs, p, NOW);
	expect(r, MAILCERT_CRITICAL, "cert.malformed", NULL);
	ck_assert_contains(message(r, 0), "the leaf certificate (1 of 1 sent) is not a valid X.509 "
					  "certificate: ");
	ck_assert_int_eq(mailcert_finding_cert(mailcert_report_finding(r, 0)), 0);
	ck_assert_uint_eq(mailcert_report_cert_count(r), 0);
	mailcert_report_free(r);
	mailcert_observation_free(obs);

	/* A good leaf followed by junk. */
	make_leaf(&leaf, &inter, -10, 80);
	obs = mc_observation_new("smtp://mail.test:25", "mail.test");
	ck_assert_int_eq(mc_fixture_cert_der(&leaf, &der), 0);
	ck_assert_int_eq(mc_observation_add_cert(obs, der.data, der.size), 0);
	ck_assert_int_eq(mc_observation_add_cert(obs, der.data, der.size / 2), 0);
	gnutls_free(der.data);
	r = evaluate(obs, p, NOW);
	expect(r, MAILCERT_CRITICAL, "cert.malformed", NULL);
	ck_assert_contains(message(r, 0), "a chain certificate (2 of 2 sent)");
	ck_assert_int_eq(mailcert_finding_cert(mailcert_report_finding(r, 0)), 1);
	mailcert_observation_free(obs);
	free_all(r, p, &leaf);
}
END_TEST

START_TEST(test_no_certificate)
{
	mailcert_observation *obs = mc_observation_new("smtp://mail.test:25", "mail.test");
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r = evaluate(obs, p, NOW);

	expect(r, MAILCERT_CRITICAL, "tls.handshake", NULL);
	mailcert_observation_free(obs);
	mailcert_report_free(r);
	mailcert_policy_free(p);
}
END_TEST

/* File mode has no host: names are then not checked unless given. */
START_TEST(test_no_host)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r;

	make_leaf(&leaf, &inter, -10, 80);
	r = check("", chain, 2, p, NOW);
	expect(r, MAILCERT_OK, NULL);
	ck_assert_ptr_null(mailcert_report_matched_name(r));
	free_all(r, p, &leaf);
}
END_TEST

START_TEST(test_bad_arguments)
{
	mailcert_observation *obs = mc_observation_new("smtp://mail.test:25", "mail.test");
	mailcert_policy *p = test_policy(NULL, NULL);
	mailcert_report *r = (mailcert_report *)1;

	ck_assert_int_eq(mailcert_evaluate(&r, NULL, p, NOW), MAILCERT_E_INVALID);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(mailcert_evaluate(&r, obs, NULL, NOW), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_evaluate(NULL, obs, p, NOW), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_new(NULL), MAILCERT_E_INVALID);
	mailcert_observation_free(obs);
	mailcert_policy_free(p);
}
END_TEST

/* ---- trust sources ------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_ca_file_errors)
{
	char dir[] = "/tmp/test-evaluate-dir-XXXXXX", path[128], err[512];
	mailcert_policy *p;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	snprintf(path, sizeof(path), "%s/missing.pem", dir);
	ck_assert_int_eq(mailcert_policy_add_ca_file(p, path, err, sizeof(err)), MAILCERT_E_IO);
	ck_assert_contains(err, "cannot read the CA file \"");
	ck_assert_contains(err, "/missing.pem\": No such file or directory");

	snprintf(path, sizeof(path), "%s/empty.pem", dir);
	write_file(path, "no certificates here\n");
	ck_assert_int_eq(mailcert_policy_add_ca_file(p, path, err, sizeof(err)), MAILCERT_E_IO);
	ck_assert_contains(err, "cannot load the CA file \"");
	ck_assert_contains(err, "/empty.pem\": it holds no PEM certificate");

	write_file(path, "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n");
	ck_assert_int_eq(mailcert_policy_add_ca_file(p, path, err, sizeof(err)), MAILCERT_E_IO);
	ck_assert_contains(err, "cannot load the CA file \"");
	ck_assert_contains(err, "/empty.pem\": Base64");
	unlink(path);

	ck_assert_int_eq(mailcert_policy_add_ca_file(p, dir, err, sizeof(err)), MAILCERT_E_IO);
	ck_assert_contains(err, "\": a directory, not a file");
	ck_assert_int_eq(mailcert_policy_add_ca_dir(p, ca_path, err, sizeof(err)), MAILCERT_E_IO);
	ck_assert_contains(err, "\": not a directory");

	ck_assert_int_eq(mailcert_policy_add_ca_dir(p, dir, err, sizeof(err)), MAILCERT_E_IO);
	ck_assert_contains(err, "cannot load the CA directory \"");
	ck_assert_contains(err, "\": it holds no PEM certificate");
	snprintf(path, sizeof(path), "%s/nowhere", dir);
	ck_assert_int_eq(mailcert_policy_add_ca_dir(p, path, err, sizeof(err)), MAILCERT_E_IO);
	ck_assert_contains(err, "cannot read the CA directory \"");
	ck_assert_int_eq(mailcert_policy_add_ca_file(p, NULL, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_add_ca_file(p, "/nonexistent", NULL, 0), MAILCERT_E_IO);
	mailcert_policy_free(p);
	rmdir(dir);
}
END_TEST

START_TEST(test_ca_dir)
{
	char dir[] = "/tmp/test-evaluate-dir-XXXXXX", path[128], err[512];
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p;
	mailcert_report *r;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/root.pem", dir);
	ck_assert_int_eq(mc_fixture_cert_append_pem(&root, path), 0);
	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	ck_assert_msg(mailcert_policy_add_ca_dir(p, dir, err, sizeof(err)) == 0, "%s", err);
	make_leaf(&leaf, &inter, -10, 80);
	r = check("mail.test", chain, 2, p, NOW);
	expect(r, MAILCERT_OK, NULL);
	unlink(path);
	rmdir(dir);
	free_all(r, p, &leaf);
}
END_TEST

/* Without a CA given, the system store is used: the test root is not in it. */
START_TEST(test_system_store_by_default)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_policy *p;
	mailcert_report *r;
	const char *code;

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	make_leaf(&leaf, &inter, -10, 80);
	r = check("mail.test", chain, 2, p, NOW);
	ck_assert_uint_eq(mailcert_report_finding_count(r), 1);
	code = mailcert_finding_code(mailcert_report_finding(r, 0));
	ck_assert_msg(strcmp(code, "chain.incomplete") == 0 || strcmp(code, "trust.untrusted") == 0,
		      "%s", code);
	free_all(r, p, &leaf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("evaluate");
	TCase *tc = tcase_create("evaluate");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_cert_info);
	tcase_add_test(tc, test_key_and_signature_names);
	tcase_add_test(tc, test_expiring_warning);
	tcase_add_test(tc, test_expiring_critical);
	tcase_add_test(tc, test_expiring_hours);
	tcase_add_test(tc, test_expired_leaf);
	tcase_add_test(tc, test_not_yet_valid);
	tcase_add_test(tc, test_validity_boundaries);
	tcase_add_test(tc, test_self_signed_rejected);
	tcase_add_test(tc, test_self_signed_allowed);
	tcase_add_test(tc, test_self_signed_pinned);
	tcase_add_test(tc, test_wrong_name);
	tcase_add_test(tc, test_policy_names);
	tcase_add_test(tc, test_bad_policy_names);
	tcase_add_test(tc, test_ip_san);
	tcase_add_test(tc, test_wildcard);
	tcase_add_test(tc, test_cn_fallback);
	tcase_add_test(tc, test_many_sans);
	tcase_add_test(tc, test_missing_intermediate);
	tcase_add_test(tc, test_unordered_chain);
	tcase_add_test(tc, test_expired_intermediate);
	tcase_add_test(tc, test_intermediate_expires_first);
	tcase_add_test(tc, test_untrusted_root);
	tcase_add_test(tc, test_bad_signature);
	tcase_add_test(tc, test_forged_self_signed);
	tcase_add_test(tc, test_issuer_not_ca);
	tcase_add_test(tc, test_percent_threshold);
	tcase_add_test(tc, test_threshold_boundaries);
	tcase_add_test(tc, test_nagios_range);
	tcase_add_test(tc, test_evaluate_at_later_time);
	tcase_add_test(tc, test_several_findings);
	tcase_add_test(tc, test_failure_observation);
	tcase_add_test(tc, test_malformed_der);
	tcase_add_test(tc, test_no_certificate);
	tcase_add_test(tc, test_no_host);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_ca_file_errors);
	tcase_add_test(tc, test_ca_dir);
	tcase_add_test(tc, test_system_store_by_default);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
