/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Revocation (checks/revocation.c): stapled OCSP responses and CRLs.
 *
 * Everything is made here, nothing downloaded: certificates with the
 * fixture (GnuTLS), CRLs with GnuTLS (gnutls_x509_crl_set_*, _sign2), and
 * OCSP responses, for which GnuTLS has no builder, with `openssl ocsp`
 * acting as a responder over an index file written by the test, in a
 * temporary directory. openssl stamps thisUpdate with the real clock, so
 * the evaluation time is taken from the clock once (T0) and every case
 * evaluates at T0 or an offset from it.
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
#define LEAF_SERIAL 0x80000001u /* top bit set: its DER has a leading 00 */

static time_t T0;
static const char *case_name = ""; /* of a table-driven test, for failure messages */
static char dir[] = "/tmp/test-check-revocation-XXXXXX";
static char ca_path[512];

/* root → inter → leaf / leaf2 / staple_leaf; rogue has inter's name, not its key. */
static struct mc_fixture_cert root, inter, leaf, leaf2, staple_leaf, rogue;

static const char *const mail_dns[] = {"mail.test", NULL};

static void make(struct mc_fixture_cert *c, const struct mc_fixture_cert_spec *spec)
{
	int rc = mc_fixture_cert_make(c, spec);

	ck_assert_msg(rc == 0, "%s: %s", spec->cn, gnutls_strerror(rc));
}

