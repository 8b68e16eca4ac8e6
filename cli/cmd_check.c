/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `mailcert check`: parse the options, run the library, print. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"

static const char check_intro[] =
	"Usage: mailcert check [OPTIONS] TARGET...\n"
	"\n"
	"Connect to each TARGET, start TLS the way its protocol does (its STARTTLS\n"
	"dialogue, or at once for implicit TLS), and check every certificate the\n"
	"server sends: validity, trust, chain and name.\n"
	"\n"
	"Targets:  SCHEME://HOST[:PORT], HOST:PORT or [IPv6]:PORT\n"
	"  STARTTLS: smtp (25), submission (587), lmtp (24), imap (143), pop3 (110),\n"
	"    sieve (4190), nntp (119), ftp (21), xmpp (5222), xmpp-server (5269),\n"
	"    ldap (389), postgres (5432), mysql (3306), irc (6667)\n"
	"  implicit TLS: smtps and submissions (465), imaps (993), pop3s (995),\n"
	"    nntps (563), ftps (990), xmpps (5223), ldaps (636), ircs (6697),\n"
	"    https (443), tls (any port; the port is required)\n"
	"  A bare HOST:PORT takes the protocol from the port (587 = submission).\n";

static const char check_outro[] =
	"\n"
	"Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad arguments).\n"
	"With several targets, the worst. Unreachable servers are CRITICAL.\n"
	"\n"
	"Examples:\n"
	"  mailcert check submission://mail.example.com\n"
	"  mailcert check -w 21 -c 7 smtp://mx1.example.com smtps://mx1.example.com\n"
	"  mailcert check --connect-to 192.0.2.10 --ca-file ca.pem smtp://mail.test\n";

static const char show_intro[] =
	"Usage: mailcert show [OPTIONS] TARGET\n"
	"\n"
	"Print what the server presented, as 'openssl s_client -starttls X -showcerts'\n"
	"would, but readable: the plaintext dialogue (C: client, S: server, escaped),\n"
	"the TLS version and cipher, and every certificate as sent (subject, issuer,\n"
	"validity, SANs, key, signature, SHA-256), then the verdict of 'check'.\n";

static const char show_outro[] =
	"\n"
	"The output format is fixed; for JSON or Nagios use 'mailcert check -f'.\n"
	"\n"
	"Example:\n"
	"  mailcert show --pem submission://mail.example.com\n";

static int parse_timeout(const char *cmd, const char *s, unsigned *ms)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= 0.001) || v > 3600)
		return usage_error(cmd, "--timeout takes seconds from 0.001 to 3600, not \"%s\"",
				   s);
	*ms = (unsigned)(v * 1000 + 0.5);
	return 0;
}

int probe_option(const char *cmd, struct check_run *run, int c, const char *arg)
{
	char err[1024];

	switch (c) {
	case 'P':
		run->protocol = arg;
		return 0;
	case OPT_SNI:
		run->sni = arg;
		return 0;
	case OPT_HELO:
		run->helo = arg;
		return 0;
	case OPT_XMPP_DOMAIN:
		run->xmpp_domain = arg;
		return 0;
	case OPT_CONNECT_TO:
		run->connect_to = arg;
		return 0;
	case OPT_DIRECT_TLS:
		run->probe_flags |= MAILCERT_PROBE_DIRECT_TLS;
		return 0;
	case OPT_FORCE_STARTTLS:
		run->probe_flags |= MAILCERT_PROBE_UNADVERTISED;
		return 0;
	case '4':
	case '6':
		run->family = c == '4' ? MAILCERT_FAMILY_INET : MAILCERT_FAMILY_INET6;
		return 0;
	case OPT_COMPARE_FILE:
		if (mailcert_policy_set_compare_file(run->policy, arg, err, sizeof(err)) < 0)
			return usage_error(cmd, "--compare-file: %s", err);
		return 0;
	case OPT_COMPARE_ACME:
		if (mailcert_policy_set_compare_acme(run->policy, arg, err, sizeof(err)) < 0)
			return usage_error(cmd, "--compare-acme: %s", err);
		return 0;
	case OPT_CRL_FETCH:
		mailcert_policy_set_crl_fetch(run->policy, 1);
		return 0;
	case OPT_MIN_TLS:
		if (mailcert_policy_set_min_tls(run->policy, arg, err, sizeof(err)) < 0)
			return usage_error(cmd, "--min-tls: %s", err);
		return 0;
	case OPT_ALL_KEYS:
		run->all_keys = 1;
		return 0;
	case OPT_KEY_TYPE:
		if (strcasecmp(arg, "rsa") == 0)
			run->key_type = MAILCERT_KEY_RSA;
		else if (strcasecmp(arg, "ecdsa") == 0)
			run->key_type = MAILCERT_KEY_ECDSA;
		else
			return usage_error(cmd, "--key-type \"%s\": use rsa or ecdsa", arg);
		return 0;
	case 't':
		return parse_timeout(cmd, arg, &run->timeout_ms);
	default:
		return -1;
	}
}

