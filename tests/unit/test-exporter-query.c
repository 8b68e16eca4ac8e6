/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The exporter's /probe request parsing (cli/exporter_query.c): target,
 * module and scrape timeout header → a probe with its budget, or a 400
 * with its exact reason. Table-driven; the modules come from a config
 * file written here.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cli/exporter_query.h"

static struct exporter_config cfg;
static char conf_path[64];

static void setup(void)
{
	static const char conf[] = "[module mailtest]\n"
				   "connect-to = 127.0.0.1\n"
				   "timeout = 8\n"
				   "[module pg]\n"
				   "direct-tls\n";
	int fd;

	/* A fresh template each time: without CK_FORK (valgrind) setup runs
	 * in one process, and mkstemp() has filled in the last one. */
	snprintf(conf_path, sizeof(conf_path), "/tmp/test-exporter-query-XXXXXX");
	fd = mkstemp(conf_path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, conf, sizeof(conf) - 1), (ssize_t)(sizeof(conf) - 1));
	close(fd);
	ck_assert_int_eq(exporter_config_init(&cfg), 0);
	ck_assert_int_eq(exporter_config_load(&cfg, conf_path), 0);
}

static void teardown(void)
{
	exporter_config_free(&cfg);
	unlink(conf_path);
}

static const struct good {
	const char *target, *module, *header;
	unsigned timeout_ms;
} good[] = {
    {"smtp://mail.test:25", NULL, NULL, 10000}, /* the defaults' -t */
    {"smtp://mail.test:25", "", NULL, 10000},   /* module= is the defaults */
    {"smtp://mail.test:25", "mailtest", NULL, 8000},
    {"submission://mail.test", "mailtest", "2", 1500}, /* less the 0.5 s margin */
    {"submission://mail.test", "mailtest", "2.5", 2000},
    {"smtp://mail.test", "mailtest", "30", 8000}, /* the module's -t is less */
    {"smtp://mail.test", "mailtest", "0.8", 400}, /* under 1 s: half of it */
    {"smtp://mail.test", "mailtest", "0.001", 1}, /* never 0 */
    {"postgres://db.test", "pg", "10", 9500},
};

START_TEST(test_good)
{
	const struct good *g = &good[_i];
	struct exporter_query q;
	char reason[2048] = "";

	ck_assert_msg(exporter_query_parse(&cfg, g->target, g->module, g->header, &q, reason,
					   sizeof(reason)) == 0,
		      "%s: %s", g->target, reason);
	ck_assert_ptr_nonnull(q.target);
	ck_assert_ptr_nonnull(q.probe);
	ck_assert_uint_eq(q.run.timeout_ms, g->timeout_ms);
	ck_assert_str_eq(q.shown, g->target);
	exporter_query_clear(&q);
	exporter_query_clear(&q); /* twice is harmless */
}
END_TEST

static const struct bad {
	const char *target, *module, *header, *reason; /* reason: the exact start */
} bad[] = {
    {NULL, NULL, NULL, "missing target: /probe?target=smtp://mail.example.com:25\n"},
    {"", "mailtest", NULL, "missing target: /probe?target=smtp://mail.example.com:25\n"},
    {"smtp://mail.test", "nope", NULL, "unknown module \"nope\" (modules: mailtest, pg)\n"},
    {"smtp://mail.test", "a\033[1mb\n", NULL,
     "unknown module \"a?[1mb?\" (modules: mailtest, pg)\n"},
    {"smtp://mail.test", NULL, "soon",
     "X-Prometheus-Scrape-Timeout-Seconds is not a number of seconds\n"},
    {"smtp://mail.test", NULL, "0", "X-Prometheus-Scrape-Timeout-Seconds is not"},
    {"smtp://mail.test", NULL, "-1", "X-Prometheus-Scrape-Timeout-Seconds is not"},
    {"smtp://mail.test", NULL, "nan", "X-Prometheus-Scrape-Timeout-Seconds is not"},
    {"smtp://mail.test", NULL, "inf", "X-Prometheus-Scrape-Timeout-Seconds is not"},
    {"smtp://mail.test", NULL, "86401", "X-Prometheus-Scrape-Timeout-Seconds is not"},
    {"smtp://mail.test", NULL, "", "X-Prometheus-Scrape-Timeout-Seconds is not"},
    {"smtp://mail.test", NULL, "2s", "X-Prometheus-Scrape-Timeout-Seconds is not"},
    {"gopher://mail.test", NULL, NULL, "bad target: "},
    {"smtp://mail.test:99999", NULL, NULL, "bad target: "},
    {"smtp://mail.test", "pg", NULL,
     "bad target for module: smtp://mail.test: --direct-tls applies to postgres:// targets "
     "only\n"},
};

START_TEST(test_bad)
{
	const struct bad *b = &bad[_i];
	struct exporter_query q;
	char reason[2048] = "";

	ck_assert_int_eq(
	    exporter_query_parse(&cfg, b->target, b->module, b->header, &q, reason, sizeof(reason)),
	    400);
	ck_assert_msg(strncmp(reason, b->reason, strlen(b->reason)) == 0, "%s: got \"%s\"",
		      b->reason, reason);
	ck_assert_ptr_null(q.probe);
	exporter_query_clear(&q);
}
END_TEST

START_TEST(test_long_and_hostile_target)
{
	char target[1100], reason[4096];
	struct exporter_query q;

	memset(target, 'x', sizeof(target) - 1);
	target[sizeof(target) - 1] = '\0';
	ck_assert_int_eq(exporter_query_parse(&cfg, target, NULL, NULL, &q, reason, sizeof(reason)),
			 400);
	ck_assert(strncmp(reason, "target longer than 1024 bytes: xxx", 34) == 0);
	ck_assert(strstr(reason, "x...\n")); /* cut, and said so */
	exporter_query_clear(&q);

	/* Control bytes of the target never reach the answer. */
	ck_assert_int_eq(exporter_query_parse(&cfg, "gopher://a\033]0;x\007", NULL, NULL, &q,
					      reason, sizeof(reason)),
			 400);
	for (const char *c = reason; *c; c++)
		ck_assert(*c == '\n' || (*c >= 0x20 && *c < 0x7f));
	exporter_query_clear(&q);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("exporter-query");
	TCase *tc = tcase_create("exporter-query");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_long_and_hostile_target);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
