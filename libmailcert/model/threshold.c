/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Remaining-validity thresholds in the CLI syntax of -w/-c (mailcert(1)): "30",
 * "30d", "12h", "900s", "33%", or a Nagios range "[@]start:end" whose ends
 * take the same units.
 *
 * A plain amount means "alert when less than this remains", as in
 * check_ssl_cert, and so equals the range "amount:". The Nagios guidelines
 * read a bare "10" as "0:10", which for remaining validity would alert on
 * every healthy certificate; users of certificate checks mean the other.
 *
 * Without -w and -c, the thresholds follow each certificate's lifetime:
 * 30 and 15 days for one of 90 days or more, else a third and a sixth of
 * it. A fixed 30 days fires at or before the renewal point of a 45-day
 * certificate, and always for a 6-day one (docs/short-lived.md).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "model/internal.h"

#define DAY 86400LL

struct unit {
	char suffix;
	long long seconds;
};

/* Days are the default unit: a number without a suffix counts days. */
static const struct unit units[] = {{'d', DAY}, {'h', 3600}, {'s', 1}};

/* Where parsing is, and where the reason goes if it fails. */
struct cursor {
	const char *spec; /* the whole input, for messages */
	const char *p;
	char *err;
	size_t errlen;
};

static int fail(struct cursor *c, const char *reason)
{
	char q[200];

	mc_quote(q, sizeof(q), c->spec, strlen(c->spec), 40);
	mc_set_error(c->err, c->errlen, "\"%s\" is not a valid threshold: %s", q, reason);
	return MAILCERT_E_INVALID;
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Reads the digits at c->p into *out; fails on none or on overflow. */
static int parse_digits(struct cursor *c, long long *out)
{
	long long v = 0;

	if (*c->p == '-')
		return fail(c, "a threshold cannot be negative");
	if (!is_digit(*c->p))
		return fail(c, "expected a number, e.g. 30d, 12h, 900s, 33% or the range 30:");
	for (; is_digit(*c->p); c->p++) {
		if (v > (LLONG_MAX - 9) / 10)
			return fail(c, "the number is too large");
		v = v * 10 + (*c->p - '0');
	}
	*out = v;
	return 0;
}

/* An amount with an optional unit (days by default), in seconds. */
static int parse_amount(struct cursor *c, long long *seconds)
{
	long long v, mult = DAY;
	int rc = parse_digits(c, &v);

	if (rc < 0)
		return rc;
	if (*c->p == '.')
		return fail(c, "use a whole number, e.g. 36h instead of 1.5d");
	if (*c->p == '%')
		return fail(c, "a percentage cannot be an end of a range; use 33% alone");
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (*c->p == units[i].suffix) {
			mult = units[i].seconds;
			c->p++;
			break;
		}
	}
	if (v > LLONG_MAX / mult)
		return fail(c, "the number is too large");
	*seconds = v * mult;
	return 0;
}

static int expect_end(struct cursor *c)
{
	char q[64], reason[128];

	if (*c->p == '\0')
		return 0;
	mc_quote(q, sizeof(q), c->p, strlen(c->p), 20);
	snprintf(reason, sizeof(reason),
		 "unexpected \"%s\"; units are d (days, the default), h, s, or %%", q);
	return fail(c, reason);
}

/* "33%" or "12.5%": the share of a certificate's lifetime (0 < p <= 100). */
static int parse_percent(struct cursor *c, struct mc_threshold *out)
{
	double p = 0, scale = 1;
	long long whole;
	int rc = parse_digits(c, &whole);

	if (rc < 0)
		return rc;
	if (whole > 100)
		return fail(c, "a percentage must be above 0 and at most 100");
	p = (double)whole;
	if (*c->p == '.') {
		c->p++;
		if (!is_digit(*c->p))
			return fail(c, "expected digits after the decimal point");
		for (; is_digit(*c->p); c->p++)
			p += (*c->p - '0') * (scale /= 10);
	}
	if (*c->p++ != '%')
		return fail(c, "write a percentage as 33% or 12.5%");
	if ((rc = expect_end(c)) < 0)
		return rc;
	if (p <= 0 || p > 100)
		return fail(c, "a percentage must be above 0 and at most 100");
	out->kind = MC_TH_PERCENT;
	out->percent = p;
	return 0;
}

/*
 * A Nagios range (monitoring-plugins development guidelines, "Threshold
 * and ranges"): "start:end" alerts outside [start, end], "@start:end"
 * inside it; "~" is minus infinity, an empty end plus infinity, and an
 * omitted start is 0.
 */
