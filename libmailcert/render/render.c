/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The public renderers: each format's renderer by name (render.h has them). */
#include <stdlib.h>

#include "render.h"

MAILCERT_EXPORT int mailcert_render(char **out, const mailcert_report *report,
				    mailcert_format format, int verbosity)
{
	return mailcert_render_many(out, &report, 1, format, verbosity);
}

MAILCERT_EXPORT int mailcert_render_many(char **out, const mailcert_report *const *reports,
					 size_t n, mailcert_format format, int verbosity)
{
	struct mc_buf b = {0};

	if (!out)
		return MAILCERT_E_INVALID;
	*out = NULL;
	if (!reports || n == 0)
		return MAILCERT_E_INVALID;
	for (size_t i = 0; i < n; i++)
		if (!reports[i])
			return MAILCERT_E_INVALID;
	if (n > 1 && format != MAILCERT_FORMAT_TEXT && format != MAILCERT_FORMAT_TEXT_COLOR &&
	    format != MAILCERT_FORMAT_JSON && format != MAILCERT_FORMAT_PROMETHEUS)
		return MAILCERT_E_INVALID;
	for (size_t i = 0; i < n && format != MAILCERT_FORMAT_PROMETHEUS; i++) {
		switch (format) {
		case MAILCERT_FORMAT_TEXT:
		case MAILCERT_FORMAT_TEXT_COLOR:
			if (i > 0)
				mc_buf_puts(&b, "\n");
			mc_render_text(&b, reports[i], verbosity,
				       format == MAILCERT_FORMAT_TEXT_COLOR);
			break;
		case MAILCERT_FORMAT_NAGIOS:
			mc_render_nagios(&b, reports[i], verbosity);
			break;
		case MAILCERT_FORMAT_JSON:
			mc_render_json(&b, reports[i]);
			break;
		case MAILCERT_FORMAT_SHOW:
		case MAILCERT_FORMAT_SHOW_PEM:
			mc_render_show(&b, reports[i], verbosity,
				       format == MAILCERT_FORMAT_SHOW_PEM);
			break;
		default:
			return MAILCERT_E_INVALID;
		}
	}
	if (format == MAILCERT_FORMAT_PROMETHEUS)
		mc_render_prometheus(&b, reports, n);
	if (b.failed || !b.data) {
		free(b.data);
		return MAILCERT_E_NOMEM;
	}
	*out = b.data;
	return 0;
}

/*
 * A verdict's line for people and for a plugin's long output: the state,
 * the code, the message with control bytes and invalid UTF-8 escaped
 * (and '|' for Nagios, which would start performance data).
 */
static void consistency_line(struct mc_buf *b, const mailcert_consistency *c, unsigned clean)
{
	mc_buf_printf(b, "%s %s: ", mailcert_state_name(c->state), c->code);
	mc_buf_clean(b, c->message, clean);
	mc_buf_puts(b, "\n");
}

MAILCERT_EXPORT int mailcert_render_consistency(char **out, const mailcert_consistency *const *c,
						size_t n, mailcert_format format)
{
	struct mc_buf b = {0};

	if (!out)
		return MAILCERT_E_INVALID;
	*out = NULL;
	if (!c || n == 0)
		return MAILCERT_E_INVALID;
	for (size_t i = 0; i < n; i++)
		if (!c[i])
			return MAILCERT_E_INVALID;
	switch (format) {
	case MAILCERT_FORMAT_TEXT:
	case MAILCERT_FORMAT_TEXT_COLOR:
	case MAILCERT_FORMAT_NAGIOS: {
		unsigned clean =
		    MC_CLEAN_CONTROLS | (format == MAILCERT_FORMAT_NAGIOS ? MC_CLEAN_PIPE : 0);

		for (size_t i = 0; i < n; i++)
			consistency_line(&b, c[i], clean);
		break;
	}
	case MAILCERT_FORMAT_JSON:
		for (size_t i = 0; i < n; i++)
			mc_render_consistency_json(&b, c[i]);
		break;
	case MAILCERT_FORMAT_PROMETHEUS:
		mc_render_consistency_prometheus(&b, c, n);
		break;
	default:
		return MAILCERT_E_INVALID;
	}
	if (b.failed || !b.data) {
		free(b.data);
		return MAILCERT_E_NOMEM;
	}
	*out = b.data;
	return 0;
}
