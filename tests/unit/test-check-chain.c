/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * checks/chain.c: the chain as sent, in every order and with every extra
 * a server can be configured to send, made here with a pinned `now`.
 * Each case lists the chain and the exact findings of the whole
 * evaluation, so a finding that trust.c or validity.c already makes is
 * seen not to be repeated.
 */
#include <stdio.h>

#include "../common/evaluation.h"

enum {
	LEAF,        /* mail.test by Test Intermediate, 80 days left */
	INTER,       /* Test Intermediate by Test Root, 1000 days left */
	ROOT,        /* Test Root, self-signed, trusted */
	SHORT_LEAF,  /* mail.test by Short Intermediate, 80 days left */
	SHORT_INTER, /* Short Intermediate by Test Root, 50 days left: before its leaf */
	SOON_LEAF,   /* mail.test by Soon Intermediate, 80 days left */
	SOON_INTER,  /* Soon Intermediate, 20 days left: under the warning threshold */
	EARLY_LEAF,  /* mail.test by Short Intermediate, 40 days left: before its issuer */
	OTHER_ROOT,  /* Other Root, self-signed, not trusted */
	OTHER_LEAF,  /* other.test by Other Root */
	SELF,        /* mail.test, self-signed */
	N_CERTS,
};

static struct mc_fixture_cert certs[N_CERTS];
static const char *const mail_dns[] = {"mail.test", NULL};
static const char *const other_dns[] = {"other.test", NULL};

static void setup(void)
{
	ev_pki_setup();
	ev_make_leaf(&certs[LEAF], "mail.test", mail_dns, NULL, &ev_inter, 80);
	ev_make_ca(&certs[SHORT_INTER], "Short Intermediate", &ev_root, 50);
	ev_make_leaf(&certs[SHORT_LEAF], "mail.test", mail_dns, NULL, &certs[SHORT_INTER], 80);
	ev_make_leaf(&certs[EARLY_LEAF], "mail.test", mail_dns, NULL, &certs[SHORT_INTER], 40);
	ev_make_ca(&certs[SOON_INTER], "Soon Intermediate", &ev_root, 20);
	ev_make_leaf(&certs[SOON_LEAF], "mail.test", mail_dns, NULL, &certs[SOON_INTER], 80);
	ev_make_ca(&certs[OTHER_ROOT], "Other Root", NULL, 3650);
	ev_make_leaf(&certs[OTHER_LEAF], "other.test", other_dns, NULL, &certs[OTHER_ROOT], 80);
	ev_make_leaf(&certs[SELF], "mail.test", mail_dns, NULL, NULL, 80);
}

static void teardown(void)
{
	for (size_t i = 0; i < N_CERTS; i++)
		if (i != INTER && i != ROOT)
			mc_fixture_cert_clear(&certs[i]);
	ev_pki_teardown();
}

static const struct mc_fixture_cert *cert(int which)
{
	return which == INTER ? &ev_inter : which == ROOT ? &ev_root : &certs[which];
}

#define END -1