static int parse_range(struct cursor *c, struct mc_threshold *out)
{
	int rc;

	out->kind = MC_TH_RANGE;
	if (*c->p == '@') {
		out->inside = 1;
		c->p++;
		if (!strchr(c->p, ':'))
			return fail(c, "after \"@\" give both ends of a range, e.g. @10:20");
	}
	if (*c->p == '~') {
		c->p++;
	} else if (*c->p == ':') {
		out->has_lo = 1;
	} else {
		out->has_lo = 1;
		if ((rc = parse_amount(c, &out->lo)) < 0)
			return rc;
	}
	if (*c->p++ != ':')
		return fail(c, "expected \":\" after the start of the range");
	if (*c->p != '\0') {
		out->has_hi = 1;
		if ((rc = parse_amount(c, &out->hi)) < 0)
			return rc;
	}
	if ((rc = expect_end(c)) < 0)
		return rc;
	if (out->has_lo && out->has_hi && out->lo > out->hi)
		return fail(c, "the start of the range is after its end");
	return 0;
}

/* A plain amount ("30", "12h") or a percentage ("33%"). */
static int parse_single(struct cursor *c, struct mc_threshold *out)
{
	int rc;

	if (c->p[strspn(c->p, "0123456789.")] == '%')
		return parse_percent(c, out);
	out->kind = MC_TH_SECONDS;
	rc = parse_amount(c, &out->seconds);
	return rc < 0 ? rc : expect_end(c);
}

struct mc_threshold mc_threshold_default(int critical)
{
	return (struct mc_threshold){
	    .kind = MC_TH_LIFETIME, .seconds = (critical ? 15 : 30) * DAY, .share = critical ? 6 : 3};
}

int mc_threshold_parse(struct mc_threshold *out, const char *spec, char *err, size_t errlen)
{
	struct cursor c = {.spec = spec ? spec : "", .p = spec, .err = err, .errlen = errlen};
	struct mc_threshold th = {0};
	int rc;

	if (!spec || !*spec)
		return fail(&c, "it is empty; give e.g. 30d, 12h, 900s, 33% or the range 30:");
	if (strcmp(spec, "renewal") == 0) {
		*out = (struct mc_threshold){.kind = MC_TH_RENEWAL, .share = 3};
		return 0;
	}
	if (*spec == '@' || *spec == '~' || strchr(spec, ':'))
		rc = parse_range(&c, &th);
	else
		rc = parse_single(&c, &th);
	if (rc < 0)
		return rc;
	*out = th;
	return 0;
}

struct mc_threshold mc_threshold_for(const mailcert_policy *policy, size_t index, int critical)
{
	const struct mc_threshold *th = critical ? &policy->critical : &policy->warning;

	return th->kind == MC_TH_RENEWAL && index > 0 ? mc_threshold_default(critical) : *th;
}

int mc_threshold_alerts(const struct mc_threshold *th, long long remaining, long long lifetime)
{
	int outside;

	switch (th->kind) {
	case MC_TH_SECONDS:
		return remaining < th->seconds;
	case MC_TH_PERCENT:
	case MC_TH_LIFETIME:
	case MC_TH_RENEWAL:
		return remaining < mc_threshold_seconds(th, lifetime);
	case MC_TH_RANGE:
		break;
	}
	outside = (th->has_lo && remaining < th->lo) || (th->has_hi && remaining > th->hi);
	return th->inside ? !outside : outside;
}

/* The smallest whole number of seconds not below @s. */
static long long ceil_seconds(double s)
{
	return (long long)s + ((double)(long long)s < s);
}

/*
 * For a share of the lifetime, the smallest whole number of seconds that
 * does not alert, so that "remaining < result" agrees with
 * mc_threshold_alerts(). A range has such a value only when it alerts
 * below its start; other ranges give 0.
 */
long long mc_threshold_seconds(const struct mc_threshold *th, long long lifetime)
{
	switch (th->kind) {
	case MC_TH_SECONDS:
		return th->seconds;
	case MC_TH_PERCENT:
		return lifetime <= 0 ? 0 : ceil_seconds(th->percent * (double)lifetime / 100.0);
	case MC_TH_LIFETIME:
		if (lifetime >= MC_LONG_LIFETIME)
			return th->seconds;
		/* fall through */
	case MC_TH_RENEWAL:
		return lifetime <= 0 ? 0 : ceil_seconds((double)lifetime / th->share);
	case MC_TH_RANGE:
		break;
	}
	return !th->inside && th->has_lo ? th->lo : 0;
}
