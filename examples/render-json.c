/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Probe a target and print the report as one line of JSON (the schema of
 * docs/json.md, the same as `mailcert check -f json`), for a program or a
 * script (jq) to read.
 *
 *   cc render-json.c $(pkg-config --cflags --libs mailcert) -o render-json
 *   ./render-json imaps://mail.example.com | jq .chain[0].not_after
 *   ./render-json --ca-file ca.pem --connect-to 127.0.0.1 smtp://mail.test:2525
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
	char err[256], *json = NULL;
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
	if (mailcert_target_parse(&target, url, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	/* A 5 second deadline for the whole probe; failures land in the report. */
	if (mailcert_probe_new(&probe, target) < 0 ||
	    mailcert_probe_set_connect_to(probe, connect_to) < 0 ||
	    mailcert_probe_set_timeout_ms(probe, 5000) < 0 || mailcert_probe_run(probe, &obs) < 0)
		goto out;
	if (mailcert_policy_new(&policy) < 0)
		goto out;
	if (ca_file && mailcert_policy_add_ca_file(policy, ca_file, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	if (mailcert_evaluate(&report, obs, policy, time(NULL)) < 0)
		goto out;
	/* One line ending in a newline, the caller's to free(). */
	if (mailcert_render(&json, report, MAILCERT_FORMAT_JSON, 0) < 0)
		goto out;
	fputs(json, stdout);
	state = mailcert_report_state(report);
out:
	free(json);
	mailcert_report_free(report);
	mailcert_policy_free(policy);
	mailcert_observation_free(obs);
	mailcert_probe_free(probe);
	mailcert_target_free(target);
	return state;
}
