/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The exporter's /probe request, parsed: the target, the module and the
 * scrape timeout header become a probe ready to run, or the reason for a
 * 400. Pure (no sockets, no clock), so that the fuzz target
 * tests/fuzz/fuzz-exporter-query.c can feed it anything a client sends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter_query.h"

void exporter_sanitize(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; src && *src && i + 4 < size; src++)
		dst[i++] = (unsigned char)*src >= 0x20 && (unsigned char)*src < 0x7f ? *src : '?';
	if (src && *src && i + 3 < size) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
}

/*
 * The probe's budget: the module's -t, cut to the scrape timeout less a
 * margin (half of it for a scrape timeout under a second). 0, or -1 when
 * the header is not a number of seconds.
 */
static int probe_budget(const char *h, unsigned module_ms, unsigned *ms)
{
	double s, scrape;
	char *end;

	*ms = module_ms;
	if (!h)
		return 0;
	s = strtod(h, &end);
	if (end == h || *end || !(s > 0) || s > 86400)
		return -1;
	scrape = s * 1000;
	scrape = scrape > 2 * EXPORTER_SCRAPE_MARGIN_MS ? scrape - EXPORTER_SCRAPE_MARGIN_MS
							: scrape / 2;
	if (scrape < 1)
		scrape = 1;
	if (scrape < *ms)
		*ms = (unsigned)scrape;
	return 0;
}

int exporter_query_parse(const struct exporter_config *cfg, const char *text, const char *name,
			 const char *scrape_timeout, struct exporter_query *q, char *reason,
			 size_t reason_len)
{
	char err[512];
	int rc;

	memset(q, 0, sizeof(*q));
	if (!text || !*text) {
		snprintf(reason, reason_len,
			 "missing target: /probe?target=smtp://mail.example.com:25\n");
		return 400;
	}
	exporter_sanitize(q->shown, sizeof(q->shown), text);
	if (strlen(text) > EXPORTER_TARGET_MAX) {
		snprintf(reason, reason_len, "target longer than %d bytes: %s\n",
			 EXPORTER_TARGET_MAX, q->shown);
		return 400;
	}
	q->module = exporter_module(cfg, name);
	if (!q->module) {
		char known[512], shown[128];

		exporter_sanitize(shown, sizeof(shown), name);
		exporter_module_names(cfg, known, sizeof(known));
		snprintf(reason, reason_len, "unknown module \"%s\" (%s)\n", shown, known);
		return 400;
	}
	q->run = q->module->run;
	if (probe_budget(scrape_timeout, q->module->run.timeout_ms, &q->run.timeout_ms) < 0) {
		snprintf(reason, reason_len, "%s is not a number of seconds\n",
			 EXPORTER_SCRAPE_HEADER);
		return 400;
	}
	if (mailcert_target_parse(&q->target, text, q->run.protocol, err, sizeof(err)) < 0) {
		exporter_sanitize(q->shown, sizeof(q->shown), err);
		snprintf(reason, reason_len, "bad target: %s\n", q->shown);
		return 400;
	}
	if (!mailcert_target_supported(q->target)) {
		snprintf(reason, reason_len,
			 "bad target: %s: the %s protocol is not supported by mailcert %s\n",
			 q->shown, mailcert_target_scheme(q->target), mailcert_version());
		return 400;
	}
	rc = make_probe(&q->run, q->target, q->shown, &q->probe, err, sizeof(err));
	if (rc == MAILCERT_E_INVALID) {
		char shown[sizeof(err)];

		exporter_sanitize(shown, sizeof(shown), err);
		snprintf(reason, reason_len, "bad target for module: %s\n", shown);
		return 400;
	}
	if (rc < 0) {
		snprintf(reason, reason_len, "out of memory\n");
		return 500;
	}
	return 0;
}

void exporter_query_clear(struct exporter_query *q)
{
	mailcert_probe_free(q->probe);
	mailcert_target_free(q->target);
	q->probe = NULL;
	q->target = NULL;
}
