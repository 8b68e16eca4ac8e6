/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The blocking probe end to end on loopback: the demo's real SMTP server
 * for the good path, scripted servers for the hostile ones.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/mockserver.h"
#include "fixture/fixture.h"
#include "model/internal.h"
#include "io/net.h"

#define DAY 86400

/*
 * Probes @url (connecting to 127.0.0.1) with an optional EHLO name, timeout
 * and MAILCERT_PROBE_* flags.
 */
static mailcert_observation *probe_flags(const char *url, const char *helo, unsigned timeout_ms,
					 unsigned flags)
{
	mailcert_target *t = NULL;
	mailcert_probe *p = NULL;
	mailcert_observation *obs = NULL;
	char err[256];

	ck_assert_msg(mailcert_target_parse(&t, url, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(mailcert_probe_new(&p, t), 0);
	ck_assert_int_eq(mailcert_probe_set_connect_to(p, "127.0.0.1"), 0);
	ck_assert_int_eq(mailcert_probe_set_helo(p, helo), 0);
	if (timeout_ms)
		ck_assert_int_eq(mailcert_probe_set_timeout_ms(p, timeout_ms), 0);
	ck_assert_int_eq(mailcert_probe_set_flags(p, flags), 0);
	ck_assert_int_eq(mailcert_probe_run(p, &obs), 0);
	mailcert_probe_free(p);
	mailcert_target_free(t);
	return obs;
}

static mailcert_observation *probe(const char *url, const char *helo, unsigned timeout_ms)
{
	return probe_flags(url, helo, timeout_ms, 0);
}

/* Runs @steps against a probe of @scheme and checks the failure code and a message part. */
static void hostile(const char *scheme, const struct mock_step *steps, const char *code,
		    const char *message_part, unsigned timeout_ms)
{
	unsigned port;
	struct mock_server *m = mock_start(steps, &port);
	mailcert_observation *obs;
	const char *got, *msg;
	char url[128], line[512];
	int failed_step;

	ck_assert_ptr_nonnull(m);
	snprintf(url, sizeof(url), "%s://mail.test:%u", scheme, port);
	obs = probe(url, NULL, timeout_ms);
	got = mailcert_observation_failure(obs, &msg);
	ck_assert_msg(got && strcmp(got, code) == 0, "want %s, got %s: %s", code, got ? got : "none",
		      got ? msg : "");
	ck_assert_msg(strstr(msg, message_part), "message \"%s\" lacks \"%s\"", msg, message_part);
	ck_assert_uint_eq(mailcert_observation_chain_length(obs), 0);
	mailcert_observation_free(obs);
	failed_step = mock_stop(m, line, sizeof(line));
	ck_assert_msg(failed_step == 0, "script step %d failed, last line \"%s\"", failed_step, line);
}

#define GREET {MOCK_SEND, "220 mx.test ESMTP\r\n", 0}
#define EHLO {MOCK_EXPECT, "EHLO mailcert.invalid", 0}
#define CAPS {MOCK_SEND, "250-mx.test\r\n250 STARTTLS\r\n", 0}
#define STLS {MOCK_EXPECT, "STARTTLS", 0}

START_TEST(test_not_offered)
{
	const struct mock_step s[] = {GREET, EHLO, {MOCK_SEND, "250-mx.test\r\n250 SIZE 1000\r\n", 0},
				      {MOCK_END, NULL, 0}};

	hostile("smtp", s, "starttls.not-offered", "STARTTLS", 0);
}
END_TEST

START_TEST(test_refused)
{
	const struct mock_step s[] = {GREET, EHLO, CAPS, STLS,
				      {MOCK_SEND, "454 4.7.0 TLS not available\r\n", 0},
				      {MOCK_END, NULL, 0}};

	hostile("submission", s, "starttls.refused", "454 4.7.0 TLS not available", 0);
}
END_TEST

START_TEST(test_injection)
{
	const struct mock_step s[] = {GREET, EHLO, CAPS, STLS,
				      {MOCK_SEND, "220 go ahead\r\n250-injected\r\n", 0},
				      {MOCK_END, NULL, 0}};

	hostile("smtp", s, "starttls.injection", "injected", 0);
}
END_TEST

START_TEST(test_lmtp_and_helo)
{
	const struct mock_step s[] = {GREET, {MOCK_EXPECT, "LHLO probe.example", 0},
				      {MOCK_SEND, "250 mx.test\r\n", 0}, {MOCK_END, NULL, 0}};
	unsigned port;
	struct mock_server *m = mock_start(s, &port);
	mailcert_observation *obs;
	char url[64];

	snprintf(url, sizeof(url), "lmtp://mail.test:%u", port);
	obs = probe(url, "probe.example", 0);
	ck_assert_str_eq(mailcert_observation_failure(obs, NULL), "starttls.not-offered");
	mailcert_observation_free(obs);
	ck_assert_int_eq(mock_stop(m, NULL, 0), 0);
}
END_TEST

START_TEST(test_garbage_instead_of_tls)
{
	const struct mock_step s[] = {GREET, EHLO, CAPS, STLS, {MOCK_SEND, "220 go ahead\r\n", 0},
				      {MOCK_RECV, NULL, 0},
				      {MOCK_SEND, "this is not TLS at all\r\n", 0}, {MOCK_END, NULL, 0}};

	hostile("smtp", s, "tls.handshake", "TLS handshake failed", 0);
}
END_TEST

START_TEST(test_tls_alert)
{
	/* A fatal handshake_failure alert record (RFC 8446 section 6). */
	static const char alert[] = "\x15\x03\x03\x00\x02\x02\x28";
	const struct mock_step s[] = {{MOCK_RECV, NULL, 0}, {MOCK_SEND, alert, 7}, {MOCK_END, NULL, 0}};

	hostile("smtps", s, "tls.handshake", "Handshake failed", 0);
}
END_TEST

/*
 * An implicit-TLS scheme on a STARTTLS port: the plaintext greeting names
 * the scheme to use, of the family given (submissions → submission).
 */
static const struct {
	const char *scheme, *use;
} implicit_cases[] = {{"smtps", "smtp"}, {"submissions", "submission"}};

START_TEST(test_implicit_scheme_on_starttls_port)
{
	const struct mock_step s[] = {GREET, {MOCK_RECV, NULL, 0}, {MOCK_END, NULL, 0}};
	unsigned port;
	struct mock_server *m = mock_start(s, &port);
	mailcert_observation *obs;
	const char *msg, *use = implicit_cases[_i].use;
	char url[64], want[200];

	snprintf(url, sizeof(url), "%s://mail.test:%u", implicit_cases[_i].scheme, port);
	obs = probe(url, NULL, 0);
	ck_assert_str_eq(mailcert_observation_failure(obs, &msg), "protocol.mismatch");
	snprintf(want, sizeof(want),
		 "port %u greets in plaintext (\"220 mx.test ESMTP\"), so it speaks %s with "
		 "STARTTLS, not implicit TLS; use %s://mail.test:%u",
		 port, use, use, port);
	ck_assert_str_eq(msg, want);
	mailcert_observation_free(obs);
	mock_stop(m, NULL, 0);
}
END_TEST

/* smtp:// on an implicit-TLS port: silence, then TLS answers a ClientHello. */
START_TEST(test_starttls_scheme_on_implicit_port)
{
	static const char alert[] = "\x15\x03\x03\x00\x02\x02\x28";
	const struct mock_step s[] = {{MOCK_RECV, NULL, 0}, {MOCK_SEND, alert, 7},
				      {MOCK_END, NULL, 0}};
	unsigned port;
	struct mock_server *m = mock_start(s, &port);
	mailcert_observation *obs;
	const char *msg;
	char url[64], want[200];

	snprintf(url, sizeof(url), "submission://mail.test:%u", port);
	obs = probe(url, NULL, 1000);
	ck_assert_str_eq(mailcert_observation_failure(obs, &msg), "protocol.mismatch");
	snprintf(want, sizeof(want),
		 "the submission server sent no greeting within 0.5 s but answered a TLS "
		 "handshake: port %u speaks implicit TLS; use submissions://mail.test:%u",
		 port, port);
	ck_assert_str_eq(msg, want);
	ck_assert_double_lt(mailcert_observation_timings(obs).total_s, 1.0);
	mailcert_observation_free(obs);
	ck_assert_int_eq(mock_stop(m, NULL, 0), 0);
}
END_TEST

START_TEST(test_silent_server_times_out)
{
	const struct mock_step s[] = {{MOCK_SLEEP, NULL, 3000}, {MOCK_END, NULL, 0}};
	unsigned port;
	struct mock_server *m = mock_start(s, &port);
	mailcert_observation *obs;
	char url[64];

	snprintf(url, sizeof(url), "smtp://mail.test:%u", port);
	obs = probe(url, NULL, 300);
	ck_assert_str_eq(mailcert_observation_failure(obs, NULL), "timeout");
	/* The deadline holds: well under the server's 3 s silence. */
	ck_assert_double_lt(mailcert_observation_timings(obs).total_s, 1.5);
	mailcert_observation_free(obs);
	mock_stop(m, NULL, 0);
}
END_TEST

START_TEST(test_server_closes)
{
	const struct mock_step s[] = {GREET, EHLO, {MOCK_CLOSE, NULL, 0}};

	hostile("smtp", s, "protocol.unexpected", "closed", 0);
}
END_TEST

START_TEST(test_connect_refused)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	mailcert_observation *obs;
	char url[64];

	/* A port that was just free: bound, read, closed, nobody listening. */
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	snprintf(url, sizeof(url), "smtp://mail.test:%u", ntohs(sa.sin_port));
	obs = probe(url, NULL, 0);
	ck_assert_str_eq(mailcert_observation_failure(obs, NULL), "connect.refused");
	mailcert_observation_free(obs);
}
END_TEST

START_TEST(test_connect_timeout)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), fillers[8];
	mailcert_observation *obs;
	char url[64];

	/* A listener that never accepts, its queue filled: further SYNs are
	 * dropped, which is what a filtered port looks like. */
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 0), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	for (int i = 0; i < 8; i++) {
		fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		(void)!connect(fillers[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	usleep(50000);
	snprintf(url, sizeof(url), "smtp://mail.test:%u", ntohs(sa.sin_port));
	obs = probe(url, NULL, 400);
	ck_assert_str_eq(mailcert_observation_failure(obs, NULL), "connect.timeout");
	ck_assert_double_lt(mailcert_observation_timings(obs).total_s, 1.0);
	mailcert_observation_free(obs);
	for (int i = 0; i < 8; i++)
		close(fillers[i]);
	close(lfd);
}
END_TEST

START_TEST(test_dns_failed)
{
	mailcert_target *t;
	mailcert_probe *p;
	mailcert_observation *obs;
	const char *msg;

	ck_assert_int_eq(mailcert_target_parse(&t, "smtp://mx.no-such-domain.invalid", NULL, NULL, 0), 0);
	ck_assert_int_eq(mailcert_probe_new(&p, t), 0);
	ck_assert_int_eq(mailcert_probe_run(p, &obs), 0);
	ck_assert_str_eq(mailcert_observation_failure(obs, &msg), "dns.failed");
	ck_assert_ptr_nonnull(strstr(msg, "mx.no-such-domain.invalid"));
	mailcert_observation_free(obs);
	mailcert_probe_free(p);
	mailcert_target_free(t);
}
END_TEST

/* The real path: the demo server, a two-certificate chain, evaluated. */
START_TEST(test_real_starttls_server)
{
	static const char *const dns[] = {"mail.test", NULL};
	time_t now = time(NULL);
	struct mc_fixture_cert root = {0}, inter = {0}, leaf = {0};
	const struct mc_fixture_cert_spec root_spec = {.cn = "Probe Root", .is_ca = 1,
		.not_before = now - DAY, .not_after = now + 365 * DAY};
	const struct mc_fixture_cert_spec inter_spec = {.cn = "Probe Intermediate", .is_ca = 1,
		.issuer = &root, .not_before = now - DAY, .not_after = now + 300 * DAY};
	const struct mc_fixture_cert_spec leaf_spec = {.cn = "mail.test", .dns = dns,
		.issuer = &inter, .not_before = now - DAY, .not_after = now + 90 * DAY};
	const struct mc_fixture_cert *chain[] = {&leaf, &inter};
	struct mc_fixture_smtpd *server;
	mailcert_observation *obs;
	mailcert_policy *policy;
	mailcert_report *report;
	char ca_path[] = "/tmp/test-probe-ca-XXXXXX", url[64];
	unsigned port;
	int fd = mkstemp(ca_path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(mc_fixture_cert_make(&root, &root_spec), 0);
	ck_assert_int_eq(mc_fixture_cert_make(&inter, &inter_spec), 0);
	ck_assert_int_eq(mc_fixture_cert_make(&leaf, &leaf_spec), 0);
	ck_assert_int_eq(mc_fixture_cert_append_pem(&root, ca_path), 0);
	ck_assert_int_eq(mc_fixture_smtpd_start(&server, &port, chain, 2, &leaf), 0);

	snprintf(url, sizeof(url), "smtp://mail.test:%u", port);
	obs = probe(url, NULL, 0);
	ck_assert_ptr_null(mailcert_observation_failure(obs, NULL));
	ck_assert_uint_eq(mailcert_observation_chain_length(obs), 2);
	ck_assert_ptr_eq(strstr(mailcert_observation_tls_version(obs), "TLS1."),
			 mailcert_observation_tls_version(obs));
	ck_assert_ptr_nonnull(mailcert_observation_tls_cipher(obs));
	ck_assert_double_gt(mailcert_observation_timings(obs).handshake_s, 0);
	ck_assert_double_ge(mailcert_observation_timings(obs).total_s,
			    mailcert_observation_timings(obs).handshake_s);
	{
		char peer[64];

		snprintf(peer, sizeof(peer), "127.0.0.1:%u", port);
		ck_assert_str_eq(mailcert_observation_peer(obs), peer);
	}

	ck_assert_int_eq(mailcert_policy_new(&policy), 0);
	ck_assert_int_eq(mailcert_policy_add_ca_file(policy, ca_path, NULL, 0), 0);
	ck_assert_int_eq(mailcert_evaluate(&report, obs, policy, now), 0);
	ck_assert_msg(mailcert_report_state(report) == MAILCERT_OK, "%zu findings, first: %s",
		      mailcert_report_finding_count(report),
		      mailcert_report_finding_count(report)
			      ? mailcert_finding_message(mailcert_report_finding(report, 0))
			      : "");
	ck_assert_str_eq(mailcert_report_matched_name(report), "mail.test");
	mailcert_report_free(report);
	mailcert_policy_free(policy);
	mailcert_observation_free(obs);

	mc_fixture_smtpd_stop(server);
	mc_fixture_cert_clear(&leaf);
	mc_fixture_cert_clear(&inter);
	mc_fixture_cert_clear(&root);
	unlink(ca_path);
}
END_TEST

/*
 * PostgreSQL 17 direct TLS: no SSLRequest, TLS at once with ALPN
 * "postgresql", which the server must select.
 */
START_TEST(test_postgres_direct_tls)
{
	static const char *const dns[] = {"db.test", NULL};
	time_t now = time(NULL);
	struct mc_fixture_cert root = {0};
	const struct mc_fixture_cert_spec spec = {.cn = "db.test", .dns = dns,
		.not_before = now - DAY, .not_after = now + 90 * DAY};
	const struct mc_fixture_cert *chain[] = {&root};
	struct mc_fixture_smtpd *server;
	mailcert_observation *obs;
	char url[64];
	unsigned port;

	ck_assert_int_eq(mc_fixture_cert_make(&root, &spec), 0);
	ck_assert_int_eq(mc_fixture_tlsd_start(&server, &port, chain, 1, &root, "postgresql"), 0);

	snprintf(url, sizeof(url), "postgres://db.test:%u", port);
	obs = probe_flags(url, NULL, 0, MAILCERT_PROBE_DIRECT_TLS);
	ck_assert_ptr_null(mailcert_observation_failure(obs, NULL));
	ck_assert_str_eq(mailcert_observation_tls_alpn(obs), "postgresql");
	ck_assert_uint_eq(mailcert_observation_chain_length(obs), 1);
	ck_assert_ptr_null(strstr(mailcert_observation_transcript(obs), "C:"));
	mailcert_observation_free(obs);

	/* Plain implicit TLS offers no ALPN, so none is negotiated. */
	snprintf(url, sizeof(url), "tls://db.test:%u", port);
	obs = probe(url, NULL, 0);
	ck_assert_ptr_null(mailcert_observation_failure(obs, NULL));
	ck_assert_ptr_null(mailcert_observation_tls_alpn(obs));
	mailcert_observation_free(obs);

	mc_fixture_smtpd_stop(server);
	mc_fixture_cert_clear(&root);
}
END_TEST

/* A server before PostgreSQL 17 closes on a ClientHello: the message says what to do. */
START_TEST(test_postgres_direct_tls_old_server)
{
	const struct mock_step s[] = {{MOCK_RECV, NULL, 0}, {MOCK_CLOSE, NULL, 0}};
	unsigned port;
	struct mock_server *m = mock_start(s, &port);
	mailcert_observation *obs;
	const char *msg;
	char url[64];

	snprintf(url, sizeof(url), "postgres://db.test:%u", port);
	obs = probe_flags(url, NULL, 0, MAILCERT_PROBE_DIRECT_TLS);
	ck_assert_str_eq(mailcert_observation_failure(obs, &msg), "tls.handshake");
	ck_assert_msg(strstr(msg, "; direct TLS needs PostgreSQL 17 or later, while SSLRequest "
				  "(the default) works with every version"),
		      "%s", msg);
	mailcert_observation_free(obs);
	mock_stop(m, NULL, 0);
}
END_TEST

/* POP3 without CAPA: STLS only when asked, and then the upgrade proceeds. */
START_TEST(test_pop3_force_starttls)
{
	const struct mock_step s[] = {{MOCK_SEND, "+OK old POP3 server\r\n", 0},
				      {MOCK_EXPECT, "CAPA", 0},
				      {MOCK_SEND, "-ERR unknown command\r\n", 0},
				      {MOCK_EXPECT, "STLS", 0},
				      {MOCK_SEND, "+OK begin TLS\r\n", 0},
				      {MOCK_RECV, NULL, 0},
				      {MOCK_CLOSE, NULL, 0}};
	const struct mock_step no_force[] = {{MOCK_SEND, "+OK old POP3 server\r\n", 0},
					     {MOCK_EXPECT, "CAPA", 0},
					     {MOCK_SEND, "-ERR unknown command\r\n", 0},
					     {MOCK_END, NULL, 0}};
	unsigned port;
	struct mock_server *m = mock_start(s, &port);
	mailcert_observation *obs;
	char url[64], line[256];

	snprintf(url, sizeof(url), "pop3://mail.test:%u", port);
	obs = probe_flags(url, NULL, 0, MAILCERT_PROBE_UNADVERTISED);
	/* The ClientHello went out (MOCK_RECV took it); the mock then hung up. */
	ck_assert_str_eq(mailcert_observation_failure(obs, NULL), "tls.handshake");
	mailcert_observation_free(obs);
	ck_assert_int_eq(mock_stop(m, line, sizeof(line)), 0);

	hostile("pop3", no_force, "starttls.not-offered", "--force-starttls sends STLS anyway", 0);
}
END_TEST

START_TEST(test_flags_validate)
{
	static const struct {
		const char *url;
		unsigned flags;
		int rc;
	} cases[] = {
	    {"postgres://h", MAILCERT_PROBE_DIRECT_TLS, 0},
	    {"postgres://h", 0, 0},
	    {"smtp://h", MAILCERT_PROBE_DIRECT_TLS, MAILCERT_E_INVALID},
	    {"pop3://h", MAILCERT_PROBE_UNADVERTISED, 0},
	    {"postgres://h", MAILCERT_PROBE_UNADVERTISED, MAILCERT_E_INVALID},
	    {"postgres://h", 1u << 7, MAILCERT_E_INVALID},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mailcert_target *t;
		mailcert_probe *p;

		ck_assert_int_eq(mailcert_target_parse(&t, cases[i].url, NULL, NULL, 0), 0);
		ck_assert_int_eq(mailcert_probe_new(&p, t), 0);
		ck_assert_msg(mailcert_probe_set_flags(p, cases[i].flags) == cases[i].rc, "case %zu", i);
		mailcert_probe_free(p);
		mailcert_target_free(t);
	}
}
END_TEST

START_TEST(test_setters_validate)
{
	mailcert_target *t;
	mailcert_probe *p;

	ck_assert_int_eq(mailcert_target_parse(&t, "smtp://h", NULL, NULL, 0), 0);
	ck_assert_int_eq(mailcert_probe_new(&p, t), 0);
	mailcert_target_free(t); /* the probe keeps its own copy */
	ck_assert_int_eq(mailcert_probe_set_helo(p, "two words"), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_probe_set_helo(p, "x\r\nRSET"), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_probe_set_helo(p, ""), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_probe_set_timeout_ms(p, 0), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_probe_set_family(p, (mailcert_family)5), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_probe_set_helo(p, NULL), 0);
	mailcert_probe_free(p);
	mailcert_probe_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("probe");
	TCase *tc = tcase_create("loopback");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_not_offered);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_injection);
	tcase_add_test(tc, test_lmtp_and_helo);
	tcase_add_test(tc, test_garbage_instead_of_tls);
	tcase_add_test(tc, test_tls_alert);
	tcase_add_loop_test(tc, test_implicit_scheme_on_starttls_port, 0,
			    sizeof(implicit_cases) / sizeof(implicit_cases[0]));
	tcase_add_test(tc, test_starttls_scheme_on_implicit_port);
	tcase_add_test(tc, test_silent_server_times_out);
	tcase_add_test(tc, test_server_closes);
	tcase_add_test(tc, test_connect_refused);
	tcase_add_test(tc, test_connect_timeout);
	tcase_add_test(tc, test_dns_failed);
	tcase_add_test(tc, test_real_starttls_server);
	tcase_add_test(tc, test_setters_validate);
	tcase_add_test(tc, test_postgres_direct_tls);
	tcase_add_test(tc, test_postgres_direct_tls_old_server);
	tcase_add_test(tc, test_flags_validate);
	tcase_add_test(tc, test_pop3_force_starttls);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
