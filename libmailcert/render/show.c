/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `mailcert show`: what `openssl s_client -starttls X -showcerts` tells,
 * readable. The plaintext dialogue as it happened (already escaped by the
 * probe), then the text rendering with every detail, then optionally each
 * certificate as sent, in PEM.
 */
#include <string.h>

#include <gnutls/gnutls.h>

#include "render.h"

static void show_dialogue(struct mc_buf *b, const mailcert_observation *obs)
{
	const char *t = mailcert_observation_transcript(obs);

	if (!*t)
		return;
	mc_buf_puts(b, "plaintext dialogue:\n");
	for (const char *line = t; *line;) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);

		mc_buf_puts(b, "  ");
		mc_buf_add(b, line, n);
		mc_buf_puts(b, "\n");
		line += n + (end ? 1 : 0);
	}
}

static void show_pem(struct mc_buf *b, const mailcert_observation *obs)
{
	size_t n = mailcert_observation_chain_length(obs);

	for (size_t i = 0; i < n; i++) {
		const unsigned char *der;
		size_t len;
		gnutls_datum_t in, pem = {NULL, 0};

		if (mailcert_observation_cert_der(obs, i, &der, &len) < 0)
			continue;
		in.data = (unsigned char *)der;
		in.size = (unsigned)len;
		if (gnutls_pem_base64_encode2("CERTIFICATE", &in, &pem) < 0) {
			b->failed = 1;
			return;
		}
		mc_buf_add(b, (const char *)pem.data, pem.size);
		gnutls_free(pem.data);
	}
}

void mc_render_show(struct mc_buf *b, const mailcert_report *report, int verbosity, int pem)
{
	const mailcert_observation *obs = mailcert_report_observation(report);

	show_dialogue(b, obs);
	if (*mailcert_observation_transcript(obs))
		mc_buf_puts(b, "\n");
	mc_render_text(b, report, verbosity > 0 ? verbosity : 1, 0);
	if (pem)
		show_pem(b, obs);
}
