/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Text for people: the verdict first, then the findings, then how the
 * certificate was reached and the chain as a tree, the leaf at the top
 * and each certificate sent after it indented under it:
 *
 *   smtp://mail.test:25  WARNING
 *     WARNING  cert.expiring: ...
 *     connected to 127.0.0.1:25 · TLS1.3 TLS_AES_128_GCM_SHA256 · 0.012 s
 *     name mail.test matched
 *     chain as served:
 *       0 CN=mail.test
 *         issuer CN=Test Intermediate · EC-P256 · ECDSA-SHA256
 *         valid 2026-11-01 → 2027-02-01 (expires in 20 days)
 *         └─ 1 CN=Test Intermediate
 *              issuer CN=Test Root · RSA-2048 · RSA-SHA256
 *              valid 2026-01-01 → 2031-01-01 (expires in 1450 days)
 *
 * The tree follows the order the certificates were sent in, which is
 * what a server must send (each one's issuer next); the issuer line of
 * each shows when it did not (chain.order says so as a finding).
 * After a failure (no chain) only the first line and the findings. -v
 * adds the stage timings (after a failure too: they show where it
 * stopped), full timestamps, and serial, SHA-256 and SANs per
 * certificate. Every string from the report goes through mc_buf_clean():
 * names and messages can carry a server's bytes, and a terminal must not
 * receive its control sequences or a forged line.
 *
 * MAILCERT_FORMAT_TEXT_COLOR is the same text with the state on the first
 * line and each finding's severity in ANSI colour; nothing else differs,
 * so that the two never disagree on the words. Whether to use colour
 * (a terminal, NO_COLOR) is the caller's decision, not the renderer's.
 */
#include <string.h>

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

/*
 * Where a certificate's detail lines start: under its index, two columns
 * in, and five more per level of the tree (the "└─ " and the index).
 */
static int detail_indent(size_t depth)
{
	return 6 + 5 * (int)(depth < 20 ? depth : 20);
}

static void text_validity(struct mc_buf *b, const mailcert_cert_info *c, time_t now, int verbosity,
			  int indent)
{
	enum mc_time_style style = verbosity > 0 ? MC_TIME_ISO : MC_TIME_DATE;
	char from[MC_TIME_MAX], to[MC_TIME_MAX], span[MC_DURATION_MAX];

	mc_render_time(from, c->not_before, style);
	mc_render_time(to, c->not_after, style);
	mc_buf_printf(b, "%*svalid %s → %s ", indent, "", from, to);
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

static void text_identity(struct mc_buf *b, const mailcert_cert_info *c, int indent)
{
	mc_buf_printf(b, "%*sserial ", indent, "");
	put(b, c->serial);
	mc_buf_printf(b, "\n%*ssha256 ", indent, "");
	put(b, c->sha256);
	mc_buf_printf(b, "\n%*ssan ", indent, "");
	if (!c->san || !c->san[0])
		mc_buf_puts(b, "(none)");
	for (size_t i = 0; c->san && c->san[i]; i++) {
		mc_buf_puts(b, i ? ", " : "");
		put(b, c->san[i]);
	}
	mc_buf_puts(b, "\n");
}

/* Certificate @index as a node of the tree: the leaf at the top, each next one under it. */
static void text_cert(struct mc_buf *b, const mailcert_report *r, size_t index, int verbosity)
{
	const mailcert_cert_info *c = mailcert_report_cert(r, index);
	int indent = detail_indent(index);

	if (index == 0)
		mc_buf_puts(b, "    ");
	else
		mc_buf_printf(b, "%*s└─ ", detail_indent(index - 1), "");
	mc_buf_printf(b, "%zu ", index);
	put(b, c->subject);
	mc_buf_printf(b, "\n%*sissuer ", indent, "");
	put(b, c->issuer);
	mc_buf_puts(b, SEP);
	put(b, c->key);
	mc_buf_puts(b, SEP);
	put(b, c->signature);
	mc_buf_puts(b, "\n");
	text_validity(b, c, mailcert_report_now(r), verbosity, indent);
	if (verbosity > 0)
		text_identity(b, c, indent);
}

/* ANSI SGR colours of the states, in mailcert_state order: OK, WARNING, CRITICAL, UNKNOWN. */
static const char *const state_colour[] = {"32", "33", "31", "35"};

/* @state's name, in its colour when @colour (bold too when @bold). */
static void put_state(struct mc_buf *b, mailcert_state state, int colour, int bold)
{
	const char *name = mailcert_state_name(state);

	if (!colour || (unsigned)state >= sizeof(state_colour) / sizeof(state_colour[0])) {
		mc_buf_puts(b, name);
		return;
	}
	mc_buf_printf(b, "\033[%s%sm%s\033[0m", bold ? "1;" : "", state_colour[state], name);
}

static void text_findings(struct mc_buf *b, const mailcert_report *r, int colour)
{
	size_t n = mailcert_report_finding_count(r);

	if (n == 0)
		mc_buf_puts(b, "  no findings\n");
	for (size_t i = 0; i < n; i++) {
		const mailcert_finding *f = mailcert_report_finding(r, i);
		mailcert_state severity = mailcert_finding_severity(f);
		int width = (int)strlen(mailcert_state_name(severity));

		/* Padded to CRITICAL's width, so that the codes line up; the
		 * padding after the colour's reset, so that it is the same. */
		mc_buf_puts(b, "  ");
		put_state(b, severity, colour, 0);
		mc_buf_printf(b, "%*s %s: ", width < 8 ? 8 - width : 0, "",
			      mailcert_finding_code(f));
		put(b, mailcert_finding_message(f));
		mc_buf_puts(b, "\n");
	}
}

void mc_render_text(struct mc_buf *b, const mailcert_report *r, int verbosity, int colour)
{
	const mailcert_observation *obs = mailcert_report_observation(r);
	size_t certs = mailcert_report_cert_count(r);

	put(b, mailcert_observation_target(obs));
	if (mailcert_observation_key_type(obs))
		mc_buf_printf(b, " (%s)", mailcert_observation_key_type(obs));
	mc_buf_puts(b, "  ");
	put_state(b, mailcert_report_state(r), colour, 1);
	mc_buf_puts(b, "\n");
	text_findings(b, r, colour);
	/* Without a chain the peer may be the address that refused us: not "connected". */
	if (certs > 0)
		text_connection(b, obs);
	/* A file or a domain's own report took no stages. */
	if (verbosity > 0 && !mailcert_observation_file(obs) && !mailcert_observation_domain(obs))
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
}
