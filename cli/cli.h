/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MAILCERT_CLI_H
#define MAILCERT_CLI_H

#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include <mailcert/mailcert.h>

#include "options.h"

/* Exit status for bad usage, as for any monitoring plugin. */
#define EXIT_USAGE MAILCERT_UNKNOWN

/* Everything `check` needs besides the targets, already parsed. */
struct check_run {
	mailcert_policy *policy;
	const char *protocol; /* -P, or NULL */
	const char *sni, *helo, *xmpp_domain, *connect_to;
	unsigned probe_flags; /* MAILCERT_PROBE_* */
	int all_keys;                /* --all-keys: one report per key type */
	mailcert_key_type key_type;  /* --key-type */
	mailcert_family family;
	unsigned timeout_ms;
	mailcert_format format;
	int verbosity;
	const char *output; /* --output FILE, or NULL */
	time_t now;
	int trust_given; /* --ca-file, --ca-dir or --system-ca: run_policy_ready() adds nothing */
};

/*
 * @run's policy, new and without the system trust store (read only if no
 * trust option comes: run_policy_ready()). 0, or -1 when out of memory.
 */
int run_policy_new(struct check_run *run);

/*
 * After the options: the system trust store, when none of --ca-file,
 * --ca-dir or --system-ca said what to trust (one that cannot be read is
 * the evaluation's finding, trust.untrusted).
 */
void run_policy_ready(struct check_run *run);

/*
 * Checks every target at once (one engine: the wall time is the slowest
 * target's) and prints the reports in argument order as they come; a
 * target that is not one is a usage error on stderr. Returns the worst
 * state (jobs.c).
 */
int check_targets(const struct check_run *run, char *const *targets, int count);

/* ---- shared helpers (cli.c) ------------------------------------------ */

/* "mailcert: out of memory" on stderr; EXIT_USAGE. */
int nomem(void);

/* The monotonic clock, in seconds. */
double now_s(void);

/* A copy of @s for a summary: at most @max bytes then "...", control bytes as '?'. */
char *clean_dup(const char *s, size_t max);

