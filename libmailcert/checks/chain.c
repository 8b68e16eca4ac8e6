/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The chain as sent, beyond trust (checks/trust.c reports a missing
 * issuer and an untrusted chain): certificates out of order
 * (chain.order), a root sent along (chain.root-included), certificates
 * that are not on the path from the leaf (chain.extra), and an
 * intermediate that expires before the leaf (cert.expiring on that
 * intermediate), all WARNING: clients usually cope today, and the chain
 * file is what to fix.
 *
 * RFC 5246 section 7.4.2 wants the server's certificate first and each
 * following one certifying the one before it; RFC 8446 section 4.4.2
 * keeps the first rule and makes the second a SHOULD. Strict clients
 * (older Java, some embedded stacks) still fail on a disordered chain.
 */
#include <stdio.h>
#include <string.h>

#include "model/internal.h"


/* The certificates of the path from the leaf, in path order, as positions in the chain as sent. */
struct path {
	size_t leaf;
	size_t at[MC_MAX_CHAIN];
	size_t len;
	int on[MC_MAX_CHAIN];
};

/* As checks/trust.c: self-issued and its own key verifies its signature. */
static int self_signed(gnutls_x509_crt_t crt)
{
	unsigned status = 0;

	if (!gnutls_x509_crt_check_issuer(crt, crt))
		return 0;
	if (gnutls_x509_crt_verify(crt, &crt, 1,
				   GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
				       GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
				       GNUTLS_VERIFY_DO_NOT_ALLOW_SAME,
				   &status) < 0)
		return 0;
	return !(status & GNUTLS_CERT_SIGNATURE_FAILURE);
}

static int is_ca(gnutls_x509_crt_t crt)
{
	return gnutls_x509_crt_get_ca_status(crt, NULL) > 0;
}

/*
 * The leaf is the first certificate sent (the protocol says so), unless
 * that one is a CA and a certificate that is not one was sent after it:
 * then the server's own certificate was put in the wrong place.
 */
static size_t find_leaf(const struct mc_eval *ev)
{
	if (!is_ca(ev->crts[0]))
		return 0;
	/* A self-issued certificate is a root, even an old v1 one without basicConstraints. */
	for (size_t i = 1; i < ev->n; i++)
		if (!is_ca(ev->crts[i]) && !gnutls_x509_crt_check_issuer(ev->crts[i], ev->crts[i]))
			return i;
	return 0;
}

/*
 * From the leaf, each certificate's issuer among those sent and not yet on
 * the path, preferring the one at the next position; stops at a
 * self-issued certificate or a missing issuer. Bounded by the chain length.
 */
static void build_path(const struct mc_eval *ev, struct path *p)
{
	memset(p, 0, sizeof(*p));
	p->leaf = find_leaf(ev);
	p->at[p->len++] = p->leaf;
	p->on[p->leaf] = 1;
	while (p->len < ev->n) {
		size_t cur = p->at[p->len - 1], next = ev->n;

		if (gnutls_x509_crt_check_issuer(ev->crts[cur], ev->crts[cur]))
			break;
		if (cur + 1 < ev->n && !p->on[cur + 1] &&
		    gnutls_x509_crt_check_issuer(ev->crts[cur], ev->crts[cur + 1]))
			next = cur + 1;
		for (size_t j = 0; j < ev->n && next == ev->n; j++)
			if (!p->on[j] && gnutls_x509_crt_check_issuer(ev->crts[cur], ev->crts[j]))
				next = j;
		if (next == ev->n)
			break;
		p->at[p->len++] = next;
		p->on[next] = 1;
	}
}

/*
 * mc_cert_label() without the role: describe.c calls whatever comes first
 * the leaf, which is the very thing in doubt when the order is wrong.
 */