static const char *path(const char *name)
{
	static char buf[4][600];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(path(name), "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void write_cert(const struct mc_fixture_cert *c, const char *name)
{
	unlink(path(name));
	ck_assert_int_eq(mc_fixture_cert_append_pem(c, path(name)), 0);
}

static void write_key(const struct mc_fixture_cert *c, const char *name)
{
	gnutls_datum_t pem;

	ck_assert_int_eq(gnutls_x509_privkey_export2(c->key, GNUTLS_X509_FMT_PEM, &pem), 0);
	write_file(name, pem.data, pem.size);
	gnutls_free(pem.data);
}

static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

/* openssl's index.txt line for @c: V (valid) or R with a revocation time and reason. */
static void index_line(FILE *f, const struct mc_fixture_cert *c, const char *revoked)
{
	unsigned char serial[32];
	size_t len = sizeof(serial);
	char hex[65], upper[65];
	size_t i;

	ck_assert_int_eq(gnutls_x509_crt_get_serial(c->crt, serial, &len), 0);
	mc_hex(hex, serial, len);
	for (i = 0; hex[i]; i++)
		upper[i] = (char)(hex[i] >= 'a' ? hex[i] - 32 : hex[i]);
	upper[i] = '\0';
	/* Subjects must differ: openssl indexes them. */
	fprintf(f, "%s\t391231000000Z\t%s\t%s\tunknown\t/CN=%s\n", revoked ? "R" : "V",
		revoked ? revoked : "", upper, upper);
}

/*
 * resp-@name.der: `openssl ocsp` answering a request about @subject (a
 * PEM file) as the responder @signer (PEM cert and key files), over an
 * index in which @listed is valid, or revoked when @revoked is set.
 */
static void make_response_by(const char *issuer, const char *name, const char *subject,
			     const char *signer, const struct mc_fixture_cert *listed,
			     const char *revoked)
{
	char idx[64];
	FILE *f;

	snprintf(idx, sizeof(idx), "index-%s.txt", name);
	f = fopen(path(idx), "w");
	ck_assert_ptr_nonnull(f);
	if (listed)
		index_line(f, listed, revoked);
	if (listed != &leaf2)
		index_line(f, &leaf2, NULL); /* never empty: openssl wants a database */
	ck_assert_int_eq(fclose(f), 0);
	sh("cd %s && openssl ocsp -issuer %s.pem -cert %s -reqout req-%s.der -no_nonce "
	   ">/dev/null && openssl ocsp -index %s -CA %s.pem -rsigner %s.pem -rkey %s.key "
	   "-reqin req-%s.der -respout resp-%s.der -ndays 1 -resp_no_certs >/dev/null",
	   dir, issuer, subject, name, idx, issuer, signer, signer, name, name);
}

/* The same, for a certificate issued by the intermediate. */
static void make_response(const char *name, const char *subject, const char *signer,
			  const struct mc_fixture_cert *listed, const char *revoked)
{
	make_response_by("inter", name, subject, signer, listed, revoked);
}

static void pki_setup(void)
{
	const struct mc_fixture_cert_spec root_spec = {.cn = "Test Root",
						       .is_ca = 1,
						       .not_before = T0 - 365 * DAY,
						       .not_after = T0 + 3650 * DAY};
	const struct mc_fixture_cert_spec inter_spec = {.cn = "Test Intermediate",
							.is_ca = 1,
							.issuer = &root,
							.not_before = T0 - 365 * DAY,
							.not_after = T0 + 1000 * DAY};
	const struct mc_fixture_cert_spec rogue_spec = {.cn = "Test Intermediate",
							.is_ca = 1,
							.not_before = T0 - 365 * DAY,
							.not_after = T0 + 1000 * DAY};
	struct mc_fixture_cert_spec leaf_spec = {.cn = "mail.test",
						 .dns = mail_dns,
						 .issuer = &inter,
						 .serial = LEAF_SERIAL,
						 .not_before = T0 - 30 * DAY,
						 .not_after = T0 + 90 * DAY};

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(ca_path, sizeof(ca_path), "%s/root.pem", dir);
	make(&root, &root_spec);
	make(&inter, &inter_spec);
	make(&rogue, &rogue_spec);
	make(&leaf, &leaf_spec);
	leaf_spec.serial = 0x1234;
	make(&leaf2, &leaf_spec);
	leaf_spec.serial = 0x4321;
	leaf_spec.must_staple = 1;
	make(&staple_leaf, &leaf_spec);
	write_cert(&root, "root.pem");
	write_key(&root, "root.key");
	write_cert(&inter, "inter.pem");
	write_key(&inter, "inter.key");
	write_cert(&rogue, "rogue.pem");
	write_key(&rogue, "rogue.key");
	write_cert(&leaf, "leaf.pem");
	write_cert(&leaf2, "leaf2.pem");
	write_cert(&staple_leaf, "staple.pem");
	make_response("good", "leaf.pem", "inter", &leaf, NULL);
	make_response("revoked", "leaf.pem", "inter", &leaf, "261101120000Z,keyCompromise");
	make_response("unknown", "leaf.pem", "inter", NULL, NULL);
	make_response("rogue", "leaf.pem", "rogue", &leaf, NULL);
	make_response("leaf2", "leaf2.pem", "inter", &leaf2, NULL);
	make_response("staple", "staple.pem", "inter", &staple_leaf, NULL);
	make_response("staple-rogue", "staple.pem", "rogue", &staple_leaf, NULL);
	/* About the intermediate, from the root (TLS 1.3 staples one per certificate). */
	make_response_by("root", "inter-revoked", "inter.pem", "root", &inter,
			 "261102120000Z,cACompromise");
}

static void pki_teardown(void)
{
	struct mc_fixture_cert *all[] = {&staple_leaf, &leaf2, &leaf, &rogue, &inter, &root};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		mc_fixture_cert_clear(all[i]);
	sh("rm -rf %s", dir);
}

/* ---- evaluation helpers ------------------------------------------- */

static gnutls_datum_t load(const char *name)
{
	gnutls_datum_t d;

	ck_assert_msg(gnutls_load_file(path(name), &d) == 0, "cannot load %s", name);
	return d;
}

static mailcert_observation *observe(const struct mc_fixture_cert *const *chain, size_t n)
{
	mailcert_observation *obs = mc_observation_new("smtp://mail.test:25", "mail.test");

	ck_assert_ptr_nonnull(obs);
	for (size_t i = 0; i < n; i++) {
		gnutls_datum_t der;

		ck_assert_int_eq(mc_fixture_cert_der(chain[i], &der), 0);
		ck_assert_int_eq(mc_observation_add_cert(obs, der.data, der.size), 0);
		gnutls_free(der.data);
	}
	return obs;
}

static void staple(mailcert_observation *obs, const gnutls_datum_t *resp)
{
	ck_assert_int_eq(mc_observation_add_ocsp(obs, resp->data, resp->size), 0);
}

static mailcert_policy *test_policy(void)
{
	mailcert_policy *p;
	char err[256];

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	ck_assert_msg(mailcert_policy_add_ca_file(p, ca_path, err, sizeof(err)) == 0, "%s", err);
	return p;
}

static mailcert_report *evaluate(const mailcert_observation *obs, const mailcert_policy *p,
				 time_t now)
{
	mailcert_report *r = NULL;

	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, now), 0);
	ck_assert_ptr_nonnull(r);
	return r;
}

