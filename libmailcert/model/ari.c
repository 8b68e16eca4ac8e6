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
#include "model/jsondoc.h"

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

int mc_ari_directory(const char *body, size_t len, char *out, size_t outlen, char *why,
		     size_t whylen)
{
	json_object *doc = mc_json_doc(body, len, MC_ARI_MAX_BYTES, "ACME directory", why, whylen);
	const char *url;
	int rc = -1;

	if (!doc)
		return -1;
	url = mc_json_string(doc, "renewalInfo");
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

int mc_ari_parse(const char *body, size_t len, struct mc_ari *out, char *why, size_t whylen)
{
	json_object *doc = mc_json_doc(body, len, MC_ARI_MAX_BYTES, "renewalInfo answer", why, whylen), *win;
	const char *start, *end, *url;
	int rc = -1;

	if (!doc)
		return -1;
	if (!json_object_object_get_ex(doc, "suggestedWindow", &win) ||
	    !json_object_is_type(win, json_type_object))
		mc_set_error(why, whylen, "the renewalInfo answer has no suggestedWindow");
	else if (!(start = mc_json_string(win, "start")) || !(end = mc_json_string(win, "end")) ||
		 mc_rfc3339(start, &out->start) < 0 || mc_rfc3339(end, &out->end) < 0)
		mc_set_error(why, whylen,
			     "the renewalInfo answer's suggestedWindow has no start and end in "
			     "RFC 3339 form");
	else if (out->end <= out->start)
		mc_set_error(why, whylen,
			     "the renewalInfo answer's suggestedWindow ends before it starts");
	else
		rc = 0;
	/* Optional, and quoted only when it is a plain http(s) URL. */
	url = rc == 0 ? mc_json_string(doc, "explanationURL") : NULL;
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
