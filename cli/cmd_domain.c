/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `mailcert domain`: a mail domain's MX hosts, DANE, MTA-STS and TLS-RPT. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define CMD "domain "

static const char domain_help[] =
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
    "Options:\n"
    "      --port N           the MX hosts' port (default 25); TLSA records are\n"
    "                         looked up at _N._tcp.MX\n"
    "      --resolver ADDR    send every lookup to ADDR[:PORT] (default: the\n"
    "                         resolvers of /etc/resolv.conf); it must pass DNSSEC\n"
    "                         records through: mailcert validates them itself\n"
    "      --trust-anchor FILE  DNSSEC trust anchor, DS or DNSKEY records (default:\n"
    "                         /usr/share/dns/root.key, package dns-root-data)\n"
    "      --ca-file FILE     trust these CAs for the MX hosts and the MTA-STS\n"
    "                         policy host instead of the system store\n"
    "      --helo NAME        EHLO name (default: mailcert.invalid)\n"
    "  -t, --timeout SEC      deadline for the lookups, and for each MX check\n"
    "                         (default 10)\n"
    "  -4, -6                 IPv4 or IPv6 only: the MX hosts' A or AAAA records\n"
    "                         (default: both)\n"
    "\n"
    "The policy options of 'mailcert check' apply to every MX host (-w, -c,\n"
    "--severity CODE=LEVEL, --min-tls, ...); the names checked are the MX host\n"
    "names.\n"
    "\n"
    "Output:\n"
    "  -f, --format FMT       text (default on a terminal), nagios (default\n"
    "                         otherwise: the domain's report alone, whose state is\n"
    "                         the worst of all), json (one line per report),\n"
    "                         prometheus\n"
    "      --output FILE      write to FILE instead of stdout, replacing it at once\n"
    "  -v, --verbose          more detail; repeatable\n"
    "\n"
    "Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad arguments).\n"
    "\n"
    "Examples:\n"
    "  mailcert domain example.com\n"
    "  mailcert domain --resolver 127.0.0.1 -f json example.com\n";

enum {
	OPT_PORT = OPT_PROBE_LAST + 1,
	OPT_DOMAIN_OUTPUT,
};