static void subject_label(char *dst, size_t len, const struct mc_eval *ev, size_t i)
{
	char label[MC_LABEL_MAX];
	const char *space;

	mc_cert_label(label, sizeof(label), ev, i);
	space = strchr(label, ' ');
	snprintf(dst, len, "%s", space ? space + 1 : label);
}

/* "1 CN=\"mail.test\", 2 CN=\"Test Root\", …": the chain as sent, by position. */
static void as_sent(char *out, size_t len, const struct mc_eval *ev)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < ev->n && o < len; i++) {
		char label[MC_LABEL_MAX];

		subject_label(label, sizeof(label), ev, i);
		o += (size_t)snprintf(out + o, len - o, "%s%zu %s", i ? ", " : "", i + 1, label);
	}
}

static int check_order(struct mc_eval *ev, const struct path *p)
{
	char what[MC_LABEL_MAX], issuer[MC_LABEL_MAX], sent[2048];
	size_t k = 1;

	if (p->leaf == 0) {
		/* Unrelated certificates in between are chain.extra, not disorder. */
		while (k < p->len && p->at[k] > p->at[k - 1])
			k++;
		if (k == p->len)
			return 0;
	}
	as_sent(sent, sizeof(sent), ev);
	if (p->leaf != 0) {
		subject_label(what, sizeof(what), ev, 0);
		subject_label(issuer, sizeof(issuer), ev, p->leaf);
		return mc_report_add(
		    ev->report, "chain.order", MAILCERT_WARNING, 0,
		    "the chain is sent out of order: position 1 holds the CA certificate %s, "
		    "but the server's own certificate, %s, must come first and is at "
		    "position %zu (as sent: %s); put the leaf first, each certificate "
		    "followed by its issuer",
		    what, issuer, p->leaf + 1, sent);
	}
	mc_cert_label(what, sizeof(what), ev, p->at[k - 1]);
	mc_cert_label(issuer, sizeof(issuer), ev, p->at[k]);
	return mc_report_add(
	    ev->report, "chain.order", MAILCERT_WARNING, (int)p->at[k - 1],
	    "the chain is sent out of order: position %zu holds %s, but its issuer, "
	    "%s, comes before it at position %zu (as sent: %s); put the leaf first, "
	    "each certificate followed by its issuer",
	    p->at[k - 1] + 1, what, issuer, p->at[k] + 1, sent);
}

static int check_root(struct mc_eval *ev, const struct path *p)
{
	int rc = 0;

	for (size_t k = 1; rc == 0 && k < p->len; k++) {
		size_t i = p->at[k];
		char label[MC_LABEL_MAX];

		/* Not is_ca(): old v1 roots have no basicConstraints. */
		if (!self_signed(ev->crts[i]))
			continue;
		mc_cert_label(label, sizeof(label), ev, i);
		rc = mc_report_add(
		    ev->report, "chain.root-included", MAILCERT_WARNING, (int)i,
		    "the server sends %s at position %zu, a self-signed root: clients "
		    "trust a root only from their own store, so sending it only adds "
		    "bytes to every handshake; remove it from the chain file",
		    label, i + 1);
	}
	return rc;
}

/* Whether @i, off the path, could issue a certificate on it (a cross-signed alternative). */
static int alternative_issuer(const struct mc_eval *ev, const struct path *p, size_t i)
{
	for (size_t k = 0; k < p->len; k++)
		if (gnutls_x509_crt_check_issuer(ev->crts[p->at[k]], ev->crts[i]))
			return 1;
	return 0;
}

/* The position of a certificate on the path with the same fingerprint as @i, or ev->n. */
static size_t duplicate_of(const struct mc_eval *ev, const struct path *p, size_t i)
{
	const struct mc_cert_store *certs = ev->report->certs;

	for (size_t k = 0; k < p->len; k++)
		if (strcmp(certs[p->at[k]].info.sha256, certs[i].info.sha256) == 0)
			return p->at[k];
	return ev->n;
}

