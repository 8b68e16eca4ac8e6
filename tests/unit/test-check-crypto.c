/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The crypto family (checks/crypto.c): crypto.weak-key, crypto.weak-signature
 * and tls.version, table-driven over certificates made here. Only the
 * findings of this family are compared exactly (other families may add
 * theirs, e.g. trust.untrusted for a SHA-1 chain); each row also says
 * what the first of them must say and which certificate it names.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture/fixture.h"
#include "model/internal.h"

#define DAY 86400LL
#define NOW ((time_t)1795860000) /* 2026-11-28 10:00:00 UTC */
#define P384 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1)

static char ca_path[] = "/tmp/test-check-crypto-ca-XXXXXX";
static const char *const mail_dns[] = {"mail.test", NULL};

/* Made once, before the tests fork. */
static struct mc_fixture_cert root, inter, inter384, root_sha1, inter_under_sha1_root, inter_sha1,
    inter_rsa1024, root_rsa1024, inter_under_rsa1024_root;
static struct mc_fixture_cert leaf_ec256, leaf_ec384, leaf_rsa1024, leaf_rsa2048, leaf_md5,
    leaf_under_sha1_inter, leaf_under_sha1_root, leaf_under_rsa1024_inter, leaf_under_rsa1024_root,
    self_rsa1024_sha1;

static void make(struct mc_fixture_cert *c, struct mc_fixture_cert_spec spec)
{
	int rc;

	spec.not_before = NOW - 30 * DAY;
	spec.not_after = NOW + (spec.is_ca ? 3000 : 80) * DAY;
	if (!spec.is_ca)
		spec.dns = mail_dns;
	rc = mc_fixture_cert_make(c, &spec);
	ck_assert_msg(rc == 0, "%s: %s", spec.cn, gnutls_strerror(rc));
}

