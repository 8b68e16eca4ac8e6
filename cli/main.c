/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The commands, in the order `mailcert --help` lists them. */
static const struct command {
	enum mc_command id; /* its name: mc_command_name() */
	int (*run)(int argc, char **argv);
	const char *args;    /* what follows the name in `mailcert --help` */
	const char *summary; /* its lines there */
} commands[] = {
    {MC_CMD_CHECK, cmd_check, "TARGET...",
     "check served certificates, e.g.\n"
     "mailcert check submission://mail.example.com"},
    {MC_CMD_FILE, cmd_file, "FILE...", "check certificate files on disk (and --key KEY.pem)"},
    {MC_CMD_SHOW, cmd_show, "TARGET", "print what the server presented: dialogue, TLS, chain, PEM"},
    {MC_CMD_DEMO, cmd_demo, NULL, "a complete check against a built-in local SMTP server"},
    {MC_CMD_EXPORTER, cmd_exporter, NULL,
     "a Prometheus exporter: --listen ADDR:PORT, /probe?target=URL"},
    {MC_CMD_SCAN, cmd_scan, "[TARGET...]",
     "many targets at once (arguments, --input FILE or stdin);\n"
     "--mail-ports HOST sweeps a host's mail ports"},
    {MC_CMD_DOMAIN, cmd_domain, "DOMAIN", "a mail domain: MX hosts with DANE, MTA-STS, TLS-RPT"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void help(FILE *out)
{
	fputs("Usage: mailcert COMMAND [OPTIONS] ...\n"
	      "\n"
	      "Check the TLS certificates that mail servers present, including those that\n"
	      "start in plaintext and upgrade with STARTTLS.\n"
	      "\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		char heading[64];

		snprintf(heading, sizeof(heading), "  %s%s%s", mc_command_name(commands[i].id),
			 commands[i].args ? " " : "", commands[i].args ? commands[i].args : "");
		mc_help_item(out, heading, commands[i].summary, 20);
	}
	fputs("\n"
	      "Run 'mailcert COMMAND --help' for a command's options.\n"
	      "Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n",
	      out);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		help(cmd ? stdout : stderr);
		return cmd ? 0 : EXIT_USAGE;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("mailcert %s (libmailcert %s)\n", MAILCERT_VERSION_STRING, mailcert_version());
		return 0;
	}
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(cmd, mc_command_name(commands[i].id)) == 0)
			return commands[i].run(argc - 1, argv + 1);
	return usage_error(NULL, "unknown command \"%s\"", cmd);
}
