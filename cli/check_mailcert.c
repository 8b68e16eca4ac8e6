/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * check_mailcert: a drop-in for check_ssl_cert (monitoring-plugins-contrib).
 * It takes check_ssl_cert's common flags with check_ssl_cert's meaning,
 * translates them into a struct check_run (policy_option() for the policy)
 * and runs the pipeline of `mailcert check -f nagios` (check_targets()).
 * A flag it does not support is refused with UNKNOWN naming it: a service
 * definition must never lose a check silently. docs/check_ssl_cert.md lists
 * every flag and every deliberate difference.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#define CMD "check "

static const char intro[] =
    "Usage: check_mailcert -H host [OPTIONS]\n"
    "       check_mailcert -f file [OPTIONS]\n"
    "\n"
    "A drop-in for check_ssl_cert: the same flags with the same meaning, the\n"
    "checks of 'mailcert check -f nagios'. Flags check_mailcert does not\n"
    "support are refused (UNKNOWN), never ignored. See check_mailcert(1).\n";

static const char outro[] =
    "\n"
    "Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
    "\n"
    "Example (the Docker-Mailserver command):\n"
    "  check_mailcert -H mail.example.com -p 587 -P smtp -w 30 -c 15 \\\n"
    "      --issuer \"Let's Encrypt\" --cn mail.example.com\n";

/*
 * check_ssl_cert's -P names: the mailcert scheme, the port check_ssl_cert
 * takes without -p (its table, even where odd: ftps and ircs), and the
 * scheme to use instead on port 587 (STARTTLS smtp there is submission:
 * the same dialogue, named as mailcert names it).
 */
static const struct {
	const char *name, *scheme;
	unsigned port;
} protocols[] = {
    {"https", "https", 443},
    {"h2", "https", 443},
    {"http", "https", 80},
    {"smtp", "smtp", 25},
    {"smtps", "smtps", 465},
    {"pop3", "pop3", 110},
    {"pop3s", "pop3s", 995},
    {"imap", "imap", 143},
    {"imaps", "imaps", 993},
    {"ftp", "ftp", 21},
    {"ftps", "ftps", 21},
    {"irc", "irc", 6667},
    {"ircs", "ircs", 6667},
    {"ldap", "ldap", 389},
    {"ldaps", "ldaps", 636},
    {"postgres", "postgres", 5432},
    {"postgresql", "postgres", 5432},
    {"sieve", "sieve", 4190},
    {"mysql", "mysql", 3306},
    {"xmpp", "xmpp", 5222},
    {"xmpp-server", "xmpp-server", 5269},
    {"dns", "tls", 853},
};

/* The plugin's own refusals: one UNKNOWN line on stdout, as Nagios reads it. */
__attribute__((format(printf, 1, 2))) static int unknown(const char *fmt, ...)
{
	va_list ap;

	fputs("MAILCERT UNKNOWN - ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return MAILCERT_UNKNOWN;
}

/*
 * A shared option helper refused a value and said why on stderr; the
 * monitoring system reads stdout, so say there which flag it was.
 */
static int apply(struct check_run *run, int c, const char *arg, const char *flag)
{
	if (policy_option(CMD, run, c, arg) == 0)
		return 0;
	return unknown("invalid value for %s: \"%s\"", flag, arg);
}

/* check_ssl_cert's check_float: digits, optionally a point and digits. */
static int parse_days(const char *flag, const char *s, double *out)
{
	const char *p = s;
	char *end;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p == s || (*p == '.' && !(p[1] >= '0' && p[1] <= '9')))
		goto bad;
	*out = strtod(s, &end);
	if (*end || *out > 36500)
		goto bad;
	return 0;
bad:
	return unknown("invalid number of days '%s' for %s", s, flag);
}

/* check_ssl_cert's hosts that are not names to check: an IP or localhost. */
static int host_is_name(const char *host)
{
	unsigned char buf[16];

	return strcmp(host, "localhost") != 0 && inet_pton(AF_INET, host, buf) != 1 &&
	       inet_pton(AF_INET6, host, buf) != 1;
}

