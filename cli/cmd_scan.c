/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `mailcert scan`: many targets at once through the engine
 * (include/mailcert/engine.h), driven from our own poll() loop so that a
 * token bucket (--rate) can decide when the next probe may start.
 *
 * This file: the options and the loop. Every target is a job, in input
 * order (scan_input.c). Reports are printed as they arrive (JSON Lines;
 * text with -v) or kept for the end (Prometheus, through output.c); each
 * job keeps a little for the summaries (scan_output.c) and, for a
 * --mail-ports endpoint, the record the library judges the host's leaf
 * consistency from (include/mailcert/consistency.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <mailcert/engine.h>

#include "scan.h"

static const char scan_intro[] =
    "Usage: mailcert scan [OPTIONS] [TARGET...]\n"
    "\n"
    "Check many targets at once, concurrently in one process: the TARGETs given,\n"
    "the lines of --input FILE, or, with neither, the lines of stdin (when it is\n"
    "not a terminal). One target per line; blank lines and '#' comments are\n"
    "skipped; a line that is not a target is reported as FILE:LINE on stderr\n"
    "and counted as an UNKNOWN result.\n"
    "\n"
    "The connection and policy options apply to every target; with --mail-ports,\n"
    "-P does not apply to the expanded endpoints.\n";

static const char scan_outro[] =
    "\n"
    "Exit status: the worst state of all (OK < WARNING < UNKNOWN < CRITICAL):\n"
    "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
    "\n"
    "Examples:\n"
    "  mailcert scan --input servers.txt -f json > results.jsonl\n"
    "  mailcert scan --mail-ports mail.example.com\n"
    "  mailcert scan --concurrency 100 --rate 50/s -f nagios < servers.txt\n";

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
/* Results */

static unsigned consistency_flags(const struct scan *s)
{
	return s->require_open ? MAILCERT_CONSISTENCY_REQUIRE_OPEN : 0;
}

/*
 * What a job keeps of its report for the summaries, and for a --mail-ports
 * endpoint the record its host's consistency verdict is judged from.
 */
static int job_record(struct scan *s, struct job *j, const mailcert_report *report)
{
	size_t nf = mailcert_report_finding_count(report);
	const mailcert_finding *pick = NULL;

	j->state = (int)mailcert_report_state(report);
	if (j->group >= 0) {
		if (mailcert_endpoint_new(&j->endpoint, report) < 0)
			return -1;
		j->closed = mailcert_endpoint_closed(j->endpoint, consistency_flags(s));
	}
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
	}
	return 0;
}

/*
 * A --mail-ports endpoint that has no report (rejected before its probe,
 * or out of memory): still part of its host's verdict, as UNKNOWN.
 */
static void job_unchecked(struct job *j)
{
	if (j->group < 0 || !j->target)
		return;
	mailcert_endpoint_free(j->endpoint);
	j->endpoint = NULL;
	j->closed = 0;
	if (mailcert_endpoint_new_unchecked(&j->endpoint, mailcert_target_string(j->target),
					    MAILCERT_UNKNOWN) < 0)
		j->scan->out_failed = 1;
}

