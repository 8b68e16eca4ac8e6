/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Nagios plugin output, per the monitoring-plugins development guidelines
 * (docs/output.md has the whole shape):
 *
 *   MAILCERT WARNING - smtp://mail.test:25: <worst message> (and 1 more) | <perfdata>
 *   WARNING cert.expiring: <message>
 *   WARNING tls.version: <message>
 *
 * then, with -v, -vv and -vvv, more long output (see mc_render_nagios()).
 *
 * Nagios reads everything after a '|' on *any* line as perfdata, and a
 * newline starts a new line of long output. Messages quote servers and
 * certificate names are the server's choice, so every string from the
 * report is written with '|', control bytes and invalid UTF-8 as \xNN
 * (mc_buf_clean()): lossless, and the notation mc_quote() already uses for
 * untrusted bytes, so a reader sees one convention everywhere.
 *
 * Perfdata is in base units and the same at every verbosity:
 * 'cert_remaining' for the certificate of the chain that expires first,
 * with its thresholds as ranges ("N:" alerts below N), 'cert_remaining_N'
 * for each certificate by position, then 'time' and the time of each
 * stage. No label or value comes from the server.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* A mail domain in order: "2 MX hosts OK", else its first finding (a null MX). */
static void domain_summary(struct mc_buf *b, const mailcert_report *r)
{
	size_t n = mailcert_report_finding_count(r);
	size_t hosts = mailcert_report_observation(r)->domain_hosts;

	if (hosts)
		mc_buf_printf(b, "%zu MX host%s OK", hosts, hosts == 1 ? "" : "s");
	else if (n)
		mc_buf_clean(b, mailcert_finding_message(mailcert_report_finding(r, 0)), CLEAN);
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
	if ((mailcert_report_state(r) == MAILCERT_OK || worst < 0) &&
	    mailcert_observation_domain(mailcert_report_observation(r))) {
		domain_summary(b, r);
		return;
	}
	if (mailcert_report_state(r) == MAILCERT_OK || worst < 0) {
		nagios_validity(b, r);
		return;
	}
	mc_buf_clean(b, mailcert_finding_message(mailcert_report_finding(r, (size_t)worst)), CLEAN);
	if (n > 1)
		mc_buf_printf(b, " (and %zu more)", n - 1);
}

/*
 * Appends one perfdata label. Always quoted, so that no label needs a
 * rule of its own; a quote inside is doubled, as the guidelines say.
 */
static void perf_label(struct mc_buf *b, const char *label)
{
	mc_buf_puts(b, " '");
	for (const char *p = label; *p; p++)
		mc_buf_add(b, *p == '\'' ? "''" : p, *p == '\'' ? 2 : 1);
	mc_buf_puts(b, "'=");
}

static void perf_seconds(struct mc_buf *b, const char *label, double seconds)
{
	char s[MC_SECONDS_MAX];

	mc_render_seconds(s, seconds);
	perf_label(b, label);
	mc_buf_printf(b, "%ss", s);
}

/*
 * Remaining validity in seconds; warn and crit as the ranges "N:" (alert
 * below N) that the certificate's own thresholds resolved to; minimum 0.
 */
static void perf_remaining(struct mc_buf *b, const char *label, const mailcert_cert_info *c)
{
	perf_label(b, label);
	mc_buf_printf(b, "%llds;%lld:;%lld:;0;", c->remaining_s, c->warning_s, c->critical_s);
}

/* A certificate file or a mail domain's own report: no connection, no stages. */
static int no_connection(const mailcert_observation *obs)
{
	return mailcert_observation_file(obs) || mailcert_observation_domain(obs);
}

/*
 * The same labels at every verbosity and in every state, so that a
 * grapher's series do not come and go: a stage not reached is 0. A
 * certificate file took no time, so it has no time perfdata.
 */