/* The finding codes of @r, each followed by a space. */
static void codes(const mailcert_report *r, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < mailcert_report_finding_count(r); i++)
		snprintf(out + strlen(out), len - strlen(out), "%s ",
			 mailcert_finding_code(mailcert_report_finding(r, i)));
}

/*
 * Asserts the exact finding codes (@want, "a b " or ""), the state, and
 * that the first finding's message contains @needle (unless NULL).
 */
static void expect(const mailcert_report *r, const char *want, mailcert_state state,
		   const char *needle)
{
	char got[512];

	codes(r, got, sizeof(got));
	ck_assert_msg(strcmp(want, got) == 0,
		      "%s: findings: want [%s], got [%s]; first message: %s", case_name, want, got,
		      mailcert_report_finding_count(r)
			  ? mailcert_finding_message(mailcert_report_finding(r, 0))
			  : "-");
	ck_assert_str_eq(mailcert_state_name(mailcert_report_state(r)), mailcert_state_name(state));
	if (needle) {
		const char *msg = mailcert_finding_message(mailcert_report_finding(r, 0));

		ck_assert_msg(strstr(msg, needle), "\"%s\"\n  does not contain \"%s\"", msg,
			      needle);
	}
}

/* ---- stapled OCSP ------------------------------------------------- */

enum which { LEAF, STAPLE_LEAF };

static const struct ocsp_case {
	const char *name;
	enum which leaf;
	const char *resp; /* file in dir, NULL: nothing stapled; "garbage"; "tampered" */
	long long at;     /* seconds from T0 */
	const char *codes;
	mailcert_state state;
	const char *needle; /* in the first finding's message */
} ocsp_cases[] = {
    {"good", LEAF, "resp-good.der", 0, "", MAILCERT_OK, NULL},
    {"nothing stapled is fine", LEAF, NULL, 0, "", MAILCERT_OK, NULL},
    {"revoked", LEAF, "resp-revoked.der", 0, "ocsp.revoked ", MAILCERT_CRITICAL,
     "leaf CN=mail.test is revoked (stapled OCSP response: revoked on 2026-11-01 12:00 UTC, "
     "reason keyCompromise)"},
    {"unknown", LEAF, "resp-unknown.der", 0, "ocsp.unknown ", MAILCERT_WARNING,
     "the OCSP responder does not know leaf CN=mail.test"},
    {"stale: nextUpdate past", LEAF, "resp-good.der", 2 * DAY, "ocsp.stale ", MAILCERT_WARNING,
     "expired on"},
    {"stale: thisUpdate in the future", LEAF, "resp-good.der", -3600, "ocsp.stale ",
     MAILCERT_WARNING, "in the future"},
    {"thisUpdate within the clock skew", LEAF, "resp-good.der", -120, "", MAILCERT_OK, NULL},
    {"nextUpdate not yet past", LEAF, "resp-good.der", DAY - 600, "", MAILCERT_OK, NULL},
    {"signed by another key", LEAF, "resp-rogue.der", 0, "ocsp.invalid ", MAILCERT_CRITICAL,
     "the stapled OCSP response about leaf CN=mail.test is not valid: its signature does not "
     "verify; its status is ignored"},
    {"tampered signature", LEAF, "tampered", 0, "ocsp.invalid ", MAILCERT_CRITICAL,
     "its signature does not verify"},
    {"garbage", LEAF, "garbage", 0, "ocsp.invalid ", MAILCERT_CRITICAL, "does not parse"},
    {"wrong certid", LEAF, "resp-leaf2.der", 0, "ocsp.mismatch ", MAILCERT_WARNING,
     "is about another certificate (serial 1234), not leaf CN=mail.test"},
    {"must-staple without a staple", STAPLE_LEAF, NULL, 0, "ocsp.must-staple ", MAILCERT_CRITICAL,
     "but the server stapled none"},
    {"must-staple with its staple", STAPLE_LEAF, "resp-staple.der", 0, "", MAILCERT_OK, NULL},
    {"intermediate revoked", LEAF, "resp-inter-revoked.der", 0, "ocsp.revoked ", MAILCERT_CRITICAL,
     "intermediate CN=Test Intermediate is revoked (stapled OCSP response: revoked on "
     "2026-11-02 12:00 UTC, reason cACompromise)"},
    {"must-staple with another's staple", STAPLE_LEAF, "resp-good.der", 0,
     "ocsp.mismatch ocsp.must-staple ", MAILCERT_CRITICAL, NULL},
    {"must-staple with an invalid staple", STAPLE_LEAF, "resp-staple-rogue.der", 0,
     "ocsp.invalid ocsp.must-staple ", MAILCERT_CRITICAL, NULL},
};

