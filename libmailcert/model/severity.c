/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Severity overrides (--severity CODE=LEVEL): applied to the finished
 * report, so they reach every finding, those of the network and of the
 * dialogue as well as those of the check families. A finding set to OK
 * stays in the report (JSON still shows it) but no longer raises the state.
 */
#include <string.h>

#include "model/internal.h"

/*
 * A finding code is dot-separated words of lowercase letters, digits and
 * inner '-' ("cert.expiring", "timeout"). Codes this version does not
 * emit are accepted when they have that form: a monitoring configuration
 * written for a later version (or shared by hosts running several) must
 * not turn into a usage error; a typo in the form still does.
 */
int mc_code_ok(const char *code)
{
	size_t word = 0;

	if (!code || strlen(code) > 64)
		return 0;
	for (const char *s = code;; s++) {
		if (*s == '.' || *s == '\0') {
			if (word == 0 || s[-1] == '-')
				return 0;
			if (*s == '\0')
				return 1;
			word = 0;
		} else if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')) {
			word++;
		} else if (*s == '-' && word > 0) {
			word++;
		} else {
			return 0;
		}
	}
}

static const struct mc_severity *find(const mailcert_policy *p, const char *code)
{
	for (size_t i = 0; i < p->severities_len; i++)
		if (strcmp(p->severities[i].code, code) == 0)
			return &p->severities[i];
	return NULL;
}

void mc_severity_apply(mailcert_report *r, const mailcert_policy *p)
{
	if (p->severities_len == 0)
		return;
	for (size_t i = 0; i < r->findings_len; i++) {
		const struct mc_severity *o = find(p, r->findings[i].code);

		if (o)
			r->findings[i].severity = o->state;
	}
	mc_report_restate(r);
}
