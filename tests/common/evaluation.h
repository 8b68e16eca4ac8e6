/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers for the unit tests of the check families (test-check-*.c):
 * a test PKI made on the fly, observations of chains in any order, and
 * assertions on the findings of an evaluation at a pinned `now`.
 */
#ifndef MAILCERT_TEST_EVALUATION_H
#define MAILCERT_TEST_EVALUATION_H

#include <check.h>
#include <string.h>

#include "fixture/fixture.h"
#include "model/internal.h"

#define DAY 86400LL
#define NOW ((time_t)1795860000) /* 2026-11-28 10:00:00 UTC */

/* Made by ev_pki_setup() (an unchecked fixture: before the tests fork). */
extern struct mc_fixture_cert ev_root, ev_inter;
extern char ev_ca_path[]; /* PEM file holding ev_root */

void ev_pki_setup(void);
void ev_pki_teardown(void);

/* Makes @c from @spec, failing the test on error. */
void ev_make(struct mc_fixture_cert *c, const struct mc_fixture_cert_spec *spec);

/* A CA certificate named @cn issued by @issuer (NULL: self-signed), valid NOW-365d..NOW+@days. */
void ev_make_ca(struct mc_fixture_cert *c, const char *cn, const struct mc_fixture_cert *issuer,
		double days);

/* A leaf with DNS SANs @dns (NULL: none) and IP SANs @ips, issued by @issuer, NOW-10d..NOW+@days.
 */
void ev_make_leaf(struct mc_fixture_cert *c, const char *cn, const char *const *dns,
		  const char *const *ips, const struct mc_fixture_cert *issuer, double days);

/* A policy trusting only ev_root. */
mailcert_policy *ev_policy(void);

/* An observation of @target (host @host) that received @chain[0..n); the caller's. */
mailcert_observation *ev_observe(const char *target, const char *host,
				  const struct mc_fixture_cert *const *chain, size_t n);

/* Evaluates @chain[0..n) as smtp://@host sent it, at NOW. */
mailcert_report *ev_check(const char *host, const struct mc_fixture_cert *const *chain, size_t n,
			  const mailcert_policy *p);

/* "code code ", the findings in order, into @out. */
void ev_codes(char *out, size_t len, const mailcert_report *r);

/* The message of the first finding with @code, or NULL. */
const char *ev_message(const mailcert_report *r, const char *code);

/* The severity of the first finding with @code; fails the test when absent. */
mailcert_state ev_severity(const mailcert_report *r, const char *code);

#define ck_assert_contains(hay, needle)                                                            \
	do {                                                                                       \
		const char *hay_ = (hay);                                                          \
		ck_assert_msg(hay_ &&strstr(hay_, (needle)), "\"%s\"\n  does not contain \"%s\"",  \
			      hay_ ? hay_ : "(null)", (needle));                                   \
	} while (0)

/* Asserts the exact list of finding codes ("a b ", or "" for none) and the state. */
#define ck_assert_codes(r, want, state)                                                            \
	do {                                                                                       \
		char got_[1024];                                                                   \
		ev_codes(got_, sizeof(got_), (r));                                                 \
		ck_assert_msg(strcmp(got_, (want)) == 0, "findings: want [%s], got [%s]", (want),  \
			      got_);                                                               \
		ck_assert_str_eq(mailcert_state_name(mailcert_report_state(r)),                    \
				 mailcert_state_name(state));                                      \
	} while (0)

#endif
