/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Prints every option of every command from the option table
 * (cli/options.c), one a line: "check --name", "check -n". test-man.sh
 * checks each is in the man page and in the command's --help.
 *
 * First it checks the table itself, exit status 1 with the reason on
 * stderr: a command sees an option (by code, short or long name) once;
 * an option a command refuses is not also one it applies to; an option
 * listed on the next one's line (help NULL) has a next one there; a key
 * of an exporter module is an option of the exporter.
 */
#include <stdio.h>
#include <string.h>

#include "options.h"

static int sees(const struct mc_option *o, enum mc_command cmd)
{
	return ((o->commands | o->refused) & MC_CMD_BIT(cmd)) != 0;
}

static int lists(const struct mc_option *o, enum mc_command cmd)
{
	return (o->commands & MC_CMD_BIT(cmd)) != 0;
}

/* The name of @o for messages. */
static const char *shown(const struct mc_option *o, char buf[3])
{
	if (o->name)
		return o->name;
	buf[0] = '-';
	buf[1] = (char)o->val;
	buf[2] = '\0';
	return buf;
}

static int check_row(const struct mc_option *o, enum mc_command cmd)
{
	const char *cmd_name = mc_command_name(cmd);
	char b1[3], b2[3];
	int ok = 1;

	for (const struct mc_option *p = mc_options; p < o; p++) {
		if (!sees(p, cmd))
			continue;
		if (p->val == o->val || (p->name && o->name && strcmp(p->name, o->name) == 0)) {
			fprintf(stderr, "%s: %s and %s: the same option twice\n", cmd_name,
				shown(p, b1), shown(o, b2));
			ok = 0;
		}
	}
	if (!o->help && lists(o, cmd)) {
		const struct mc_option *p;

		for (p = o + 1; p->val; p++)
			if (p->group == o->group && lists(p, cmd))
				break;
		if (!p->val) {
			fprintf(stderr, "%s: %s has no help and no option after it\n", cmd_name,
				shown(o, b1));
			ok = 0;
		}
	}
	return ok;
}

int main(void)
{
	int ok = 1;
	char b[3];

	for (const struct mc_option *o = mc_options; o->val; o++) {
		if (o->commands & o->refused) {
			fprintf(stderr, "%s: both applies to and is refused by a command\n",
				shown(o, b));
			ok = 0;
		}
		if ((o->flags & MC_OPT_MODULE) && !lists(o, MC_CMD_EXPORTER)) {
			fprintf(stderr, "%s: a module key, but not an exporter option\n",
				shown(o, b));
			ok = 0;
		}
		if (!(o->commands | o->refused)) {
			fprintf(stderr, "%s: no command\n", shown(o, b));
			ok = 0;
		}
		for (int cmd = 0; cmd < MC_CMD_COUNT; cmd++)
			if (sees(o, (enum mc_command)cmd) && !check_row(o, (enum mc_command)cmd))
				ok = 0;
	}
	if (!ok)
		return 1;
	for (int cmd = 0; cmd < MC_CMD_COUNT; cmd++) {
		for (const struct mc_option *o = mc_options; o->val; o++) {
			if (!lists(o, (enum mc_command)cmd))
				continue;
			if (o->val < 256)
				printf("%s -%c\n", mc_command_name((enum mc_command)cmd), o->val);
			if (o->name)
				printf("%s --%s\n", mc_command_name((enum mc_command)cmd), o->name);
		}
	}
	return 0;
}
