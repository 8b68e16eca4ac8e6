/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `mailcert scan`: many targets at once through the engine
 * (include/mailcert/engine.h), driven from our own poll() loop so that a
 * token bucket (--rate) can decide when the next probe may start.
 *
 * Every target becomes a job, in input order: the targets named on the
 * command line, the lines of --input (or stdin), and the endpoints
 * --mail-ports expands a host to. A line or argument that is not a target
 * is a job too, already finished as UNKNOWN, so that it shows up in every
 * summary and in the exit status, never silently dropped. Reports are
 * printed as they arrive (JSON Lines; text with -v) or kept for the end
 * (Prometheus, through output.c); the text table, the Nagios output and
 * the leaf consistency report of --mail-ports come at the end, from the
 * little each job keeps (state, expiry, first finding, leaf SHA-256).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <mailcert/engine.h>

#include "cli.h"

#define CMD "scan "
#define MAX_LINE 1024       /* bytes of one input line, newline excluded */
#define MAX_TARGETS 1000000 /* jobs in one scan */
#define MAX_CONCURRENCY 10000
#define FINDING_MAX 300 /* bytes of a finding kept for the summaries */

static const char scan_help[] =
    "Usage: mailcert scan [OPTIONS] [TARGET...]\n"
    "\n"
    "Check many targets at once, concurrently in one process: the TARGETs given,\n"
    "the lines of --input FILE, or, with neither, the lines of stdin (when it is\n"
    "not a terminal). One target per line; blank lines and '#' comments are\n"
    "skipped; a line that is not a target is reported as FILE:LINE on stderr\n"
    "and counted as an UNKNOWN result.\n"
    "\n"
    "Targets:\n"
    "  -i, --input FILE       read targets from FILE ('-': stdin); repeatable\n"
    "      --mail-ports HOST  check HOST's mail endpoints: smtp 25, smtps 465,\n"
    "                         submission 587, imap 143, imaps 993, pop3 110,\n"
    "                         pop3s 995, sieve 4190; and report whether every open\n"
    "                         port serves the same leaf certificate:\n"
    "                         scan.leaf-consistent, or scan.leaf-mismatch (WARNING)\n"
    "                         naming which ports serve which. Closed ports\n"
    "                         (connect.refused) are listed as closed, not errors.\n"
    "                         Repeatable\n"
    "      --port-map P=Q[,...]  with --mail-ports: look for service or port P\n"
    "                         (smtp or 25, ...) on port Q instead, e.g. a test\n"
    "                         server on high ports: --port-map smtp=2525,imap=1143\n"
    "      --require-open     a closed --mail-ports port is an error (CRITICAL)\n"
    "\n"
    "Scan:\n"
    "      --concurrency N    at most N checks at once (default 32, at most 10000)\n"
    "      --rate N[/s|/m]    start at most N checks per second (or minute)\n"
    "  -t, --timeout SEC      deadline of each check (default 10)\n"
    "      --no-progress      no progress bar (it is drawn on stderr only when\n"
    "                         stderr is a terminal)\n"
    "\n"
    "Every connection and policy option of 'mailcert check' applies to every\n"
    "target (see 'mailcert check --help'): -P, --sni, --connect-to, --helo, -4/-6,\n"
    "-n, -w, -c, --ca-file, --at, --severity, --all-keys, --key-type, ...\n"
    "With --mail-ports, -P does not apply to the expanded endpoints.\n"
    "\n"
    "Output:\n"
    "  -f, --format FMT       text (default): a table at the end (target, state,\n"
    "                         leaf expiry, first finding), with -v each target's\n"
    "                         details as it completes; json: one report per line\n"
    "                         as results arrive (JSON Lines), then one\n"
    "                         {\"consistency\": ...} line per --mail-ports host;\n"
    "                         nagios: one plugin output for the whole scan;\n"
    "                         prometheus: every report in one exposition\n"
    "      --output FILE      write to FILE instead of stdout, replacing it at once\n"
    "                         when done\n"
    "  -v, --verbose          more detail; repeatable\n"
    "\n"
    "Exit status: the worst state of all (OK < WARNING < UNKNOWN < CRITICAL):\n"
    "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
    "\n"
    "Examples:\n"
    "  mailcert scan --input servers.txt -f json > results.jsonl\n"
    "  mailcert scan --mail-ports mail.example.com\n"
    "  mailcert scan --concurrency 100 --rate 50/s -f nagios < servers.txt\n";

enum {
	OPT_INPUT = OPT_PROBE_LAST + 1,
	OPT_CONCURRENCY,
	OPT_RATE,
	OPT_MAIL_PORTS,
	OPT_PORT_MAP,
	OPT_REQUIRE_OPEN,
	OPT_NO_PROGRESS,
	OPT_SCAN_OUTPUT,
};

static const struct option scan_options[] = {
    POLICY_OPTIONS,
    PROBE_OPTIONS,
    {"format", required_argument, NULL, 'f'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"output", required_argument, NULL, OPT_SCAN_OUTPUT},
    {"input", required_argument, NULL, 'i'},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"rate", required_argument, NULL, OPT_RATE},
    {"mail-ports", required_argument, NULL, OPT_MAIL_PORTS},
    {"port-map", required_argument, NULL, OPT_PORT_MAP},
    {"require-open", no_argument, NULL, OPT_REQUIRE_OPEN},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {NULL, 0, NULL, 0},
};

