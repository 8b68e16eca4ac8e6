/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Names: is the leaf valid for every name the client expects (the policy's
 * names, else the target host)? Matching is GnuTLS's RFC 6125 matcher:
 * DNS-ID and IP-ID from subjectAltName, a wildcard only as the whole
 * left-most label (section 6.4.3), and the CN only when the certificate
 * has no DNS-ID (section 6.4.4). Finding: name.mismatch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"

#define NAMES_SHOWN 5 /* names listed in a message before "and N more" */
#define NAME_CHARS 64 /* characters shown of each */

/*
 * Appends up to NAMES_SHOWN of @names to @out as "a", "b" and N more.
 * Expected names come from the user and are quoted here; SANs were
 * quoted when the report described them, so @quote is 0 for those.
 */
static void append_names(char *out, size_t len, const char *const *names, size_t n, int quote)
{
	size_t o = strlen(out);

	for (size_t i = 0; i < n && o < len; i++) {
		char item[4 * NAME_CHARS + 4];
		size_t l = strlen(names[i]);

		if (i == NAMES_SHOWN) {
			snprintf(out + o, len - o, " and %zu more", n - i);
			return;
		}
		if (quote)
			mc_quote(item, sizeof(item), names[i], l, NAME_CHARS);
		else
			snprintf(item, sizeof(item), "%.*s%s", NAME_CHARS, names[i],
				 l > NAME_CHARS ? "..." : "");
		o += (size_t)snprintf(out + o, len - o, "%s\"%s\"", i ? ", " : "", item);
	}
}

static int report_mismatch(struct mc_eval *ev, const char *name)
{
	const char *const *san = ev->report->certs[0].info.san;
	size_t nsan = 0;
	char label[MC_LABEL_MAX], expected[1024] = "", has[1024] = "";

	while (san[nsan])
		nsan++;
	mc_cert_label(label, sizeof(label), ev, 0);
	append_names(expected, sizeof(expected), &name, 1, 1);
	append_names(has, sizeof(has), san, nsan, 0);
	return mc_report_add(
	    ev->report, "name.mismatch", MAILCERT_CRITICAL, 0,
	    "%s is not valid for %s; %s%s; reissue it with the right name, or "
	    "check the name you connect to",
	    label, expected,
	    nsan ? "its names are " : "it has no DNS or IP subject alternative name", has);
}

/*
 * The name as GnuTLS's matcher wants it: an absolute name's final dot
 * ("mail.example.com.") and an IPv6 literal's brackets do not change
 * which host is meant. Written to @buf when changed.
 */
static const char *plain_name(char *buf, size_t len, const char *name)
{
	size_t l = strlen(name);

	if (l >= 2 && name[0] == '[' && name[l - 1] == ']' && l - 2 < len) {
		memcpy(buf, name + 1, l - 2);
		buf[l - 2] = '\0';
		return buf;
	}
	if (l >= 2 && name[l - 1] == '.' && name[l - 2] != '.' && l - 1 < len) {
		memcpy(buf, name, l - 1);
		buf[l - 1] = '\0';
		return buf;
	}
	return name;
}

/* Appends @name to the report's matched names, ", " between them. */
static int add_matched(mailcert_report *r, const char *name)
{
	char *joined = r->matched_name ? mc_asprintf("%s, %s", r->matched_name, name)
				       : strdup(name);

	if (!joined)
		return MAILCERT_E_NOMEM;
	free(r->matched_name);
	r->matched_name = joined;
	return 0;
}

/*
 * Every expected name must be covered: a certificate valid for
 * mail.example.com but not for the name of the MX record pointing at it
 * fails some clients, whichever name the check happened to try first.
 * GnuTLS 3.7 implements RFC 6125 as this family needs (each rule has a
 * test in test-check-names.c): an IP address matches an IP SAN only,
 * never a DNS SAN or the CN; a wildcard matches one whole left-most label
 * ("*.example.com", not "f*.example.com", "a.*.example.com", "*.com" or
 * example.com itself); the CN is a fallback only when there is no
 * subjectAltName at all.
 */
int mc_check_names(struct mc_eval *ev)
{
	const mailcert_policy *p = ev->policy;
	const char *const *names = (const char *const *)p->names;
	size_t n = p->names_len;
	int rc = 0;

	if (n == 0) {
		/* File mode has no host: then there is nothing to match. */
		if (!ev->obs->host || !*ev->obs->host)
			return 0;
		names = (const char *const *)&ev->obs->host;
		n = 1;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char buf[256];
		const char *name = plain_name(buf, sizeof(buf), names[i]);

		if (gnutls_x509_crt_check_hostname2(ev->crts[0], name, 0))
			rc = add_matched(ev->report, names[i]);
		else
			rc = report_mismatch(ev, names[i]);
	}
	return rc;
}