START_TEST(test_ocsp)
{
	const struct ocsp_case *c = &ocsp_cases[_i];
	const struct mc_fixture_cert *chain[] = {c->leaf == LEAF ? &leaf : &staple_leaf, &inter};
	mailcert_observation *obs = observe(chain, 2);
	mailcert_policy *p = test_policy();
	mailcert_report *r;

	if (c->resp && strcmp(c->resp, "garbage") == 0) {
		gnutls_datum_t junk = {(unsigned char *)"\x30\x03\x0a\x01", 4};

		staple(obs, &junk);
	} else if (c->resp && strcmp(c->resp, "tampered") == 0) {
		gnutls_datum_t d = load("resp-good.der");

		d.data[d.size - 3] ^= 0x01; /* inside the signature's last INTEGER */
		staple(obs, &d);
		gnutls_free(d.data);
	} else if (c->resp) {
		gnutls_datum_t d = load(c->resp);

		staple(obs, &d);
		gnutls_free(d.data);
	}
	r = evaluate(obs, p, T0 + c->at);
	case_name = c->name;
	expect(r, c->codes, c->state, c->needle);
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	mailcert_policy_free(p);
}
END_TEST

/* The must-staple message names the leaf and says what to do. */
START_TEST(test_must_staple_message)
{
	const struct mc_fixture_cert *chain[] = {&staple_leaf, &inter};
	mailcert_observation *obs = observe(chain, 2);
	mailcert_policy *p = test_policy();
	mailcert_report *r = evaluate(obs, p, T0);

	expect(r, "ocsp.must-staple ", MAILCERT_CRITICAL,
	       "leaf CN=mail.test requires a stapled OCSP response (TLS feature "
	       "status_request, \"must-staple\"), but the server stapled none; clients that "
	       "honour it refuse the connection: enable OCSP stapling in the server");
	ck_assert_int_eq(mailcert_finding_cert(mailcert_report_finding(r, 0)), 0);
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	mailcert_policy_free(p);
}
END_TEST

/* ---- CRLs ---------------------------------------------------------- */

struct entry {
	const unsigned char *serial; /* as written into the CRL */
	size_t len;
};