static const struct chain_case {
	const char *name;
	int chain[6]; /* END-terminated */
	const char *codes;
	mailcert_state state;
	const char *code; /* the finding whose message and element are checked, or NULL */
	int cert;         /* its chain element */
	const char *parts[3];
} chain_cases[] = {
    {"leaf, intermediate: good", {LEAF, INTER, END}, "", MAILCERT_OK, NULL, 0, {NULL}},
    {"leaf alone: trust.c says incomplete, nothing more",
     {LEAF, END},
     "chain.incomplete ",
     MAILCERT_CRITICAL,
     NULL,
     0,
     {NULL}},
    {"root sent last",
     {LEAF, INTER, ROOT, END},
     "chain.root-included ",
     MAILCERT_WARNING,
     "chain.root-included",
     2,
     {"the server sends root CN=Test Root at position 3, a self-signed root",
      "remove it from the chain file"}},
    {"root before the intermediate",
     {LEAF, ROOT, INTER, END},
     "chain.order chain.root-included ",
     MAILCERT_WARNING,
     "chain.order",
     2,
     {"position 3 holds intermediate CN=Test Intermediate, but its issuer, root CN=Test "
      "Root, comes before it at position 2",
      "(as sent: 1 CN=mail.test, 2 CN=Test Root, 3 CN=Test Intermediate)",
      "put the leaf first, each certificate followed by its issuer"}},
    {"intermediate before the leaf: the name is judged on what came first",
     {INTER, LEAF, END},
     "chain.order name.mismatch ",
     MAILCERT_CRITICAL,
     "chain.order",
     0,
     {"position 1 holds the CA certificate CN=Test Intermediate, but the server's own "
      "certificate, CN=mail.test, must come first and is at position 2",
      "(as sent: 1 CN=Test Intermediate, 2 CN=mail.test)"}},
    {"an unrelated leaf after the chain",
     {LEAF, INTER, OTHER_LEAF, END},
     "chain.extra ",
     MAILCERT_WARNING,
     "chain.extra",
     2,
     {"the server sends intermediate CN=other.test at position 3, which is not on the path "
      "from leaf CN=mail.test to its root; remove it from the chain file"}},
    {"an unrelated root in the middle: extra, not disorder",
     {LEAF, OTHER_ROOT, INTER, END},
     "chain.extra ",
     MAILCERT_WARNING,
     "chain.extra",
     1,
     {"root CN=Other Root at position 2"}},
    {"the intermediate twice",
     {LEAF, INTER, INTER, END},
     "chain.extra ",
     MAILCERT_WARNING,
     "chain.extra",
     2,
     {"the server sends intermediate CN=Test Intermediate twice, at positions 2 and 3"}},
    {"intermediate expires before the leaf, above the thresholds",
     {SHORT_LEAF, SHORT_INTER, END},
     "cert.expiring ",
     MAILCERT_WARNING,
     "cert.expiring",
     1,
     {"intermediate CN=Short Intermediate expires 2027-01-17 10:00 UTC, before leaf "
      "CN=mail.test (2027-02-16 10:00 UTC): from then on the chain fails"}},
    {"intermediate under the threshold: validity.c's finding only",
     {SOON_LEAF, SOON_INTER, END},
     "cert.expiring ",
     MAILCERT_WARNING,
     "cert.expiring",
     1,
     {"expires in 20 days", "under the warning threshold of 30 days"}},
    {"leaf expires before its intermediate: nothing",
     {EARLY_LEAF, SHORT_INTER, END},
     "",
     MAILCERT_OK,
     NULL,
     0,
     {NULL}},
    {"self-signed leaf alone: trust.c only",
     {SELF, END},
     "trust.self-signed ",
     MAILCERT_CRITICAL,
     NULL,
     0,
     {NULL}},
};

START_TEST(test_chain)
{
	const struct chain_case *c = &chain_cases[_i];
	const struct mc_fixture_cert *chain[6];
	size_t n = 0;
	mailcert_policy *p = ev_policy();
	mailcert_report *r;

	while (c->chain[n] != END)
		chain[n] = cert(c->chain[n]), n++;
	r = ev_check("mail.test", chain, n, p);
	{
		char got[1024];

		ev_codes(got, sizeof(got), r);
		ck_assert_msg(strcmp(got, c->codes) == 0, "%s: want [%s], got [%s]", c->name,
			      c->codes, got);
	}
	ck_assert_int_eq(mailcert_report_state(r), c->state);
	if (c->code) {
		const char *msg = ev_message(r, c->code);

		for (size_t i = 0; i < mailcert_report_finding_count(r); i++) {
			const mailcert_finding *f = mailcert_report_finding(r, i);

			if (strcmp(mailcert_finding_code(f), c->code) == 0) {
				ck_assert_int_eq(mailcert_finding_cert(f), c->cert);
				break;
			}
		}
		for (size_t i = 0; i < 3 && c->parts[i]; i++)
			ck_assert_contains(msg, c->parts[i]);
	}
	mailcert_report_free(r);
	mailcert_policy_free(p);
}
END_TEST

/* A finding overridden to OK stays, with severity OK, and the state is OK. */
START_TEST(test_root_included_overridden)
{
	const struct mc_fixture_cert *chain[] = {&certs[LEAF], &ev_inter, &ev_root};
	mailcert_policy *p = ev_policy();
	mailcert_report *r;

	ck_assert_int_eq(mailcert_policy_set_severity(p, "chain.root-included", MAILCERT_OK), 0);
	r = ev_check("mail.test", chain, 3, p);
	ck_assert_codes(r, "chain.root-included ", MAILCERT_OK);
	ck_assert_int_eq(ev_severity(r, "chain.root-included"), MAILCERT_OK);
	mailcert_report_free(r);
	mailcert_policy_free(p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("check-chain");
	TCase *tc = tcase_create("chain");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_chain, 0, sizeof(chain_cases) / sizeof(chain_cases[0]));
	tcase_add_test(tc, test_root_included_overridden);
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