static void nagios_perfdata(struct mc_buf *b, const mailcert_report *r)
{
	const mailcert_observation *obs = mailcert_report_observation(r);
	mailcert_timings t = mailcert_observation_timings(obs);
	size_t n = mailcert_report_cert_count(r);
	long first = earliest_cert(r);

	if (first < 0 && no_connection(obs))
		return; /* nothing to measure: no '|' with nothing after it */
	mc_buf_puts(b, " |");
	if (first >= 0)
		perf_remaining(b, "cert_remaining", mailcert_report_cert(r, (size_t)first));
	/* Per certificate by its position in the chain as sent (0 = leaf), as everywhere else. */
	for (size_t i = 0; i < n; i++) {
		char label[40];

		snprintf(label, sizeof(label), "cert_remaining_%zu", i);
		perf_remaining(b, label, mailcert_report_cert(r, i));
	}
	if (no_connection(obs))
		return;
	perf_seconds(b, "time", t.total_s);
	perf_seconds(b, "time_connect", t.connect_s);
	perf_seconds(b, "time_dialogue", t.dialogue_s);
	perf_seconds(b, "time_handshake", t.handshake_s);
}

/* One untrusted string, on a line of long output. */
static void put(struct mc_buf *b, const char *s)
{
	mc_buf_clean(b, s ? s : "?", CLEAN);
}

/* -v: where the chain came from. After a failure the peer may be the address that refused. */
static void nagios_connection(struct mc_buf *b, const mailcert_report *r)
{
	const mailcert_observation *obs = mailcert_report_observation(r);
	const char *peer = mailcert_observation_peer(obs);
	const char *version = mailcert_observation_tls_version(obs);
	const char *alpn = mailcert_observation_tls_alpn(obs);

	if (mailcert_observation_file(obs)) {
		mc_buf_puts(b, "file ");
		put(b, mailcert_observation_file(obs));
		mc_buf_puts(b, "\n");
		return;
	}
	if (mailcert_report_cert_count(r) == 0 || (!peer[0] && !version))
		return;
	mc_buf_puts(b, "connected to ");
	put(b, peer[0] ? peer : "?");
	if (version) {
		mc_buf_puts(b, "; ");
		put(b, version);
		mc_buf_puts(b, " ");
		put(b, mailcert_observation_tls_cipher(obs));
	}
	if (alpn) {
		mc_buf_puts(b, "; ALPN ");
		put(b, alpn);
	}
	mc_buf_puts(b, "\n");
}

/* -v: one line per certificate; -vv: full timestamps and a line of identity and thresholds. */
static void nagios_cert(struct mc_buf *b, const mailcert_report *r, size_t i, int verbosity)
{
	const mailcert_cert_info *c = mailcert_report_cert(r, i);
	enum mc_time_style style = verbosity > 1 ? MC_TIME_ISO : MC_TIME_DATE;
	char from[MC_TIME_MAX], to[MC_TIME_MAX], span[MC_DURATION_MAX];
	time_t now = mailcert_report_now(r);

	mc_render_time(from, c->not_before, style);
	mc_render_time(to, c->not_after, style);
	mc_buf_printf(b, "chain %zu ", i);
	put(b, c->subject);
	mc_buf_puts(b, "; issuer ");
	put(b, c->issuer);
	mc_buf_puts(b, "; ");
	put(b, c->key);
	mc_buf_puts(b, "; ");
	put(b, c->signature);
	mc_buf_printf(b, "; valid %s to %s ", from, to);
	if (c->not_before > now) {
		mc_render_duration(span, (long long)(c->not_before - now));
		mc_buf_printf(b, "(not yet valid, starts in %s)\n", span);
	} else {
		mc_render_duration(span, c->remaining_s);
		mc_buf_printf(b, c->remaining_s < 0 ? "(expired %s ago)\n" : "(expires in %s)\n",
			      span);
	}
	if (verbosity < 2)
		return;
	mc_buf_printf(b, "chain %zu serial ", i);
	put(b, c->serial);
	mc_buf_puts(b, "; sha256 ");
	put(b, c->sha256);
	mc_buf_puts(b, "; san ");
	if (!c->san || !c->san[0])
		mc_buf_puts(b, "(none)");
	for (size_t k = 0; c->san && c->san[k]; k++) {
		mc_buf_puts(b, k ? ", " : "");
		put(b, c->san[k]);
	}
	mc_buf_printf(b, "; warning below %llds; critical below %llds\n", c->warning_s,
		      c->critical_s);
}

