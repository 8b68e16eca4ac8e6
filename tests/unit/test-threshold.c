/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Remaining-validity thresholds (-w/-c): every syntax of mailcert(1), the
 * errors, the alert decision and the seconds value given to perfdata.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"

#define DAY 86400LL
#define HOUR 3600LL

struct good_case {
	const char *spec;
	struct mc_threshold want;
};

/* clang-format off */
#define SECONDS(s) {.kind = MC_TH_SECONDS, .seconds = (s)}
#define PERCENT(p) {.kind = MC_TH_PERCENT, .percent = (p)}
#define RANGE(in, hl, l, hh, h) \
	{.kind = MC_TH_RANGE, .inside = (in), .has_lo = (hl), .lo = (l), .has_hi = (hh), .hi = (h)}
/* clang-format on */

static const struct good_case good[] = {
    {"30", SECONDS(30 * DAY)},
    {"30d", SECONDS(30 * DAY)},
    {"0", SECONDS(0)},
    {"12h", SECONDS(12 * HOUR)},
    {"900s", SECONDS(900)},
    {"007d", SECONDS(7 * DAY)},
    {"33%", PERCENT(33)},
    {"12.5%", PERCENT(12.5)},
    {"100%", PERCENT(100)},
    {"30:", RANGE(0, 1, 30 * DAY, 0, 0)},
    {"10:20", RANGE(0, 1, 10 * DAY, 1, 20 * DAY)},
    {"12h:2d", RANGE(0, 1, 12 * HOUR, 1, 2 * DAY)},
    {"~:10", RANGE(0, 0, 0, 1, 10 * DAY)},
    {"~:", RANGE(0, 0, 0, 0, 0)},
    {":20", RANGE(0, 1, 0, 1, 20 * DAY)}, /* Nagios: an omitted start is 0 */
    {"@10:20", RANGE(1, 1, 10 * DAY, 1, 20 * DAY)},
    {"@~:900s", RANGE(1, 0, 0, 1, 900)},
    {"@5:", RANGE(1, 1, 5 * DAY, 0, 0)},
    {"5:5", RANGE(0, 1, 5 * DAY, 1, 5 * DAY)},
    {"renewal", {.kind = MC_TH_RENEWAL, .share = 3}},
};

START_TEST(test_good)
{
	const struct good_case *c = &good[_i];
	struct mc_threshold th;
	char err[256] = "";

	memset(&th, 0xa5, sizeof(th));
	ck_assert_msg(mc_threshold_parse(&th, c->spec, err, sizeof(err)) == 0, "%s: %s", c->spec,
		      err);
	ck_assert_int_eq(th.kind, c->want.kind);
	switch (th.kind) {
	case MC_TH_SECONDS:
		ck_assert_int_eq(th.seconds, c->want.seconds);
		break;
	case MC_TH_PERCENT:
		ck_assert_double_eq_tol(th.percent, c->want.percent, 1e-9);
		break;
	case MC_TH_RANGE:
		ck_assert_int_eq(th.inside, c->want.inside);
		ck_assert_int_eq(th.has_lo, c->want.has_lo);
		ck_assert_int_eq(th.has_hi, c->want.has_hi);
		if (th.has_lo)
			ck_assert_int_eq(th.lo, c->want.lo);
		if (th.has_hi)
			ck_assert_int_eq(th.hi, c->want.hi);
		break;
	case MC_TH_LIFETIME:
	case MC_TH_RENEWAL:
		ck_assert_int_eq(th.share, c->want.share);
		break;
	}
}
END_TEST

struct bad_case {
	const char *spec, *reason;
};

