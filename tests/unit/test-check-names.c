/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * checks/names.c: RFC 6125 matching, one rule per case, against leaves
 * made here: every expected name must match, an IP address only an IP
 * SAN, a wildcard one whole left-most label, the CN only without any SAN.
 */
#include <stdio.h>

#include "../common/evaluation.h"

#define MAX_NAMES 3

static const struct name_case {
	const char *name;
	const char *cn;
	const char *dns[3]; /* NULL-terminated; empty: none */
	const char *ips[3];
	const char *expected[MAX_NAMES]; /* --name, NULL-terminated; empty: the host mail.test */
	const char *codes;
	const char *matched; /* mailcert_report_matched_name(), or NULL */
	const char *message; /* a part of the first name.mismatch, or NULL */
} name_cases[] = {
    {"the host, in the SANs",
     "mail.test",
     {"mail.test", "www.mail.test"},
     {NULL},
     {NULL},
     "",
     "mail.test",
     NULL},
    {"two names, both covered",
     "mail.test",
     {"mail.test", "www.mail.test"},
     {NULL},
     {"mail.test", "www.mail.test"},
     "",
     "mail.test, www.mail.test",
     NULL},
    {"two names, one missing: a finding for it alone",
     "mail.test",
     {"mail.test"},
     {NULL},
     {"mail.test", "other.test"},
     "name.mismatch ",
     "mail.test",
     "leaf CN=mail.test is not valid for \"other.test\"; its names are \"mail.test\"; "
     "reissue it with the right name, or check the name you connect to"},
    {"three names, two missing: a finding each",
     "mail.test",
     {"mail.test"},
     {NULL},
     {"a.test", "mail.test", "b.test"},
     "name.mismatch name.mismatch ",
     "mail.test",
     "is not valid for \"a.test\";"},
    {"case does not matter",
     "mail.test",
     {"Mail.Test"},
     {NULL},
     {"MAIL.test"},
     "",
     "MAIL.test",
     NULL},
    {"an absolute name's final dot",
     "mail.test",
     {"mail.test"},
     {NULL},
     {"mail.test."},
     "",
     "mail.test.",
     NULL},
    {"wildcard: one left-most label",
     "x",
     {"*.example.test"},
     {NULL},
     {"a.example.test"},
     "",
     "a.example.test",
     NULL},
    {"wildcard: not two labels",
     "x",
     {"*.example.test"},
     {NULL},
     {"a.b.example.test"},
     "name.mismatch ",
     NULL,
     "its names are \"*.example.test\""},
    {"wildcard: not the parent",
     "x",
     {"*.example.test"},
     {NULL},
     {"example.test"},
     "name.mismatch ",
     NULL,
     NULL},
    {"wildcard: not part of a label",
     "x",
     {"f*.example.test"},
     {NULL},
     {"foo.example.test"},
     "name.mismatch ",
     NULL,
     NULL},
    {"wildcard: not past the left-most label",
     "x",
     {"a.*.example.test"},
     {NULL},
     {"a.b.example.test"},
     "name.mismatch ",
     NULL,
     NULL},
    {"wildcard: not a whole top-level domain",
     "x",
     {"*.test"},
     {NULL},
     {"mail.test"},
     "name.mismatch ",
     NULL,
     NULL},
    {"CN without any SAN", "mail.test", {NULL}, {NULL}, {NULL}, "", "mail.test", NULL},
    {"CN not used beside a DNS SAN",
     "mail.test",
     {"other.test"},
     {NULL},
     {NULL},
     "name.mismatch ",
     NULL,
     "its names are \"other.test\""},
    {"CN not used beside an IP SAN",
     "mail.test",
     {NULL},
     {"192.0.2.25"},
     {NULL},
     "name.mismatch ",
     NULL,
     "its names are \"192.0.2.25\""},
    {"IPv4 in an IP SAN", "x", {NULL}, {"192.0.2.25"}, {"192.0.2.25"}, "", "192.0.2.25", NULL},
    {"IPv4 not in a DNS SAN",
     "x",
     {"192.0.2.25"},
     {NULL},
     {"192.0.2.25"},
     "name.mismatch ",
     NULL,
     NULL},
    {"IPv4 not in the CN",
     "192.0.2.25",
     {NULL},
     {NULL},
     {"192.0.2.25"},
     "name.mismatch ",
     NULL,
     "it has no DNS or IP subject alternative name"},
    {"IPv4 SAN is not a DNS name",
     "x",
     {NULL},
     {"192.0.2.25"},
     {"mail.test"},
     "name.mismatch ",
     NULL,
     NULL},
    {"IPv6 written another way",
     "x",
     {NULL},
     {"2001:db8::25"},
     {"2001:0db8:0:0::25"},
     "",
     "2001:0db8:0:0::25",
     NULL},
    {"IPv6 in brackets",
     "x",
     {NULL},
     {"2001:db8::25"},
     {"[2001:db8::25]"},
     "",
     "[2001:db8::25]",
     NULL},
    {"a DNS name and an IP address, both covered",
     "x",
     {"mail.test"},
     {"192.0.2.25"},
     {"mail.test", "192.0.2.25"},
     "",
     "mail.test, 192.0.2.25",
     NULL},
};

