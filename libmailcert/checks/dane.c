/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DANE: do the TLSA records (from --tlsa, or DNS via engine/tlsa_stage.c) match the
 * chain as sent? Findings: dane.none, dane.lookup-failed, dane.bogus,
 * dane.unusable, dane.mismatch, dane.match; then, when usable records
 * exist, the rollover's (checks/dane_next.c).
 *
 * Matching is done here rather than by gnutls-dane's dane_verify_crt_raw(),
 * which checks DANE-TA chains against the real clock: the evaluation judges
 * time by its `now` only (--at), as trust.c does. A match authenticates the
 * server as RFC 7672 says, so the PKIX findings it makes moot are lowered
 * to OK with the reason, never dropped.
 */
#include <stdio.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include "io/dns.h"
#include "model/internal.h"
#include "model/tlsakey.h"

#define VERIFY_FLAGS (GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS)

static const char *const usage_names[] = {"PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE"};

/* The records to judge and where they come from, for messages. */
struct source {
	const struct mc_tlsa *rr;
	size_t n;
	char where[340];
};

/* The certificate's data a selector names: its DER (0) or its SPKI (1), malloc'ed. */
static int selected(const struct mc_eval *ev, size_t i, unsigned selector, gnutls_datum_t *out)
{
	gnutls_pubkey_t key;
	int rc;

	out->data = NULL;
	if (selector == 0) {
		out->data = gnutls_malloc(ev->obs->chain[i].size);
		if (!out->data)
			return -1;
		memcpy(out->data, ev->obs->chain[i].data, ev->obs->chain[i].size);
		out->size = ev->obs->chain[i].size;
		return 0;
	}
	if (gnutls_pubkey_init(&key) < 0)
		return -1;
	rc = gnutls_pubkey_import_x509(key, ev->crts[i], 0);
	if (rc >= 0)
		rc = gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, out);
	gnutls_pubkey_deinit(key);
	return rc < 0 ? -1 : 0;
}

static int matches(const struct mc_eval *ev, size_t i, const struct mc_tlsa *t)
{
	gnutls_datum_t d;
	int ok;

	if (selected(ev, i, t->selector, &d) < 0)
		return 0;
	ok = mc_tlsa_data_matches(t, &d);
	gnutls_free(d.data);
	return ok;
}

/* Whether the chain as sent verifies up to chain element @ta, taken as the only anchor. */
static int leads_to(const struct mc_eval *ev, size_t ta)
{
	gnutls_x509_trust_list_t list;
	gnutls_x509_crt_t copy;
	gnutls_datum_t der = ev->obs->chain[ta];
	unsigned status = 1;

	if (gnutls_x509_trust_list_init(&list, 0) < 0)
		return 0;
	if (gnutls_x509_crt_init(&copy) == 0 &&
	    gnutls_x509_crt_import(copy, &der, GNUTLS_X509_FMT_DER) >= 0 &&
	    gnutls_x509_trust_list_add_cas(list, &copy, 1, 0) == 1) {
		if (gnutls_x509_trust_list_verify_crt2(list, ev->crts, (unsigned)ev->n, NULL, 0,
						       VERIFY_FLAGS, &status, NULL) < 0)
			status = 1;
	} else if (copy) {
		gnutls_x509_crt_deinit(copy);
	}
	gnutls_x509_trust_list_deinit(list, 1); /* frees the copy it took */
	return status == 0;
}

/* Whether the PKIX checks before this one found the chain untrusted. */
static int pkix_failed(const struct mc_eval *ev)
{
	const mailcert_report *r = ev->report;

	for (size_t i = 0; i < r->findings_len; i++)
		if (r->findings[i].severity != MAILCERT_OK &&
		    (strncmp(r->findings[i].code, "trust.", 6) == 0 ||
		     strcmp(r->findings[i].code, "chain.incomplete") == 0))
			return 1;
	return 0;
}

/*
 * RFC 7672 §3.1.3: SMTP between servers uses only DANE-TA and DANE-EE,
 * since MTAs have no common set of CAs.
 */
