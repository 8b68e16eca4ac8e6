/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Files on disk and deployment checks: mailcert_observation_from_file()
 * on certificate and key files written here from certificates made here
 * (PEM with several blocks, DER, key and chain in one file, keys of every
 * form, broken files), deploy.key-mismatch, and deploy.mismatch between a
 * served leaf and --compare-file, with exact codes and messages.
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

/* The tables hold message formats with positional arguments. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

#define DAY 86400LL
#define NOW ((time_t)1795860000) /* 2026-11-28 10:00:00 UTC */

/* Made once, before the tests fork. */
static struct mc_fixture_cert root, inter, leaf, other, rsa, old_leaf, twin;
static char dir[] = "/tmp/test-check-deploy-XXXXXX";

static const char *const mail_dns[] = {"mail.test", NULL};

#define ck_assert_contains(hay, needle)                                                            \
	ck_assert_msg(strstr((hay), (needle)), "\"%s\"\n  does not contain \"%s\"", (hay), (needle))

static void make(struct mc_fixture_cert *c, const char *cn, const struct mc_fixture_cert *issuer,
		 int is_ca, gnutls_pk_algorithm_t pk, double from_days)
{
	const struct mc_fixture_cert_spec spec = {.cn = cn,
						  .dns = is_ca ? NULL : mail_dns,
						  .issuer = issuer,
						  .is_ca = is_ca,
						  .pk = pk,
						  .not_before = NOW + (time_t)(from_days * DAY),
						  .not_after = NOW + 300 * DAY};
	int rc = mc_fixture_cert_make(c, &spec);

	ck_assert_msg(rc == 0, "%s: %s", cn, gnutls_strerror(rc));
}