/*
 * check_ssl_cert greps each issuer's O and CN line for "^RE$"; the policy
 * matches one regex against the leaf issuer's RFC 4514 DN. The same test:
 * RE, whole, as the value of a CN or O attribute. A leading ^ and trailing
 * $ of RE are dropped (they would anchor mid-DN).
 */
static int issuer_option(struct check_run *run, const char *re)
{
	size_t n = strlen(re);
	char *dn_re;
	int rc;

	if (n > 0 && re[0] == '^')
		re++, n--;
	if (n > 0 && re[n - 1] == '$' && (n < 2 || re[n - 2] != '\\'))
		n--;
	dn_re = malloc(n + sizeof("(^|,)(CN|O)=()(,|$)"));
	if (!dn_re)
		return unknown("out of memory");
	sprintf(dn_re, "(^|,)(CN|O)=(%.*s)(,|$)", (int)n, re);
	rc = apply(run, OPT_ISSUER, dn_re, "--issuer");
	free(dn_re);
	return rc;
}

/* check_ssl_cert -f: the file's chain, judged by the same policy. */
static int check_file(const struct check_run *run, const char *path)
{
	mailcert_observation *obs = NULL;
	mailcert_report *report = NULL;
	struct output o;
	char err[1024];
	int rc = mailcert_observation_from_file(&obs, path, NULL, err, sizeof(err));

	if (rc == MAILCERT_E_IO || rc == MAILCERT_E_INVALID)
		return unknown("%s", err);
	if (rc >= 0)
		rc = mailcert_evaluate(&report, obs, run->policy, run->now);
	if (rc >= 0 && output_open(&o, run->format, run->verbosity, NULL) == 0) {
		int state = (int)mailcert_report_state(report);

		rc = output_report(&o, report) < 0 ? -1 : state;
		if (output_close(&o))
			rc = -1;
	} else {
		mailcert_report_free(report);
		rc = -1;
	}
	mailcert_observation_free(obs);
	if (rc < 0)
		return unknown("%s: internal failure (out of memory?)", path);
	return rc;
}

/* The findings a check_ssl_cert --ignore-… flag turns off: reported as OK. */
static int ignore(struct check_run *run, const char *flag, const char *const *codes)
{
	char spec[64];

	for (; *codes; codes++) {
		snprintf(spec, sizeof(spec), "%s=ok", *codes);
		if (apply(run, OPT_SEVERITY, spec, flag))
			return MAILCERT_UNKNOWN;
	}
	return 0;
}

static const char *const noauth_codes[] = {"trust.untrusted", "trust.self-signed",
					   "chain.incomplete", NULL};
static const char *const exp_codes[] = {"cert.expired", "cert.expiring", NULL};
static const char *const sig_codes[] = {"crypto.weak-signature", NULL};
static const char *const ocsp_codes[] = {"ocsp.revoked",  "ocsp.stale",   "ocsp.invalid",
					 "ocsp.mismatch", "ocsp.unknown", NULL};

struct flags {
	const char *host, *file, *protocol, *port, *issuer;
	const char **names;
	size_t n_names;
	double warn, crit;
	int ignore_host_cn, noauth, ignore_exp, ignore_ocsp, ignore_sig_alg, ignore_sct, selfsigned;
};