/* A CRL of @issuer (signed with @signer's key), listing @entries, updated T0-1d, next @next. */
static void make_crl(const char *name, const struct mc_fixture_cert *issuer,
		     const struct mc_fixture_cert *signer, const struct entry *entries, size_t n,
		     time_t next, int pem)
{
	gnutls_x509_crl_t crl;
	gnutls_datum_t out;

	ck_assert_int_eq(gnutls_x509_crl_init(&crl), 0);
	ck_assert_int_eq(gnutls_x509_crl_set_version(crl, 2), 0);
	ck_assert_int_eq(gnutls_x509_crl_set_this_update(crl, T0 - DAY), 0);
	ck_assert_int_eq(gnutls_x509_crl_set_next_update(crl, next), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(gnutls_x509_crl_set_crt_serial(crl, entries[i].serial,
								entries[i].len, T0 - 2 * DAY),
				 0);
	/* The issuer's name, the signer's key: a CRL "of" @issuer that only
	 * the signer could have made. */
	if (issuer == signer) {
		ck_assert_int_eq(
		    gnutls_x509_crl_sign2(crl, issuer->crt, issuer->key, GNUTLS_DIG_SHA256, 0), 0);
	} else {
		ck_assert_int_eq(
		    gnutls_x509_crl_sign2(crl, signer->crt, signer->key, GNUTLS_DIG_SHA256, 0), 0);
	}
	ck_assert_int_eq(
	    gnutls_x509_crl_export2(crl, pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, &out), 0);
	write_file(name, out.data, out.size);
	gnutls_free(out.data);
	gnutls_x509_crl_deinit(crl);
}

/* The serial of @c as DER content bytes. */
static struct entry serial_of(const struct mc_fixture_cert *c, unsigned char *buf, size_t cap)
{
	size_t len = cap;

	ck_assert_int_eq(gnutls_x509_crt_get_serial(c->crt, buf, &len), 0);
	return (struct entry){buf, len};
}

static mailcert_policy *crl_policy(const char *file)
{
	mailcert_policy *p = test_policy();
	char err[512];

	ck_assert_msg(mailcert_policy_add_crl_file(p, path(file), err, sizeof(err)) == 0, "%s",
		      err);
	return p;
}

static mailcert_report *crl_check(const char *file, const struct mc_fixture_cert *const *chain,
				  size_t n, time_t now)
{
	mailcert_observation *obs = observe(chain, n);
	mailcert_policy *p = crl_policy(file);
	mailcert_report *r = evaluate(obs, p, now);

	mailcert_observation_free(obs);
	mailcert_policy_free(p);
	return r;
}

START_TEST(test_crl_revoked_same_encoding)
{
	unsigned char b[32];
	struct entry e = serial_of(&leaf, b, sizeof(b));
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_report *r;

	ck_assert_uint_eq(e.len, 5); /* 00 80 00 00 01 */
	make_crl("same.crl", &inter, &inter, &e, 1, T0 + 7 * DAY, 1);
	r = crl_check("same.crl", chain, 2, T0);
	expect(r, "crl.revoked ", MAILCERT_CRITICAL, "leaf CN=mail.test is revoked: the CRL file");
	ck_assert_int_eq(mailcert_finding_cert(mailcert_report_finding(r, 0)), 0);
	mailcert_report_free(r);
}
END_TEST

START_TEST(test_crl_leading_zero)
{
	/* The CRL writes the serial without the sign octet the certificate has. */
	static const unsigned char bare[] = {0x80, 0x00, 0x00, 0x01};
	const struct entry e = {bare, sizeof(bare)};
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_report *r;

	make_crl("bare.crl", &inter, &inter, &e, 1, T0 + 7 * DAY, 0);
	r = crl_check("bare.crl", chain, 2, T0);
	expect(r, "crl.revoked ", MAILCERT_CRITICAL, "revoked on ");
	mailcert_report_free(r);
}
END_TEST

START_TEST(test_crl_not_revoked)
{
	/* Neither another serial, nor one whose text ends like the leaf's (#540). */
	static const unsigned char other[] = {0x12, 0x34, 0x56};
	static const unsigned char longer[] = {0x01, 0x80, 0x00, 0x00, 0x01};
	static const unsigned char shorter[] = {0x00, 0x00, 0x01};
	const struct entry e[] = {
	    {other, sizeof(other)}, {longer, sizeof(longer)}, {shorter, sizeof(shorter)}};
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_report *r;

	make_crl("other.crl", &inter, &inter, e, 3, T0 + 7 * DAY, 1);
	r = crl_check("other.crl", chain, 2, T0);
	expect(r, "", MAILCERT_OK, NULL);
	mailcert_report_free(r);
}
END_TEST

START_TEST(test_crl_other_key)
{
	unsigned char b[32];
	struct entry e = serial_of(&leaf, b, sizeof(b));
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_report *r;

	/* rogue has the intermediate's name: only the signature tells them apart. */
	make_crl("rogue.crl", &rogue, &rogue, &e, 1, T0 + 7 * DAY, 1);
	r = crl_check("rogue.crl", chain, 2, T0);
	expect(r, "crl.invalid ", MAILCERT_WARNING,
	       "names the issuer of leaf CN=mail.test but its signature does not verify with "
	       "that issuer's key");
	mailcert_report_free(r);
}
END_TEST

START_TEST(test_crl_stale)
{
	static const unsigned char other[] = {0x12, 0x34, 0x56};
	const struct entry e = {other, sizeof(other)};
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_report *r;

	make_crl("stale.crl", &inter, &inter, &e, 1, T0 - 3600, 1);
	r = crl_check("stale.crl", chain, 2, T0);
	expect(r, "crl.stale ", MAILCERT_WARNING, "was due to be replaced on");
	mailcert_report_free(r);
}
END_TEST

START_TEST(test_crl_intermediate_revoked)
{
	unsigned char b[32];
	struct entry e = serial_of(&inter, b, sizeof(b));
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_report *r;

	/* The root's CRL, checked against the root from the trust store. */
	make_crl("root.crl", &root, &root, &e, 1, T0 + 7 * DAY, 1);
	r = crl_check("root.crl", chain, 2, T0);
	expect(r, "crl.revoked ", MAILCERT_CRITICAL, "intermediate CN=Test Intermediate");
	ck_assert_int_eq(mailcert_finding_cert(mailcert_report_finding(r, 0)), 1);
	mailcert_report_free(r);
}
END_TEST

START_TEST(test_crl_trust_anchor_ignored)
{
	unsigned char b[32];
	struct entry e = serial_of(&root, b, sizeof(b));
	const struct mc_fixture_cert *chain[] = {&leaf, &inter, &root};
	char got[512];
	mailcert_report *r;

	/* A CRL listing the root itself, the root sent: never asked (#537). */
	make_crl("anchor.crl", &root, &root, &e, 1, T0 + 7 * DAY, 1);
	r = crl_check("anchor.crl", chain, 3, T0);
	codes(r, got, sizeof(got));
	ck_assert_msg(!strstr(got, "crl."), "findings: %s", got);
	mailcert_report_free(r);
}
END_TEST

START_TEST(test_crl_file_errors)
{
	static const char junk_pem[] = "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n";
	mailcert_policy *p;
	char err[512];

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	ck_assert_int_eq(mailcert_policy_add_crl_file(p, "/nonexistent/x.crl", err, sizeof(err)),
			 MAILCERT_E_IO);
	ck_assert_str_eq(
	    err, "cannot load the CRL file \"/nonexistent/x.crl\": No such file or directory");
	write_file("junk.crl", "not a CRL\n", 10);
	ck_assert_int_eq(mailcert_policy_add_crl_file(p, path("junk.crl"), err, sizeof(err)),
			 MAILCERT_E_IO);
	ck_assert_msg(strstr(err, "cannot load the CRL file \"") && strstr(err, "junk.crl\": "),
		      "%s", err);
	write_file("junk.pem", junk_pem, strlen(junk_pem));
	ck_assert_int_eq(mailcert_policy_add_crl_file(p, path("junk.pem"), err, sizeof(err)),
			 MAILCERT_E_IO);
	ck_assert_msg(strstr(err, "junk.pem\": "), "%s", err);
	ck_assert_int_eq(mailcert_policy_add_crl_file(p, dir, err, sizeof(err)), MAILCERT_E_IO);
	ck_assert_msg(strstr(err, "a directory, not a file"), "%s", err);
	ck_assert_uint_eq(p->crls_len, 0);
	mailcert_policy_free(p);
}
END_TEST

START_TEST(test_crl_pem_several)
{
	static const unsigned char other[] = {0x12, 0x34, 0x56};
	const struct entry e = {other, sizeof(other)};
	gnutls_datum_t a, b;
	mailcert_policy *p;
	char err[512], *both;

	make_crl("a.pem", &inter, &inter, &e, 1, T0 + DAY, 1);
	make_crl("b.pem", &root, &root, &e, 1, T0 + DAY, 1);
	a = load("a.pem");
	b = load("b.pem");
	both = malloc(a.size + b.size);
	ck_assert_ptr_nonnull(both);
	memcpy(both, a.data, a.size);
	memcpy(both + a.size, b.data, b.size);
	write_file("both.pem", both, a.size + b.size);
	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	ck_assert_msg(mailcert_policy_add_crl_file(p, path("both.pem"), err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(p->crls_len, 2);
	mailcert_policy_free(p);
	free(both);
	gnutls_free(a.data);
	gnutls_free(b.data);
}
END_TEST

/* What --crl-fetch gathered is used like a file, and failures are findings. */
START_TEST(test_crl_fetched)
{
	unsigned char b[32];
	struct entry e = serial_of(&leaf, b, sizeof(b));
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	mailcert_observation *obs = observe(chain, 2);
	mailcert_policy *p = test_policy();
	struct mc_evidence *ev = mc_evidence_new();
	gnutls_datum_t der;
	mailcert_report *r = NULL;

	ck_assert_ptr_nonnull(ev);
	make_crl("fetched.crl", &inter, &inter, &e, 1, T0 + 7 * DAY, 0);
	der = load("fetched.crl");
	ev->crl[0] = (struct mc_crl_fetch){.url = strdup("http://crl.test/inter.crl"),
					   .cert = 0,
					   .der = {malloc(der.size), der.size}};
	memcpy(ev->crl[0].der.data, der.data, der.size);
	ev->crl[1] = (struct mc_crl_fetch){.url = strdup("http://crl.test/gone.crl"),
					   .cert = 0,
					   .error = strdup("HTTP status 404")};
	ev->crl_len = 2;
	gnutls_free(der.data);
	ck_assert_int_eq(mc_evaluate_evidence(&r, obs, ev, p, T0), 0);
	expect(r, "crl.unavailable crl.revoked ", MAILCERT_CRITICAL,
	       "the CRL of leaf CN=mail.test could not be fetched from "
	       "http://crl.test/gone.crl: HTTP status 404");
	ck_assert_msg(strstr(mailcert_finding_message(mailcert_report_finding(r, 1)),
			     "the CRL from http://crl.test/inter.crl lists it"),
		      "%s", mailcert_finding_message(mailcert_report_finding(r, 1)));
	/* The same observation without the evidence: no CRL, nothing to say. */
	mailcert_report_free(r);
	r = evaluate(obs, p, T0);
	ck_assert_uint_eq(mailcert_report_finding_count(r), 0);
	mailcert_report_free(r);
	mc_evidence_free(ev);
	mailcert_observation_free(obs);
	mailcert_policy_free(p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("check-revocation");
	TCase *t = tcase_create("revocation");

	tcase_add_unchecked_fixture(t, pki_setup, pki_teardown);
	tcase_set_timeout(t, 60);
	tcase_add_loop_test(t, test_ocsp, 0, sizeof(ocsp_cases) / sizeof(ocsp_cases[0]));
	tcase_add_test(t, test_must_staple_message);
	tcase_add_test(t, test_crl_revoked_same_encoding);
	tcase_add_test(t, test_crl_leading_zero);
	tcase_add_test(t, test_crl_not_revoked);
	tcase_add_test(t, test_crl_other_key);
	tcase_add_test(t, test_crl_stale);
	tcase_add_test(t, test_crl_intermediate_revoked);
	tcase_add_test(t, test_crl_trust_anchor_ignored);
	tcase_add_test(t, test_crl_file_errors);
	tcase_add_test(t, test_crl_pem_several);
	tcase_add_test(t, test_crl_fetched);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	T0 = time(NULL); /* before the fixtures' specs read it */
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