/* check and show share every option; show prints one target its own way. */
static int check_or_show(int argc, char **argv, int show)
{
	const char *cmd = show ? "show " : "check ";
	enum mc_command id = show ? MC_CMD_SHOW : MC_CMD_CHECK;
	struct mc_getopt getopts;
	int pem = 0;
	struct check_run run = {.timeout_ms = 10000, .now = time(NULL)};
	int rc = EXIT_USAGE, c, idx = 0, format_given = 0;

	run.format = isatty(STDOUT_FILENO) ? MAILCERT_FORMAT_TEXT : MAILCERT_FORMAT_NAGIOS;
	if (run_policy_new(&run) < 0)
		return nomem();
	mc_getopt_init(&getopts, id);
	optind = 1;
	opterr = 0; /* our own messages, which name the command */
	while ((c = getopt_long(argc, argv, getopts.shorts, getopts.longs, &idx)) != -1) {
		if (IS_POLICY_OPTION(c)) {
			if (policy_option(cmd, &run, c, optarg))
				goto out;
			continue;
		}
		if (IS_PROBE_OPTION(c)) {
			if (probe_option(cmd, &run, c, optarg))
				goto out;
			continue;
		}
		switch (c) {
		case 'f':
			if (show) {
				usage_error(cmd, "show has one output; for JSON or Nagios use check -f");
				goto out;
			}
			if (parse_format(cmd, optarg, &run.format))
				goto out;
			format_given = 1;
			break;
		case 'v':
			run.verbosity++;
			break;
		case OPT_OUTPUT:
			run.output = optarg;
			break;
		case OPT_PEM:
			if (!show) {
				usage_error(cmd, "--pem belongs to mailcert show");
				goto out;
			}
			pem = 1;
			break;
		case 'h':
			mc_help(stdout, id, show ? show_intro : check_intro,
				show ? show_outro : check_outro);
			rc = 0;
			goto out;
		default: /* ':' or '?' */
			option_error(cmd, c, argv);
			goto out;
		}
	}
	if (optind == argc) {
		usage_error(cmd, "no target given, e.g. mailcert check submission://mail.example.com");
		goto out;
	}
	if (show && argc - optind > 1) {
		usage_error(cmd, "show takes one target (%d given)", argc - optind);
		goto out;
	}
	if (run.all_keys && run.key_type) {
		usage_error(cmd, "--all-keys checks every key type; --key-type only one: give one of them");
		goto out;
	}
	if (run.all_keys && show) {
		usage_error(cmd, "show prints one handshake: use --key-type rsa or --key-type ecdsa");
		goto out;
	}
	if (run.all_keys && (run.format == MAILCERT_FORMAT_NAGIOS && format_given)) {
		usage_error(cmd, "--all-keys gives one report per key type and a Nagios check gives "
			    "one: check each with --key-type rsa and --key-type ecdsa");
		goto out;
	}
	/* Off a terminal, several reports are text, as for several targets. */
	if (run.all_keys && run.format == MAILCERT_FORMAT_NAGIOS)
		run.format = MAILCERT_FORMAT_TEXT;
	if (show)
		run.format = pem ? MAILCERT_FORMAT_SHOW_PEM : MAILCERT_FORMAT_SHOW;
	if (one_plugin_output(cmd, &run.format, format_given, argc - optind, "target"))
		goto out;
	run_policy_ready(&run);
	rc = check_targets(&run, argv + optind, argc - optind);
out:
	mailcert_policy_free(run.policy);
	return rc;
}

int cmd_check(int argc, char **argv)
{
	return check_or_show(argc, argv, 0);
}

int cmd_show(int argc, char **argv)
{
	return check_or_show(argc, argv, 1);
}
