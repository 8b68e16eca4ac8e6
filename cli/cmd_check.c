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

static const char check_help[] =
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
	"  A bare HOST:PORT takes the protocol from the port (587 = submission).\n"
	"\n"
	"Connection:\n"
	"  -P, --protocol NAME    use this scheme whatever the target says\n"
	"      --connect-to ADDR  connect here; the target host is still used for SNI\n"
	"                         and the name check (e.g. test a new server by IP)\n"
	"      --sni NAME         server name to send (default: the target host; none\n"
	"                         for an IP address)\n"
	"      --helo NAME        EHLO/LHLO name (default: mailcert.invalid)\n"
	"      --xmpp-domain NAME XMPP domain sent as the stream's 'to' (default: the\n"
	"                         target host)\n"
	"      --direct-tls       postgres: TLS from the first byte with ALPN postgresql\n"
	"                         (PostgreSQL 17 and later) instead of SSLRequest\n"
	"      --force-starttls   pop3: send STLS even if the server has no CAPA to\n"
	"                         advertise it (else starttls.not-offered)\n"
	"  -4, -6                 use IPv4 or IPv6 only\n"
	"  -t, --timeout SEC      deadline for the whole check (default 10)\n"
	"\n"
	"Policy:\n"
	"  -n, --name NAME        a name the certificate must be valid for; repeatable:\n"
	"                         every name must match (default: the target host)\n"
	"  -w, --warning T        WARNING when a certificate has less left than T\n"
	"  -c, --critical T       CRITICAL when less than T (defaults: 30d and 15d)\n"
	"                         T is 30 or 30d (days), 12h, 900s, 33% (of the\n"
	"                         certificate's lifetime), or a Nagios range (30:)\n"
	"      --ca-file FILE     trust the CAs in FILE (PEM) instead of the system store\n"
	"      --ca-dir DIR       trust the CAs in DIR instead of the system store\n"
	"      --system-ca        trust the system store as well as --ca-file/--ca-dir\n"
	"      --allow-self-signed  a self-signed certificate is not a finding\n"
	"      --at TIME          judge as of TIME: 2027-01-31, 2027-01-31T12:00:00Z,\n"
	"                         or +30d (\"will this still pass in 30 days?\")\n"
	"      --compare-file FILE  the served leaf must be the first certificate of\n"
	"                         FILE (PEM or DER): else deploy.mismatch, saying which\n"
	"                         is newer (renewed on disk, daemon not reloaded?)\n"
	"      --min-key-bits N   smallest RSA/DSA key of the chain (default 2048);\n"
	"                         ec:N sets the elliptic-curve minimum instead\n"
	"                         (default 256); repeatable (crypto.weak-key)\n"
	"      --min-tls VER      oldest TLS version to accept: 1.0, 1.1, 1.2 or 1.3\n"
	"                         (default 1.2; older is tls.version)\n"
	"      --all-keys         for a server with both an RSA and an ECDSA certificate:\n"
	"                         one handshake per key type (offering only its\n"
	"                         signature algorithms, TLS 1.3 too), one report each,\n"
	"                         \"(RSA)\"/\"(ECDSA)\" after the target; a type the\n"
	"                         server lacks is the OK note tls.key-type-absent\n"
	"      --key-type TYPE    one handshake offering only rsa or ecdsa (for a\n"
	"                         Nagios service per certificate)\n"
	"      --issuer RE        the leaf's issuer DN (CN=...,O=...,C=...) must match\n"
	"                         RE, a POSIX extended regex (issuer.mismatch)\n"
	"      --subject RE       the same for the leaf's subject DN (subject.mismatch)\n"
	"      --serial HEX       the leaf's serial number, compared as a number: colons,\n"
	"                         case and leading zeros do not matter (serial.mismatch)\n"
	"      --pin sha256:PIN   SHA-256 of the leaf's public key (SPKI) or of the whole\n"
	"                         certificate, in base64 (as HPKP and check_ssl_cert\n"
	"                         write it) or hex; repeatable: one must match\n"
	"                         (pin.mismatch)\n"
	"      --severity CODE=LEVEL  report finding CODE as ok, warning or critical;\n"
	"                         repeatable; an ok finding is still listed but does\n"
	"                         not raise the state (e.g. chain.root-included=ok)\n"
	"      --crl FILE         look the chain up in the CRL(s) of FILE (PEM or DER);\n"
	"                         repeatable: crl.revoked; a CRL its issuer's key did not\n"
	"                         sign is crl.invalid, one past its nextUpdate crl.stale\n"
	"      --crl-fetch        also fetch the CRLs the certificates point to (HTTP),\n"
	"                         cached in ~/.cache/mailcert/crl until their nextUpdate;\n"
	"                         a failed fetch is crl.unavailable\n"
	"      --dane             match the TLSA records at _PORT._tcp.HOST (DANE),\n"
	"                         validated with DNSSEC: dane.match, dane.mismatch\n"
	"                         (CRITICAL), dane.bogus (CRITICAL), dane.none\n"
	"      --tlsa \"U S M HEX\" match this TLSA record instead of DNS's, e.g.\n"
	"                         \"3 1 1 0c72ac70...\"; repeatable\n"
	"      --resolver ADDR    send DNSSEC lookups to ADDR[:PORT] (default: the\n"
	"                         resolvers of /etc/resolv.conf); it must pass DNSSEC\n"
	"                         records through: mailcert validates them itself\n"
	"      --trust-anchor FILE  DNSSEC trust anchor, DS or DNSKEY records (default:\n"
	"                         /usr/share/dns/root.key, package dns-root-data)\n"
	"\n"
	"Output:\n"
	"  -f, --format FMT       text (default on a terminal, or for several targets),\n"
	"                         nagios (default otherwise), json (one line per target),\n"
	"                         prometheus (metrics in the text exposition format)\n"
	"      --output FILE      write to FILE instead of stdout, replacing it at once\n"
	"                         when done (node_exporter's textfile collector)\n"
	"  -v, --verbose          more detail; repeatable\n"
	"\n"
	"Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad arguments).\n"
	"With several targets, the worst. Unreachable servers are CRITICAL.\n"
	"\n"
	"Examples:\n"
	"  mailcert check submission://mail.example.com\n"
	"  mailcert check -w 21 -c 7 smtp://mx1.example.com smtps://mx1.example.com\n"
	"  mailcert check --connect-to 192.0.2.10 --ca-file ca.pem smtp://mail.test\n";

