/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What `mailcert scan` prints besides the reports themselves: the
 * progress bar on stderr, and at the end the text table, the Nagios
 * output for the whole scan, the Prometheus extras, and the consistency
 * verdicts of --mail-ports, rendered by the library. All of it from the
 * little each job keeps (state, expiry, first finding).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "scan.h"

/* ------------------------------------------------------------------------ */
/* Progress on stderr */

void progress_clear(struct scan *s)
{
	if (s->progress_drawn) {
		fputs("\r\033[K", stderr);
		s->progress_drawn = 0;
	}
}

void progress_draw(struct scan *s, size_t running, int force)
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
/* Summaries */

static const char *state_name(int state)
{
	return mailcert_state_name((mailcert_state)(state >= 0 && state <= 3 ? state : 3));
}

static const char *key_label(mailcert_key_type t)
{
	return t == MAILCERT_KEY_RSA ? "RSA" : t == MAILCERT_KEY_ECDSA ? "ECDSA" : NULL;
}

static void day(char out[32], time_t t)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%d", &tm))
		snprintf(out, 32, "?");
}

/* The verdicts of --mail-ports in @format, as the library renders them. */
static void verdicts(struct scan *s, mailcert_format format)
{
	char *text = NULL;

	if (!s->n_verdicts)
		return;
	if (mailcert_render_consistency(&text, (const mailcert_consistency *const *)s->verdicts,
					s->n_verdicts, format) < 0) {
		nomem();
		s->out_failed = 1;
		return;
	}
	fputs(text, s->out.stream);
	free(text);
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
		verdicts(s, MAILCERT_FORMAT_TEXT);
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
static void nagios_summary(struct scan *s, int worst, size_t mismatched)
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
		fprintf(f, "; different leaf certificates on %zu host%s", mismatched,
			mismatched > 1 ? "s" : "");
	fprintf(f, " | critical=%zu warning=%zu unknown=%zu ok=%zu closed=%zu\n", counts[2],
		counts[1], counts[3], counts[0], counts[4]);
	for (size_t i = 0; i < s->n; i++) {
		const struct job *j = &s->jobs[i];

		fprintf(f, "%s %s: %s\n", job_state(j), job_name(j, name, sizeof(name)),
			j->closed ? "closed (connect.refused)" : job_finding(j));
	}
	verdicts(s, MAILCERT_FORMAT_NAGIOS);
}

static void prometheus_extra(struct scan *s)
{
	FILE *f = s->out.stream;

	fputs("# HELP mailcert_scan_input_errors Lines and arguments of the scan that are not "
	      "targets\n# TYPE mailcert_scan_input_errors gauge\n",
	      f);
	fprintf(f, "mailcert_scan_input_errors %zu\n", s->input_errors);
	verdicts(s, MAILCERT_FORMAT_PROMETHEUS);
}

void scan_summary(struct scan *s, int worst, size_t mismatched)
{
	switch (s->out.format) {
	case MAILCERT_FORMAT_JSON:
		verdicts(s, MAILCERT_FORMAT_JSON);
		break;
	case MAILCERT_FORMAT_NAGIOS:
		nagios_summary(s, worst, mismatched);
		break;
	case MAILCERT_FORMAT_PROMETHEUS:
		prometheus_extra(s);
		break;
	default:
		text_summary(s, worst);
		break;
	}
}
