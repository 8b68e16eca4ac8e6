/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `mailcert domain`: a mail domain's MX hosts, DANE, MTA-STS and TLS-RPT. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define CMD "domain "

static const char domain_intro[] =
    "Usage: mailcert domain [OPTIONS] DOMAIN\n"
    "\n"
    "Will other mail servers deliver to DOMAIN securely? Looks up its MX hosts\n"
    "(by preference; the domain itself when it has none), checks each at each of\n"
    "its addresses (the first two A and two AAAA records) on port 25 with\n"
    "STARTTLS like 'mailcert check smtp://MX', matching the TLSA records at\n"
    "_25._tcp.MX (DANE, validated with DNSSEC), and checks the domain's MTA-STS\n"
    "policy (the _mta-sts TXT record and https://mta-sts.DOMAIN/.well-known/\n"
    "mta-sts.txt: syntax, mode, mx patterns against the MX hosts, max_age) and\n"
    "TLS-RPT record (_smtp._tls).\n"
    "\n"
    "The first report is the domain's: one mx.summary per MX host and address\n"
    "with that check's state, then mx.*, mta-sts.* and tls-rpt.* findings; one\n"
    "report per MX host and address follows (certificate and dane.* findings).\n"
    "\n"
    "The policy options apply to every MX host; the names checked are the MX host\n"
    "names.\n";

static const char domain_outro[] =
    "\n"
    "Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad arguments).\n"
    "\n"
    "Examples:\n"
    "  mailcert domain example.com\n"
    "  mailcert domain --resolver 127.0.0.1 -f json example.com\n";

/* The long name of option @c, for messages whichever spelling was used. */
static const char *long_name(const struct option *options, int c)
{
	for (const struct option *o = options; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

static int parse_port(const char *s, unsigned *port)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 1 || v > 65535)
		return usage_error(CMD, "--port takes a port number from 1 to 65535, not \"%s\"",
				   s);
	*port = (unsigned)v;
	return 0;
}

/*
 * The domain's lookups, then one check per MX host and address, all in
 * one engine (docs/design.md, "One engine, one deadline"): the checks
 * start from the lookups' callback and run at once, so hosts that do not
 * answer cost one timeout, not one each.
 */
struct domain_run {
	const struct check_run *run;
	unsigned port;
	mailcert_engine *engine;
	mailcert_domain *d;
	struct cli_check *mx; /* one per MX entry; no check for an entry without address */
	mailcert_target **targets;
	size_t n;
	int rc; /* 0, MAILCERT_E_INVALID (said), MAILCERT_E_NOMEM */
};

static void mx_done(mailcert_check *check, mailcert_report *report, void *user)
{
	struct cli_check *c = user;

	(void)check;
	c->report = report;
}

/* The check of MX entry @i, as `mailcert check smtp://HOST:PORT` at that entry's address. */
static int mx_add(struct domain_run *dr, size_t i)
{
	struct check_run mx = *dr->run;
	char text[300], err[512];
	int rc;

	if (!mailcert_domain_mx_address(dr->d, i))
		return 0; /* the domain's report says why */
	mx.connect_to = mailcert_domain_mx_address(dr->d, i);
	snprintf(text, sizeof(text), "smtp://%s:%u", mailcert_domain_mx_host(dr->d, i), dr->port);
	rc = parse_check_target(&mx, text, &dr->targets[i], err, sizeof(err));
	if (rc == 0)
		rc = make_check(&mx, dr->targets[i], text, mx.key_type, mx.now, &dr->mx[i], err,
				sizeof(err));
	if (rc == MAILCERT_E_INVALID)
		usage_error(CMD, "%s", err);
	if (rc == 0)
		rc = mailcert_engine_add_check(dr->engine, dr->mx[i].check, mx_done, &dr->mx[i]);
	return rc;
}

static void looked_up(mailcert_domain *d, void *user)
{
	struct domain_run *dr = user;

	dr->d = d;
	dr->rc = d ? 0 : MAILCERT_E_NOMEM;
	dr->n = mailcert_domain_mx_count(d);
	dr->mx = calloc(dr->n + 1, sizeof(*dr->mx));
	dr->targets = calloc(dr->n + 1, sizeof(*dr->targets));
	if (!dr->mx || !dr->targets)
		dr->rc = MAILCERT_E_NOMEM;
	for (size_t i = 0; dr->rc == 0 && i < dr->n; i++)
		dr->rc = mx_add(dr, i);
}

static void domain_run_free(struct domain_run *dr)
{
	mailcert_engine_free(dr->engine);
	for (size_t i = 0; i < dr->n; i++) {
		if (dr->mx)
			cli_check_clear(&dr->mx[i]);
		if (dr->targets)
			mailcert_target_free(dr->targets[i]);
	}
	free(dr->mx);
	free(dr->targets);
	mailcert_domain_free(dr->d);
}

