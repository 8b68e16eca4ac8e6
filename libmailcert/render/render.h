/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private pieces shared by the renderers: a growing output buffer, the
 * one place untrusted text is made safe to print, and the date and
 * duration formats every output uses. Renderers read a report through the
 * public getters only; they decide nothing.
 */
#ifndef MAILCERT_RENDER_PRIVATE_H
#define MAILCERT_RENDER_PRIVATE_H

#include <stddef.h>
#include <time.h>

#include <mailcert/consistency.h>

#include "model/internal.h"

/*
 * An output string under construction. Appending never fails visibly: an
 * allocation failure sets @failed, later appends do nothing, and
 * mailcert_render() reports MAILCERT_E_NOMEM once at the end. This keeps
 * every renderer a straight sequence of appends.
 */
struct mc_buf {
	char *data;
	size_t len, cap;
	int failed;
};

void mc_buf_add(struct mc_buf *b, const char *s, size_t n);
void mc_buf_puts(struct mc_buf *b, const char *s);
void mc_buf_printf(struct mc_buf *b, const char *fmt, ...) MC_PRINTF(2, 3);

/* What mc_buf_clean() escapes besides invalid UTF-8, which it always escapes. */
enum {
	MC_CLEAN_CONTROLS = 1, /* C0 controls and DEL: a newline must not start a line */
	MC_CLEAN_PIPE = 2,     /* '|': Nagios reads perfdata after it, on any line */
};

/*
 * Appends @s (NULL appends nothing) with each byte the flags name, and each
 * byte that is not part of a valid UTF-8 sequence, written as \xNN, the
 * notation mc_quote() uses for untrusted bytes. Backslashes are left as
 * they are: messages arrive already quoted, and escaping again would
 * double every backslash mc_quote() wrote.
 */
void mc_buf_clean(struct mc_buf *b, const char *s, unsigned flags);

/* Room for any output of mc_render_time(), including an absurd year. */
#define MC_TIME_MAX 48

enum mc_time_style {
	MC_TIME_ISO,  /* 2027-02-01T00:00:00Z */
	MC_TIME_DATE, /* 2027-02-01 */
};

/* Formats @t in UTC into @out. A time gmtime() cannot represent is written as "@<epoch>". */
void mc_render_time(char out[MC_TIME_MAX], time_t t, enum mc_time_style style);

/* Room for any output of mc_render_duration(). */
#define MC_DURATION_MAX 32

/*
 * Writes the magnitude of @seconds for people, rounded down to its largest
 * whole unit: "65 days", "1 day", "5 hours", "12 minutes", "1 second".
 * The sign is the caller's to word ("in …", "… ago").
 */
void mc_render_duration(char out[MC_DURATION_MAX], long long seconds);

/* Room for any output of mc_render_seconds(). */
#define MC_SECONDS_MAX 32

/*
 * Writes a duration in seconds with three decimals, "0.012". Not printf's
 * %f: a program using the library may have set LC_NUMERIC to a locale with
 * a decimal comma, which perfdata and JSON must not follow.
 */
void mc_render_seconds(char out[MC_SECONDS_MAX], double seconds);

/* The renderers proper; each appends one complete output to @b. */
/* @colour: MAILCERT_FORMAT_TEXT_COLOR, the states in ANSI colour. */
void mc_render_text(struct mc_buf *b, const mailcert_report *report, int verbosity, int colour);
void mc_render_nagios(struct mc_buf *b, const mailcert_report *report, int verbosity);
void mc_render_json(struct mc_buf *b, const mailcert_report *report);
void mc_render_show(struct mc_buf *b, const mailcert_report *report, int verbosity, int pem);
/* All @n reports in one exposition, each metric family once. */
void mc_render_prometheus(struct mc_buf *b, const mailcert_report *const *reports, size_t n);

/* Consistency verdicts (include/mailcert/consistency.h): one JSON line; one family. */
void mc_render_consistency_json(struct mc_buf *b, const mailcert_consistency *c);
void mc_render_consistency_prometheus(struct mc_buf *b, const mailcert_consistency *const *c,
				      size_t n);

#endif
