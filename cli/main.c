/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char main_help[] =
	"Usage: mailcert COMMAND [OPTIONS] ...\n"
	"\n"
	"Check the TLS certificates that mail servers present, including those that\n"
	"start in plaintext and upgrade with STARTTLS.\n"
	"\n"
	"Commands:\n"
	"  check TARGET...   check served certificates, e.g.\n"
	"                    mailcert check submission://mail.example.com\n"
	"  file FILE...      check certificate files on disk (and --key KEY.pem)\n"
	"  show TARGET       print what the server presented: dialogue, TLS, chain, PEM\n"
	"  demo              a complete check against a built-in local SMTP server\n"
	"  exporter          a Prometheus exporter: --listen ADDR:PORT, /probe?target=URL\n"
	"  scan [TARGET...]  many targets at once (arguments, --input FILE or stdin);\n"
	"                    --mail-ports HOST sweeps a host's mail ports\n"
	"  domain DOMAIN     a mail domain: MX hosts with DANE, MTA-STS, TLS-RPT\n"
	"\n"
	"Run 'mailcert COMMAND --help' for a command's options.\n"
	"Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n";

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(main_help, cmd ? stdout : stderr);
		return cmd ? 0 : EXIT_USAGE;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("mailcert %s (libmailcert %s)\n", MAILCERT_VERSION_STRING, mailcert_version());
		return 0;
	}
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "file") == 0)
		return cmd_file(argc - 1, argv + 1);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(argc - 1, argv + 1);
	if (strcmp(cmd, "demo") == 0)
		return cmd_demo(argc - 1, argv + 1);
	if (strcmp(cmd, "exporter") == 0)
		return cmd_exporter(argc - 1, argv + 1);
	if (strcmp(cmd, "scan") == 0)
		return cmd_scan(argc - 1, argv + 1);
	if (strcmp(cmd, "domain") == 0)
		return cmd_domain(argc - 1, argv + 1);
	return usage_error(NULL, "unknown command \"%s\"", cmd);
}