/* The mail endpoints of --mail-ports, in the order they are listed. */
static const struct {
	const char *service;
	unsigned port;
} mail_ports[] = {
    {"smtp", 25},   {"smtps", 465}, {"submission", 587}, {"imap", 143},
    {"imaps", 993}, {"pop3", 110},  {"pop3s", 995},      {"sieve", 4190},
};
#define N_MAIL_PORTS (sizeof(mail_ports) / sizeof(mail_ports[0]))

struct scan;

struct job {
	struct scan *scan;
	char *text;   /* the target as given or expanded */
	char *origin; /* "FILE:LINE" for input lines, else NULL */
	mailcert_target *target;
	int group;           /* index of its --mail-ports host, or -1 */
	const char *service; /* --mail-ports: the endpoint's name ("smtp") */
	mailcert_key_type key_type;
	mailcert_probe *probe; /* while it runs */
	/* When done: */
	int done, state, closed;
	char *error;    /* not a target: why */
	char *finding;  /* "code: message" of the first finding that counts */
	char *failure;  /* the failure code when no certificate was received */
	time_t expires; /* the leaf's notAfter; 0: no leaf */
	long long remaining_s;
	char leaf[65]; /* the leaf's SHA-256, lowercase hex; "" when none */
	char *leaf_subject;
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
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int nomem(void)
{
	fputs("mailcert: out of memory\n", stderr);
	return EXIT_USAGE;
}

/* A copy of @s for a summary: at most @max bytes, control bytes as '?'. */
static char *clean_dup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *d = malloc(n + 4);

	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++)
		d[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (s[n]) {
		memcpy(d + n, "...", 4);
		return d;
	}
	d[n] = '\0';
	return d;
}

/* ------------------------------------------------------------------------ */
/* Jobs and input */

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
static int job_reject(struct scan *s, struct job *j, const char *fmt, ...)
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
static int add_target(struct scan *s, const char *text, const char *origin, int group,
		      const char *service)
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
		j->service = service;
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
		return job_reject(s, j,
				  too_long ? "a line longer than %d bytes: \"%s\""
					   : "a NUL byte in the line: \"%s\"",
				  too_long ? MAX_LINE : 0, quoted) < 0
			   ? -1
			   : 0;
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
	return add_target(s, start, origin, -1, NULL);
}

/* Reads targets from @path ("-": stdin). 0; EXIT_USAGE after a message. */
static int read_input(struct scan *s, const char *path)
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
static int expand_host(struct scan *s, size_t group)
{
	const char *host = s->hosts[group];
	int v6 = strchr(host, ':') && host[0] != '[';

	for (size_t i = 0; i < N_MAIL_PORTS; i++) {
		char text[600];

		snprintf(text, sizeof(text), "%s://%s%s%s:%u", mail_ports[i].service, v6 ? "[" : "",
			 host, v6 ? "]" : "", s->port_map[i]);
		if (add_target(s, text, NULL, (int)group, mail_ports[i].service) < 0)
			return -1;
	}
	return 0;
}

/* --mail-ports HOST: a host name or address, without scheme or port. */
static int check_host(const char *host)
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

/*
 * --helo and --xmpp-domain are the same for every target: refused once,
 * as a usage error, rather than once per target.
 */
static int check_names(const struct check_run *run)
{
	mailcert_target *t = NULL;
	mailcert_probe *p = NULL;
	int rc = 0;

	if (!run->helo && !run->xmpp_domain)
		return 0;
	if (mailcert_target_parse(&t, "smtp://mail.invalid", NULL, NULL, 0) < 0 ||
	    mailcert_probe_new(&p, t) < 0)
		rc = nomem();
	else if (mailcert_probe_set_helo(p, run->helo) < 0)
		rc = usage_error(CMD, "--helo \"%s\": one word of at most 255 characters",
				 run->helo);
	else if (mailcert_probe_set_xmpp_domain(p, run->xmpp_domain) < 0)
		rc = usage_error(CMD, "--xmpp-domain \"%s\": not a domain name", run->xmpp_domain);
	mailcert_probe_free(p);
	mailcert_target_free(t);
	return rc;
}

/* --port-map smtp=2525,993=10993 */
static int parse_port_map(struct scan *s, const char *arg)
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

static int parse_concurrency(struct scan *s, const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (end == arg || *end || errno || v < 1 || v > MAX_CONCURRENCY)
		return usage_error(CMD, "--concurrency takes a number from 1 to %d, not \"%s\"",
				   MAX_CONCURRENCY, arg);
	s->concurrency = (unsigned)v;
	return 0;
}