START_TEST(test_names)
{
	const struct name_case *c = &name_cases[_i];
	const struct mc_fixture_cert_spec spec = {.cn = c->cn,
						  .dns = c->dns[0] ? c->dns : NULL,
						  .ips = c->ips[0] ? c->ips : NULL,
						  .issuer = &ev_inter,
						  .not_before = NOW - 10 * DAY,
						  .not_after = NOW + 80 * DAY};
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &ev_inter};
	mailcert_policy *p = ev_policy();
	mailcert_report *r;
	const char *matched;
	char got[1024];

	ev_make(&leaf, &spec);
	for (size_t i = 0; i < MAX_NAMES && c->expected[i]; i++)
		ck_assert_int_eq(mailcert_policy_add_name(p, c->expected[i]), 0);
	r = ev_check("mail.test", chain, 2, p);
	ev_codes(got, sizeof(got), r);
	ck_assert_msg(strcmp(got, c->codes) == 0, "%s: want [%s], got [%s]", c->name, c->codes,
		      got);
	ck_assert_int_eq(mailcert_report_state(r), c->codes[0] ? MAILCERT_CRITICAL : MAILCERT_OK);
	matched = mailcert_report_matched_name(r);
	if (c->matched)
		ck_assert_msg(matched && strcmp(matched, c->matched) == 0,
			      "%s: matched \"%s\", want \"%s\"", c->name,
			      matched ? matched : "(null)", c->matched);
	else
		ck_assert_msg(!matched, "%s: matched \"%s\"", c->name, matched);
	if (c->message)
		ck_assert_contains(ev_message(r, "name.mismatch"), c->message);
	mailcert_report_free(r);
	mailcert_policy_free(p);
	mc_fixture_cert_clear(&leaf);
}
END_TEST

/* Each missing name has its own finding, naming it. */
START_TEST(test_each_missing_name)
{
	static const char *const dns[] = {"mail.test", NULL};
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[] = {&leaf, &ev_inter};
	mailcert_policy *p = ev_policy();
	mailcert_report *r;

	ev_make_leaf(&leaf, "mail.test", dns, NULL, &ev_inter, 80);
	ck_assert_int_eq(mailcert_policy_add_name(p, "a.test"), 0);
	ck_assert_int_eq(mailcert_policy_add_name(p, "mail.test"), 0);
	ck_assert_int_eq(mailcert_policy_add_name(p, "b.test"), 0);
	r = ev_check("mail.test", chain, 2, p);
	ck_assert_uint_eq(mailcert_report_finding_count(r), 2);
	ck_assert_contains(mailcert_finding_message(mailcert_report_finding(r, 0)),
			   "is not valid for \"a.test\";");
	ck_assert_contains(mailcert_finding_message(mailcert_report_finding(r, 1)),
			   "is not valid for \"b.test\";");
	mailcert_report_free(r);
	mailcert_policy_free(p);
	mc_fixture_cert_clear(&leaf);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("check-names");
	TCase *tc = tcase_create("names");

	tcase_add_unchecked_fixture(tc, ev_pki_setup, ev_pki_teardown);
	tcase_add_loop_test(tc, test_names, 0, sizeof(name_cases) / sizeof(name_cases[0]));
	tcase_add_test(tc, test_each_missing_name);
	suite_add_tcase(s, tc);
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
