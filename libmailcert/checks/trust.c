/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Trust: does the chain as sent lead to a CA of the policy's trust store?
 * Findings: trust.self-signed, chain.incomplete, trust.untrusted — at most
 * one of them, the most specific.
 *
 * Times are judged by validity.c against the evaluation's `now`; GnuTLS
 * would use the clock, so its time checks are off here.
 */
#include <stdio.h>
#include <string.h>

#include "model/internal.h"

#define VERIFY_FLAGS (GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS)

/* Status bits about time: validity.c reports those, with the evaluation's clock. */
#define TIME_BITS (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED)

/* Verifies the chain as sent; *@status keeps only the bits this check reports. */
static int verify_chain(gnutls_x509_trust_list_t trust, const struct mc_eval *ev, unsigned *status)
{
	int rc = gnutls_x509_trust_list_verify_crt2(trust, ev->crts, (unsigned)ev->n, NULL, 0,
						    VERIFY_FLAGS, status, NULL);

	*status &= ~TIME_BITS;
	/* INVALID alone is what remains when only time bits were set. */
	if (*status == GNUTLS_CERT_INVALID)
		*status = 0;
	return rc;
}

/*
 * Self-signed: the issuer is the subject and the certificate's own key
 * verifies its signature. GnuTLS would accept any certificate found in its
 * CA list without checking its signature, hence DO_NOT_ALLOW_SAME; a leaf
 * that is not a CA then also yields SIGNER_NOT_CA, which is beside the point.
 */
static int self_signed(gnutls_x509_crt_t crt)
{
	unsigned status = 0;

	if (!gnutls_x509_crt_check_issuer(crt, crt))
		return 0;
	if (gnutls_x509_crt_verify(crt, &crt, 1, VERIFY_FLAGS | GNUTLS_VERIFY_DO_NOT_ALLOW_SAME,
				   &status) < 0)
		return 0;
	/* A weak hash is a crypto finding; the certificate is still self-signed. */
	return !(status & GNUTLS_CERT_SIGNATURE_FAILURE);
}

/*
 * The certificate the path as sent ends at: from the leaf, follow each
 * certificate's issuer among those sent, in any order, until one is
 * self-issued or its issuer was not sent. Bounded by the chain length,
 * so a loop of cross-signed certificates ends.
 */
static size_t path_top(const struct mc_eval *ev)
{
	size_t cur = 0;

	for (size_t steps = 0; steps < ev->n; steps++) {
		size_t next = ev->n;

		if (gnutls_x509_crt_check_issuer(ev->crts[cur], ev->crts[cur]))
			break;
		for (size_t j = 0; j < ev->n && next == ev->n; j++)
			if (j != cur && gnutls_x509_crt_check_issuer(ev->crts[cur], ev->crts[j]))
				next = j;
		if (next == ev->n)
			break;
		cur = next;
	}
	return cur;
}

/* Whether the trust store holds an issuer of @crt. */
static int store_has_issuer(gnutls_x509_trust_list_t trust, gnutls_x509_crt_t crt)
{
	gnutls_x509_crt_t issuer;

	return gnutls_x509_trust_list_get_issuer(trust, crt, &issuer, 0) >= 0;
}

/* What the status bits mean, for people; time bits were removed before. */
static void status_reasons(char *out, size_t len, unsigned status)
{
	static const struct {
		unsigned bit;
		const char *text;
	} reasons[] = {
	    {GNUTLS_CERT_SIGNATURE_FAILURE, "a signature in the chain does not verify"},
	    {GNUTLS_CERT_SIGNER_NOT_CA, "a certificate is signed by one that is not a CA"},
	    {GNUTLS_CERT_INSECURE_ALGORITHM, "a signature uses an insecure algorithm"},
	    {GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE,
	     "an issuer's key usage, path length or name constraints forbid the chain"},
	    {GNUTLS_CERT_REVOKED, "a certificate is revoked"},
	    {GNUTLS_CERT_PURPOSE_MISMATCH, "a certificate may not be used for TLS servers"},
	    {GNUTLS_CERT_UNEXPECTED_OWNER, "unexpected owner"},
	    {GNUTLS_CERT_MISMATCH, "the certificate does not match the expected one"},
	    {GNUTLS_CERT_SIGNER_NOT_FOUND, "no path to a trusted CA"},
	};
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if ((status & reasons[i].bit) && o < len)
			o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "; " : "",
					      reasons[i].text);
	if (out[0] == '\0') {
		gnutls_datum_t text = {NULL, 0};

		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text,
								 0) >= 0)
			snprintf(out, len, "%s", (const char *)text.data);
		gnutls_free(text.data);
	}
}

