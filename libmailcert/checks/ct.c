/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Certificate Transparency (RFC 6962): the leaf's SCTs, from the
 * certificate, the TLS extension and stapled OCSP responses, each verified
 * against its log's key when a log list is given (--ct-log-list), and
 * counted by Chrome's CT policy: an embedded set needs 2 SCTs for a
 * certificate valid 180 days or less, 3 for a longer one; SCTs from TLS or
 * OCSP need 2; either way from at least two log operators, and from logs
 * that are qualified, usable or read-only (or retired after the SCT).
 *
 * Findings: ct.missing (WARNING) and ct.too-few (WARNING), for chains the
 * system store verifies or with --ct; ct.invalid (CRITICAL); ct.unknown-log
 * (OK). Verification is pure: the keys were read with the policy, and an
 * SCT dated after @now is invalid, as RFC 6962 §5.2 asks of clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include "model/ctlog.h"
#include "model/internal.h"

#define DAY 86400LL

static const char *const source_names[] = {"embedded", "tls", "ocsp"};
static const char *const source_text[] = {"embedded in the certificate", "sent in the TLS handshake",
					  "in the stapled OCSP response"};

/* What an embedded SCT's signature covers besides the SCT: built once per evaluation. */
struct precert {
	int tried;
	unsigned char *tbs;
	size_t tbs_len;
	unsigned char issuer_key_hash[32];
	char why[200]; /* tbs NULL: why an embedded SCT cannot be verified */
};

/* The SHA-256 of the SubjectPublicKeyInfo of the leaf's issuer, as sent or in the trust store. */
static int issuer_key_hash(const struct mc_eval *ev, unsigned char out[32])
{
	gnutls_x509_crt_t issuer = NULL;
	gnutls_pubkey_t key = NULL;
	gnutls_datum_t spki = {0};
	int rc = -1, copy = 0;

	if (ev->n > 1 && gnutls_x509_crt_check_issuer(ev->crts[0], ev->crts[1]))
		issuer = ev->crts[1];
	else if (gnutls_x509_trust_list_get_issuer(mc_policy_trust(ev->policy), ev->crts[0],
						   &issuer, GNUTLS_TL_GET_COPY) >= 0)
		copy = 1;
	else
		return -1;
	if (gnutls_pubkey_init(&key) >= 0 && gnutls_pubkey_import_x509(key, issuer, 0) >= 0 &&
	    gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &spki) >= 0 &&
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, out) == 0)
		rc = 0;
	gnutls_free(spki.data);
	gnutls_pubkey_deinit(key);
	if (copy)
		gnutls_x509_crt_deinit(issuer);
	return rc;
}

static void precert_build(const struct mc_eval *ev, struct precert *pc)
{
	const gnutls_datum_t *leaf = &ev->obs->chain[0];

	pc->tried = 1;
	if (mc_sct_precert_tbs(leaf->data, leaf->size, &pc->tbs, &pc->tbs_len, pc->why,
			       sizeof(pc->why)) < 0)
		return;
	if (issuer_key_hash(ev, pc->issuer_key_hash) < 0) {
		free(pc->tbs);
		pc->tbs = NULL;
		snprintf(pc->why, sizeof(pc->why),
			 "the leaf's issuer was not sent and is not in the trust store, and an "
			 "embedded SCT signs the issuer's key");
	}
}

/* The signature scheme of an SCT (RFC 6962 §2.1.4: SHA-256 with ECDSA or RSA), or UNKNOWN. */
static gnutls_sign_algorithm_t sign_algo(const struct mc_sct *s)
{
	if (s->hash_alg == 4 && s->sig_alg == 3)
		return GNUTLS_SIGN_ECDSA_SHA256;
	if (s->hash_alg == 4 && s->sig_alg == 1)
		return GNUTLS_SIGN_RSA_SHA256;
	return GNUTLS_SIGN_UNKNOWN;
}

/* 1 valid; 0 invalid with the reason in @why; -1 not verifiable, the reason in @why. */
static int verify(const struct mc_eval *ev, const struct mc_sct *s, const struct mc_ct_log *log,
		  struct precert *pc, char *why, size_t whylen)
{
	const gnutls_datum_t *leaf = &ev->obs->chain[0];
	gnutls_sign_algorithm_t algo = sign_algo(s);
	unsigned char *data;
	size_t len;
	int rc;

