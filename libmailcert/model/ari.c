/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ACME Renewal Information (RFC 9773): the certID of a certificate, and
 * the parsers of what a CA answers — its ACME directory (RFC 8555
 * §7.1.1) and a renewalInfo document. Both come from the network: json-c
 * reads them within their length, and nothing of them reaches a message
 * but checked dates and URLs made safe to print. Pure; fuzzed
 * (tests/fuzz/fuzz-ari.c). The fetches are engine/ari_stage.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "model/internal.h"

#define URL_MAX 700 /* a renewalInfo URL, a certID appended */

/* base64url without padding (RFC 4648 §5), as RFC 9773 §4.1 writes certIDs. */
static int base64url(const unsigned char *data, size_t len, char *out, size_t outlen)
{
	gnutls_datum_t raw = {(unsigned char *)data, (unsigned)len}, b64 = {NULL, 0};
	size_t n = 0;

	if (gnutls_base64_encode2(&raw, &b64) < 0)
		return -1;
	for (size_t i = 0; i < b64.size && b64.data[i] != '='; i++) {
		if (n + 1 >= outlen) {
			gnutls_free(b64.data);
			return -1;
		}
		out[n++] = b64.data[i] == '+' ? '-' : b64.data[i] == '/' ? '_' : (char)b64.data[i];
	}
	out[n] = '\0';
	gnutls_free(b64.data);
	return 0;
}

int mc_ari_cert_id(gnutls_x509_crt_t leaf, char *out, size_t outlen, char *why, size_t whylen)
{
	unsigned char aki[128], serial[64];
	size_t aki_len = sizeof(aki), serial_len = sizeof(serial), n;
	unsigned critical = 0;

	if (gnutls_x509_crt_get_authority_key_id(leaf, aki, &aki_len, &critical) < 0 ||
	    aki_len == 0) {
		mc_set_error(why, whylen,
			     "the leaf has no Authority Key Identifier, which its ARI certID needs");
		return -1;
	}
	if (gnutls_x509_crt_get_serial(leaf, serial, &serial_len) < 0 || serial_len == 0 ||
	    base64url(aki, aki_len, out, outlen) < 0) {
		mc_set_error(why, whylen, "the leaf's ARI certID could not be made");
		return -1;
	}
	n = strlen(out);
	if (n + 2 >= outlen || base64url(serial, serial_len, out + n + 1, outlen - n - 1) < 0) {
		mc_set_error(why, whylen, "the leaf's ARI certID could not be made");
		return -1;
	}
	out[n] = '.';
	return 0;
}

