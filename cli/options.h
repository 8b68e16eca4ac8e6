/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every option of every command, in one table (options.c): each command's
 * getopt_long() arguments, its --help option sections, the exporter's
 * config-file keys and the man-page test (tests/unit/dump-options.c) are
 * all made from it, so none of them can disagree with another.
 */
#ifndef MAILCERT_CLI_OPTIONS_H
#define MAILCERT_CLI_OPTIONS_H

#include <getopt.h>
#include <stdio.h>

/* The commands options apply to; check_mailcert is a program of its own. */
enum mc_command {
	MC_CMD_CHECK,
	MC_CMD_SHOW,
	MC_CMD_FILE,
	MC_CMD_DEMO,
	MC_CMD_EXPORTER,
	MC_CMD_SCAN,
	MC_CMD_DOMAIN,
	MC_CMD_CHECK_MAILCERT,
	MC_CMD_COUNT,
};

#define MC_CMD_BIT(cmd) (1u << (cmd))

/* The sections of --help, in the order they are printed: a command's own first. */
enum mc_group {
	MC_GROUP_SHOW,
	MC_GROUP_FILE,
	MC_GROUP_TARGETS, /* scan's */
	MC_GROUP_SCAN,
	MC_GROUP_EXPORTER,
	MC_GROUP_DOMAIN,
	MC_GROUP_CHECK_MAILCERT,
	MC_GROUP_CONNECTION,
	MC_GROUP_POLICY,
	MC_GROUP_OUTPUT,
	MC_GROUP_COUNT,
};

/* struct mc_option's flags. */
enum {
	MC_OPT_MODULE = 1,       /* a key of an exporter module (exporter_config.c) */
	MC_OPT_ARG_OPTIONAL = 2, /* takes a value only as --name=VALUE, not shown in help */
};

struct mc_option {
	const char *name; /* --NAME, or NULL for a short option alone */
	int val;          /* getopt_long()'s result: the short form (below 256), or an OPT_* code */
	const char *arg;  /* its value as --help names it ("FILE"); NULL: it takes none */
	enum mc_group group;
	unsigned commands; /* MC_CMD_BIT() of each command it applies to */
	unsigned refused;  /* commands that parse it only to refuse it, saying why */
	unsigned flags;    /* MC_OPT_* */
	/*
	 * Its lines in --help, '\n' between them; NULL: listed on the line of
	 * the next option (-4, -6).
	 */
	const char *help;
};

/* The table, ending with a zeroed entry. */
extern const struct mc_option mc_options[];

/* Room for any command's getopt arguments (options.c checks the table fits). */
#define MC_OPTIONS_MAX 128

/* getopt_long()'s arguments for one command: every option it parses, refused ones too. */
struct mc_getopt {
	char shorts[3 * MC_OPTIONS_MAX + 2]; /* ':' first: a missing value is ':', not '?' */
	struct option longs[MC_OPTIONS_MAX + 1];
};

void mc_getopt_init(struct mc_getopt *g, enum mc_command cmd);

/* "check", ... "check_mailcert": the name on the command line. Static. */
const char *mc_command_name(enum mc_command cmd);

/* Whether @cmd parses option @val only to refuse it. */
int mc_option_refused(enum mc_command cmd, int val);

/* The option an exporter module's line names by @key (its long name); NULL when none. */
const struct mc_option *mc_module_option(const char *key);

/*
 * @cmd's --help on @out: @intro (usage and description), each section of
 * its options (title, then every option it applies to), then @outro.
 */
void mc_help(FILE *out, enum mc_command cmd, const char *intro, const char *outro);

/*
 * One entry of a help list: @heading, then the lines of @text from
 * @column on (at least two spaces after @heading), each ended by '\n'.
 */
void mc_help_item(FILE *out, const char *heading, const char *text, int column);

/*
 * Option codes: getopt_long()'s result for options without a short form.
 * Each names one option of the table; the short forms are their letters.
 */

/* Connection options (probe_option()), below the policy options. */
enum {
	OPT_SNI = 256,
	OPT_HELO,
	OPT_XMPP_DOMAIN,
	OPT_CONNECT_TO,
	OPT_DIRECT_TLS,
	OPT_FORCE_STARTTLS,
	OPT_MIN_TLS,
	OPT_ALL_KEYS,
	OPT_KEY_TYPE,
	OPT_COMPARE_FILE,
	OPT_COMPARE_ACME,
	OPT_CRL_FETCH,
	OPT_PROBE_LAST = OPT_CRL_FETCH,
	/* The commands' own. */
	OPT_PEM,
	OPT_OUTPUT,
	OPT_KEY,
	OPT_ACME,
	OPT_TLSA_FOR,
	OPT_MAIL_PORTS,
	OPT_PORT_MAP,
	OPT_REQUIRE_OPEN,
	OPT_CONCURRENCY,
	OPT_RATE,
	OPT_NO_PROGRESS,
	OPT_PORT,
	OPT_LISTEN,
	OPT_CONFIG,
	OPT_MAX_CONCURRENT,
};

/* Policy options (policy_option()); -n, -w and -c are policy options too. */
enum {
	OPT_CA_FILE = 1024,
	OPT_CA_DIR,
	OPT_SYSTEM_CA,
	OPT_SELF_SIGNED,
	OPT_AT,
	OPT_ISSUER,
	OPT_SUBJECT,
	OPT_SERIAL,
	OPT_PIN,
	OPT_MIN_KEY_BITS,
	OPT_SEVERITY,
	OPT_CRL,
	OPT_DANE,
	OPT_TLSA,
	OPT_RESOLVER,
	OPT_TRUST_ANCHOR,
	OPT_ARI,
	OPT_ACME_DIRECTORY,
	OPT_MAX_VALIDITY,
	OPT_CT,
	OPT_CT_LOG_LIST,
	OPT_NEXT_KEY,
	OPT_NEXT_ISSUER,
	OPT_POLICY_LAST = OPT_NEXT_ISSUER,
};

/* check_mailcert's own: check_ssl_cert's long options. */
enum {
	CM_SNI = 2048,
	CM_ROOTCERT_FILE,
	CM_ROOTCERT_DIR,
	CM_IGNORE_EXP,
	CM_IGNORE_SCT,
	CM_IGNORE_OCSP,
	CM_IGNORE_SIG_ALG,
	CM_IGNORE_HOST_CN,
	CM_RESOLVE,
	CM_XMPPHOST,
	CM_DANE,
	CM_PROMETHEUS,
	CM_RESOLVER,
	CM_TRUST_ANCHOR,
};

#endif
