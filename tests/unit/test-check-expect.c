/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * checks/expect.c (--issuer, --subject, --serial, --pin) and severity.c
 * (--severity), against a leaf made here: each expectation met and not
 * met, each syntax accepted and refused, and overrides of findings of the
 * chain and of the network.
 */
#include <stdio.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include "../common/evaluation.h"

static struct mc_fixture_cert leaf;
static char spki_b64[64], spki_hex[65], cert_b64[64], cert_hex[65];

static void b64(char *out, size_t len, const unsigned char *digest)
{
	gnutls_datum_t in = {(unsigned char *)digest, 32}, enc;

	ck_assert_int_eq(gnutls_base64_encode2(&in, &enc), 0);
	snprintf(out, len, "%.*s", (int)enc.size, enc.data);
	gnutls_free(enc.data);
}

static void hex(char *out, const unsigned char *digest)
{
	for (size_t i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02X", digest[i]);
}

/* The leaf and its pins, computed here independently of expect.c. */
static void setup(void)
{
	static const char *const dns[] = {"mail.test", NULL};
	const struct mc_fixture_cert_spec spec = {.cn = "mail.test",
						  .dns = dns,
						  .issuer = &ev_inter,
						  .serial = 0x81c0ffee,
						  .not_before = NOW - 10 * DAY,
						  .not_after = NOW + 80 * DAY};
	unsigned char spki[32], cert[32];
	size_t len = sizeof(cert);
	gnutls_pubkey_t key;
	gnutls_datum_t der;

	ev_pki_setup();
	ev_make(&leaf, &spec);
	ck_assert_int_eq(gnutls_pubkey_init(&key), 0);
	ck_assert_int_eq(gnutls_pubkey_import_x509(key, leaf.crt, 0), 0);
	ck_assert_int_eq(gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &der), 0);
	ck_assert_int_eq(gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, spki), 0);
	gnutls_free(der.data);
	gnutls_pubkey_deinit(key);
	ck_assert_int_eq(gnutls_x509_crt_get_fingerprint(leaf.crt, GNUTLS_DIG_SHA256, cert, &len),
			 0);
	b64(spki_b64, sizeof(spki_b64), spki);
	b64(cert_b64, sizeof(cert_b64), cert);
	hex(spki_hex, spki);
	hex(cert_hex, cert);
}

static void teardown(void)
{
	mc_fixture_cert_clear(&leaf);
	ev_pki_teardown();
}

/* Pins named by what they are, resolved to the digests made in setup(). */
enum pin { NO_PIN, SPKI_B64, SPKI_HEX, CERT_B64, CERT_HEX, OTHER_PIN };

static void add_pin(mailcert_policy *p, enum pin which)
{
	char pin[128];
	const char *digest = which == SPKI_B64   ? spki_b64
			     : which == SPKI_HEX ? spki_hex
			     : which == CERT_B64 ? cert_b64
			     : which == CERT_HEX ? cert_hex
						 : "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

	snprintf(pin, sizeof(pin), "sha256:%s", digest);
	ck_assert_msg(mailcert_policy_add_pin(p, pin) == 0, "pin %s", pin);
}

static const struct expect_case {
	const char *name;
	const char *issuer, *subject, *serial;
	enum pin pins[2];
	const char *codes;
	const char *message; /* a part of the first finding's message, or NULL */
} expect_cases[] = {
    {"issuer: a part of the DN", "Test Intermediate", NULL, NULL, {NO_PIN}, "", NULL},
    {"issuer: anchored", "^CN=Test Int[a-z]+$", NULL, NULL, {NO_PIN}, "", NULL},
    {"issuer: another CA",
     "Let's Encrypt",
     NULL,
     NULL,
     {NO_PIN},
     "issuer.mismatch ",
     "the issuer of leaf CN=mail.test is \"CN=Test Intermediate\", which does not match "
     "--issuer \"Let's Encrypt\"; the server does not serve the certificate you expect"},
    {"issuer: case matters", "test intermediate", NULL, NULL, {NO_PIN}, "issuer.mismatch ", NULL},
    {"subject: matches", NULL, "mail\\.test$", NULL, {NO_PIN}, "", NULL},
    {"subject: another name",
     NULL,
     "^CN=www\\.",
     NULL,
     {NO_PIN},
     "subject.mismatch ",
     "the subject of leaf CN=mail.test is \"CN=mail.test\", which does not match --subject "
     "\"^CN=www\\\\.\""},
    {"serial: upper case", NULL, NULL, "81C0FFEE", {NO_PIN}, "", NULL},
    {"serial: 0x, leading zeros and colons", NULL, NULL, "0x00:81:c0:ff:ee", {NO_PIN}, "", NULL},
    {"serial: another number",
     NULL,
     NULL,
     "81c0ffef",
     {NO_PIN},
     "serial.mismatch ",
     "leaf CN=mail.test has serial number 81c0ffee, not 81c0ffef (--serial)"},
    {"serial: a prefix is not the number",
     NULL,
     NULL,
     "81c0ff",
     {NO_PIN},
     "serial.mismatch ",
     NULL},
    {"pin: SPKI in base64 (HPKP)", NULL, NULL, NULL, {SPKI_B64}, "", NULL},
    {"pin: SPKI in hex", NULL, NULL, NULL, {SPKI_HEX}, "", NULL},
    {"pin: certificate in hex", NULL, NULL, NULL, {CERT_HEX}, "", NULL},
    {"pin: certificate in base64", NULL, NULL, NULL, {CERT_B64}, "", NULL},
    {"pin: another key",
     NULL,
     NULL,
     NULL,
     {OTHER_PIN},
     "pin.mismatch ",
     "leaf CN=mail.test matches no --pin: its key is sha256:"},
    {"pin: a backup pin and the current one", NULL, NULL, NULL, {OTHER_PIN, SPKI_B64}, "", NULL},
    {"all four wrong: four findings",
     "Other CA",
     "other",
     "1",
     {OTHER_PIN},
     "issuer.mismatch subject.mismatch serial.mismatch pin.mismatch ",
     NULL},
};

