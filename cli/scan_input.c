/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `mailcert scan`'s targets: the arguments, the lines of --input files
 * and stdin, and the endpoints --mail-ports expands a host to, each a job
 * in input order. A line or argument that is not a target is a job too,
 * already finished as UNKNOWN and reported on stderr as FILE:LINE, so
 * that it shows up in every summary and in the exit status, never
 * silently dropped.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

/* The mail endpoints of --mail-ports, in the order they are listed. */
static const struct {
	const char *service;
	unsigned port;
} mail_ports[N_MAIL_PORTS] = {
    {"smtp", 25},   {"smtps", 465}, {"submission", 587}, {"imap", 143},
    {"imaps", 993}, {"pop3", 110},  {"pop3s", 995},      {"sieve", 4190},
};

void port_map_init(struct scan *s)
{
	for (size_t i = 0; i < N_MAIL_PORTS; i++)
		s->port_map[i] = mail_ports[i].port;
}

static struct job *job_add(struct scan *s, const char *text, const char *origin)
{
	struct job *j;

	if (s->n == MAX_TARGETS) {
		fprintf(stderr, "mailcert: more than %d targets: split the input\n", MAX_TARGETS);
		return NULL;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct job *jobs = realloc(s->jobs, cap * sizeof(*jobs));

		if (!jobs) {
			nomem();
			return NULL;
		}
		s->jobs = jobs;
		s->cap = cap;
	}
	j = &s->jobs[s->n];
	memset(j, 0, sizeof(*j));
	j->scan = s;
	j->group = -1;
	j->text = strdup(text);
	j->origin = origin ? strdup(origin) : NULL;
	if (!j->text || (origin && !j->origin)) {
		free(j->text);
		free(j->origin);
		nomem();
		return NULL;
	}
	s->n++;
	return j;
}

/* Marks @j as not a target: reported now on stderr, UNKNOWN in every summary. */
int job_reject(struct scan *s, struct job *j, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "mailcert: %s%s%s (skipped)\n", j->origin ? j->origin : "",
		j->origin ? ": " : "", msg);
	j->error = clean_dup(msg, FINDING_MAX);
	j->done = 1;
	j->state = MAILCERT_UNKNOWN;
	s->finished++;
	s->input_errors++;
	return j->error ? 0 : -1;
}

/*
 * Adds the target @text (from @origin, or NULL for an argument), once per
 * key type with --all-keys, each parsed now so that a bad one is reported
 * before the scan starts. -1 when out of memory.
 */
int add_target(struct scan *s, const char *text, const char *origin, int group)
{
	static const mailcert_key_type all[] = {MAILCERT_KEY_RSA, MAILCERT_KEY_ECDSA};
	const struct check_run *run = group >= 0 ? &s->ports_run : &s->run;
	size_t count = run->all_keys ? 2 : 1;

	for (size_t k = 0; k < count; k++) {
		struct job *j = job_add(s, text, origin);
		char err[512];

		if (!j)
			return -1;
		j->group = group;
		j->key_type = run->all_keys ? all[k] : run->key_type;
		if (parse_check_target(run, text, &j->target, err, sizeof(err)) < 0)
			return job_reject(s, j, "%s", err); /* once, whatever --all-keys says */
	}
	return 0;
}

