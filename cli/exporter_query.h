/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MAILCERT_CLI_EXPORTER_QUERY_H
#define MAILCERT_CLI_EXPORTER_QUERY_H

#include "exporter.h"

/* A target longer than this is refused (400). */
#define EXPORTER_TARGET_MAX 1024
/* Taken from the scrape timeout, so the answer arrives before it. */
#define EXPORTER_SCRAPE_MARGIN_MS 500
/* The header Prometheus sends with its scrape timeout. */
#define EXPORTER_SCRAPE_HEADER "X-Prometheus-Scrape-Timeout-Seconds"

/* /probe's request, parsed: what to probe, how, and for how long. */
struct exporter_query {
	const struct exporter_module *module;
	struct check_run run; /* the module's, with the probe's budget in timeout_ms */
	mailcert_target *target;
	mailcert_probe *probe;
	char shown[EXPORTER_TARGET_MAX + 8]; /* the target, safe to echo */
};

/* Text from the request made safe to echo: printable ASCII, bounded ("..." when cut). */
void exporter_sanitize(char *dst, size_t size, const char *src);

/*
 * Parses /probe's arguments — @target and @module (NULL when absent) and
 * the scrape timeout header @scrape_timeout (NULL when absent) — against
 * the modules of @cfg, with no I/O. Returns 0 with @q ready to probe (the
 * caller frees it with exporter_query_clear()); 400 with the reason, one
 * line ending in a newline, quoting the request only sanitized, in
 * @reason; 500 when out of memory. @q is always safe to clear.
 */
int exporter_query_parse(const struct exporter_config *cfg, const char *target, const char *module,
			 const char *scrape_timeout, struct exporter_query *q, char *reason,
			 size_t reason_len);
void exporter_query_clear(struct exporter_query *q);

#endif
