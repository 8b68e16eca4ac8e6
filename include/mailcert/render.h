/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Renderers: a report as text for people, Nagios plugin output, JSON, or
 * Prometheus metrics.
 * Renderers decide nothing; they only format what the report holds.
 */
#ifndef MAILCERT_RENDER_H
#define MAILCERT_RENDER_H

#include <mailcert/common.h>
#include <mailcert/report.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mailcert_format {
	MAILCERT_FORMAT_TEXT = 0,
	MAILCERT_FORMAT_NAGIOS = 1,
	MAILCERT_FORMAT_JSON = 2,
	/* What `mailcert show` prints: the plaintext dialogue, then the text
	 * rendering with every detail; _PEM adds each certificate as PEM. */
	MAILCERT_FORMAT_SHOW = 3,
	MAILCERT_FORMAT_SHOW_PEM = 4,
	/* The Prometheus text exposition format 0.0.4 (node_exporter's
	 * textfile collector, an exporter's /probe). */
	MAILCERT_FORMAT_PROMETHEUS = 5,
	/* TEXT with the verdict's state and each finding's severity in ANSI
	 * colour (SGR: green OK, yellow WARNING, red CRITICAL, magenta
	 * UNKNOWN); the words are the same as TEXT's. The library never
	 * decides on colour: a program picks this format itself, for a
	 * terminal and only when the user has not set NO_COLOR
	 * (https://no-color.org), as mailcert does. */
	MAILCERT_FORMAT_TEXT_COLOR = 6,
} mailcert_format;

/*
 * Renders @report. @verbosity is the count of -v. On success *@out is a
 * NUL-terminated string ending in a newline, the caller's to free().
 * JSON is one line (a JSON Lines record).
 */
MAILCERT_EXPORT int mailcert_render(char **out, const mailcert_report *report,
				    mailcert_format format, int verbosity);

/*
 * Renders @n reports (n >= 1) as one output, as a run over several targets
 * prints them: TEXT (and TEXT_COLOR) separated by blank lines, JSON one line each,
 * PROMETHEUS one exposition with each metric family once (the format
 * allows no repeat). NAGIOS and the SHOW formats take a single report:
 * MAILCERT_E_INVALID for more. *@out as for mailcert_render().
 */
MAILCERT_EXPORT int mailcert_render_many(char **out, const mailcert_report *const *reports,
					 size_t n, mailcert_format format, int verbosity);

#ifdef __cplusplus
}
#endif

#endif