static void pki_setup(void)
{
	int fd = mkstemp(ca_path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	make(&root, (struct mc_fixture_cert_spec){.cn = "Test Root", .is_ca = 1});
	make(&inter, (struct mc_fixture_cert_spec){.cn = "Test CA", .is_ca = 1, .issuer = &root});
	make(&inter384, (struct mc_fixture_cert_spec){.cn = "P-384 CA",
						      .is_ca = 1,
						      .issuer = &root,
						      .pk = GNUTLS_PK_ECDSA,
						      .bits = P384});
	make(&root_sha1,
	     (struct mc_fixture_cert_spec){.cn = "SHA1 Root", .is_ca = 1, .hash = GNUTLS_DIG_SHA1});
	make(&inter_under_sha1_root, (struct mc_fixture_cert_spec){.cn = "Under SHA1 Root",
								   .is_ca = 1,
								   .issuer = &root_sha1});
	make(&inter_sha1,
	     (struct mc_fixture_cert_spec){
		 .cn = "SHA1 CA", .is_ca = 1, .issuer = &root, .hash = GNUTLS_DIG_SHA1});
	make(&inter_rsa1024,
	     (struct mc_fixture_cert_spec){
		 .cn = "Small CA", .is_ca = 1, .issuer = &root, .pk = GNUTLS_PK_RSA, .bits = 1024});
	make(&root_rsa1024, (struct mc_fixture_cert_spec){
				.cn = "Small Root", .is_ca = 1, .pk = GNUTLS_PK_RSA, .bits = 1024});
	make(&inter_under_rsa1024_root, (struct mc_fixture_cert_spec){.cn = "Under Small Root",
								      .is_ca = 1,
								      .issuer = &root_rsa1024});

	make(&leaf_ec256, (struct mc_fixture_cert_spec){.cn = "mail.test", .issuer = &inter});
	make(&leaf_ec384,
	     (struct mc_fixture_cert_spec){
		 .cn = "mail.test", .issuer = &inter384, .pk = GNUTLS_PK_ECDSA, .bits = P384});
	make(&leaf_rsa1024,
	     (struct mc_fixture_cert_spec){
		 .cn = "mail.test", .issuer = &inter, .pk = GNUTLS_PK_RSA, .bits = 1024});
	make(&leaf_rsa2048,
	     (struct mc_fixture_cert_spec){
		 .cn = "mail.test", .issuer = &inter, .pk = GNUTLS_PK_RSA, .bits = 2048});
	make(&leaf_md5, (struct mc_fixture_cert_spec){
			    .cn = "mail.test", .issuer = &inter_rsa1024, .hash = GNUTLS_DIG_MD5});
	make(&leaf_under_sha1_inter,
	     (struct mc_fixture_cert_spec){.cn = "mail.test", .issuer = &inter_sha1});
	make(&leaf_under_sha1_root,
	     (struct mc_fixture_cert_spec){.cn = "mail.test", .issuer = &inter_under_sha1_root});
	make(&leaf_under_rsa1024_inter,
	     (struct mc_fixture_cert_spec){.cn = "mail.test", .issuer = &inter_rsa1024});
	make(&leaf_under_rsa1024_root,
	     (struct mc_fixture_cert_spec){.cn = "mail.test", .issuer = &inter_under_rsa1024_root});
	make(&self_rsa1024_sha1,
	     (struct mc_fixture_cert_spec){
		 .cn = "mail.test", .pk = GNUTLS_PK_RSA, .bits = 1024, .hash = GNUTLS_DIG_SHA1});
	ck_assert_int_eq(mc_fixture_cert_append_pem(&root, ca_path), 0);
	ck_assert_int_eq(mc_fixture_cert_append_pem(&root_sha1, ca_path), 0);
	ck_assert_int_eq(mc_fixture_cert_append_pem(&root_rsa1024, ca_path), 0);
}

static void pki_teardown(void)
{
	struct mc_fixture_cert *all[] = {&root,
					 &inter,
					 &inter384,
					 &root_sha1,
					 &inter_under_sha1_root,
					 &inter_sha1,
					 &inter_rsa1024,
					 &root_rsa1024,
					 &inter_under_rsa1024_root,
					 &leaf_ec256,
					 &leaf_ec384,
					 &leaf_rsa1024,
					 &leaf_rsa2048,
					 &leaf_md5,
					 &leaf_under_sha1_inter,
					 &leaf_under_sha1_root,
					 &leaf_under_rsa1024_inter,
					 &leaf_under_rsa1024_root,
					 &self_rsa1024_sha1};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		mc_fixture_cert_clear(all[i]);
	unlink(ca_path);
}

struct row {
	const char *name;
	const struct mc_fixture_cert *chain[4]; /* as sent, NULL terminated */
	const char *key_bits[2];                /* --min-key-bits specs, or NULL */
	const char *min_tls;                    /* --min-tls, or NULL */
	int allow_self_signed;
	const char *tls;   /* negotiated version in the observation, or NULL */
	const char *codes; /* crypto.* and tls.* findings, "code/SEVERITY/cert …" */
	const char *says;  /* in the first such finding's message, or NULL */
	const char *says2; /* and this too, or NULL */
};

static const struct row rows[] = {
    {"EC P-256 leaf, defaults", {&leaf_ec256, &inter}, .tls = "TLS1.3", .codes = ""},
    {"RSA 2048 leaf, defaults", {&leaf_rsa2048, &inter}, .tls = "TLS1.2", .codes = ""},
    {
	"RSA 1024 leaf",
	{&leaf_rsa1024, &inter},
	.tls = "TLS1.3",
	.codes = "crypto.weak-key/CRITICAL/0",
	.says = "leaf CN=mail.test has a 1024-bit key (RSA-1024), below the minimum of 2048 bits "
		"for RSA and DSA keys (--min-key-bits 2048); reissue the certificate",
    },
    {"RSA 2048 leaf, --min-key-bits 3072",
     {&leaf_rsa2048, &inter},
     {"3072"},
     .codes = "crypto.weak-key/CRITICAL/0",
     .says = "has a 2048-bit key (RSA-2048), below the minimum of 3072 bits"},
    {"RSA 1024 leaf, --min-key-bits rsa:1024", {&leaf_rsa1024, &inter}, {"rsa:1024"}, .codes = ""},
    {"RSA minimum leaves EC alone", {&leaf_ec256, &inter}, {"4096"}, .codes = ""},
    {"EC P-256 leaf and CA, --min-key-bits ec:384",
     {&leaf_ec256, &inter},
     {"ec:384"},
     .codes = "crypto.weak-key/CRITICAL/0 crypto.weak-key/CRITICAL/1",
     .says = "leaf CN=mail.test has a 256-bit key (EC-P256), below the minimum of 384 bits for "
	     "elliptic-curve keys (--min-key-bits ec:384)"},
    {"EC P-384 leaf and CA, --min-key-bits ec:384",
     {&leaf_ec384, &inter384},
     {"ec:384", "3072"},
     .codes = ""},
    {"EC minimum leaves RSA alone (leaf sent alone)", {&leaf_rsa2048}, {"EC:521"}, .codes = ""},
    {"P-256 CA under --min-key-bits ec:384",
     {&leaf_ec384, &inter},
     {"ec:384"},
     .codes = "crypto.weak-key/CRITICAL/1",
     .says = "intermediate CN=Test CA has a 256-bit key (EC-P256), below the minimum of 384 bits"},
    {"RSA 1024 intermediate",
     {&leaf_under_rsa1024_inter, &inter_rsa1024},
     .codes = "crypto.weak-key/CRITICAL/1",
     .says = "intermediate CN=Small CA has a 1024-bit key (RSA-1024)",
     .says2 = "install the current chain from your CA"},
    {"RSA 1024 root sent along is a trust anchor",
     {&leaf_under_rsa1024_root, &inter_under_rsa1024_root, &root_rsa1024},
     .codes = ""},
    {"RSA 1024 self-signed leaf: still the server's key",
     {&self_rsa1024_sha1},
     .allow_self_signed = 1,
     .codes = "crypto.weak-key/CRITICAL/0",
     .says = "RSA-1024"},
    {"SHA-1 intermediate",
     {&leaf_under_sha1_inter, &inter_sha1},
     .codes = "crypto.weak-signature/CRITICAL/1",
     .says = "intermediate CN=SHA1 CA is signed with SHA1 (ECDSA-SHA1), which can be forged",
     .says2 = "install the current chain from your CA"},
    {"SHA-1 self-signed root sent along",
     {&leaf_under_sha1_root, &inter_under_sha1_root, &root_sha1},
     .codes = ""},
    {"SHA-1 self-signed root not sent",
     {&leaf_under_sha1_root, &inter_under_sha1_root},
     .codes = ""},
    {"MD5 leaf under an RSA 1024 CA",
     {&leaf_md5, &inter_rsa1024},
     .codes = "crypto.weak-key/CRITICAL/1 crypto.weak-signature/CRITICAL/0",
     .says = "intermediate CN=Small CA has a 1024-bit key"},
    {"MD5 leaf, key judged first, then the signature",
     {&leaf_md5, &inter_rsa1024},
     {"rsa:1024"},
     .codes = "crypto.weak-signature/CRITICAL/0",
     .says = "leaf CN=mail.test is signed with MD5 (RSA-MD5)",
     .says2 = "reissue the certificate (CAs sign with SHA-256)"},
    {"TLS 1.1 under the default minimum",
     {&leaf_ec256, &inter},
     .tls = "TLS1.1",
     .codes = "tls.version/WARNING/-1",
     .says = "the server negotiated TLS1.1, the newest version it accepts (mailcert offers up "
	     "to TLS 1.3), below the minimum TLS 1.2 (--min-tls)"},
    {"TLS 1.0 with --min-tls 1.0",
     {&leaf_ec256, &inter},
     .min_tls = "1.0",
     .tls = "TLS1.0",
     .codes = ""},
    {"TLS 1.0 with --min-tls 1.1",
     {&leaf_ec256, &inter},
     .min_tls = "1.1",
     .tls = "TLS1.0",
     .codes = "tls.version/WARNING/-1",
     .says = "below the minimum TLS 1.1"},
    {"TLS 1.2 with --min-tls 1.3",
     {&leaf_ec256, &inter},
     .min_tls = "TLSv1.3",
     .tls = "TLS1.2",
     .codes = "tls.version/WARNING/-1",
     .says = "negotiated TLS1.2",
     .says2 = "below the minimum TLS 1.3"},
    {"TLS 1.3 with --min-tls 1.3",
     {&leaf_ec256, &inter},
     .min_tls = "1.3",
     .tls = "TLS1.3",
     .codes = ""},
    {"SSL 3.0",
     {&leaf_ec256, &inter},
     .tls = "SSL3.0",
     .codes = "tls.version/WARNING/-1",
     .says = "negotiated SSL3.0"},
    {"no TLS version known (a file)", {&leaf_ec256, &inter}, .min_tls = "1.3", .codes = ""},
};

static mailcert_policy *row_policy(const struct row *row)
{
	mailcert_policy *p;
	char err[256];

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	ck_assert_msg(mailcert_policy_add_ca_file(p, ca_path, err, sizeof(err)) == 0, "%s", err);
	for (int i = 0; i < 2; i++)
		if (row->key_bits[i])
			ck_assert_msg(mailcert_policy_set_min_key_bits(p, row->key_bits[i], err,
								       sizeof(err)) == 0,
				      "%s", err);
	if (row->min_tls)
		ck_assert_msg(mailcert_policy_set_min_tls(p, row->min_tls, err, sizeof(err)) == 0,
			      "%s", err);
	mailcert_policy_set_allow_self_signed(p, row->allow_self_signed);
	return p;
}

static mailcert_observation *row_observation(const struct row *row)
{
	mailcert_observation *obs = mc_observation_new("smtp://mail.test:25", "mail.test");

	ck_assert_ptr_nonnull(obs);
	for (size_t i = 0; i < 4 && row->chain[i]; i++) {
		gnutls_datum_t der;

		ck_assert_int_eq(mc_fixture_cert_der(row->chain[i], &der), 0);
		ck_assert_int_eq(mc_observation_add_cert(obs, der.data, der.size), 0);
		gnutls_free(der.data);
	}
	if (row->tls)
		ck_assert_int_eq(mc_observation_set_tls(obs, row->tls, "TEST_CIPHER", NULL), 0);
	return obs;
}

static int ours(const char *code)
{
	return strncmp(code, "crypto.", 7) == 0 || strncmp(code, "tls.", 4) == 0;
}

START_TEST(test_table)
{
	const struct row *row = &rows[_i];
	mailcert_policy *p = row_policy(row);
	mailcert_observation *obs = row_observation(row);
	mailcert_report *r = NULL;
	const char *first = NULL;
	char got[512] = "", all[2048] = "";

	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	for (size_t i = 0; i < mailcert_report_finding_count(r); i++) {
		const mailcert_finding *f = mailcert_report_finding(r, i);
		const char *code = mailcert_finding_code(f);

		snprintf(all + strlen(all), sizeof(all) - strlen(all), "\n  %s: %s", code,
			 mailcert_finding_message(f));
		if (!ours(code))
			continue;
		if (!first)
			first = mailcert_finding_message(f);
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s/%s/%d",
			 got[0] ? " " : "", code, mailcert_state_name(mailcert_finding_severity(f)),
			 mailcert_finding_cert(f));
	}
	ck_assert_msg(strcmp(got, row->codes) == 0, "%s: want [%s], got [%s]; all findings:%s",
		      row->name, row->codes, got, all);
	if (row->says)
		ck_assert_msg(first && strstr(first, row->says), "%s: \"%s\" lacks \"%s\"",
			      row->name, first ? first : "(none)", row->says);
	if (row->says2)
		ck_assert_msg(first && strstr(first, row->says2), "%s: \"%s\" lacks \"%s\"",
			      row->name, first ? first : "(none)", row->says2);
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	mailcert_policy_free(p);
}
END_TEST