START_TEST(test_expect)
{
	const struct expect_case *c = &expect_cases[_i];
	const struct mc_fixture_cert *chain[] = {&leaf, &ev_inter};
	mailcert_policy *p = ev_policy();
	mailcert_report *r;
	char err[256], got[1024];

	if (c->issuer)
		ck_assert_int_eq(mailcert_policy_set_issuer(p, c->issuer, err, sizeof(err)), 0);
	if (c->subject)
		ck_assert_int_eq(mailcert_policy_set_subject(p, c->subject, err, sizeof(err)), 0);
	if (c->serial)
		ck_assert_int_eq(mailcert_policy_set_serial(p, c->serial), 0);
	for (size_t i = 0; i < 2 && c->pins[i] != NO_PIN; i++)
		add_pin(p, c->pins[i]);
	r = ev_check("mail.test", chain, 2, p);
	ev_codes(got, sizeof(got), r);
	ck_assert_msg(strcmp(got, c->codes) == 0, "%s: want [%s], got [%s]", c->name, c->codes,
		      got);
	ck_assert_int_eq(mailcert_report_state(r), c->codes[0] ? MAILCERT_CRITICAL : MAILCERT_OK);
	if (c->message)
		ck_assert_contains(mailcert_finding_message(mailcert_report_finding(r, 0)),
				   c->message);
	mailcert_report_free(r);
	mailcert_policy_free(p);
}
END_TEST

/* The pin message gives the served key's pin in the form --pin takes. */
START_TEST(test_pin_message_names_the_served_pin)
{
	const struct mc_fixture_cert *chain[] = {&leaf, &ev_inter};
	mailcert_policy *p = ev_policy();
	mailcert_report *r;
	char want[128];

	add_pin(p, OTHER_PIN);
	r = ev_check("mail.test", chain, 2, p);
	snprintf(want, sizeof(want), "its key is sha256:%s, the certificate sha256:", spki_b64);
	ck_assert_contains(ev_message(r, "pin.mismatch"), want);
	mailcert_report_free(r);
	mailcert_policy_free(p);
}
END_TEST