int mc_dane_usable(const struct mc_eval *ev, const struct mc_tlsa *t)
{
	int smtp = strncmp(ev->obs->target, "smtp://", 7) == 0;

	if (t->usage > DANE_EE || t->selector > 1 || t->mtype > 2)
		return 0;
	if (t->mtype == 1 ? t->len != 32 : t->mtype == 2 ? t->len != 64 : t->len == 0)
		return 0;
	return !(smtp && t->usage <= PKIX_EE);
}

/* The chain element record @t matches under its usage's rules, or -1. */
static int match_record(const struct mc_eval *ev, const struct mc_tlsa *t)
{
	if (t->usage == DANE_EE || t->usage == PKIX_EE)
		return matches(ev, 0, t) && (t->usage == DANE_EE || !pkix_failed(ev)) ? 0 : -1;
	/* A trust anchor issues: the leaf itself is not one. */
	for (size_t i = 1; i < ev->n; i++) {
		if (!matches(ev, i, t))
			continue;
		if (t->usage == DANE_TA ? leads_to(ev, i) : !pkix_failed(ev))
			return (int)i;
	}
	return -1;
}

/* Lowers the findings a DANE match makes moot (see the file comment). */
static int relax(struct mc_eval *ev, unsigned usage, int ta)
{
	static const char ee_why[] =
	    "moot for DANE: a DANE-EE TLSA record authenticates the server's key, whatever "
	    "its names, dates and issuer (RFC 7672 §3.1.1)";
	static const char ta_why[] =
	    "moot for DANE: the chain leads to the trust anchor of a DANE-TA TLSA record "
	    "(RFC 7672 §3.1.2)";
	static const char root_why[] =
	    "needed for DANE: the server must send the trust anchor of a DANE-TA TLSA record "
	    "(RFC 7671 §5.2.2)";
	mailcert_report *r = ev->report;

	if (usage != DANE_EE && usage != DANE_TA)
		return 0;
	for (size_t i = 0; i < r->findings_len; i++) {
		const char *code = r->findings[i].code;
		int moot = strncmp(code, "trust.", 6) == 0 || strcmp(code, "chain.incomplete") == 0;
		/* The root a DANE-TA record names must be sent, not removed. */
		int needed = usage == DANE_TA && r->findings[i].cert == ta &&
			     strcmp(code, "chain.root-included") == 0;

		if (usage == DANE_EE)
			moot = moot || strcmp(code, "name.mismatch") == 0 ||
			       strcmp(code, "cert.expired") == 0 ||
			       strcmp(code, "cert.expiring") == 0 ||
			       strcmp(code, "cert.not-yet-valid") == 0;
		if ((moot || needed) && r->findings[i].severity != MAILCERT_OK &&
		    mc_report_relax(r, i,
				    needed             ? root_why
				    : usage == DANE_EE ? ee_why
						       : ta_why) < 0)
			return MAILCERT_E_NOMEM;
	}
	return 0;
}

/* "3 1 1 0c72…" for the leaf's key: what a DANE-EE record for it would be. */
static void leaf_record(const struct mc_eval *ev, char *out, size_t len)
{
	gnutls_datum_t d;

	out[0] = '\0';
	if (selected(ev, 0, 1, &d) < 0)
		return;
	mc_tlsa_record_text(out, len, DANE_EE, &d);
	gnutls_free(d.data);
}

