/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `mailcert file`: check certificate files on disk as check checks a server's chain. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char file_intro[] =
    "Usage: mailcert file [OPTIONS] FILE...\n"
    "       mailcert file [OPTIONS] --acme PATH\n"
    "       mailcert file --tlsa-for FILE...\n"
    "\n"
    "Check certificate files on disk, as a mail container mounts them, with the\n"
    "same policy as 'mailcert check' (no network): validity, trust, chain, and\n"
    "the name when -n is given.\n"
    "\n"
    "Each FILE is PEM (every CERTIFICATE block, leaf first; other blocks are\n"
    "skipped) or one DER certificate. A private key among the certificates, as\n"
    "in a Postfix smtpd_tls_chain_files file, is checked against the leaf.\n"
    "\n"
    "With --acme, every certificate an ACME client keeps (certbot, acme.sh,\n"
    "lego, Traefik) is checked the same way, one report per lineage.\n"
    "\n"
    "With --tlsa-for, nothing is checked: the TLSA records that name each FILE\n"
    "are printed, one per line, to publish before the server serves it (with\n"
    "several files, each group follows a \"; FILE\" line).\n";

static const char file_outro[] =
    "\n"
    "Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN: bad arguments, or a\n"
    "file that cannot be read, is empty or malformed, holds no certificate, or\n"
    "whose key is encrypted (the message names the file and the problem).\n"
    "With several files, the worst.\n"
    "\n"
    "Examples:\n"
    "  mailcert file -n mail.example.com /etc/letsencrypt/live/mail/fullchain.pem \\\n"
    "      --key /etc/letsencrypt/live/mail/privkey.pem\n"
    "  mailcert file -w 21 /etc/postfix/chain.pem\n"
    "  mailcert file --acme /etc/letsencrypt\n"
    "  mailcert file --tlsa-for /etc/letsencrypt/live/mail/fullchain.pem\n"
    "  mailcert file --tlsa-for next-key.pem --tlsa \"3 1 1 0c72...\" \\\n"
    "      --next-key next-key.pem fullchain.pem\n";

#define CMD "file "

/*
 * A file that cannot be checked is UNKNOWN: a monitoring system reads the
 * plugin's first line on stdout, people and scripts read stderr.
 */
static int unknown(mailcert_format format, const char *err)
{
	if (format == MAILCERT_FORMAT_NAGIOS)
		printf("MAILCERT UNKNOWN - %s\n", err);
	else
		fprintf(stderr, "mailcert: %s\n", err);
	return MAILCERT_UNKNOWN;
}

/* Evaluates and prints @obs, or says why there is none (@rc, @err); the state. */
static int check_observation(const struct check_run *run, struct output *o,
			     mailcert_observation *obs, int rc, const char *what, const char *err)
{
	mailcert_report *report = NULL;

	if (rc == MAILCERT_E_IO || rc == MAILCERT_E_INVALID)
		return unknown(run->format, err);
	if (rc >= 0)
		rc = mailcert_evaluate(&report, obs, run->policy, run->now);
	if (rc >= 0) {
		int state = (int)mailcert_report_state(report);

		rc = output_report(o, report) < 0 ? -1 : state;
	}
	if (rc < 0) {
		fprintf(stderr, "mailcert: %s: internal failure (out of memory?)\n", what);
		rc = MAILCERT_UNKNOWN;
	}
	mailcert_observation_free(obs);
	return rc;
}

static int check_file(const struct check_run *run, struct output *o, const char *path,
		      const char *key)
{
	mailcert_observation *obs = NULL;
	char err[1024];
	int rc = mailcert_observation_from_file(&obs, path, key, err, sizeof(err));

	return check_observation(run, o, obs, rc, path, err);
}

/* Every lineage of @store, as files; a key that could not be read is said on stderr. */
static int check_store(const struct check_run *run, struct output *o,
		       const mailcert_acme_store *store)
{
	int state = MAILCERT_OK;

	for (size_t i = 0; i < mailcert_acme_store_count(store); i++) {
		mailcert_observation *obs = NULL;
		const char *note = mailcert_acme_lineage_note(store, i);
		char err[1024];
		int rc = mailcert_observation_from_acme(&obs, store, i, err, sizeof(err));

		if (note)
			fprintf(stderr, "mailcert: the %s lineage %s: %s\n",
				mailcert_acme_store_kind(store), mailcert_acme_lineage_name(store, i),
				note);
		state = worse(state, check_observation(run, o, obs, rc,
						       mailcert_acme_lineage_name(store, i), err));
	}
	return state;
}

/*
 * --tlsa-for: the records of each of @paths[0..@n), preceded by "; PATH"
 * when there are several. 0, or UNKNOWN after naming each file that could
 * not be read.
 */