static const struct syntax_case {
	int kind; /* 0 serial, 1 pin, 2 regex */
	const char *text;
	int ok;
} syntax_cases[] = {
    {0, "81c0ffee", 1},
    {0, "00", 1},
    {0, "0X1f", 1},
    {0, "ab:cd:ef", 1},
    {0, "", 0},
    {0, "0x", 0},
    {0, "xyz", 0},
    {0, "12 34", 0},
    {0, "-1", 0},
    {1, "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1},
    {1, "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1},
    {1, "sha256:00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF", 1},
    {1,
     "sha256:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:"
     "aa:bb:cc:dd:ee:ff",
     1},
    {1, "sha256:", 0},
    {1, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0},
    {1, "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0},
    {1, "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", 0},
    {1, "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=", 0}, /* stray bits */
    {1, "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeef", 0},
    {1, "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00", 0},
    {2, "^CN=.*$", 1},
    {2, "(", 0},
    {2, "a{2,1}", 0},
};

START_TEST(test_syntax)
{
	const struct syntax_case *c = &syntax_cases[_i];
	mailcert_policy *p;
	char err[256] = "";
	int rc;

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	if (c->kind == 0)
		rc = mailcert_policy_set_serial(p, c->text);
	else if (c->kind == 1)
		rc = mailcert_policy_add_pin(p, c->text);
	else
		rc = mailcert_policy_set_issuer(p, c->text, err, sizeof(err));
	ck_assert_msg(rc == (c->ok ? 0 : MAILCERT_E_INVALID), "\"%s\": %d", c->text, rc);
	if (c->kind == 2 && !c->ok) {
		char want[64];

		snprintf(want, sizeof(want),
			 "\"%s\" is not a valid extended regular expression: ", c->text);
		ck_assert_contains(err, want);
		ck_assert_int_eq(mailcert_policy_set_subject(p, c->text, err, sizeof(err)),
				 MAILCERT_E_INVALID);
	}
	mailcert_policy_free(p);
}
END_TEST

/* A bad expression leaves the previous one in place; NULL unsets. */
START_TEST(test_regex_replace_and_unset)
{
	const struct mc_fixture_cert *chain[] = {&leaf, &ev_inter};
	mailcert_policy *p = ev_policy();
	mailcert_report *r;
	char err[256];

	ck_assert_int_eq(mailcert_policy_set_issuer(p, "nope", err, sizeof(err)), 0);
	ck_assert_int_eq(mailcert_policy_set_issuer(p, "(", err, sizeof(err)), MAILCERT_E_INVALID);
	r = ev_check("mail.test", chain, 2, p);
	ck_assert_codes(r, "issuer.mismatch ", MAILCERT_CRITICAL);
	mailcert_report_free(r);
	ck_assert_int_eq(mailcert_policy_set_issuer(p, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(mailcert_policy_set_serial(p, "1"), 0);
	ck_assert_int_eq(mailcert_policy_set_serial(p, NULL), 0);
	r = ev_check("mail.test", chain, 2, p);
	ck_assert_codes(r, "", MAILCERT_OK);
	mailcert_report_free(r);
	mailcert_policy_free(p);
}
END_TEST

/* --severity: codes of the form of a code are accepted, even unknown ones. */
static const struct code_case {
	const char *code;
	int ok;
} code_cases[] = {
    {"cert.expiring", 1},  {"timeout", 1},        {"chain.root-included", 1},
    {"future.thing-2", 1}, {"dane.tlsa.x", 1},    {"", 0},
    {"Cert.expiring", 0},  {"cert..expiring", 0}, {".cert", 0},
    {"cert.", 0},          {"-cert", 0},          {"cert.-x", 0},
    {"cert.x-", 0},        {"cert.x=ok", 0},      {"cert x", 0},
    {"cert.*", 0},
};

START_TEST(test_code_syntax)
{
	const struct code_case *c = &code_cases[_i];
	mailcert_policy *p;

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	ck_assert_msg(mailcert_policy_set_severity(p, c->code, MAILCERT_WARNING) ==
			  (c->ok ? 0 : MAILCERT_E_INVALID),
		      "\"%s\"", c->code);
	mailcert_policy_free(p);
}
END_TEST

START_TEST(test_severity_levels)
{
	mailcert_policy *p;

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	ck_assert_int_eq(mailcert_policy_set_severity(p, "timeout", MAILCERT_UNKNOWN),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_set_severity(p, "timeout", (mailcert_state)7),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_set_severity(NULL, "timeout", MAILCERT_OK),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_set_severity(p, NULL, MAILCERT_OK), MAILCERT_E_INVALID);
	mailcert_policy_free(p);
}
END_TEST

/* Overrides of findings of the chain: the finding stays, its severity and the state change. */
static const struct override_case {
	const char *name;
	const char *names[2]; /* --name */
	const char *codes[2];
	mailcert_state levels[2];
	const char *findings;
	mailcert_state state;
	const char *code; /* whose severity is checked */
	mailcert_state severity;
} override_cases[] = {
    {"none",
     {"other.test"},
     {NULL},
     {0},
     "name.mismatch ",
     MAILCERT_CRITICAL,
     "name.mismatch",
     MAILCERT_CRITICAL},
    {"critical to warning",
     {"other.test"},
     {"name.mismatch"},
     {MAILCERT_WARNING},
     "name.mismatch ",
     MAILCERT_WARNING,
     "name.mismatch",
     MAILCERT_WARNING},
    {"critical to ok: kept, state OK",
     {"other.test"},
     {"name.mismatch"},
     {MAILCERT_OK},
     "name.mismatch ",
     MAILCERT_OK,
     "name.mismatch",
     MAILCERT_OK},
    {"the last override wins",
     {"other.test"},
     {"name.mismatch", "name.mismatch"},
     {MAILCERT_OK, MAILCERT_WARNING},
     "name.mismatch ",
     MAILCERT_WARNING,
     "name.mismatch",
     MAILCERT_WARNING},
    {"another code: no effect",
     {"other.test"},
     {"future.code"},
     {MAILCERT_OK},
     "name.mismatch ",
     MAILCERT_CRITICAL,
     "name.mismatch",
     MAILCERT_CRITICAL},
    {"a missing name to ok while the other matched",
     {"a.test", "mail.test"},
     {"name.mismatch"},
     {MAILCERT_OK},
     "name.mismatch ",
     MAILCERT_OK,
     "name.mismatch",
     MAILCERT_OK},
};

START_TEST(test_override)
{
	const struct override_case *c = &override_cases[_i];
	const struct mc_fixture_cert *chain[] = {&leaf, &ev_inter};
	mailcert_policy *p = ev_policy();
	mailcert_report *r;
	char got[1024];

	for (size_t i = 0; i < 2 && c->names[i]; i++)
		ck_assert_int_eq(mailcert_policy_add_name(p, c->names[i]), 0);
	for (size_t i = 0; i < 2 && c->codes[i]; i++)
		ck_assert_int_eq(mailcert_policy_set_severity(p, c->codes[i], c->levels[i]), 0);
	r = ev_check("mail.test", chain, 2, p);
	ev_codes(got, sizeof(got), r);
	ck_assert_msg(strcmp(got, c->findings) == 0, "%s: want [%s], got [%s]", c->name,
		      c->findings, got);
	ck_assert_msg(mailcert_report_state(r) == c->state, "%s: state %s", c->name,
		      mailcert_state_name(mailcert_report_state(r)));
	ck_assert_int_eq(ev_severity(r, c->code), c->severity);
	mailcert_report_free(r);
	mailcert_policy_free(p);
}
END_TEST

/* A WARNING raised to CRITICAL, while an OK-ed CRITICAL no longer counts. */
START_TEST(test_override_mixed)
{
	const struct mc_fixture_cert *chain[] = {&leaf, &ev_inter, &ev_root};
	mailcert_policy *p = ev_policy();
	mailcert_report *r;

	ck_assert_int_eq(mailcert_policy_add_name(p, "other.test"), 0);
	ck_assert_int_eq(mailcert_policy_set_severity(p, "name.mismatch", MAILCERT_OK), 0);
	r = ev_check("mail.test", chain, 3, p);
	ck_assert_codes(r, "chain.root-included name.mismatch ", MAILCERT_WARNING);
	mailcert_report_free(r);
	ck_assert_int_eq(mailcert_policy_set_severity(p, "chain.root-included", MAILCERT_CRITICAL),
			 0);
	r = ev_check("mail.test", chain, 3, p);
	ck_assert_codes(r, "chain.root-included name.mismatch ", MAILCERT_CRITICAL);
	ck_assert_int_eq(ev_severity(r, "chain.root-included"), MAILCERT_CRITICAL);
	mailcert_report_free(r);
	mailcert_policy_free(p);
}
END_TEST

/* Network findings are overridden too: the observation's failure. */
START_TEST(test_override_network)
{
	mailcert_observation *obs = mc_observation_new("smtp://mail.invalid:25", "mail.invalid");
	mailcert_policy *p;
	mailcert_report *r = NULL;

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	mc_observation_fail(obs, "dns.failed", "mail.invalid does not resolve");
	ck_assert_int_eq(mailcert_policy_set_severity(p, "dns.failed", MAILCERT_WARNING), 0);
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	ck_assert_codes(r, "dns.failed ", MAILCERT_WARNING);
	mailcert_report_free(r);
	ck_assert_int_eq(mailcert_policy_set_severity(p, "dns.failed", MAILCERT_OK), 0);
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	ck_assert_codes(r, "dns.failed ", MAILCERT_OK);
	ck_assert_int_eq(ev_severity(r, "dns.failed"), MAILCERT_OK);
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	mailcert_policy_free(p);
}
END_TEST

#define LOOP(tc, fn, table) tcase_add_loop_test(tc, fn, 0, sizeof(table) / sizeof((table)[0]))

static Suite *suite(void)
{
	Suite *s = suite_create("check-expect");
	TCase *tc = tcase_create("expect");
	TCase *sev = tcase_create("severity");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	LOOP(tc, test_expect, expect_cases);
	tcase_add_test(tc, test_pin_message_names_the_served_pin);
	LOOP(tc, test_syntax, syntax_cases);
	tcase_add_test(tc, test_regex_replace_and_unset);
	suite_add_tcase(s, tc);
	tcase_add_unchecked_fixture(sev, setup, teardown);
	LOOP(sev, test_code_syntax, code_cases);
	tcase_add_test(sev, test_severity_levels);
	LOOP(sev, test_override, override_cases);
	tcase_add_test(sev, test_override_mixed);
	tcase_add_test(sev, test_override_network);
	suite_add_tcase(s, sev);
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