static void on_done(mailcert_check *check, mailcert_report *report, void *user)
{
	struct job *j = user;
	struct scan *s = j->scan;

	(void)check;
	cli_check_clear(&j->c);
	j->done = 1;
	s->finished++;
	if (!report || job_record(s, j, report) < 0) {
		j->state = MAILCERT_UNKNOWN;
		free(j->finding);
		j->finding = strdup("internal failure (out of memory?)");
		job_unchecked(j);
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
	int rc = make_check(run, j->target, j->text, j->key_type, run->now, &j->c, err, sizeof(err));

	if (rc == MAILCERT_E_INVALID) {
		progress_clear(s);
		job_unchecked(j);
		return job_reject(s, j, "%s", err);
	}
	if (rc < 0 || mailcert_engine_add_check(e, j->c.check, on_done, j) < 0) {
		cli_check_clear(&j->c);
		return -1;
	}
	return 0;
}

/*
 * The loop: start jobs while fewer than --concurrency probe and the token
 * bucket of --rate has a token (it refills at the rate, holding at most a
 * hundredth of a second's worth, or one), poll what the engine asks for
 * until its next deadline or the next token, let it advance. A check
 * waiting for its lookups or fetches probes no more, so it does not hold
 * back the next (docs/design.md, "One engine, one deadline"); at most
 * STAGED_PER_SLOT times --concurrency wait so, to bound memory.
 */
#define STAGED_PER_SLOT 8

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
		while (next < s->n && mailcert_engine_probing(e) < s->concurrency &&
		       mailcert_engine_pending(e) < (size_t)s->concurrency * STAGED_PER_SLOT &&
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
		progress_draw(s, mailcert_engine_probing(e), 0);
		timeout = mailcert_engine_timeout_ms(e);
		if (next < s->n && s->rate > 0 && tokens < 1 &&
		    mailcert_engine_probing(e) < s->concurrency) {
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
	for (size_t i = 0; i < s->n; i++)
		cli_check_clear(&s->jobs[i].c);
	free(fds);
	progress_clear(s);
	return rc;
}

/* ------------------------------------------------------------------------ */

/*
 * The library's verdict on each --mail-ports host, once per key type with
 * --all-keys, from its endpoints in input order; *@worst and *@mismatched
 * take the verdicts in. 0; -1 when out of memory.
 */
static int judge_hosts(struct scan *s, int *worst, size_t *mismatched)
{
	static const mailcert_key_type all[] = {MAILCERT_KEY_RSA, MAILCERT_KEY_ECDSA};
	const mailcert_key_type *types = s->ports_run.all_keys ? all : &s->ports_run.key_type;
	size_t count = s->ports_run.all_keys ? 2 : 1;
	const mailcert_endpoint **endpoints = calloc(s->n + 1, sizeof(*endpoints));
	int rc = 0;

	s->verdicts = calloc(s->n_hosts * count + 1, sizeof(*s->verdicts));
	if (!endpoints || !s->verdicts) {
		free(endpoints);
		return -1;
	}
	for (size_t g = 0; g < s->n_hosts && rc == 0; g++)
		for (size_t k = 0; k < count && rc == 0; k++) {
			mailcert_consistency *c;
			size_t n = 0;

			for (size_t i = 0; i < s->n; i++)
				if (s->jobs[i].group == (int)g && s->jobs[i].key_type == types[k] &&
				    s->jobs[i].endpoint)
					endpoints[n++] = s->jobs[i].endpoint;
			rc = mailcert_consistency_judge(&c, s->hosts[g], types[k], endpoints, n,
							consistency_flags(s));
			if (rc < 0)
				break;
			s->verdicts[s->n_verdicts++] = c;
			*worst = worse(*worst, (int)c->state);
			if (c->state != MAILCERT_OK)
				++*mismatched;
		}
	free(endpoints);
	return rc < 0 ? -1 : 0;
}

static void scan_free(struct scan *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct job *j = &s->jobs[i];

		mailcert_target_free(j->target);
		free(j->text);
		free(j->origin);
		free(j->error);
		free(j->finding);
		mailcert_endpoint_free(j->endpoint);
	}
	for (size_t i = 0; i < s->n_verdicts; i++)
		mailcert_consistency_free(s->verdicts[i]);
	free(s->verdicts);
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
	if (run_policy_new(r) < 0)
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
	run_policy_ready(r);
	return 0;
}

int cmd_scan(int argc, char **argv)
{
	struct scan scan, *s = &scan;
	struct replay *opts = NULL;
	const char **inputs = NULL;
	size_t n_opts = 0, n_inputs = 0;
	size_t mismatched = 0;
	struct mc_getopt getopts;
	int rc = EXIT_USAGE, c, idx = 0, worst = MAILCERT_OK;
	time_t started = time(NULL);

	memset(s, 0, sizeof(*s));
	s->run.timeout_ms = 10000;
	s->run.now = s->started = started;
	s->run.format = MAILCERT_FORMAT_TEXT;
	s->concurrency = 32;
	s->progress = isatty(STDERR_FILENO);
	port_map_init(s);
	if (run_policy_new(&s->run) < 0 ||
	    !(opts = calloc((size_t)argc + 1, sizeof(*opts))) ||
	    !(inputs = calloc((size_t)argc + 1, sizeof(*inputs))) ||
	    !(s->hosts = calloc((size_t)argc + 1, sizeof(*s->hosts)))) {
		nomem();
		goto out;
	}
	mc_getopt_init(&getopts, MC_CMD_SCAN);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, getopts.shorts, getopts.longs, &idx)) != -1) {
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
		case OPT_OUTPUT:
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
			mc_help(stdout, MC_CMD_SCAN, scan_intro, scan_outro);
			rc = 0;
			goto out;
		default: /* ':' or '?' */
			option_error(CMD, c, argv);
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
	run_policy_ready(&s->run);
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
		if (add_target(s, argv[i], NULL, -1) < 0)
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
	if (s->n_hosts && judge_hosts(s, &worst, &mismatched) < 0)
		rc = nomem();
	scan_summary(s, worst, mismatched);
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