static char *path(const char *name)
{
	static char buf[8][512];
	static int next;
	char *p = buf[next++ % 8];

	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

/* Writes @name from NUL-terminated pieces; a piece may be NULL-ended list. */
static void write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(path(name), "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void append(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(path(name), "ab");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void append_cert(const char *name, const struct mc_fixture_cert *c, int der)
{
	gnutls_datum_t d;

	ck_assert_int_eq(
	    gnutls_x509_crt_export2(c->crt, der ? GNUTLS_X509_FMT_DER : GNUTLS_X509_FMT_PEM, &d),
	    0);
	append(name, d.data, d.size);
	gnutls_free(d.data);
}

enum key_form { KEY_PEM, KEY_PKCS8, KEY_DER, KEY_ENCRYPTED };

static void append_key(const char *name, const struct mc_fixture_cert *c, enum key_form form)
{
	gnutls_datum_t d;
	int rc;

	switch (form) {
	case KEY_PEM: /* "EC PRIVATE KEY" / "RSA PRIVATE KEY" */
		rc = gnutls_x509_privkey_export2(c->key, GNUTLS_X509_FMT_PEM, &d);
		break;
	case KEY_PKCS8: /* "PRIVATE KEY", as certbot writes privkey.pem */
		rc = gnutls_x509_privkey_export2_pkcs8(c->key, GNUTLS_X509_FMT_PEM, NULL,
						       GNUTLS_PKCS_PLAIN, &d);
		break;
	case KEY_DER:
		rc = gnutls_x509_privkey_export2_pkcs8(c->key, GNUTLS_X509_FMT_DER, NULL,
						       GNUTLS_PKCS_PLAIN, &d);
		break;
	default: /* "ENCRYPTED PRIVATE KEY" */
		rc = gnutls_x509_privkey_export2_pkcs8(c->key, GNUTLS_X509_FMT_PEM, "secret",
						       GNUTLS_PKCS_PBES2_AES_256, &d);
		break;
	}
	ck_assert_int_eq(rc, 0);
	append(name, d.data, d.size);
	gnutls_free(d.data);
}

static void append_text(const char *name, const char *text)
{
	append(name, text, strlen(text));
}

static const char ec_params[] = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n"
				"-----END EC PARAMETERS-----\n";

static void pki_setup(void)
{
	char ca[600];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	make(&root, "Test Root", NULL, 1, 0, -365);
	make(&inter, "Test Intermediate", &root, 1, 0, -365);
	make(&leaf, "mail.test", &inter, 0, 0, -1);      /* the renewed one */
	make(&old_leaf, "mail.test", &inter, 0, 0, -60); /* the one before */
	make(&twin, "mail.test", &inter, 0, 0, -1);      /* same notBefore, another key */
	make(&other, "other.test", &inter, 0, 0, -1);
	make(&rsa, "rsa.test", &inter, 0, GNUTLS_PK_RSA, -1);
	snprintf(ca, sizeof(ca), "%s", path("ca.pem"));
	ck_assert_int_eq(mc_fixture_cert_append_pem(&root, ca), 0);

	/* Certificate files. */
	append_cert("leaf.pem", &leaf, 0);
	append_cert("chain.pem", &leaf, 0);
	append_text("chain.pem", "# comment between blocks\n");
	append_text("chain.pem", ec_params);
	append_cert("chain.pem", &inter, 0);
	append_cert("leaf.der", &leaf, 1);
	append_key("postfix.pem", &leaf, KEY_PKCS8); /* smtpd_tls_chain_files: key, then chain */
	append_cert("postfix.pem", &leaf, 0);
	append_cert("postfix.pem", &inter, 0);
	append_key("postfix-wrong.pem", &other, KEY_PEM);
	append_cert("postfix-wrong.pem", &leaf, 0);
	append_cert("postfix-wrong.pem", &inter, 0);
	append_key("two-keys.pem", &leaf, KEY_PEM);
	append_key("two-keys.pem", &other, KEY_PEM);
	append_cert("two-keys.pem", &leaf, 0);
	append_key("encrypted-chain.pem", &leaf, KEY_ENCRYPTED);
	append_cert("encrypted-chain.pem", &leaf, 0);
	write_file("empty.pem", "", 0);
	write_file("garbage.pem", "hello\x01\x02 world\n", 14);
	append_text("truncated.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n");
	/* Found by fuzz-certfile: a label with a control byte went into the message. */
	append_text("control-label.pem", "-----BEGIN CERTI\tFICATE\x1b[2J-----\nMIIB\n");
	append_text("bad-base64.pem",
		    "-----BEGIN CERTIFICATE-----\n!!!!****\n-----END CERTIFICATE-----\n");
	append_text("not-x509.pem",
		    "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n");
	append_text("params-only.pem", ec_params);
	ck_assert_int_eq(mkdir(path("a-directory"), 0755), 0);

	/* Key files. */
	append_key("key.pem", &leaf, KEY_PEM);
	append_key("key-pkcs8.pem", &leaf, KEY_PKCS8);
	append_key("key.der", &leaf, KEY_DER);
	append_key("other-key.pem", &other, KEY_PKCS8);
	append_key("rsa-key.pem", &rsa, KEY_PKCS8);
	append_key("encrypted-key.pem", &leaf, KEY_ENCRYPTED);
	append_cert("cert-as-key.pem", &leaf, 0);

	/* Compare files. */
	append_cert("old.pem", &old_leaf, 0);
	append_cert("old.pem", &inter, 0);
	append_cert("twin.pem", &twin, 0);
}

static void pki_teardown(void)
{
	static const char *const names[] = {
	    "ca.pem",          "leaf.pem",          "chain.pem",     "leaf.der",
	    "postfix.pem",     "postfix-wrong.pem", "two-keys.pem",  "encrypted-chain.pem",
	    "empty.pem",       "garbage.pem",       "truncated.pem", "bad-base64.pem",
	    "not-x509.pem",    "params-only.pem",   "key.pem",       "key-pkcs8.pem",
	    "key.der",         "other-key.pem",     "rsa-key.pem",   "encrypted-key.pem",
	    "cert-as-key.pem", "old.pem",           "twin.pem",      "control-label.pem"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(path(names[i]));
	rmdir(path("a-directory"));
	rmdir(dir);
	mc_fixture_cert_clear(&root);
	mc_fixture_cert_clear(&inter);
	mc_fixture_cert_clear(&leaf);
	mc_fixture_cert_clear(&old_leaf);
	mc_fixture_cert_clear(&twin);
	mc_fixture_cert_clear(&other);
	mc_fixture_cert_clear(&rsa);
}

static mailcert_policy *test_policy(void)
{
	mailcert_policy *p;
	char err[512];

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	ck_assert_msg(mailcert_policy_add_ca_file(p, path("ca.pem"), err, sizeof(err)) == 0, "%s",
		      err);
	return p;
}

/* The finding with @code, or NULL. */
static const mailcert_finding *finding(const mailcert_report *r, const char *code)
{
	for (size_t i = 0; i < mailcert_report_finding_count(r); i++)
		if (strcmp(mailcert_finding_code(mailcert_report_finding(r, i)), code) == 0)
			return mailcert_report_finding(r, i);
	return NULL;
}

static int same_der(const mailcert_observation *obs, size_t i, const struct mc_fixture_cert *c)
{
	const unsigned char *der;
	size_t len;
	gnutls_datum_t want;
	int same;

	ck_assert_int_eq(mailcert_observation_cert_der(obs, i, &der, &len), 0);
	ck_assert_int_eq(mc_fixture_cert_der(c, &want), 0);
	same = len == want.size && memcmp(der, want.data, len) == 0;
	gnutls_free(want.data);
	return same;
}

/* ---- files that make an observation ---------------------------------- */

static const struct good_case {
	const char *file, *key;
	size_t certs; /* certificates read, leaf first; the second is the intermediate */
	size_t keys;  /* private keys recorded */
	const char *mismatch_key; /* the key file named by deploy.key-mismatch, or NULL */
	const char *key_desc;     /* its description in the message */
} good_cases[] = {
    {"leaf.pem", NULL, 1, 0, NULL, NULL},
    {"chain.pem", NULL, 2, 0, NULL, NULL}, /* a comment and EC PARAMETERS skipped */
    {"leaf.der", NULL, 1, 0, NULL, NULL},
    {"postfix.pem", NULL, 2, 1, NULL, NULL}, /* key + chain in one file */
    {"postfix-wrong.pem", NULL, 2, 1, "postfix-wrong.pem", "EC-P256"},
    {"chain.pem", "key.pem", 2, 1, NULL, NULL},
    {"chain.pem", "key-pkcs8.pem", 2, 1, NULL, NULL},
    {"chain.pem", "key.der", 2, 1, NULL, NULL},
    {"chain.pem", "postfix.pem", 2, 1, NULL, NULL}, /* the key inside a chain file */
    {"chain.pem", "other-key.pem", 2, 1, "other-key.pem", "EC-P256"},
    {"chain.pem", "rsa-key.pem", 2, 1, "rsa-key.pem", "RSA-2048"}, /* RSA key, EC certificate */
    {"postfix.pem", "other-key.pem", 2, 2, "other-key.pem", "EC-P256"}, /* both compared */
};

START_TEST(test_file_good)
{
	const struct good_case *c = &good_cases[_i];
	mailcert_observation *obs = NULL;
	mailcert_policy *p = test_policy();
	mailcert_report *r = NULL;
	const mailcert_finding *f;
	char err[1024] = "", want[1200];

	ck_assert_msg(mailcert_observation_from_file(
			  &obs, path(c->file), c->key ? path(c->key) : NULL, err, sizeof(err)) == 0,
		      "%s: %s", c->file, err);
	ck_assert_str_eq(mailcert_observation_target(obs), path(c->file));
	ck_assert_str_eq(mailcert_observation_file(obs), path(c->file));
	ck_assert_str_eq(mailcert_observation_peer(obs), "");
	ck_assert_ptr_null(mailcert_observation_failure(obs, NULL));
	ck_assert_ptr_null(mailcert_observation_tls_version(obs));
	ck_assert_uint_eq(mailcert_observation_chain_length(obs), c->certs);
	ck_assert(same_der(obs, 0, &leaf));
	if (c->certs > 1)
		ck_assert(same_der(obs, 1, &inter));
	ck_assert_uint_eq(obs->keys_len, c->keys);

	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	f = finding(r, "deploy.key-mismatch");
	if (!c->mismatch_key) {
		ck_assert_msg(!f, "%s + %s: %s", c->file, c->key ? c->key : "-",
			      f ? mailcert_finding_message(f) : "");
		/* A leaf alone is an incomplete chain; the rest is OK (no name to check). */
		if (c->certs > 1)
			ck_assert_msg(mailcert_report_state(r) == MAILCERT_OK, "%s: %s", c->file,
				      mailcert_report_finding_count(r)
					  ? mailcert_finding_message(mailcert_report_finding(r, 0))
					  : "");
		ck_assert_ptr_null(mailcert_report_matched_name(r));
	} else {
		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(mailcert_finding_severity(f), MAILCERT_CRITICAL);
		ck_assert_int_eq(mailcert_finding_cert(f), 0);
		ck_assert_int_eq(mailcert_report_state(r), MAILCERT_CRITICAL);
		snprintf(want, sizeof(want),
			 "the private key in \"%s\" (%s) does not belong to leaf CN=mail.test "
			 "(EC-P256): a daemon cannot use this pair; install the key the "
			 "certificate was issued for, or a certificate issued for this key",
			 path(c->mismatch_key), c->key_desc);
		ck_assert_str_eq(mailcert_finding_message(f), want);
	}
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	mailcert_policy_free(p);
}
END_TEST

/* With -n, the name is checked as for a server; without, it is not. */
START_TEST(test_file_names)
{
	mailcert_observation *obs = NULL;
	mailcert_policy *p = test_policy();
	mailcert_report *r = NULL;
	char err[1024];

	ck_assert_int_eq(
	    mailcert_observation_from_file(&obs, path("chain.pem"), NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(mailcert_policy_add_name(p, "other.test"), 0);
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	ck_assert_ptr_nonnull(finding(r, "name.mismatch"));
	mailcert_report_free(r);
	mailcert_policy_free(p);
	p = test_policy();
	ck_assert_int_eq(mailcert_policy_add_name(p, "mail.test"), 0);
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	ck_assert_str_eq(mailcert_report_matched_name(r), "mail.test");
	ck_assert_int_eq(mailcert_report_state(r), MAILCERT_OK);
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	mailcert_policy_free(p);
}
END_TEST

/* ---- files that cannot be checked ------------------------------------- */

static const struct bad_case {
	const char *file, *key;
	int rc;
	const char *message; /* %s is the path of the file named */
	int names_key;       /* the message names the key file, not the certificate file */
} bad_cases[] = {
    {"no-such.pem", NULL, MAILCERT_E_IO,
     "cannot read the certificate file \"%s\": No such file or directory", 0},
    {"a-directory", NULL, MAILCERT_E_IO,
     "cannot read the certificate file \"%s\": a directory, not a file", 0},
    {"empty.pem", NULL, MAILCERT_E_INVALID, "the certificate file \"%s\" is empty", 0},
    {"garbage.pem", NULL, MAILCERT_E_INVALID,
     "the certificate file \"%s\" holds no certificate: it is neither PEM (\"-----BEGIN "
     "CERTIFICATE-----\") nor a DER X.509 certificate",
     0},
    {"params-only.pem", NULL, MAILCERT_E_INVALID,
     "the certificate file \"%s\" holds no certificate (it has PEM blocks EC PARAMETERS, but "
     "no \"-----BEGIN CERTIFICATE-----\")",
     0},
    {"key.pem", NULL, MAILCERT_E_INVALID,
     "the certificate file \"%s\" holds no certificate (it has PEM blocks EC PRIVATE KEY, but "
     "no \"-----BEGIN CERTIFICATE-----\")",
     0},
    {"truncated.pem", NULL, MAILCERT_E_INVALID,
     "the certificate file \"%s\": PEM block 1 (CERTIFICATE) has no \"-----END "
     "CERTIFICATE-----\" line: is the file cut short?",
     0},
    {"control-label.pem", NULL, MAILCERT_E_INVALID,
     "the certificate file \"%s\": PEM block 1 has a malformed BEGIN line", 0},
    {"bad-base64.pem", NULL, MAILCERT_E_INVALID,
     "the certificate file \"%s\": PEM block 1 (CERTIFICATE) is not valid base64: ", 0},
    {"not-x509.pem", NULL, MAILCERT_E_INVALID,
     "the certificate file \"%s\": certificate 1 (PEM block 1) is not a valid X.509 "
     "certificate: ",
     0},
    {"two-keys.pem", NULL, MAILCERT_E_INVALID,
     "the certificate file \"%s\" holds more than one private key; mailcert checks one key "
     "with its chain per file",
     0},
    {"encrypted-chain.pem", NULL, MAILCERT_E_INVALID,
     "the private key in the certificate file \"%s\" is encrypted (passphrase-protected): "
     "mailcert cannot compare it with the certificate; check a decrypted copy",
     0},
    {"chain.pem", "encrypted-key.pem", MAILCERT_E_INVALID,
     "the private key in the key file \"%s\" is encrypted (passphrase-protected): mailcert "
     "cannot compare it with the certificate; check a decrypted copy",
     1},
    {"chain.pem", "no-such-key.pem", MAILCERT_E_IO,
     "cannot read the key file \"%s\": No such file or directory", 1},
    {"chain.pem", "empty.pem", MAILCERT_E_INVALID, "the key file \"%s\" is empty", 1},
    {"chain.pem", "cert-as-key.pem", MAILCERT_E_INVALID,
     "the key file \"%s\" holds no private key (it has PEM blocks CERTIFICATE, but no "
     "\"-----BEGIN ... PRIVATE KEY-----\")",
     1},
    {"chain.pem", "garbage.pem", MAILCERT_E_INVALID,
     "the key file \"%s\" holds no private key: it is neither PEM (\"-----BEGIN PRIVATE "
     "KEY-----\") nor a DER private key",
     1},
};

START_TEST(test_file_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	mailcert_observation *obs = (mailcert_observation *)&obs; /* must be reset */
	char err[1024] = "", want[1200];

	ck_assert_int_eq(mailcert_observation_from_file(
			     &obs, path(c->file), c->key ? path(c->key) : NULL, err, sizeof(err)),
			 c->rc);
	ck_assert_ptr_null(obs);
	snprintf(want, sizeof(want), c->message, path(c->names_key ? c->key : c->file));
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got  \"%s\"\nwant \"%s\"", err, want);
}
END_TEST

START_TEST(test_file_args)
{
	mailcert_observation *obs = NULL;
	char err[256];

	ck_assert_int_eq(mailcert_observation_from_file(NULL, "x", NULL, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_observation_from_file(&obs, NULL, NULL, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_observation_from_file(&obs, "", NULL, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(
	    mailcert_observation_from_file(&obs, path("chain.pem"), "", err, sizeof(err)),
	    MAILCERT_E_INVALID);
	ck_assert_ptr_null(obs);
	/* No room for a reason is allowed. */
	ck_assert_int_eq(mailcert_observation_from_file(&obs, path("empty.pem"), NULL, NULL, 0),
			 MAILCERT_E_INVALID);
}
END_TEST

/* ---- served leaf vs --compare-file ------------------------------------ */

static mailcert_observation *served(const struct mc_fixture_cert *first)
{
	mailcert_observation *obs = mc_observation_new("smtp://mail.test:25", "mail.test");
	const struct mc_fixture_cert *chain[] = {first, &inter};

	ck_assert_ptr_nonnull(obs);
	for (size_t i = 0; i < 2; i++) {
		gnutls_datum_t der;

		ck_assert_int_eq(mc_fixture_cert_der(chain[i], &der), 0);
		ck_assert_int_eq(mc_observation_add_cert(obs, der.data, der.size), 0);
		gnutls_free(der.data);
	}
	return obs;
}

static char *serial_of(const struct mc_fixture_cert *c)
{
	static char hex[2][130];
	static int next;
	unsigned char buf[64];
	size_t len = sizeof(buf), skip = 0;
	char *out = hex[next++ % 2];

	ck_assert_int_eq(gnutls_x509_crt_get_serial(c->crt, buf, &len), 0);
	while (skip + 1 < len && buf[skip] == 0)
		skip++;
	mc_hex(out, buf + skip, len - skip);
	return out;
}

static const struct compare_case {
	const struct mc_fixture_cert *served;
	const char *file;
	const char *message; /* NULL: no finding; else a format of the expected message */
} compare_cases[] = {
    {&leaf, "chain.pem", NULL},
    {&leaf, "leaf.der", NULL},
    {&leaf, "postfix.pem", NULL},         /* the first certificate after the key */
    {&leaf, "encrypted-chain.pem", NULL}, /* a key beside the chain is not read */
    /* Renewed on disk, not reloaded. */
    {&old_leaf, "chain.pem",
     "the server serves leaf CN=mail.test serial %1$s, valid from 2026-09-29 10:00:00 UTC, "
     "but \"%3$s\" holds a newer certificate, CN=mail.test serial %2$s, valid from "
     "2026-11-27 10:00:00 UTC: renewed on disk but the server still serves the old one: "
     "reload the daemon"},
    /* The server is ahead of the file. */
    {&leaf, "old.pem",
     "the server serves leaf CN=mail.test serial %1$s, valid from 2026-11-27 10:00:00 UTC, "
     "newer than the certificate in \"%3$s\", CN=mail.test serial %2$s, valid from "
     "2026-09-29 10:00:00 UTC: the daemon uses another file, or the file was replaced by an "
     "older one; check which file its configuration names"},
    /* Issued the same second, yet another certificate. */
    {&leaf, "twin.pem",
     "the server serves leaf CN=mail.test serial %1$s, but \"%3$s\" holds another "
     "certificate, CN=mail.test serial %2$s, both valid from 2026-11-27 10:00:00 UTC: check "
     "which file the daemon's configuration names"},
};

START_TEST(test_compare)
{
	const struct compare_case *c = &compare_cases[_i];
	const struct mc_fixture_cert *file_leaf = strcmp(c->file, "old.pem") == 0    ? &old_leaf
						  : strcmp(c->file, "twin.pem") == 0 ? &twin
										     : &leaf;
	mailcert_observation *obs = served(c->served);
	mailcert_policy *p = test_policy();
	mailcert_report *r = NULL;
	const mailcert_finding *f;
	char err[1024], want[2048];

	ck_assert_msg(mailcert_policy_set_compare_file(p, path(c->file), err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	f = finding(r, "deploy.mismatch");
	if (!c->message) {
		ck_assert_msg(!f, "%s", f ? mailcert_finding_message(f) : "");
		ck_assert_int_eq(mailcert_report_state(r), MAILCERT_OK);
	} else {
		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(mailcert_finding_severity(f), MAILCERT_WARNING);
		ck_assert_int_eq(mailcert_finding_cert(f), 0);
		ck_assert_int_eq(mailcert_report_state(r), MAILCERT_WARNING);
		snprintf(want, sizeof(want), c->message, serial_of(c->served), serial_of(file_leaf),
			 path(c->file));
		ck_assert_str_eq(mailcert_finding_message(f), want);
	}
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	mailcert_policy_free(p);
}
END_TEST

START_TEST(test_compare_setter)
{
	mailcert_policy *p = test_policy();
	mailcert_observation *obs = served(&old_leaf);
	mailcert_report *r = NULL;
	char err[1024], want[1200];

	snprintf(want, sizeof(want),
		 "cannot read the certificate file \"%s\": No such file or directory",
		 path("no-such.pem"));
	ck_assert_int_eq(mailcert_policy_set_compare_file(p, path("no-such.pem"), err, sizeof(err)),
			 MAILCERT_E_IO);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(mailcert_policy_set_compare_file(p, path("garbage.pem"), err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_contains(err, "holds no certificate");
	/* A failed setter leaves the policy as it was: nothing compared. */
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	ck_assert_ptr_null(finding(r, "deploy.mismatch"));
	mailcert_report_free(r);
	/* Set, replaced, unset. */
	ck_assert_int_eq(mailcert_policy_set_compare_file(p, path("chain.pem"), err, sizeof(err)),
			 0);
	ck_assert_int_eq(mailcert_policy_set_compare_file(p, path("old.pem"), err, sizeof(err)), 0);
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	ck_assert_ptr_null(finding(r, "deploy.mismatch"));
	mailcert_report_free(r);
	ck_assert_int_eq(mailcert_policy_set_compare_file(p, path("chain.pem"), err, sizeof(err)),
			 0);
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	ck_assert_ptr_nonnull(finding(r, "deploy.mismatch"));
	mailcert_report_free(r);
	ck_assert_int_eq(mailcert_policy_set_compare_file(p, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	ck_assert_ptr_null(finding(r, "deploy.mismatch"));
	mailcert_report_free(r);
	ck_assert_int_eq(mailcert_policy_set_compare_file(NULL, NULL, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	mailcert_observation_free(obs);
	mailcert_policy_free(p);
}
END_TEST

/* ---- rendering a file's report ---------------------------------------- */

START_TEST(test_render_file)
{
	mailcert_observation *obs = NULL;
	mailcert_policy *p = test_policy();
	mailcert_report *r = NULL;
	char err[1024], *out = NULL, want[1200];

	ck_assert_int_eq(
	    mailcert_observation_from_file(&obs, path("chain.pem"), NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	ck_assert_int_eq(mailcert_render(&out, r, MAILCERT_FORMAT_JSON, 0), 0);
	snprintf(want, sizeof(want),
		 "{\"target\":\"%s\",\"protocol\":\"file\",\"host\":null,\"port\":null,\"peer\":null,"
		 "\"state\":\"OK\",\"findings\":[],",
		 path("chain.pem"));
	ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "%s", out);
	free(out);
	ck_assert_int_eq(mailcert_render(&out, r, MAILCERT_FORMAT_TEXT, 0), 0);
	snprintf(want, sizeof(want),
		 "%s  OK\n  no findings\n  chain in the file:\n    0 CN=mail.test\n",
		 path("chain.pem"));
	ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "%s", out);
	free(out);
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	mailcert_policy_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("check-deploy");
	TCase *tc = tcase_create("deploy");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_file_good, 0, sizeof(good_cases) / sizeof(good_cases[0]));
	tcase_add_test(tc, test_file_names);
	tcase_add_loop_test(tc, test_file_bad, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_file_args);
	tcase_add_loop_test(tc, test_compare, 0, sizeof(compare_cases) / sizeof(compare_cases[0]));
	tcase_add_test(tc, test_compare_setter);
	tcase_add_test(tc, test_render_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