static const struct option options[] = {
    POLICY_OPTIONS,
    PROBE_OPTIONS,
    {"port", required_argument, NULL, OPT_PORT},
    {"format", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, OPT_DOMAIN_OUTPUT},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the domain decides for every MX host, so an option to set it would be lost. */
static int refused(int c)
{
	return c == 'n' || c == 'P' || c == OPT_TLSA || c == OPT_SNI || c == OPT_CONNECT_TO ||
	       c == OPT_XMPP_DOMAIN || c == OPT_DIRECT_TLS || c == OPT_FORCE_STARTTLS ||
	       c == OPT_ALL_KEYS;
}

/* The long name of option @c, for messages whichever spelling was used. */
static const char *long_name(int c)
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

/* One MX entry's check (a host at one address), run with the others at once. */
struct mx_check {
	mailcert_target *target;
	mailcert_probe *probe; /* NULL: the entry has no address */
	mailcert_observation *obs;
};

static void mx_done(mailcert_probe *probe, mailcert_observation *obs, void *user)
{
	struct mx_check *c = user;

	(void)probe;
	c->obs = obs; /* NULL when memory ran out */
}

/* The probe of MX entry @i, as `mailcert check smtp://HOST:PORT` at that entry's address. */
static int mx_prepare(const struct check_run *run, const mailcert_domain *d, size_t i,
		      unsigned port, struct mx_check *c)
{
	struct check_run mx = *run;
	char text[300], err[512];
	int rc;

	if (!mailcert_domain_mx_address(d, i))
		return 0; /* the domain's report says why */
	mx.connect_to = mailcert_domain_mx_address(d, i);
	snprintf(text, sizeof(text), "smtp://%s:%u", mailcert_domain_mx_host(d, i), port);
	rc = parse_check_target(&mx, text, &c->target, err, sizeof(err));
	if (rc == 0)
		rc = make_probe(&mx, c->target, text, &c->probe, err, sizeof(err));
	if (rc == 0 && run->key_type)
		rc = mailcert_probe_set_key_type(c->probe, run->key_type);
	if (rc == MAILCERT_E_INVALID)
		usage_error(CMD, "%s", err);
	return rc;
}

/*
 * Every MX entry's report into @reports (NULL for an entry without
 * address). The probes run at once: a host that does not answer costs one
 * timeout, not one per address. Then the lookups of each (--dane,
 * --crl-fetch) and its evaluation, in order.
 */
static int check_mxs(const struct check_run *run, const mailcert_domain *d, unsigned port,
		     mailcert_report **reports)
{
	size_t n = mailcert_domain_mx_count(d);
	struct mx_check *checks = calloc(n ? n : 1, sizeof(*checks));
	mailcert_engine *engine = NULL;
	int rc = checks ? mailcert_engine_new(&engine, (unsigned)n) : MAILCERT_E_NOMEM;

	for (size_t i = 0; rc >= 0 && i < n; i++) {
		rc = mx_prepare(run, d, i, port, &checks[i]);
		if (rc >= 0 && checks[i].probe)
			rc = mailcert_engine_add(engine, checks[i].probe, mx_done, &checks[i]);
	}
	if (rc >= 0)
		rc = mailcert_engine_run(engine);
	for (size_t i = 0; rc >= 0 && i < n; i++) {
		if (!checks[i].probe)
			continue;
		rc = checks[i].obs ? evaluate_observation(run, checks[i].obs, run->now, &reports[i])
				   : MAILCERT_E_NOMEM;
	}
	mailcert_engine_free(engine);
	for (size_t i = 0; checks && i < n; i++) {
		mailcert_observation_free(checks[i].obs); /* a report holds its own reference */
		mailcert_probe_free(checks[i].probe);
		mailcert_target_free(checks[i].target);
	}
	free(checks);
	return rc;
}

static int run_domain(const struct check_run *run, const char *name, unsigned port)
{
	mailcert_domain *d = NULL;
	mailcert_report **reports = NULL, *domain_report = NULL;
	struct output o;
	size_t n = 0;
	char err[512];
	int rc = mailcert_domain_lookup(&d, name, run->policy, run->family, run->timeout_ms, err,
					sizeof(err));

	if (rc == MAILCERT_E_INVALID || rc == MAILCERT_E_IO)
		return usage_error(CMD, "%s", err);
	if (rc < 0)
		goto nomem;
	n = mailcert_domain_mx_count(d);
	reports = calloc(n + 1, sizeof(*reports));
	if (!reports)
		goto nomem;
	rc = check_mxs(run, d, port, reports);
	if (rc == MAILCERT_E_INVALID) { /* mx_prepare() said why */
		rc = EXIT_USAGE;
		goto out;
	}
	if (rc < 0)
		goto nomem;
	if (mailcert_domain_evaluate(&domain_report, d, (const mailcert_report *const *)reports,
				     run->policy, run->now) < 0 ||
	    output_open(&o, run->format, run->verbosity, run->output))
		goto nomem;
	rc = (int)mailcert_report_state(domain_report);
	/* A plugin prints one service: the domain, which carries every MX host's state. */
	if (output_report(&o, domain_report) < 0)
		rc = EXIT_USAGE;
	domain_report = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!reports[i])
			continue;
		rc = worse(rc, (int)mailcert_report_state(reports[i]));
		if (run->format == MAILCERT_FORMAT_NAGIOS)
			mailcert_report_free(reports[i]);
		else if (output_report(&o, reports[i]) < 0)
			rc = EXIT_USAGE;
		reports[i] = NULL;
	}
	if (output_close(&o))
		rc = EXIT_USAGE;
	goto out;
nomem:
	fprintf(stderr, "mailcert: %s: internal failure (out of memory?)\n", name);
	rc = EXIT_USAGE;
out:
	for (size_t i = 0; reports && i < n; i++)
		mailcert_report_free(reports[i]);
	free(reports);
	mailcert_report_free(domain_report);
	mailcert_domain_free(d);
	return rc;
}

int cmd_domain(int argc, char **argv)
{
	struct check_run run = {.timeout_ms = 10000, .now = time(NULL)};
	unsigned port = 25;
	int rc = EXIT_USAGE, c;

	run.format = isatty(STDOUT_FILENO) ? MAILCERT_FORMAT_TEXT : MAILCERT_FORMAT_NAGIOS;
	if (mailcert_policy_new(&run.policy) < 0) {
		fputs("mailcert: out of memory\n", stderr);
		return EXIT_USAGE;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:w:c:t:f:v46hP:", options, NULL)) != -1) {
		if (refused(c)) {
			usage_error(CMD,
				    "--%s does not apply: the domain's MX records say which hosts, "
				    "names and protocol are checked",
				    long_name(c));
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
		case OPT_DOMAIN_OUTPUT:
			run.output = optarg;
			break;
		case 'v':
			run.verbosity++;
			break;
		case 'h':
			fputs(domain_help, stdout);
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
	rc = run_domain(&run, argv[optind], port);
out:
	mailcert_policy_free(run.policy);
	return rc;
}
