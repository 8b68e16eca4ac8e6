/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The longest validity a leaf may have: the CA/Browser Forum's Baseline
 * Requirements as ballot SC-081 changes them (398 days for a certificate
 * issued before 2026-03-15, 200 from then, 100 from 2027-03-15, 47 from
 * 2029-03-15), or --max-validity DAYS. By default the calendar applies to
 * a chain the system trust store verifies: a private CA makes its own
 * rules. Finding: cert.validity-too-long (WARNING), naming the rule.
 */
#include <stdio.h>

#include "model/internal.h"

#define DAY 86400LL

/* The CA/B maximum, in days, for a certificate whose validity starts at @not_before. */
static unsigned cabf_days(time_t not_before, char *since, size_t len)
{
	static const struct {
		long long from; /* 00:00 UTC of the day the maximum took effect */
		const char *date;
		unsigned days;
	} calendar[] = {
	    {1868227200LL, "2029-03-15", 47},
	    {1805068800LL, "2027-03-15", 100},
	    {1773532800LL, "2026-03-15", 200},
	};

	for (size_t i = 0; i < sizeof(calendar) / sizeof(calendar[0]); i++)
		if ((long long)not_before >= calendar[i].from) {
			snprintf(since, len, "from %s", calendar[i].date);
			return calendar[i].days;
		}
	snprintf(since, len, "before 2026-03-15");
	return 398;
}

int mc_check_max_validity(struct mc_eval *ev)
{
	const mailcert_policy *p = ev->policy;
	const mailcert_cert_info *leaf = &ev->report->certs[0].info;
	/* RFC 5280 §4.1.2.5: the validity period includes both of its ends. */
	long long validity = (long long)leaf->not_after - (long long)leaf->not_before + 1;
	char label[MC_LABEL_MAX], since[32], from[MC_DATE_MAX], rule[200], length[64];
	unsigned max;

	if (p->max_validity == MC_MAXV_OFF ||
	    (p->max_validity == MC_MAXV_AUTO && !ev->publicly_trusted))
		return 0;
	if (p->max_validity == MC_MAXV_DAYS) {
		max = p->max_validity_days;
		snprintf(rule, sizeof(rule), "the %u days of --max-validity", max);
	} else {
		max = cabf_days(leaf->not_before, since, sizeof(since));
		snprintf(rule, sizeof(rule),
			 "the %u days the CA/Browser Forum's Baseline Requirements allow a "
			 "certificate issued %s (ballot SC-081)",
			 max, since);
	}
	if (validity <= (long long)max * DAY)
		return 0;
	mc_cert_label(label, sizeof(label), ev, 0);
	mc_format_utc(from, leaf->not_before, 0);
	/* The second of an inclusive end is what makes "90 days" too long for 90. */
	if (validity % DAY == 0)
		snprintf(length, sizeof(length), "%lld days", validity / DAY);
	else if (validity % DAY < 60)
		snprintf(length, sizeof(length), "%lld days and %lld second%s", validity / DAY,
			 validity % DAY, validity % DAY == 1 ? "" : "s");
	else
		snprintf(length, sizeof(length), "%.2f days", (double)validity / DAY);
	return mc_report_add(ev->report, "cert.validity-too-long", MAILCERT_WARNING, 0,
			     "%s is valid for %s from %s, more than %s", label, length, from, rule);
}
