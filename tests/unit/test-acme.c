/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ACME clients' stores (model/acmestore.c) and --compare-acme
 * (checks/deploy.c): the layouts of certbot, acme.sh, lego and Traefik,
 * written here as each client writes them, from certificates made here;
 * which lineage covers a name; the messages of deploy.mismatch and
 * deploy.not-in-store; and hostile acme.json documents.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/evaluation.h"
#include "model/acmestore.h"

static char dir[] = "/tmp/test-acme-XXXXXX";
static const char *const mail_dns[] = {"mail.test", NULL};

/* A path under the test's directory, built like printf. */
static const char *at(const char *fmt, ...) MC_PRINTF(1, 2);
static const char *at(const char *fmt, ...)
{
	static char buf[8][1024];
	static int next;
	char *p = buf[next++ % 8];
	int n = snprintf(p, 1024, "%s/", dir);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p + n, (size_t)(1024 - n), fmt, ap);
	va_end(ap);
	return p;
}

static void mkdirs(const char *path)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

/* @c's key as PEM into @path (a new file). */
static void write_key(const struct mc_fixture_cert *c, const char *path)
{
	gnutls_datum_t pem;

	ck_assert_int_eq(gnutls_x509_privkey_export2(c->key, GNUTLS_X509_FMT_PEM, &pem), 0);
	write_text(path, (const char *)pem.data);
	gnutls_free(pem.data);
}

/* @c, and with @chain ev_inter after it, as PEM into @path (a new file). */
static void write_cert(const struct mc_fixture_cert *c, int chain, const char *path)
{
	unlink(path);
	ck_assert_int_eq(mc_fixture_cert_append_pem(c, path), 0);
	if (chain)
		ck_assert_int_eq(mc_fixture_cert_append_pem(&ev_inter, path), 0);
}

/* A leaf for @dns issued by ev_inter, valid from NOW+@from_h hours for @days days. */
static void make_leaf(struct mc_fixture_cert *c, const char *const *dns, double from_h,
		      double days, gnutls_pk_algorithm_t pk)
{
	const struct mc_fixture_cert_spec spec = {.cn = dns[0],
						  .dns = dns,
						  .issuer = &ev_inter,
						  .pk = pk,
						  .bits = pk == GNUTLS_PK_RSA ? 2048 : 0,
						  .not_before = NOW + (time_t)(from_h * 3600),
						  .not_after = NOW + (time_t)(from_h * 3600 + days * DAY)};

	ev_make(c, &spec);
}

static mailcert_acme_store *open_store(const char *path)
{
	mailcert_acme_store *s = NULL;
	char err[1024] = "";

	ck_assert_msg(mailcert_acme_store_open(&s, path, err, sizeof(err)) == 0, "%s", err);
	return s;
}

/* What opening @path says, which must fail with @rc. */
static const char *open_fails(const char *path, int rc)
{
	static char err[1024];
	mailcert_acme_store *s = NULL;

	err[0] = '\0';
	ck_assert_int_eq(mailcert_acme_store_open(&s, path, err, sizeof(err)), rc);
	ck_assert_ptr_null(s);
	return err;
}

static mailcert_policy *compare_policy(const char *store)
{
	mailcert_policy *p = ev_policy();
	char err[1024] = "";

	ck_assert_msg(mailcert_policy_set_compare_acme(p, store, err, sizeof(err)) == 0, "%s", err);
	return p;
}

/* @leaf (with ev_inter) served at @target, evaluated at NOW. */
static mailcert_report *served(const struct mc_fixture_cert *leaf, const char *target,
			       const char *host, const mailcert_policy *p)
{
	const struct mc_fixture_cert *chain[] = {leaf, &ev_inter};
	mailcert_observation *obs = ev_observe(target, host, chain, 2);
	mailcert_report *r = NULL;

	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	mailcert_observation_free(obs);
	return r;
}

static const char *serial(const mailcert_report *r)
{
	return mailcert_report_cert(r, 0)->serial;
}

/* ---- certbot -------------------------------------------------------- */

static struct mc_fixture_cert cb[3], cb_stray, cb_newer, cb_other;