/* --rate 50, 50/s, 600/m, 0.5/s */
static int parse_rate(struct scan *s, const char *arg)
{
	char *end;
	double v = strtod(arg, &end), per = 1;

	if (end != arg && (strcmp(end, "/m") == 0 || strcmp(end, "/min") == 0))
		per = 60;
	else if (end != arg && strcmp(end, "/s") != 0 && *end)
		end = (char *)arg;
	if (end == arg || !(v > 0) || v / per < 0.001 || v / per > 100000)
		return usage_error(CMD,
				   "--rate takes checks per second (N or N/s) or per minute (N/m), "
				   "from 0.001/s to 100000/s, not \"%s\"",
				   arg);
	s->rate = v / per;
	return 0;
}

/*
 * Each running check holds a socket (two while resolving): raise the soft
 * limit on open files as far as the hard one allows, and refuse a
 * concurrency it cannot carry rather than fail checks with EMFILE.
 */
static int fit_fd_limit(unsigned concurrency)
{
	rlim_t need = (rlim_t)concurrency * 2 + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur >= need)
		return 0;
	return usage_error(CMD,
			   "--concurrency %u needs about %llu open files; the limit is %llu "
			   "(ulimit -n)",
			   concurrency, (unsigned long long)need, (unsigned long long)rl.rlim_cur);
}

/* ------------------------------------------------------------------------ */
/* Progress on stderr */

static void progress_clear(struct scan *s)
{
	if (s->progress_drawn) {
		fputs("\r\033[K", stderr);
		s->progress_drawn = 0;
	}
}

static void progress_draw(struct scan *s, size_t running, int force)
{
	struct winsize ws;
	double t = now_s();
	int width = 30, filled;

	if (!s->progress || (!force && t - s->progress_at < 0.1))
		return;
	s->progress_at = t;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_col < 70)
		width = ws.ws_col > 40 ? ws.ws_col - 40 : 0;
	filled = s->n ? (int)((double)width * (double)s->finished / (double)s->n) : width;
	fputs("\r\033[K", stderr);
	if (width > 0) {
		fputc('[', stderr);
		for (int i = 0; i < width; i++)
			fputc(i < filled ? '#' : '.', stderr);
		fputs("] ", stderr);
	}
	fprintf(stderr, "%zu/%zu done, %zu running", s->finished, s->n, running);
	fflush(stderr);
	s->progress_drawn = 1;
}

/* ------------------------------------------------------------------------ */
/* Results */

static const char *state_name(int state)
{
	static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

	return state >= 0 && state <= 3 ? names[state] : "UNKNOWN";
}

/* What a job keeps of its report for the summaries. */
static int job_record(struct scan *s, struct job *j, const mailcert_report *report)
{
	const mailcert_observation *obs = mailcert_report_observation(report);
	const char *failure = mailcert_observation_failure(obs, NULL);
	size_t nf = mailcert_report_finding_count(report);
	const mailcert_finding *pick = NULL;

	j->state = (int)mailcert_report_state(report);
	j->closed =
	    j->group >= 0 && !s->require_open && failure && strcmp(failure, "connect.refused") == 0;
	if (failure && !(j->failure = strdup(failure)))
		return -1;
	/* The first finding as severe as the report, else the first at all. */
	for (size_t i = 0; i < nf && !pick; i++) {
		const mailcert_finding *f = mailcert_report_finding(report, i);

		if ((int)mailcert_finding_severity(f) == j->state)
			pick = f;
	}
	if (!pick && nf > 0)
		pick = mailcert_report_finding(report, 0);
	if (pick) {
		char buf[FINDING_MAX + 64];

		snprintf(buf, sizeof(buf), "%s: %s", mailcert_finding_code(pick),
			 mailcert_finding_message(pick));
		if (!(j->finding = clean_dup(buf, FINDING_MAX)))
			return -1;
	}
	if (mailcert_report_cert_count(report) > 0) {
		const mailcert_cert_info *leaf = mailcert_report_cert(report, 0);

		j->expires = leaf->not_after;
		j->remaining_s = leaf->remaining_s;
		if (leaf->sha256)
			snprintf(j->leaf, sizeof(j->leaf), "%s", leaf->sha256);
		if (!(j->leaf_subject = clean_dup(leaf->subject ? leaf->subject : "?", 200)))
			return -1;
	}
	return 0;
}

static void on_done(mailcert_probe *probe, mailcert_observation *obs, void *user)
{
	struct job *j = user;
	struct scan *s = j->scan;
	const struct check_run *run = j->group >= 0 ? &s->ports_run : &s->run;
	mailcert_report *report = NULL;
	int rc = evaluate_observation(run, obs, run->now, &report);

	mailcert_observation_free(obs); /* the report holds a reference */
	mailcert_probe_free(probe);
	j->probe = NULL;
	j->done = 1;
	s->finished++;
	if (rc >= 0 && job_record(s, j, report) < 0)
		rc = MAILCERT_E_NOMEM;
	if (rc < 0) {
		j->state = MAILCERT_UNKNOWN;
		free(j->finding);
		j->finding = strdup("internal failure (out of memory?)");
		mailcert_report_free(report);
		s->out_failed = 1;
		return;
	}
	/* JSON Lines and -v text as they come; Prometheus kept by output.c. */
	if (s->out.format == MAILCERT_FORMAT_JSON || s->out.format == MAILCERT_FORMAT_PROMETHEUS ||
	    ((s->out.format == MAILCERT_FORMAT_TEXT ||
	      s->out.format == MAILCERT_FORMAT_TEXT_COLOR) &&
	     s->out.verbosity > 0)) {
		if (!s->out.path)
			progress_clear(s);              /* stdout may be the same terminal */
		if (output_report(&s->out, report) < 0) /* takes the report */
			s->out_failed = 1;
		return;
	}
	mailcert_report_free(report);
}