static const struct bad_case bad[] = {
    {"", "\"\" is not a valid threshold: it is empty"},
    {"abc", "\"abc\" is not a valid threshold: expected a number"},
    {"d", "expected a number"},
    {"-5", "\"-5\" is not a valid threshold: a threshold cannot be negative"},
    {"-5:", "cannot be negative"},
    {"~:-1", "cannot be negative"},
    {"-5%", "cannot be negative"},
    {" 30", "expected a number"},
    {"30 ", "\"30 \" is not a valid threshold: unexpected \" \""},
    {"30x", "unexpected \"x\"; units are d (days, the default), h, s, or %"},
    {"30dd", "unexpected \"d\""},
    {"30d\n", "unexpected \"\\x0a\""},
    {"1.5d", "use a whole number, e.g. 36h instead of 1.5d"},
    {"30m", "unexpected \"m\""},
    {"99999999999999999999", "the number is too large"},
    {"9223372036854775807", "the number is too large"}, /* fits, but not in seconds */
    {"106751991167301d", "the number is too large"},
    {"0%", "a percentage must be above 0 and at most 100"},
    {"0.0%", "above 0 and at most 100"},
    {"100.5%", "above 0 and at most 100"},
    {"101%", "above 0 and at most 100"},
    {"99999999999999999999999%", "too large"},
    {"5.%", "expected digits after the decimal point"},
    {"1.2.3%", "write a percentage as 33% or 12.5%"},
    {"33%%", "unexpected \"%\""},
    {"33%d", "unexpected \"d\""},
    {"10%:", "a percentage cannot be an end of a range"},
    {"10:20%", "a percentage cannot be an end of a range"},
    {"20:10", "the start of the range is after its end"},
    {"2d:36h", "the start of the range is after its end"},
    {"@10", "after \"@\" give both ends of a range, e.g. @10:20"},
    {"@", "after \"@\" give both ends"},
    {"@@1:2", "expected a number"},
    {"~10:20", "expected \":\" after the start of the range"},
    {"1:2:3", "unexpected \":3\""},
    {"10:~", "expected a number"},
    {"10:x", "expected a number"},
    {"very long garbage that goes on and on and on and on",
     "\"very long garbage that goes on and on an...\""},
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad[_i];
	struct mc_threshold th = SECONDS(42), before = th;
	char err[256] = "";

	ck_assert_int_eq(mc_threshold_parse(&th, c->spec, err, sizeof(err)), MAILCERT_E_INVALID);
	ck_assert_msg(strstr(err, c->reason), "\"%s\": got \"%s\", want \"%s\"", c->spec, err,
		      c->reason);
	/* A failed parse leaves the previous threshold as it was. */
	ck_assert_int_eq(th.kind, before.kind);
	ck_assert_int_eq(th.seconds, before.seconds);
}
END_TEST

START_TEST(test_null_and_small_buffers)
{
	struct mc_threshold th;
	char err[8];

	ck_assert_int_eq(mc_threshold_parse(&th, NULL, err, sizeof(err)), MAILCERT_E_INVALID);
	ck_assert_uint_eq(strlen(err), 7);
	ck_assert_int_eq(mc_threshold_parse(&th, "x", NULL, 0), MAILCERT_E_INVALID);
}
END_TEST

/* Whether @spec alerts at @remaining seconds of a @lifetime-second certificate. */
static int alerts(const char *spec, long long remaining, long long lifetime)
{
	struct mc_threshold th;
	char err[256];

	ck_assert_msg(mc_threshold_parse(&th, spec, err, sizeof(err)) == 0, "%s: %s", spec, err);
	return mc_threshold_alerts(&th, remaining, lifetime);
}

START_TEST(test_alerts_amounts)
{
	const long long life = 90 * DAY;

	/* "Alert when less than this remains": the boundary itself is fine. */
	ck_assert(alerts("30", 30 * DAY - 1, life));
	ck_assert(!alerts("30", 30 * DAY, life));
	ck_assert(!alerts("30d", 31 * DAY, life));
	ck_assert(alerts("12h", 12 * HOUR - 1, life));
	ck_assert(!alerts("12h", 12 * HOUR, life));
	ck_assert(alerts("900s", 899, life));
	ck_assert(!alerts("900s", 900, life));
	ck_assert(alerts("0", -1, life));
	ck_assert(!alerts("0", 0, life));
	/* Expired certificates (negative remaining) are under any threshold. */
	ck_assert(alerts("1s", -DAY, life));
}
END_TEST

START_TEST(test_alerts_plain_equals_open_range)
{
	static const long long samples[] = {-DAY,         0,        10 * DAY - 1, 10 * DAY,
					    10 * DAY + 1, 400 * DAY};

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		ck_assert_int_eq(alerts("10", samples[i], 90 * DAY),
				 alerts("10:", samples[i], 90 * DAY));
}
END_TEST