/* certbot's config directory: mail.test renewed twice (cert1..3), and a renewal conf without live/. */
static void certbot_store(const char *root, int renewals)
{
	static const char *const kinds[] = {"cert", "chain", "fullchain", "privkey"};

	mkdirs(at("%s/live/mail.test", root));
	mkdirs(at("%s/archive/mail.test", root));
	mkdirs(at("%s/renewal", root));
	write_text(at("%s/live/README", root), "This directory contains your keys.\n");
	for (int i = 0; i <= renewals; i++) {
		write_cert(&cb[i], 0, at("%s/archive/mail.test/cert%d.pem", root, i + 1));
		write_cert(&ev_inter, 0, at("%s/archive/mail.test/chain%d.pem", root, i + 1));
		write_cert(&cb[i], 1, at("%s/archive/mail.test/fullchain%d.pem", root, i + 1));
		write_key(&cb[i], at("%s/archive/mail.test/privkey%d.pem", root, i + 1));
	}
	for (size_t k = 0; k < 4; k++) {
		char target[64];

		snprintf(target, sizeof(target), "../../archive/mail.test/%s%d.pem", kinds[k],
			 renewals + 1);
		unlink(at("%s/live/mail.test/%s.pem", root, kinds[k]));
		ck_assert_int_eq(symlink(target, at("%s/live/mail.test/%s.pem", root, kinds[k])), 0);
	}
	write_text(at("%s/renewal/mail.test.conf", root),
		   "version = 2.1.0\narchive_dir = /etc/letsencrypt/archive/mail.test\n");
	write_text(at("%s/renewal/gone.test.conf", root), "version = 2.1.0\n");
}

