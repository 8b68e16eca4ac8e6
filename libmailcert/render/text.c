/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Text for people:
 *
 *   smtp://mail.test:25  WARNING
 *     connected to 127.0.0.1:25 · TLS1.3 TLS_AES_128_GCM_SHA256 · 0.012 s
 *     name mail.test matched
 *     chain as served:
 *       0 CN=mail.test
 *           issuer CN=Test Intermediate · EC-P256 · ECDSA-SHA256
 *           valid 2026-11-01 → 2027-02-01 (expires in 20 days)
 *     WARNING  cert.expiring: ...
 *
 * After a failure (no chain) only the first line and the findings. -v
 * adds the stage timings (after a failure too: they show where it
 * stopped), full timestamps, and serial, SHA-256 and SANs per
 * certificate. Every string from the report goes through mc_buf_clean():
 * names and messages can carry a server's bytes, and a terminal must not
 * receive its control sequences or a forged line.
 */
#include "render.h"

#define SEP " · "

/* A string from the report; "?" stands for one the evaluator could not fill. */
static void put(struct mc_buf *b, const char *s)
{
	mc_buf_clean(b, s ? s : "?", MC_CLEAN_CONTROLS);
}

static void text_connection(struct mc_buf *b, const mailcert_observation *obs)
{
	const char *peer = mailcert_observation_peer(obs);
	const char *version = mailcert_observation_tls_version(obs);
	const char *alpn = mailcert_observation_tls_alpn(obs);
	char total[MC_SECONDS_MAX];

	if (!peer[0] && !version)
		return; /* certificates read from files: nothing was connected */
	mc_render_seconds(total, mailcert_observation_timings(obs).total_s);
	mc_buf_puts(b, "  ");
	if (peer[0]) {
		mc_buf_puts(b, "connected to ");
		put(b, peer);
		mc_buf_puts(b, SEP);
	}
	if (version) {
		put(b, version);
		mc_buf_puts(b, " ");
		put(b, mailcert_observation_tls_cipher(obs));
		mc_buf_puts(b, SEP);
	}
	if (alpn) {
		mc_buf_puts(b, "ALPN ");
		put(b, alpn);
		mc_buf_puts(b, SEP);
	}
	mc_buf_printf(b, "%s s\n", total);
}

static void text_timings(struct mc_buf *b, const mailcert_observation *obs)
{
	mailcert_timings t = mailcert_observation_timings(obs);
	char connect[MC_SECONDS_MAX], dialogue[MC_SECONDS_MAX], handshake[MC_SECONDS_MAX],
	    total[MC_SECONDS_MAX];

	mc_render_seconds(connect, t.connect_s);
	mc_render_seconds(dialogue, t.dialogue_s);
	mc_render_seconds(handshake, t.handshake_s);
	mc_render_seconds(total, t.total_s);
	mc_buf_printf(
	    b, "  timings connect %s s" SEP "dialogue %s s" SEP "handshake %s s" SEP "total %s s\n",
	    connect, dialogue, handshake, total);
}

static void text_validity(struct mc_buf *b, const mailcert_cert_info *c, time_t now, int verbosity)
{
	enum mc_time_style style = verbosity > 0 ? MC_TIME_ISO : MC_TIME_DATE;
	char from[MC_TIME_MAX], to[MC_TIME_MAX], span[MC_DURATION_MAX];

	mc_render_time(from, c->not_before, style);
	mc_render_time(to, c->not_after, style);
	mc_buf_printf(b, "        valid %s → %s ", from, to);
	if (c->not_before > now) {
		mc_render_duration(span, (long long)(c->not_before - now));
		mc_buf_printf(b, "(not yet valid, starts in %s)\n", span);
	} else if (c->remaining_s < 0) {
		mc_render_duration(span, c->remaining_s);
		mc_buf_printf(b, "(expired %s ago)\n", span);
	} else {
		mc_render_duration(span, c->remaining_s);
		mc_buf_printf(b, "(expires in %s)\n", span);
	}
}

static void text_identity(struct mc_buf *b, const mailcert_cert_info *c)
{
	mc_buf_puts(b, "        serial ");
	put(b, c->serial);
	mc_buf_puts(b, "\n        sha256 ");
	put(b, c->sha256);
	mc_buf_puts(b, "\n        san ");
	if (!c->san || !c->san[0])
		mc_buf_puts(b, "(none)");
	for (size_t i = 0; c->san && c->san[i]; i++) {
		mc_buf_puts(b, i ? ", " : "");
		put(b, c->san[i]);
	}
	mc_buf_puts(b, "\n");
}

static void text_cert(struct mc_buf *b, const mailcert_report *r, size_t index, int verbosity)
{
	const mailcert_cert_info *c = mailcert_report_cert(r, index);

	mc_buf_printf(b, "    %zu ", index);
	put(b, c->subject);
	mc_buf_puts(b, "\n        issuer ");
	put(b, c->issuer);
	mc_buf_puts(b, SEP);
	put(b, c->key);
	mc_buf_puts(b, SEP);
	put(b, c->signature);
	mc_buf_puts(b, "\n");
	text_validity(b, c, mailcert_report_now(r), verbosity);
	if (verbosity > 0)
		text_identity(b, c);
}

static void text_findings(struct mc_buf *b, const mailcert_report *r)
{
	size_t n = mailcert_report_finding_count(r);

	if (n == 0)
		mc_buf_puts(b, "  no findings\n");
	for (size_t i = 0; i < n; i++) {
		const mailcert_finding *f = mailcert_report_finding(r, i);

		/* Padded to CRITICAL's width, so that the codes line up. */
		mc_buf_printf(b, "  %-8s %s: ", mailcert_state_name(mailcert_finding_severity(f)),
			      mailcert_finding_code(f));
		put(b, mailcert_finding_message(f));
		mc_buf_puts(b, "\n");
	}
}

void mc_render_text(struct mc_buf *b, const mailcert_report *r, int verbosity)
{
	const mailcert_observation *obs = mailcert_report_observation(r);
	size_t certs = mailcert_report_cert_count(r);

	put(b, mailcert_observation_target(obs));
	if (mailcert_observation_key_type(obs))
		mc_buf_printf(b, " (%s)", mailcert_observation_key_type(obs));
	mc_buf_printf(b, "  %s\n", mailcert_state_name(mailcert_report_state(r)));
	/* Without a chain the peer may be the address that refused us: not "connected". */
	if (certs > 0)
		text_connection(b, obs);
	if (verbosity > 0 && !mailcert_observation_file(obs)) /* a file took no stages */
		text_timings(b, obs);
	if (mailcert_report_matched_name(r)) {
		mc_buf_puts(b, "  name ");
		put(b, mailcert_report_matched_name(r));
		mc_buf_puts(b, " matched\n");
	}
	if (certs > 0)
		mc_buf_puts(b, mailcert_observation_file(obs) ? "  chain in the file:\n"
							      : "  chain as served:\n");
	for (size_t i = 0; i < certs; i++)
		text_cert(b, r, i, verbosity);
	text_findings(b, r);
}
