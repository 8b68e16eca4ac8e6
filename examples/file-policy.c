/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A certificate file on disk judged by a policy of your own: the file a
 * daemon is configured with (Postfix's smtpd_tls_chain_files, Dovecot's
 * ssl_cert, a Docker-Mailserver mount), before or after it is deployed.
 *
 *   cc file-policy.c $(pkg-config --cflags --libs mailcert) -o file-policy
 *   ./file-policy /etc/letsencrypt/live/mail.example.com/fullchain.pem \
 *       mail.example.com "O=Let's Encrypt"
 *   ./file-policy --ca-file ca.pem --key key.pem chain.pem mail.test "CN=Test CA"
 *
 * The policy: the leaf must be valid for NAME and issued by an issuer
 * whose DN matches ISSUER-RE (POSIX extended regex); WARNING when less
 * than a third of the certificate's lifetime is left, CRITICAL under 7
 * days. With --key, the key must belong to the certificate.
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
	const char *ca_file = NULL, *key = NULL, *args[3] = {NULL, NULL, NULL};
	mailcert_observation *obs = NULL;
	mailcert_policy *policy = NULL;
	mailcert_report *report = NULL;
	char err[512], *text = NULL;
	int state = MAILCERT_UNKNOWN, n = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ca-file") == 0 && i + 1 < argc)
			ca_file = argv[++i];
		else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (n < 3)
			args[n++] = argv[i];
		else
			n = 4;
	}
	if (n != 3) {
		fprintf(stderr,
			"usage: %s [--ca-file FILE] [--key FILE] CERT-FILE NAME ISSUER-RE\n",
			argv[0]);
		return MAILCERT_UNKNOWN;
	}

	/* 1. Read the file: the chain in it, and the key if one is given. A
	 *    file that cannot be used is an error with a reason, not a report. */
	if (mailcert_observation_from_file(&obs, args[0], key, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	/* 2. The policy. A file has no host, so the name must be given. */
	if (mailcert_policy_new(&policy) < 0 || mailcert_policy_add_name(policy, args[1]) < 0)
		goto out;
	if (mailcert_policy_set_threshold(policy, 0, "33%", err, sizeof(err)) < 0 ||
	    mailcert_policy_set_threshold(policy, 1, "7d", err, sizeof(err)) < 0 ||
	    mailcert_policy_set_issuer(policy, args[2], err, sizeof(err)) < 0 ||
	    (ca_file && mailcert_policy_add_ca_file(policy, ca_file, err, sizeof(err)) < 0)) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	/* 3. Judge as of now. Pure: the same file, policy and time give the same report. */
	if (mailcert_evaluate(&report, obs, policy, time(NULL)) < 0)
		goto out;
	/* 4. The text for people, then each finding as a program sees it. */
	if (mailcert_render(&text, report, MAILCERT_FORMAT_TEXT, 0) == 0)
		fputs(text, stdout);
	for (size_t i = 0; i < mailcert_report_finding_count(report); i++) {
		const mailcert_finding *f = mailcert_report_finding(report, i);

		printf("finding %s (%s)\n", mailcert_finding_code(f),
		       mailcert_state_name(mailcert_finding_severity(f)));
	}
	state = mailcert_report_state(report);
	printf("state %s\n", mailcert_state_name(state));
out:
	free(text);
	mailcert_report_free(report);
	mailcert_policy_free(policy);
	mailcert_observation_free(obs);
	return state;
}
