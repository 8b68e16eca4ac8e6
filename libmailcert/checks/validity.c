/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Validity periods of every certificate sent, not only the leaf: an
 * expired intermediate breaks the chain as surely as an expired leaf.
 * Findings: cert.not-yet-valid, cert.expired, cert.expiring.
 */
#include <stdio.h>
#include <string.h>

#include "model/internal.h"

#define TEXT_MAX 48 /* any output of format_duration() and format_range() */

/*
 * "10 days", "1 hour", "900 seconds". @exact picks the largest unit that
 * divides @seconds (for thresholds, which users gave in that unit); else the
 * largest unit not above it, rounded down (for times, "in 10 days").
 */
static void format_duration(char out[TEXT_MAX], long long seconds, int exact)
{
	static const struct {
		long long seconds;
		const char *name;
	} units[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
	long long s = seconds < 0 ? -seconds : seconds;
	size_t i = 0;

	while (i + 1 < sizeof(units) / sizeof(units[0]) &&
	       (exact ? s % units[i].seconds != 0 : s < units[i].seconds))
		i++;
	s /= units[i].seconds;
	snprintf(out, TEXT_MAX, "%lld %s%s", s, units[i].name, s == 1 ? "" : "s");
}

/* A range as users write it, "@10d:20d", "~:12h"; each end in its largest exact unit. */
static void format_range(char out[TEXT_MAX], const struct mc_threshold *th)
{
	char ends[2][22] = {"~", ""};
	const long long v[2] = {th->lo, th->hi};
	const int has[2] = {th->has_lo, th->has_hi};

	for (int i = 0; i < 2; i++) {
		if (!has[i])
			continue;
		if (v[i] % 86400 == 0)
			snprintf(ends[i], sizeof(ends[i]), "%lldd", v[i] / 86400);
		else if (v[i] % 3600 == 0)
			snprintf(ends[i], sizeof(ends[i]), "%lldh", v[i] / 3600);
		else
			snprintf(ends[i], sizeof(ends[i]), "%llds", v[i]);
	}
	snprintf(out, TEXT_MAX, "%s%s:%s", th->inside ? "@" : "", ends[0], ends[1]);
}

/* Why @th alerts: "under the critical threshold of 15 days", "outside the warning range 10d:20d".
 */
static void describe_threshold(char *out, size_t len, const char *which,
			       const struct mc_threshold *th, long long lifetime)
{
	char a[TEXT_MAX];

	if (th->kind == MC_TH_PERCENT) {
		format_duration(a, mc_threshold_seconds(th, lifetime), 0);
		snprintf(out, len, "under the %s threshold of %g%% of its lifetime (%s)", which,
			 th->percent, a);
	} else if (th->kind == MC_TH_SECONDS || (!th->inside && th->has_lo && !th->has_hi)) {
		format_duration(a, th->kind == MC_TH_SECONDS ? th->seconds : th->lo, 1);
		snprintf(out, len, "under the %s threshold of %s", which, a);
	} else {
		format_range(a, th);
		snprintf(out, len, "%s the %s range %s", th->inside ? "inside" : "outside", which,
			 a);
	}
}

static int check_expiring(struct mc_eval *ev, size_t i, const char *label)
{
	const mailcert_cert_info *info = &ev->report->certs[i].info;
	const mailcert_policy *p = ev->policy;
	long long lifetime = (long long)info->not_after - (long long)info->not_before;
	long long remaining = info->remaining_s;
	const struct mc_threshold *th = &p->critical;
	mailcert_state severity = MAILCERT_CRITICAL;
	char when[TEXT_MAX], date[MC_DATE_MAX], why[256];

	if (!mc_threshold_alerts(th, remaining, lifetime)) {
		th = &p->warning;
		severity = MAILCERT_WARNING;
		if (!mc_threshold_alerts(th, remaining, lifetime))
			return 0;
	}
	format_duration(when, remaining, 0);
	mc_format_utc(date, info->not_after, 0);
	describe_threshold(why, sizeof(why), severity == MAILCERT_CRITICAL ? "critical" : "warning",
			   th, lifetime);
	return mc_report_add(ev->report, "cert.expiring", severity, (int)i,
			     "%s expires in %s (%s), %s", label, when, date, why);
}

/* RFC 5280 section 4.1.2.5: the validity period includes both of its ends. */
static int check_one(struct mc_eval *ev, size_t i)
{
	const mailcert_cert_info *info = &ev->report->certs[i].info;
	char label[MC_LABEL_MAX], when[TEXT_MAX], date[MC_DATE_MAX];

	mc_cert_label(label, sizeof(label), ev, i);
	if (ev->now < info->not_before) {
		format_duration(when, (long long)info->not_before - (long long)ev->now, 0);
		mc_format_utc(date, info->not_before, 0);
		return mc_report_add(ev->report, "cert.not-yet-valid", MAILCERT_CRITICAL, (int)i,
				     "%s is not valid until %s (in %s); check the clocks of the "
				     "server and of the CA",
				     label, date, when);
	}
	if (ev->now > info->not_after) {
		format_duration(when, (long long)ev->now - (long long)info->not_after, 0);
		mc_format_utc(date, info->not_after, 0);
		return mc_report_add(ev->report, "cert.expired", MAILCERT_CRITICAL, (int)i,
				     "%s expired %s ago (%s)", label, when, date);
	}
	return check_expiring(ev, i, label);
}

int mc_check_validity(struct mc_eval *ev)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < ev->n; i++)
		rc = check_one(ev, i);
	return rc;
}
