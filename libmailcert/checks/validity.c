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

/*
 * "15 days", "7.5 days", "20 minutes": a share of a lifetime, in days with
 * at most one decimal, or below a day in the largest unit that fits.
 */
static void format_share(char out[TEXT_MAX], long long seconds)
{
	long long tenths = (seconds * 10 + 43200) / 86400;

	if (seconds < 86400)
		format_duration(out, seconds, 0);
	else if (tenths % 10 == 0)
		snprintf(out, TEXT_MAX, "%lld day%s", tenths / 10, tenths == 10 ? "" : "s");
	else
		snprintf(out, TEXT_MAX, "%lld.%lld days", tenths / 10, tenths % 10);
}

/* "45-day", "1-hour": a lifetime as an adjective. */
static void format_lifetime(char out[TEXT_MAX], long long seconds)
{
	char d[TEXT_MAX], *s;

	format_share(d, seconds);
	/* "45 days" → "45-day" */
	s = strchr(d, ' ');
	if (s) {
		*s = '-';
		if (s[strlen(s) - 1] == 's')
			s[strlen(s) - 1] = '\0';
	}
	snprintf(out, TEXT_MAX, "%s", d);
}

/*
 * Why @th alerts: "under the critical threshold of 15 days", "outside the
 * warning range 10d:20d", "under the warning threshold of 15 days (1/3 of
 * a 45-day lifetime)".
 */
static void describe_threshold(char *out, size_t len, const char *which,
			       const struct mc_threshold *th, long long lifetime)
{
	char a[TEXT_MAX], life[TEXT_MAX];

	if (th->kind == MC_TH_PERCENT) {
		format_duration(a, mc_threshold_seconds(th, lifetime), 0);
		snprintf(out, len, "under the %s threshold of %g%% of its lifetime (%s)", which,
			 th->percent, a);
	} else if ((th->kind == MC_TH_LIFETIME && lifetime < MC_LONG_LIFETIME) ||
		   th->kind == MC_TH_RENEWAL) {
		format_share(a, mc_threshold_seconds(th, lifetime));
		format_lifetime(life, lifetime);
		snprintf(out, len, "under the %s threshold of %s (%s1/%d of a %s lifetime)", which, a,
			 th->kind == MC_TH_RENEWAL ? "the renewal point: " : "", th->share, life);
	} else if (th->kind == MC_TH_SECONDS || th->kind == MC_TH_LIFETIME ||
		   (!th->inside && th->has_lo && !th->has_hi)) {
		format_duration(a, th->kind == MC_TH_RANGE ? th->lo : th->seconds, 1);
		snprintf(out, len, "under the %s threshold of %s", which, a);
	} else {
		format_range(a, th);
		snprintf(out, len, "%s the %s range %s", th->inside ? "inside" : "outside", which,
			 a);
	}
}

/*
 * Whether @th alerts for chain element @i, and why into @why. "renewal"
 * on the leaf is the CA's suggested window when it is known (ARI).
 */
static int alerts(const struct mc_eval *ev, size_t i, int critical, char *why, size_t len)
{
	const struct mc_threshold slot = mc_threshold_for(ev->policy, i, critical), *th = &slot;
	const char *which = critical ? "critical" : "warning";
	const mailcert_cert_info *info = &ev->report->certs[i].info;
	const struct mc_ari *ari = &ev->evidence->ari;
	long long lifetime = (long long)info->not_after - (long long)info->not_before;
	char date[MC_DATE_MAX];

	if (th->kind == MC_TH_RENEWAL && i == 0 && ari->known) {
		if (ev->now < ari->start)
			return 0;
		mc_format_utc(date, ari->start, 0);
		snprintf(why, len, "inside the CA's suggested renewal window (ARI), open since %s",
			 date);
		return 1;
	}
	if (!mc_threshold_alerts(th, info->remaining_s, lifetime))
		return 0;
	describe_threshold(why, len, which, th, lifetime);
	return 1;
}

static int check_expiring(struct mc_eval *ev, size_t i, const char *label)
{
	const mailcert_cert_info *info = &ev->report->certs[i].info;
	mailcert_state severity = MAILCERT_CRITICAL;
	char when[TEXT_MAX], date[MC_DATE_MAX], why[256];

	if (!alerts(ev, i, 1, why, sizeof(why))) {
		severity = MAILCERT_WARNING;
		if (!alerts(ev, i, 0, why, sizeof(why)))
			return 0;
	}
	format_duration(when, info->remaining_s, 0);
	mc_format_utc(date, info->not_after, 0);
	return mc_report_add(ev->report, "cert.expiring", severity, (int)i, "%s expires in %s (%s), %s",
			     label, when, date, why);
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
	const struct mc_ari *ari = &ev->evidence->ari;
	mailcert_cert_info *leaf = ev->n ? &ev->report->certs[0].info : NULL;
	int rc = 0;

	/* "renewal" with the CA's window known: the leaf's threshold, in
	 * perfdata too, is the window's start. */
	if (leaf && ari->known) {
		if (ev->policy->warning.kind == MC_TH_RENEWAL)
			leaf->warning_s = (long long)leaf->not_after - (long long)ari->start;
		if (ev->policy->critical.kind == MC_TH_RENEWAL)
			leaf->critical_s = (long long)leaf->not_after - (long long)ari->start;
	}
	for (size_t i = 0; rc == 0 && i < ev->n; i++)
		rc = check_one(ev, i);
	return rc;
}
