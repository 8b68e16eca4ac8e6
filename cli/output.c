/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where reports go: the formats, stdout or an atomically replaced file. */
#define _GNU_SOURCE /* open_memstream */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/*
 * Colour for text on a terminal only, and never when the user said no:
 * NO_COLOR set to anything but the empty string (https://no-color.org),
 * or a terminal that is "dumb" or unnamed.
 */
static int want_colour(void)
{
	const char *no_colour = getenv("NO_COLOR"), *term = getenv("TERM");

	return isatty(STDOUT_FILENO) && !(no_colour && no_colour[0]) && term && term[0] &&
	       strcmp(term, "dumb") != 0;
}

int output_open(struct output *o, mailcert_format format, int verbosity, const char *path)
{
	memset(o, 0, sizeof(*o));
	if (format == MAILCERT_FORMAT_TEXT && !path && want_colour())
		format = MAILCERT_FORMAT_TEXT_COLOR;
	o->format = format;
	o->verbosity = verbosity;
	o->path = path;
	o->stream = path ? open_memstream(&o->buf, &o->len) : stdout;
	if (!o->stream) {
		fputs("mailcert: out of memory\n", stderr);
		return EXIT_USAGE;
	}
	return 0;
}

int output_report(struct output *o, mailcert_report *report)
{
	char *text = NULL;

	if (o->format == MAILCERT_FORMAT_PROMETHEUS) {
		mailcert_report **held = realloc(o->held, (o->held_len + 1) * sizeof(*held));

		if (!held) {
			mailcert_report_free(report);
			return -1;
		}
		o->held = held;
		o->held[o->held_len++] = report;
		return 0;
	}
	if (mailcert_render(&text, report, o->format, o->verbosity) < 0) {
		mailcert_report_free(report);
		return -1;
	}
	if (o->printed++ > 0 &&
	    (o->format == MAILCERT_FORMAT_TEXT || o->format == MAILCERT_FORMAT_TEXT_COLOR))
		fputc('\n', o->stream);
	fputs(text, o->stream);
	fflush(o->stream);
	free(text);
	mailcert_report_free(report);
	return 0;
}

/*
 * Replaces @path with @len bytes at @data: a temporary file in the same
 * directory, renamed over it, so a reader (node_exporter's textfile
 * collector) sees the old file or the new one, never a part.
 */
static int write_atomically(const char *path, const char *data, size_t len)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + sizeof(".XXXXXX"));
	int fd, saved;
	FILE *f;

	if (!tmp) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".XXXXXX", sizeof(".XXXXXX"));
	fd = mkstemp(tmp);
	if (fd < 0) {
		free(tmp);
		return -1;
	}
	/* mkstemp() makes it 0600; metrics and reports are for others to read. */
	if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (fwrite(data, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) < 0) {
		saved = errno;
		fclose(f);
		goto fail;
	}
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		saved = errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	errno = saved;
	return -1;
}

int output_close(struct output *o)
{
	int rc = 0;

	if (o->held_len > 0) {
		char *text = NULL;

		if (mailcert_render_many(&text, (const mailcert_report *const *)o->held,
					 o->held_len, o->format, o->verbosity) < 0) {
			fputs("mailcert: out of memory\n", stderr);
			rc = EXIT_USAGE;
		} else {
			fputs(text, o->stream);
		}
		free(text);
	}
	for (size_t i = 0; i < o->held_len; i++)
		mailcert_report_free(o->held[i]);
	free(o->held);
	if (!o->path)
		return rc;
	if (fclose(o->stream) != 0) {
		fputs("mailcert: out of memory\n", stderr);
		rc = EXIT_USAGE;
	} else if (rc == 0 && o->len > 0 && write_atomically(o->path, o->buf, o->len) < 0) {
		fprintf(stderr, "mailcert: --output %s: %s\n", o->path, strerror(errno));
		rc = EXIT_USAGE;
	}
	free(o->buf);
	return rc;
}