START_TEST(test_certbot_layout)
{
	mailcert_acme_store *s;
	mailcert_observation *obs;
	mailcert_report *r;
	mailcert_policy *p = ev_policy();
	char err[1024];

	certbot_store("le", 1);
	s = open_store(at("le"));
	ck_assert_str_eq(mailcert_acme_store_kind(s), "certbot");
	ck_assert_uint_eq(mailcert_acme_store_count(s), 2);
	ck_assert_str_eq(mailcert_acme_lineage_name(s, 0), "gone.test");
	ck_assert_str_eq(mailcert_acme_lineage_name(s, 1), "mail.test");
	ck_assert_ptr_null(mailcert_acme_lineage_name(s, 2));
	/* The lineage certbot cannot renew is said, not skipped. */
	ck_assert_int_eq(mailcert_observation_from_acme(&obs, s, 0, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_ptr_null(obs);
	ck_assert_contains(err, "the certbot lineage gone.test (");
	ck_assert_contains(err, "): renewal/ configures it, but live/ has no directory for it");
	ck_assert_int_eq(mailcert_observation_from_acme(&obs, s, 1, err, sizeof(err)), 0);
	ck_assert_str_eq(mailcert_observation_file(obs), at("le/live/mail.test/fullchain.pem"));
	ck_assert_uint_eq(mailcert_observation_chain_length(obs), 2);
	ck_assert_ptr_null(mailcert_acme_lineage_note(s, 1));
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	ck_assert_codes(r, "", MAILCERT_OK);
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	mailcert_acme_store_free(s);
	mailcert_policy_free(p);
}
END_TEST

/* The served leaf is the newest, the previous, an older one, or none of them. */
START_TEST(test_certbot_compare)
{
	mailcert_policy *p;
	mailcert_report *r;
	char want[1024];

	certbot_store("le2", 2);
	p = compare_policy(at("le2"));
	r = served(&cb[2], "imaps://mail.test:993", "mail.test", p);
	ck_assert_codes(r, "", MAILCERT_OK);
	mailcert_report_free(r);

	r = served(&cb[1], "imaps://mail.test:993", "mail.test", p);
	ck_assert_codes(r, "deploy.mismatch ", MAILCERT_WARNING);
	snprintf(want, sizeof(want),
		 "the certbot lineage mail.test was renewed 30 h ago; port 993 still serves the "
		 "previous certificate (serial %s, valid from 2026-11-26 10:00:00 UTC), not the "
		 "newest in \"%s\": reload the daemon",
		 serial(r), at("le2/live/mail.test/fullchain.pem"));
	ck_assert_str_eq(ev_message(r, "deploy.mismatch"), want);
	mailcert_report_free(r);

	r = served(&cb[0], "smtp://mail.test:25", "mail.test", p);
	ck_assert_contains(ev_message(r, "deploy.mismatch"),
			   "the certbot lineage mail.test was renewed 30 h ago; port 25 still "
			   "serves a certificate 2 renewals old (serial ");
	mailcert_report_free(r);

	/* Older, but not the lineage's: another file. */
	r = served(&cb_stray, "smtp://mail.test:587", "mail.test", p);
	ck_assert_codes(r, "deploy.mismatch ", MAILCERT_WARNING);
	snprintf(want, sizeof(want),
		 "the certbot lineage mail.test was renewed 30 h ago; port 587 serves an older "
		 "certificate that is not one of the lineage's, leaf CN=mail.test serial %s "
		 "(valid from 2026-10-29 10:00:00 UTC): the daemon reads another file than "
		 "\"%s\"; point it there and reload",
		 serial(r), at("le2/live/mail.test/fullchain.pem"));
	ck_assert_str_eq(ev_message(r, "deploy.mismatch"), want);
	mailcert_report_free(r);

	r = served(&cb_newer, "smtp://mail.test:25", "mail.test", p);
	ck_assert_contains(ev_message(r, "deploy.mismatch"),
			   "(valid from 2026-11-28 09:00:00 UTC), newer than the newest certificate "
			   "of the certbot lineage mail.test (valid from 2026-11-27 04:00:00 UTC): the "
			   "certificate comes from elsewhere; check which file the daemon's "
			   "configuration names");
	mailcert_report_free(r);

	r = served(&cb_other, "smtp://other.test:25", "other.test", p);
	ck_assert_codes(r, "deploy.not-in-store ", MAILCERT_WARNING);
	snprintf(want, sizeof(want),
		 "no lineage of the certbot store \"%s\" covers other.test (it has 1: mail.test; "
		 "1 could not be read (gone.test: renewal/ configures it, but live/ has no "
		 "directory for it: certbot cannot renew it (see `certbot certificates`))); port "
		 "25 serves leaf CN=other.test serial %s, which this ACME client does not renew",
		 at("le2"), serial(r));
	ck_assert_str_eq(ev_message(r, "deploy.not-in-store"), want);
	mailcert_report_free(r);

	/* -n names the name: an address as the target is fine. */
	ck_assert_int_eq(mailcert_policy_add_name(p, "mail.test"), 0);
	r = served(&cb_stray, "smtp://127.0.0.1:25", "127.0.0.1", p);
	ck_assert_codes(r, "deploy.mismatch ", MAILCERT_WARNING);
	mailcert_report_free(r);
	mailcert_policy_free(p);
}
END_TEST

/* ---- acme.sh and lego ----------------------------------------------- */

static struct mc_fixture_cert ec_leaf, rsa_leaf, ec_old, rsa_old, wild, wrong_key;

START_TEST(test_acmesh)
{
	mailcert_acme_store *s;
	mailcert_policy *p;
	mailcert_report *r;
	char want[1024];

	mkdirs(at("acme.sh/mail.test_ecc"));
	mkdirs(at("acme.sh/mail.test"));
	mkdirs(at("acme.sh/ca/acme-v02.api.letsencrypt.org/directory"));
	write_text(at("acme.sh/account.conf"), "LOG_FILE=acme.sh.log\n");
	write_cert(&ec_leaf, 0, at("acme.sh/mail.test_ecc/mail.test.cer"));
	write_cert(&ec_leaf, 1, at("acme.sh/mail.test_ecc/fullchain.cer"));
	write_cert(&ev_inter, 0, at("acme.sh/mail.test_ecc/ca.cer"));
	write_key(&ec_leaf, at("acme.sh/mail.test_ecc/mail.test.key"));
	/* No fullchain.cer: the leaf alone. */
	write_cert(&rsa_leaf, 0, at("acme.sh/mail.test/mail.test.cer"));
	write_key(&rsa_leaf, at("acme.sh/mail.test/mail.test.key"));
	s = open_store(at("acme.sh"));
	ck_assert_str_eq(mailcert_acme_store_kind(s), "acme.sh");
	ck_assert_uint_eq(mailcert_acme_store_count(s), 2);
	ck_assert_str_eq(mailcert_acme_lineage_name(s, 0), "mail.test");
	ck_assert_str_eq(mailcert_acme_lineage_name(s, 1), "mail.test_ecc");
	ck_assert_uint_eq(s->lineages[0].chain_len, 1);
	ck_assert_uint_eq(s->lineages[1].chain_len, 2);
	mailcert_acme_store_free(s);

	/* Two lineages cover the name: the one with the served key's type. */
	p = compare_policy(at("acme.sh"));
	r = served(&rsa_old, "smtp://mail.test:25", "mail.test", p);
	/* acme.sh keeps no earlier certificate: an older one is likely the previous. */
	snprintf(want, sizeof(want),
		 "the acme.sh lineage mail.test was renewed 24 h ago; port 25 still serves an "
		 "older certificate, leaf CN=mail.test serial %s (valid from 2026-09-29 10:00:00 "
		 "UTC): reload the daemon, or check that it reads \"%s\"",
		 serial(r), at("acme.sh/mail.test/mail.test.cer"));
	ck_assert_str_eq(ev_message(r, "deploy.mismatch"), want);
	mailcert_report_free(r);
	r = served(&ec_old, "smtp://mail.test:25", "mail.test", p);
	ck_assert_contains(ev_message(r, "deploy.mismatch"),
			   "the acme.sh lineage mail.test_ecc was renewed");
	mailcert_report_free(r);
	r = served(&rsa_leaf, "smtp://mail.test:25", "mail.test", p);
	ck_assert_codes(r, "", MAILCERT_OK);
	mailcert_report_free(r);
	mailcert_policy_free(p);

	/* A home with nothing issued yet. */
	mkdirs(at("acme.sh-new"));
	write_text(at("acme.sh-new/account.conf"), "\n");
	s = open_store(at("acme.sh-new"));
	ck_assert_str_eq(mailcert_acme_store_kind(s), "acme.sh");
	ck_assert_uint_eq(mailcert_acme_store_count(s), 0);
	mailcert_acme_store_free(s);
}
END_TEST

START_TEST(test_lego)
{
	mailcert_acme_store *s;
	mailcert_observation *obs;
	mailcert_policy *p;
	mailcert_report *r;
	char err[1024];
	static const char *const x_wild[] = {"x.wild.test", NULL};
	static const char *const deep_wild[] = {"a.b.wild.test", NULL};
	static const char *const bare_wild[] = {"wild.test", NULL};
	struct mc_fixture_cert x, deep, bare;

	mkdirs(at(".lego/certificates"));
	mkdirs(at(".lego/accounts"));
	write_cert(&ec_leaf, 1, at(".lego/certificates/mail.test.crt"));
	write_cert(&ev_inter, 0, at(".lego/certificates/mail.test.issuer.crt"));
	write_key(&ec_leaf, at(".lego/certificates/mail.test.key"));
	write_text(at(".lego/certificates/mail.test.json"), "{\"domain\": \"mail.test\"}\n");
	write_cert(&wild, 1, at(".lego/certificates/_.wild.test.crt"));
	/* A key that is not the certificate's. */
	write_key(&wrong_key, at(".lego/certificates/_.wild.test.key"));
	s = open_store(at(".lego"));
	ck_assert_str_eq(mailcert_acme_store_kind(s), "lego");
	ck_assert_uint_eq(mailcert_acme_store_count(s), 2);
	ck_assert_str_eq(mailcert_acme_lineage_name(s, 0), "_.wild.test");
	ck_assert_str_eq(mailcert_acme_lineage_name(s, 1), "mail.test");
	ck_assert_int_eq(mailcert_observation_from_acme(&obs, s, 0, err, sizeof(err)), 0);
	p = ev_policy();
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	ck_assert_codes(r, "deploy.key-mismatch ", MAILCERT_CRITICAL);
	ck_assert_contains(ev_message(r, "deploy.key-mismatch"), "_.wild.test.key");
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	mailcert_policy_free(p);
	mailcert_acme_store_free(s);
	/* Its certificates/ directory names the same store. */
	s = open_store(at(".lego/certificates"));
	ck_assert_str_eq(mailcert_acme_store_kind(s), "lego");
	ck_assert_uint_eq(mailcert_acme_store_count(s), 2);
	mailcert_acme_store_free(s);

	/* A path is quoted in messages as a name is. */
	mkdirs(at("le\"go/certificates"));
	write_cert(&ec_leaf, 1, at("le\"go/certificates/mail.test.crt"));
	p = compare_policy(at("le\"go"));
	r = served(&ec_old, "smtp://mail.test:25", "mail.test", p);
	ck_assert_contains(ev_message(r, "deploy.mismatch"), "/le\\\"go/certificates/mail.test.crt\"");
	mailcert_report_free(r);
	mailcert_policy_free(p);

	/* A wildcard covers one label, not two, not none. */
	make_leaf(&x, x_wild, -100, 90, 0);
	make_leaf(&deep, deep_wild, -100, 90, 0);
	make_leaf(&bare, bare_wild, -100, 90, 0);
	p = compare_policy(at(".lego"));
	r = served(&x, "smtp://x.wild.test:25", "x.wild.test", p);
	ck_assert_contains(ev_message(r, "deploy.mismatch"), "the lego lineage _.wild.test was renewed");
	mailcert_report_free(r);
	r = served(&deep, "smtp://a.b.wild.test:25", "a.b.wild.test", p);
	ck_assert_codes(r, "deploy.not-in-store ", MAILCERT_WARNING);
	mailcert_report_free(r);
	r = served(&bare, "smtp://wild.test:25", "wild.test", p);
	ck_assert_codes(r, "deploy.not-in-store ", MAILCERT_WARNING);
	mailcert_report_free(r);
	mailcert_policy_free(p);
	mc_fixture_cert_clear(&x);
	mc_fixture_cert_clear(&deep);
	mc_fixture_cert_clear(&bare);
}
END_TEST

/* ---- Traefik -------------------------------------------------------- */

/* base64 of @c's PEM (with ev_inter when @chain), or of its key's, as acme.json keeps them. */
static char *b64_pem(const struct mc_fixture_cert *c, int key, int chain)
{
	gnutls_datum_t pem, b64, inter = {NULL, 0};
	char *all;

	if (key)
		ck_assert_int_eq(gnutls_x509_privkey_export2(c->key, GNUTLS_X509_FMT_PEM, &pem), 0);
	else
		ck_assert_int_eq(gnutls_x509_crt_export2(c->crt, GNUTLS_X509_FMT_PEM, &pem), 0);
	if (chain)
		ck_assert_int_eq(gnutls_x509_crt_export2(ev_inter.crt, GNUTLS_X509_FMT_PEM, &inter),
				 0);
	all = malloc(pem.size + inter.size + 1);
	memcpy(all, pem.data, pem.size);
	if (inter.size)
		memcpy(all + pem.size, inter.data, inter.size);
	ck_assert_int_eq(gnutls_base64_encode2(&(gnutls_datum_t){(unsigned char *)all,
								 pem.size + inter.size},
					       &b64),
			 0);
	free(all);
	gnutls_free(pem.data);
	gnutls_free(inter.data);
	all = strndup((const char *)b64.data, b64.size);
	gnutls_free(b64.data);
	return all;
}

START_TEST(test_traefik)
{
	char *cert = b64_pem(&ec_leaf, 0, 1), *key = b64_pem(&ec_leaf, 1, 0);
	char *wcert = b64_pem(&wild, 0, 0);
	char *doc = NULL;
	mailcert_acme_store *s;
	mailcert_observation *obs;
	mailcert_policy *p;
	mailcert_report *r;
	char err[1024];

	/* Traefik 2 and later: per resolver. */
	ck_assert_int_gt(asprintf(&doc,
				  "{\"le\": {\"Account\": {\"Email\": \"postmaster@mail.test\"},"
				  " \"Certificates\": [{\"domain\": {\"main\": \"mail.test\", \"sans\": "
				  "[\"smtp.mail.test\"]}, \"certificate\": \"%s\", \"key\": \"%s\", "
				  "\"Store\": \"default\"},"
				  " {\"domain\": {\"main\": \"broken.test\"}, \"certificate\": \"@@@\"},"
				  " {\"domain\": {\"main\": \"nocert.test\"}}]},"
				  " \"staging\": {\"Account\": null, \"Certificates\": null},"
				  " \"other\": {\"Certificates\": [{\"domain\": {\"main\": "
				  "\"*.wild.test\"}, \"certificate\": \"%s\"}]}}",
				  cert, key, wcert),
			 0);
	mkdirs(at("dms/letsencrypt"));
	write_text(at("dms/letsencrypt/acme.json"), doc);
	free(doc);
	/* Docker-Mailserver's mount: the directory holding acme.json. */
	s = open_store(at("dms/letsencrypt"));
	ck_assert_str_eq(mailcert_acme_store_kind(s), "Traefik");
	ck_assert_uint_eq(mailcert_acme_store_count(s), 4);
	ck_assert_str_eq(mailcert_acme_lineage_name(s, 0), "le/broken.test");
	ck_assert_str_eq(mailcert_acme_lineage_name(s, 1), "le/mail.test");
	ck_assert_str_eq(mailcert_acme_lineage_name(s, 2), "le/nocert.test");
	ck_assert_str_eq(mailcert_acme_lineage_name(s, 3), "other/*.wild.test");
	ck_assert_int_eq(mailcert_observation_from_acme(&obs, s, 0, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_contains(err, "its \"certificate\" is not base64");
	ck_assert_int_eq(mailcert_observation_from_acme(&obs, s, 2, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_contains(err, "its entry has no \"certificate\"");
	ck_assert_int_eq(mailcert_observation_from_acme(&obs, s, 1, err, sizeof(err)), 0);
	ck_assert_str_eq(mailcert_observation_file(obs), at("dms/letsencrypt/acme.json#le/mail.test"));
	p = ev_policy();
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	ck_assert_codes(r, "", MAILCERT_OK);
	ck_assert_uint_eq(obs->keys_len, 1);
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	mailcert_policy_free(p);
	mailcert_acme_store_free(s);

	/* --compare-acme on the file itself. */
	p = compare_policy(at("dms/letsencrypt/acme.json"));
	r = served(&ec_old, "submissions://mail.test:465", "mail.test", p);
	snprintf(err, sizeof(err),
		 "the Traefik lineage le/mail.test was renewed 24 h ago; port 465 still serves an "
		 "older certificate, leaf CN=mail.test serial %s (valid from 2026-09-29 10:00:00 "
		 "UTC): the server has not taken up the renewal; restart it, or check what copies "
		 "certificates out of \"%s\"",
		 serial(r), at("dms/letsencrypt/acme.json"));
	ck_assert_str_eq(ev_message(r, "deploy.mismatch"), err);
	mailcert_report_free(r);
	r = served(&ec_leaf, "submissions://mail.test:465", "mail.test", p);
	ck_assert_codes(r, "", MAILCERT_OK);
	mailcert_report_free(r);
	mailcert_policy_free(p);

	/* Traefik 1: one store at the top, capitalised members. */
	ck_assert_int_gt(asprintf(&doc,
				  "{\"Account\": {}, \"Certificates\": [{\"Domain\": {\"Main\": "
				  "\"mail.test\", \"SANs\": null}, \"Certificate\": \"%s\", \"Key\": "
				  "\"%s\"}], \"HTTPChallenge\": {}}",
				  cert, key),
			 0);
	write_text(at("acme-v1.json"), doc);
	free(doc);
	s = open_store(at("acme-v1.json"));
	ck_assert_uint_eq(mailcert_acme_store_count(s), 1);
	ck_assert_str_eq(mailcert_acme_lineage_name(s, 0), "mail.test");
	ck_assert_int_eq(s->lineages[0].chain_len, 2);
	ck_assert_ptr_nonnull(s->lineages[0].key.path);
	mailcert_acme_store_free(s);
	free(cert);
	free(key);
	free(wcert);
}
END_TEST

/* What an acme.json must not do to the reader. */
START_TEST(test_traefik_hostile)
{
	static const struct {
		const char *doc;
		const char *err; /* in the message; NULL: it reads */
		size_t lineages;
	} cases[] = {
	    {"", "is not JSON", 0},
	    {"[]", "is not a JSON object", 0},
	    {"\"acme\"", "is not a JSON object", 0},
	    {"{}", "has no Certificates", 0},
	    {"{\"le\": {\"Account\": {}}}", "has no Certificates", 0},
	    {"{\"le\": {\"Certificates\": 5}}", "its Certificates of resolver \"le\" is not a JSON array", 0},
	    {"{\"Certificates\": {}}", "its Certificates is not a JSON array", 0},
	    {"{\"le\": {\"Certificates\": [1, null, \"x\"]}}", NULL, 3},
	    {"{\"le\": {\"Certificates\": [{\"domain\": {\"main\": 7}, \"certificate\": \"\"}]}}",
	     NULL, 1},
	    {"{\"le\": {\"Certificates\": [{\"domain\": {\"main\": \"a\\u0001\\\"b\"}, "
	     "\"certificate\": \"AAAA\"}]}}",
	     NULL, 1},
	    {"{\"le\": {\"Certificates\": []}} trailing", "is not JSON", 0},
	};
	char deep[200];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mailcert_acme_store *s = mc_acme_store_alloc(MC_ACME_TRAEFIK, "acme.json");
		char err[1024] = "";
		int rc = mc_acme_traefik_parse(s, cases[i].doc, strlen(cases[i].doc), err,
					       sizeof(err));

		if (cases[i].err) {
			ck_assert_msg(rc == MAILCERT_E_INVALID, "case %zu: %d", i, rc);
			ck_assert_contains(err, cases[i].err);
		} else {
			ck_assert_msg(rc == 0, "case %zu: %s", i, err);
			ck_assert_uint_eq(s->len, cases[i].lineages);
			for (size_t k = 0; k < s->len; k++)
				ck_assert_ptr_nonnull(s->lineages[k].error);
		}
		mailcert_acme_store_free(s);
	}
	/* Names are quoted; a non-string main is numbered. */
	{
		mailcert_acme_store *s = mc_acme_store_alloc(MC_ACME_TRAEFIK, "acme.json");
		char err[256];

		ck_assert_int_eq(mc_acme_traefik_parse(s, cases[8].doc, strlen(cases[8].doc), err,
						       sizeof(err)),
				 0);
		ck_assert_str_eq(s->lineages[0].name, "le/#1");
		mailcert_acme_store_free(s);
		s = mc_acme_store_alloc(MC_ACME_TRAEFIK, "acme.json");
		ck_assert_int_eq(mc_acme_traefik_parse(s, cases[9].doc, strlen(cases[9].doc), err,
						       sizeof(err)),
				 0);
		ck_assert_str_eq(s->lineages[0].name, "le/a\\x01\\\"b");
		mailcert_acme_store_free(s);
	}
	/* Deeper than any acme.json. */
	memset(deep, '[', sizeof(deep));
	{
		mailcert_acme_store *s = mc_acme_store_alloc(MC_ACME_TRAEFIK, "acme.json");
		char err[256];

		ck_assert_int_eq(mc_acme_traefik_parse(s, deep, sizeof(deep), err, sizeof(err)),
				 MAILCERT_E_INVALID);
		ck_assert_contains(err, "is not JSON");
		/* Larger than the bound: refused before a byte is read. */
		ck_assert_int_eq(mc_acme_traefik_parse(s, deep, MC_ACME_JSON_MAX + 1, err,
						       sizeof(err)),
				 MAILCERT_E_INVALID);
		ck_assert_str_eq(err, "the acme.json \"acme.json\" is larger than 64 MiB");
		mailcert_acme_store_free(s);
	}
	/* More entries than lineages may be. */
	{
		size_t n = MC_ACME_MAX_LINEAGES + 1, len = 0;
		char *doc = malloc(32 + 3 * n), err[256];
		mailcert_acme_store *s = mc_acme_store_alloc(MC_ACME_TRAEFIK, "acme.json");

		len += (size_t)sprintf(doc, "{\"le\":{\"Certificates\":[");
		for (size_t i = 0; i < n; i++)
			len += (size_t)sprintf(doc + len, "%s1", i ? "," : "");
		len += (size_t)sprintf(doc + len, "]}}");
		ck_assert_int_eq(mc_acme_traefik_parse(s, doc, len, err, sizeof(err)),
				 MAILCERT_E_INVALID);
		ck_assert_str_eq(err, "the acme.json \"acme.json\": the Traefik store holds more than "
				      "4096 lineages");
		mailcert_acme_store_free(s);
		free(doc);
	}
}
END_TEST

/* Paths that are no store say what would be one. */
START_TEST(test_not_a_store)
{
	mkdirs(at("empty"));
	ck_assert_contains(open_fails(at("empty"), MAILCERT_E_INVALID),
			   "is none of the ACME stores mailcert reads: a certbot config directory "
			   "(with live/), an acme.sh home (NAME/NAME.cer or NAME_ecc/NAME.cer), a "
			   "lego directory (certificates/NAME.crt) or a Traefik acme.json");
	certbot_store("le3", 0);
	ck_assert_contains(open_fails(at("le3/live/mail.test"), MAILCERT_E_INVALID),
			   "is one certbot lineage's directory; give certbot's config directory");
	ck_assert_contains(open_fails(at("missing"), MAILCERT_E_IO),
			   "cannot read the ACME store \"");
	ck_assert_contains(open_fails(at("missing"), MAILCERT_E_IO), "No such file or directory");
	write_text(at("not.json"), "certbot\n");
	ck_assert_contains(open_fails(at("not.json"), MAILCERT_E_INVALID),
			   "not a Traefik acme.json");
}
END_TEST

static void setup(void)
{
	static const char *const other_dns[] = {"other.test", NULL};

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ev_pki_setup();
	/* mail.test renewed at NOW-60d, NOW-30h: cb[2] is the newest. */
	make_leaf(&cb[0], mail_dns, -90 * 24, 90, 0);
	make_leaf(&cb[1], mail_dns, -2 * 24, 90, 0);
	make_leaf(&cb[2], mail_dns, -30, 90, 0);
	make_leaf(&cb_stray, mail_dns, -30 * 24, 90, 0);
	make_leaf(&cb_newer, mail_dns, -1, 90, 0);
	make_leaf(&cb_other, other_dns, -1, 90, 0);
	make_leaf(&ec_leaf, mail_dns, -24, 90, 0);
	make_leaf(&ec_old, mail_dns, -24 * 60, 90, 0);
	make_leaf(&rsa_leaf, mail_dns, -24, 90, GNUTLS_PK_RSA);
	make_leaf(&rsa_old, mail_dns, -24 * 60, 90, GNUTLS_PK_RSA);
	{
		static const char *const wild_dns[] = {"*.wild.test", NULL};

		make_leaf(&wild, wild_dns, -24, 90, 0);
	}
	make_leaf(&wrong_key, other_dns, -24, 90, 0);
}

static void teardown(void)
{
	char cmd[256];
	struct mc_fixture_cert *all[] = {&cb[0], &cb[1], &cb[2], &cb_stray, &cb_newer, &cb_other,
					 &ec_leaf, &ec_old, &rsa_leaf, &rsa_old, &wild, &wrong_key};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		mc_fixture_cert_clear(all[i]);
	ev_pki_teardown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

int main(void)
{
	Suite *s = suite_create("acme");
	TCase *tc = tcase_create("acme");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_certbot_layout);
	tcase_add_test(tc, test_certbot_compare);
	tcase_add_test(tc, test_acmesh);
	tcase_add_test(tc, test_lego);
	tcase_add_test(tc, test_traefik);
	tcase_add_test(tc, test_traefik_hostile);
	tcase_add_test(tc, test_not_a_store);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
