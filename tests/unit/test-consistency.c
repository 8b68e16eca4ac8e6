/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The leaf consistency verdict (include/mailcert/consistency.h) against
 * exact codes and messages, including the ones docs/scan.md shows.
 * Reports are built by hand with the internal API, as test-render.c
 * builds them: the verdict reads only a report's target, state, failure
 * and leaf.
 */
#define _GNU_SOURCE /* timegm */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mailcert/consistency.h>

#include "model/internal.h"

/* "YYYY-MM-DD" at midnight UTC. */
static time_t day(const char *date)
{
	struct tm tm = {0};

	ck_assert_int_eq(sscanf(date, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday), 3);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

#define OLD_SHA "3f1c0a9b2e4d5f607182930a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e"
#define NEW_SHA "a07e55c1d2b3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3"
#define THIRD_SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A report of @target serving a leaf (@sha256, @subject, @not_after), as of 2026-12-01. */
static mailcert_report *serving(const char *target, const char *sha256, const char *subject,
				const char *not_after)
{
	mailcert_observation *obs = mc_observation_new(target, "mail.example.com");
	mailcert_report *r;
	struct mc_cert_store *c;

	ck_assert_ptr_nonnull(obs);
	ck_assert_int_eq(mc_observation_set_tls(obs, "TLS1.3", "TLS_AES_128_GCM_SHA256", NULL), 0);
	r = mc_report_new(obs, day("2026-12-01"));
	ck_assert_ptr_nonnull(r);
	mailcert_observation_free(obs);
	r->certs = calloc(1, sizeof(*r->certs));
	ck_assert_ptr_nonnull(r->certs);
	c = &r->certs[r->certs_len++];
	c->strings[0] = strdup(subject);
	c->strings[1] = strdup(sha256);
	c->san = calloc(1, sizeof(*c->san));
	c->info = (mailcert_cert_info){.subject = c->strings[0],
				       .sha256 = c->strings[1],
				       .san = (const char *const *)c->san,
				       .not_after = day(not_after)};
	return r;
}

/* A report of @target that failed with @code (its finding at @severity). */
static mailcert_report *failing(const char *target, const char *code, mailcert_state severity)
{
	mailcert_observation *obs = mc_observation_new(target, "mail.example.com");
	mailcert_report *r;

	ck_assert_ptr_nonnull(obs);
	mc_observation_fail(obs, code, "it failed");
	r = mc_report_new(obs, day("2026-12-01"));
	ck_assert_ptr_nonnull(r);
	mailcert_observation_free(obs);
	ck_assert_int_eq(mc_report_add(r, code, severity, -1, "it failed"), 0);
	return r;
}

/* The endpoint record of @r, which is freed at once: the record must not need it. */
static mailcert_endpoint *endpoint(mailcert_report *r)
{
	mailcert_endpoint *e = NULL;

	ck_assert_int_eq(mailcert_endpoint_new(&e, r), 0);
	ck_assert_ptr_nonnull(e);
	mailcert_report_free(r);
	return e;
}

static mailcert_endpoint *old_leaf(const char *target)
{
	return endpoint(serving(target, OLD_SHA, "CN=mail.example.com", "2027-01-30"));
}

static mailcert_endpoint *new_leaf(const char *target)
{
	return endpoint(serving(target, NEW_SHA, "CN=mail.example.com", "2027-11-26"));
}

static mailcert_endpoint *refused(const char *target)
{
	return endpoint(failing(target, "connect.refused", MAILCERT_OK));
}

/*
 * Judges @e[0 .. n) of mail.example.com and frees them first: the verdict
 * must stand on its own.
 */
static mailcert_consistency *judge(mailcert_endpoint **e, size_t n, mailcert_key_type kt,
				   unsigned flags)
{
	mailcert_consistency *c = NULL;

	ck_assert_int_eq(mailcert_consistency_judge(&c, "mail.example.com", kt,
						    (const mailcert_endpoint *const *)e, n, flags),
			 0);
	ck_assert_ptr_nonnull(c);
	for (size_t i = 0; i < n; i++)
		mailcert_endpoint_free(e[i]);
	return c;
}

static void expect_verdict(const mailcert_consistency *c, mailcert_state state, const char *code,
			   const char *message)
{
	ck_assert_int_eq(c->state, state);
	ck_assert_str_eq(c->code, code);
	ck_assert_msg(strcmp(c->message, message) == 0, "--- got\n%s\n--- want\n%s", c->message,
		      message);
}

static void expect_port(const mailcert_consistency_port *p, const char *service, unsigned port)
{
	ck_assert_str_eq(p->service, service);
	ck_assert_uint_eq(p->port, port);
}

/* docs/scan.md's example: renewed for Dovecot, Postfix still on the old leaf. */
START_TEST(test_mismatch)
{
	mailcert_endpoint *e[] = {
	    old_leaf("smtp://mail.example.com:25"),        old_leaf("smtps://mail.example.com:465"),
	    old_leaf("submission://mail.example.com:587"), new_leaf("imap://mail.example.com:143"),
	    new_leaf("imaps://mail.example.com:993"),      new_leaf("pop3://mail.example.com:110"),
	    new_leaf("pop3s://mail.example.com:995"),      refused("sieve://mail.example.com:4190"),
	};
	mailcert_consistency *c = judge(e, 8, 0, 0);

	expect_verdict(
	    c, MAILCERT_WARNING, "scan.leaf-mismatch",
	    "mail.example.com: 2 different leaf certificates: smtp (25), smtps (465), submission "
	    "(587) serve SHA-256 3f1c0a9b2e4d5f60... CN=mail.example.com, expires 2027-01-30; "
	    "imap (143), imaps (993), pop3 (110), pop3s (995) serve SHA-256 a07e55c1d2b3e4f5... "
	    "CN=mail.example.com, expires 2027-11-26; older certificate still served on smtp "
	    "(25), smtps (465), submission (587): renewed elsewhere, not reloaded or redeployed "
	    "here?; closed: sieve (4190)");
	ck_assert_str_eq(c->host, "mail.example.com");
	ck_assert_int_eq(c->key_type, 0);
	ck_assert_uint_eq(c->n_leaves, 2);
	ck_assert_str_eq(c->leaves[0].sha256, OLD_SHA);
	ck_assert_str_eq(c->leaves[0].subject, "CN=mail.example.com");
	ck_assert_int_eq(c->leaves[0].not_after, day("2027-01-30"));
	ck_assert_uint_eq(c->leaves[0].n_ports, 3);
	expect_port(&c->leaves[0].ports[0], "smtp", 25);
	expect_port(&c->leaves[0].ports[1], "smtps", 465);
	expect_port(&c->leaves[0].ports[2], "submission", 587);
	ck_assert_str_eq(c->leaves[1].sha256, NEW_SHA);
	ck_assert_int_eq(c->leaves[1].not_after, day("2027-11-26"));
	ck_assert_uint_eq(c->leaves[1].n_ports, 4);
	expect_port(&c->leaves[1].ports[0], "imap", 143);
	expect_port(&c->leaves[1].ports[3], "pop3s", 995);
	ck_assert_uint_eq(c->n_closed, 1);
	expect_port(&c->closed[0], "sieve", 4190);
	ck_assert_str_eq(c->closed[0].failure, "connect.refused");
	ck_assert_uint_eq(c->n_failed, 0);
	mailcert_consistency_free(c);
}
END_TEST

/* Three leaves, two of them older than the newest; one port alone "serves". */
START_TEST(test_mismatch_three)
{
	mailcert_endpoint *e[] = {
	    new_leaf("imaps://mail.example.com:993"),
	    old_leaf("smtp://mail.example.com:25"),
	    endpoint(serving("pop3s://mail.example.com:995", THIRD_SHA, "CN=pop.example.com",
			     "2027-06-01")),
	    old_leaf("submission://mail.example.com:587"),
	};
	mailcert_consistency *c = judge(e, 4, 0, 0);

	expect_verdict(
	    c, MAILCERT_WARNING, "scan.leaf-mismatch",
	    "mail.example.com: 3 different leaf certificates: imaps (993) serves SHA-256 "
	    "a07e55c1d2b3e4f5... CN=mail.example.com, expires 2027-11-26; smtp (25), submission "
	    "(587) serve SHA-256 3f1c0a9b2e4d5f60... CN=mail.example.com, expires 2027-01-30; "
	    "pop3s (995) serves SHA-256 0123456789abcdef... CN=pop.example.com, expires "
	    "2027-06-01; older certificate still served on smtp (25), submission (587): renewed "
	    "elsewhere, not reloaded or redeployed here?; older certificate still served on "
	    "pop3s (995): renewed elsewhere, not reloaded or redeployed here?");
	ck_assert_uint_eq(c->n_leaves, 3);
	ck_assert_str_eq(c->leaves[2].subject, "CN=pop.example.com");
	mailcert_consistency_free(c);
}
END_TEST

/* One leaf on every open port; a closed port and one that timed out are listed. */
START_TEST(test_consistent)
{
	mailcert_endpoint *e[] = {
	    old_leaf("smtp://mail.example.com:25"),
	    endpoint(failing("pop3://mail.example.com:110", "connect.timeout", MAILCERT_CRITICAL)),
	    refused("sieve://mail.example.com:4190"),
	    old_leaf("imaps://mail.example.com:993"),
	};
	mailcert_consistency *c = judge(e, 4, 0, 0);

	expect_verdict(
	    c, MAILCERT_OK, "scan.leaf-consistent",
	    "mail.example.com: the same leaf on every open port, smtp (25), imaps (993): "
	    "SHA-256 3f1c0a9b2e4d5f60... CN=mail.example.com, expires 2027-01-30; "
	    "closed: sieve (4190); no certificate: pop3 (110) connect.timeout");
	ck_assert_uint_eq(c->n_leaves, 1);
	ck_assert_uint_eq(c->n_failed, 1);
	expect_port(&c->failed[0], "pop3", 110);
	ck_assert_str_eq(c->failed[0].failure, "connect.timeout");
	ck_assert_int_eq(c->failed[0].state, MAILCERT_CRITICAL);
	mailcert_consistency_free(c);
}
END_TEST

/* test-cli.sh's case: every port closed. */
START_TEST(test_no_leaf)
{
	static const char *const targets[] = {
	    "smtp://127.0.0.1:1025",  "smtps://127.0.0.1:1465",  "submission://127.0.0.1:1587",
	    "imap://127.0.0.1:1143",  "imaps://127.0.0.1:1993",  "pop3://127.0.0.1:1110",
	    "pop3s://127.0.0.1:1995", "sieve://127.0.0.1:14190",
	};
	mailcert_endpoint *e[8];
	mailcert_consistency *c = NULL;

	for (size_t i = 0; i < 8; i++)
		e[i] = refused(targets[i]);
	ck_assert_int_eq(mailcert_consistency_judge(&c, "127.0.0.1", 0,
						    (const mailcert_endpoint *const *)e, 8, 0),
			 0);
	expect_verdict(c, MAILCERT_OK, "scan.no-leaf",
		       "127.0.0.1: no port served a certificate; closed: smtp (1025), smtps "
		       "(1465), submission (1587), imap (1143), imaps (1993), pop3 (1110), pop3s "
		       "(1995), sieve (14190)");
	ck_assert_uint_eq(c->n_leaves, 0);
	ck_assert_uint_eq(c->n_closed, 8);
	for (size_t i = 0; i < 8; i++)
		mailcert_endpoint_free(e[i]);
	mailcert_consistency_free(c);
}
END_TEST

/* No endpoints at all: nothing served. */
START_TEST(test_no_endpoints)
{
	mailcert_consistency *c = NULL;

	ck_assert_int_eq(mailcert_consistency_judge(&c, "mail.example.com", 0, NULL, 0, 0), 0);
	expect_verdict(c, MAILCERT_OK, "scan.no-leaf",
		       "mail.example.com: no port served a certificate");
	mailcert_consistency_free(c);
}
END_TEST

/* --require-open: a refused port is a failure, not closed. */
START_TEST(test_require_open)
{
	mailcert_endpoint *e[] = {
	    old_leaf("smtp://mail.example.com:25"),
	    endpoint(
		failing("sieve://mail.example.com:4190", "connect.refused", MAILCERT_CRITICAL)),
	};
	mailcert_consistency *c;

	ck_assert_int_eq(mailcert_endpoint_closed(e[1], 0), 1);
	ck_assert_int_eq(mailcert_endpoint_closed(e[1], MAILCERT_CONSISTENCY_REQUIRE_OPEN), 0);
	ck_assert_int_eq(mailcert_endpoint_closed(e[0], 0), 0);
	ck_assert_int_eq(mailcert_endpoint_closed(NULL, 0), 0);
	c = judge(e, 2, 0, MAILCERT_CONSISTENCY_REQUIRE_OPEN);
	expect_verdict(c, MAILCERT_OK, "scan.leaf-consistent",
		       "mail.example.com: the same leaf on every open port, smtp (25): SHA-256 "
		       "3f1c0a9b2e4d5f60... CN=mail.example.com, expires 2027-01-30; no "
		       "certificate: sieve (4190) connect.refused");
	ck_assert_uint_eq(c->n_closed, 0);
	ck_assert_uint_eq(c->n_failed, 1);
	mailcert_consistency_free(c);
}
END_TEST

/* --all-keys: each key type has its own verdict, named. */
START_TEST(test_key_types)
{
	mailcert_endpoint *rsa[] = {old_leaf("smtp://mail.example.com:25")};
	mailcert_endpoint *ecdsa[] = {new_leaf("smtp://mail.example.com:25"),
				      old_leaf("imaps://mail.example.com:993")};
	mailcert_consistency *c = judge(rsa, 1, MAILCERT_KEY_RSA, 0);

	expect_verdict(c, MAILCERT_OK, "scan.leaf-consistent",
		       "mail.example.com (RSA): the same leaf on every open port, smtp (25): "
		       "SHA-256 3f1c0a9b2e4d5f60... CN=mail.example.com, expires 2027-01-30");
	ck_assert_int_eq(c->key_type, MAILCERT_KEY_RSA);
	mailcert_consistency_free(c);
	c = judge(ecdsa, 2, MAILCERT_KEY_ECDSA, 0);
	ck_assert_str_eq(c->code, "scan.leaf-mismatch");
	ck_assert_msg(strncmp(c->message, "mail.example.com (ECDSA): 2 different leaf ",
			      strlen("mail.example.com (ECDSA): 2 different leaf ")) == 0,
		      "%s", c->message);
	mailcert_consistency_free(c);
}
END_TEST

/* An endpoint never checked (an option that does not fit it): UNKNOWN, no certificate. */
START_TEST(test_unchecked)
{
	mailcert_endpoint *e[2] = {NULL, NULL};
	mailcert_consistency *c;

	ck_assert_int_eq(
	    mailcert_endpoint_new_unchecked(&e[0], "smtp://mail.example.com:25", MAILCERT_UNKNOWN),
	    0);
	e[1] = old_leaf("imaps://mail.example.com:993");
	c = judge(e, 2, 0, 0);
	expect_verdict(c, MAILCERT_OK, "scan.leaf-consistent",
		       "mail.example.com: the same leaf on every open port, imaps (993): SHA-256 "
		       "3f1c0a9b2e4d5f60... CN=mail.example.com, expires 2027-01-30; no "
		       "certificate: smtp (25) UNKNOWN");
	ck_assert_ptr_null(c->failed[0].failure);
	ck_assert_int_eq(c->failed[0].state, MAILCERT_UNKNOWN);
	mailcert_consistency_free(c);
}
END_TEST

/* A hostile subject: control bytes as '?', cut at 200 bytes. */
START_TEST(test_subject_cleaned)
{
	char subject[400];
	mailcert_endpoint *e[1];
	mailcert_consistency *c;

	memset(subject, 'a', sizeof(subject));
	memcpy(subject, "CN=\"x\ny\x1b[2J\x7f", 12);
	subject[sizeof(subject) - 1] = '\0';
	e[0] = endpoint(serving("smtp://mail.example.com:25", OLD_SHA, subject, "2027-01-30"));
	c = judge(e, 1, 0, 0);
	ck_assert_uint_eq(strlen(c->leaves[0].subject), 203);
	ck_assert_msg(strncmp(c->leaves[0].subject, "CN=\"x?y?[2J?aaa", 15) == 0, "%s",
		      c->leaves[0].subject);
	ck_assert_str_eq(c->leaves[0].subject + 200, "...");
	ck_assert_ptr_null(strchr(c->message, '\n'));
	mailcert_consistency_free(c);
}
END_TEST

/* Many distinct leaves with long subjects: the message stays bounded. */
START_TEST(test_message_bounded)
{
	enum { N = 40 };
	mailcert_endpoint *e[N];
	mailcert_consistency *c;
	char subject[300], sha[65], target[64];

	memset(subject, 'b', sizeof(subject));
	subject[sizeof(subject) - 1] = '\0';
	for (size_t i = 0; i < N; i++) {
		snprintf(sha, sizeof(sha), "%064zx", i);
		snprintf(target, sizeof(target), "smtp://mail.example.com:%zu", 1000 + i);
		e[i] = endpoint(serving(target, sha, subject, "2027-01-30"));
	}
	c = judge(e, N, 0, 0);
	ck_assert_str_eq(c->code, "scan.leaf-mismatch");
	ck_assert_uint_eq(c->n_leaves, N);
	ck_assert_uint_eq(strlen(c->message), 4095);
	mailcert_consistency_free(c);
}
END_TEST

START_TEST(test_errors)
{
	mailcert_observation *obs;
	mailcert_report *r;
	mailcert_endpoint *e = NULL, *list[1] = {NULL};
	mailcert_consistency *c = NULL;

	ck_assert_int_eq(mailcert_endpoint_new(NULL, NULL), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_endpoint_new(&e, NULL), MAILCERT_E_INVALID);
	ck_assert_ptr_null(e);
	ck_assert_int_eq(mailcert_endpoint_new_unchecked(&e, "gopher://x", MAILCERT_UNKNOWN),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_endpoint_new_unchecked(&e, NULL, MAILCERT_UNKNOWN),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(
	    mailcert_endpoint_new_unchecked(&e, "smtp://mail.example.com:25", (mailcert_state)7),
	    MAILCERT_E_INVALID);
	ck_assert_ptr_null(e);
	/* Certificates from a file have no endpoint. */
	obs = mc_observation_new("/etc/ssl/mail.pem", "mail.example.com");
	ck_assert_ptr_nonnull(obs);
	obs->file = strdup("/etc/ssl/mail.pem");
	r = mc_report_new(obs, day("2026-12-01"));
	mailcert_observation_free(obs);
	ck_assert_int_eq(mailcert_endpoint_new(&e, r), MAILCERT_E_INVALID);
	ck_assert_ptr_null(e);
	mailcert_report_free(r);
	ck_assert_int_eq(mailcert_consistency_judge(NULL, "h", 0, NULL, 0, 0), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_consistency_judge(&c, NULL, 0, NULL, 0, 0), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_consistency_judge(&c, "h", 0, NULL, 1, 0), MAILCERT_E_INVALID);
	ck_assert_int_eq(
	    mailcert_consistency_judge(&c, "h", 0, (const mailcert_endpoint *const *)list, 1, 0),
	    MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_consistency_judge(&c, "h", (mailcert_key_type)9, NULL, 0, 0),
			 MAILCERT_E_INVALID);
	ck_assert_ptr_null(c);
	mailcert_endpoint_free(NULL);
	mailcert_consistency_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("consistency");
	TCase *tc = tcase_create("verdict");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_mismatch);
	tcase_add_test(tc, test_mismatch_three);
	tcase_add_test(tc, test_consistent);
	tcase_add_test(tc, test_no_leaf);
	tcase_add_test(tc, test_no_endpoints);
	tcase_add_test(tc, test_require_open);
	tcase_add_test(tc, test_key_types);
	tcase_add_test(tc, test_unchecked);
	tcase_add_test(tc, test_subject_cleaned);
	tcase_add_test(tc, test_message_bounded);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