/* Starts @j: 0; -1 when out of memory (a target the options do not fit is rejected). */
static int start_job(struct scan *s, mailcert_engine *e, struct job *j)
{
	const struct check_run *run = j->group >= 0 ? &s->ports_run : &s->run;
	char err[1024];
	int rc = make_probe(run, j->target, j->text, &j->probe, err, sizeof(err));

	if (rc == MAILCERT_E_INVALID) {
		progress_clear(s);
		return job_reject(s, j, "%s", err);
	}
	if (rc < 0)
		return -1;
	if ((j->key_type && mailcert_probe_set_key_type(j->probe, j->key_type) < 0) ||
	    mailcert_engine_add(e, j->probe, on_done, j) < 0) {
		mailcert_probe_free(j->probe);
		j->probe = NULL;
		return -1;
	}
	return 0;
}

/*
 * The loop: start jobs while fewer than --concurrency run and the token
 * bucket of --rate has a token (it refills at the rate, holding at most
 * a hundredth of a second's worth, or one), poll what the engine asks
 * for until its next deadline or the next token, let it advance.
 */
static int run_scan(struct scan *s)
{
	mailcert_engine *e = NULL;
	struct pollfd *fds = NULL;
	size_t fds_cap = 0, next = 0;
	double burst = s->rate / 100 > 1 ? s->rate / 100 : 1, tokens = burst, last = now_s();
	int rc = 0;

	if (mailcert_engine_new(&e, s->concurrency) < 0)
		return nomem();
	for (;;) {
		size_t pending, nfds;
		double t = now_s();
		int timeout;

		if (s->rate > 0) {
			tokens += (t - last) * s->rate;
			if (tokens > burst)
				tokens = burst;
		}
		last = t;
		while (next < s->n && mailcert_engine_pending(e) < s->concurrency &&
		       (s->rate <= 0 || tokens >= 1)) {
			struct job *j = &s->jobs[next++];

			if (j->done)
				continue;
			if (start_job(s, e, j) < 0) {
				rc = nomem();
				goto out;
			}
			if (s->rate > 0)
				tokens -= 1;
		}
		while (next < s->n && s->jobs[next].done)
			next++;
		pending = mailcert_engine_pending(e);
		if (pending == 0 && next == s->n)
			break;
		progress_draw(s, pending, 0);
		timeout = mailcert_engine_timeout_ms(e);
		if (next < s->n && s->rate > 0 && tokens < 1 && pending < s->concurrency) {
			int wait = (int)((1 - tokens) / s->rate * 1000) + 1;

			if (timeout < 0 || wait < timeout)
				timeout = wait;
		}
		if (s->progress && (timeout < 0 || timeout > 100))
			timeout = 100;
		if (timeout < 0) /* nothing pending, a job to start: at once */
			timeout = 0;
		while ((nfds = mailcert_engine_fds(e, fds, fds_cap)) > fds_cap) {
			struct pollfd *more = realloc(fds, nfds * sizeof(*fds));

			if (!more) {
				rc = nomem();
				goto out;
			}
			fds = more;
			fds_cap = nfds;
		}
		if (poll(fds, nfds, timeout) < 0 && errno != EINTR) {
			fprintf(stderr, "mailcert: poll: %s\n", strerror(errno));
			rc = EXIT_USAGE;
			goto out;
		}
		if (mailcert_engine_process(e, fds, nfds) < 0) {
			rc = nomem();
			goto out;
		}
	}
out:
	mailcert_engine_free(e); /* abandons what still runs, without callbacks */
	for (size_t i = 0; i < s->n; i++) {
		mailcert_probe_free(s->jobs[i].probe);
		s->jobs[i].probe = NULL;
	}
	free(fds);
	progress_clear(s);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* The leaf consistency report of --mail-ports */

struct leaf {
	const char *sha256, *subject;
	time_t expires;
	struct job *jobs[N_MAIL_PORTS];
	size_t n;
};

struct consistency {
	const char *host;
	mailcert_key_type key_type;
	struct leaf leaves[N_MAIL_PORTS];
	size_t n_leaves;
	struct job *closed[N_MAIL_PORTS], *failed[N_MAIL_PORTS];
	size_t n_closed, n_failed;
	int state;
	const char *code;
	char message[4096];
};

static const char *key_label(mailcert_key_type t)
{
	return t == MAILCERT_KEY_RSA ? "RSA" : t == MAILCERT_KEY_ECDSA ? "ECDSA" : NULL;
}

static unsigned job_port(const struct job *j)
{
	return mailcert_target_port(j->target);
}

static void day(char out[32], time_t t)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%d", &tm))
		snprintf(out, 32, "?");
}

