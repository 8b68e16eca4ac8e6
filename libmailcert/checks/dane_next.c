/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DANE rollovers: is the next renewal's key already published? A renewal
 * that changes the key (or the issuer a DANE-TA record names) breaks DANE
 * for every sender until the TLSA RRset names the new one, and the RRset
 * caches hold the old set for its TTL, so the record must be there before
 * the renewal is deployed (RFC 7671 §8.1). Finding: dane.next-key-missing.
 *
 * Judged only against usable records (checks/dane.c calls this once it
 * has some): without DANE, or with a lookup that failed, the finding that
 * says so is enough. A next key is named by a record of the usages that
 * name the leaf (DANE-EE; PKIX-EE where usable), a next issuer by one of
 * those that name a trust anchor (DANE-TA; PKIX-TA where usable).
 */
#include <stdio.h>
#include <string.h>

#include "model/internal.h"
#include "model/tlsakey.h"

static int names(const struct mc_eval *ev, const struct mc_tlsa *rr, size_t n,
		 const struct mc_tlsa_key *k, int ee)
{
	for (size_t i = 0; i < n; i++) {
		int usage_ee = rr[i].usage == DANE_EE || rr[i].usage == PKIX_EE;

		if (usage_ee == ee && mc_dane_usable(ev, &rr[i]) && mc_tlsa_names_key(&rr[i], k))
			return 1;
	}
	return 0;
}

/* "RSA", "ECDSA": the family a handshake restricted to a key type (--all-keys) would serve. */
static const char *family(int pk)
{
	switch (pk) {
	case GNUTLS_PK_RSA:
	case GNUTLS_PK_RSA_PSS:
		return "RSA";
	case GNUTLS_PK_ECDSA:
		return "ECDSA";
	default:
		return NULL;
	}
}

/*
 * With --all-keys each key type has its own report: an RSA next key is
 * the RSA certificate's, and its record is asked for in that report only.
 * A key of a type no handshake is restricted to (Ed25519) counts in all.
 */
static int for_this_report(const struct mc_eval *ev, const struct mc_tlsa_key *k)
{
	const char *f = family(k->pk);

	return !ev->obs->key_type || !f || strcmp(f, ev->obs->key_type) == 0;
}

static int missing_key(struct mc_eval *ev, const struct mc_tlsa_key *k, const char *where)
{
	char rec[MC_TLSA_RECORD_MAX], q[4 * 200 + 4];

	mc_tlsa_record_text(rec, sizeof(rec), DANE_EE, &k->spki);
	mc_quote(q, sizeof(q), k->path, strlen(k->path), 200);
	return mc_report_add(ev->report, "dane.next-key-missing", MAILCERT_WARNING, -1,
			     "no TLSA record %s names the next key (%s, %s \"%s\"): publish \"%s\" "
			     "beside the current records now, and deploy the renewal only once "
			     "the old RRset's TTL has passed, or DANE senders will refuse the "
			     "server after it",
			     where, k->desc, k->cert.data ? "the leaf of" : "from", q, rec);
}

/* "CN=…, " of the certificate @k came from, quoted, or "" for a bare key or no CN. */
static void cn_of(char *out, size_t outlen, const struct mc_tlsa_key *k)
{
	gnutls_x509_crt_t crt;
	char raw[256], cn[4 * 64 + 4];
	size_t len = sizeof(raw);

	out[0] = '\0';
	if (!k->cert.data || gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, &k->cert, GNUTLS_X509_FMT_DER) >= 0 &&
	    gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, raw, &len) >= 0) {
		mc_quote(cn, sizeof(cn), raw, len, 64);
		snprintf(out, outlen, "CN=%s, ", cn);
	}
	gnutls_x509_crt_deinit(crt);
}

static int missing_issuer(struct mc_eval *ev, const struct mc_tlsa_key *k, const char *where)
{
	char rec[MC_TLSA_RECORD_MAX], q[4 * 200 + 4], cn[300];

	mc_tlsa_record_text(rec, sizeof(rec), DANE_TA, &k->spki);
	mc_quote(q, sizeof(q), k->path, strlen(k->path), 200);
	cn_of(cn, sizeof(cn), k);
	return mc_report_add(ev->report, "dane.next-key-missing", MAILCERT_WARNING, -1,
			     "no DANE-TA record %s names the next issuer (%s%s \"%s\"): publish "
			     "\"%s\" beside the current records before the renewal chains to it, "
			     "or DANE senders will refuse the server after it",
			     where, cn, k->cert.data ? "the certificate of" : "the key of", q, rec);
}

int mc_check_dane_next(struct mc_eval *ev, const struct mc_tlsa *rr, size_t n, const char *where)
{
	const mailcert_policy *p = ev->policy;
	int rc = 0;

	for (size_t i = 0; rc >= 0 && i < p->next_keys_len; i++)
		if (for_this_report(ev, &p->next_keys[i]) && !names(ev, rr, n, &p->next_keys[i], 1))
			rc = missing_key(ev, &p->next_keys[i], where);
	for (size_t i = 0; rc >= 0 && i < p->next_issuers_len; i++)
		if (!names(ev, rr, n, &p->next_issuers[i], 0))
			rc = missing_issuer(ev, &p->next_issuers[i], where);
	return rc < 0 ? rc : 0;
}
