/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Prometheus text exposition format (version 0.0.4): one family per
 * metric, its HELP and TYPE once, then the samples of every report, so a
 * run over many targets is one valid exposition (the format forbids a
 * family to appear twice). Base units: seconds, Unix timestamps.
 *
 * Label values come from the server (subjects) and the user (targets):
 * they are escaped as the format requires, cleaned of invalid UTF-8 and
 * cut to a bound, so a hostile certificate can neither break the output
 * nor inflate it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

#define LABEL_MAX 256 /* bytes of one label value, before escaping */

/* Appends @s as a label value: quoted, \\ \" \n escaped, at most LABEL_MAX bytes. */
static void label_value(struct mc_buf *b, const char *s)
{
	struct mc_buf clean = {0};
	size_t n;

	mc_buf_clean(&clean, s ? s : "", MC_CLEAN_CONTROLS);
	if (clean.failed) {
		b->failed = 1;
		return;
	}
	n = clean.len;
	if (n > LABEL_MAX) {
		n = LABEL_MAX;
		/* Not inside a UTF-8 sequence: back up over continuation bytes. */
		while (n > 0 && ((unsigned char)clean.data[n] & 0xc0) == 0x80)
			n--;
	}
	mc_buf_puts(b, "\"");
	for (size_t i = 0; i < n; i++) {
		char c = clean.data[i];

		if (c == '\\' || c == '"')
			mc_buf_add(b, "\\", 1);
		mc_buf_add(b, &c, 1);
	}
	mc_buf_puts(b, "\"");
	free(clean.data);
}

