/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Nagios plugin output, per the monitoring-plugins development guidelines
 * and CLI.md:
 *
 *   MAILCERT WARNING - smtp://mail.test:25: <worst message> (and 1 more) | <perfdata>
 *   WARNING cert.expiring: <message>
 *   WARNING tls.version: <message>
 *
 * Nagios reads everything after a '|' on *any* line as perfdata, and a
 * newline starts a new line of long output. Messages quote servers and
 * certificate names are the server's choice, so every string from the
 * report is written with '|', control bytes and invalid UTF-8 as \xNN
 * (mc_buf_clean()): lossless, and the notation mc_quote() already uses for
 * untrusted bytes, so a reader sees one convention everywhere.
 *
 * Perfdata is in base units: 'cert_remaining' for the certificate of the
 * chain that expires first, with its thresholds as ranges ("N:" alerts
 * below N), then 'time', and with -v the time of each stage.
 */
#include <ctype.h>
#include <stdlib.h>
#include <strings.h>

#include "render.h"

#define CLEAN (MC_CLEAN_CONTROLS | MC_CLEAN_PIPE)

/* The certificate expiring first (the leaf on a tie), or -1 without a chain. */
static long earliest_cert(const mailcert_report *r)
{
	size_t n = mailcert_report_cert_count(r);
	long best = n > 0 ? 0 : -1;

	for (size_t i = 1; i < n; i++)
		if (mailcert_report_cert(r, i)->not_after <
		    mailcert_report_cert(r, best)->not_after)
			best = (long)i;
	return best;
}

/* The finding that sets the state: the first whose severity is the state; -1 if none. */
static long worst_finding(const mailcert_report *r)
{
	mailcert_state state = mailcert_report_state(r);
	size_t n = mailcert_report_finding_count(r);

	for (size_t i = 0; i < n; i++)
		if (mailcert_finding_severity(mailcert_report_finding(r, i)) == state)
			return (long)i;
	return n > 0 ? 0 : -1;
}

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/*
 * Appends the first CN of the RFC 4514 DN @dn, unescaped, to @out.
 * Returns 0 when the DN has no CN.
 */
static int dn_common_name(struct mc_buf *out, const char *dn)
{
	const char *p = dn;

	while (*p) {
		int is_cn = strncasecmp(p, "CN=", 3) == 0;

		/* An attribute value runs to an unescaped ',' (next RDN) or '+' (same RDN). */
		for (p += is_cn ? 3 : 0; *p && *p != ',' && *p != '+'; p++) {
			char c = *p;

			if (c == '\\' && isxdigit((unsigned char)p[1]) &&
			    isxdigit((unsigned char)p[2])) {
				c = (char)(hexval(p[1]) << 4 | hexval(p[2]));
				p += 2;
			} else if (c == '\\' && p[1]) {
				c = *++p;
			}
			/* "good.example\00.evil.example" must not read as good.example. */
			if (is_cn && c == '\0')
				mc_buf_puts(out, "\\x00");
			else if (is_cn)
				mc_buf_add(out, &c, 1);
		}
		if (is_cn)
			return 1;
		if (*p)
			p++;
	}
	return 0;
}

/* The name the certificate was found valid for, else the leaf's CN, else nothing. */
static void certificate_name(struct mc_buf *b, const mailcert_report *r)
{
	const char *matched = mailcert_report_matched_name(r);
	const char *subject = mailcert_report_cert(r, 0)->subject;
	struct mc_buf cn = {0};

	if (matched) {
		mc_buf_puts(b, " for ");
		mc_buf_clean(b, matched, CLEAN);
		return;
	}
	if (subject && dn_common_name(&cn, subject) && cn.data) {
		mc_buf_puts(b, " for ");
		mc_buf_clean(b, cn.data, CLEAN);
	}
	b->failed |= cn.failed;
	free(cn.data);
}

static void nagios_validity(struct mc_buf *b, const mailcert_report *r)
{
	long first = earliest_cert(r);
	const mailcert_cert_info *c;
	char date[MC_TIME_MAX], span[MC_DURATION_MAX];

	if (first < 0) {
		mc_buf_puts(b, "no certificate received");
		return;
	}
	c = mailcert_report_cert(r, (size_t)first);
	mc_render_time(date, c->not_after, MC_TIME_DATE);
	mc_render_duration(span, c->remaining_s);
	mc_buf_puts(b, "certificate");
	certificate_name(b, r);
	if (c->remaining_s < 0)
		mc_buf_printf(b, " expired %s (%s ago", date, span);
	else
		mc_buf_printf(b, " valid until %s (%s", date, span);
	/* An intermediate that expires first ends the chain's validity: say which. */
	if (first > 0)
		mc_buf_printf(b, ", limited by chain certificate %ld", first);
	mc_buf_puts(b, ")");
}

static void nagios_summary(struct mc_buf *b, const mailcert_report *r)
{
	long worst = worst_finding(r);
	size_t n = mailcert_report_finding_count(r);
	const char *key_type = mailcert_observation_key_type(mailcert_report_observation(r));

	mc_buf_clean(b, mailcert_observation_target(mailcert_report_observation(r)), CLEAN);
	if (key_type)
		mc_buf_printf(b, " (%s)", key_type);
	mc_buf_puts(b, ": ");
	if (mailcert_report_state(r) == MAILCERT_OK || worst < 0) {
		nagios_validity(b, r);
		return;
	}
	mc_buf_clean(b, mailcert_finding_message(mailcert_report_finding(r, (size_t)worst)), CLEAN);
	if (n > 1)
		mc_buf_printf(b, " (and %zu more)", n - 1);
}

static void perf_seconds(struct mc_buf *b, const char *label, double seconds)
{
	char s[MC_SECONDS_MAX];

	mc_render_seconds(s, seconds);
	mc_buf_printf(b, " '%s'=%ss", label, s);
}

static void nagios_perfdata(struct mc_buf *b, const mailcert_report *r, int verbosity)
{
	mailcert_timings t = mailcert_observation_timings(mailcert_report_observation(r));
	long first = earliest_cert(r);

	mc_buf_puts(b, " |");
	if (first >= 0) {
		const mailcert_cert_info *c = mailcert_report_cert(r, (size_t)first);

		mc_buf_printf(b, " 'cert_remaining'=%llds;%lld:;%lld:;0;", c->remaining_s,
			      c->warning_s, c->critical_s);
	}
	perf_seconds(b, "time", t.total_s);
	if (verbosity > 0) {
		perf_seconds(b, "connect_time", t.connect_s);
		perf_seconds(b, "dialogue_time", t.dialogue_s);
		perf_seconds(b, "handshake_time", t.handshake_s);
	}
}

void mc_render_nagios(struct mc_buf *b, const mailcert_report *r, int verbosity)
{
	size_t n = mailcert_report_finding_count(r);

	mc_buf_printf(b, "MAILCERT %s - ", mailcert_state_name(mailcert_report_state(r)));
	nagios_summary(b, r);
	nagios_perfdata(b, r, verbosity);
	mc_buf_puts(b, "\n");
	for (size_t i = 0; i < n; i++) {
		const mailcert_finding *f = mailcert_report_finding(r, i);

		mc_buf_printf(b, "%s %s: ", mailcert_state_name(mailcert_finding_severity(f)),
			      mailcert_finding_code(f));
		mc_buf_clean(b, mailcert_finding_message(f), CLEAN);
		mc_buf_puts(b, "\n");
	}
}