/* Everything parsed: the policy and the target, in check_ssl_cert's terms. */
static int run_check(struct check_run *run, struct flags *f)
{
	char spec[64], target[1100];
	const char *scheme = NULL;
	unsigned port = 0;

	if (f->warn <= f->crit)
		return unknown("--warning (%g) is less than or equal to --critical (%g)", f->warn,
			       f->crit);
	snprintf(spec, sizeof(spec), "%.0fs", f->warn * 86400);
	if (apply(run, 'w', spec, "--warning"))
		return MAILCERT_UNKNOWN;
	snprintf(spec, sizeof(spec), "%.0fs", f->crit * 86400);
	if (apply(run, 'c', spec, "--critical"))
		return MAILCERT_UNKNOWN;
	/* The host name is always one of the names (unless an IP or localhost). */
	if (f->host && !f->ignore_host_cn && host_is_name(f->host) &&
	    apply(run, 'n', f->host, "-H"))
		return MAILCERT_UNKNOWN;
	for (size_t i = 0; i < f->n_names; i++)
		if (apply(run, 'n', f->names[i], "--match"))
			return MAILCERT_UNKNOWN;
	/* No name at all: check_ssl_cert checks none; mailcert would check the
	 * target host, so its mismatch is only noted. */
	if (f->n_names == 0 && (!f->host || f->ignore_host_cn || !host_is_name(f->host)) &&
	    !f->file && apply(run, OPT_SEVERITY, "name.mismatch=ok", "-H"))
		return MAILCERT_UNKNOWN;
	if (f->issuer && issuer_option(run, f->issuer))
		return MAILCERT_UNKNOWN;
	if ((f->noauth && ignore(run, "--noauth", noauth_codes)) ||
	    (f->ignore_exp && ignore(run, "--ignore-exp", exp_codes)) ||
	    (f->ignore_sig_alg && ignore(run, "--ignore-sig-alg", sig_codes)) ||
	    (f->ignore_ocsp && ignore(run, "--ignore-ocsp", ocsp_codes)))
		return MAILCERT_UNKNOWN;
	/* check_ssl_cert is CRITICAL for a certificate without SCTs, a private
	 * CA's too, unless --ignore-sct or -s: its users' checks expect that. */
	if (!f->ignore_sct && !f->selfsigned &&
	    (apply(run, OPT_CT, NULL, "--ignore-sct") ||
	     apply(run, OPT_SEVERITY, "ct.missing=critical", "--ignore-sct")))
		return MAILCERT_UNKNOWN;
	if (f->file)
		return check_file(run, f->file);

	for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		if (strcmp(f->protocol, protocols[i].name) == 0) {
			scheme = protocols[i].scheme;
			port = protocols[i].port;
		}
	}
	if (!scheme) {
		if (strcmp(f->protocol, "tds") == 0)
			return unknown("-P tds (Microsoft SQL Server) is not supported by "
				       "check_mailcert");
		return unknown("unsupported protocol %s", f->protocol);
	}
	if (f->port) {
		char *end;
		unsigned long p = strtoul(f->port, &end, 10);

		if (end == f->port || *end || p == 0 || p > 65535)
			return unknown("invalid port '%s'", f->port);
		port = (unsigned)p;
	}
	/* STARTTLS smtp on 587 is what mailcert calls submission. */
	if (strcmp(scheme, "smtp") == 0 && port == 587)
		scheme = "submission";
	snprintf(target, sizeof(target), strchr(f->host, ':') ? "%s://[%s]:%u" : "%s://%s:%u",
		 scheme, f->host, port);
	return check_targets(run, (char *const[]){target}, 1);
}

