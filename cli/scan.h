/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `mailcert scan`, private to its three files: scan.c (options and the
 * engine loop), scan_input.c (targets from arguments, --input, stdin and
 * --mail-ports) and scan_output.c (progress bar and the summaries).
 */
#ifndef MAILCERT_CLI_SCAN_H
#define MAILCERT_CLI_SCAN_H

#include <stddef.h>
#include <time.h>

#include "cli.h"

#define CMD "scan "
#define MAX_LINE 1024       /* bytes of one input line, newline excluded */
#define MAX_TARGETS 1000000 /* jobs in one scan */
#define MAX_CONCURRENCY 10000
#define FINDING_MAX 300 /* bytes of a finding kept for the summaries */
#define N_MAIL_PORTS 8  /* the endpoints of --mail-ports */

struct scan;

struct job {
	struct scan *scan;
	char *text;   /* the target as given or expanded */
	char *origin; /* "FILE:LINE" for input lines, else NULL */
	mailcert_target *target;
	int group; /* index of its --mail-ports host, or -1 */
	mailcert_key_type key_type;
	struct cli_check c; /* while it runs */
	/* When done: */
	int done, state, closed;
	char *error;    /* not a target: why */
	char *finding;  /* "code: message" of the first finding that counts */
	time_t expires; /* the leaf's notAfter; 0: no leaf */
	long long remaining_s;
	mailcert_endpoint *endpoint; /* --mail-ports: what the consistency verdict needs */
};

struct scan {
	struct check_run run;       /* targets given and read */
	struct check_run ports_run; /* --mail-ports endpoints: closed is not an error */
	struct job *jobs;
	size_t n, cap;
	char **hosts; /* --mail-ports */
	size_t n_hosts;
	unsigned port_map[N_MAIL_PORTS];
	int require_open, progress;
	unsigned concurrency;
	double rate; /* probes per second; 0: no limit */
	size_t finished, input_errors;
	struct output out;
	int out_failed;
	time_t started;
	double progress_at; /* when the bar was last drawn */
	int progress_drawn;
	/* After the run: the verdict per --mail-ports host and key type. */
	mailcert_consistency **verdicts;
	size_t n_verdicts;
};


/* scan_input.c */

/* Sets the default ports of --mail-ports. */
void port_map_init(struct scan *s);
/* --port-map smtp=2525,993=10993: 0, or EXIT_USAGE after a message. */
int parse_port_map(struct scan *s, const char *arg);
/* --mail-ports HOST: a host name or address; 0, or EXIT_USAGE after a message. */
int check_host(const char *host);
/*
 * Adds the target @text (from @origin "FILE:LINE", or NULL for an
 * argument) as a job, once per key type with --all-keys; one that does not
 * parse is reported now and counted UNKNOWN. -1 when out of memory.
 */
int add_target(struct scan *s, const char *text, const char *origin, int group);
/* Reads targets from @path ("-": stdin). 0; EXIT_USAGE after a message. */
int read_input(struct scan *s, const char *path);
/* --mail-ports: one job per endpoint of host @group; -1 when out of memory. */
int expand_host(struct scan *s, size_t group);
/*
 * Marks @j as not a target: reported now on stderr, UNKNOWN in every
 * summary. 0; -1 when out of memory.
 */
int job_reject(struct scan *s, struct job *j, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* scan_output.c */

void progress_clear(struct scan *s);
/* Draws the bar on stderr, at most ten times a second unless @force. */
void progress_draw(struct scan *s, size_t running, int force);
/* The summaries at the end, in the format of s->out. */
void scan_summary(struct scan *s, int worst, size_t mismatched);

#endif
