/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * examples/engine-poll.c, run as a user would: four targets at once (the
 * fixture SMTP server, an injecting server, a closed port, a silent
 * server); one JSON line each, printed as each completes.
 *
 * usage: test-engine-poll PATH-TO-ENGINE-POLL
 * tests/run sets MAILCERT_EXAMPLE_DIR to the examples built against the
 * installed library (and MAILCERT_EXAMPLE_LIBDIR to its directory): that
 * engine-poll is run then.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/mockserver.h"
#include "fixture/fixture.h"
#include "io/net.h"

#define DAY 86400

static char program[1024];

static const struct mock_step injection[] = {{MOCK_SEND, "220 mx.test ESMTP\r\n", 0},
					     {MOCK_EXPECT, "EHLO mailcert.invalid", 0},
					     {MOCK_SEND, "250-mx.test\r\n250 STARTTLS\r\n", 0},
					     {MOCK_EXPECT, "STARTTLS", 0},
					     {MOCK_SEND, "220 go ahead\r\n250-injected\r\n", 0},
					     {MOCK_END, NULL, 0}};
static const struct mock_step silent[] = {{MOCK_SLEEP, NULL, 10000}, {MOCK_END, NULL, 0}};

/*
 * A port where nothing listens, held: bound but not listening, it refuses
 * connections, and no other server (a parallel test's) can take it.
 * Close *@fd when done.
 */
static unsigned closed_port(int *fd)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);

	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(*fd, 0);
	ck_assert_int_eq(bind(*fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(*fd, (struct sockaddr *)&sa, &len), 0);
	return ntohs(sa.sin_port);
}

static const char *field(json_object *o, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

START_TEST(test_engine_poll)
{
	static const char *const dns[] = {"mail.test", NULL};
	time_t now = time(NULL);
	struct mc_fixture_cert root = {0}, leaf = {0};
	const struct mc_fixture_cert_spec root_spec = {
	    .cn = "Poll Root", .is_ca = 1, .not_before = now - DAY, .not_after = now + 365 * DAY};
	const struct mc_fixture_cert_spec leaf_spec = {.cn = "mail.test",
						       .dns = dns,
						       .issuer = &root,
						       .not_before = now - DAY,
						       .not_after = now + 90 * DAY};
	/* The leaf alone: the root is the trust anchor, not sent (chain.root-included). */
	const struct mc_fixture_cert *chain[] = {&leaf};
	struct mc_fixture_smtpd *smtpd;
	struct mock_server *inject, *quiet;
	int closed_fd;
	unsigned good_port, inject_port, quiet_port, closed = closed_port(&closed_fd);
	char ca_path[] = "/tmp/test-engine-poll-ca-XXXXXX", cmd[4096], line[4096];
	const char *targets[4][3]; /* url, state, failure */
	char urls[4][96];
	int64_t start, first_line = -1, last_line = -1;
	int seen[4] = {0}, lines = 0, fd = mkstemp(ca_path), status;
	FILE *out;

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(mc_fixture_cert_make(&root, &root_spec), 0);
	ck_assert_int_eq(mc_fixture_cert_make(&leaf, &leaf_spec), 0);
	ck_assert_int_eq(mc_fixture_cert_append_pem(&root, ca_path), 0);
	ck_assert_int_eq(mc_fixture_smtpd_start(&smtpd, &good_port, chain, 1, &leaf), 0);
	inject = mock_start(injection, &inject_port);
	quiet = mock_start(silent, &quiet_port);
	ck_assert_ptr_nonnull(inject);
	ck_assert_ptr_nonnull(quiet);

	snprintf(urls[0], sizeof(urls[0]), "smtp://mail.test:%u", good_port);
	snprintf(urls[1], sizeof(urls[1]), "smtp://mail.test:%u", inject_port);
	snprintf(urls[2], sizeof(urls[2]), "smtp://mail.test:%u", closed);
	snprintf(urls[3], sizeof(urls[3]), "smtp://mail.test:%u", quiet_port);
	targets[0][0] = urls[0], targets[0][1] = "OK", targets[0][2] = NULL;
	targets[1][0] = urls[1], targets[1][1] = "CRITICAL", targets[1][2] = "starttls.injection";
	targets[2][0] = urls[2], targets[2][1] = "CRITICAL", targets[2][2] = "connect.refused";
	targets[3][0] = urls[3], targets[3][1] = "CRITICAL", targets[3][2] = "timeout";
	/* The silent one last on the line and with its own short timeout. */
	snprintf(cmd, sizeof(cmd),
		 "%s --ca-file %s --connect-to 127.0.0.1 -t 5000 %s %s %s -t 800 %s", program,
		 ca_path, urls[0], urls[1], urls[2], urls[3]);
	start = mc_now_ms();
	out = popen(cmd, "r");
	ck_assert_ptr_nonnull(out);
	while (fgets(line, sizeof(line), out)) {
		json_object *o = json_tokener_parse(line);
		const char *target;
		int i;

		ck_assert_msg(o, "not JSON: %s", line);
		target = field(o, "target");
		ck_assert_ptr_nonnull(target);
		for (i = 0; i < 4 && strcmp(target, targets[i][0]) != 0; i++)
			;
		ck_assert_msg(i < 4, "unknown target %s", target);
		seen[i]++;
		ck_assert_str_eq(field(o, "state"), targets[i][1]);
		if (targets[i][2])
			ck_assert_str_eq(field(o, "failure"), targets[i][2]);
		else
			ck_assert_ptr_null(field(o, "failure"));
		if (i == 0) {
			ck_assert_str_eq(field(o, "chain"), "1");
			ck_assert_ptr_nonnull(field(o, "tls"));
		}
		/* Results arrive as they complete: the silent one last. */
		if (lines++ == 0)
			first_line = mc_now_ms() - start;
		if (lines == 4) {
			last_line = mc_now_ms() - start;
			ck_assert_int_eq(i, 3);
		}
		json_object_put(o);
	}
	status = pclose(out);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %d", cmd, status);
	ck_assert_int_eq(lines, 4);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(seen[i], 1);
	/* The first line came long before the silent server's timeout ran out. */
	ck_assert_int_lt(first_line, 700);
	ck_assert_int_ge(last_line, 750);

	ck_assert_int_eq(mock_stop(inject, NULL, 0), 0);
	mock_stop(quiet, NULL, 0);
	close(closed_fd);
	mc_fixture_smtpd_stop(smtpd);
	mc_fixture_cert_clear(&leaf);
	mc_fixture_cert_clear(&root);
	unlink(ca_path);
}
END_TEST

int main(int argc, char **argv)
{
	const char *dir = getenv("MAILCERT_EXAMPLE_DIR");
	const char *libdir = getenv("MAILCERT_EXAMPLE_LIBDIR");
	Suite *s = suite_create("engine-poll");
	TCase *tc = tcase_create("example");
	SRunner *sr;
	int failed;

	if (dir && *dir)
		snprintf(program, sizeof(program), "env LD_LIBRARY_PATH=%s %s/engine-poll",
			 libdir ? libdir : "", dir);
	else if (argc == 2)
		snprintf(program, sizeof(program), "%s", argv[1]);
	else {
		fprintf(stderr, "usage: %s PATH-TO-ENGINE-POLL\n", argv[0]);
		return 2;
	}
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_engine_poll);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