/* "smtp (25), imap (143)" into @m at @o. */
static size_t put_ports(char *m, size_t o, size_t cap, struct job *const *jobs, size_t n)
{
	for (size_t i = 0; i < n && o < cap; i++)
		o += (size_t)snprintf(m + o, cap - o, "%s%s (%u)", i ? ", " : "", jobs[i]->service,
				      job_port(jobs[i]));
	return o < cap ? o : cap - 1;
}

static void consistency_of(const struct scan *s, size_t group, mailcert_key_type kt,
			   struct consistency *c)
{
	char *m = c->message, date[32];
	size_t cap = sizeof(c->message), o = 0;
	time_t newest = 0;

	memset(c, 0, sizeof(*c));
	c->host = s->hosts[group];
	c->key_type = kt;
	for (size_t i = 0; i < s->n; i++) {
		struct job *j = &s->jobs[i];
		size_t l;

		if (j->group != (int)group || j->key_type != kt || !j->target)
			continue;
		if (j->closed) {
			c->closed[c->n_closed++] = j;
			continue;
		}
		if (!j->leaf[0]) {
			c->failed[c->n_failed++] = j;
			continue;
		}
		for (l = 0; l < c->n_leaves; l++)
			if (strcmp(c->leaves[l].sha256, j->leaf) == 0)
				break;
		if (l == c->n_leaves) {
			c->n_leaves++;
			c->leaves[l].sha256 = j->leaf;
			c->leaves[l].subject = j->leaf_subject;
			c->leaves[l].expires = j->expires;
		}
		c->leaves[l].jobs[c->leaves[l].n++] = j;
		if (j->expires > newest)
			newest = j->expires;
	}
	o += (size_t)snprintf(m + o, cap - o, "%s%s%s%s: ", c->host, kt ? " (" : "",
			      kt ? key_label(kt) : "", kt ? ")" : "");
	if (c->n_leaves == 0) {
		c->state = MAILCERT_OK;
		c->code = "scan.no-leaf";
		o += (size_t)snprintf(m + o, cap - o, "no port served a certificate");
	} else if (c->n_leaves == 1) {
		c->state = MAILCERT_OK;
		c->code = "scan.leaf-consistent";
		day(date, c->leaves[0].expires);
		o += (size_t)snprintf(m + o, cap - o, "the same leaf on every open port, ");
		o = put_ports(m, o, cap, c->leaves[0].jobs, c->leaves[0].n);
		o += (size_t)snprintf(m + o, cap - o, ": SHA-256 %.16s... %s, expires %s",
				      c->leaves[0].sha256, c->leaves[0].subject, date);
	} else {
		c->state = MAILCERT_WARNING;
		c->code = "scan.leaf-mismatch";
		o += (size_t)snprintf(m + o, cap - o,
				      "%zu different leaf certificates: ", c->n_leaves);
		for (size_t l = 0; l < c->n_leaves && o < cap; l++) {
			struct leaf *lf = &c->leaves[l];

			day(date, lf->expires);
			if (l)
				o += (size_t)snprintf(m + o, cap - o, "; ");
			o = put_ports(m, o, cap, lf->jobs, lf->n);
			o += (size_t)snprintf(m + o, cap - o, " %s SHA-256 %.16s... %s, expires %s",
					      lf->n > 1 ? "serve" : "serves", lf->sha256,
					      lf->subject, date);
		}
		for (size_t l = 0; l < c->n_leaves && o < cap; l++) {
			if (c->leaves[l].expires >= newest)
				continue;
			o += (size_t)snprintf(m + o, cap - o,
					      "; older certificate still served on ");
			o = put_ports(m, o, cap, c->leaves[l].jobs, c->leaves[l].n);
			o += (size_t)snprintf(
			    m + o, cap - o,
			    ": renewed elsewhere, not reloaded or redeployed here?");
		}
	}
	if (c->n_closed && o < cap) {
		o += (size_t)snprintf(m + o, cap - o, "; closed: ");
		o = put_ports(m, o, cap, c->closed, c->n_closed);
	}
	if (c->n_failed && o < cap) {
		o += (size_t)snprintf(m + o, cap - o, "; no certificate: ");
		for (size_t i = 0; i < c->n_failed && o < cap; i++)
			o += (size_t)snprintf(m + o, cap - o, "%s%s (%u) %s", i ? ", " : "",
					      c->failed[i]->service, job_port(c->failed[i]),
					      c->failed[i]->failure
						  ? c->failed[i]->failure
						  : state_name(c->failed[i]->state));
	}
}

/* Calls @fn for each --mail-ports host and key type scanned. */
static int each_consistency(const struct scan *s,
			    int (*fn)(const struct scan *, const struct consistency *, void *),
			    void *arg)
{
	static const mailcert_key_type all[] = {MAILCERT_KEY_RSA, MAILCERT_KEY_ECDSA};
	const mailcert_key_type *types = s->ports_run.all_keys ? all : &s->ports_run.key_type;
	size_t count = s->ports_run.all_keys ? 2 : 1;
	struct consistency *c = malloc(sizeof(*c));
	int rc = 0;

	if (!c)
		return -1;
	for (size_t g = 0; g < s->n_hosts && rc == 0; g++)
		for (size_t k = 0; k < count && rc == 0; k++) {
			consistency_of(s, g, types[k], c);
			rc = fn(s, c, arg);
		}
	free(c);
	return rc;
}