START_TEST(test_alerts_percent)
{
	const long long life = 90 * DAY;

	/* 33% of 90 days is 29.7 days, 2566080 seconds. */
	ck_assert(alerts("33%", 29 * DAY, life));
	ck_assert(alerts("33%", 2566079, life));
	ck_assert(!alerts("33%", 2566080, life));
	ck_assert(!alerts("33%", 30 * DAY, life));
	/* The same share of a one-year certificate is a longer time. */
	ck_assert(alerts("33%", 100 * DAY, 365 * DAY));
	ck_assert(alerts("100%", life - 1, life));
	ck_assert(!alerts("100%", life, life));
	ck_assert(alerts("12.5%", 11 * DAY, life)); /* 11.25 days */
	ck_assert(!alerts("12.5%", 12 * DAY, life));
	/* A certificate with no lifetime: only an expired one alerts. */
	ck_assert(!alerts("50%", 0, 0));
	ck_assert(alerts("50%", -1, -5));
}
END_TEST

START_TEST(test_alerts_ranges)
{
	const long long life = 365 * DAY;

	/* Outside [10d, 20d] alerts, the ends themselves do not. */
	ck_assert(alerts("10:20", 10 * DAY - 1, life));
	ck_assert(!alerts("10:20", 10 * DAY, life));
	ck_assert(!alerts("10:20", 20 * DAY, life));
	ck_assert(alerts("10:20", 20 * DAY + 1, life));
	/* "@" inverts: inside alerts, ends included. */
	ck_assert(!alerts("@10:20", 10 * DAY - 1, life));
	ck_assert(alerts("@10:20", 10 * DAY, life));
	ck_assert(alerts("@10:20", 20 * DAY, life));
	ck_assert(!alerts("@10:20", 20 * DAY + 1, life));
	/* "~" is minus infinity. */
	ck_assert(!alerts("~:10", -400 * DAY, life));
	ck_assert(alerts("~:10", 10 * DAY + 1, life));
	ck_assert(alerts("@~:10", -DAY, life));
	ck_assert(!alerts("~:", 1000 * DAY, life));
	ck_assert(alerts("@~:", 1000 * DAY, life));
	ck_assert(alerts("@5:", 6 * DAY, life));
	ck_assert(!alerts("@5:", 4 * DAY, life));
	/* Units apply to each end. */
	ck_assert(alerts("12h:", 12 * HOUR - 1, life));
	ck_assert(!alerts("12h:", 12 * HOUR, life));
	ck_assert(alerts(":20", -1, life));
}
END_TEST

static long long seconds(const char *spec, long long lifetime)
{
	struct mc_threshold th;

	ck_assert_int_eq(mc_threshold_parse(&th, spec, NULL, 0), 0);
	return mc_threshold_seconds(&th, lifetime);
}

START_TEST(test_perfdata_seconds)
{
	ck_assert_int_eq(seconds("30", 90 * DAY), 30 * DAY);
	ck_assert_int_eq(seconds("12h", 90 * DAY), 12 * HOUR);
	ck_assert_int_eq(seconds("900s", 1), 900);
	ck_assert_int_eq(seconds("30:", 90 * DAY), 30 * DAY);
	ck_assert_int_eq(seconds("10:20", 90 * DAY), 10 * DAY);
	ck_assert_int_eq(seconds("33%", 90 * DAY), 2566080); /* 29.7 days exactly */
	ck_assert_int_eq(seconds("33%", 100), 33);
	ck_assert_int_eq(seconds("33%", 101), 34); /* 33.33 rounds up */
	ck_assert_int_eq(seconds("50%", 0), 0);
	/* Ranges that do not alert below a start have no such value. */
	ck_assert_int_eq(seconds("~:10", 90 * DAY), 0);
	ck_assert_int_eq(seconds("@10:20", 90 * DAY), 0);
}
END_TEST

/* The perfdata value and the decision agree: below it alerts, at it not. */
START_TEST(test_seconds_agree_with_alerts)
{
	static const char *const specs[] = {"30", "12h", "900s", "30:", "33%", "12.5%", "0.1%"};
	static const long long lifetimes[] = {1, 100, 101, 90 * DAY, 397 * DAY + 7};

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		for (size_t j = 0; j < sizeof(lifetimes) / sizeof(lifetimes[0]); j++) {
			long long s = seconds(specs[i], lifetimes[j]);

			ck_assert_msg(alerts(specs[i], s - 1, lifetimes[j]), "%s", specs[i]);
			ck_assert_msg(!alerts(specs[i], s, lifetimes[j]), "%s", specs[i]);
		}
	}
}
END_TEST