	if ((long long)(s->timestamp / 1000) > (long long)ev->now) {
		snprintf(why, whylen, "its date is in the future");
		return 0;
	}
	if (algo == GNUTLS_SIGN_UNKNOWN) {
		snprintf(why, whylen, "its signature algorithm (hash %u, signature %u) is not SHA-256 "
				      "with ECDSA or RSA, as RFC 6962 requires",
			 s->hash_alg, s->sig_alg);
		return 0;
	}
	if (s->source == MC_SCT_EMBEDDED) {
		if (!pc->tried)
			precert_build(ev, pc);
		if (!pc->tbs) {
			snprintf(why, whylen, "%s", pc->why);
			return -1;
		}
		rc = mc_sct_signed_data(s, pc->tbs, pc->tbs_len, pc->issuer_key_hash, &data, &len);
	} else {
		rc = mc_sct_signed_data(s, leaf->data, leaf->size, NULL, &data, &len);
	}
	if (rc < 0)
		return MAILCERT_E_NOMEM;
	{
		gnutls_datum_t d = {data, (unsigned)len}, sig = {(unsigned char *)s->sig, (unsigned)s->sig_len};

		rc = gnutls_pubkey_verify_data2(log->key, algo, 0, &d, &sig);
	}
	free(data);
	if (rc < 0) {
		snprintf(why, whylen, "its signature does not verify with the log's key");
		return 0;
	}
	return 1;
}

/* Whether a valid SCT of @log counts for the CT policy at @now (Chrome: the log's state). */
static int counts(const struct mc_ct_log *log, const struct mc_sct *s)
{
	switch (log->state) {
	case MC_CT_QUALIFIED:
	case MC_CT_USABLE:
	case MC_CT_READONLY:
		return 1;
	case MC_CT_RETIRED:
		return log->state_since && (long long)(s->timestamp / 1000) < (long long)log->state_since;
	default:
		return 0;
	}
}

/* A set of SCTs as the policy counts them: distinct logs and distinct operators. */
struct tally {
	const struct mc_ct_log *logs[MC_MAX_SCT];
	size_t logs_n;
	size_t ops[MC_MAX_SCT];
	size_t ops_n;
};

static void tally_add(struct tally *t, const struct mc_ct_log *log)
{
	size_t i;

	for (i = 0; i < t->logs_n && t->logs[i] != log; i++)
		;
	if (i < t->logs_n)
		return;
	t->logs[t->logs_n++] = log;
	for (i = 0; i < t->ops_n && t->ops[i] != log->op; i++)
		;
	if (i == t->ops_n)
		t->ops[t->ops_n++] = log->op;
}

/* The SCTs of the leaf: its extension, the TLS extension, each OCSP response; a malformed list is ct.invalid. */
static int gather(struct mc_eval *ev, struct mc_sct *scts, size_t *n, gnutls_datum_t *ext)
{
	const mailcert_observation *obs = ev->obs;
	const unsigned char *list;
	size_t list_len, dropped = 0;
	char why[200];
	unsigned critical;
	int rc;

	if (gnutls_x509_crt_get_extension_by_oid2(ev->crts[0], MC_SCT_CERT_OID, 0, ext, &critical) >=
	    0) {
		int bad = mc_sct_unwrap(ext->data, ext->size, &list, &list_len) < 0;

		if (bad)
			snprintf(why, sizeof(why), "it is not an OCTET STRING");
		else
			bad = mc_sct_list_parse(list, list_len, MC_SCT_EMBEDDED, scts, MC_MAX_SCT, n,
						&dropped, why, sizeof(why)) < 0;
		if (bad && (rc = mc_report_add(ev->report, "ct.invalid", MAILCERT_CRITICAL, 0,
					       "the leaf's SCT list extension is malformed: %s; the "
					       "CA issued a broken certificate",
					       why)) < 0)
			return rc;
	}
	if (obs->sct_tls.data &&
	    mc_sct_list_parse(obs->sct_tls.data, obs->sct_tls.size, MC_SCT_TLS, scts, MC_MAX_SCT, n,
			      &dropped, why, sizeof(why)) < 0 &&
	    (rc = mc_report_add(ev->report, "ct.invalid", MAILCERT_CRITICAL, 0,
				"the SCT list the server sent in the TLS handshake is malformed: %s; "
				"fix the server's SCT file",
				why)) < 0)
		return rc;
	for (size_t i = 0; i < obs->ocsp_len; i++) {
		int found = mc_sct_from_ocsp(obs->ocsp[i].data, obs->ocsp[i].size, &list, &list_len);

		/* A response that does not parse is ocsp.invalid's (checks/revocation.c). */
		if (found <= 0 || mc_sct_list_parse(list, list_len, MC_SCT_OCSP, scts, MC_MAX_SCT, n,
						    &dropped, why, sizeof(why)) == 0)
			continue;
		if ((rc = mc_report_add(ev->report, "ct.invalid", MAILCERT_CRITICAL, 0,
					"the SCT list of the stapled OCSP response is malformed: %s",
					why)) < 0)
			return rc;
	}
	return 0;
}

static void log_label(char *out, size_t len, const struct mc_ct_log *log, const char *b64)
{
	if (log && log->name[0])
		snprintf(out, len, "the log \"%s\"", log->name);
	else
		snprintf(out, len, "the log %s", b64);
}