static int worst_of(const struct scan *s, const struct consistency *c, void *arg)
{
	int *state = arg;

	(void)s;
	*state = worse(*state, c->state);
	if (c->state != MAILCERT_OK)
		state[1]++;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Summaries */

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void json_ports(FILE *f, struct job *const *jobs, size_t n, int with_failure)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s{\"service\":\"%s\",\"port\":%u", i ? "," : "", jobs[i]->service,
			job_port(jobs[i]));
		if (with_failure) {
			fputs(",\"code\":", f);
			json_string(f, jobs[i]->failure ? jobs[i]->failure : "");
		}
		fputc('}', f);
	}
	fputc(']', f);
}

static int consistency_json(const struct scan *s, const struct consistency *c, void *arg)
{
	FILE *f = s->out.stream;
	char iso[32];

	(void)arg;
	fputs("{\"consistency\":{\"host\":", f);
	json_string(f, c->host);
	fputs(",\"key_type\":", f);
	if (c->key_type)
		fprintf(f, "\"%s\"", key_label(c->key_type));
	else
		fputs("null", f);
	fprintf(f, ",\"state\":\"%s\",\"code\":\"%s\",\"message\":", state_name(c->state), c->code);
	json_string(f, c->message);
	fputs(",\"leaves\":[", f);
	for (size_t l = 0; l < c->n_leaves; l++) {
		struct tm tm;

		if (!gmtime_r(&c->leaves[l].expires, &tm) ||
		    !strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm))
			snprintf(iso, sizeof(iso), "?");
		fprintf(f, "%s{\"sha256\":\"%s\",\"subject\":", l ? "," : "", c->leaves[l].sha256);
		json_string(f, c->leaves[l].subject);
		fprintf(f, ",\"not_after\":\"%s\",\"ports\":", iso);
		json_ports(f, c->leaves[l].jobs, c->leaves[l].n, 0);
		fputc('}', f);
	}
	fputs("],\"closed\":", f);
	json_ports(f, c->closed, c->n_closed, 0);
	fputs(",\"failed\":", f);
	json_ports(f, c->failed, c->n_failed, 1);
	fputs("}}\n", f);
	return 0;
}

/* A consistency line for text and Nagios: "WARNING scan.leaf-mismatch: ...". */
static int consistency_line(const struct scan *s, const struct consistency *c, void *arg)
{
	(void)arg;
	fprintf(s->out.stream, "%s %s: %s\n", state_name(c->state), c->code, c->message);
	return 0;
}

static void prom_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static int consistency_prom(const struct scan *s, const struct consistency *c, void *arg)
{
	(void)arg;
	fputs("mailcert_scan_leaf_certificates{host=\"", s->out.stream);
	prom_label(s->out.stream, c->host);
	if (c->key_type)
		fprintf(s->out.stream, "\",key_type=\"%s", key_label(c->key_type));
	fprintf(s->out.stream, "\"} %zu\n", c->n_leaves);
	return 0;
}

/* Counts per state (closed apart): [OK, WARNING, CRITICAL, UNKNOWN, closed]. */
static void count_states(const struct scan *s, size_t counts[5])
{
	memset(counts, 0, 5 * sizeof(counts[0]));
	for (size_t i = 0; i < s->n; i++)
		counts[s->jobs[i].closed ? 4 : s->jobs[i].state & 3]++;
}

static const char *job_name(const struct job *j, char *buf, size_t len)
{
	const char *label = key_label(j->key_type);
	const char *name = j->error && j->origin ? j->origin
			   : j->target           ? mailcert_target_string(j->target)
						 : j->text;

	if (label && !j->error)
		snprintf(buf, len, "%s (%s)", name, label);
	else
		snprintf(buf, len, "%s", name);
	return buf;
}

static void job_expiry(const struct job *j, char *buf, size_t len)
{
	char date[32];

	if (!j->expires) {
		snprintf(buf, len, "-");
		return;
	}
	day(date, j->expires);
	if (j->remaining_s < 0)
		snprintf(buf, len, "%s (expired)", date);
	else
		snprintf(buf, len, "%s (%lldd)", date, j->remaining_s / 86400);
}

static const char *job_state(const struct job *j)
{
	return j->closed ? "closed" : state_name(j->state);
}

static const char *job_finding(const struct job *j)
{
	return j->error ? j->error : j->finding ? j->finding : "-";
}

