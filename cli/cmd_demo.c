/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `mailcert demo`: a real check, end to end, with nothing to set up. A CA
 * and a leaf are made now, a small SMTP server with STARTTLS serves them on
 * 127.0.0.1, and the ordinary check pipeline examines it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "fixture/fixture.h"

#define DAY 86400

static const char demo_intro[] =
	"Usage: mailcert demo [-v]\n"
	"\n"
	"Starts an SMTP server with STARTTLS on 127.0.0.1 inside this process,\n"
	"with a CA and a certificate for localhost made at start, and checks it\n"
	"exactly as 'mailcert check smtp://localhost:PORT' would.\n";

static int make_pki(struct mc_fixture_cert *ca, struct mc_fixture_cert *leaf, time_t now)
{
	static const char *const dns[] = {"localhost", NULL};
	static const char *const ips[] = {"127.0.0.1", NULL};
	const struct mc_fixture_cert_spec ca_spec = {
		.cn = "mailcert demo CA", .is_ca = 1,
		.not_before = now - DAY, .not_after = now + 3650 * DAY};
	const struct mc_fixture_cert_spec leaf_spec = {
		.cn = "localhost", .dns = dns, .ips = ips, .issuer = ca,
		.not_before = now - 3600, .not_after = now + 90 * DAY};

	if (mc_fixture_cert_make(ca, &ca_spec) < 0)
		return -1;
	return mc_fixture_cert_make(leaf, &leaf_spec) < 0 ? -1 : 0;
}

int cmd_demo(int argc, char **argv)
{
	struct check_run run = {.timeout_ms = 10000, .now = time(NULL), .format = MAILCERT_FORMAT_TEXT,
				.connect_to = "127.0.0.1"};
	struct mc_fixture_cert ca = {0}, leaf = {0};
	const struct mc_fixture_cert *chain[1] = {&leaf};
	struct mc_fixture_smtpd *server = NULL;
	char ca_path[] = "/tmp/mailcert-demo-ca-XXXXXX", target[64], err[512];
	char *targets[1] = {target};
	struct mc_getopt getopts;
	unsigned port;
	int c, fd, rc = EXIT_USAGE;

	mc_getopt_init(&getopts, MC_CMD_DEMO);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, getopts.shorts, getopts.longs, NULL)) != -1) {
		if (c == 'v') {
			run.verbosity++;
		} else if (c == 'h') {
			mc_help(stdout, MC_CMD_DEMO, demo_intro, "");
			return 0;
		} else {
			return option_error("demo ", c, argv);
		}
	}
	if (optind < argc)
		return usage_error("demo ", "unknown argument \"%s\"", argv[optind]);
	fd = mkstemp(ca_path);
	if (fd < 0) {
		perror("mailcert: demo: cannot create a temporary file");
		return EXIT_USAGE;
	}
	close(fd);
	if (make_pki(&ca, &leaf, run.now) < 0 || mc_fixture_cert_append_pem(&ca, ca_path) < 0) {
		fputs("mailcert: demo: could not make the demo certificates\n", stderr);
		goto out;
	}
	if (mc_fixture_smtpd_start(&server, &port, chain, 1, &leaf) < 0) {
		fputs("mailcert: demo: could not start the demo SMTP server on 127.0.0.1\n", stderr);
		goto out;
	}
	if (run_policy_new(&run) < 0 ||
	    mailcert_policy_add_ca_file(run.policy, ca_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "mailcert: demo: %s\n", err);
		goto out;
	}
	snprintf(target, sizeof(target), "smtp://localhost:%u", port);
	printf("Demo: an SMTP server with STARTTLS listens on 127.0.0.1:%u, serving a\n"
	       "certificate for localhost from a CA made just now (%s).\n"
	       "Running: mailcert check --ca-file %s --connect-to 127.0.0.1 %s\n\n",
	       port, ca_path, ca_path, target);
	fflush(stdout);
	rc = check_targets(&run, targets, 1);
out:
	mailcert_policy_free(run.policy);
	mc_fixture_smtpd_stop(server);
	mc_fixture_cert_clear(&leaf);
	mc_fixture_cert_clear(&ca);
	unlink(ca_path);
	return rc;
}
