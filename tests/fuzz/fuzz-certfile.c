/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for certificate files and everything that prints what
 * is in them: the bytes are a certificate file (`mailcert file`), read,
 * evaluated (names, thresholds, expectations) and rendered in every
 * format. Certificate text fields are the attacker's (subjects, SANs), so
 * besides memory errors it checks that the JSON parses, that no output
 * carries a control byte other than newline, and that every Prometheus
 * sample line ends in a number.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <json.h>
#include <mailcert/mailcert.h>

#include "fuzz.h"

/* A fixed "now" keeps runs reproducible: 2026-11-28T00:00:00Z. */
#define NOW ((time_t)1795824000)

static void no_controls(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		require(*p >= 0x20 || *p == '\n');
}

static void prometheus_lines(const char *s)
{
	const char *line = s;

	while (*line) {
		const char *end = strchr(line, '\n'), *space;

		require(end); /* every line is terminated */
		if (*line != '#') {
			space = memrchr(line, ' ', (size_t)(end - line));
			require(space && space + 1 < end && space[-1] == '}');
			for (const char *c = space + 1; c < end; c++)
				require((*c >= '0' && *c <= '9') || *c == '.' || *c == '-');
		}
		line = end + 1;
	}
}

static void render_all(const mailcert_report *r)
{
	static const mailcert_format formats[] = {MAILCERT_FORMAT_TEXT, MAILCERT_FORMAT_NAGIOS,
						  MAILCERT_FORMAT_JSON, MAILCERT_FORMAT_SHOW,
						  MAILCERT_FORMAT_SHOW_PEM, MAILCERT_FORMAT_PROMETHEUS};

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char *out = NULL;

		require(mailcert_render(&out, r, formats[i], 2) == 0);
		no_controls(out);
		if (formats[i] == MAILCERT_FORMAT_JSON) {
			json_object *j = json_tokener_parse(out);

			require(j);
			json_object_put(j);
		}
		if (formats[i] == MAILCERT_FORMAT_PROMETHEUS)
			prometheus_lines(out);
		free(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static mailcert_policy *policy;
	mailcert_observation *obs = NULL;
	mailcert_report *report = NULL;
	char path[64], err[512];
	int fd;

	if (!policy) {
		require(mailcert_policy_new(&policy) == 0);
		require(mailcert_policy_add_name(policy, "mail.example.com") == 0);
		require(mailcert_policy_set_threshold(policy, 0, "33%", NULL, 0) == 0);
		require(mailcert_policy_set_issuer(policy, "Let's Encrypt", NULL, 0) == 0);
	}
	fd = memfd_create("certfile", 0);
	require(fd >= 0);
	require(write(fd, data, size) == (ssize_t)size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (mailcert_observation_from_file(&obs, path, NULL, err, sizeof(err)) == 0) {
		require(mailcert_evaluate(&report, obs, policy, NOW) == 0);
		render_all(report);
		mailcert_report_free(report);
		mailcert_observation_free(obs);
	} else {
		require(!obs && err[0]);
		no_controls(err);
	}
	close(fd);
	return 0;
}