static void text_summary(struct scan *s, int worst)
{
	FILE *f = s->out.stream;
	size_t w_target = 6, w_state = 5, w_exp = 7, counts[5];
	char name[700], exp[64];

	for (size_t i = 0; i < s->n; i++) {
		size_t n = strlen(job_name(&s->jobs[i], name, sizeof(name)));

		job_expiry(&s->jobs[i], exp, sizeof(exp));
		if (n > w_target)
			w_target = n > 60 ? 60 : n;
		if (strlen(job_state(&s->jobs[i])) > w_state)
			w_state = strlen(job_state(&s->jobs[i]));
		if (strlen(exp) > w_exp)
			w_exp = strlen(exp);
	}
	if (s->out.printed > 0)
		fputc('\n', f);
	fprintf(f, "%-*s  %-*s  %-*s  %s\n", (int)w_target, "TARGET", (int)w_state, "STATE",
		(int)w_exp, "EXPIRES", "FINDING");
	for (size_t i = 0; i < s->n; i++) {
		const struct job *j = &s->jobs[i];

		job_expiry(j, exp, sizeof(exp));
		fprintf(f, "%-*s  %-*s  %-*s  %s\n", (int)w_target, job_name(j, name, sizeof(name)),
			(int)w_state, job_state(j), (int)w_exp, exp,
			j->closed ? "closed (connect.refused)" : job_finding(j));
	}
	if (s->n_hosts) {
		fputc('\n', f);
		each_consistency(s, consistency_line, NULL);
	}
	count_states(s, counts);
	fprintf(f, "\n%zu targets: %zu OK, %zu WARNING, %zu CRITICAL, %zu UNKNOWN", s->n, counts[0],
		counts[1], counts[2], counts[3]);
	if (counts[4])
		fprintf(f, ", %zu closed", counts[4]);
	fprintf(f, "; overall %s\n", state_name(worst));
}

/*
 * One plugin output for the whole scan: the worst state and the counts on
 * the first line (closed ports apart, and how many hosts serve different
 * leaves), with the counts as performance data; then one line per target
 * and one per --mail-ports host.
 */
static void nagios_summary(struct scan *s, int worst, int mismatched)
{
	FILE *f = s->out.stream;
	size_t counts[5];
	char name[700];

	count_states(s, counts);
	fprintf(f, "MAILCERT %s - %zu targets: %zu CRITICAL, %zu WARNING, %zu UNKNOWN, %zu OK",
		state_name(worst), s->n, counts[2], counts[1], counts[3], counts[0]);
	if (counts[4])
		fprintf(f, ", %zu closed", counts[4]);
	if (mismatched)
		fprintf(f, "; different leaf certificates on %d host%s", mismatched,
			mismatched > 1 ? "s" : "");
	fprintf(f, " | critical=%zu warning=%zu unknown=%zu ok=%zu closed=%zu\n", counts[2],
		counts[1], counts[3], counts[0], counts[4]);
	for (size_t i = 0; i < s->n; i++) {
		const struct job *j = &s->jobs[i];

		fprintf(f, "%s %s: %s\n", job_state(j), job_name(j, name, sizeof(name)),
			j->closed ? "closed (connect.refused)" : job_finding(j));
	}
	each_consistency(s, consistency_line, NULL);
}

static void prometheus_extra(struct scan *s)
{
	FILE *f = s->out.stream;

	fputs("# HELP mailcert_scan_input_errors Lines and arguments of the scan that are not "
	      "targets\n# TYPE mailcert_scan_input_errors gauge\n",
	      f);
	fprintf(f, "mailcert_scan_input_errors %zu\n", s->input_errors);
	if (!s->n_hosts)
		return;
	fputs("# HELP mailcert_scan_leaf_certificates Distinct leaf certificates served on the "
	      "open mail ports of a host (1: consistent)\n"
	      "# TYPE mailcert_scan_leaf_certificates gauge\n",
	      f);
	each_consistency(s, consistency_prom, NULL);
}

/* ------------------------------------------------------------------------ */

static void scan_free(struct scan *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct job *j = &s->jobs[i];

		mailcert_target_free(j->target);
		free(j->text);
		free(j->origin);
		free(j->error);
		free(j->finding);
		free(j->failure);
		free(j->leaf_subject);
	}
	free(s->jobs);
	free(s->hosts);
	mailcert_policy_free(s->run.policy);
	mailcert_policy_free(s->ports_run.policy);
}

struct replay {
	int c;
	const char *arg;
};

/*
 * The run for --mail-ports endpoints: the same options, replayed on a
 * policy of its own in which a closed port (connect.refused) is an OK
 * finding, unless --require-open (a --severity given wins either way);
 * -P does not apply to the expanded endpoints.
 */
static int ports_run_new(struct scan *s, const struct replay *opts, size_t n)
{
	struct check_run *r = &s->ports_run;

	memset(r, 0, sizeof(*r));
	r->timeout_ms = 10000;
	r->now = s->started; /* --at is replayed below, from the same base */
	if (mailcert_policy_new(&r->policy) < 0)
		return nomem();
	if (!s->require_open &&
	    mailcert_policy_set_severity(r->policy, "connect.refused", MAILCERT_OK) < 0)
		return nomem();
	for (size_t i = 0; i < n; i++) {
		int rc = IS_POLICY_OPTION(opts[i].c) ? policy_option(CMD, r, opts[i].c, opts[i].arg)
						     : probe_option(CMD, r, opts[i].c, opts[i].arg);

		if (rc)
			return EXIT_USAGE;
	}
	r->protocol = NULL;
	return 0;
}