static int too_few(struct mc_eval *ev, const struct tally *embedded, const struct tally *served,
		   size_t excluded, const char *unverified)
{
	const mailcert_cert_info *leaf = &ev->report->certs[0].info;
	long long lifetime = (long long)leaf->not_after - (long long)leaf->not_before + 1;
	size_t need = lifetime <= 180 * DAY ? 2 : 3;
	char label[MC_LABEL_MAX], also[600] = "";

	if ((embedded->logs_n >= need && embedded->ops_n >= 2) ||
	    (served->logs_n >= 2 && served->ops_n >= 2))
		return 0;
	if (excluded)
		snprintf(also, sizeof(also),
			 "; %zu more verified but do not count (their logs are pending, rejected "
			 "or retired before them, or the list gives no state)%s",
			 excluded, unverified);
	else
		snprintf(also, sizeof(also), "%s", unverified);
	mc_cert_label(label, sizeof(label), ev, 0);
	return mc_report_add(
	    ev->report, "ct.too-few", MAILCERT_WARNING, 0,
	    "%s has valid SCTs from %zu log%s of %zu operator%s embedded, and from %zu log%s of "
	    "%zu operator%s sent by the server%s; Chrome's CT policy asks for %zu embedded "
	    "(for a certificate valid %s 180 days) or 2 sent, from at least 2 log operators: "
	    "browsers that enforce it reject the certificate",
	    label, embedded->logs_n, embedded->logs_n == 1 ? "" : "s", embedded->ops_n,
	    embedded->ops_n == 1 ? "" : "s", served->logs_n, served->logs_n == 1 ? "" : "s",
	    served->ops_n, served->ops_n == 1 ? "" : "s", also, need,
	    need == 2 ? "at most" : "more than");
}

int mc_check_ct(struct mc_eval *ev)
{
	const mailcert_policy *p = ev->policy;
	const struct mc_ct_loglist *logs = p->ct_logs;
	struct mc_sct scts[MC_MAX_SCT];
	struct precert pc = {0};
	struct tally embedded = {0}, served = {0};
	gnutls_datum_t ext = {0};
	size_t n = 0, excluded = 0;
	char unverified[400] = "";
	/* A file has no handshake that could have sent SCTs: only --ct asks it for them. */
	int applies = p->ct == MAILCERT_CT_REQUIRE ||
		      (p->ct == MAILCERT_CT_AUTO && ev->publicly_trusted && !ev->obs->file);
	int rc = gather(ev, scts, &n, &ext);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct mc_sct *s = &scts[i];
		const struct mc_ct_log *log = logs ? mc_ct_loglist_find(logs, s->log_id) : NULL;
		char why[300] = "", b64[48], who[200], when[MC_DATE_MAX];
		gnutls_datum_t id = {(unsigned char *)s->log_id, 32}, enc = {0};
		int valid = -1;

		if (gnutls_base64_encode2(&id, &enc) < 0) {
			rc = MAILCERT_E_NOMEM;
			break;
		}
		snprintf(b64, sizeof(b64), "%.*s", (int)enc.size, (const char *)enc.data);
		gnutls_free(enc.data);
		log_label(who, sizeof(who), log, b64);
		mc_format_utc(when, (time_t)(s->timestamp / 1000), 1);
		if (log) {
			valid = verify(ev, s, log, &pc, why, sizeof(why));
			if (valid < -1) {
				rc = valid;
				break;
			}
		} else if (logs) {
			rc = mc_report_add(ev->report, "ct.unknown-log", MAILCERT_OK, 0,
					   "an SCT %s, dated %s, comes from the log %s, which the log "
					   "list does not name: it is neither verified nor counted (a "
					   "newer log list may name it)",
					   source_text[s->source], when, b64);
		}
		if (rc == 0 && valid == 0)
			rc = mc_report_add(ev->report, "ct.invalid", MAILCERT_CRITICAL, 0,
					   "the SCT of %s %s, dated %s, is not valid: %s; the "
					   "certificate or the SCT was altered, or was not logged as "
					   "it is served",
					   who, source_text[s->source], when, why);
		else if (valid < 0 && log)
			snprintf(unverified, sizeof(unverified), "; an SCT of %s could not be verified: %s",
				 who, why);
		if (rc == 0 && valid == 1) {
			if (counts(log, s))
				tally_add(s->source == MC_SCT_EMBEDDED ? &embedded : &served, log);
			else
				excluded++;
		}
		if (rc == 0 && mc_report_add_sct(ev->report, s->log_id, log ? log->name : NULL,
						 (long long)s->timestamp, source_names[s->source],
						 valid) < 0)
			rc = MAILCERT_E_NOMEM;
	}
	free(pc.tbs);
	gnutls_free(ext.data);
	if (rc < 0 || !applies)
		return rc;
	if (n == 0) {
		char label[MC_LABEL_MAX];

		mc_cert_label(label, sizeof(label), ev, 0);
		return mc_report_add(ev->report, "ct.missing", MAILCERT_WARNING, 0,
				     "%s has no Signed Certificate Timestamps (none embedded, none "
				     "in the TLS handshake or a stapled OCSP response): it was not "
				     "logged for Certificate Transparency, and browsers that enforce "
				     "CT reject it; ask the CA for a logged certificate",
				     label);
	}
	return logs ? too_few(ev, &embedded, &served, excluded, unverified) : 0;
}