static int print_tlsa(char *const *paths, int n)
{
	int rc = 0;

	for (int i = 0; i < n; i++) {
		char *records = NULL, err[1024];

		if (mailcert_tlsa_for_file(&records, paths[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "mailcert: --tlsa-for: %s\n", err);
			rc = MAILCERT_UNKNOWN;
			continue;
		}
		if (n > 1)
			printf("; %s\n", paths[i]);
		fputs(records, stdout);
		free(records);
	}
	return fflush(stdout) == 0 ? rc : MAILCERT_UNKNOWN;
}

int cmd_file(int argc, char **argv)
{
	struct check_run run = {.now = time(NULL)};
	struct output o;
	const char *key = NULL, *acme = NULL;
	mailcert_acme_store *store = NULL;
	char err[1024];
	struct mc_getopt getopts;
	int rc = EXIT_USAGE, c, format_given = 0, state = MAILCERT_OK, n_tlsa_for = 0;
	char **tlsa_for = calloc((size_t)argc + 1, sizeof(*tlsa_for));

	run.format = isatty(STDOUT_FILENO) ? MAILCERT_FORMAT_TEXT : MAILCERT_FORMAT_NAGIOS;
	if (!tlsa_for || run_policy_new(&run) < 0) {
		free(tlsa_for);
		return nomem();
	}
	mc_getopt_init(&getopts, MC_CMD_FILE);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, getopts.shorts, getopts.longs, NULL)) != -1) {
		/* --dane and its DNS options: lookups need a server's name and port. */
		if (mc_option_refused(MC_CMD_FILE, c)) {
			usage_error(CMD, "%s looks up a server's TLSA records in DNS; for a file, "
				    "give the records to match with --tlsa \"3 1 1 HEX\"",
				    argv[optind - 1]);
			goto out;
		}
		if (IS_POLICY_OPTION(c)) {
			if (policy_option(CMD, &run, c, optarg))
				goto out;
			continue;
		}
		switch (c) {
		case OPT_KEY:
			key = optarg;
			break;
		case OPT_ACME:
			acme = optarg;
			break;
		case OPT_TLSA_FOR:
			tlsa_for[n_tlsa_for++] = optarg;
			break;
		case 'f':
			if (parse_format(CMD, optarg, &run.format))
				goto out;
			format_given = 1;
			break;
		case 'v':
			run.verbosity++;
			break;
		case OPT_OUTPUT:
			run.output = optarg;
			break;
		case 'h':
			mc_help(stdout, MC_CMD_FILE, file_intro, file_outro);
			rc = 0;
			goto out;
		default: /* ':' or '?' */
			option_error(CMD, c, argv);
			goto out;
		}
	}
	if (n_tlsa_for && (optind < argc || key || acme)) {
		usage_error(CMD, "--tlsa-for prints records and checks nothing; check %s in a "
				 "run of its own",
			    acme ? "--acme" : key ? "--key" : "FILEs");
		goto out;
	}
	if (n_tlsa_for) {
		rc = print_tlsa(tlsa_for, n_tlsa_for);
		goto out;
	}
	if (acme && (optind < argc || key)) {
		usage_error(CMD, "--acme checks the certificates of an ACME client's store; give "
				 "no %s with it",
			    key ? "--key" : "FILE");
		goto out;
	}
	if (!acme && optind == argc) {
		usage_error(CMD, "no file given, e.g. mailcert file /etc/ssl/mail/fullchain.pem, "
				 "or mailcert file --acme /etc/letsencrypt");
		goto out;
	}
	if (key && argc - optind > 1) {
		usage_error(CMD, "--key goes with one certificate file (%d given)", argc - optind);
		goto out;
	}
	if (acme && mailcert_acme_store_open(&store, acme, err, sizeof(err)) < 0) {
		rc = unknown(run.format, err);
		goto out;
	}
	if (store && mailcert_acme_store_count(store) == 0) {
		snprintf(err, sizeof(err), "the %s store \"%s\" holds no certificate yet",
			 mailcert_acme_store_kind(store), acme);
		rc = unknown(run.format, err);
		goto out;
	}
	if (one_plugin_output(CMD, &run.format, format_given,
			      store ? (int)mailcert_acme_store_count(store) : argc - optind,
			      store ? "lineage" : "file"))
		goto out;
	run_policy_ready(&run);
	if (output_open(&o, run.format, run.verbosity, run.output))
		goto out;
	if (store)
		state = check_store(&run, &o, store);
	for (int i = optind; i < argc; i++)
		state = worse(state, check_file(&run, &o, argv[i], key));
	rc = output_close(&o) ? EXIT_USAGE : state;
out:
	free(tlsa_for);
	mailcert_acme_store_free(store);
	mailcert_policy_free(run.policy);
	return rc;
}