/* A SHA-1 intermediate also fails verification: the crypto finding says why, trust says so. */
START_TEST(test_sha1_intermediate_is_also_untrusted)
{
	const struct row *row = rows;
	mailcert_policy *p;
	mailcert_observation *obs;
	mailcert_report *r = NULL;
	int untrusted = 0;

	while (strcmp(row->name, "SHA-1 intermediate") != 0)
		row++;
	p = row_policy(row);
	obs = row_observation(row);
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	for (size_t i = 0; i < mailcert_report_finding_count(r); i++)
		untrusted |= strcmp(mailcert_finding_code(mailcert_report_finding(r, i)),
				    "trust.untrusted") == 0;
	ck_assert(untrusted);
	ck_assert_int_eq(mailcert_report_state(r), MAILCERT_CRITICAL);
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	mailcert_policy_free(p);
}
END_TEST

START_TEST(test_setters)
{
	static const struct {
		const char *spec;
		int ok;
	} bits[] =
	    {
		{"2048", 1},
		{"rsa:3072", 1},
		{"RSA:1", 1},
		{"ec:384", 1},
		{"Ec:256", 1},
		{"16384", 1},
		{"16385", 0},
		{"0", 0},
		{"", 0},
		{"abc", 0},
		{"-5", 0},
		{"+5", 0},
		{" 5", 0},
		{"2048x", 0},
		{"rsa:", 0},
		{"ec:", 0},
		{"ec:x", 0},
		{"dsa:2048", 0},
		{"99999999999999999999", 0},
	    },
	  tls[] = {
	      {"1.0", 1}, {"1.1", 1}, {"1.2", 1}, {"1.3", 1},    {"TLS1.2", 1}, {"tlsv1.3", 1},
	      {"1.4", 0}, {"1", 0},   {"", 0},    {"SSL3.0", 0}, {"1.2 ", 0},   {"tls", 0},
	  };
	mailcert_policy *p;
	char err[256];

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		err[0] = '\0';
		ck_assert_msg((mailcert_policy_set_min_key_bits(p, bits[i].spec, err,
								sizeof(err)) == 0) == bits[i].ok,
			      "--min-key-bits \"%s\"", bits[i].spec);
		if (!bits[i].ok) {
			ck_assert_msg(strstr(err, "is not a key size: use N or rsa:N (RSA and DSA "
						  "bits) or ec:N (curve bits), N from 1 to 16384"),
				      "%s", err);
			ck_assert_msg(strncmp(err + 1, bits[i].spec, strlen(bits[i].spec)) == 0,
				      "%s", err);
		}
	}
	ck_assert_uint_eq(p->min_rsa_bits, 16384);
	ck_assert_uint_eq(p->min_ec_bits, 256);
	for (size_t i = 0; i < sizeof(tls) / sizeof(tls[0]); i++) {
		err[0] = '\0';
		ck_assert_msg((mailcert_policy_set_min_tls(p, tls[i].spec, err, sizeof(err)) ==
			       0) == tls[i].ok,
			      "--min-tls \"%s\"", tls[i].spec);
		if (!tls[i].ok) {
			char want[128];

			snprintf(want, sizeof(want),
				 "\"%s\" is not a TLS version: use 1.0, 1.1, 1.2 or 1.3",
				 tls[i].spec);
			ck_assert_str_eq(err, want);
		}
	}
	ck_assert_int_eq(p->min_tls, 13);
	ck_assert_int_eq(mailcert_policy_set_min_tls(NULL, "1.2", err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_set_min_key_bits(NULL, "2048", err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_set_min_key_bits(p, NULL, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	mailcert_policy_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("check-crypto");
	TCase *tc = tcase_create("crypto");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_sha1_intermediate_is_also_untrusted);
	tcase_add_test(tc, test_setters);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
