/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every command shares besides its options: how a usage error is
 * said, the format option, states compared, and small text and clock
 * helpers (cli.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

const char *usage_where;

int usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mailcert: %s%s", usage_where ? usage_where : "", usage_where ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'mailcert %s--help'.\n", command ? command : "");
	return EXIT_USAGE;
}

int option_error(const char *command, int c, char *const *argv)
{
	if (c == ':')
		return usage_error(command, "%s needs a value", argv[optind - 1]);
	if (optopt)
		return usage_error(command, "unknown option -%c", optopt);
	return usage_error(command, "unknown option %s", argv[optind - 1]);
}

int parse_format(const char *command, const char *s, mailcert_format *out)
{
	static const struct {
		const char *name;
		mailcert_format format;
	} formats[] = {
	    {"text", MAILCERT_FORMAT_TEXT},
	    {"nagios", MAILCERT_FORMAT_NAGIOS},
	    {"json", MAILCERT_FORMAT_JSON},
	    {"prometheus", MAILCERT_FORMAT_PROMETHEUS},
	};

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcmp(s, formats[i].name) == 0) {
			*out = formats[i].format;
			return 0;
		}
	}
	return usage_error(command, "unknown format \"%s\" (text, nagios, json or prometheus)", s);
}

int one_plugin_output(const char *command, mailcert_format *format, int format_given, int count,
		      const char *what)
{
	/* Plugin output describes one service; several off a terminal (a
	 * script, cron) get text unless a format was asked for. */
	if (*format != MAILCERT_FORMAT_NAGIOS || count <= 1)
		return 0;
	if (!format_given) {
		*format = MAILCERT_FORMAT_TEXT;
		return 0;
	}
	return usage_error(command, "a Nagios check takes one %s (%d given)", what, count);
}

int worse(int a, int b)
{
	static const int rank[] = {0, 1, 3, 2}; /* OK < WARNING < UNKNOWN < CRITICAL */

	return rank[b] > rank[a] ? b : a;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int nomem(void)
{
	fputs("mailcert: out of memory\n", stderr);
	return EXIT_USAGE;
}

char *clean_dup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *d = malloc(n + 4);

	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++)
		d[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (s[n]) {
		memcpy(d + n, "...", 4);
		return d;
	}
	d[n] = '\0';
	return d;
}