static int run_domain(const struct check_run *run, const char *name, unsigned port)
{
	struct domain_run dr = {.run = run, .port = port};
	mailcert_report **reports = NULL, *domain_report = NULL;
	struct output o;
	char err[512];
	int rc = mailcert_engine_new(&dr.engine, 0);

	if (rc == 0)
		rc = mailcert_engine_add_domain(dr.engine, name, run->policy, run->family,
						run->timeout_ms, looked_up, &dr, err, sizeof(err));
	if (rc == MAILCERT_E_INVALID || rc == MAILCERT_E_IO) {
		usage_error(CMD, "%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (rc == 0)
		rc = mailcert_engine_run(dr.engine);
	if (rc == 0)
		rc = dr.rc;
	if (rc == MAILCERT_E_INVALID) { /* mx_add() said why */
		rc = EXIT_USAGE;
		goto out;
	}
	reports = calloc(dr.n + 1, sizeof(*reports));
	for (size_t i = 0; rc == 0 && reports && i < dr.n; i++) {
		reports[i] = dr.mx[i].report;
		if (dr.mx[i].check && !reports[i])
			rc = MAILCERT_E_NOMEM;
	}
	if (rc < 0 || !reports ||
	    mailcert_domain_evaluate(&domain_report, dr.d, (const mailcert_report *const *)reports,
				     run->policy, run->now) < 0 ||
	    output_open(&o, run->format, run->verbosity, run->output)) {
		fprintf(stderr, "mailcert: %s: internal failure (out of memory?)\n", name);
		rc = EXIT_USAGE;
		goto out;
	}
	rc = (int)mailcert_report_state(domain_report);
	/* A plugin prints one service: the domain, which carries every MX host's state. */
	if (output_report(&o, domain_report) < 0)
		rc = EXIT_USAGE;
	domain_report = NULL;
	for (size_t i = 0; i < dr.n; i++) {
		if (!reports[i])
			continue;
		rc = worse(rc, (int)mailcert_report_state(reports[i]));
		if (run->format != MAILCERT_FORMAT_NAGIOS && output_report(&o, reports[i]) < 0)
			rc = EXIT_USAGE;
		else if (run->format == MAILCERT_FORMAT_NAGIOS)
			mailcert_report_free(reports[i]);
		dr.mx[i].report = NULL; /* output_report() took it */
	}
	if (output_close(&o))
		rc = EXIT_USAGE;
out:
	free(reports);
	mailcert_report_free(domain_report);
	domain_run_free(&dr);
	return rc;
}

int cmd_domain(int argc, char **argv)
{
	struct check_run run = {.timeout_ms = 10000, .now = time(NULL)};
	unsigned port = 25;
	struct mc_getopt getopts;
	int rc = EXIT_USAGE, c;

	run.format = isatty(STDOUT_FILENO) ? MAILCERT_FORMAT_TEXT : MAILCERT_FORMAT_NAGIOS;
	if (run_policy_new(&run) < 0)
		return nomem();
	mc_getopt_init(&getopts, MC_CMD_DOMAIN);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, getopts.shorts, getopts.longs, NULL)) != -1) {
		/* What the domain decides for every MX host: an option to set it would be lost. */
		if (mc_option_refused(MC_CMD_DOMAIN, c)) {
			usage_error(CMD,
				    "--%s does not apply: the domain's MX records say which hosts, "
				    "names and protocol are checked",
				    long_name(getopts.longs, c));
			goto out;
		}
		if (IS_POLICY_OPTION(c) || IS_PROBE_OPTION(c)) {
			if (IS_POLICY_OPTION(c) ? policy_option(CMD, &run, c, optarg)
						: probe_option(CMD, &run, c, optarg))
				goto out;
			continue;
		}
		switch (c) {
		case OPT_PORT:
			if (parse_port(optarg, &port))
				goto out;
			break;
		case 'f':
			if (parse_format(CMD, optarg, &run.format))
				goto out;
			break;
		case OPT_OUTPUT:
			run.output = optarg;
			break;
		case 'v':
			run.verbosity++;
			break;
		case 'h':
			mc_help(stdout, MC_CMD_DOMAIN, domain_intro, domain_outro);
			rc = 0;
			goto out;
		default:
			option_error(CMD, c, argv);
			goto out;
		}
	}
	if (argc - optind != 1) {
		usage_error(CMD,
			    argc == optind ? "no domain given, e.g. mailcert domain example.com"
					   : "one domain at a time (%d given)",
			    argc - optind);
		goto out;
	}
	mailcert_policy_set_dane(run.policy, 1);
	run_policy_ready(&run);
	rc = run_domain(&run, argv[optind], port);
out:
	mailcert_policy_free(run.policy);
	return rc;
}
