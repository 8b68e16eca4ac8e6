/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "evaluation.h"

struct mc_fixture_cert ev_root, ev_inter;
#define CA_TEMPLATE "/tmp/test-check-ca-XXXXXX"
char ev_ca_path[] = CA_TEMPLATE;

void ev_make(struct mc_fixture_cert *c, const struct mc_fixture_cert_spec *spec)
{
	int rc = mc_fixture_cert_make(c, spec);

	ck_assert_msg(rc == 0, "%s: %s", spec->cn, gnutls_strerror(rc));
}

void ev_make_ca(struct mc_fixture_cert *c, const char *cn, const struct mc_fixture_cert *issuer,
		double days)
{
	const struct mc_fixture_cert_spec spec = {.cn = cn,
						  .is_ca = 1,
						  .issuer = issuer,
						  .not_before = NOW - 365 * DAY,
						  .not_after = NOW + (time_t)(days * DAY)};

	ev_make(c, &spec);
}

void ev_make_leaf(struct mc_fixture_cert *c, const char *cn, const char *const *dns,
		  const char *const *ips, const struct mc_fixture_cert *issuer, double days)
{
	const struct mc_fixture_cert_spec spec = {.cn = cn,
						  .dns = dns,
						  .ips = ips,
						  .issuer = issuer,
						  .not_before = NOW - 10 * DAY,
						  .not_after = NOW + (time_t)(days * DAY)};

	ev_make(c, &spec);
}

void ev_pki_setup(void)
{
	int fd;

	memcpy(ev_ca_path, CA_TEMPLATE, sizeof(CA_TEMPLATE)); /* a fixture may run twice */
	fd = mkstemp(ev_ca_path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ev_make_ca(&ev_root, "Test Root", NULL, 3650);
	ev_make_ca(&ev_inter, "Test Intermediate", &ev_root, 1000);
	ck_assert_int_eq(mc_fixture_cert_append_pem(&ev_root, ev_ca_path), 0);
}

void ev_pki_teardown(void)
{
	mc_fixture_cert_clear(&ev_inter);
	mc_fixture_cert_clear(&ev_root);
	unlink(ev_ca_path);
}

mailcert_policy *ev_policy(void)
{
	mailcert_policy *p;
	char err[256];

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	ck_assert_msg(mailcert_policy_add_ca_file(p, ev_ca_path, err, sizeof(err)) == 0, "%s", err);
	return p;
}

mailcert_observation *ev_observe(const char *target, const char *host,
				  const struct mc_fixture_cert *const *chain, size_t n)
{
	mailcert_observation *obs = mc_observation_new(target, host);

	ck_assert_ptr_nonnull(obs);
	for (size_t i = 0; i < n; i++) {
		gnutls_datum_t der;

		ck_assert_int_eq(mc_fixture_cert_der(chain[i], &der), 0);
		ck_assert_int_eq(mc_observation_add_cert(obs, der.data, der.size), 0);
		gnutls_free(der.data);
	}
	return obs;
}

mailcert_report *ev_check(const char *host, const struct mc_fixture_cert *const *chain, size_t n,
			  const mailcert_policy *p)
{
	char target[300];
	mailcert_observation *obs;
	mailcert_report *r = NULL;

	snprintf(target, sizeof(target), "smtp://%s:25", host);
	obs = ev_observe(target, host, chain, n);
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	mailcert_observation_free(obs);
	return r;
}

void ev_codes(char *out, size_t len, const mailcert_report *r)
{
	out[0] = '\0';
	for (size_t i = 0; i < mailcert_report_finding_count(r); i++)
		snprintf(out + strlen(out), len - strlen(out), "%s ",
			 mailcert_finding_code(mailcert_report_finding(r, i)));
}

const char *ev_message(const mailcert_report *r, const char *code)
{
	for (size_t i = 0; i < mailcert_report_finding_count(r); i++) {
		const mailcert_finding *f = mailcert_report_finding(r, i);

		if (strcmp(mailcert_finding_code(f), code) == 0)
			return mailcert_finding_message(f);
	}
	return NULL;
}

mailcert_state ev_severity(const mailcert_report *r, const char *code)
{
	for (size_t i = 0; i < mailcert_report_finding_count(r); i++) {
		const mailcert_finding *f = mailcert_report_finding(r, i);

		if (strcmp(mailcert_finding_code(f), code) == 0)
			return mailcert_finding_severity(f);
	}
	ck_abort_msg("no finding %s", code);
	return MAILCERT_UNKNOWN;
}