int cmd_check(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_file(int argc, char **argv);
int cmd_demo(int argc, char **argv);

/* "2027-01-01", "2027-01-01T12:00:00Z", "+30d", "+12h", "+900s" → time_t; -1 on error. */
int parse_at(const char *text, time_t base, time_t *out);

/*
 * Where the options being parsed come from when not the command line
 * ("FILE:LINE" of a config file), for usage_error() to say; else NULL.
 */
extern const char *usage_where;

/* Prints "mailcert: [WHERE: ]MESSAGE" and a hint to stderr; returns EXIT_USAGE. */
int usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether getopt's @c (options.h) is one policy_option() applies: how reports judge. */
#define IS_POLICY_OPTION(c) ((c) == 'n' || (c) == 'w' || (c) == 'c' || ((c) >= OPT_CA_FILE && (c) <= OPT_POLICY_LAST))

/*
 * Applies policy option @c with @arg to @run (its policy; --at sets
 * run->now). 0, or EXIT_USAGE after a message naming @cmd ("check ").
 */
int policy_option(const char *cmd, struct check_run *run, int c, const char *arg);

/*
 * Whether getopt's @c (options.h) is one probe_option() applies: what is
 * probed and how (-P, --sni, -t, --min-tls, …).
 */
#define IS_PROBE_OPTION(c)                                                                         \
	((c) == 'P' || (c) == 't' || (c) == '4' || (c) == '6' ||                                   \
	 ((c) >= OPT_SNI && (c) <= OPT_PROBE_LAST))

/*
 * Applies connection option @c with @arg to @run. 0; EXIT_USAGE after a
 * message naming @cmd; -1 when @c is not a connection option.
 */
int probe_option(const char *cmd, struct check_run *run, int c, const char *arg);

/* ---- targets into checks (jobs.c) ---------------------------------- */

/*
 * A probe of @target as @run says (SNI, --connect-to, family, timeout,
 * HELO, XMPP domain, flags). 0; MAILCERT_E_INVALID with the reason in
 * @err (an option that does not fit @target, named @text there);
 * MAILCERT_E_NOMEM.
 */
int make_probe(const struct check_run *run, const mailcert_target *target, const char *text,
	       mailcert_probe **out, char *err, size_t errlen);

/*
 * @text as a target of a protocol mailcert implements (-P applied). 0;
 * MAILCERT_E_INVALID with the reason in @err (naming @text); *@out is the
 * caller's to free.
 */
int parse_check_target(const struct check_run *run, const char *text, mailcert_target **out,
		       char *err, size_t errlen);

/* A check of one target for one key type, and its report once done; all owned. */
struct cli_check {
	mailcert_probe *probe;
	mailcert_check *check;
	mailcert_report *report;
};

/*
 * The check of @target as @run says, handshaking for @key_type
 * (MAILCERT_KEY_ANY: whatever the server prefers), judged as of @now.
 * 0; MAILCERT_E_INVALID with the reason in @err; MAILCERT_E_NOMEM. On
 * error @out holds nothing.
 */
int make_check(const struct check_run *run, const mailcert_target *target, const char *text,
	       mailcert_key_type key_type, time_t now, struct cli_check *out, char *err,
	       size_t errlen);
/* Frees what @c holds (leaving an engine first). */
void cli_check_clear(struct cli_check *c);

/* The key types of @run's handshakes: one, or RSA and ECDSA for --all-keys. The count. */
size_t key_types(const struct check_run *run, mailcert_key_type types[2]);

/*
 * Checks @probe (a check per key type, one after the other), judged as of
 * @now: @reports[0 .. *@n), the caller's to free. 0, or a negative
 * MAILCERT_E_* (out of memory) with nothing to free.
 */
int check_probe(const struct check_run *run, mailcert_probe *probe, time_t now,
		mailcert_report *reports[2], size_t *n);

/* `mailcert exporter` (exporter.c). */
int cmd_exporter(int argc, char **argv);

/* `mailcert scan` (scan.c). */
int cmd_scan(int argc, char **argv);

/* `mailcert domain` (domain.c). */
int cmd_domain(int argc, char **argv);

/* The usage error for getopt's ':' (an option without its value) or '?' (unknown) result @c. */
int option_error(const char *command, int c, char *const *argv);

/* -f NAME → *@out; a usage error naming @command ("check ") otherwise. */
int parse_format(const char *command, const char *s, mailcert_format *out);

/*
 * Several reports (@count @what, "target" or "file") cannot be one plugin
 * output: a default Nagios format becomes text, an asked-for one is a
 * usage error. 0, or EXIT_USAGE after a message naming @command.
 */
int one_plugin_output(const char *command, mailcert_format *format, int format_given, int count,
		      const char *what);

/* The worse of two states in the monitoring-plugin order OK < WARNING < UNKNOWN < CRITICAL. */
int worse(int a, int b);

/*
 * Where reports go (output.c): printed one by one as they come, or, for
 * Prometheus, kept and rendered together at the end (an exposition names
 * each metric family once); to stdout, or with --output to a file
 * replaced atomically at the end (node_exporter's textfile collector must
 * never read half a file).
 */
struct output {
	mailcert_format format;
	int verbosity;
	const char *path; /* --output, or NULL for stdout */
	FILE *stream;     /* stdout, or a memory stream for @path */
	char *buf;        /* the memory stream's */
	size_t len;
	size_t printed;          /* reports written so far */
	mailcert_report **held;  /* Prometheus: rendered by output_close() */
	size_t held_len;
};

/* 0, or EXIT_USAGE after a message. */
int output_open(struct output *o, mailcert_format format, int verbosity, const char *path);
/* Takes @report and prints or keeps it; -1 when out of memory. */
int output_report(struct output *o, mailcert_report *report);
/* Renders what was kept and writes --output; 0, or EXIT_USAGE after a message. */
int output_close(struct output *o);

#endif
