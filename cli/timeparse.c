/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int parse_offset(const char *s, time_t base, time_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno || v < 0 || v > 100LL * 365 * 86400)
		return -1;
	if (*end == 'd' || *end == '\0')
		v *= 86400;
	else if (*end == 'h')
		v *= 3600;
	else if (*end != 's')
		return -1;
	if (*end && end[1])
		return -1;
	*out = base + (time_t)v;
	return 0;
}

int parse_at(const char *text, time_t base, time_t *out)
{
	static const char *const formats[] = {"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S",
					      "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%MZ",
					      "%Y-%m-%dT%H:%M", "%Y-%m-%d"};

	if (text[0] == '+')
		return parse_offset(text + 1, base, out);
	/* ISO-8601 without an offset is read as UTC: monitoring runs in
	 * many time zones and a check must mean the same everywhere. */
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct tm tm = {0};
		const char *end = strptime(text, formats[i], &tm);

		if (end && *end == '\0') {
			struct tm want = tm;

			/* strptime takes February 30th; timegm would roll it into March. */
			*out = timegm(&tm);
			return tm.tm_mday == want.tm_mday && tm.tm_mon == want.tm_mon ? 0 : -1;
		}
	}
	return -1;
}
