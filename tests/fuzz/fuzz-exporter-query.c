/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the exporter's /probe request parsing
 * (cli/exporter_query.c): what a client sends as target, module and
 * X-Prometheus-Scrape-Timeout-Seconds becomes a probe or a 400 reason.
 *
 * Input: byte 0 says which parts are present (bit 0 module, bit 1 the
 * header; the target is always there, maybe empty); the rest is target,
 * module and header separated by NUL bytes (missing parts are empty).
 *
 * The modules are those of a config file written once (the defaults, a
 * module with a timeout and connect-to, one with -P and --direct-tls).
 * Besides memory errors: the answer is 0, 400 or 500; a reason is one
 * line of printable text; a probe's budget is at least 1 ms and never
 * more than its module's -t nor (beyond half a second) than the scrape
 * timeout less the margin; the echoed target has no control bytes.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "exporter_query.h"

static const char config[] = "[module mailtest]\n"
			     "connect-to = 127.0.0.1\n"
			     "timeout = 8\n"
			     "\n"
			     "[module pg]\n"
			     "protocol = postgres\n"
			     "direct-tls\n"
			     "timeout = 3\n";

static struct exporter_config cfg;

static void load_config(void)
{
	char path[64];
	int fd = memfd_create("exporter.conf", 0);

	require(fd >= 0);
	require(write(fd, config, sizeof(config) - 1) == (ssize_t)(sizeof(config) - 1));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	require(exporter_config_init(&cfg) == 0);
	require(exporter_config_load(&cfg, path) == 0);
	close(fd);
}

static void printable_line(const char *s)
{
	size_t n = strlen(s);

	require(n > 1 && s[n - 1] == '\n');
	for (size_t i = 0; i + 1 < n; i++)
		require((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f);
}

/* The next NUL-terminated part of @buf from *@at (the end when there is none). */
static char *part(char *buf, size_t len, size_t *at)
{
	char *p = buf + *at;

	*at += strlen(p) + (*at < len ? 1 : 0);
	if (*at > len)
		*at = len;
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exporter_query q;
	char reason[EXPORTER_TARGET_MAX + 1024], *buf, *target, *module, *header;
	size_t at = 0;
	int rc;

	if (!cfg.len)
		load_config();
	if (size < 1)
		return 0;
	buf = malloc(size); /* the parts, NUL-terminated; the last by the extra byte */
	require(buf);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	target = part(buf, size - 1, &at);
	module = part(buf, size - 1, &at);
	header = part(buf, size - 1, &at);
	if (!(data[0] & 1))
		module = NULL;
	if (!(data[0] & 2))
		header = NULL;

	reason[0] = '\0';
	rc = exporter_query_parse(&cfg, target, module, header, &q, reason, sizeof(reason));
	require(rc == 0 || rc == 400 || rc == 500);
	if (rc) {
		printable_line(reason);
	} else {
		const struct exporter_module *m = exporter_module(&cfg, module);

		require(q.module == m && q.target && q.probe);
		require(q.run.timeout_ms >= 1 && q.run.timeout_ms <= m->run.timeout_ms);
		if (header) {
			double s = strtod(header, NULL);

			require(s > 0 && s <= 86400);
			if (s > 1)
				require(q.run.timeout_ms <=
					s * 1000 - EXPORTER_SCRAPE_MARGIN_MS + 1);
		}
		for (const char *c = q.shown; *c; c++)
			require((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
	}
	exporter_query_clear(&q);
	free(buf);
	return 0;
}
