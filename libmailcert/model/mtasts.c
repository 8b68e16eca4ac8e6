/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) records and policies; see
 * mtasts.h. The grammar followed is the RFCs' ABNF; where this file
 * chooses between readings, the comment says which and why.
 */
#include <stdint.h>
#include <string.h>

#include "model/mtasts.h"
#include "model/util.h"

#define QUOTE_MAX 64                  /* untrusted bytes shown in one message */
#define QUOTE_BUF (QUOTE_MAX * 4 + 4) /* worst case: every byte as \xNN, then "..." */

struct span {
	const uint8_t *p;
	size_t len;
};

static int is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(uint8_t c)
{
	return is_alpha(c) || is_digit(c);
}

static int is_wsp(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static int is_ctl(uint8_t c)
{
	return c < 0x20 || c == 0x7f;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static int span_is(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && memcmp(s.p, lit, n) == 0;
}

static void quote(char q[QUOTE_BUF], struct span s)
{
	mc_quote(q, QUOTE_BUF, s.p, s.len, QUOTE_MAX);
}

static struct span trim_wsp(struct span s)
{
	while (s.len > 0 && is_wsp(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_wsp(s.p[s.len - 1]))
		s.len--;
	return s;
}

/*
 * RFC 8461 §3.1 sts-ext-name, RFC 8460 §3 tlsrpt-ext-name and RFC 8461
 * §3.2 sts-policy-ext-name alike: (ALPHA / DIGIT) *31(ALPHA / DIGIT /
 * "_" / "-" / ".").
 */
static int valid_ext_name(struct span s)
{
	if (s.len == 0 || s.len > 32 || !is_alnum(s.p[0]))
		return 0;
	for (size_t i = 1; i < s.len; i++)
		if (!is_alnum(s.p[i]) && s.p[i] != '_' && s.p[i] != '-' && s.p[i] != '.')
			return 0;
	return 1;
}

/* sts-ext-value and tlsrpt-ext-value: 1*(%x21-3A / %x3C / %x3E-7E). */
static int valid_ext_value(struct span s)
{
	if (s.len == 0)
		return 0;
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] < 0x21 || s.p[i] > 0x7e || s.p[i] == ';' || s.p[i] == '=')
			return 0;
	return 1;
}

/* ---- TXT records ---------------------------------------------------- */

/*
 * Whether @s starts with the version tag @version, then ";", white space
 * or nothing. RFC 8461 §3.1 and RFC 8460 §3 say records "that do not
 * begin with v=STSv1;" (v=TLSRPTv1;) are discarded, yet their ABNF allows
 * white space before the ";" (RFC 8461 erratum 6285): "v=STSv1 ;" is
 * taken as a candidate, "v=STSv10;" is not.
 */
static int starts_with_version(struct span s, const char *version)
{
	size_t n = strlen(version);

	if (s.len < n || memcmp(s.p, version, n) != 0)
		return 0;
	return s.len == n || s.p[n] == ';' || is_wsp(s.p[n]);
}

/*
 * The one record among @n that starts with @version: 1 with it in @out,
 * 0 when none does, -1 when several do (RFC 8461 §3.1, RFC 8460 §3: the
 * number of records must be one).
 */
static int pick_record(const char *const *txt, const size_t *len, size_t n, const char *version,
		       struct span *out, char *err, size_t errlen)
{
	struct span first = {NULL, 0}, second = {NULL, 0};
	size_t count = 0;

	for (size_t i = 0; txt && len && i < n; i++) {
		struct span s = {(const uint8_t *)txt[i], txt[i] ? len[i] : 0};

		if (!starts_with_version(s, version))
			continue;
		if (count == 0)
			first = s;
		else if (count == 1)
			second = s;
		count++;
	}
	if (count == 0)
		return 0;
	if (count > 1) {
		char q1[QUOTE_BUF], q2[QUOTE_BUF];

		quote(q1, first);
		quote(q2, second);
		mc_set_error(err, errlen,
			     "%zu TXT records start with %s, there must be one: \"%s\", \"%s\"%s",
			     count, version, q1, q2, count > 2 ? ", ..." : "");
		return -1;
	}
	*out = first;
	return 1;
}

/* Called for each name=value field after the version; 0 or -1 with a reason. */
typedef int (*field_fn)(void *ctx, struct span name, struct span value, char *err, size_t errlen);

/*
 * Walks the fields of a record that starts with @version:
 *   version 1*(*WSP ";" *WSP field) [*WSP ";" *WSP]
 * No field value either RFC allows holds a ";" (ext values exclude it,
 * the id is alphanumeric, URIs must encode it), so fields are what lies
 * between the semicolons, white space trimmed. White space at the very
 * end without a ";" is tolerated too.
 */
static int walk_fields(struct span rec, const char *version, field_fn fn, void *ctx, char *err,
		       size_t errlen)
{
	struct span rest = {rec.p + strlen(version), rec.len - strlen(version)};
	char q[QUOTE_BUF];

	rest = trim_wsp(rest);
	if (rest.len == 0)
		return 0;
	if (rest.p[0] != ';') {
		quote(q, rest);
		mc_set_error(err, errlen, "expected \";\" after %s, found \"%s\"", version, q);
		return -1;
	}
	rest.p++;
	rest.len--;
	while (rest.len > 0) {
		const uint8_t *semi = memchr(rest.p, ';', rest.len);
		size_t n = semi ? (size_t)(semi - rest.p) : rest.len;
		struct span field = trim_wsp((struct span){rest.p, n});
		const uint8_t *eq;
		struct span name, value;

		rest.p += semi ? n + 1 : n;
		rest.len -= semi ? n + 1 : n;
		/*
		 * Only between two ";": @rest has no white space at its end, so
		 * after the last ";" there is a field or nothing at all.
		 */
		if (field.len == 0) {
			quote(q, rec);
			mc_set_error(err, errlen, "an empty field between two \";\" in \"%s\"", q);
			return -1;
		}
		eq = memchr(field.p, '=', field.len);
		if (!eq) {
			quote(q, field);
			mc_set_error(err, errlen, "field \"%s\" is not name=value", q);
			return -1;
		}
		name = (struct span){field.p, (size_t)(eq - field.p)};
		value = (struct span){eq + 1, field.len - name.len - 1};
		if (!valid_ext_name(name)) {
			quote(q, name);
			mc_set_error(
			    err, errlen,
			    "field name \"%s\" is not 1 to 32 letters, digits, \"_\", \"-\" "
			    "or \".\" starting with a letter or digit",
			    q);
			return -1;
		}
		if (fn(ctx, name, value, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* An extension field: ignored, but it must be well-formed to be ignored. */
static int ext_field(struct span name, struct span value, char *err, size_t errlen)
{
	char qn[QUOTE_BUF], qv[QUOTE_BUF];

	if (valid_ext_value(value))
		return 0;
	quote(qn, name);
	quote(qv, value);
	mc_set_error(err, errlen,
		     "field %s has the value \"%s\", which is not visible ASCII without \"=\" "
		     "and \";\"",
		     qn, qv);
	return -1;
}

struct sts_ctx {
	char *id;
	int have_id;
};

/* sts-id-value = 1*32(ALPHA / DIGIT) */
static int valid_id(struct span v)
{
	if (v.len == 0 || v.len > 32)
		return 0;
	for (size_t i = 0; i < v.len; i++)
		if (!is_alnum(v.p[i]))
			return 0;
	return 1;
}

static int sts_field(void *ctx, struct span name, struct span value, char *err, size_t errlen)
{
	struct sts_ctx *c = ctx;
	char q[QUOTE_BUF];

	if (!span_is(name, "id"))
		return ext_field(name, value, err, errlen);
	if (!valid_id(value)) {
		quote(q, value);
		mc_set_error(err, errlen, "id \"%s\" is not 1 to 32 letters and digits", q);
		return -1;
	}
	/*
	 * §3.1 says nothing of a repeated id; §3.2 has senders keep the first
	 * of any repeated field, which is taken to hold here too.
	 */
	if (!c->have_id) {
		memcpy(c->id, value.p, value.len);
		c->id[value.len] = '\0';
		c->have_id = 1;
	}
	return 0;
}

int mc_mtasts_txt(const char *const *txt, const size_t *len, size_t n, char id[33], char *err,
		  size_t errlen)
{
	struct sts_ctx c = {id, 0};
	struct span rec;
	char q[QUOTE_BUF];
	int rc;

	id[0] = '\0';
	rc = pick_record(txt, len, n, "v=STSv1", &rec, err, errlen);
	if (rc <= 0)
		return rc;
	if (walk_fields(rec, "v=STSv1", sts_field, &c, err, errlen) < 0)
		goto invalid;
	if (!c.have_id) {
		quote(q, rec);
		mc_set_error(err, errlen, "no id field in \"%s\"", q);
		goto invalid;
	}
	return 1;

invalid:
	id[0] = '\0'; /* a repeated id may have been kept before the error */
	return -1;
}

/*
 * Whether @c may stand unencoded in a tlsrpt-uri: RFC 3986 unreserved,
 * reserved and "%", less what RFC 8460 §3 wants encoded (",", "!", ";").
 */
static int uri_char(uint8_t c)
{
	return is_alnum(c) || (c != '\0' && strchr("-._~:/?#[]@$&'()*+=%", c) != NULL);
}

static int has_prefix_ci(struct span s, const char *prefix)
{
	size_t n = strlen(prefix);

	if (s.len < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != (uint8_t)prefix[i])
			return 0;
	return 1;
}

/* One URI of a rua list: mailto: or https:// (schemes in any case, RFC 3986 §3.1). */
static int valid_rua_uri(struct span u, char *err, size_t errlen)
{
	char q[QUOTE_BUF];
	size_t scheme;

	quote(q, u);
	if (has_prefix_ci(u, "mailto:")) {
		scheme = 7;
	} else if (has_prefix_ci(u, "https://")) {
		scheme = 8;
	} else {
		mc_set_error(err, errlen, "rua URI \"%s\" is neither mailto: nor https://", q);
		return -1;
	}
	if (u.len == scheme) {
		mc_set_error(err, errlen, "rua URI \"%s\" has nothing after the scheme", q);
		return -1;
	}
	for (size_t i = scheme; i < u.len; i++) {
		if (!uri_char(u.p[i])) {
			mc_set_error(
			    err, errlen,
			    "rua URI \"%s\" holds a character that must be percent-encoded", q);
			return -1;
		}
	}
	return 0;
}

struct rpt_ctx {
	struct span rua;
	int have_rua;
};

static int rpt_field(void *ctx, struct span name, struct span value, char *err, size_t errlen)
{
	struct rpt_ctx *c = ctx;
	struct span rest;
	char q[QUOTE_BUF];

	if (!span_is(name, "rua"))
		return ext_field(name, value, err, errlen);
	/* RFC 8460 says nothing of a repeated rua; which one to use would be a guess. */
	if (c->have_rua) {
		mc_set_error(err, errlen, "rua is given twice");
		return -1;
	}
	/* tlsrpt-rua = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri) */
	rest = trim_wsp(value);
	if (rest.len == 0) {
		mc_set_error(err, errlen, "rua is empty");
		return -1;
	}
	c->rua = rest;
	c->have_rua = 1;
	while (rest.len > 0) {
		const uint8_t *comma = memchr(rest.p, ',', rest.len);
		size_t n = comma ? (size_t)(comma - rest.p) : rest.len;
		struct span uri = trim_wsp((struct span){rest.p, n});

		rest.p += comma ? n + 1 : n;
		rest.len -= comma ? n + 1 : n;
		if (uri.len == 0 || (comma && rest.len == 0)) {
			quote(q, c->rua);
			mc_set_error(err, errlen, "rua \"%s\" has an empty URI", q);
			return -1;
		}
		if (valid_rua_uri(uri, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int mc_tlsrpt_txt(const char *const *txt, const size_t *len, size_t n, char *rua, size_t rualen,
		  char *err, size_t errlen)
{
	struct rpt_ctx c = {{NULL, 0}, 0};
	struct span rec;
	char q[QUOTE_BUF];
	int rc;

	if (rua && rualen > 0)
		rua[0] = '\0';
	rc = pick_record(txt, len, n, "v=TLSRPTv1", &rec, err, errlen);
	if (rc <= 0)
		return rc;
	if (walk_fields(rec, "v=TLSRPTv1", rpt_field, &c, err, errlen) < 0)
		return -1;
	if (!c.have_rua) {
		quote(q, rec);
		mc_set_error(err, errlen, "no rua field in \"%s\"", q);
		return -1;
	}
	if (rua && rualen > 0) {
		size_t k = 0;

		/*
		 * URI characters, "," and white space around the commas (a URI
		 * holds none): checked above. The white space goes, so that what
		 * is shown is "uri,uri" without a tab in it.
		 */
		for (size_t i = 0; i < c.rua.len && k < rualen - 1; i++)
			if (!is_wsp(c.rua.p[i]))
				rua[k++] = (char)c.rua.p[i];
		rua[k] = '\0';
	}
	return 1;
}

/* ---- the policy body ------------------------------------------------- */

static const char *const mode_names[] = {
    [MC_MTASTS_NONE] = "none",
    [MC_MTASTS_TESTING] = "testing",
    [MC_MTASTS_ENFORCE] = "enforce",
};

struct policy_ctx {
	struct mc_mtasts_policy *out;
	unsigned line;
	int have_version, have_mode, have_max_age;
};

/*
 * Whether a version, mode or max_age is a repeat, to be ignored: RFC 8461
 * §3.2, "all entries except for the first SHALL be ignored".
 */
static int repeated(struct policy_ctx *c, int *have)
{
	if (!*have) {
		*have = 1;
		return 0;
	}
	if (c->out->dup_line == 0)
		c->out->dup_line = c->line;
	return 1;
}

/*
 * sts-policy-mx-value = ["*."] Domain, Domain as in RFC 5321 §4.1.2:
 * labels of letters, digits and "-", neither first nor last a "-"; DNS
 * bounds (63 per label, 253 in all) on top, so that a pattern fits the
 * 256 bytes kept.
 */
static int valid_mx(struct span s)
{
	size_t label = 0;

	if (s.len >= 2 && s.p[0] == '*' && s.p[1] == '.') {
		s.p += 2;
		s.len -= 2;
	}
	if (s.len == 0 || s.len > 253)
		return 0;
	for (size_t i = 0; i < s.len; i++) {
		uint8_t ch = s.p[i];

		if (ch == '.') {
			if (label == 0 || s.p[i - 1] == '-')
				return 0;
			label = 0;
		} else if (is_alnum(ch) || (ch == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0 && s.p[s.len - 1] != '-';
}

static int policy_field(struct policy_ctx *c, struct span name, struct span value, char *err,
			size_t errlen)
{
	struct mc_mtasts_policy *out = c->out;
	char q[QUOTE_BUF];

	quote(q, value);
	if (span_is(name, "version")) {
		if (!span_is(value, "STSv1")) {
			mc_set_error(err, errlen, "line %u: version \"%s\" is not STSv1", c->line,
				     q);
			return -1;
		}
		repeated(c, &c->have_version);
	} else if (span_is(name, "mode")) {
		enum mc_mtasts_mode m;

		if (span_is(value, "enforce")) {
			m = MC_MTASTS_ENFORCE;
		} else if (span_is(value, "testing")) {
			m = MC_MTASTS_TESTING;
		} else if (span_is(value, "none")) {
			m = MC_MTASTS_NONE;
		} else {
			mc_set_error(err, errlen,
				     "line %u: mode \"%s\" is not enforce, testing or none",
				     c->line, q);
			return -1;
		}
		if (!repeated(c, &c->have_mode))
			out->mode = m;
	} else if (span_is(name, "max_age")) {
		long long v = 0;

		/* sts-policy-max-age-value = 1*10(DIGIT); at most a year (§3.2). */
		for (size_t i = 0; i < value.len; i++) {
			if (!is_digit(value.p[i]) || value.len > 10) {
				mc_set_error(err, errlen,
					     "line %u: max_age \"%s\" is not 1 to 10 digits",
					     c->line, q);
				return -1;
			}
			v = v * 10 + (value.p[i] - '0');
		}
		if (v > MC_MTASTS_MAX_AGE) {
			mc_set_error(err, errlen,
				     "line %u: max_age %s is more than %lld seconds (a year)",
				     c->line, q, MC_MTASTS_MAX_AGE);
			return -1;
		}
		if (!repeated(c, &c->have_max_age))
			out->max_age = v;
	} else if (span_is(name, "mx")) {
		if (!valid_mx(value)) {
			mc_set_error(err, errlen,
				     "line %u: mx \"%s\" is not a host name, or \"*.\" and one",
				     c->line, q);
			return -1;
		}
		if (out->mx_len == MC_MTASTS_MAX_MX) {
			mc_set_error(err, errlen, "line %u: more than %d mx lines", c->line,
				     MC_MTASTS_MAX_MX);
			return -1;
		}
		for (size_t i = 0; i < value.len; i++)
			out->mx[out->mx_len][i] = (char)lower(value.p[i]);
		out->mx[out->mx_len][value.len] = '\0';
		out->mx_len++;
	}
	/* Anything else is an extension field, ignored (§3.2). */
	return 0;
}

/*
 * One line, its terminator removed. sts-policy-record has no empty
 * lines and no white space before a name, only "*WSP" after a value; the
 * value (sts-policy-ext-value) holds no control character. Names are
 * case-sensitive (%s in the ABNF): "Mode: enforce" is an extension.
 */
static int policy_line(struct policy_ctx *c, struct span s, char *err, size_t errlen)
{
	const uint8_t *colon;
	struct span name, value;
	char q[QUOTE_BUF];

	quote(q, s);
	if (s.len == 0) {
		mc_set_error(err, errlen, "line %u: empty line", c->line);
		return -1;
	}
	if (is_wsp(s.p[0])) {
		mc_set_error(err, errlen, "line %u: \"%s\" starts with white space", c->line, q);
		return -1;
	}
	colon = memchr(s.p, ':', s.len);
	if (!colon) {
		mc_set_error(err, errlen, "line %u: \"%s\" is not \"name: value\"", c->line, q);
		return -1;
	}
	name = (struct span){s.p, (size_t)(colon - s.p)};
	if (!valid_ext_name(name)) {
		quote(q, name);
		mc_set_error(err, errlen,
			     "line %u: field name \"%s\" is not 1 to 32 letters, digits, \"_\", "
			     "\"-\" or \".\" starting with a letter or digit",
			     c->line, q);
		return -1;
	}
	/* sts-policy-field-delim = ":" *WSP, and *WSP may end the line. */
	value = trim_wsp((struct span){colon + 1, s.len - name.len - 1});
	if (value.len == 0) {
		mc_set_error(err, errlen, "line %u: %.*s has no value", c->line, (int)name.len,
			     (const char *)name.p);
		return -1;
	}
	for (size_t i = 0; i < value.len; i++) {
		if (is_ctl(value.p[i])) {
			quote(q, value);
			mc_set_error(err, errlen,
				     "line %u: the value of %.*s holds a control character: \"%s\"",
				     c->line, (int)name.len, (const char *)name.p, q);
			return -1;
		}
	}
	return policy_field(c, name, value, err, errlen);
}

/*
 * The fields may come in any order: the ABNF of §3.2 is a list of
 * sts-policy-field, each any of version, mode, max_age, mx or an
 * extension (drafts before the RFC fixed the order; the RFC does not).
 */
static int policy_parse(struct policy_ctx *c, struct span body, char *err, size_t errlen)
{
	struct mc_mtasts_policy *out = c->out;

	if (body.len > MC_MTASTS_MAX_BYTES) {
		mc_set_error(err, errlen, "the policy is %zu bytes, more than %d", body.len,
			     MC_MTASTS_MAX_BYTES);
		return -1;
	}
	if (body.len == 0) {
		mc_set_error(err, errlen, "the policy is empty");
		return -1;
	}
	while (body.len > 0) {
		const uint8_t *lf = memchr(body.p, '\n', body.len);
		size_t n = lf ? (size_t)(lf - body.p) : body.len;
		struct span line = {body.p, n};

		body.p += lf ? n + 1 : n;
		body.len -= lf ? n + 1 : n;
		c->line++;
		/* sts-policy-term = LF / CRLF: a CR ends a line only before a LF. */
		if (lf && n > 0 && line.p[n - 1] == '\r')
			line.len--;
		if (policy_line(c, line, err, errlen) < 0)
			return -1;
	}
	if (!c->have_version) {
		mc_set_error(err, errlen, "no version field (\"version: STSv1\")");
		return -1;
	}
	if (!c->have_mode) {
		mc_set_error(err, errlen, "no mode field");
		return -1;
	}
	if (!c->have_max_age) {
		mc_set_error(err, errlen, "no max_age field");
		return -1;
	}
	if (out->mx_len == 0 && out->mode != MC_MTASTS_NONE) {
		mc_set_error(err, errlen, "mode is %s but there is no mx field",
			     mode_names[out->mode]);
		return -1;
	}
	return 0;
}

int mc_mtasts_policy_parse(const char *body, size_t len, struct mc_mtasts_policy *out, char *err,
			   size_t errlen)
{
	struct policy_ctx c = {out, 0, 0, 0, 0};
	struct span s = {(const uint8_t *)body, body ? len : 0};

	memset(out, 0, sizeof(*out));
	if (policy_parse(&c, s, err, errlen) < 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

/* ---- MX patterns ----------------------------------------------------- */

static int equal_ci(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower((uint8_t)a[i]) != lower((uint8_t)b[i]))
			return 0;
	return 1;
}

int mc_mtasts_mx_match(const char *pattern, const char *host)
{
	size_t pl, hl;

	if (!pattern || !host)
		return 0;
	pl = strlen(pattern);
	hl = strlen(host);
	/* Names compare without the root's trailing dot. */
	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	if (pl > 0 && pattern[pl - 1] == '.')
		pl--;
	if (hl == 0 || pl == 0)
		return 0;
	if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* §4.1: the wildcard stands for exactly one label, the leftmost. */
		const char *suffix = pattern + 1; /* ".example.com" */
		size_t sl = pl - 1;

		if (hl <= sl || !equal_ci(host + hl - sl, suffix, sl))
			return 0;
		return memchr(host, '.', hl - sl) == NULL;
	}
	return pl == hl && equal_ci(pattern, host, pl);
}