/* An input line, bounded and escaped, for a message. */
static void quote_line(char *out, size_t outlen, const char *line, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 8 < outlen; i++) {
		unsigned char c = (unsigned char)line[i];

		if (i == 60) {
			o += (size_t)snprintf(out + o, outlen - o, "...");
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

/*
 * One line of an input file: blank and '#' lines skipped, a trailing
 * " # comment" dropped, exactly one word expected.
 */
static int input_line(struct scan *s, const char *name, unsigned long lineno, char *line,
		      size_t len, int too_long, int has_nul)
{
	char origin[300], quoted[300];
	char *start = line, *end = line + len;
	struct job *j;

	snprintf(origin, sizeof(origin), "%s:%lu", name, lineno);
	if (too_long || has_nul) {
		quote_line(quoted, sizeof(quoted), line, len);
		if (!(j = job_add(s, quoted, origin)))
			return -1;
		if (too_long)
			return job_reject(s, j, "a line longer than %d bytes: \"%s\"", MAX_LINE,
					  quoted) < 0
				   ? -1
				   : 0;
		return job_reject(s, j, "a NUL byte in the line: \"%s\"", quoted) < 0 ? -1 : 0;
	}
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	for (char *p = start; p < end; p++) {
		if (*p == '#' && (p == start || p[-1] == ' ' || p[-1] == '\t')) {
			end = p;
			break;
		}
	}
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	if (start == end)
		return 0;
	*end = '\0';
	for (char *p = start; p < end; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == ' ') {
			quote_line(quoted, sizeof(quoted), start, (size_t)(end - start));
			if (!(j = job_add(s, quoted, origin)))
				return -1;
			return job_reject(s, j,
					  *p == ' ' || *p == '\t'
					      ? "one target per line, not \"%s\""
					      : "a control character in \"%s\"",
					  quoted) < 0
				   ? -1
				   : 0;
		}
	}
	return add_target(s, start, origin, -1);
}

/* Reads targets from @path ("-": stdin). 0; EXIT_USAGE after a message. */
int read_input(struct scan *s, const char *path)
{
	int use_stdin = strcmp(path, "-") == 0;
	const char *name = use_stdin ? "stdin" : path;
	FILE *f = use_stdin ? stdin : fopen(path, "r");
	char line[MAX_LINE + 1];
	unsigned long lineno = 0;
	int rc = 0;

	if (!f) {
		fprintf(stderr, "mailcert: --input %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	for (;;) {
		size_t len = 0;
		int c, too_long = 0, has_nul = 0, any = 0;

		while ((c = getc(f)) != EOF && c != '\n') {
			any = 1;
			if (c == '\0')
				has_nul = 1;
			if (len < MAX_LINE)
				line[len++] = (char)c;
			else
				too_long = 1;
		}
		if (c == EOF && !any)
			break;
		line[len] = '\0';
		if (input_line(s, name, ++lineno, line, len, too_long, has_nul) < 0) {
			rc = EXIT_USAGE;
			break;
		}
		if (c == EOF)
			break;
	}
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, "mailcert: --input %s: %s\n", path, strerror(errno));
		rc = EXIT_USAGE;
	}
	if (!use_stdin)
		fclose(f);
	return rc;
}

/* --mail-ports HOST: one job per endpoint, and the host as a group. */
int expand_host(struct scan *s, size_t group)
{
	const char *host = s->hosts[group];
	int v6 = strchr(host, ':') && host[0] != '[';

	for (size_t i = 0; i < N_MAIL_PORTS; i++) {
		char text[600];

		snprintf(text, sizeof(text), "%s://%s%s%s:%u", mail_ports[i].service, v6 ? "[" : "",
			 host, v6 ? "]" : "", s->port_map[i]);
		if (add_target(s, text, NULL, (int)group) < 0)
			return -1;
	}
	return 0;
}

/* --mail-ports HOST: a host name or address, without scheme or port. */
int check_host(const char *host)
{
	int v6 = strchr(host, ':') && host[0] != '[';
	mailcert_target *t = NULL;
	char text[600], err[512];

	unsigned char addr[16];

	if (!host[0] || strstr(host, "://") || (host[0] == '[' && host[strlen(host) - 1] != ']') ||
	    strlen(host) > 500 || (v6 && inet_pton(AF_INET6, host, addr) != 1))
		return usage_error(CMD,
				   "--mail-ports \"%s\": give a host name or address, "
				   "without scheme or port",
				   host);
	snprintf(text, sizeof(text), "smtp://%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "");
	if (mailcert_target_parse(&t, text, NULL, err, sizeof(err)) < 0)
		return usage_error(CMD, "--mail-ports \"%s\": %s", host, err);
	mailcert_target_free(t);
	return 0;
}

/* --port-map smtp=2525,993=10993 */
int parse_port_map(struct scan *s, const char *arg)
{
	char *copy = strdup(arg), *save = NULL;
	int rc = 0;

	if (!copy)
		return nomem();
	for (char *item = strtok_r(copy, ",", &save); item && rc == 0;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '='), *end;
		unsigned long to;
		size_t i;

		if (!eq) {
			rc = usage_error(CMD,
					 "--port-map \"%s\": use SERVICE=PORT or PORT=PORT, "
					 "e.g. smtp=2525",
					 item);
			break;
		}
		*eq = '\0';
		for (i = 0; i < N_MAIL_PORTS; i++)
			if (strcmp(item, mail_ports[i].service) == 0 ||
			    (strtoul(item, &end, 10) == mail_ports[i].port && !*end && *item))
				break;
		errno = 0;
		to = strtoul(eq + 1, &end, 10);
		if (i == N_MAIL_PORTS)
			rc =
			    usage_error(CMD,
					"--port-map: \"%s\" is not one of the mail ports (smtp 25, "
					"smtps 465, submission 587, imap 143, imaps 993, pop3 110, "
					"pop3s 995, sieve 4190)",
					item);
		else if (eq[1] == '\0' || *end || errno || to < 1 || to > 65535)
			rc = usage_error(CMD,
					 "--port-map %s=%s: the port must be a number from 1 to "
					 "65535",
					 item, eq + 1);
		else
			s->port_map[i] = (unsigned)to;
	}
	free(copy);
	return rc;
}