/* A URL safe to print and to fetch: @scheme, printable ASCII, no quote or backslash, bounded. */
static int url_ok(const char *url, const char *scheme)
{
	size_t n = strlen(url), s = strlen(scheme);

	if (n <= s || n > URL_MAX || strncmp(url, scheme, s) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (url[i] <= ' ' || url[i] >= 0x7f || url[i] == '"' || url[i] == '\\')
			return 0;
	return 1;
}

/* @body as a JSON object (the caller puts it), or NULL with the reason in @why. */
static json_object *json_doc(const char *body, size_t len, const char *what, char *why,
			     size_t whylen)
{
	json_tokener *tok;
	json_object *doc;

	if (len == 0 || len > MC_ARI_MAX_BYTES) {
		mc_set_error(why, whylen, "the %s is %s", what, len ? "too large" : "empty");
		return NULL;
	}
	tok = json_tokener_new_ex(16);
	if (!tok) {
		mc_set_error(why, whylen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	doc = json_tokener_parse_ex(tok, body, (int)len);
	/* One document and nothing after it but white space. */
	if (doc && json_tokener_get_parse_end(tok) < len &&
	    strspn(body + json_tokener_get_parse_end(tok), " \t\r\n") !=
		len - json_tokener_get_parse_end(tok)) {
		json_object_put(doc);
		doc = NULL;
	}
	json_tokener_free(tok);
	if (!doc || !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		mc_set_error(why, whylen, "the %s is not a JSON object", what);
		return NULL;
	}
	return doc;
}

/* The string member @key of @obj, or NULL. */
static const char *member(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int mc_ari_directory(const char *body, size_t len, char *out, size_t outlen, char *why,
		     size_t whylen)
{
	json_object *doc = json_doc(body, len, "ACME directory", why, whylen);
	const char *url;
	int rc = -1;

	if (!doc)
		return -1;
	url = member(doc, "renewalInfo");
	if (!url)
		mc_set_error(why, whylen, "the ACME directory has no renewalInfo URL: the CA "
					  "offers no ARI");
	else if (!url_ok(url, "https://") || strlen(url) >= outlen)
		mc_set_error(why, whylen, "the ACME directory's renewalInfo is not an https URL");
	else
		rc = snprintf(out, outlen, "%s", url) < 0 ? -1 : 0;
	json_object_put(doc);
	return rc;
}

static int digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*out = *out * 10 + (s[i] - '0');
	}
	return 0;
}

/* RFC 3339 date-time ("2027-01-20T12:00:00Z", "…T12:00:00.5+01:00") as Unix time; -1 when not one. */
static int rfc3339(const char *s, time_t *out)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, sec, oh, om;
	long long t, offset = 0;
	const char *p = s + 19;

	if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
		return -1;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		offset = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && !digits(p + 1, 2, &oh) &&
		   p[3] == ':' && !digits(p + 4, 2, &om) && oh <= 23 && om <= 59) {
		offset = (*p == '-' ? -1 : 1) * (oh * 3600LL + om * 60LL);
	} else {
		return -1;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec == 60 ? 59 : sec;
	t = (long long)timegm(&tm);
	if (t == -1 || tm.tm_mday != d) /* 2027-02-30 */
		return -1;
	*out = (time_t)(t - offset);
	return 0;
}

int mc_ari_parse(const char *body, size_t len, struct mc_ari *out, char *why, size_t whylen)
{
	json_object *doc = json_doc(body, len, "renewalInfo answer", why, whylen), *win;
	const char *start, *end, *url;
	int rc = -1;

	if (!doc)
		return -1;
	if (!json_object_object_get_ex(doc, "suggestedWindow", &win) ||
	    !json_object_is_type(win, json_type_object))
		mc_set_error(why, whylen, "the renewalInfo answer has no suggestedWindow");
	else if (!(start = member(win, "start")) || !(end = member(win, "end")) ||
		 rfc3339(start, &out->start) < 0 || rfc3339(end, &out->end) < 0)
		mc_set_error(why, whylen,
			     "the renewalInfo answer's suggestedWindow has no start and end in "
			     "RFC 3339 form");
	else if (out->end <= out->start)
		mc_set_error(why, whylen,
			     "the renewalInfo answer's suggestedWindow ends before it starts");
	else
		rc = 0;
	/* Optional, and quoted only when it is a plain http(s) URL. */
	url = rc == 0 ? member(doc, "explanationURL") : NULL;
	out->explanation[0] = '\0';
	if (url && (url_ok(url, "https://") || url_ok(url, "http://")) &&
	    strlen(url) < sizeof(out->explanation))
		snprintf(out->explanation, sizeof(out->explanation), "%s", url);
	json_object_put(doc);
	return rc;
}

const char *mc_ari_known_directory(const char *issuer_dn)
{
	static const struct {
		const char *organization; /* in the issuer's DN, as RFC 4514 writes it */
		const char *directory;
	} cas[] = {
	    {"O=Let's Encrypt", "https://acme-v02.api.letsencrypt.org/directory"},
	    {"O=Google Trust Services", "https://dv.acme-v02.api.pki.goog/directory"},
	};

	for (size_t i = 0; issuer_dn && i < sizeof(cas) / sizeof(cas[0]); i++)
		if (strstr(issuer_dn, cas[i].organization))
			return cas[i].directory;
	return NULL;
}