static const char show_help[] =
	"Usage: mailcert show [OPTIONS] TARGET\n"
	"\n"
	"Print what the server presented, as 'openssl s_client -starttls X -showcerts'\n"
	"would, but readable: the plaintext dialogue (C: client, S: server, escaped),\n"
	"the TLS version and cipher, and every certificate as sent (subject, issuer,\n"
	"validity, SANs, key, signature, SHA-256), then the verdict of 'check'.\n"
	"\n"
	"  --pem                  also print each certificate as PEM\n"
	"\n"
	"The connection and policy options of 'mailcert check' apply (see\n"
	"'mailcert check --help'); the output format is fixed.\n"
	"\n"
	"Example:\n"
	"  mailcert show --pem submission://mail.example.com\n";

enum {
	OPT_PEM = OPT_PROBE_LAST + 1,
	OPT_OUTPUT,
};

const struct option check_options[] = {
	POLICY_OPTIONS,
	PROBE_OPTIONS,
	{"format", required_argument, NULL, 'f'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"pem", no_argument, NULL, OPT_PEM},
	{"output", required_argument, NULL, OPT_OUTPUT},
	{NULL, 0, NULL, 0},
};

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
	int pem = 0;
	struct check_run run = {.timeout_ms = 10000, .now = time(NULL)};
	int rc = EXIT_USAGE, c, idx = 0, format_given = 0;

	run.format = isatty(STDOUT_FILENO) ? MAILCERT_FORMAT_TEXT : MAILCERT_FORMAT_NAGIOS;
	if (run_policy_new(&run) < 0)
		return nomem();
	optind = 1;
	opterr = 0; /* our own messages, which name the command */
	while ((c = getopt_long(argc, argv, ":P:n:w:c:t:f:v46h", check_options, &idx)) != -1) {
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
			fputs(show ? show_help : check_help, stdout);
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