/* The public setter uses the same parser and keeps the reason. */
/*
 * Without -w/-c: 30 and 15 days for a lifetime of 90 days or more, a third
 * and a sixth of a shorter one (45 days: 15 and 7.5; 6 days: 2 and 1).
 */
START_TEST(test_lifetime_default)
{
	const struct mc_threshold w = mc_threshold_default(0), c = mc_threshold_default(1);
	static const struct {
		long long lifetime, warning, critical;
	} cases[] = {
	    {398 * DAY, 30 * DAY, 15 * DAY},
	    {90 * DAY, 30 * DAY, 15 * DAY},
	    {90 * DAY - 1, 30 * DAY, 15 * DAY}, /* no jump at 90 days */
	    {64 * DAY, 64 * DAY / 3, 64 * DAY / 6},
	    {47 * DAY + 1, 47 * DAY / 3 + 1, 47 * DAY / 6 + 1}, /* rounded up to a second */
	    {45 * DAY, 15 * DAY, 15 * DAY / 2},
	    {6 * DAY, 2 * DAY, DAY},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(mc_threshold_seconds(&w, cases[i].lifetime), cases[i].warning);
		ck_assert_int_eq(mc_threshold_seconds(&c, cases[i].lifetime), cases[i].critical);
		/* The boundary itself does not alert, a second less does. */
		ck_assert(!mc_threshold_alerts(&w, cases[i].warning, cases[i].lifetime));
		ck_assert(mc_threshold_alerts(&w, cases[i].warning - 1, cases[i].lifetime));
		ck_assert(!mc_threshold_alerts(&c, cases[i].critical, cases[i].lifetime));
		ck_assert(mc_threshold_alerts(&c, cases[i].critical - 1, cases[i].lifetime));
	}
}
END_TEST

/* "renewal" without the CA's window: a third of the lifetime, however long. */
START_TEST(test_renewal_without_ari)
{
	struct mc_threshold th;

	ck_assert_int_eq(mc_threshold_parse(&th, "renewal", NULL, 0), 0);
	ck_assert_int_eq(mc_threshold_seconds(&th, 45 * DAY), 15 * DAY);
	ck_assert_int_eq(mc_threshold_seconds(&th, 396 * DAY), 132 * DAY);
	ck_assert(alerts("renewal", 15 * DAY - 1, 45 * DAY));
	ck_assert(!alerts("renewal", 15 * DAY, 45 * DAY));
	ck_assert_int_eq(mc_threshold_parse(&th, "renewals", NULL, 0), MAILCERT_E_INVALID);
}
END_TEST

START_TEST(test_policy_setter)
{
	mailcert_policy *p;
	char err[256];

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	ck_assert_int_eq(p->warning.kind, MC_TH_LIFETIME);
	ck_assert_int_eq(p->warning.seconds, 30 * DAY);
	ck_assert_int_eq(p->critical.seconds, 15 * DAY);
	ck_assert_int_eq(p->warning.share, 3);
	ck_assert_int_eq(p->critical.share, 6);
	ck_assert_int_eq(mailcert_policy_set_threshold(p, 0, "20%", err, sizeof(err)), 0);
	ck_assert_int_eq(mailcert_policy_set_threshold(p, 1, "@1:2", err, sizeof(err)), 0);
	ck_assert_int_eq(p->warning.kind, MC_TH_PERCENT);
	ck_assert_int_eq(p->critical.kind, MC_TH_RANGE);
	ck_assert_int_eq(mailcert_policy_set_threshold(p, 1, "2x", err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_str_eq(err, "\"2x\" is not a valid threshold: unexpected \"x\"; units are d "
			      "(days, the default), h, s, or %");
	ck_assert_int_eq(p->critical.kind, MC_TH_RANGE);
	mailcert_policy_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("threshold");
	TCase *tc = tcase_create("threshold");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_null_and_small_buffers);
	tcase_add_test(tc, test_alerts_amounts);
	tcase_add_test(tc, test_alerts_plain_equals_open_range);
	tcase_add_test(tc, test_alerts_percent);
	tcase_add_test(tc, test_alerts_ranges);
	tcase_add_test(tc, test_perfdata_seconds);
	tcase_add_test(tc, test_seconds_agree_with_alerts);
	tcase_add_test(tc, test_lifetime_default);
	tcase_add_test(tc, test_renewal_without_ari);
	tcase_add_test(tc, test_policy_setter);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
