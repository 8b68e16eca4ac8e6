/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The whole libmailcert pipeline in one page: parse a target, probe it,
 * evaluate the observation against a policy, render the report.
 *
 *   cc check-one.c $(pkg-config --cflags --libs mailcert) -o check-one
 *   ./check-one submission://mail.example.com
 *   ./check-one --ca-file ca.pem --connect-to 127.0.0.1 smtp://mail.test:2525
 *
 * Exits with the monitoring-plugin state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mailcert/mailcert.h>

int main(int argc, char **argv)
{
	const char *ca_file = NULL, *connect_to = NULL, *url = NULL;
	mailcert_target *target = NULL;
	mailcert_probe *probe = NULL;
	mailcert_observation *obs = NULL;
	mailcert_policy *policy = NULL;
	mailcert_report *report = NULL;
	char err[256], *text = NULL;
	int state = MAILCERT_UNKNOWN;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ca-file") == 0 && i + 1 < argc)
			ca_file = argv[++i];
		else if (strcmp(argv[i], "--connect-to") == 0 && i + 1 < argc)
			connect_to = argv[++i];
		else
			url = argv[i];
	}
	if (!url) {
		fprintf(stderr, "usage: %s [--ca-file FILE] [--connect-to ADDR] TARGET\n", argv[0]);
		return MAILCERT_UNKNOWN;
	}

	/* 1. What to check. */
	if (mailcert_target_parse(&target, url, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	/* 2. Look: connect, STARTTLS, handshake. Network trouble is not an
	 *    error here; it is recorded in the observation. */
	if (mailcert_probe_new(&probe, target) < 0 ||
	    mailcert_probe_set_connect_to(probe, connect_to) < 0 ||
	    mailcert_probe_run(probe, &obs) < 0)
		goto out;
	/* 3. Judge, as of now, against a policy. */
	if (mailcert_policy_new(&policy) < 0)
		goto out;
	if (ca_file && mailcert_policy_add_ca_file(policy, ca_file, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	if (mailcert_evaluate(&report, obs, policy, time(NULL)) < 0)
		goto out;
	/* 4. Show it, and walk the findings as a program would. */
	if (mailcert_render(&text, report, MAILCERT_FORMAT_TEXT, 0) == 0)
		fputs(text, stdout);
	for (size_t i = 0; i < mailcert_report_finding_count(report); i++) {
		const mailcert_finding *f = mailcert_report_finding(report, i);

		printf("finding %s (%s)\n", mailcert_finding_code(f),
		       mailcert_state_name(mailcert_finding_severity(f)));
	}
	state = mailcert_report_state(report);
	printf("state %s, libmailcert %s\n", mailcert_state_name(state), mailcert_version());
out:
	free(text);
	mailcert_report_free(report);
	mailcert_policy_free(policy);
	mailcert_observation_free(obs);
	mailcert_probe_free(probe);
	mailcert_target_free(target);
	return state;
}
