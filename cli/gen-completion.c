/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes the bash completion of mailcert and check_mailcert to stdout,
 * made at build time from what the programs themselves use, so that it
 * cannot fall behind them: the commands and their options from the option
 * table (options.c), the target schemes from libmailcert/model/target.c,
 * and the finding codes for --severity from the table of docs/findings.md
 * (the codes' one list: the checks emit them from many files).
 *
 * usage: gen-completion FINDINGS.md TEMPLATE > mailcert.bash
 *
 * TEMPLATE is the shell code (cli/completion/mailcert.bash.in); the generated data
 * comes first. Exit status 1, with the reason on stderr, if the findings
 * table yields no code or a code of the wrong form.
 */
#include <stdio.h>
#include <string.h>

#include "model/internal.h"
#include "options.h"

/* What a value of @o is, for the shell: the words it completes from. */
static const char *value_kind(const struct mc_option *o, enum mc_command cmd)
{
	if (o->name && strcmp(o->name, "severity") == 0)
		return "code";
	if (o->name && strcmp(o->name, "protocol") == 0 && cmd != MC_CMD_CHECK_MAILCERT)
		return "scheme";
	if (strcmp(o->arg, "FILE") == 0 || strcmp(o->arg, "PATH") == 0)
		return "file";
	if (strcmp(o->arg, "DIR") == 0)
		return "dir";
	return "other";
}

/* Options listed for @cmd ("_mailcert_opts_check='-P --protocol ...'"),
 * and those taking a value with its kind (" -P:scheme --protocol:scheme "). */
static void print_command(enum mc_command cmd)
{
	const char *name = mc_command_name(cmd);

	printf("_mailcert_opts_%s='", name);
	for (const struct mc_option *o = mc_options; o->val; o++) {
		if (!(o->commands & MC_CMD_BIT(cmd)))
			continue;
		if (o->val < 256)
			printf("-%c ", o->val);
		if (o->name)
			printf("--%s ", o->name);
	}
	printf("'\n_mailcert_args_%s=' ", name);
	for (const struct mc_option *o = mc_options; o->val; o++) {
		if (!(o->commands & MC_CMD_BIT(cmd)) || !o->arg || (o->flags & MC_OPT_ARG_OPTIONAL))
			continue;
		if (o->val < 256)
			printf("-%c:%s ", o->val, value_kind(o, cmd));
		if (o->name)
			printf("--%s:%s ", o->name, value_kind(o, cmd));
	}
	printf("'\n");
}

/* The codes of the table rows of @path: lines starting "| `CODE`". */
static int print_codes(const char *path)
{
	char line[8192], seen[16384] = " ";
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	printf("_mailcert_codes='");
	while (fgets(line, sizeof line, f)) {
		char *code = line + 3, *end, key[80];

		if (strncmp(line, "| `", 3) != 0 || !(end = strchr(code, '`')))
			continue;
		*end = '\0';
		if (!mc_code_ok(code)) {
			fprintf(stderr, "%s: \"%s\" is not a finding code\n", path, code);
			fclose(f);
			return -1;
		}
		/* seen is " a b ... ": a code is there if " CODE " is. */
		snprintf(key, sizeof key, " %s ", code);
		if (strstr(seen, key))
			continue;
		if (strlen(seen) + strlen(key) >= sizeof seen) {
			fprintf(stderr, "%s: too many codes\n", path);
			fclose(f);
			return -1;
		}
		strcat(seen, key + 1);
		printf("%s%s", n++ ? " " : "", code);
	}
	fclose(f);
	printf("'\n");
	if (n == 0) {
		fprintf(stderr, "%s: no finding code in its table\n", path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char buf[4096];
	size_t got;
	FILE *tmpl;

	if (argc != 3) {
		fprintf(stderr, "usage: gen-completion FINDINGS.md TEMPLATE\n");
		return 2;
	}
	printf("# bash completion for mailcert(1) and check_mailcert(1).\n"
	       "# Generated at build time by cli/gen-completion.c from the option table\n"
	       "# (cli/options.c), the schemes of libmailcert/model/target.c and the\n"
	       "# finding codes of docs/findings.md: edit those, not this file.\n"
	       "# shellcheck shell=bash\n\n");
	printf("_mailcert_commands='");
	for (int cmd = 0; cmd < MC_CMD_CHECK_MAILCERT; cmd++)
		printf("%s%s", cmd ? " " : "", mc_command_name((enum mc_command)cmd));
	printf("'\n_mailcert_schemes='");
	for (size_t i = 0; mc_scheme_name(i); i++)
		printf("%s%s://", i ? " " : "", mc_scheme_name(i));
	printf("'\n");
	if (print_codes(argv[1]) < 0)
		return 1;
	for (int cmd = 0; cmd < MC_CMD_COUNT; cmd++)
		print_command((enum mc_command)cmd);
	printf("\n");

	tmpl = fopen(argv[2], "r");
	if (!tmpl) {
		perror(argv[2]);
		return 1;
	}
	while ((got = fread(buf, 1, sizeof buf, tmpl)) > 0)
		fwrite(buf, 1, got, stdout);
	fclose(tmpl);
	return fflush(stdout) == 0 ? 0 : 1;
}