/* Findings about the lookup itself; 1 when they say all there is to say. */
static int judge_lookup(struct mc_eval *ev, struct source *src)
{
	const struct mc_dane_lookup *l = &ev->evidence->dane;
	mailcert_report *r = ev->report;

	snprintf(src->where, sizeof(src->where), "at %s", l->name);
	src->rr = l->rr;
	src->n = l->n;
	switch (l->status) {
	case MC_DANE_NO_NAME:
		return mc_report_add(r, "dane.none", MAILCERT_OK, -1,
				     "no DANE: the target is an IP address, which has no TLSA "
				     "name")
			   ?: 1;
	case MC_DANE_UNCHECKED:
		return mc_report_add(r, "dane.unchecked", MAILCERT_UNKNOWN, -1,
				     "DANE could not be checked: %s", l->why)
			   ?: 1;
	case MC_DNS_FAILED:
		return mc_report_add(r, "dane.lookup-failed", MAILCERT_CRITICAL, -1,
				     "the TLSA lookup of %s failed (%s); senders that use DANE "
				     "defer mail while it fails (RFC 7672 §2.2)",
				     l->name, l->why)
			   ?: 1;
	case MC_DNS_BOGUS:
		return mc_report_add(r, "dane.bogus", MAILCERT_CRITICAL, -1,
				     "the TLSA records at %s fail DNSSEC validation (%s); senders "
				     "that use DANE will not deliver: re-sign the zone or fix its "
				     "DS records",
				     l->name, l->why)
			   ?: 1;
	case MC_DNS_INSECURE:
		return mc_report_add(r, "dane.none", MAILCERT_OK, -1,
				     "no DANE: %s is not in a DNSSEC-signed zone%s", l->name,
				     l->n ? ", so senders ignore its TLSA records" : "")
			   ?: 1;
	default:
		if (l->n == 0 && l->malformed == 0)
			return mc_report_add(r, "dane.none", MAILCERT_OK, -1,
					     "no DANE: DNSSEC proves there is no TLSA record at %s",
					     l->name)
				   ?: 1;
		return 0;
	}
}

int mc_check_dane(struct mc_eval *ev)
{
	struct source src;
	size_t n_usable = 0, malformed = 0;
	char leaf[80];
	int rc;

	if (ev->policy->tlsa_len) {
		src.rr = ev->policy->tlsa;
		src.n = ev->policy->tlsa_len;
		snprintf(src.where, sizeof(src.where), "given with --tlsa");
	} else if (ev->evidence->dane.done) {
		malformed = ev->evidence->dane.malformed;
		rc = judge_lookup(ev, &src);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	} else {
		return 0;
	}
	for (size_t i = 0; i < src.n; i++) {
		const struct mc_tlsa *t = &src.rr[i];
		int cert;

		if (!mc_dane_usable(ev, t))
			continue;
		n_usable++;
		cert = match_record(ev, t);
		if (cert < 0)
			continue;
		rc = mc_report_add(ev->report, "dane.match", MAILCERT_OK, cert,
				   "the TLSA record %u %u %u (%s) %s matches the %s%s", t->usage,
				   t->selector, t->mtype, usage_names[t->usage], src.where,
				   cert == 0 ? "leaf" : "chain certificate",
				   t->usage == DANE_TA ? ", and the chain leads to it" : "");
		if (rc == 0)
			rc = relax(ev, t->usage, cert);
		return rc < 0 ? rc : mc_check_dane_next(ev, src.rr, src.n, src.where);
	}
	leaf_record(ev, leaf, sizeof(leaf));
	if (n_usable == 0)
		return mc_report_add(
		    ev->report, "dane.unusable", MAILCERT_WARNING, -1,
		    "none of the %zu TLSA records %s is usable here (unknown "
		    "parameters%s), so DANE does not protect this server; a "
		    "record for the leaf's key would be \"%s\"",
		    src.n + malformed, src.where,
		    strncmp(ev->obs->target, "smtp://", 7) == 0
			? ", or usages 0 and 1, which SMTP ignores (RFC 7672 §3.1.3)"
			: "",
		    leaf);
	rc = mc_report_add(ev->report, "dane.mismatch", MAILCERT_CRITICAL, -1,
			   "none of the %zu usable TLSA records %s matches the chain, so "
			   "DANE clients (for SMTP: sending servers) refuse this server; publish "
			   "a record for the key served (\"%s\") or serve the certificate the "
			   "records name",
			   n_usable, src.where, leaf);
	/* The next renewal needs its record whatever is served now. */
	return rc < 0 ? rc : mc_check_dane_next(ev, src.rr, src.n, src.where);
}