int cmd_scan(int argc, char **argv)
{
	struct scan scan, *s = &scan;
	struct replay *opts = NULL;
	const char **inputs = NULL;
	size_t n_opts = 0, n_inputs = 0;
	int rc = EXIT_USAGE, c, idx = 0, worst = MAILCERT_OK, mismatch[2] = {MAILCERT_OK, 0};
	time_t started = time(NULL);

	memset(s, 0, sizeof(*s));
	s->run.timeout_ms = 10000;
	s->run.now = s->started = started;
	s->run.format = MAILCERT_FORMAT_TEXT;
	s->concurrency = 32;
	s->progress = isatty(STDERR_FILENO);
	for (size_t i = 0; i < N_MAIL_PORTS; i++)
		s->port_map[i] = mail_ports[i].port;
	if (mailcert_policy_new(&s->run.policy) < 0 ||
	    !(opts = calloc((size_t)argc + 1, sizeof(*opts))) ||
	    !(inputs = calloc((size_t)argc + 1, sizeof(*inputs))) ||
	    !(s->hosts = calloc((size_t)argc + 1, sizeof(*s->hosts)))) {
		nomem();
		goto out;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":P:n:w:c:t:f:i:v46h", scan_options, &idx)) != -1) {
		if (IS_POLICY_OPTION(c) || IS_PROBE_OPTION(c)) {
			if (IS_POLICY_OPTION(c) ? policy_option(CMD, &s->run, c, optarg)
						: probe_option(CMD, &s->run, c, optarg))
				goto out;
			opts[n_opts++] = (struct replay){c, optarg};
			continue;
		}
		switch (c) {
		case 'f':
			if (parse_format(CMD, optarg, &s->run.format))
				goto out;
			break;
		case 'v':
			s->run.verbosity++;
			break;
		case OPT_SCAN_OUTPUT:
			s->run.output = optarg;
			break;
		case 'i':
			inputs[n_inputs++] = optarg;
			break;
		case OPT_CONCURRENCY:
			if (parse_concurrency(s, optarg))
				goto out;
			break;
		case OPT_RATE:
			if (parse_rate(s, optarg))
				goto out;
			break;
		case OPT_MAIL_PORTS:
			if (check_host(optarg))
				goto out;
			s->hosts[s->n_hosts++] = optarg;
			break;
		case OPT_PORT_MAP:
			if (parse_port_map(s, optarg))
				goto out;
			break;
		case OPT_REQUIRE_OPEN:
			s->require_open = 1;
			break;
		case OPT_NO_PROGRESS:
			s->progress = 0;
			break;
		case 'h':
			fputs(scan_help, stdout);
			rc = 0;
			goto out;
		case ':':
			usage_error(CMD, "%s needs a value", argv[optind - 1]);
			goto out;
		default:
			if (optopt)
				usage_error(CMD, "unknown option -%c", optopt);
			else
				usage_error(CMD, "unknown option %s", argv[optind - 1]);
			goto out;
		}
	}
	if (s->run.all_keys && s->run.key_type) {
		usage_error(CMD, "--all-keys checks every key type; --key-type only one: give one "
				 "of them");
		goto out;
	}
	if (check_names(&s->run) || (s->n_hosts && ports_run_new(s, opts, n_opts)))
		goto out;
	if (optind == argc && n_inputs == 0 && s->n_hosts == 0) {
		if (isatty(STDIN_FILENO)) {
			usage_error(CMD,
				    "no target given: name targets, --input FILE, --mail-ports "
				    "HOST, or pipe targets on stdin");
			goto out;
		}
		inputs[n_inputs++] = "-";
	}
	if (fit_fd_limit(s->concurrency))
		goto out;
	for (int i = optind; i < argc; i++)
		if (add_target(s, argv[i], NULL, -1, NULL) < 0)
			goto out;
	for (size_t i = 0; i < n_inputs; i++)
		if (read_input(s, inputs[i]))
			goto out;
	for (size_t g = 0; g < s->n_hosts; g++)
		if (expand_host(s, g) < 0)
			goto out;
	if (s->n == 0) {
		usage_error(CMD, "no target in the input (only blank lines and comments)");
		goto out;
	}
	if (output_open(&s->out, s->run.format, s->run.verbosity, s->run.output))
		goto out;
	rc = run_scan(s);
	for (size_t i = 0; i < s->n; i++)
		worst = worse(worst, s->jobs[i].state);
	if (s->n_hosts && each_consistency(s, worst_of, mismatch) < 0)
		rc = nomem();
	worst = worse(worst, mismatch[0]);
	switch (s->out.format) {
	case MAILCERT_FORMAT_JSON:
		if (s->n_hosts)
			each_consistency(s, consistency_json, NULL);
		break;
	case MAILCERT_FORMAT_NAGIOS:
		nagios_summary(s, worst, mismatch[1]);
		break;
	case MAILCERT_FORMAT_PROMETHEUS:
		prometheus_extra(s);
		break;
	default:
		text_summary(s, worst);
		break;
	}
	if (output_close(&s->out) || s->out_failed)
		rc = EXIT_USAGE;
	if (rc == 0)
		rc = worst;
out:
	scan_free(s);
	free(opts);
	free(inputs);
	return rc;
}