/* -vv: what the check was configured with and how long each stage took. */
static void nagios_config(struct mc_buf *b, const mailcert_report *r)
{
	const mailcert_observation *obs = mailcert_report_observation(r);
	mailcert_timings t = mailcert_observation_timings(obs);
	char at[MC_TIME_MAX], s[4][MC_SECONDS_MAX];

	mc_render_time(at, mailcert_report_now(r), MC_TIME_ISO);
	mc_buf_printf(b, "evaluated at %s\n", at);
	if (no_connection(obs))
		return;
	mc_render_seconds(s[0], t.connect_s);
	mc_render_seconds(s[1], t.dialogue_s);
	mc_render_seconds(s[2], t.handshake_s);
	mc_render_seconds(s[3], t.total_s);
	mc_buf_printf(b, "timings connect %s s; dialogue %s s; handshake %s s; total %s s\n", s[0],
		      s[1], s[2], s[3]);
}

/* -vvv: the plaintext dialogue, a line each, as the probe recorded it. */
static void nagios_transcript(struct mc_buf *b, const mailcert_report *r)
{
	const mailcert_observation *obs = mailcert_report_observation(r);
	const char *p = mailcert_observation_transcript(obs);

	if (no_connection(obs))
		return;
	if (!p || !*p) {
		mc_buf_puts(b, "no plaintext dialogue\n");
		return;
	}
	while (*p) {
		const char *lf = strchr(p, '\n');
		size_t n = lf ? (size_t)(lf - p) : strlen(p);
		struct mc_buf line = {0};

		/* Cleaned line by line: the newlines are ours, everything else may be the server's.
		 */
		mc_buf_add(&line, p, n);
		if (line.data)
			put(b, line.data);
		b->failed |= line.failed;
		free(line.data);
		mc_buf_puts(b, "\n");
		p += n + (lf ? 1 : 0);
	}
}

/*
 * Verbosity, after the guidelines' four levels:
 *   0  the status line, then one line per finding (long output);
 *   1  and where the chain came from, the name matched, a line per certificate;
 *   2  and full timestamps, serial, SHA-256, SANs and thresholds per
 *      certificate, the evaluation time and the stage timings;
 *   3  and the plaintext dialogue (STARTTLS transcript).
 * Perfdata is the same at every level.
 */
void mc_render_nagios(struct mc_buf *b, const mailcert_report *r, int verbosity)
{
	size_t n = mailcert_report_finding_count(r);

	mc_buf_printf(b, "MAILCERT %s - ", mailcert_state_name(mailcert_report_state(r)));
	nagios_summary(b, r);
	nagios_perfdata(b, r);
	mc_buf_puts(b, "\n");
	for (size_t i = 0; i < n; i++) {
		const mailcert_finding *f = mailcert_report_finding(r, i);

		mc_buf_printf(b, "%s %s: ", mailcert_state_name(mailcert_finding_severity(f)),
			      mailcert_finding_code(f));
		mc_buf_clean(b, mailcert_finding_message(f), CLEAN);
		mc_buf_puts(b, "\n");
	}
	if (verbosity < 1)
		return;
	nagios_connection(b, r);
	if (mailcert_report_matched_name(r)) {
		mc_buf_puts(b, "name ");
		put(b, mailcert_report_matched_name(r));
		mc_buf_puts(b, " matched\n");
	}
	for (size_t i = 0; i < mailcert_report_cert_count(r); i++)
		nagios_cert(b, r, i, verbosity);
	if (verbosity < 2)
		return;
	nagios_config(b, r);
	if (verbosity < 3)
		return;
	nagios_transcript(b, r);
}