/*
 * GnuTLS found no issuer for the path: name the certificate where the path
 * as sent stops. Returns 1 when that is not the cause after all.
 */
static int report_unknown_issuer(struct mc_eval *ev, gnutls_x509_trust_list_t trust)
{
	size_t top = path_top(ev);
	const char *issuer = ev->report->certs[top].info.issuer;
	char label[MC_LABEL_MAX], dn[4 * 200 + 4];

	mc_cert_label(label, sizeof(label), ev, top);
	if (gnutls_x509_crt_check_issuer(ev->crts[top], ev->crts[top])) {
		if (!self_signed(ev->crts[top]))
			return mc_report_add(
			    ev->report, "trust.untrusted", MAILCERT_CRITICAL, (int)top,
			    "%s names itself as its issuer, but its signature does "
			    "not verify with its own key",
			    label);
		return mc_report_add(ev->report, "trust.untrusted", MAILCERT_CRITICAL, (int)top,
				     "the chain ends at %s, which the trust store does not have; "
				     "if it is your own CA, trust it with --ca-file",
				     label);
	}
	if (store_has_issuer(trust, ev->crts[top]))
		return 1;
	mc_quote(dn, sizeof(dn), issuer, strlen(issuer), 200);
	/* Servers send intermediates, not roots: when the path as sent ends at a
	 * CA, the missing piece is its root, which only the trust store can
	 * supply; when it ends at the leaf, an intermediate is missing. */
	if (top != 0 && gnutls_x509_crt_get_ca_status(ev->crts[top], NULL) > 0)
		return mc_report_add(ev->report, "trust.untrusted", MAILCERT_CRITICAL, (int)top,
				     "the chain ends at %s, issued by %s, which the trust store "
				     "does not have; if it is your own CA, trust it with --ca-file",
				     label, dn);
	return mc_report_add(ev->report, "chain.incomplete", MAILCERT_CRITICAL, (int)top,
			     "the server did not send the issuer of %s (%s) and the trust store "
			     "does not have it; serve the full chain (e.g. fullchain.pem), or "
			     "trust that CA with --ca-file if it is your own",
			     label, dn);
}

static int report_self_signed(struct mc_eval *ev)
{
	char label[MC_LABEL_MAX];

	mc_cert_label(label, sizeof(label), ev, 0);
	return mc_report_add(ev->report, "trust.self-signed", MAILCERT_CRITICAL, 0,
			     "%s is self-signed; use a certificate from a CA, or accept it with "
			     "--allow-self-signed",
			     label);
}

static int report_untrusted(struct mc_eval *ev, unsigned status)
{
	char label[MC_LABEL_MAX], why[512];

	mc_cert_label(label, sizeof(label), ev, 0);
	status_reasons(why, sizeof(why), status);
	return mc_report_add(ev->report, "trust.untrusted", MAILCERT_CRITICAL, 0,
			     "%s is not trusted: %s", label, why);
}

int mc_check_trust(struct mc_eval *ev)
{
	gnutls_x509_trust_list_t trust = mc_policy_trust(ev->policy);
	unsigned status = 0;
	int rc;

	if (!trust)
		return mc_report_add(ev->report, "trust.untrusted", MAILCERT_CRITICAL, 0,
				     "the system trust store could not be loaded; "
				     "give the CAs to trust with --ca-file or --ca-dir");
	rc = verify_chain(trust, ev, &status);
	if (rc < 0)
		return mc_report_add(ev->report, "trust.untrusted", MAILCERT_CRITICAL, 0,
				     "the chain could not be verified: %s", gnutls_strerror(rc));
	if (status == 0) {
		/* The CA/B calendar (checks/maxvalidity.c) is for publicly trusted chains. */
		ev->publicly_trusted = ev->policy->trust_system > 0 && ev->policy->trust_sources == 0;
		return 0;
	}
	/* A self-signed leaf that the store holds passed above: the user pinned it. */
	if (self_signed(ev->crts[0]))
		return ev->policy->allow_self_signed ? 0 : report_self_signed(ev);
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
		rc = report_unknown_issuer(ev, trust);
		if (rc <= 0)
			return rc;
	}
	return report_untrusted(ev, status);
}