static void family(struct mc_buf *b, const char *name, const char *help)
{
	mc_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void label(struct mc_buf *b, const char *name, const char *value)
{
	mc_buf_printf(b, ",%s=", name);
	label_value(b, value);
}

/*
 * Starts a sample: NAME{target="…" (and key_type="…" for a handshake
 * restricted to one key type, so --all-keys gives distinct series); the
 * caller adds labels, then closes it with value().
 */
static void sample(struct mc_buf *b, const char *name, const mailcert_report *r)
{
	const mailcert_observation *obs = mailcert_report_observation(r);

	mc_buf_printf(b, "%s{target=", name);
	label_value(b, mailcert_observation_target(obs));
	if (mailcert_observation_key_type(obs))
		label(b, "key_type", mailcert_observation_key_type(obs));
}

static void value_int(struct mc_buf *b, long long v)
{
	mc_buf_printf(b, "} %lld\n", v);
}

static int succeeded(const mailcert_report *r)
{
	const mailcert_observation *obs = mailcert_report_observation(r);

	return !mailcert_observation_failure(obs, NULL) && mailcert_report_cert_count(r) > 0;
}

static const char *severity_name(mailcert_state s)
{
	static const char *const names[] = {"ok", "warning", "critical", "unknown"};

	return (unsigned)s < 4 ? names[s] : "unknown";
}

/* One sample per distinct (code, severity) of @r, valued by how often it occurs. */
static void findings(struct mc_buf *b, const mailcert_report *r)
{
	size_t n = mailcert_report_finding_count(r);

	for (size_t i = 0; i < n; i++) {
		const mailcert_finding *f = mailcert_report_finding(r, i);
		long long count = 0;
		size_t j;

		for (j = 0; j < i; j++) {
			const mailcert_finding *g = mailcert_report_finding(r, j);

			if (strcmp(mailcert_finding_code(g), mailcert_finding_code(f)) == 0 &&
			    mailcert_finding_severity(g) == mailcert_finding_severity(f))
				break;
		}
		if (j < i)
			continue; /* counted at its first occurrence */
		for (j = i; j < n; j++) {
			const mailcert_finding *g = mailcert_report_finding(r, j);

			count += strcmp(mailcert_finding_code(g), mailcert_finding_code(f)) == 0 &&
				 mailcert_finding_severity(g) == mailcert_finding_severity(f);
		}
		sample(b, "mailcert_finding", r);
		label(b, "code", mailcert_finding_code(f));
		label(b, "severity", severity_name(mailcert_finding_severity(f)));
		value_int(b, count);
	}
}

static void certs(struct mc_buf *b, const mailcert_report *r, int not_after)
{
	for (size_t i = 0; i < mailcert_report_cert_count(r); i++) {
		const mailcert_cert_info *c = mailcert_report_cert(r, i);
		char position[24];

		snprintf(position, sizeof(position), "%zu", i);
		sample(b, not_after ? "mailcert_cert_not_after_timestamp_seconds"
				    : "mailcert_cert_not_before_timestamp_seconds",
		       r);
		label(b, "position", position);
		label(b, "subject", c->subject);
		label(b, "sha256", c->sha256);
		value_int(b, (long long)(not_after ? c->not_after : c->not_before));
	}
}

/*
 * The leaf's renewal window (--ari), as far as CAs gave one: the families
 * only then, so an exposition without ARI is as it always was.
 */
static void ari(struct mc_buf *b, const mailcert_report *const *reports, size_t n, int end)
{
	const char *name = end ? "mailcert_ari_window_end_timestamp_seconds"
			       : "mailcert_ari_window_start_timestamp_seconds";
	int named = 0;

	for (size_t i = 0; i < n; i++) {
		const mailcert_ari_window *w = mailcert_report_ari(reports[i]);

		if (!w)
			continue;
		if (!named++)
			family(b, name,
			       end ? "End of the window in which the leaf's CA suggests renewing it (ARI)."
				   : "Start of the window in which the leaf's CA suggests renewing it "
				     "(ARI).");
		sample(b, name, reports[i]);
		value_int(b, (long long)(end ? w->end : w->start));
	}
}

void mc_render_prometheus(struct mc_buf *b, const mailcert_report *const *reports, size_t n)
{
	char seconds[MC_SECONDS_MAX];

	family(b, "mailcert_probe_success",
	       "Whether the check reached the certificate chain (1) or failed before (0).");
	for (size_t i = 0; i < n; i++) {
		sample(b, "mailcert_probe_success", reports[i]);
		value_int(b, succeeded(reports[i]));
	}
	family(b, "mailcert_probe_duration_seconds", "Wall time of the whole check.");
	for (size_t i = 0; i < n; i++) {
		mc_render_seconds(seconds, mailcert_observation_timings(
					       mailcert_report_observation(reports[i]))
					       .total_s);
		sample(b, "mailcert_probe_duration_seconds", reports[i]);
		mc_buf_printf(b, "} %s\n", seconds);
	}
	family(b, "mailcert_state",
	       "The check's verdict: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, as the exit status.");
	for (size_t i = 0; i < n; i++) {
		sample(b, "mailcert_state", reports[i]);
		value_int(b, (long long)mailcert_report_state(reports[i]));
	}
	family(b, "mailcert_tls_version_info", "The negotiated TLS version, as a label.");
	for (size_t i = 0; i < n; i++) {
		const char *v =
		    mailcert_observation_tls_version(mailcert_report_observation(reports[i]));

		if (!v)
			continue;
		sample(b, "mailcert_tls_version_info", reports[i]);
		label(b, "version", v);
		value_int(b, 1);
	}
	family(b, "mailcert_cert_not_after_timestamp_seconds",
	       "End of validity of each certificate as sent (position 0 is the leaf).");
	for (size_t i = 0; i < n; i++)
		certs(b, reports[i], 1);
	family(b, "mailcert_cert_not_before_timestamp_seconds",
	       "Start of validity of each certificate as sent (position 0 is the leaf).");
	for (size_t i = 0; i < n; i++)
		certs(b, reports[i], 0);
	family(b, "mailcert_finding", "Findings of the check by code and severity, counted.");
	for (size_t i = 0; i < n; i++)
		findings(b, reports[i]);
	ari(b, reports, n, 0);
	ari(b, reports, n, 1);
}

void mc_render_consistency_prometheus(struct mc_buf *b, const mailcert_consistency *const *c,
				      size_t n)
{
	family(
	    b, "mailcert_scan_leaf_certificates",
	    "Distinct leaf certificates served on the open mail ports of a host (1: consistent)");
	for (size_t i = 0; i < n; i++) {
		mc_buf_puts(b, "mailcert_scan_leaf_certificates{host=");
		label_value(b, c[i]->host);
		if (c[i]->key_type == MAILCERT_KEY_RSA || c[i]->key_type == MAILCERT_KEY_ECDSA)
			label(b, "key_type", c[i]->key_type == MAILCERT_KEY_RSA ? "RSA" : "ECDSA");
		value_int(b, (long long)c[i]->n_leaves);
	}
}