static int check_extra(struct mc_eval *ev, const struct path *p)
{
	char label[MC_LABEL_MAX], leaf[MC_LABEL_MAX];
	int rc = 0;

	mc_cert_label(leaf, sizeof(leaf), ev, p->leaf);
	for (size_t i = 0; rc == 0 && i < ev->n; i++) {
		size_t dup;

		if (p->on[i])
			continue;
		dup = duplicate_of(ev, p, i);
		/* A copy plays the part of its original: a repeated leaf is a leaf. */
		mc_cert_label(label, sizeof(label), ev, dup < ev->n ? dup : i);
		if (dup < ev->n) {
			rc = mc_report_add(ev->report, "chain.extra", MAILCERT_WARNING, (int)i,
					   "the server sends %s twice, at positions %zu and %zu; "
					   "remove the copy from the chain file",
					   label, dup + 1, i + 1);
			continue;
		}
		if (alternative_issuer(ev, p, i))
			continue;
		rc = mc_report_add(ev->report, "chain.extra", MAILCERT_WARNING, (int)i,
				   "the server sends %s at position %zu, which is not on the path "
				   "from %s to its root; remove it from the chain file",
				   label, i + 1, leaf);
	}
	return rc;
}

/* Whether checks/validity.c already reported on certificate @i. */
static int validity_reported(const struct mc_eval *ev, size_t i)
{
	const mailcert_report *r = ev->report;

	for (size_t f = 0; f < r->findings_len; f++)
		if (r->findings[f].cert == (int)i && strncmp(r->findings[f].code, "cert.", 5) == 0)
			return 1;
	return 0;
}

/*
 * An intermediate that expires before the leaf ends the chain's life
 * early, however far off that is: the server then sends a chain no
 * client accepts although the leaf is still valid.
 */
static int check_expires_first(struct mc_eval *ev, const struct path *p)
{
	const struct mc_cert_store *certs = ev->report->certs;
	time_t leaf_end = certs[p->leaf].info.not_after;
	int rc = 0;

	for (size_t k = 1; rc == 0 && k < p->len; k++) {
		size_t i = p->at[k];
		char label[MC_LABEL_MAX], leaf[MC_LABEL_MAX], when[MC_DATE_MAX], leaf_when[MC_DATE_MAX];

		if (certs[i].info.not_after >= leaf_end || self_signed(ev->crts[i]) ||
		    validity_reported(ev, i))
			continue;
		mc_cert_label(label, sizeof(label), ev, i);
		mc_cert_label(leaf, sizeof(leaf), ev, p->leaf);
		mc_format_utc(when, certs[i].info.not_after, 0);
		mc_format_utc(leaf_when, leaf_end, 0);
		rc = mc_report_add(ev->report, "cert.expiring", MAILCERT_WARNING, (int)i,
				   "%s expires %s, before %s (%s): from then on the chain fails; "
				   "install the current chain file from your CA",
				   label, when, leaf, leaf_when);
	}
	return rc;
}

int mc_check_chain(struct mc_eval *ev)
{
	struct path p;
	int rc;

	/* What was judged is not all that was sent: say so, before anything
	 * the missing part may explain (a chain "ending" at position 32). */
	if (ev->obs->chain_dropped > 0) {
		rc = mc_report_add(ev->report, "chain.too-long", MAILCERT_WARNING, -1,
				   "the server sent %zu certificates; mailcert kept the first %d "
				   "and judged those; serve the leaf and its intermediates only",
				   ev->n + ev->obs->chain_dropped, MC_MAX_CHAIN);
		if (rc < 0)
			return rc;
	}
	if (ev->n < 2)
		return 0;
	build_path(ev, &p);
	rc = check_order(ev, &p);
	if (rc == 0)
		rc = check_root(ev, &p);
	if (rc == 0)
		rc = check_extra(ev, &p);
	if (rc == 0)
		rc = check_expires_first(ev, &p);
	return rc;
}