int main(int argc, char **argv)
{
	struct check_run run = {.timeout_ms = 120000, .format = MAILCERT_FORMAT_NAGIOS};
	struct flags f = {.protocol = "https", .warn = 20, .crit = 15};
	struct mc_getopt getopts;
	int c, rc = MAILCERT_UNKNOWN;
	struct stat st;

	run.now = time(NULL);
	f.names = calloc((size_t)argc + 1, sizeof(*f.names));
	if (!f.names || run_policy_new(&run) < 0)
		return unknown("out of memory");
	mc_getopt_init(&getopts, MC_CMD_CHECK_MAILCERT);
	opterr = 0;
	while ((c = getopt_long(argc, argv, getopts.shorts, getopts.longs, NULL)) != -1) {
		switch (c) {
		case 'H':
			f.host = optarg;
			break;
		case 'f':
			f.file = optarg;
			break;
		case 'p':
			f.port = optarg;
			break;
		case 'P':
			f.protocol = optarg;
			break;
		case 'w':
		case 'c':
			if (parse_days(c == 'w' ? "--warning" : "--critical", optarg,
				       c == 'w' ? &f.warn : &f.crit))
				goto out;
			break;
		case 't': {
			char *end;
			unsigned long s = strtoul(optarg, &end, 10);

			if (end == optarg || *end || s == 0 || s > 3600) {
				unknown("--timeout: the timeout should be an integer from 1 to "
					"3600, not '%s'",
					optarg);
				goto out;
			}
			run.timeout_ms = (unsigned)s * 1000;
			break;
		}
		case 'i':
			f.issuer = optarg;
			break;
		case 'n':
		case 'm': {
			/* check_ssl_cert keeps a space-separated list: one name per word. */
			char *save = NULL;

			for (char *w = strtok_r(optarg, " ", &save); w;
			     w = strtok_r(NULL, " ", &save))
				f.names[f.n_names++] = w;
			break;
		}
		case CM_SNI:
			run.sni = optarg;
			break;
		case CM_RESOLVE:
			run.connect_to = optarg;
			break;
		case CM_XMPPHOST:
			run.xmpp_domain = optarg;
			break;
		case 'r':
			/* check_ssl_cert -r takes a file or a directory. */
			if (stat(optarg, &st) == 0 && S_ISDIR(st.st_mode)) {
				if (apply(&run, OPT_CA_DIR, optarg, "--rootcert"))
					goto out;
			} else if (apply(&run, OPT_CA_FILE, optarg, "--rootcert")) {
				goto out;
			}
			break;
		case CM_ROOTCERT_FILE:
			if (apply(&run, OPT_CA_FILE, optarg, "--rootcert-file"))
				goto out;
			break;
		case CM_ROOTCERT_DIR:
			if (apply(&run, OPT_CA_DIR, optarg, "--rootcert-dir"))
				goto out;
			break;
		case 's':
			if (apply(&run, OPT_SELF_SIGNED, NULL, "--selfsigned"))
				goto out;
			f.selfsigned = 1;
			break;
		case 'A':
			f.noauth = 1;
			break;
		case CM_IGNORE_EXP:
			f.ignore_exp = 1;
			break;
		case CM_IGNORE_SCT:
			f.ignore_sct = 1;
			break;
		case CM_IGNORE_OCSP:
			f.ignore_ocsp = 1;
			break;
		case CM_IGNORE_SIG_ALG:
			f.ignore_sig_alg = 1;
			break;
		case CM_IGNORE_HOST_CN:
			f.ignore_host_cn = 1;
			break;
		case '4':
		case '6':
			run.family = c == '4' ? MAILCERT_FAMILY_INET : MAILCERT_FAMILY_INET6;
			break;
		case CM_DANE:
			/* check_ssl_cert's --dane TYPE keeps the records of one type only. */
			if (optarg) {
				unknown("--dane %s (records of one type only) is not supported: "
					"--dane matches every TLSA record",
					optarg);
				goto out;
			}
			mailcert_policy_set_dane(run.policy, 1);
			break;
		case CM_RESOLVER:
			if (apply(&run, OPT_RESOLVER, optarg, "--resolver"))
				goto out;
			break;
		case CM_TRUST_ANCHOR:
			if (apply(&run, OPT_TRUST_ANCHOR, optarg, "--trust-anchor"))
				goto out;
			break;
		case CM_PROMETHEUS:
			run.format = MAILCERT_FORMAT_PROMETHEUS;
			break;
		case 'v':
			run.verbosity++;
			break;
		case 'h':
			mc_help(stdout, MC_CMD_CHECK_MAILCERT, intro, outro);
			rc = 0;
			goto out;
		case 'V':
			printf("check_mailcert %s (libmailcert %s)\n", MAILCERT_VERSION_STRING,
			       mailcert_version());
			rc = 0;
			goto out;
		case ':':
			unknown("%s requires an argument", argv[optind - 1]);
			goto out;
		default:
			if (optopt)
				unknown(
				    "check_mailcert does not support the check_ssl_cert option -%c",
				    optopt);
			else
				unknown(
				    "check_mailcert does not support the check_ssl_cert option %s",
				    argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		unknown("unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!f.host && !f.file) {
		unknown("No host specified");
		fputs("Usage: check_mailcert -H host [OPTIONS]\n"
		      "       check_mailcert -f file [OPTIONS]\n",
		      stdout);
		goto out;
	}
	run_policy_ready(&run);
	rc = run_check(&run, &f);
out:
	mailcert_policy_free(run.policy);
	free(f.names);
	return rc;
}
