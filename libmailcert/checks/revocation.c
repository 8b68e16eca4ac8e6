/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Revocation: the OCSP responses the server stapled, and the CRLs the
 * policy holds (--crl) or the observation fetched (--crl-fetch,
 * crlfetch.c). Pure like every check: what was fetched is evidence in the
 * observation; every time judgement uses the evaluation's `now`.
 *
 * Findings, stapled OCSP: ocsp.revoked (CRITICAL), ocsp.unknown (WARNING:
 * the responder does not know the certificate), ocsp.stale (WARNING:
 * thisUpdate in the future beyond OCSP_SKEW, or nextUpdate past),
 * ocsp.invalid (CRITICAL: a response that does not parse, is not
 * "successful", or whose signature does not verify against the issuer),
 * ocsp.mismatch (WARNING: a response about no certificate of the chain),
 * ocsp.must-staple (CRITICAL: the leaf requires a staple and there is no
 * valid one about it). No staple at all is not a finding.
 *
 * Findings, CRLs: crl.revoked (CRITICAL), crl.stale (WARNING: nextUpdate
 * past), crl.invalid (WARNING: a CRL naming a chain certificate's issuer
 * whose signature does not verify with that issuer's key; it is not used),
 * crl.unavailable (WARNING: --crl-fetch could not get a CRL).
 *
 * A trust anchor (self-issued, or itself in the trust store) is never
 * looked up in a CRL or an OCSP response (check_ssl_cert #537); serial
 * numbers are compared as integers, never as text (#540).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/ocsp.h>

#include "model/internal.h"

/* Clocks differ: an OCSP response made a few minutes "in the future" is normal. */
#define OCSP_SKEW 300
/* Serial numbers are at most 20 octets (RFC 5280 4.1.2.2); accept some slack. */
#define SERIAL_MAX 64
/* Bounds on what one response or CRL makes us loop over. */
#define MAX_SINGLES 64

/* Times in the messages, as validity.c writes them. */

/* Verification must not consult the clock: times are judged against `now` here. */
#define VERIFY_FLAGS (GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS)

/* Unsigned big-endian integers, leading zero octets ignored: "00 ab cd" == "ab cd". */
static int serial_eq(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	while (alen > 1 && a[0] == 0)
		a++, alen--;
	while (blen > 1 && b[0] == 0)
		b++, blen--;
	return alen == blen && memcmp(a, b, alen) == 0;
}

/*
 * Whether @crt is a trust anchor: self-issued, or itself in the trust
 * store (@trust may be NULL). Nobody above it can revoke it, so no CRL or
 * OCSP response is asked about it.
 */
int mc_is_trust_anchor(gnutls_x509_trust_list_t trust, gnutls_x509_crt_t crt)
{
	gnutls_x509_crt_t found = NULL;
	gnutls_datum_t dn = {NULL, 0};
	int anchor = 0;

	if (gnutls_x509_crt_check_issuer(crt, crt))
		return 1;
	if (!trust || gnutls_x509_crt_get_raw_dn(crt, &dn) < 0)
		return 0;
	if (gnutls_x509_trust_list_get_issuer_by_dn(trust, &dn, &found, GNUTLS_TL_GET_COPY) >= 0) {
		anchor = gnutls_x509_crt_equals(found, crt);
		gnutls_x509_crt_deinit(found);
	}
	gnutls_free(dn.data);
	return anchor;
}

/*
 * The issuer of chain element @i: a certificate sent that issued it (any
 * order), else one of the trust store (a copy, put in *@owned for the
 * caller to free). NULL when neither has it: trust.c reports that.
 */
static gnutls_x509_crt_t find_issuer(const struct mc_eval *ev, gnutls_x509_trust_list_t trust,
				     size_t i, gnutls_x509_crt_t *owned)
{
	gnutls_x509_crt_t found = NULL;

	*owned = NULL;
	for (size_t j = 0; j < ev->n; j++)
		if (j != i && gnutls_x509_crt_check_issuer(ev->crts[i], ev->crts[j]))
			return ev->crts[j];
	if (trust && gnutls_x509_trust_list_get_issuer(trust, ev->crts[i], &found,
						       GNUTLS_TL_GET_COPY) >= 0) {
		*owned = found;
		return found;
	}
	return NULL;
}

/* ---- stapled OCSP -------------------------------------------------- */

static const char *crl_reason_name(int reason)
{
	/* RFC 5280 section 5.3.1 */
	switch (reason) {
	case GNUTLS_X509_CRLREASON_KEYCOMPROMISE:
		return "keyCompromise";
	case GNUTLS_X509_CRLREASON_CACOMPROMISE:
		return "cACompromise";
	case GNUTLS_X509_CRLREASON_AFFILIATIONCHANGED:
		return "affiliationChanged";
	case GNUTLS_X509_CRLREASON_SUPERSEDED:
		return "superseded";
	case GNUTLS_X509_CRLREASON_CESSATIONOFOPERATION:
		return "cessationOfOperation";
	case GNUTLS_X509_CRLREASON_CERTIFICATEHOLD:
		return "certificateHold";
	case GNUTLS_X509_CRLREASON_REMOVEFROMCRL:
		return "removeFromCRL";
	case GNUTLS_X509_CRLREASON_PRIVILEGEWITHDRAWN:
		return "privilegeWithdrawn";
	case GNUTLS_X509_CRLREASON_AACOMPROMISE:
		return "aACompromise";
	default:
		return "unspecified";
	}
}

static const char *responder_status_name(int status)
{
	/* RFC 6960 section 4.2.1 */
	switch (status) {
	case GNUTLS_OCSP_RESP_MALFORMEDREQUEST:
		return "malformedRequest";
	case GNUTLS_OCSP_RESP_INTERNALERROR:
		return "internalError";
	case GNUTLS_OCSP_RESP_TRYLATER:
		return "tryLater";
	case GNUTLS_OCSP_RESP_SIGREQUIRED:
		return "sigRequired";
	case GNUTLS_OCSP_RESP_UNAUTHORIZED:
		return "unauthorized";
	default:
		return "an unknown status";
	}
}

/* What gnutls_ocsp_resp_verify_direct()'s bits mean, for people. */
static void ocsp_verify_reasons(char *out, size_t len, unsigned status)
{
	static const struct {
		unsigned bit;
		const char *text;
	} reasons[] = {
	    {GNUTLS_OCSP_VERIFY_SIGNATURE_FAILURE, "its signature does not verify"},
	    {GNUTLS_OCSP_VERIFY_SIGNER_NOT_FOUND,
	     "it is signed neither by the issuer nor by a responder the issuer delegated"},
	    {GNUTLS_OCSP_VERIFY_UNTRUSTED_SIGNER, "its signer is not certified by the issuer"},
	    {GNUTLS_OCSP_VERIFY_SIGNER_KEYUSAGE_ERROR,
	     "its signer's certificate lacks the OCSP signing purpose"},
	    {GNUTLS_OCSP_VERIFY_INSECURE_ALGORITHM, "it is signed with an insecure algorithm"},
	};
	size_t o = 0;

	snprintf(out, len, "its signature does not verify");
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if ((status & reasons[i].bit) && o < len)
			o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "; " : "",
					      reasons[i].text);
}

/* The chain element response @resp speaks about, with its SingleResponse index; 0 when found. */
static int ocsp_subject(const struct mc_eval *ev, gnutls_ocsp_resp_t resp, size_t *cert,
			unsigned *single)
{
	for (unsigned s = 0; s < MAX_SINGLES; s++) {
		if (gnutls_ocsp_resp_get_single(resp, s, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
						NULL, NULL) < 0)
			break;
		for (size_t i = 0; i < ev->n; i++)
			if (gnutls_ocsp_resp_check_crt(resp, s, ev->crts[i]) == 0) {
				*cert = i;
				*single = s;
				return 0;
			}
	}
	return -1;
}

/* "serial 0a1b… " of the first SingleResponse, for a response about nobody we know. */
static void ocsp_first_serial(gnutls_ocsp_resp_t resp, char *out, size_t len)
{
	gnutls_datum_t serial = {NULL, 0};

	snprintf(out, len, "an unreadable serial number");
	if (gnutls_ocsp_resp_get_single(resp, 0, NULL, NULL, NULL, &serial, NULL, NULL, NULL, NULL,
					NULL) < 0)
		return;
	if (serial.size > 0 && serial.size <= SERIAL_MAX && len >= 2 * serial.size + 8) {
		memcpy(out, "serial ", 7);
		mc_hex(out + 7, serial.data, serial.size);
	}
	gnutls_free(serial.data);
}

/* Status, freshness and revocation of a verified response's SingleResponse @s about element @i. */
static int ocsp_judge(struct mc_eval *ev, gnutls_ocsp_resp_t resp, unsigned s, size_t i,
		      const char *label)
{
	unsigned status;
	time_t this_update, next_update, rev_time;
	unsigned int reason;
	char d1[MC_DATE_MAX], d2[MC_DATE_MAX];
	int rc;

	rc = gnutls_ocsp_resp_get_single(resp, s, NULL, NULL, NULL, NULL, &status, &this_update,
					 &next_update, &rev_time, &reason);
	if (rc < 0)
		return mc_report_add(ev->report, "ocsp.invalid", MAILCERT_CRITICAL, (int)i,
				     "the stapled OCSP response about %s cannot be read: %s", label,
				     gnutls_strerror(rc));
	if (this_update != (time_t)-1 && this_update > ev->now + OCSP_SKEW) {
		mc_format_utc(d1, this_update, 0);
		rc = mc_report_add(ev->report, "ocsp.stale", MAILCERT_WARNING, (int)i,
				   "the stapled OCSP response about %s was produced for %s, in the "
				   "future: check the clocks of the server and of its CA",
				   label, d1);
	} else if (next_update != (time_t)-1 && next_update < ev->now) {
		mc_format_utc(d1, this_update, 0);
		mc_format_utc(d2, next_update, 0);
		rc =
		    mc_report_add(ev->report, "ocsp.stale", MAILCERT_WARNING, (int)i,
				  "the stapled OCSP response about %s (from %s) expired on %s: the "
				  "server staples an old response; make it fetch a fresh one",
				  label, d1, d2);
	}
	if (rc < 0)
		return rc;
	switch (status) {
	case GNUTLS_OCSP_CERT_GOOD:
		return 0;
	case GNUTLS_OCSP_CERT_REVOKED:
		mc_format_utc(d1, rev_time, 0);
		return mc_report_add(ev->report, "ocsp.revoked", MAILCERT_CRITICAL, (int)i,
				     "%s is revoked (stapled OCSP response: revoked on %s, reason "
				     "%s); replace the certificate",
				     label, d1, crl_reason_name((int)reason));
	default:
		return mc_report_add(
		    ev->report, "ocsp.unknown", MAILCERT_WARNING, (int)i,
		    "the OCSP responder does not know %s (stapled response "
		    "status \"unknown\"): the certificate may not be from that CA, "
		    "or the responder is not up to date",
		    label);
	}
}

/* One stapled response; sets *@leaf_ok when it is a verified response about the leaf. */
static int check_staple(struct mc_eval *ev, gnutls_x509_trust_list_t trust, size_t k, int *leaf_ok)
{
	gnutls_ocsp_resp_t resp;
	gnutls_x509_crt_t issuer, owned = NULL;
	char label[MC_LABEL_MAX], why[256];
	size_t i = 0;
	unsigned s = 0, verify = 0;
	int rc, status;

	if (gnutls_ocsp_resp_init(&resp) < 0)
		return MAILCERT_E_NOMEM;
	rc = gnutls_ocsp_resp_import(resp, &ev->obs->ocsp[k]);
	if (rc < 0) {
		rc = mc_report_add(ev->report, "ocsp.invalid", MAILCERT_CRITICAL, -1,
				   "the server stapled an OCSP response that does not parse (%s); "
				   "fix the server's OCSP stapling",
				   gnutls_strerror(rc));
		goto out;
	}
	status = gnutls_ocsp_resp_get_status(resp);
	if (status != GNUTLS_OCSP_RESP_SUCCESSFUL) {
		rc = mc_report_add(ev->report, "ocsp.invalid", MAILCERT_CRITICAL, -1,
				   "the server stapled an OCSP error response (%s) instead of a "
				   "certificate status; fix the server's OCSP stapling",
				   responder_status_name(status));
		goto out;
	}
	if (ocsp_subject(ev, resp, &i, &s) < 0) {
		mc_cert_label(label, sizeof(label), ev, 0);
		ocsp_first_serial(resp, why, sizeof(why));
		rc = mc_report_add(ev->report, "ocsp.mismatch", MAILCERT_WARNING, 0,
				   "the stapled OCSP response is about another certificate (%s), "
				   "not %s or its chain: the server staples an old response file "
				   "(after a renewal?); refresh it",
				   why, label);
		goto out;
	}
	mc_cert_label(label, sizeof(label), ev, i);
	rc = 0;
	if (mc_is_trust_anchor(trust, ev->crts[i]))
		goto out;
	issuer = find_issuer(ev, trust, i, &owned);
	if (!issuer) {
		rc = mc_report_add(ev->report, "ocsp.invalid", MAILCERT_CRITICAL, (int)i,
				   "the stapled OCSP response about %s cannot be verified: the "
				   "issuer of that certificate is unknown",
				   label);
		goto out;
	}
	rc = gnutls_ocsp_resp_verify_direct(resp, issuer, &verify, VERIFY_FLAGS);
	/* A delegated responder's validity would be judged with the clock; not here. */
	verify &=
	    ~(unsigned)(GNUTLS_OCSP_VERIFY_CERT_NOT_ACTIVATED | GNUTLS_OCSP_VERIFY_CERT_EXPIRED);
	if (rc < 0 || verify != 0) {
		if (rc < 0)
			snprintf(why, sizeof(why), "%s", gnutls_strerror(rc));
		else
			ocsp_verify_reasons(why, sizeof(why), verify);
		rc = mc_report_add(ev->report, "ocsp.invalid", MAILCERT_CRITICAL, (int)i,
				   "the stapled OCSP response about %s is not valid: %s; its "
				   "status is ignored; fix the server's OCSP stapling",
				   label, why);
		goto out;
	}
	if (i == 0)
		*leaf_ok = 1;
	rc = ocsp_judge(ev, resp, s, i, label);
out:
	if (owned)
		gnutls_x509_crt_deinit(owned);
	gnutls_ocsp_resp_deinit(resp);
	return rc;
}

/* Whether @crt carries the TLS feature extension (RFC 7633) with status_request. */
static int must_staple(gnutls_x509_crt_t crt)
{
	gnutls_x509_tlsfeatures_t f;
	unsigned feature, critical = 0;
	int found = 0;

	if (gnutls_x509_tlsfeatures_init(&f) < 0)
		return 0;
	if (gnutls_x509_crt_get_tlsfeatures(crt, f, 0, &critical) >= 0)
		for (unsigned i = 0; !found && gnutls_x509_tlsfeatures_get(f, i, &feature) >= 0;
		     i++)
			found = feature == 5 || feature == 17; /* status_request (v2) */
	gnutls_x509_tlsfeatures_deinit(f);
	return found;
}

static int check_ocsp(struct mc_eval *ev, gnutls_x509_trust_list_t trust)
{
	char label[MC_LABEL_MAX];
	int leaf_ok = 0, rc = 0;

	for (size_t k = 0; rc >= 0 && k < ev->obs->ocsp_len; k++)
		rc = check_staple(ev, trust, k, &leaf_ok);
	if (rc < 0 || leaf_ok || !must_staple(ev->crts[0]))
		return rc;
	mc_cert_label(label, sizeof(label), ev, 0);
	return mc_report_add(ev->report, "ocsp.must-staple", MAILCERT_CRITICAL, 0,
			     "%s requires a stapled OCSP response (TLS feature status_request, "
			     "\"must-staple\"), but the server stapled %s; clients that honour it "
			     "refuse the connection: enable OCSP stapling in the server",
			     label, ev->obs->ocsp_len ? "no valid one about it" : "none");
}

/* ---- CRLs ---------------------------------------------------------- */

/* One CRL to consult, where it came from, and whether it was judged already. */
struct crl_src {
	gnutls_x509_crl_t crl;
	const char *origin; /* "the CRL file \"…\"" or "the CRL from URL" */
	int owned;
	int reported; /* crl.invalid or crl.stale said once */
};

/* Whether CRL @c lists serial @serial; *@when gets the revocation date. */
static int crl_lists(gnutls_x509_crl_t c, const unsigned char *serial, size_t len, time_t *when)
{
	gnutls_x509_crl_iter_t iter = NULL;
	unsigned char entry[SERIAL_MAX];
	size_t elen = sizeof(entry);
	int found = 0, rc;

	while ((rc = gnutls_x509_crl_iter_crt_serial(c, &iter, entry, &elen, when)) !=
	       GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		if (rc >= 0 && serial_eq(serial, len, entry, elen)) {
			found = 1;
			break;
		}
		if (rc < 0 && rc != GNUTLS_E_SHORT_MEMORY_BUFFER)
			break; /* a broken entry ends the list */
		elen = sizeof(entry);
	}
	gnutls_x509_crl_iter_deinit(iter);
	return found;
}

/* CRL @src is the one of @issuer: verify it, judge its age, look up element @i. */
static int crl_judge(struct mc_eval *ev, struct crl_src *src, gnutls_x509_crt_t issuer, size_t i,
		     const char *label)
{
	unsigned char serial[SERIAL_MAX];
	size_t slen = sizeof(serial);
	unsigned status = 0;
	time_t next, when = (time_t)-1;
	char d1[MC_DATE_MAX];
	int rc;

	rc = gnutls_x509_crl_verify(src->crl, &issuer, 1, VERIFY_FLAGS, &status);
	/* Its age is judged below against `now`, not by GnuTLS against the clock. */
	status &= ~(unsigned)(GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED |
			      GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
			      GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE);
	if (status == GNUTLS_CERT_INVALID)
		status = 0;
	if (rc < 0 || status != 0) {
		if (src->reported)
			return 0;
		src->reported = 1;
		return mc_report_add(ev->report, "crl.invalid", MAILCERT_WARNING, (int)i,
				     "%s names the issuer of %s but its signature does not verify "
				     "with that issuer's key (%s); it was not used",
				     src->origin, label,
				     rc < 0 ? gnutls_strerror(rc)
				     : (status & GNUTLS_CERT_INSECURE_ALGORITHM)
					 ? "insecure algorithm"
					 : "wrong key or corrupted");
	}
	next = gnutls_x509_crl_get_next_update(src->crl);
	if (next != (time_t)-1 && next < ev->now && !src->reported) {
		src->reported = 1;
		mc_format_utc(d1, next, 0);
		rc = mc_report_add(ev->report, "crl.stale", MAILCERT_WARNING, (int)i,
				   "%s, which covers %s, was due to be replaced on %s; get a "
				   "current CRL (revocations since then are not known)",
				   src->origin, label, d1);
		if (rc < 0)
			return rc;
	}
	if (gnutls_x509_crt_get_serial(ev->crts[i], serial, &slen) < 0)
		return 0;
	if (!crl_lists(src->crl, serial, slen, &when))
		return 0;
	mc_format_utc(d1, when, 0);
	return mc_report_add(ev->report, "crl.revoked", MAILCERT_CRITICAL, (int)i,
			     "%s is revoked: %s lists it, revoked on %s; replace the certificate",
			     label, src->origin, d1);
}

static int crl_sources(const struct mc_eval *ev, struct crl_src *srcs, size_t *n)
{
	const mailcert_policy *p = ev->policy;
	const struct mc_evidence *got = ev->evidence;

	*n = 0;
	for (size_t k = 0; k < p->crls_len; k++)
		srcs[(*n)++] =
		    (struct crl_src){.crl = p->crls[k],
				     .origin = mc_asprintf("the CRL file \"%s\"", p->crl_paths[k])};
	for (size_t k = 0; k < got->crl_len; k++) {
		gnutls_x509_crl_t c;

		if (!got->crl[k].der.data || gnutls_x509_crl_init(&c) < 0)
			continue;
		if (gnutls_x509_crl_import(c, &got->crl[k].der, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crl_deinit(c);
			continue;
		}
		srcs[(*n)++] = (struct crl_src){
		    .crl = c,
		    .owned = 1,
		    .origin = mc_asprintf("the CRL from %s", got->crl[k].url)};
	}
	for (size_t k = 0; k < *n; k++)
		if (!srcs[k].origin)
			return MAILCERT_E_NOMEM;
	return 0;
}

static int fetch_failures(struct mc_eval *ev)
{
	const struct mc_evidence *got = ev->evidence;
	char label[MC_LABEL_MAX];
	int rc = 0;

	for (size_t k = 0; rc >= 0 && k < got->crl_len; k++) {
		const struct mc_crl_fetch *f = &got->crl[k];

		if (!f->error)
			continue;
		mc_cert_label(label, sizeof(label), ev,
			      f->cert >= 0 && (size_t)f->cert < ev->n ? (size_t)f->cert : 0);
		rc =
		    mc_report_add(ev->report, "crl.unavailable", MAILCERT_WARNING, f->cert,
				  "the CRL of %s could not be fetched from %s: %s%s", label, f->url,
				  f->error, f->der.data ? "; the cached copy was used" : "");
	}
	return rc;
}

static int check_crls(struct mc_eval *ev, gnutls_x509_trust_list_t trust)
{
	size_t max = ev->policy->crls_len + ev->evidence->crl_len, n = 0;
	struct crl_src *srcs;
	int rc = fetch_failures(ev);

	if (rc < 0 || max == 0)
		return rc;
	srcs = calloc(max, sizeof(*srcs));
	if (!srcs)
		return MAILCERT_E_NOMEM;
	rc = crl_sources(ev, srcs, &n);
	for (size_t i = 0; rc >= 0 && i < ev->n; i++) {
		gnutls_x509_crt_t issuer, owned = NULL;
		char label[MC_LABEL_MAX];

		if (mc_is_trust_anchor(trust, ev->crts[i]))
			continue;
		issuer = find_issuer(ev, trust, i, &owned);
		if (!issuer)
			continue;
		mc_cert_label(label, sizeof(label), ev, i);
		for (size_t k = 0; rc >= 0 && k < n; k++)
			if (gnutls_x509_crl_check_issuer(srcs[k].crl, issuer))
				rc = crl_judge(ev, &srcs[k], issuer, i, label);
		if (owned)
			gnutls_x509_crt_deinit(owned);
	}
	for (size_t k = 0; k < max; k++) {
		if (srcs[k].owned)
			gnutls_x509_crl_deinit(srcs[k].crl);
		free((char *)srcs[k].origin);
	}
	free(srcs);
	return rc;
}

int mc_check_revocation(struct mc_eval *ev)
{
	/* NULL when the system store cannot load: trust.c said so; issuers sent still count. */
	gnutls_x509_trust_list_t trust = mc_policy_trust(ev->policy);
	int rc = check_ocsp(ev, trust);

	return rc < 0 ? rc : check_crls(ev, trust);
}
